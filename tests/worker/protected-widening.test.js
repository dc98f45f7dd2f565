// Issue 11, items 3 and 4 (docs/protected-registration.md, "Policy" and "Admin API"):
//   - a client updating itself through RFC 7592 PUT keeps what it has and may add only what
//     anonymous registration may have, whichever class registered it (anonymous, an initial
//     access token's profile, the admin); more goes through PUT /admin/clients/{id};
//   - an initial access token whose profile was removed from REGISTRATION_POLICY is refused
//     (401, unused, audited, listed as profile_removed), and the clients of that profile are
//     judged by the anonymous rules on PUT.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { start, createState, removeState, assertError, assertInvalidToken, assertNoStore, without } from './harness.js';

const ADMIN = randomBytes(24).toString('base64url');
const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];
const WEB = { redirect_uris: ['https://app.example.com/cb'], client_name: 'Widening test', scope: 'openid' };
const CC = ['authorization_code', 'client_credentials'];
const FOREIGN = ['https://elsewhere.example.net/cb'];

const ANONYMOUS = {
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_methods: ['none', 'client_secret_basic'],
  scopes: ['openid', 'profile', 'email'],
  redirect_uri_hosts: ['127.0.0.1', 'app.example.com'],
};
const PARTNER = {
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  scopes: ['openid', 'profile', 'email', 'offline_access'],
};
const POLICY = { restricted_scopes: ['offline_access'], anonymous: ANONYMOUS, profiles: { partner: PARTNER }, admin: {} };

/** The RFC 7592 update body of a client information response (or a read). */
const putBody = (c) => without(c, ...SERVER_MEMBERS, 'client_secret');

function admin(x, method, path, json) {
  return x.request(method, path, { token: ADMIN, ...(json === undefined ? {} : { json }) });
}

async function mint(x, body) {
  const r = await admin(x, 'POST', '/admin/initial-access-tokens', { label: 'widening', ...body });
  assert.equal(r.status, 201, `mint: ${r.status} ${r.text}`);
  return r.body;
}

async function storedMetadata(x, clientId) {
  const row = await (await x.d1()).prepare('SELECT metadata FROM clients WHERE client_id = ?').bind(clientId).first();
  return JSON.parse(row.metadata);
}

/** A client and its current registration access token, updated as PUTs rotate it. */
function managed(x, reg) {
  const c = { id: reg.client_id, token: reg.registration_access_token, last: reg };
  c.put = async (json) => {
    const r = await x.request('PUT', x.clientPath(c.id), { token: c.token, json });
    if (r.status === 200) { c.token = r.body.registration_access_token; c.last = r.body; }
    return r;
  };
  return c;
}

let h;
before(async () => {
  h = await start({ vars: { ADMIN_TOKEN: ADMIN, REGISTRATION_POLICY: JSON.stringify(POLICY) } });
}, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

describe('RFC 7592 PUT cannot widen a client; the admin PUT can', { timeout: 120_000 }, () => {
  const classes = [
    ['anonymous', 'anonymous', async () => ({})],
    ['an initial access token with a profile allowing client_credentials and offline_access', 'profile:partner',
      async () => ({ token: (await mint(h, { profile: 'partner' })).token })],
    ['the admin', 'admin', async () => ({ token: ADMIN })],
  ];
  for (const [name, policyClass, how] of classes) {
    it(`registered by ${name}`, async () => {
      const reg = await h.registerOk(WEB, await how());
      const c = managed(h, reg);
      const before = await storedMetadata(h, c.id);

      const cc = await c.put({ ...putBody(reg), grant_types: CC });
      assertError(cc, 400, 'invalid_client_metadata', 'grant_types[1]: client_credentials is not allowed for anonymous registration');
      assert.match(cc.body.error_description, /needs the admin API/);
      const host = await c.put({ ...putBody(reg), redirect_uris: FOREIGN });
      assertError(host, 400, 'invalid_redirect_uri', 'redirect_uris[0]');
      assert.match(host.body.error_description, /needs the admin API/);
      const method = await c.put({ ...putBody(reg), token_endpoint_auth_method: 'client_secret_post' });
      assertError(method, 400, 'invalid_client_metadata', 'token_endpoint_auth_method');
      assert.deepEqual(await storedMetadata(h, c.id), before, 'a refused update changed the client');

      const scope = await c.put({ ...putBody(reg), scope: 'openid offline_access' });
      assert.equal(scope.status, 200, scope.text);
      assert.equal(scope.body.scope, 'openid', 'the restricted scope is dropped and the response says so');
      const same = await c.put(putBody(c.last));
      assert.equal(same.status, 200, same.text);
      assert.deepEqual(without(same.body, 'registration_access_token'), without(scope.body, 'registration_access_token'));

      // The admin adds them; the class, the client's token and its secret stay.
      const wide = { ...putBody(c.last), grant_types: CC, scope: 'openid offline_access', redirect_uris: FOREIGN };
      const a = await admin(h, 'PUT', `/admin/clients/${encodeURIComponent(c.id)}`, wide);
      assert.equal(a.status, 200, a.text);
      assertNoStore(a);
      assert.deepEqual(a.body.metadata.grant_types, CC);
      assert.equal(a.body.metadata.scope, 'openid offline_access');
      assert.deepEqual(a.body.metadata.redirect_uris, FOREIGN);
      assert.equal(a.body.policy_class, policyClass);
      assert.ok(!('client_secret' in a.body), 'the client keeps its secret');
      const ev = await admin(h, 'GET', `/admin/audit?client_id=${encodeURIComponent(c.id)}&event=client_updated&limit=1`);
      assert.equal(ev.body.events[0].actor, 'admin');

      // Afterwards the client keeps them through its own updates, with the same token.
      const read = await h.request('GET', h.clientPath(c.id), { token: c.token });
      assert.equal(read.status, 200, read.text);
      const keep = await c.put({ ...putBody(read.body), client_name: 'kept' });
      assert.equal(keep.status, 200, keep.text);
      assert.deepEqual(keep.body.grant_types, CC);
      assert.equal(keep.body.scope, 'openid offline_access');
      assert.deepEqual(keep.body.redirect_uris, FOREIGN);
    });
  }

  it('a profile client keeps client_credentials and offline_access its profile gave it', async () => {
    const t = await mint(h, { profile: 'partner' });
    const reg = await h.registerOk({ ...WEB, grant_types: CC, scope: 'openid offline_access' }, { token: t.token });
    const c = managed(h, reg);
    const keep = await c.put(putBody(reg));
    assert.equal(keep.status, 200, keep.text);
    assert.deepEqual(keep.body.grant_types, CC);
    assert.equal(keep.body.scope, 'openid offline_access');
  });

  it('PUT /admin/clients/{id}: 401 without the admin token, 404 for an unknown client, 400 for server-only members or another client_id', async () => {
    const reg = await h.registerOk(WEB);
    const path = `/admin/clients/${encodeURIComponent(reg.client_id)}`;
    assertInvalidToken(await h.request('PUT', path, { json: putBody(reg) }));
    assertInvalidToken(await h.request('PUT', path, { token: reg.registration_access_token, json: putBody(reg) }));
    assertError(await admin(h, 'PUT', '/admin/clients/AAAAAAAAAAAAAAAAAAAAAA', putBody(reg)), 404, 'not_found');
    assertError(await admin(h, 'PUT', path, reg), 400, 'invalid_request');
    assertError(await admin(h, 'PUT', path, { ...putBody(reg), client_id: 'AAAAAAAAAAAAAAAAAAAAAA' }), 400, 'invalid_request', 'client_id');
    assertError(await admin(h, 'PUT', path, { ...putBody(reg), redirect_uris: ['https://x.example/#f'] }), 400, 'invalid_redirect_uri');
    assert.deepEqual(await storedMetadata(h, reg.client_id), without(putBody(reg), 'client_id'));
  });
});

describe('an initial access token whose profile was removed', { timeout: 120_000 }, () => {
  it('is refused with 401 naming the removal, unused and audited; its clients are judged by the anonymous rules', async () => {
    const state = await createState();
    const key = randomBytes(32).toString('hex');
    const run = async (policy, fn) => {
      const x = await start({ persistDir: state, vars: { REGISTRAR_HMAC_KEY: key, ADMIN_TOKEN: ADMIN, REGISTRATION_POLICY: JSON.stringify(policy) } });
      try { return await fn(x); } finally { await x.dispose(); }
    };
    try {
      const withP = { ...POLICY, profiles: { ...POLICY.profiles, p: PARTNER } };
      const { token, reg } = await run(withP, async (x) => {
        const t = await mint(x, { profile: 'p', max_uses: 5 });
        const r = await x.registerOk({ ...WEB, grant_types: CC, scope: 'openid offline_access' }, { token: t.token });
        return { token: t, reg: r };
      });

      await run(POLICY, async (x) => {
        const r = await x.register(WEB, { token: token.token });
        assertInvalidToken(r);
        assert.match(r.body.error_description, /profile is no longer configured/);
        const list = await admin(x, 'GET', '/admin/initial-access-tokens?limit=100');
        const listed = list.body.initial_access_tokens.find((t) => t.id === token.id);
        assert.equal(listed.uses, 1, 'the refused registration did not use the token');
        assert.equal(listed.state, 'profile_removed');
        assert.equal(listed.profile, 'p');
        const ev = await admin(x, 'GET', `/admin/audit?event=registration_refused&actor=${encodeURIComponent(`iat:${token.id}`)}`);
        assert.equal(ev.body.events.length, 1, ev.text);
        assert.match(JSON.stringify(ev.body.events[0].detail), /invalid_token/);
        const n = await (await x.d1()).prepare('SELECT COUNT(*) AS n FROM clients').first();
        assert.equal(n.n, 1, 'no client was stored');

        // The client registered with p: it keeps what it has, adds only what anonymous may.
        const c = managed(x, reg);
        const keep = await c.put(putBody(reg));
        assert.equal(keep.status, 200, keep.text);
        assert.deepEqual(keep.body.grant_types, CC);
        assert.equal(keep.body.scope, 'openid offline_access');
        assertError(await c.put({ ...putBody(c.last), redirect_uris: [...WEB.redirect_uris, ...FOREIGN] }), 400, 'invalid_redirect_uri', 'redirect_uris[1]');
        assertError(await c.put({ ...putBody(c.last), scope: 'openid offline_access address' }), 400, 'invalid_client_metadata', 'scope');
        assertError(await c.put({ ...putBody(c.last), grant_types: [...CC, 'urn:ietf:params:oauth:grant-type:jwt-bearer'] }), 400, 'invalid_client_metadata', 'grant_types[2]');
      });
    } finally {
      removeState(state);
    }
  });
});
