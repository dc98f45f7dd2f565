// REGISTRATION_POLICY (docs/protected-registration.md, "Policy"): per-class grant types, auth
// methods, scopes (allowed, restricted, reserved, default), redirect URI hosts and client quotas;
// the class is stored with the client and governs its RFC 7592 updates.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { start, createState, removeState, assertError, without } from './harness.js';

const ADMIN = randomBytes(24).toString('base64url');
const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];
const WEB = { redirect_uris: ['https://app.example.com/cb'], client_name: 'Policy test' };

const POLICY = {
  reserved_scopes: ['address'],
  restricted_scopes: ['offline_access'],
  anonymous: {
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    token_endpoint_auth_methods: ['none', 'client_secret_basic'],
    scopes: ['openid', 'profile', 'email'],
    default_scope: 'openid profile',
    redirect_uri_hosts: ['127.0.0.1', 'localhost', 'app.example.com', '*.example.org'],
  },
  profiles: {
    // Lists the reserved scope: it is dropped all the same.
    partner: { scopes: ['openid', 'profile', 'email', 'offline_access', 'address'] },
    machines: { grant_types: ['client_credentials'], token_endpoint_auth_methods: ['client_secret_basic', 'private_key_jwt'] },
  },
  admin: {},
};

const QUOTA_POLICY = {
  anonymous: { max_clients: 3 },
  profiles: { burst: { max_clients: 5 } },
};

let h; // POLICY
let q; // QUOTA_POLICY
before(async () => {
  [h, q] = await Promise.all([
    start({ vars: { ADMIN_TOKEN: ADMIN, REGISTRATION_POLICY: JSON.stringify(POLICY) } }),
    start({ vars: { ADMIN_TOKEN: ADMIN, REGISTRATION_POLICY: JSON.stringify(QUOTA_POLICY) } }),
  ]);
}, { timeout: 60_000 });
after(async () => { await Promise.allSettled([h?.dispose(), q?.dispose()]); });

async function mint(x, body) {
  const r = await x.request('POST', '/admin/initial-access-tokens', { token: ADMIN, json: { label: 'policy', ...body } });
  assert.equal(r.status, 201, `mint: ${r.status} ${r.text}`);
  return r.body;
}

async function clientCount(x, where = '1 = 1', ...args) {
  const stmt = (await x.d1()).prepare(`SELECT COUNT(*) AS n FROM clients WHERE ${where}`);
  return (await (args.length ? stmt.bind(...args) : stmt).first()).n;
}

/** Registration refused with `code`, naming `member`, and nothing stored. */
async function refused(x, meta, code, member, extra) {
  const n = await clientCount(x);
  const r = await x.register(meta, extra);
  assertError(r, 400, code, member);
  assert.equal(await clientCount(x), n, 'a refused registration stored a client');
  return r;
}

describe('grant types and auth methods', { timeout: 60_000 }, () => {
  it('anonymous client_credentials → 400 invalid_client_metadata naming grant_types[0]', async () => {
    await refused(h, { grant_types: ['client_credentials'], client_name: 'm2m' }, 'invalid_client_metadata', 'grant_types[0]');
  });

  it('names the index of the refused grant type', async () => {
    await refused(h, { ...WEB, grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:token-exchange'] },
      'invalid_client_metadata', 'grant_types[1]');
    await refused(h, { ...WEB, grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'] },
      'invalid_client_metadata', 'grant_types[2]');
  });

  it('allowed grant types pass', async () => {
    const c = await h.registerOk({ ...WEB, grant_types: ['authorization_code', 'refresh_token'] });
    assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);
  });

  it('anonymous client_secret_post → 400 invalid_client_metadata naming token_endpoint_auth_method', async () => {
    await refused(h, { ...WEB, token_endpoint_auth_method: 'client_secret_post' }, 'invalid_client_metadata', 'token_endpoint_auth_method');
  });

  it('the default auth method is checked too (allowed here), and none passes', async () => {
    const c = await h.registerOk(WEB);
    assert.equal(c.token_endpoint_auth_method, 'client_secret_basic');
    const p = await h.registerOk({ redirect_uris: ['http://127.0.0.1:4000/cb'], token_endpoint_auth_method: 'none' });
    assert.equal(p.token_endpoint_auth_method, 'none');
  });

  it('a profile may allow what anonymous may not (client_credentials)', async () => {
    const t = await mint(h, { profile: 'machines' });
    const c = await h.registerOk({ grant_types: ['client_credentials'], client_name: 'm2m' }, { token: t.token });
    assert.deepEqual(c.grant_types, ['client_credentials']);
    // ... and refuses what it does not list.
    const t2 = await mint(h, { profile: 'machines' });
    await refused(h, WEB, 'invalid_client_metadata', 'grant_types[0]', { token: t2.token });
  });

  it('the admin class (empty policy) is not restricted', async () => {
    const c = await h.registerOk({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' }, { token: ADMIN });
    assert.deepEqual(c.grant_types, ['client_credentials']);
  });
});

describe('scopes', { timeout: 60_000 }, () => {
  it('a scope outside the class list → 400 invalid_client_metadata naming scope', async () => {
    await refused(h, { ...WEB, scope: 'openid phone' }, 'invalid_client_metadata', 'scope');
  });

  it('a restricted scope is dropped for anonymous; the 201 and the stored registration show the narrowed scope', async () => {
    const c = await h.registerOk({ ...WEB, scope: 'openid email offline_access' });
    assert.equal(c.scope, 'openid email');
    const g = await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(g.body.scope, 'openid email');
    const row = await (await h.d1()).prepare('SELECT metadata FROM clients WHERE client_id = ?').bind(c.client_id).first();
    assert.equal(JSON.parse(row.metadata).scope, 'openid email');
  });

  it('only restricted scopes asked: the class default_scope applies', async () => {
    const c = await h.registerOk({ ...WEB, scope: 'offline_access' });
    assert.equal(c.scope, 'openid profile');
  });

  it('a restricted scope is kept for a profile that lists it', async () => {
    const t = await mint(h, { profile: 'partner' });
    const c = await h.registerOk({ ...WEB, scope: 'openid offline_access' }, { token: t.token });
    assert.equal(c.scope, 'openid offline_access');
  });

  it('a restricted scope is dropped for a profile that does not list it', async () => {
    const t = await mint(h, { profile: 'machines' });
    const c = await h.registerOk({ grant_types: ['client_credentials'], scope: 'openid offline_access' }, { token: t.token });
    assert.equal(c.scope, 'openid');
  });

  it('a reserved scope is dropped for everyone: anonymous, a profile listing it, the admin', async () => {
    const anon = await h.registerOk({ ...WEB, scope: 'openid address' });
    assert.equal(anon.scope, 'openid');
    const t = await mint(h, { profile: 'partner' });
    const partner = await h.registerOk({ ...WEB, scope: 'openid address email' }, { token: t.token });
    assert.equal(partner.scope, 'openid email');
    const adm = await h.registerOk({ ...WEB, scope: 'openid address' }, { token: ADMIN });
    assert.equal(adm.scope, 'openid');
  });

  it("the class default_scope replaces DEFAULT_SCOPE when no scope is asked; a class without one gets DEFAULT_SCOPE", async () => {
    const anon = await h.registerOk(WEB);
    assert.equal(anon.scope, 'openid profile');
    const t = await mint(h, { profile: 'partner' });
    const partner = await h.registerOk(WEB, { token: t.token });
    assert.equal(partner.scope, h.vars.DEFAULT_SCOPE);
  });
});

describe('redirect_uri_hosts', { timeout: 60_000 }, () => {
  it('exact hosts and loopback are allowed', async () => {
    for (const uri of ['https://app.example.com/cb', 'http://127.0.0.1:5000/cb', 'http://localhost/cb']) {
      await h.registerOk({ redirect_uris: [uri] });
    }
  });

  it('*.example.org matches exactly one more label', async () => {
    await h.registerOk({ redirect_uris: ['https://a.example.org/cb'] });
    await h.registerOk({ redirect_uris: ['https://B-2.example.org:8443/cb?x=1'] });
    await refused(h, { redirect_uris: ['https://example.org/cb'] }, 'invalid_redirect_uri', 'redirect_uris[0]');
    await refused(h, { redirect_uris: ['https://a.b.example.org/cb'] }, 'invalid_redirect_uri', 'redirect_uris[0]');
    await refused(h, { redirect_uris: ['https://evilexample.org/cb'] }, 'invalid_redirect_uri', 'redirect_uris[0]');
  });

  it('another host → 400 invalid_redirect_uri naming redirect_uris[i]', async () => {
    await refused(h, { redirect_uris: ['https://evil.example.net/cb'] }, 'invalid_redirect_uri', 'redirect_uris[0]');
    await refused(h, { redirect_uris: ['https://app.example.com/cb', 'https://app.example.com.evil.net/cb'] }, 'invalid_redirect_uri', 'redirect_uris[1]');
    await refused(h, { redirect_uris: ['https://sub.app.example.com/cb'] }, 'invalid_redirect_uri', 'redirect_uris[0]');
  });

  it('private-use schemes are not host-based and are allowed', async () => {
    const c = await h.registerOk({ redirect_uris: ['com.example.app:/oauth2redirect'], token_endpoint_auth_method: 'none' });
    assert.deepEqual(c.redirect_uris, ['com.example.app:/oauth2redirect']);
    assert.equal(c.application_type, 'native');
  });

  it('a class without redirect_uri_hosts is not restricted', async () => {
    const t = await mint(h, { profile: 'partner' });
    await h.registerOk({ redirect_uris: ['https://anywhere.example.net/cb'] }, { token: t.token });
  });
});

describe('RFC 7592 PUT is held to the stored class policy', { timeout: 60_000 }, () => {
  const putBody = (c) => without(c, ...SERVER_MEMBERS, 'client_secret');

  it('anonymous client: a disallowed scope, grant type, auth method or host is refused and nothing changes', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Anon', scope: 'openid' });
    const put = (json) => h.request('PUT', h.clientPath(c.client_id), { token: c.registration_access_token, json });
    assertError(await put({ ...putBody(c), scope: 'openid phone' }), 400, 'invalid_client_metadata', 'scope');
    assertError(await put({ ...putBody(c), grant_types: ['authorization_code', 'client_credentials'] }), 400, 'invalid_client_metadata', 'grant_types[1]');
    assertError(await put({ ...putBody(c), token_endpoint_auth_method: 'client_secret_post' }), 400, 'invalid_client_metadata', 'token_endpoint_auth_method');
    assertError(await put({ ...putBody(c), redirect_uris: ['https://evil.example.net/cb'] }), 400, 'invalid_redirect_uri', 'redirect_uris[0]');
    // The refusals changed nothing (and did not rotate the token).
    const g = await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body, without(c, 'client_secret'));
  });

  it('anonymous client: a restricted scope is dropped in the update too', async () => {
    const c = await h.registerOk({ ...WEB, scope: 'openid' });
    const r = await h.request('PUT', h.clientPath(c.client_id), {
      token: c.registration_access_token, json: { ...putBody(c), scope: 'openid email offline_access' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.scope, 'openid email');
  });

  it('a partner client keeps the restricted scope it was registered with; one added by an update is dropped (it needs the admin API)', async () => {
    const t = await mint(h, { profile: 'partner', max_uses: 2 });
    const kept = await h.registerOk({ ...WEB, scope: 'openid offline_access' }, { token: t.token });
    const r = await h.request('PUT', h.clientPath(kept.client_id), {
      token: kept.registration_access_token, json: putBody(kept),
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.scope, 'openid offline_access');

    const c = await h.registerOk({ ...WEB, scope: 'openid' }, { token: t.token });
    const added = await h.request('PUT', h.clientPath(c.client_id), {
      token: c.registration_access_token, json: { ...putBody(c), scope: 'openid offline_access' },
    });
    assert.equal(added.status, 200, added.text);
    assert.equal(added.body.scope, 'openid');
    const host = await h.request('PUT', h.clientPath(c.client_id), {
      token: added.body.registration_access_token, json: { ...putBody(c), redirect_uris: ['https://anywhere.example.net/cb'] },
    });
    assertError(host, 400, 'invalid_redirect_uri', 'redirect_uris[0]');
    assert.match(host.body.error_description, /needs the admin API/);
  });

  it('an admin-registered client keeps what the admin gave it; adding more than anonymous may have is refused', async () => {
    const c = await h.registerOk({ ...WEB, scope: 'openid', grant_types: ['authorization_code', 'client_credentials'], redirect_uris: ['https://anywhere.example.net/cb'] }, { token: ADMIN });
    const r = await h.request('PUT', h.clientPath(c.client_id), { token: c.registration_access_token, json: { ...putBody(c), client_name: 'renamed' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.grant_types, ['authorization_code', 'client_credentials']);
    assert.deepEqual(r.body.redirect_uris, ['https://anywhere.example.net/cb']);
    const more = await h.request('PUT', h.clientPath(c.client_id), {
      token: r.body.registration_access_token,
      json: { ...putBody(c), grant_types: ['authorization_code', 'client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer'] },
    });
    assertError(more, 400, 'invalid_client_metadata', 'grant_types[2]');
  });
});

describe('max_clients', { timeout: 60_000 }, () => {
  let made = [];
  it('anonymous max_clients 3: the 4th → 403 access_denied; other classes are not counted', async () => {
    for (let i = 0; i < 3; i++) made.push(await q.registerOk({ ...WEB, client_name: `quota ${i}` }));
    const r = await q.register({ ...WEB, client_name: 'quota 3' });
    assertError(r, 403, 'access_denied');
    assert.equal(await clientCount(q, "policy_class = 'anonymous'"), 3);
    // The admin and a profile token are other classes.
    await q.registerOk(WEB, { token: ADMIN });
    const t = await mint(q, { profile: 'burst' });
    await q.registerOk(WEB, { token: t.token });
    assertError(await q.register(WEB), 403, 'access_denied');
    assert.equal(await clientCount(q, "policy_class = 'anonymous'"), 3);
  });

  it('an RFC 7592 DELETE of a client in a class with max_clients: 204, and it frees exactly one place', async () => {
    const victim = made.shift();
    const d = await q.request('DELETE', q.clientPath(victim.client_id), { token: victim.registration_access_token });
    assert.equal(await clientCount(q, 'client_id = ?', victim.client_id), 0, 'the client was not deleted');
    made.push(await q.registerOk({ ...WEB, client_name: 'quota again' }));
    assertError(await q.register(WEB), 403, 'access_denied');
    assert.equal(d.status, 204, `DELETE /register/{id} deleted the client but answered ${d.status} ${d.text}`);
  });

  it('an admin DELETE of a client in a class with max_clients: 204, and it frees exactly one place', async () => {
    const victim = made.shift();
    const d = await q.request('DELETE', `/admin/clients/${encodeURIComponent(victim.client_id)}`, { token: ADMIN });
    assert.equal(await clientCount(q, 'client_id = ?', victim.client_id), 0, 'the client was not deleted');
    made.push(await q.registerOk(WEB));
    assertError(await q.register(WEB), 403, 'access_denied');
    assert.equal(await clientCount(q, "policy_class = 'anonymous'"), 3);
    assert.equal(d.status, 204, `DELETE /admin/clients/{id} deleted the client but answered ${d.status} ${d.text}`);
  });

  it('under parallel requests exactly max_clients succeed (profile burst, max 5, 30 at once)', async () => {
    const t = await mint(q, { profile: 'burst', max_uses: 1000 });
    // The first max_clients test registered one burst client: count what is there first.
    const existing = await clientCount(q, "policy_class = 'profile:burst'");
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      q.register({ ...WEB, client_name: `burst ${i}` }, { token: t.token })));
    const ok = results.filter((r) => r.status === 201);
    assert.equal(ok.length, 5 - existing, `statuses: ${results.map((r) => r.status).join(',')}`);
    for (const r of results) if (r.status !== 201) assertError(r, 403, 'access_denied');
    assert.equal(await clientCount(q, "policy_class = 'profile:burst'"), 5);
    // The refused registrations did not use the token.
    const list = await q.request('GET', '/admin/initial-access-tokens?limit=100', { token: ADMIN });
    assert.equal(list.body.initial_access_tokens.find((x) => x.id === t.id).uses, 5 - existing);
  });

  it('max_clients follows the configuration: existing clients count, and a removed limit no longer restricts', async () => {
    const state = await createState();
    const key = randomBytes(32).toString('hex');
    const run = async (policy, fn) => {
      const vars = { REGISTRAR_HMAC_KEY: key, ...(policy ? { REGISTRATION_POLICY: JSON.stringify(policy) } : {}) };
      const x = await start({ persistDir: state, vars });
      try { await fn(x); } finally { await x.dispose(); }
    };
    try {
      // Two clients registered while there was no limit.
      await run(null, async (x) => { await x.registerOk(WEB); await x.registerOk(WEB); });
      // max_clients 3: they count, so one more fits.
      await run({ anonymous: { max_clients: 3 } }, async (x) => {
        await x.registerOk(WEB);
        assertError(await x.register(WEB), 403, 'access_denied');
      });
      // Raised to 4: one more.
      await run({ anonymous: { max_clients: 4 } }, async (x) => {
        await x.registerOk(WEB);
        assertError(await x.register(WEB), 403, 'access_denied');
      });
      // The limit removed ("what is left out does not restrict"): registration is unlimited again.
      await run({ anonymous: { scopes: ['openid', 'profile', 'email'] } }, async (x) => {
        const r = await x.register(WEB);
        assert.equal(r.status, 201, `with max_clients removed from the policy: ${r.status} ${r.text}`);
      });
      await run(null, async (x) => {
        const r = await x.register(WEB);
        assert.equal(r.status, 201, `with REGISTRATION_POLICY unset: ${r.status} ${r.text}`);
      });
    } finally {
      removeState(state);
    }
  });

  it('parallel anonymous registrations against a fresh quota: exactly max succeed', async () => {
    const x = await start({ vars: { REGISTRATION_POLICY: JSON.stringify({ anonymous: { max_clients: 4 } }) } });
    try {
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => x.register({ ...WEB, client_name: `p ${i}` })));
      assert.equal(results.filter((r) => r.status === 201).length, 4, `statuses: ${results.map((r) => r.status).join(',')}`);
      for (const r of results) if (r.status !== 201) assertError(r, 403, 'access_denied');
      assert.equal(await clientCount(x), 4);
    } finally {
      await x.dispose();
    }
  });
});
