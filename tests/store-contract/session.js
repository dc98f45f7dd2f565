// A dashboard session for tests that are not about signing in (tests/signin/ signs in through a
// real provider): the cookie sealed as src/signin/seal.rs seals it, for the Worker `h`.
import { createHmac, randomBytes } from 'node:crypto';

/** HMAC-SHA256 under `key` over length-prefixed parts, base64url (src/token.rs, HashKey::mac). */
function mac(key, ...parts) {
  const m = createHmac('sha256', Buffer.from(key, 'utf8'));
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(bytes.length));
    m.update(len).update(bytes);
  }
  return m.digest('base64url');
}

/**
 * A session cookie of `sub` at `issuer`, sealed under `hmacKey` as the Worker seals one
 * (base64url of the session's JSON, `.`, its MAC with purpose `session_cookie`), good for
 * `seconds`: { cookie (the Cookie header's value), csrf }.
 */
export function sealedSession(hmacKey, issuer, sub, { name, seconds = 600 } = {}) {
  const csrf = randomBytes(16).toString('base64url');
  const session = {
    iss: issuer, sub, name: name ?? null, admin: false, csrf, exp: Math.floor(Date.now() / 1000) + seconds,
  };
  const body = Buffer.from(JSON.stringify(session)).toString('base64url');
  return { cookie: `__Secure-registrar-session=${body}.${mac(hmacKey, 'session_cookie', '', body)}`, csrf };
}

/**
 * The headers of a dashboard request by `person` (the subject) to `h`: a session cookie of
 * h's DASHBOARD_OIDC_ISSUER, sealed under h's REGISTRAR_HMAC_KEY; for any method but GET also
 * h's origin and the session's CSRF token, as the dashboard sends them.
 */
export function dashboardHeaders(h, person, method = 'GET') {
  const { cookie, csrf } = sealedSession(h.vars.REGISTRAR_HMAC_KEY, h.vars.DASHBOARD_OIDC_ISSUER, person);
  const headers = { cookie };
  if (method !== 'GET') Object.assign(headers, { origin: h.url, 'x-registrar-csrf': csrf });
  return headers;
}

/**
 * The owner hash of `person` as h stores it (src/signin/session.rs, Session::owner: purpose
 * `owner`, the issuer, the subject).
 */
export function ownerHash(h, person) {
  return mac(h.vars.REGISTRAR_HMAC_KEY, 'owner', h.vars.DASHBOARD_OIDC_ISSUER, person);
}
