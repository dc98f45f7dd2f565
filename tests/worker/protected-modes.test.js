// Registration modes (docs/protected-registration.md, "Registration modes"): open, token,
// disabled; the admin token registers in every mode; RFC 7592 management keeps working in all.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { start, createState, removeState, assertError, assertInvalidToken, assertNoStore, without } from './harness.js';

const ADMIN = 'A'.repeat(20) + randomBytes(16).toString('hex');
const WEB = { redirect_uris: ['https://client.example/cb'], client_name: 'Mode test' };
const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];
const DISCOVERY = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

let open, token, disabled;
before(async () => {
  [open, token, disabled] = await Promise.all(['open', 'token', 'disabled'].map(
    (mode) => start({ vars: { ADMIN_TOKEN: ADMIN, REGISTRATION_MODE: mode } }),
  ));
}, { timeout: 60_000 });
after(async () => { await Promise.allSettled([open, token, disabled].map((h) => h?.dispose())); });

async function mint(h, body = {}) {
  const r = await h.request('POST', '/admin/initial-access-tokens', { token: ADMIN, json: { label: 'modes', ...body } });
  assert.equal(r.status, 201, `mint: ${r.status} ${r.text}`);
  return r.body;
}

async function summary(h, clientId) {
  const r = await h.request('GET', `/admin/clients/${encodeURIComponent(clientId)}`, { token: ADMIN });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

/** A 401 for POST /register: invalid_token with the RFC 6750 challenge. */
function assertBearer401(r) {
  assertInvalidToken(r);
  assertNoStore(r);
}

/** RFC 7592 read, update, delete of a freshly registered client, all working. */
async function manageWorks(h, c) {
  const g = await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
  assert.equal(g.status, 200, `GET: ${g.text}`);
  assert.deepEqual(g.body, without(c, 'client_secret'));
  const p = await h.request('PUT', h.clientPath(c.client_id), {
    token: c.registration_access_token,
    json: { ...without(c, ...SERVER_MEMBERS, 'client_secret'), client_name: 'Renamed' },
  });
  assert.equal(p.status, 200, `PUT: ${p.text}`);
  assert.equal(p.body.client_name, 'Renamed');
  const next = p.body.registration_access_token;
  const g2 = await h.request('GET', h.clientPath(c.client_id), { token: next });
  assert.equal(g2.status, 200, `GET after PUT: ${g2.text}`);
  assert.equal(g2.body.client_name, 'Renamed');
  const d = await h.request('DELETE', h.clientPath(c.client_id), { token: next });
  assert.equal(d.status, 204, `DELETE: ${d.text}`);
  assertInvalidToken(await h.request('GET', h.clientPath(c.client_id), { token: next }));
}

describe('REGISTRATION_MODE=open', { timeout: 60_000 }, () => {
  it('anonymous registration: 201, class anonymous', async () => {
    const c = await open.registerOk(WEB);
    const s = await summary(open, c.client_id);
    assert.equal(s.policy_class, 'anonymous');
    assert.equal(s.registered_by, 'anonymous');
  });

  it('a wrong bearer token is never ignored: 401 invalid_token with WWW-Authenticate', async () => {
    const before = (await (await open.d1()).prepare('SELECT COUNT(*) AS n FROM clients').first()).n;
    for (const t of [randomBytes(32).toString('base64url'), 'x', ADMIN.slice(0, -1), ADMIN + 'x']) {
      assertBearer401(await open.register(WEB, { token: t }));
    }
    const after = (await (await open.d1()).prepare('SELECT COUNT(*) AS n FROM clients').first()).n;
    assert.equal(after, before, 'a refused registration stored a client');
  });

  it('a valid initial access token registers with its profile class', async () => {
    const iat = await mint(open);
    const c = await open.registerOk(WEB, { token: iat.token });
    const s = await summary(open, c.client_id);
    assert.equal(s.registered_by, `iat:${iat.id}`);
    assert.match(s.policy_class, /^profile:/);
  });

  it('the admin token registers with class admin', async () => {
    const c = await open.registerOk(WEB, { token: ADMIN });
    const s = await summary(open, c.client_id);
    assert.equal(s.policy_class, 'admin');
    assert.equal(s.registered_by, 'admin');
  });

  it('discovery has registration_endpoint', async () => {
    for (const p of DISCOVERY) {
      const r = await open.request('GET', p);
      assert.equal(r.status, 200);
      assert.equal(r.body.registration_endpoint, `${open.issuer}/register`, p);
    }
  });

  it('RFC 7592 GET/PUT/DELETE work', async () => {
    await manageWorks(open, await open.registerOk(WEB));
  });
});

describe('REGISTRATION_MODE=token', { timeout: 60_000 }, () => {
  it('without a bearer token: 401 invalid_token, WWW-Authenticate: Bearer error="invalid_token"', async () => {
    const r = await token.register(WEB);
    assertBearer401(r);
    assert.match(r.headers.get('www-authenticate'), /^Bearer\b/);
    const n = (await (await token.d1()).prepare('SELECT COUNT(*) AS n FROM clients').first()).n;
    assert.equal(n, 0);
  });

  it('a non-Bearer Authorization counts as no token', async () => {
    assertBearer401(await token.register(WEB, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }));
  });

  it('a wrong bearer token: 401', async () => {
    assertBearer401(await token.register(WEB, { token: randomBytes(32).toString('base64url') }));
  });

  it('a valid initial access token: 201', async () => {
    const iat = await mint(token, { max_uses: 2 });
    const c = await token.registerOk(WEB, { token: iat.token });
    assert.equal(typeof c.client_id, 'string');
    assert.equal(typeof c.registration_access_token, 'string');
    const s = await summary(token, c.client_id);
    assert.equal(s.registered_by, `iat:${iat.id}`);
  });

  it('the admin token: 201, class admin', async () => {
    const c = await token.registerOk(WEB, { token: ADMIN });
    assert.equal((await summary(token, c.client_id)).policy_class, 'admin');
  });

  it('discovery has registration_endpoint', async () => {
    for (const p of DISCOVERY) {
      const r = await token.request('GET', p);
      assert.equal(r.status, 200);
      assert.equal(r.body.registration_endpoint, `${token.issuer}/register`, p);
    }
  });

  it('RFC 7592 GET/PUT/DELETE work for a client registered with an initial access token', async () => {
    const iat = await mint(token);
    await manageWorks(token, await token.registerOk(WEB, { token: iat.token }));
  });
});

describe('REGISTRATION_MODE=disabled', { timeout: 60_000 }, () => {
  it('anonymous: 403 access_denied, nothing stored', async () => {
    const r = await disabled.register(WEB);
    assertError(r, 403, 'access_denied');
    assertNoStore(r);
  });

  it('a valid initial access token: 403 access_denied, the token is not used', async () => {
    const iat = await mint(disabled, { max_uses: 3 });
    assertError(await disabled.register(WEB, { token: iat.token }), 403, 'access_denied');
    const list = await disabled.request('GET', '/admin/initial-access-tokens', { token: ADMIN });
    assert.equal(list.status, 200, list.text);
    const listed = list.body.initial_access_tokens.find((t) => t.id === iat.id);
    assert.ok(listed, 'minted token not listed');
    assert.equal(listed.uses, 0);
    const n = (await (await disabled.d1()).prepare('SELECT COUNT(*) AS n FROM clients').first()).n;
    assert.equal(n, 0, 'a client was stored while registration is disabled');
  });

  it('discovery omits registration_endpoint in both documents (and keeps the rest)', async () => {
    for (const p of DISCOVERY) {
      const r = await disabled.request('GET', p);
      assert.equal(r.status, 200, r.text);
      assert.ok(!('registration_endpoint' in r.body), `${p} still advertises registration_endpoint`);
      assert.equal(r.body.issuer, disabled.issuer);
      assert.ok(Array.isArray(r.body.scopes_supported));
      assert.ok(Array.isArray(r.body.grant_types_supported));
    }
  });

  it('the admin token can still register (class admin), and manage it with RFC 7592', async () => {
    const c = await disabled.registerOk(WEB, { token: ADMIN });
    const s = await summary(disabled, c.client_id);
    assert.equal(s.policy_class, 'admin');
    assert.equal(s.registered_by, 'admin');
    await manageWorks(disabled, c);
  });

  it('a client registered while open keeps RFC 7592 working after registration is disabled', async () => {
    const state = await createState();
    const key = randomBytes(32).toString('hex');
    const h1 = await start({ persistDir: state, vars: { REGISTRAR_HMAC_KEY: key, ADMIN_TOKEN: ADMIN, REGISTRATION_MODE: 'open' } });
    const c = await h1.registerOk({ ...WEB, client_name: 'Legacy' });
    const port = h1.port;
    await h1.dispose();
    const h2 = await start({ persistDir: state, port, vars: { REGISTRAR_HMAC_KEY: key, ADMIN_TOKEN: ADMIN, REGISTRATION_MODE: 'disabled' } });
    try {
      assertError(await h2.register(WEB), 403, 'access_denied');
      await manageWorks(h2, c);
    } finally {
      await h2.dispose();
      removeState(state);
    }
  });
});
