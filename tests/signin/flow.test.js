// Dashboard sign-in end to end against a real OpenID Provider (node-oidc-provider on loopback,
// tests/signin/op.js) and the Worker built with the `signin` feature, in Miniflare: discovery and
// keys fetched from the provider, the code redeemed at its token endpoint with PKCE, its ID
// tokens (RS256 and ES256) verified with WebCrypto, the session cookie, admins by claim, and
// sign-out ending the provider's session too (RP-initiated logout).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, PUBLIC_CLIENT } from './op.js';
import { pair } from './pair.js';
import { endProviderSession, signIn } from './person.js';

async function session(h, cookie) {
  const r = await h.request('GET', '/dashboard/session', { headers: cookie ? { cookie } : {} });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  return r.body;
}

describe('sign-in with a real OpenID Provider', { timeout: 120_000 }, () => {
  let p;
  before(async () => { p = await pair(); });
  after(async () => { await p?.close(); });

  it('a person signs in, gets a session, and is an admin only with the admin claim', async () => {
    assert.deepEqual(await session(p.h), { sign_in: true, signed_in: false });
    const alice = await signIn(p.h, 'alice', { returnTo: '/#admin' });
    assert.equal(alice.callback.status, 302);
    assert.equal(alice.callback.headers.get('location'), '/#admin');
    assert.ok(alice.session, 'a session cookie');
    const lines = alice.callback.headers.getSetCookie();
    assert.ok(lines.some((l) => /^__Secure-registrar-session=.+; Path=\/dashboard; Max-Age=3600; HttpOnly; Secure; SameSite=Lax$/.test(l)), lines.join('\n'));
    const s = await session(p.h, alice.session);
    assert.equal(s.signed_in, true);
    assert.equal(s.name, 'Alice Admin');
    assert.equal(s.admin, true);
    assert.match(s.csrf, /^[A-Za-z0-9_-]{22}$/);

    const bob = await signIn(p.h, 'bob');
    const b = await session(p.h, bob.session);
    assert.equal(b.name, 'Bob Builder');
    assert.equal(b.admin, false);
    assert.notEqual(b.csrf, s.csrf);
  });

  it('the session cookie is refused when changed, and sign-out needs this origin and the CSRF token', async () => {
    const { session: cookie } = await signIn(p.h, 'bob');
    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];
    const [body, mac] = value.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url'));
    const forged = `${name}=${Buffer.from(JSON.stringify({ ...claims, admin: true })).toString('base64url')}.${mac}`;
    assert.equal((await session(p.h, forged)).signed_in, false, 'a session made admin by hand');
    const { csrf } = await session(p.h, cookie);
    const out = (headers) => p.h.request('POST', '/dashboard/signout', { headers: { cookie, ...headers } });
    for (const headers of [{ 'x-registrar-csrf': csrf }, { origin: 'http://evil.example', 'x-registrar-csrf': csrf }, { origin: p.h.url }, { origin: p.h.url, 'x-registrar-csrf': 'x'.repeat(22) }]) {
      const r = await out(headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(r.body.error, 'access_denied');
    }
    const ok = await out({ origin: p.h.url, 'x-registrar-csrf': csrf });
    assert.equal(ok.status, 200, 'with where to end the provider\'s session');
    assert.deepEqual(ok.headers.getSetCookie(), ['__Secure-registrar-session=; Path=/dashboard; Max-Age=0; HttpOnly; Secure; SameSite=Lax']);
  });

  it('sign-out also ends the session at the provider (RP-initiated logout), which sends the person back to the dashboard', async () => {
    const first = await signIn(p.h, 'bob');
    assert.deepEqual(first.prompts, ['login', 'consent']);
    // The same browser again: the provider still knows the person and asks for no login.
    const again = await signIn(p.h, 'bob', { jar: first.jar });
    assert.ok(again.session);
    assert.ok(!again.prompts.includes('login'), again.prompts.join(', '));

    const { csrf } = await session(p.h, again.session);
    const out = await p.h.request('POST', '/dashboard/signout', { headers: { cookie: again.session, origin: p.h.url, 'x-registrar-csrf': csrf } });
    assert.equal(out.status, 200);
    assert.equal(out.headers.get('cache-control'), 'no-store');
    const discovery = await (await fetch(`${p.op.issuer}/.well-known/openid-configuration`)).json();
    const end = new URL(out.body.end_session_url);
    assert.equal(`${end.origin}${end.pathname}`, discovery.end_session_endpoint);
    assert.deepEqual(Object.fromEntries(end.searchParams), { client_id: PUBLIC_CLIENT, post_logout_redirect_uri: `${p.h.url}/` });
    assert.equal(await endProviderSession(end.href, first.jar), `${p.h.url}/`, 'back to the dashboard');

    // Signed out at the provider: the next sign-in in that browser asks for the login again.
    const after = await signIn(p.h, 'bob', { jar: first.jar });
    assert.equal(after.prompts[0], 'login');
    assert.ok(after.session);
  });

  it('a callback without this browser\'s sign-in cookie, or with another state, signs nobody in', async () => {
    const replay = await signIn(p.h, 'alice', {
      beforeCallback: (u) => { const url = new URL(u); url.searchParams.set('state', 'x'); return url.href; },
    });
    assert.equal(replay.callback.headers.get('location'), '/?signin_error=state');
    assert.equal(replay.session, undefined);
    const start = await p.h.fetch('/dashboard/callback?code=abc&state=def', { redirect: 'manual' });
    assert.equal(start.headers.get('location'), '/?signin_error=expired');
    const line = await p.h.logLine(0, 'no pending sign-in');
    assert.ok(line, 'the cause is logged');
    assert.match(line, /"route":"GET \/dashboard\/callback"/);
    assert.doesNotMatch(line, /code=abc|state=def/, 'the query is not logged');
  });
});

describe('sign-in variants: ES256 ID tokens, a confidential client', { timeout: 120_000 }, () => {
  it('ES256 ID tokens verify', async () => {
    const p = await pair({ idTokenAlg: 'ES256' });
    try {
      const { callback, session: cookie } = await signIn(p.h, 'alice');
      assert.equal(callback.headers.get('location'), '/', p.h.logs.map((l) => l.message).join('\n'));
      assert.equal((await session(p.h, cookie)).admin, true);
    } finally { await p.close(); }
  });

  it('a dashboard with a client secret authenticates with HTTP Basic; a wrong secret gets no session', async () => {
    const p = await pair({ vars: { DASHBOARD_OIDC_CLIENT_ID: CONFIDENTIAL_CLIENT, DASHBOARD_OIDC_CLIENT_SECRET: CONFIDENTIAL_SECRET } });
    try {
      const { session: cookie } = await signIn(p.h, 'bob');
      assert.equal((await session(p.h, cookie)).name, 'Bob Builder');
    } finally { await p.close(); }
    const wrong = await pair({ vars: { DASHBOARD_OIDC_CLIENT_ID: CONFIDENTIAL_CLIENT, DASHBOARD_OIDC_CLIENT_SECRET: 'wrong' } });
    try {
      const { callback, session: cookie } = await signIn(wrong.h, 'bob');
      assert.equal(callback.headers.get('location'), '/?signin_error=token');
      assert.equal(cookie, undefined);
    } finally { await wrong.close(); }
  });
});
