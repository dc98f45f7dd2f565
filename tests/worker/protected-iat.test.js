// Initial access tokens (docs/protected-registration.md, "Initial access tokens"): minted by the
// admin API, shown once, stored hashed, expiring, exhausting, revocable, never interchangeable
// with registration access tokens; their profile is applied and stored; the use count is atomic.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { start, assertError, assertInvalidToken, assertNoStore, assertJsonContentType, nowSeconds } from './harness.js';

const ADMIN = randomBytes(24).toString('base64url');
const WEB = { redirect_uris: ['https://client.example/cb'], client_name: 'IAT test' };
const POLICY = {
  restricted_scopes: ['offline_access'],
  anonymous: { scopes: ['openid', 'profile', 'email'] },
  profiles: {
    partner: { scopes: ['openid', 'profile', 'email', 'offline_access'] },
    narrow: { scopes: ['openid'] },
    default: { scopes: ['openid', 'email'] },
  },
};

let h;
let expiring; // minted with expires_in: 1 in before(), checked later
let expiringMintedAt;
before(async () => {
  h = await start({ vars: { ADMIN_TOKEN: ADMIN, REGISTRATION_MODE: 'open', REGISTRATION_POLICY: JSON.stringify(POLICY) } });
  expiringMintedAt = Date.now();
  expiring = await mint({ label: 'short-lived', expires_in: 1, max_uses: 5 });
}, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

function admin(method, path, opts = {}) {
  return h.request(method, path, { token: ADMIN, ...opts });
}

async function mint(body) {
  const r = await admin('POST', '/admin/initial-access-tokens', { json: body });
  assert.equal(r.status, 201, `mint: ${r.status} ${r.text}`);
  return r.body;
}

async function listAll() {
  const all = [];
  let cursor;
  for (let i = 0; i < 50; i++) {
    const r = await admin('GET', `/admin/initial-access-tokens?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    all.push(...r.body.initial_access_tokens);
    cursor = r.body.next_cursor;
    if (!cursor) return { all, text: r.text };
  }
  assert.fail('initial access token listing does not end');
}

async function listed(id) {
  const { all } = await listAll();
  const t = all.find((x) => x.id === id);
  assert.ok(t, `token ${id} is not listed`);
  return t;
}

async function summary(clientId) {
  const r = await admin('GET', `/admin/clients/${encodeURIComponent(clientId)}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

describe('minting', { timeout: 60_000 }, () => {
  it('201 with the token shown once; defaults expires_in 86400 and max_uses 1', async () => {
    const r = await admin('POST', '/admin/initial-access-tokens', { json: { label: 'ci pipeline' } });
    assert.equal(r.status, 201, r.text);
    assertJsonContentType(r);
    assertNoStore(r);
    const t = r.body;
    assert.equal(typeof t.id, 'string');
    assert.ok(t.id.length > 0);
    assert.equal(typeof t.token, 'string');
    assert.ok(t.token.length >= 32, `token too short: ${t.token.length}`);
    assert.equal(t.label, 'ci pipeline');
    assert.ok(!('profile' in t), 'no profile was asked for');
    assert.ok(Math.abs(t.created_at - nowSeconds()) <= 5, `created_at ${t.created_at}`);
    assert.equal(t.expires_at, t.created_at + 86400);
    assert.equal(t.max_uses, 1);
    assert.equal(t.uses, 0);
  });

  it('with profile, expires_in and max_uses', async () => {
    const t = await mint({ label: 'partner onboarding', profile: 'partner', expires_in: 3600, max_uses: 7 });
    assert.equal(t.profile, 'partner');
    assert.equal(t.expires_at, t.created_at + 3600);
    assert.equal(t.max_uses, 7);
    assert.equal(t.uses, 0);
    const l = await listed(t.id);
    assert.equal(l.profile, 'partner');
    assert.equal(l.label, 'partner onboarding');
    assert.equal(l.max_uses, 7);
    assert.equal(l.expires_at, t.expires_at);
    assert.equal(l.created_at, t.created_at);
  });

  it('two mints give different ids and tokens', async () => {
    const [a, b] = await Promise.all([mint({ label: 'a' }), mint({ label: 'b' })]);
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.token, b.token);
  });

  it('refuses a profile that the policy does not define, and bad numbers, with 400 invalid_request', async () => {
    for (const body of [
      { label: 'x', profile: 'nonexistent' },
      { label: 'x', max_uses: 0 },
      { label: 'x', max_uses: 100001 },
      { label: 'x', expires_in: 31536001 },
      { label: 'x', expires_in: 0 },
    ]) {
      const r = await admin('POST', '/admin/initial-access-tokens', { json: body });
      assertError(r, 400, 'invalid_request');
    }
  });

  it('the listing never shows a token value', async () => {
    const t = await mint({ label: 'secret-check', max_uses: 3 });
    const { all, text } = await listAll();
    assert.ok(!text.includes(t.token), 'the listing contains the token value');
    for (const x of all) assert.ok(!('token' in x), `listed token ${x.id} has a "token" member`);
    const l = all.find((x) => x.id === t.id);
    assert.ok(l);
    assert.equal(l.uses, 0);
    assert.equal(l.state, 'active');
    assert.ok(!('revoked_at' in l));
  });

  it('D1 holds no token value, only a hash', async () => {
    const t = await mint({ label: 'stored hashed' });
    const db = await h.d1();
    const rows = (await db.prepare('SELECT * FROM initial_access_tokens').all()).results;
    const row = rows.find((r) => r.id === t.id);
    assert.ok(row, 'no row for the minted token');
    assert.ok(row.token_hash && row.token_hash !== t.token);
    const everything = JSON.stringify(rows);
    assert.ok(!everything.includes(t.token), 'initial_access_tokens holds the token value');
    const audit = JSON.stringify((await db.prepare('SELECT * FROM audit_events').all()).results);
    assert.ok(!audit.includes(t.token), 'audit_events holds the token value');
  });
});

describe('using a token', { timeout: 60_000 }, () => {
  it('exhaustion: max_uses registrations, then 401; listed uses = max_uses, state exhausted', async () => {
    const t = await mint({ label: 'two uses', max_uses: 2 });
    await h.registerOk(WEB, { token: t.token });
    assert.equal((await listed(t.id)).uses, 1);
    await h.registerOk(WEB, { token: t.token });
    const r = await h.register(WEB, { token: t.token });
    assertInvalidToken(r);
    const l = await listed(t.id);
    assert.equal(l.uses, 2);
    assert.equal(l.state, 'exhausted');
  });

  it('a refused registration (invalid metadata) does not use the token', async () => {
    const t = await mint({ label: 'refusal', max_uses: 1 });
    const bad = await h.register({ redirect_uris: ['https://client.example/cb#frag'] }, { token: t.token });
    assertError(bad, 400, 'invalid_redirect_uri');
    assert.equal((await listed(t.id)).uses, 0);
    await h.registerOk(WEB, { token: t.token });
  });

  it('revocation: DELETE → 204, then 401; listed with revoked_at and state revoked', async () => {
    const t = await mint({ label: 'to revoke', max_uses: 10 });
    await h.registerOk(WEB, { token: t.token });
    const d = await admin('DELETE', `/admin/initial-access-tokens/${encodeURIComponent(t.id)}`);
    assert.equal(d.status, 204, d.text);
    assert.equal(d.text, '');
    assertNoStore(d);
    assertInvalidToken(await h.register(WEB, { token: t.token }));
    const l = await listed(t.id);
    assert.equal(typeof l.revoked_at, 'number');
    assert.ok(Math.abs(l.revoked_at - nowSeconds()) <= 5, `revoked_at ${l.revoked_at}`);
    assert.equal(l.state, 'revoked');
    assert.equal(l.uses, 1);
    const n = (await (await h.d1()).prepare('SELECT COUNT(*) AS n FROM clients WHERE registered_by = ?').bind(`iat:${t.id}`).first()).n;
    assert.equal(n, 1);
  });

  it('a revoked token is listed as minted (label, max_uses, expires_at), plus revoked_at', async () => {
    const t = await mint({ label: 'revoked listing', max_uses: 10, expires_in: 600 });
    await h.registerOk(WEB, { token: t.token });
    assert.equal((await admin('DELETE', `/admin/initial-access-tokens/${encodeURIComponent(t.id)}`)).status, 204);
    const l = await listed(t.id);
    assert.equal(l.label, 'revoked listing');
    assert.equal(l.expires_at, t.expires_at);
    assert.equal(l.uses, 1);
    assert.equal(l.max_uses, 10, 'the listing must show the max_uses the token was minted with');
  });

  it('expiry: a token minted with expires_in 1 is refused ~2 s later (401)', async () => {
    const wait = expiringMintedAt + 2100 - Date.now();
    if (wait > 0) await sleep(wait);
    const r = await h.register(WEB, { token: expiring.token });
    assertInvalidToken(r);
    const l = await listed(expiring.id);
    assert.equal(l.uses, 0);
    assert.equal(l.state, 'expired');
    assert.ok(l.expires_at <= nowSeconds());
  });

  it('an initial access token is not a registration access token, nor the reverse', async () => {
    const t = await mint({ label: 'not a RAT', max_uses: 5 });
    const c = await h.registerOk(WEB, { token: t.token });
    // The IAT against the client configuration endpoint.
    for (const method of ['GET', 'DELETE']) {
      assertInvalidToken(await h.request(method, h.clientPath(c.client_id), { token: t.token }));
    }
    // The client's registration access token (and secret) as an initial access token.
    assertInvalidToken(await h.register(WEB, { token: c.registration_access_token }));
    assertInvalidToken(await h.register(WEB, { token: c.client_secret }));
    // Neither the refusal nor the 401s used the IAT or changed the client.
    assert.equal((await listed(t.id)).uses, 1);
    const g = await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(g.status, 200, g.text);
    // The admin token is not a registration access token either.
    assertInvalidToken(await h.request('GET', h.clientPath(c.client_id), { token: ADMIN }));
  });
});

describe('profiles', { timeout: 60_000 }, () => {
  it('the profile is applied: partner keeps the restricted scope that anonymous loses', async () => {
    const anon = await h.registerOk({ ...WEB, scope: 'openid offline_access' });
    assert.equal(anon.scope, 'openid');
    const t = await mint({ label: 'partner', profile: 'partner' });
    const c = await h.registerOk({ ...WEB, scope: 'openid offline_access' }, { token: t.token });
    assert.equal(c.scope, 'openid offline_access');
  });

  it('the profile restricts: narrow refuses a scope outside its list (400 naming scope), and the token is not used', async () => {
    const t = await mint({ label: 'narrow', profile: 'narrow' });
    const r = await h.register({ ...WEB, scope: 'openid email' }, { token: t.token });
    assertError(r, 400, 'invalid_client_metadata', 'scope');
    assert.equal((await listed(t.id)).uses, 0);
    const ok = await h.registerOk({ ...WEB, scope: 'openid' }, { token: t.token });
    assert.equal(ok.scope, 'openid');
  });

  it('the class is stored: policy_class profile:<name>, registered_by iat:<id>', async () => {
    const t = await mint({ label: 'stored class', profile: 'partner' });
    const c = await h.registerOk(WEB, { token: t.token });
    const s = await summary(c.client_id);
    assert.equal(s.policy_class, 'profile:partner');
    assert.equal(s.registered_by, `iat:${t.id}`);
    const row = await (await h.d1()).prepare('SELECT policy_class, registered_by FROM clients WHERE client_id = ?').bind(c.client_id).first();
    assert.deepEqual({ ...row }, { policy_class: 'profile:partner', registered_by: `iat:${t.id}` });
  });

  it('a token without profile uses profiles.default', async () => {
    const t = await mint({ label: 'default profile', max_uses: 3 });
    const refused = await h.register({ ...WEB, scope: 'openid profile' }, { token: t.token });
    assertError(refused, 400, 'invalid_client_metadata', 'scope');
    const c = await h.registerOk({ ...WEB, scope: 'openid email offline_access' }, { token: t.token });
    assert.equal(c.scope, 'openid email');
    assert.equal((await summary(c.client_id)).policy_class, 'profile:default');
  });

  it('the stored profile governs later RFC 7592 updates', async () => {
    const t = await mint({ label: 'update class', profile: 'narrow' });
    const c = await h.registerOk({ ...WEB, scope: 'openid' }, { token: t.token });
    const body = { ...c };
    for (const k of ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at', 'client_secret']) delete body[k];
    const r = await h.request('PUT', h.clientPath(c.client_id), { token: c.registration_access_token, json: { ...body, scope: 'openid email' } });
    assertError(r, 400, 'invalid_client_metadata', 'scope');
  });
});

describe('atomic use count', { timeout: 60_000 }, () => {
  it('100 parallel registrations with a max_uses 10 token: exactly 10 succeed', async () => {
    const t = await mint({ label: 'race', max_uses: 10 });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) =>
      h.register({ ...WEB, client_name: `race ${i}` }, { token: t.token })));
    const elapsed = Date.now() - started;
    const byStatus = {};
    for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    if (process.env.DEBUG_RACE) console.log('race statuses', byStatus, elapsed);
    assert.equal(byStatus[201], 10, `statuses: ${JSON.stringify(byStatus)}`);
    for (const r of results) {
      if (r.status === 201) continue;
      assert.ok(r.status === 401 || r.status === 403, `unexpected ${r.status}: ${r.text}`);
      if (r.status === 401) assertInvalidToken(r);
      else assertError(r, 403, 'access_denied');
    }
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.client_id));
    assert.equal(ids.size, 10);

    const l = await listed(t.id);
    assert.equal(l.uses, 10);
    assert.equal(l.max_uses, 10);
    assert.equal(l.state, 'exhausted');
    const db = await h.d1();
    const rows = (await db.prepare('SELECT client_id FROM clients WHERE registered_by = ?').bind(`iat:${t.id}`).all()).results;
    assert.equal(rows.length, 10);
    assert.deepEqual(new Set(rows.map((r) => r.client_id)), ids);
    const used = (await db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE event = 'iat_used' AND actor = ?").bind(`iat:${t.id}`).first()).n;
    assert.equal(used, 10, 'iat_used events');
    assert.ok(elapsed < 20_000, `100 registrations took ${elapsed} ms`);
  });
});
