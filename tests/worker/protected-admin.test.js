// The admin API (docs/protected-registration.md, "Admin API"): authorisation, methods, headers,
// client search with keyset pagination, and the client lifecycle (suspend, reactivate, delete,
// secret rotation, registration access token re-issue).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  start, assertError, assertInvalidToken, assertJsonContentType, headerList, without, nowSeconds,
} from './harness.js';

const ADMIN = randomBytes(24).toString('base64url');
const WEB = { redirect_uris: ['https://client.example/cb'], client_name: 'Admin test' };
const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];
// The members of a summary of a client with a secret (WEB: client_secret_basic); a public client's
// has no client_secret_expires_at (tests/admin_flow.rs).
const SUMMARY_KEYS = ['client_id', 'client_id_issued_at', 'client_secret_expires_at', 'metadata', 'policy_class', 'registered_by', 'status', 'updated_at'];
const EVIL_ORIGIN = 'https://evil.example';

let h; // ADMIN_TOKEN set
let off; // ADMIN_TOKEN unset
before(async () => {
  [h, off] = await Promise.all([start({ vars: { ADMIN_TOKEN: ADMIN } }), start()]);
}, { timeout: 60_000 });
after(async () => { await Promise.allSettled([h?.dispose(), off?.dispose()]); });

const enc = encodeURIComponent;
function admin(x, method, path, opts = {}) {
  return x.request(method, path, { token: ADMIN, origin: EVIL_ORIGIN, ...opts });
}

/** Every admin response: no-store, and no CORS header at all. */
function assertAdminHeaders(r, what) {
  const cc = (r.headers.get('cache-control') ?? '').split(',').map((s) => s.trim().toLowerCase());
  assert.ok(cc.includes('no-store'), `${what}: Cache-Control is ${JSON.stringify(r.headers.get('cache-control'))}`);
  for (const [name] of r.headers) {
    assert.ok(!name.toLowerCase().startsWith('access-control-'), `${what}: admin response has ${name}`);
  }
}

/** No member anywhere named like a credential (client_secret, *_token, *_hash). */
function assertNoCredentialMembers(v, p = '$') {
  if (Array.isArray(v)) v.forEach((x, i) => assertNoCredentialMembers(x, `${p}[${i}]`));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      assert.ok(!/^client_secret$|token$|_hash$/.test(k), `credential member ${p}.${k}`);
      assertNoCredentialMembers(x, `${p}.${k}`);
    }
  }
}

/** The routes of the admin API, with a real client and initial access token id. */
function routes(clientId, iatId) {
  const c = `/admin/clients/${enc(clientId)}`;
  return [
    ['GET', '/admin/clients'],
    ['GET', '/admin/clients?q=x&limit=5'],
    ['GET', c],
    ['DELETE', c],
    ['POST', `${c}/suspend`],
    ['POST', `${c}/reactivate`],
    ['POST', `${c}/client-secret`],
    ['POST', `${c}/registration-access-token`],
    ['GET', '/admin/initial-access-tokens'],
    ['POST', '/admin/initial-access-tokens', { label: 'should not be minted' }],
    ['DELETE', `/admin/initial-access-tokens/${enc(iatId)}`],
    ['GET', '/admin/audit'],
    ['PUT', c, { redirect_uris: ['https://should-not-be-set.example/cb'] }],
  ];
}

async function mint(x = h, body = {}) {
  const r = await admin(x, 'POST', '/admin/initial-access-tokens', { json: { label: 'admin test', ...body } });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function row(clientId) {
  return (await h.d1()).prepare('SELECT * FROM clients WHERE client_id = ?').bind(clientId).first();
}

describe('authorisation', { timeout: 60_000 }, () => {
  let c, iat;
  before(async () => {
    c = await h.registerOk(WEB);
    iat = await mint(h, { max_uses: 2 });
  });

  it('every route without a token, or with a wrong one: 401 invalid_token, WWW-Authenticate, no-store, no CORS', async () => {
    const wrong = [
      undefined,
      randomBytes(24).toString('base64url'),
      ADMIN + 'x',
      ADMIN.slice(0, -1),
      ADMIN.toUpperCase() === ADMIN ? ADMIN.toLowerCase() : ADMIN.toUpperCase(),
      c.registration_access_token,
      c.client_secret,
      iat.token,
    ];
    for (const [method, path, json] of routes(c.client_id, iat.id)) {
      for (const token of wrong) {
        const r = await h.request(method, path, { token, json, origin: EVIL_ORIGIN });
        assertInvalidToken(r);
        assertAdminHeaders(r, `${method} ${path}`);
      }
      // The admin token under another scheme is no bearer token.
      const basic = await h.request(method, path, { json, headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` } });
      assertInvalidToken(basic);
    }
    // Nothing happened to the client or the token.
    const s = await admin(h, 'GET', `/admin/clients/${enc(c.client_id)}`);
    assert.equal(s.status, 200, s.text);
    assert.equal(s.body.status, 'active');
    assert.equal(s.body.updated_at, s.body.client_id_issued_at);
    const g = await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(g.status, 200, 'the registration access token changed');
    const list = await admin(h, 'GET', '/admin/initial-access-tokens?limit=100');
    assert.ok(!list.body.initial_access_tokens.some((t) => t.label === 'should not be minted'), 'a token was minted without authorisation');
    assert.ok(!('revoked_at' in list.body.initial_access_tokens.find((t) => t.id === iat.id)));
  });

  it('with ADMIN_TOKEN unset every route answers 404 not_found, whatever the token', async () => {
    const oc = await off.registerOk(WEB);
    for (const [method, path, json] of routes(oc.client_id, 'someid')) {
      for (const token of [undefined, ADMIN, oc.registration_access_token]) {
        const r = await off.request(method, path, { token, json, origin: EVIL_ORIGIN });
        assertError(r, 404, 'not_found');
        assertAdminHeaders(r, `${method} ${path} (admin off)`);
        assert.equal(r.headers.get('www-authenticate'), null);
      }
    }
    const g = await off.request('GET', off.clientPath(oc.client_id), { token: oc.registration_access_token });
    assert.equal(g.status, 200, 'an admin call without ADMIN_TOKEN changed the client');
  });

  it('the admin token works on every route (status per the table), with no-store and no CORS', async () => {
    const x = await h.registerOk(WEB);
    const t = await mint(h);
    const expected = [200, 200, 200, 204, 200, 200, 200, 200, 200, 201, 204, 200, 200];
    const rs = routes(x.client_id, t.id);
    // Delete the client last so the per-client actions find it.
    const order = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 3];
    for (const i of order) {
      const [method, path, json] = rs[i];
      const r = await admin(h, method, path, { json });
      assert.equal(r.status, expected[i], `${method} ${path}: ${r.status} ${r.text}`);
      assertAdminHeaders(r, `${method} ${path}`);
      if (r.status !== 204) assertJsonContentType(r);
      else assert.equal(r.text, '');
    }
  });

  it('non-admin responses do carry CORS (so the admin check above can fail)', async () => {
    const r = await h.register(WEB, { origin: EVIL_ORIGIN });
    assert.equal(r.status, 201);
    assert.ok(r.headers.get('access-control-allow-origin'), 'POST /register has no Access-Control-Allow-Origin');
  });
});

describe('methods', { timeout: 60_000 }, () => {
  it('a wrong method → 405 with Allow listing the route methods', async () => {
    const c = await h.registerOk(WEB);
    const id = enc(c.client_id);
    const cases = [
      ['PUT', '/admin/clients', ['get']],
      ['POST', '/admin/clients', ['get']],
      ['DELETE', '/admin/clients', ['get']],
      ['POST', `/admin/clients/${id}`, ['get', 'put', 'delete']],
      ['PATCH', `/admin/clients/${id}`, ['get', 'put', 'delete']],
      ['GET', `/admin/clients/${id}/suspend`, ['post']],
      ['DELETE', `/admin/clients/${id}/reactivate`, ['post']],
      ['PUT', `/admin/clients/${id}/client-secret`, ['post']],
      ['GET', `/admin/clients/${id}/registration-access-token`, ['post']],
      ['DELETE', '/admin/initial-access-tokens', ['get', 'post']],
      ['GET', '/admin/initial-access-tokens/abc', ['delete']],
      ['POST', '/admin/initial-access-tokens/abc', ['delete']],
      ['POST', '/admin/audit', ['get']],
      ['DELETE', '/admin/audit', ['get']],
    ];
    for (const [method, path, allow] of cases) {
      const r = await admin(h, method, path, method === 'GET' || method === 'DELETE' ? {} : { json: {} });
      assert.equal(r.status, 405, `${method} ${path}: ${r.status} ${r.text}`);
      assertJsonContentType(r);
      assert.equal(typeof r.body.error, 'string');
      assert.deepEqual(headerList(r, 'allow').sort(), allow.sort(), `${method} ${path}: Allow ${r.headers.get('allow')}`);
      assertAdminHeaders(r, `${method} ${path}`);
    }
    // The client was not touched.
    const s = await admin(h, 'GET', `/admin/clients/${id}`);
    assert.equal(s.status, 200);
    assert.equal(s.body.status, 'active');
  });

  it('OPTIONS (a CORS preflight) → 405, no Access-Control-* headers', async () => {
    for (const path of ['/admin/clients', '/admin/initial-access-tokens', '/admin/audit', '/admin/clients/abc/suspend']) {
      const r = await h.request('OPTIONS', path, {
        origin: EVIL_ORIGIN,
        headers: { 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      assert.equal(r.status, 405, `OPTIONS ${path}: ${r.status}`);
      assert.ok(headerList(r, 'allow').length > 0, `OPTIONS ${path}: no Allow`);
      assert.ok(!headerList(r, 'allow').includes('options'));
      assertAdminHeaders(r, `OPTIONS ${path}`);
    }
  });
});

describe('GET /admin/clients/{id}', { timeout: 60_000 }, () => {
  it('200 ClientSummary: the registered metadata, no secret, hash or token anywhere', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Summarised', software_id: 'summ-1', scope: 'openid email' });
    const stored = await row(c.client_id);
    const r = await admin(h, 'GET', `/admin/clients/${enc(c.client_id)}`);
    assert.equal(r.status, 200, r.text);
    assertJsonContentType(r);
    assertAdminHeaders(r, 'GET client');
    assert.deepEqual(Object.keys(r.body).sort(), SUMMARY_KEYS);
    assert.equal(r.body.client_secret_expires_at, 0, 'the secret never expires; the secret itself is not shown');
    assert.equal(r.body.client_id, c.client_id);
    assert.equal(r.body.status, 'active');
    assert.equal(r.body.registered_by, 'anonymous');
    assert.equal(r.body.policy_class, 'anonymous');
    assert.equal(r.body.client_id_issued_at, c.client_id_issued_at);
    assert.equal(r.body.updated_at, c.client_id_issued_at);
    assert.deepEqual(r.body.metadata, without(c, 'client_id', 'client_secret', ...SERVER_MEMBERS));
    for (const v of [c.client_secret, c.registration_access_token, stored.client_secret_hash, stored.registration_token_hash]) {
      assert.ok(typeof v === 'string' && v.length > 10);
      assert.ok(!r.text.includes(v), `the summary contains ${v}`);
    }
    assertNoCredentialMembers(r.body);
  });

  it('404 not_found for an unknown client, on every per-client route', async () => {
    const ghost = enc(randomBytes(16).toString('base64url'));
    for (const [method, path, json] of [
      ['GET', `/admin/clients/${ghost}`],
      ['PUT', `/admin/clients/${ghost}`, { redirect_uris: ['https://app.example/cb'] }],
      ['DELETE', `/admin/clients/${ghost}`],
      ['POST', `/admin/clients/${ghost}/suspend`],
      ['POST', `/admin/clients/${ghost}/reactivate`],
      ['POST', `/admin/clients/${ghost}/client-secret`],
      ['POST', `/admin/clients/${ghost}/registration-access-token`],
    ]) {
      const r = await admin(h, method, path, json === undefined ? {} : { json });
      assertError(r, 404, 'not_found');
      assertAdminHeaders(r, `${method} ${path}`);
    }
  });
});

describe('client lifecycle', { timeout: 60_000 }, () => {
  const putBody = (c) => without(c, ...SERVER_MEMBERS, 'client_secret');

  it('suspend: 200 status suspended; RFC 7592 PUT → 403, GET still 200; D1 status suspended', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'To suspend' });
    const s = await admin(h, 'POST', `/admin/clients/${enc(c.client_id)}/suspend`);
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(Object.keys(s.body).sort(), SUMMARY_KEYS);
    assert.equal(s.body.status, 'suspended');
    assert.equal(s.body.client_id, c.client_id);
    assert.ok(s.body.updated_at >= c.client_id_issued_at);
    assert.equal((await row(c.client_id)).status, 'suspended');

    const p = await h.request('PUT', h.clientPath(c.client_id), { token: c.registration_access_token, json: { ...putBody(c), client_name: 'Changed' } });
    assertError(p, 403, 'access_denied');
    // A stranger with a wrong token learns nothing about the suspension: 401 as always.
    assertInvalidToken(await h.request('PUT', h.clientPath(c.client_id), { token: randomBytes(32).toString('base64url'), json: putBody(c) }));
    const g = await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.client_name, 'To suspend', 'a refused PUT changed the client');
    assert.equal((await admin(h, 'GET', `/admin/clients/${enc(c.client_id)}`)).body.status, 'suspended');

    // Reactivate: PUT works again.
    const a = await admin(h, 'POST', `/admin/clients/${enc(c.client_id)}/reactivate`);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.status, 'active');
    assert.equal((await row(c.client_id)).status, 'active');
    const p2 = await h.request('PUT', h.clientPath(c.client_id), { token: c.registration_access_token, json: { ...putBody(c), client_name: 'Changed' } });
    assert.equal(p2.status, 200, p2.text);
    assert.equal(p2.body.client_name, 'Changed');
  });

  it('a suspended client can still delete itself (RFC 7592 DELETE)', async () => {
    const c = await h.registerOk(WEB);
    assert.equal((await admin(h, 'POST', `/admin/clients/${enc(c.client_id)}/suspend`)).status, 200);
    const d = await h.request('DELETE', h.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(d.status, 204, d.text);
    assert.equal(await row(c.client_id), null);
  });

  it('delete: 204, then RFC 7592 GET → 401 and admin GET → 404', async () => {
    const c = await h.registerOk(WEB);
    const d = await admin(h, 'DELETE', `/admin/clients/${enc(c.client_id)}`);
    assert.equal(d.status, 204, d.text);
    assert.equal(d.text, '');
    assertAdminHeaders(d, 'DELETE client');
    assertInvalidToken(await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token }));
    assertError(await admin(h, 'GET', `/admin/clients/${enc(c.client_id)}`), 404, 'not_found');
    assert.equal(await row(c.client_id), null);
    assertError(await admin(h, 'DELETE', `/admin/clients/${enc(c.client_id)}`), 404, 'not_found');
  });

  it('rotate the client secret: returned once; the old one stops working, the new one works', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Rotate me' });
    const before = await row(c.client_id);
    const r = await admin(h, 'POST', `/admin/clients/${enc(c.client_id)}/client-secret`);
    assert.equal(r.status, 200, r.text);
    assertAdminHeaders(r, 'rotate secret');
    assert.deepEqual(Object.keys(r.body).sort(), ['client_id', 'client_secret', 'client_secret_expires_at']);
    assert.equal(r.body.client_id, c.client_id);
    assert.equal(r.body.client_secret_expires_at, 0);
    assert.equal(typeof r.body.client_secret, 'string');
    assert.ok(r.body.client_secret.length >= 32);
    assert.notEqual(r.body.client_secret, c.client_secret);
    const after = await row(c.client_id);
    assert.notEqual(after.client_secret_hash, before.client_secret_hash);
    assert.ok(!JSON.stringify(after).includes(r.body.client_secret), 'the new secret is stored in the clear');
    assert.equal(after.registration_token_hash, before.registration_token_hash, 'the registration access token changed');

    // RFC 7592: a client_secret sent in an update must be the current one.
    const old = await h.request('PUT', h.clientPath(c.client_id), { token: c.registration_access_token, json: { ...putBody(c), client_secret: c.client_secret } });
    assertError(old, 400, 'invalid_request', 'client_secret');
    const cur = await h.request('PUT', h.clientPath(c.client_id), { token: c.registration_access_token, json: { ...putBody(c), client_secret: r.body.client_secret } });
    assert.equal(cur.status, 200, cur.text);
    assert.equal(cur.body.client_secret, r.body.client_secret);

    // Another rotation gives yet another secret.
    const r2 = await admin(h, 'POST', `/admin/clients/${enc(c.client_id)}/client-secret`);
    assert.equal(r2.status, 200);
    assert.notEqual(r2.body.client_secret, r.body.client_secret);
  });

  it('rotate the client secret of a client without one: 400 invalid_request, nothing changes', async () => {
    const pub = await h.registerOk({ redirect_uris: ['http://127.0.0.1:4000/cb'], token_endpoint_auth_method: 'none' });
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256' };
    const pkjwt = await h.registerOk({ ...WEB, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    for (const c of [pub, pkjwt]) {
      const r = await admin(h, 'POST', `/admin/clients/${enc(c.client_id)}/client-secret`);
      assertError(r, 400, 'invalid_request');
      assertAdminHeaders(r, 'rotate secret (no secret)');
      assert.equal((await row(c.client_id)).client_secret_hash, null);
    }
  });

  it('re-issue the registration access token (lost-token recovery): the old one → 401, the new one works', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Lost token' });
    const r = await admin(h, 'POST', `/admin/clients/${enc(c.client_id)}/registration-access-token`);
    assert.equal(r.status, 200, r.text);
    assertAdminHeaders(r, 'reissue');
    assert.deepEqual(Object.keys(r.body).sort(), ['client_id', 'registration_access_token', 'registration_client_uri']);
    assert.equal(r.body.client_id, c.client_id);
    assert.equal(r.body.registration_client_uri, c.registration_client_uri);
    assert.notEqual(r.body.registration_access_token, c.registration_access_token);
    assert.ok(r.body.registration_access_token.length >= 32);
    assert.ok(!JSON.stringify(await row(c.client_id)).includes(r.body.registration_access_token), 'the token is stored in the clear');

    for (const method of ['GET', 'DELETE']) {
      assertInvalidToken(await h.request(method, h.clientPath(c.client_id), { token: c.registration_access_token }));
    }
    assertInvalidToken(await h.request('PUT', h.clientPath(c.client_id), { token: c.registration_access_token, json: putBody(c) }));
    const g = await h.request('GET', h.clientPath(c.client_id), { token: r.body.registration_access_token });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.registration_access_token, r.body.registration_access_token);
    const p = await h.request('PUT', r.body.registration_client_uri, { token: r.body.registration_access_token, json: { ...putBody(c), client_name: 'Recovered' } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.client_name, 'Recovered');
    // The client secret survived the re-issue.
    const p2 = await h.request('PUT', h.clientPath(c.client_id), { token: p.body.registration_access_token, json: { ...putBody(c), client_secret: c.client_secret } });
    assert.equal(p2.status, 200, p2.text);
  });
});

describe('GET /admin/clients: search and keyset pagination', { timeout: 60_000 }, () => {
  let L;
  let cs; // cs[i] registered with client_id_issued_at = base + 10 * i
  let base;
  const SPECS = [
    { client_name: 'Alpha Tool', redirect_uris: ['https://alpha.example/cb'], software_id: 'sw-a' },
    { client_name: 'beta TOOL', redirect_uris: ['https://beta.example:8443/cb'], software_id: 'sw-b' },
    { client_name: 'Gamma', redirect_uris: ['https://alpha.example.evil.net/cb'], software_id: 'sw-a' },
    { client_name: 'Delta app', redirect_uris: ['http://127.0.0.1:3000/cb', 'https://delta.example/cb?x=1'] },
    { client_name: 'Epsilon', redirect_uris: ['https://epsilon.example/cb'] },
  ];

  before(async () => {
    L = await start({ vars: { ADMIN_TOKEN: ADMIN } });
    cs = [];
    for (const s of SPECS) cs.push(await L.registerOk(s));
    // Spread the registration times (a fixture: the API has no way to backdate), ten seconds apart.
    base = nowSeconds() - 1000;
    const db = await L.d1();
    for (const [i, c] of cs.entries()) {
      await db.prepare('UPDATE clients SET client_id_issued_at = ?, updated_at = ? WHERE client_id = ?').bind(base + 10 * i, base + 10 * i, c.client_id).run();
    }
  }, { timeout: 60_000 });
  after(async () => { await L?.dispose(); });

  /** Every page of a query; checks page shape and that pages chain. */
  async function pages(query, limit) {
    const out = [];
    let cursor;
    for (let n = 0; n < 20; n++) {
      const qs = new URLSearchParams(query);
      if (limit) qs.set('limit', String(limit));
      if (cursor) qs.set('cursor', cursor);
      const r = await admin(L, 'GET', `/admin/clients?${qs}`);
      assert.equal(r.status, 200, `${qs}: ${r.text}`);
      assertAdminHeaders(r, 'list');
      assert.ok(Array.isArray(r.body.clients));
      for (const s of r.body.clients) assert.deepEqual(Object.keys(s).sort(), SUMMARY_KEYS);
      out.push(r.body.clients.map((s) => s.client_id));
      if (!('next_cursor' in r.body)) return out;
      assert.equal(typeof r.body.next_cursor, 'string');
      assert.ok(r.body.next_cursor.length > 0);
      cursor = r.body.next_cursor;
    }
    assert.fail('pagination does not end');
  }
  const ids = (...is) => is.map((i) => cs[i].client_id);
  async function found(query) {
    return (await pages(query)).flat();
  }

  it('limit 2 over 5 clients: pages of 2, 2, 1, disjoint, covering all, newest first, no next_cursor on the last', async () => {
    const p = await pages({}, 2);
    assert.deepEqual(p.map((x) => x.length), [2, 2, 1]);
    assert.deepEqual(p.flat(), ids(4, 3, 2, 1, 0));
    assert.equal(new Set(p.flat()).size, 5);
  });

  it('default page holds all 5, newest first, without next_cursor; limit 5 exactly too', async () => {
    assert.deepEqual(await pages({}), [ids(4, 3, 2, 1, 0)]);
    assert.deepEqual(await pages({}, 5), [ids(4, 3, 2, 1, 0)]);
    assert.deepEqual((await pages({}, 4)).map((x) => x.length), [4, 1]);
  });

  it('the summaries are the clients', async () => {
    const r = await admin(L, 'GET', '/admin/clients?limit=100');
    const byId = Object.fromEntries(r.body.clients.map((s) => [s.client_id, s]));
    for (const [i, c] of cs.entries()) {
      const s = byId[c.client_id];
      assert.equal(s.client_id_issued_at, base + 10 * i);
      assert.equal(s.metadata.client_name, SPECS[i].client_name);
      assert.equal(s.status, 'active');
      assert.ok(!r.text.includes(c.registration_access_token));
      assert.ok(!r.text.includes(c.client_secret));
    }
    assertNoCredentialMembers(r.body);
  });

  it('q: client name contains, case-insensitive', async () => {
    assert.deepEqual(await found({ q: 'tool' }), ids(1, 0));
    assert.deepEqual(await found({ q: 'TOOL' }), ids(1, 0));
    assert.deepEqual(await found({ q: 'amm' }), ids(2));
    assert.deepEqual(await found({ q: 'no such name' }), []);
    assert.deepEqual(await found({ q: '%' }), [], 'q must match literally');
    assert.deepEqual(await pages({ q: 'tool' }, 1), [ids(1), ids(0)]);
  });

  it('client_id_prefix', async () => {
    assert.deepEqual(await found({ client_id_prefix: cs[2].client_id }), ids(2));
    const prefix = cs[3].client_id.slice(0, 2);
    const got = await found({ client_id_prefix: prefix });
    assert.ok(got.includes(cs[3].client_id));
    assert.ok(got.every((id) => id.startsWith(prefix)), `${got} do not all start with ${prefix}`);
    assert.deepEqual(got, ids(4, 3, 2, 1, 0).filter((id) => id.startsWith(prefix)));
    assert.deepEqual(await found({ client_id_prefix: '%' }), [], 'the prefix must match literally');
    assert.deepEqual(await found({ client_id_prefix: cs[2].client_id + 'x' }), []);
  });

  it('redirect_host: the exact host of a redirect URI', async () => {
    assert.deepEqual(await found({ redirect_host: 'alpha.example' }), ids(0));
    assert.deepEqual(await found({ redirect_host: 'beta.example' }), ids(1));
    assert.deepEqual(await found({ redirect_host: 'alpha.example.evil.net' }), ids(2));
    assert.deepEqual(await found({ redirect_host: '127.0.0.1' }), ids(3));
    assert.deepEqual(await found({ redirect_host: 'delta.example' }), ids(3));
    assert.deepEqual(await found({ redirect_host: 'example' }), []);
    assert.deepEqual(await found({ redirect_host: 'lpha.example' }), []);
  });

  it('software_id: exact', async () => {
    assert.deepEqual(await found({ software_id: 'sw-a' }), ids(2, 0));
    assert.deepEqual(await found({ software_id: 'sw-b' }), ids(1));
    assert.deepEqual(await found({ software_id: 'sw' }), []);
  });

  it('created_after / created_before (Unix seconds)', async () => {
    assert.deepEqual(await found({ created_after: String(base + 15) }), ids(4, 3, 2));
    assert.deepEqual(await found({ created_before: String(base + 25) }), ids(2, 1, 0));
    assert.deepEqual(await found({ created_after: String(base + 15), created_before: String(base + 25) }), ids(2));
    assert.deepEqual(await found({ created_after: String(base + 100) }), []);
    assert.deepEqual(await pages({ created_after: String(base + 5) }, 2), [ids(4, 3), ids(2, 1)]);
  });

  it('status: active / suspended, and filters combine', async () => {
    const s = await admin(L, 'POST', `/admin/clients/${enc(cs[1].client_id)}/suspend`);
    assert.equal(s.status, 200, s.text);
    try {
      assert.deepEqual(await found({ status: 'suspended' }), ids(1));
      assert.deepEqual(await found({ status: 'active' }), ids(4, 3, 2, 0));
      assert.deepEqual(await pages({ status: 'active' }, 2), [ids(4, 3), ids(2, 0)]);
      assert.deepEqual(await found({ status: 'active', q: 'tool' }), ids(0));
      assert.deepEqual(await found({ status: 'suspended', software_id: 'sw-a' }), []);
    } finally {
      assert.equal((await admin(L, 'POST', `/admin/clients/${enc(cs[1].client_id)}/reactivate`)).status, 200);
    }
    assert.deepEqual(await found({ status: 'suspended' }), []);
  });
});
