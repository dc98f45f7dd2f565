// ID tokens a provider should never send, and the Worker must refuse all the same: a forging
// provider on loopback (discovery, a JWK set, a token endpoint that answers whatever token the
// test makes, signed with node:crypto) and the Worker built with the `signin` feature, whose
// WebCrypto checks the real signatures. A good token first, so a refusal cannot come from the
// set-up. (The real provider's tokens are accepted in flow.test.js.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { start } from '../worker/harness.js';
import { freePort } from './pair.js';
import { setCookie } from './person.js';

const CLIENT = 'dashboard';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicJwk = (k, kid) => ({ ...k.publicKey.export({ format: 'jwk' }), kid, use: 'sig' });

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A compact JWS of `claims`, signed as `alg` with `key` (a private KeyObject or a secret). */
function jwt(header, claims, key) {
  const input = `${b64(header)}.${b64(claims)}`;
  let sig = Buffer.alloc(0);
  if (header.alg === 'RS256') sig = sign('sha256', Buffer.from(input), key);
  if (header.alg === 'ES256') sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  if (header.alg === 'HS256') sig = createHmac('sha256', key).update(input).digest();
  return `${input}.${sig.toString('base64url')}`;
}

let issuer;
let server;
let h;
/** What the token endpoint answers next: (nonce) => id_token. */
let nextToken;

before(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  server = http.createServer((req, res) => {
    const json = (body) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(body)); };
    if (req.url === '/.well-known/openid-configuration') {
      return json({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256', 'HS256'],
      });
    }
    if (req.url === '/jwks') return json({ keys: [publicJwk(rsa, 'rsa-1'), publicJwk(ec, 'ec-1')] });
    if (req.url === '/token' && req.method === 'POST') return json({ access_token: 'at', token_type: 'Bearer', id_token: nextToken() });
    res.statusCode = 404;
    return res.end();
  });
  await new Promise((resolve) => { server.listen(port, '127.0.0.1', resolve); });
  h = await start({ vars: { DASHBOARD_OIDC_ISSUER: issuer, DASHBOARD_OIDC_CLIENT_ID: CLIENT } });
});
after(async () => {
  await h?.dispose();
  server?.closeAllConnections();
  await new Promise((resolve) => { server?.close(resolve); });
});

/** Starts a sign-in; returns its nonce and a function that finishes it with a token made of it. */
async function begin() {
  const start = await h.fetch('/dashboard/signin', { redirect: 'manual' });
  const params = new URL(start.headers.get('location')).searchParams;
  const pending = setCookie(start, '__Secure-registrar-signin');
  return {
    nonce: params.get('nonce'),
    async finish(makeToken) {
      nextToken = makeToken;
      const res = await h.fetch(`/dashboard/callback?code=c&state=${params.get('state')}`, { redirect: 'manual', headers: { cookie: pending } });
      return { location: res.headers.get('location'), session: setCookie(res, '__Secure-registrar-session') };
    },
  };
}

const now = () => Math.floor(Date.now() / 1000);
const claimsFor = (nonce, extra = {}) => ({ iss: issuer, aud: CLIENT, sub: 'mallory', nonce, iat: now(), exp: now() + 300, ...extra });

describe('forged and faulty ID tokens are refused', { timeout: 120_000 }, () => {
  it('a good RS256 and a good ES256 token sign in (the set-up is right)', async () => {
    for (const [alg, key, kid] of [['RS256', rsa.privateKey, 'rsa-1'], ['ES256', ec.privateKey, 'ec-1']]) {
      const s = await begin();
      const r = await s.finish(() => jwt({ alg, kid }, claimsFor(s.nonce), key));
      assert.equal(r.location, '/', alg);
      assert.ok(r.session, alg);
    }
  });

  const cases = [
    ['signed by another key under the provider\'s kid', (n) => jwt({ alg: 'RS256', kid: 'rsa-1' }, claimsFor(n), otherRsa.privateKey)],
    ['an ES256 signature with one bit changed', (n) => {
      const t = jwt({ alg: 'ES256', kid: 'ec-1' }, claimsFor(n), ec.privateKey);
      const [hd, pl, sg] = t.split('.');
      const bytes = Buffer.from(sg, 'base64url');
      bytes[5] ^= 1;
      return `${hd}.${pl}.${bytes.toString('base64url')}`;
    }],
    ['claims changed after signing (made an admin)', (n) => {
      const [hd, , sg] = jwt({ alg: 'RS256', kid: 'rsa-1' }, claimsFor(n), rsa.privateKey).split('.');
      return `${hd}.${b64(claimsFor(n, { groups: ['registrar-admins'] }))}.${sg}`;
    }],
    ['alg none', (n) => jwt({ alg: 'none' }, claimsFor(n))],
    ['HS256 keyed with the provider\'s public key (algorithm confusion)', (n) => jwt({ alg: 'HS256', kid: 'rsa-1' }, claimsFor(n), rsa.publicKey.export({ format: 'pem', type: 'spki' }))],
    ['the wrong aud', (n) => jwt({ alg: 'RS256', kid: 'rsa-1' }, claimsFor(n, { aud: 'another-client' }), rsa.privateKey)],
    ['the wrong iss', (n) => jwt({ alg: 'RS256', kid: 'rsa-1' }, claimsFor(n, { iss: 'http://127.0.0.1:1' }), rsa.privateKey)],
    ['expired', (n) => jwt({ alg: 'RS256', kid: 'rsa-1' }, claimsFor(n, { iat: now() - 900, exp: now() - 600 }), rsa.privateKey)],
    ['no nonce', (n) => jwt({ alg: 'RS256', kid: 'rsa-1' }, { ...claimsFor(n), nonce: undefined }, rsa.privateKey)],
  ];
  for (const [what, make] of cases) {
    it(`${what}: no session`, async () => {
      const s = await begin();
      const r = await s.finish(() => make(s.nonce));
      assert.equal(r.location, '/?signin_error=id_token');
      assert.equal(r.session, undefined);
    });
  }

  it('a replayed ID token (the nonce of an earlier sign-in) is refused', async () => {
    const first = await begin();
    const replayed = jwt({ alg: 'RS256', kid: 'rsa-1' }, claimsFor(first.nonce), rsa.privateKey);
    assert.ok((await first.finish(() => replayed)).session, 'good for its own sign-in');
    const second = await begin();
    const r = await second.finish(() => replayed);
    assert.equal(r.location, '/?signin_error=id_token');
    assert.equal(r.session, undefined);
  });
});
