// The authorization server API (docs/authorization-server.md): /as/v1/ routes behind
// AS_API_TOKEN, client lookup, client authentication without an oracle, the authorization
// request check (the loopback port rule), no audit rows, last_used_at, and 404 without the token.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { start, assertJsonContentType } from './harness.js';

const AS = randomBytes(24).toString('base64url');
const ADMIN = randomBytes(24).toString('base64url');
const GHOST = 'AAAAAAAAAAAAAAAAAAAAAA';
const EVIL_ORIGIN = 'https://evil.example';
const WEB = { redirect_uris: ['https://client.example/cb', 'https://client.example/cb2?x=1'], scope: 'openid profile email' };
const NATIVE = {
  application_type: 'native', token_endpoint_auth_method: 'none', scope: 'openid',
  redirect_uris: ['http://127.0.0.1:5000/cb', 'http://[::1]/cb', 'http://localhost:7000/cb'],
};
const BAD_CREDENTIALS = 'the client is unknown or the client secret is wrong';

let h; // AS_API_TOKEN and ADMIN_TOKEN set
let off; // neither set
before(async () => {
  [h, off] = await Promise.all([start({ vars: { AS_API_TOKEN: AS, ADMIN_TOKEN: ADMIN } }), start()]);
}, { timeout: 60_000 });
after(async () => { await Promise.allSettled([h?.dispose(), off?.dispose()]); });

const enc = encodeURIComponent;
const get = (x, id, opts = {}) => x.request('GET', `/as/v1/clients/${enc(id)}`, { token: AS, origin: EVIL_ORIGIN, ...opts });
const authenticate = (x, id, secret, opts = {}) =>
  x.request('POST', `/as/v1/clients/${enc(id)}/authenticate`, { token: AS, origin: EVIL_ORIGIN, json: { client_secret: secret }, ...opts });
const check = (x, id, json, opts = {}) =>
  x.request('POST', `/as/v1/clients/${enc(id)}/authorization-check`, { token: AS, origin: EVIL_ORIGIN, json, ...opts });
const adminPost = (id, action) => h.request('POST', `/admin/clients/${enc(id)}/${action}`, { token: ADMIN });

/** Every /as/ answer: JSON, no-store, no CORS header at all. */
function assertAsHeaders(r, what) {
  assertJsonContentType(r);
  assert.equal(r.headers.get('cache-control'), 'no-store', `${what}: Cache-Control`);
  for (const [name] of r.headers) {
    assert.ok(!name.toLowerCase().startsWith('access-control-'), `${what}: has ${name}`);
  }
}

async function auditCount(x) {
  const db = await x.d1();
  return (await db.prepare('SELECT COUNT(*) AS n FROM audit_events').first()).n;
}

function routes(id) {
  return [
    ['GET', `/as/v1/clients/${id}`],
    ['POST', `/as/v1/clients/${id}/authenticate`, { client_secret: 'x' }],
    ['POST', `/as/v1/clients/${id}/authorization-check`, { redirect_uri: 'https://client.example/cb', response_type: 'code' }],
  ];
}

describe('AS API: authorisation', () => {
  it('without AS_API_TOKEN every /as/ route answers 404, whatever the bearer or method', async () => {
    const c = await off.registerOk(WEB);
    for (const [method, path, json] of [...routes(c.client_id), ['DELETE', `/as/v1/clients/${c.client_id}`], ['OPTIONS', `/as/v1/clients/${c.client_id}`], ['GET', '/as/v1/other'], ['GET', '/as/']]) {
      for (const token of [AS, undefined]) {
        const r = await off.request(method, path, { token, json, origin: EVIL_ORIGIN });
        assert.equal(r.status, 404, `${method} ${path}`);
        assert.equal(r.body.error, 'not_found');
        assertAsHeaders(r, `${method} ${path}`);
      }
    }
  });

  it('a missing or wrong bearer gets 401 invalid_token with WWW-Authenticate: Bearer', async () => {
    const c = await h.registerOk(WEB);
    for (const [method, path, json] of routes(c.client_id)) {
      for (const opts of [{}, { token: 'wrong' }, { token: ADMIN }, { token: `${AS}x` }, { headers: { authorization: `Basic ${AS}` } }]) {
        const r = await h.request(method, path, { json, origin: EVIL_ORIGIN, ...opts });
        assert.equal(r.status, 401, `${method} ${path} ${JSON.stringify(opts)}`);
        assert.equal(r.body.error, 'invalid_token');
        assert.equal(r.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
        assertAsHeaders(r, `${method} ${path}`);
      }
    }
  });

  it('other methods are 405 with Allow; no preflight', async () => {
    const c = await h.registerOk(WEB);
    for (const [method, path, allow] of [
      ['POST', `/as/v1/clients/${c.client_id}`, 'GET'], ['OPTIONS', `/as/v1/clients/${c.client_id}`, 'GET'],
      ['GET', `/as/v1/clients/${c.client_id}/authenticate`, 'POST'], ['PUT', `/as/v1/clients/${c.client_id}/authorization-check`, 'POST'],
    ]) {
      const r = await h.request(method, path, { token: AS, origin: EVIL_ORIGIN, json: {} });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.get('allow'), allow);
      assertAsHeaders(r, `${method} ${path}`);
    }
  });
});

describe('AS API: GET /as/v1/clients/{id}', () => {
  it('answers the client without any credential, and 404 invalid_client for an unknown one', async () => {
    const c = await h.registerOk(WEB);
    const r = await get(h, c.client_id);
    assert.equal(r.status, 200);
    assertAsHeaders(r, 'GET');
    assert.deepEqual(Object.keys(r.body).sort(), ['client', 'client_id_issued_at', 'client_secret_expires_at', 'has_secret', 'status', 'token_endpoint_auth_method', 'updated_at']);
    assert.equal(r.body.status, 'active');
    assert.equal(r.body.has_secret, true);
    assert.equal(r.body.client_secret_expires_at, 0);
    assert.equal(r.body.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(r.body.client_id_issued_at, c.client_id_issued_at);
    assert.equal(r.body.client.client_id, c.client_id);
    assert.deepEqual(r.body.client.redirect_uris, WEB.redirect_uris);
    for (const k of ['client_secret', 'registration_access_token', 'registration_client_uri']) assert.equal(r.body.client[k], undefined, k);
    assert.ok(!r.text.includes(c.client_secret) && !r.text.includes(c.registration_access_token));
    const row = await (await h.d1()).prepare('SELECT client_secret_hash, registration_token_hash FROM clients WHERE client_id = ?').bind(c.client_id).first();
    assert.ok(!r.text.includes(row.client_secret_hash) && !r.text.includes(row.registration_token_hash));

    const n = await h.registerOk(NATIVE);
    const rn = await get(h, n.client_id);
    assert.equal(rn.body.has_secret, false);
    assert.equal(rn.body.client_secret_expires_at, undefined);
    assert.equal(rn.body.token_endpoint_auth_method, 'none');

    for (const id of [GHOST, 'not-a-client-id']) {
      const u = await get(h, id);
      assert.equal(u.status, 404);
      assert.equal(u.body.error, 'invalid_client');
      assertAsHeaders(u, 'GET unknown');
    }
  });
});

describe('AS API: POST /as/v1/clients/{id}/authenticate', () => {
  it('200 with the GET body for the right secret; one 401 for unknown client, wrong secret and no secret', async () => {
    const c = await h.registerOk(WEB);
    const n = await h.registerOk(NATIVE);
    const ok = await authenticate(h, c.client_id, c.client_secret);
    assert.equal(ok.status, 200);
    assertAsHeaders(ok, 'authenticate');
    assert.deepEqual(ok.body, (await get(h, c.client_id)).body);

    const refusals = [
      await authenticate(h, c.client_id, 'wrong'),
      await authenticate(h, c.client_id, ''),
      await authenticate(h, GHOST, c.client_secret),
      await authenticate(h, 'not-a-client-id', c.client_secret),
      await authenticate(h, n.client_id, 'anything'),
    ];
    for (const r of refusals) {
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { error: 'invalid_client', error_description: BAD_CREDENTIALS });
      assert.equal(r.headers.get('www-authenticate'), null);
      assertAsHeaders(r, 'authenticate refused');
    }
    // No oracle: unknown client and wrong secret are the same answer, byte for byte.
    assert.equal(refusals[0].text, refusals[2].text);
    assert.equal(refusals[0].status, refusals[2].status);
  });

  it('suspended: a distinct 401 only for the right secret; reactivated: 200 again', async () => {
    const c = await h.registerOk(WEB);
    assert.equal((await adminPost(c.client_id, 'suspend')).status, 200);
    const r = await authenticate(h, c.client_id, c.client_secret);
    assert.deepEqual([r.status, r.body], [401, { error: 'invalid_client', error_description: 'the client is suspended' }]);
    const stranger = await authenticate(h, c.client_id, 'wrong');
    assert.equal(stranger.body.error_description, BAD_CREDENTIALS);
    assert.equal((await get(h, c.client_id)).body.status, 'suspended');
    assert.equal((await adminPost(c.client_id, 'reactivate')).status, 200);
    assert.equal((await authenticate(h, c.client_id, c.client_secret)).status, 200);
  });

  it('after an admin secret rotation the old secret is refused at once; a deleted client is unknown', async () => {
    const c = await h.registerOk(WEB);
    const rotated = await adminPost(c.client_id, 'client-secret');
    assert.equal(rotated.status, 200);
    assert.equal((await authenticate(h, c.client_id, c.client_secret)).status, 401);
    assert.equal((await authenticate(h, c.client_id, rotated.body.client_secret)).status, 200);
    const del = await h.request('DELETE', `/admin/clients/${c.client_id}`, { token: ADMIN });
    assert.equal(del.status, 204);
    const r = await authenticate(h, c.client_id, rotated.body.client_secret);
    assert.deepEqual([r.status, r.body.error_description], [401, BAD_CREDENTIALS]);
    assert.equal((await get(h, c.client_id)).status, 404);
    const chk = await check(h, c.client_id, { redirect_uri: WEB.redirect_uris[0], response_type: 'code' });
    assert.deepEqual([chk.status, chk.body.error, chk.body.redirect], [400, 'invalid_client', false]);
  });

  it('a malformed call is 400 invalid_request, a wrong media type 415', async () => {
    const c = await h.registerOk(WEB);
    for (const json of [{}, { client_secret: 1 }, [], 'not json']) {
      const r = await h.request('POST', `/as/v1/clients/${c.client_id}/authenticate`, { token: AS, json });
      assert.deepEqual([r.status, r.body.error], [400, 'invalid_request'], JSON.stringify(json));
    }
    const r = await h.request('POST', `/as/v1/clients/${c.client_id}/authenticate`, { token: AS, body: '{}', headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 415);
  });
});

describe('AS API: POST /as/v1/clients/{id}/authorization-check', () => {
  it('answers the registered URI and the scope to grant', async () => {
    const c = await h.registerOk(WEB);
    const r = await check(h, c.client_id, { redirect_uri: 'https://client.example/cb2?x=1', response_type: 'code', scope: 'email openid admin' });
    assert.equal(r.status, 200);
    assertAsHeaders(r, 'check');
    assert.deepEqual(r.body, { redirect_uri: 'https://client.example/cb2?x=1', scope: 'email openid' });
    const all = await check(h, c.client_id, { redirect_uri: 'https://client.example/cb', response_type: 'code' });
    assert.deepEqual(all.body, { redirect_uri: 'https://client.example/cb', scope: 'openid profile email' });
  });

  it('the loopback port rule: any port on 127.0.0.1 and [::1] for native clients, not localhost, not web', async () => {
    const n = await h.registerOk(NATIVE);
    const ok = async (uri, registered) => {
      const r = await check(h, n.client_id, { redirect_uri: uri, response_type: 'code' });
      assert.equal(r.status, 200, `${uri}: ${r.text}`);
      assert.equal(r.body.redirect_uri, registered);
    };
    const refused = async (id, uri) => {
      const r = await check(h, id, { redirect_uri: uri, response_type: 'code' });
      assert.deepEqual([r.status, r.body.error, r.body.redirect], [400, 'invalid_request', false], uri);
    };
    await ok('http://127.0.0.1:5000/cb', 'http://127.0.0.1:5000/cb');
    await ok('http://127.0.0.1:49152/cb', 'http://127.0.0.1:5000/cb');
    await ok('http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb');
    await ok('http://[::1]:8080/cb', 'http://[::1]/cb');
    await ok('http://localhost:7000/cb', 'http://localhost:7000/cb');
    await refused(n.client_id, 'http://localhost:7001/cb');
    await refused(n.client_id, 'http://127.0.0.1:49152/other');
    await refused(n.client_id, 'http://127.0.0.1:49152/cb?x=1');
    await refused(n.client_id, 'https://127.0.0.1:5000/cb');
    await refused(n.client_id, 'http://127.0.0.2:5000/cb');
    await refused(n.client_id, 'http://[::1]:5000/other');
    // A web client registering a loopback URI gets no port allowance.
    const w = await h.registerOk({ application_type: 'web', redirect_uris: ['http://127.0.0.1:5000/cb'] });
    await refused(w.client_id, 'http://127.0.0.1:5001/cb');
  });

  it('every error with its redirect flag', async () => {
    const c = await h.registerOk(WEB);
    const good = { redirect_uri: 'https://client.example/cb', response_type: 'code' };
    for (const [id, json, error, redirect] of [
      [GHOST, good, 'invalid_client', false],
      [c.client_id, { ...good, redirect_uri: 'https://evil.example/cb' }, 'invalid_request', false],
      [c.client_id, { ...good, redirect_uri: 'https://client.example/cb/' }, 'invalid_request', false],
      [c.client_id, { ...good, response_type: 'token' }, 'unauthorized_client', true],
      [c.client_id, { ...good, scope: 'admin' }, 'invalid_scope', true],
      [c.client_id, { response_type: 'code' }, 'invalid_request', false],
      [c.client_id, { redirect_uri: 'https://client.example/cb' }, 'invalid_request', false],
      [c.client_id, 'not json', 'invalid_request', false],
    ]) {
      const r = await check(h, id, json);
      assert.deepEqual([r.status, r.body.error, r.body.redirect], [400, error, redirect], JSON.stringify(json));
      assert.deepEqual(Object.keys(r.body).sort(), ['error', 'error_description', 'redirect']);
      assertAsHeaders(r, 'check refused');
    }
    assert.equal((await adminPost(c.client_id, 'suspend')).status, 200);
    const s = await check(h, c.client_id, good);
    assert.deepEqual(s.body, { error: 'invalid_client', error_description: 'the client is suspended', redirect: false });
  });

  it('hybrid response types match as sets', async () => {
    const x = await start({ vars: { AS_API_TOKEN: AS, GRANT_TYPES_SUPPORTED: 'authorization_code implicit' } });
    try {
      const c = await x.registerOk({ redirect_uris: ['https://client.example/cb'], grant_types: ['authorization_code', 'implicit'], response_types: ['code id_token'] });
      for (const [rt, status] of [['id_token code', 200], ['code id_token', 200], ['code', 400]]) {
        const r = await check(x, c.client_id, { redirect_uri: 'https://client.example/cb', response_type: rt });
        assert.equal(r.status, status, rt);
      }
    } finally {
      await x.dispose();
    }
  });
});

describe('AS API: what lookups write', () => {
  it('no audit row from any lookup; last_used_at set in D1, at most once an hour', async () => {
    const c = await h.registerOk(WEB);
    const db = await h.d1();
    const before = await auditCount(h);
    const lookups = async () => {
      await get(h, c.client_id);
      await authenticate(h, c.client_id, c.client_secret);
      await authenticate(h, c.client_id, 'wrong');
      await authenticate(h, GHOST, 'wrong');
      await check(h, c.client_id, { redirect_uri: 'https://client.example/cb', response_type: 'code' });
      await check(h, c.client_id, { redirect_uri: 'https://evil.example/', response_type: 'code' });
    };
    await lookups();
    assert.equal(await auditCount(h), before, 'lookups wrote audit rows');
    const row = await db.prepare('SELECT last_used_at, version, updated_at FROM clients WHERE client_id = ?').bind(c.client_id).first();
    assert.ok(Math.abs(row.last_used_at - Date.now() / 1000) < 60, `last_used_at ${row.last_used_at}`);
    assert.equal(row.version, 0);
    // Within the hour nothing is written again; an hour later it is.
    await db.prepare('UPDATE clients SET last_used_at = last_used_at - 1800 WHERE client_id = ?').bind(c.client_id).run();
    const half = (await db.prepare('SELECT last_used_at FROM clients WHERE client_id = ?').bind(c.client_id).first()).last_used_at;
    await lookups();
    assert.equal((await db.prepare('SELECT last_used_at FROM clients WHERE client_id = ?').bind(c.client_id).first()).last_used_at, half);
    await db.prepare('UPDATE clients SET last_used_at = last_used_at - 1800 WHERE client_id = ?').bind(c.client_id).run();
    await lookups();
    const after = (await db.prepare('SELECT last_used_at FROM clients WHERE client_id = ?').bind(c.client_id).first()).last_used_at;
    assert.ok(after > half, 'written again after an hour');
    assert.equal(await auditCount(h), before);
    // The admin API shows it.
    const summary = await h.request('GET', `/admin/clients/${c.client_id}`, { token: ADMIN });
    assert.equal(summary.body.last_used_at, after);
  });
});

describe('AS API: D1 consistency (sessions)', () => {
  // Local D1 has no read replicas: this checks which routes open a D1 session (the request log
  // line says "d1": "session") and that they still see every write at once here. Replica lag
  // itself cannot be reproduced locally (docs/authorization-server.md).
  const lineOf = (x, route, id) => x.logs.map((l) => l.message).filter((m) => m.startsWith('{"'))
    .map((m) => JSON.parse(m)).filter((l) => l.route === route && l.client_id === id).at(-1);

  it('GET and authorization-check read through a session; authenticate, RFC 7592 and admin the primary', async () => {
    const c = await h.registerOk(WEB);
    assert.equal((await get(h, c.client_id)).status, 200);
    assert.equal((await authenticate(h, c.client_id, c.client_secret)).status, 200);
    assert.equal((await check(h, c.client_id, { redirect_uri: WEB.redirect_uris[0], response_type: 'code' })).status, 200);
    assert.equal((await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token })).status, 200);
    assert.equal((await h.request('GET', `/admin/clients/${c.client_id}`, { token: ADMIN })).status, 200);
    for (const [route, d1] of [
      ['GET /as/v1/clients/{id}', 'session'],
      ['POST /as/v1/clients/{id}/authorization-check', 'session'],
      ['POST /as/v1/clients/{id}/authenticate', undefined],
      ['GET /register/{client_id}', undefined],
    ]) {
      const line = lineOf(h, route, c.client_id);
      assert.ok(line, `no log line for ${route}: ${JSON.stringify(h.logs.slice(-6))}`);
      assert.equal(line.d1, d1, `${route}: ${JSON.stringify(line)}`);
    }
    // (A session is opened from the path alone, so an /as/ request refused before any read, e.g.
    // 405 "as: method not allowed", logs one too; no other route does.)
    const other = h.logs.map((l) => l.message).filter((m) => m.startsWith('{"')).map((m) => JSON.parse(m))
      .filter((l) => l.d1 !== undefined && !/^(as: |\S+ \/as\/v1\/)/.test(l.route));
    assert.deepEqual(other, [], 'only /as/ routes use a session');
  });

  it('the session routes see each write at once (locally), and record the use through the session', async () => {
    const c = await h.registerOk(WEB);
    const good = { redirect_uri: WEB.redirect_uris[0], response_type: 'code' };
    assert.equal((await get(h, c.client_id)).body.status, 'active');
    const db = await h.d1();
    const used = await db.prepare('SELECT last_used_at FROM clients WHERE client_id = ?').bind(c.client_id).first();
    assert.ok(used.last_used_at > 0, 'the GET recorded the use (a write through the session goes to the primary)');
    assert.equal((await adminPost(c.client_id, 'suspend')).status, 200);
    assert.equal((await get(h, c.client_id)).body.status, 'suspended');
    assert.equal((await check(h, c.client_id, good)).body.error, 'invalid_client');
    assert.equal((await adminPost(c.client_id, 'reactivate')).status, 200);
    assert.equal((await check(h, c.client_id, good)).status, 200);
    const put = await h.request('PUT', h.clientPath(c.client_id), {
      token: c.registration_access_token, json: { client_id: c.client_id, redirect_uris: ['https://client.example/new'] },
    });
    assert.equal(put.status, 200);
    assert.deepEqual((await get(h, c.client_id)).body.client.redirect_uris, ['https://client.example/new']);
    assert.equal((await check(h, c.client_id, good)).body.error, 'invalid_request');
    assert.equal((await h.request('DELETE', h.clientPath(c.client_id), { token: put.body.registration_access_token })).status, 204);
    assert.equal((await get(h, c.client_id)).status, 404);
  });
});

describe('AS API: the idle clean-up counts use as activity (D1)', { timeout: 60_000 }, () => {
  it('an anonymous client used through the AS API today survives IDLE_ANONYMOUS_CLIENT_DAYS', async () => {
    const x = await start({ vars: { AS_API_TOKEN: AS, IDLE_ANONYMOUS_CLIENT_DAYS: '30' } });
    try {
      const db = await x.d1();
      const DAY = 86_400;
      const age = (id) => db.prepare('UPDATE clients SET updated_at = updated_at - ?1, client_id_issued_at = client_id_issued_at - ?1 WHERE client_id = ?2').bind(40 * DAY, id).run();
      const idle = await x.registerOk(WEB);
      const used = await x.registerOk(WEB);
      await age(idle.client_id);
      await age(used.client_id);
      assert.equal((await authenticate(x, used.client_id, used.client_secret)).status, 200);
      await x.scheduled();
      assert.equal((await get(x, idle.client_id)).status, 404, 'the idle client is removed');
      assert.equal((await get(x, used.client_id)).status, 200, 'the used client is kept');
    } finally {
      await x.dispose();
    }
  });
});
