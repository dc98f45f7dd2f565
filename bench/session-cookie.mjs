// A dashboard session cookie for the benchmark's signed-in requests, sealed as the Worker seals
// one (src/signin/seal.rs, src/token.rs HashKey::mac): base64url of the session's JSON, `.`, then
// base64url(HMAC-SHA256(REGISTRAR_HMAC_KEY, each of "session_cookie", "" and the body prefixed
// by its length as a big-endian u64)). The benchmark measures what a signed-in request costs the
// Worker, not the sign-in; bench/production.mjs checks the Worker accepts the cookie
// (GET /dashboard/session answers sign_in: true for this sub) before it measures anything.
import { createHmac, randomBytes } from "node:crypto";

function lengthPrefixed(part) {
  const len = Buffer.alloc(8);
  len.writeBigUInt64BE(BigInt(part.length));
  return Buffer.concat([len, part]);
}

/** { cookie, csrf, sub } for a session of `sub` at `issuer`, good for an hour. */
export function sessionCookie(hmacKey, issuer, sub) {
  const csrf = randomBytes(32).toString("base64url");
  const session = { iss: issuer, sub, name: "Bench", admin: false, csrf, exp: Math.floor(Date.now() / 1000) + 3600 };
  const body = Buffer.from(JSON.stringify(session)).toString("base64url");
  const mac = createHmac("sha256", Buffer.from(hmacKey, "utf8"));
  for (const part of ["session_cookie", "", body]) mac.update(lengthPrefixed(Buffer.from(part, "utf8")));
  return { cookie: `__Secure-registrar-session=${body}.${mac.digest("base64url")}`, csrf, sub };
}
