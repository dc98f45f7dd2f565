// The dashboard's API against its OpenAPI document (static/openapi.json), with real sessions: people
// signed in through a real OpenID Provider (tests/signin/op.js) call every /dashboard/... operation
// of the Worker built with the `signin` feature, and every answer (successes and the refusals: not
// signed in, another origin, no CSRF token, not an admin, not theirs, unknown client, wrong method,
// over the rate limit, sign-in not configured) is checked with tests/contract/conformance.js: a
// documented status, content type, body schema and headers. The default build's answers (no
// sign-in) are checked in tests/contract/openapi.test.js.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { start, toResult } from '../worker/harness.js';
import { DOC, METHODS, assertConforms } from '../contract/conformance.js';
import { pair } from './pair.js';
import { signIn } from './person.js';

const GHOST = 'AAAAAAAAAAAAAAAAAAAAAA';
const SIGNIN_PATHS = ['/dashboard/signin', '/dashboard/callback', '/dashboard/session', '/dashboard/signout'];
const DASHBOARD_OPS = [];
for (const [p, item] of Object.entries(DOC.paths)) {
  for (const m of METHODS) if (p.startsWith('/dashboard/') && item[m]) DASHBOARD_OPS.push(`${m.toUpperCase()} ${p}`);
}

/** What each operation answered in this file, to check that every one was called. */
const seen = new Map();
function conforms(r, method, template) {
  assertConforms(r, method, template);
  const op = `${method} ${template}`;
  if (!seen.has(op)) seen.set(op, new Set());
  seen.get(op).add(r.status);
  return r;
}

const app = (name) => ({ redirect_uris: ['https://app.example/cb'], client_name: name });

/**
 * A caller as the dashboard page is: `as(h, login)` signs in and returns
 * `call(method, template, params, { json, headers, query, cookie, origin, csrf })`, which sends the
 * session cookie, and this origin and the CSRF token on anything but GET, unless told otherwise.
 */
async function as(h, login) {
  const { callback, session: cookie } = await signIn(h, login);
  conforms(await toResult(callback), 'GET', '/dashboard/callback');
  assert.ok(cookie, `${login} signed in`);
  const s = conforms(await h.request('GET', '/dashboard/session', { headers: { cookie } }), 'GET', '/dashboard/session');
  assert.equal(s.body.signed_in, true);
  return (method, template, params = {}, o = {}) => {
    const p = template.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(params[k]));
    const headers = { ...(o.cookie === null ? {} : { cookie: o.cookie ?? cookie }) };
    if (method !== 'GET') {
      if (o.origin !== null) headers.origin = o.origin ?? h.url;
      if (o.csrf !== null) headers['x-registrar-csrf'] = o.csrf ?? s.body.csrf;
    }
    return h.request(method, p + (o.query ?? ''), { json: o.json, body: o.body, headers: { ...headers, ...o.headers } })
      .then((r) => conforms(r, method, template));
  };
}

describe('the dashboard API answers as static/openapi.json documents (signin build, real sessions)', { timeout: 180_000 }, () => {
  let p;
  before(async () => { p = await pair(); });
  after(async () => { await p?.close(); });

  it('sign-in: start, callback (signed in or ?signin_error=), session, sign-out', async () => {
    const { h } = p;
    const anon = conforms(await h.request('GET', '/dashboard/session'), 'GET', '/dashboard/session');
    assert.deepEqual(anon.body, { sign_in: true, signed_in: false });
    const started = conforms(await h.request('GET', '/dashboard/signin', { query: '' }), 'GET', '/dashboard/signin');
    assert.equal(started.status, 302);
    assert.match(started.headers.get('location'), /code_challenge_method=S256/);
    const offsite = conforms(await h.request('GET', '/dashboard/signin?return_to=%2F%2Fevil.example'), 'GET', '/dashboard/signin');
    assert.equal(offsite.status, 302);
    const expired = conforms(await h.request('GET', '/dashboard/callback?code=x&state=y'), 'GET', '/dashboard/callback');
    assert.equal(expired.headers.get('location'), '/?signin_error=expired');
    const replay = await signIn(h, 'bob', { beforeCallback: (u) => { const url = new URL(u); url.searchParams.set('state', 'x'); return url.href; } });
    const refused = conforms(await toResult(replay.callback), 'GET', '/dashboard/callback');
    assert.equal(refused.headers.get('location'), '/?signin_error=state');

    // A return path that is not printable ASCII is `/`: a Location is a URI reference.
    for (const returnTo of ['/\u20ac', '/\u00e9', '/a b']) {
      const odd = await signIn(h, 'bob', { returnTo });
      const back = conforms(await toResult(odd.callback), 'GET', '/dashboard/callback');
      assert.equal(back.headers.get('location'), '/', JSON.stringify(returnTo));
    }

    const bob = await as(h, 'bob');
    const s = (await bob('GET', '/dashboard/session')).body;
    assert.deepEqual(Object.keys(s).sort(), ['admin', 'csrf', 'expires_at', 'name', 'sign_in', 'signed_in']);
    assert.equal((await bob('POST', '/dashboard/signout', {}, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await bob('POST', '/dashboard/signout', {}, { origin: null })).status, 403);
    assert.equal((await bob('POST', '/dashboard/signout', {}, { csrf: null })).status, 403);
    assert.equal((await bob('POST', '/dashboard/signout', {}, { csrf: 'x'.repeat(22) })).status, 403);
    // The provider (node-oidc-provider) offers RP-initiated logout: 200 with where to end its session.
    const out = await bob('POST', '/dashboard/signout');
    assert.equal(out.status, 200, out.text);
    assert.match(out.body.end_session_url, /post_logout_redirect_uri=/);
    assert.equal((await bob('POST', '/dashboard/signout', {}, { cookie: null, csrf: null })).status, 204, 'no session: nothing to check');
  });

  it('a person\'s own clients: every operation, its successes and refusals', async () => {
    const { h } = p;
    const alice = await as(h, 'alice');
    const bob = await as(h, 'bob');
    const made = (await alice('POST', '/dashboard/clients', {}, { json: app('Alice web') }));
    assert.equal(made.status, 201, made.text);
    const id = { id: made.body.client_id };
    const pub = (await alice('POST', '/dashboard/clients', {}, { json: { ...app('Alice native'), token_endpoint_auth_method: 'none' } })).body;
    for (const [o, status] of [
      [{ json: { redirect_uris: ['https://a.example/cb#x'] } }, 400],
      [{ body: 'not json', headers: { 'content-type': 'application/json' } }, 400],
      [{ body: '{}', headers: { 'content-type': 'text/plain' } }, 415],
      [{ body: `{"client_name":"${'x'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' } }, 413],
      [{ json: app('x'), origin: 'https://evil.example' }, 403],
      [{ json: app('x'), origin: null }, 403],
      [{ json: app('x'), csrf: null }, 403],
      [{ json: app('x'), csrf: 'x'.repeat(22) }, 403],
      [{ json: app('x'), cookie: null }, 401],
      [{ json: app('x'), cookie: '__Secure-registrar-session=forged.mac' }, 401],
    ]) assert.equal((await alice('POST', '/dashboard/clients', {}, o)).status, status, JSON.stringify(o).slice(0, 120));

    const list = await alice('GET', '/dashboard/clients', {}, { query: '?limit=1' });
    assert.equal(list.body.clients.length, 1);
    assert.ok(list.body.next_cursor);
    assert.equal((await alice('GET', '/dashboard/clients', {}, { query: '?cursor=nope' })).status, 400);
    assert.equal((await alice('GET', '/dashboard/clients', {}, { query: '?limit=0' })).status, 400);
    assert.equal((await alice('GET', '/dashboard/clients', {}, { cookie: null })).status, 401);
    assert.deepEqual((await bob('GET', '/dashboard/clients')).body, { clients: [] });

    assert.equal((await alice('GET', '/dashboard/clients/{id}', id)).status, 200);
    assert.equal((await alice('GET', '/dashboard/clients/{id}', { id: GHOST })).status, 404);
    assert.equal((await bob('GET', '/dashboard/clients/{id}', id)).status, 404, 'someone else\'s client');
    assert.equal((await alice('GET', '/dashboard/clients/{id}', id, { cookie: null })).status, 401);

    const update = { ...app('Alice web v2'), client_id: id.id };
    assert.equal((await alice('PUT', '/dashboard/clients/{id}', id, { json: update })).status, 200);
    assert.equal((await alice('PUT', '/dashboard/clients/{id}', id, { json: app('Alice web v3') })).status, 200, 'client_id may be left out');
    const widened = await alice('PUT', '/dashboard/clients/{id}', { id: pub.client_id }, { json: { ...app('Alice native'), token_endpoint_auth_method: 'client_secret_basic' } });
    assert.equal(widened.status, 200, widened.text);
    assert.equal(typeof widened.body.client_secret, 'string', 'a secret issued, shown once');
    await alice('PUT', '/dashboard/clients/{id}', { id: pub.client_id }, { json: { ...app('Alice native'), token_endpoint_auth_method: 'none' } });
    for (const [params, o, status] of [
      [id, { json: { ...update, client_id: GHOST } }, 400],
      [id, { json: { ...update, client_id_issued_at: 1 } }, 400],
      [id, { body: '{}', headers: { 'content-type': 'text/plain' } }, 415],
      [id, { body: `{"client_name":"${'x'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' } }, 413],
      [id, { json: update, csrf: null }, 403],
      [id, { json: update, cookie: null }, 401],
      [{ id: GHOST }, { json: update }, 404],
    ]) assert.equal((await alice('PUT', '/dashboard/clients/{id}', params, o)).status, status, JSON.stringify(o).slice(0, 120));
    assert.equal((await bob('PUT', '/dashboard/clients/{id}', id, { json: update })).status, 404);

    assert.equal((await alice('POST', '/dashboard/clients/{id}/client-secret', id)).status, 200);
    assert.equal((await alice('POST', '/dashboard/clients/{id}/client-secret', { id: pub.client_id })).status, 400, 'no secret to rotate');
    assert.equal((await alice('POST', '/dashboard/clients/{id}/client-secret', id, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await bob('POST', '/dashboard/clients/{id}/client-secret', id)).status, 404);
    assert.equal((await alice('POST', '/dashboard/clients/{id}/client-secret', id, { cookie: null })).status, 401);
    const re = await alice('POST', '/dashboard/clients/{id}/registration-access-token', id);
    assert.equal(re.status, 200);
    assert.equal((await alice('POST', '/dashboard/clients/{id}/registration-access-token', { id: GHOST })).status, 404);
    assert.equal((await alice('POST', '/dashboard/clients/{id}/registration-access-token', id, { csrf: null })).status, 403);
    assert.equal((await alice('POST', '/dashboard/clients/{id}/registration-access-token', id, { cookie: null })).status, 401);

    // Suspended by an admin: its owner may read and delete it, not change it.
    assert.equal((await alice('POST', '/dashboard/admin/clients/{id}/suspend', id)).status, 200);
    assert.equal((await alice('PUT', '/dashboard/clients/{id}', id, { json: update })).status, 403);
    assert.equal((await alice('POST', '/dashboard/clients/{id}/client-secret', id)).status, 403);
    assert.equal((await alice('POST', '/dashboard/clients/{id}/registration-access-token', id)).status, 403);
    assert.equal((await alice('GET', '/dashboard/clients/{id}', id)).body.status, 'suspended');

    assert.equal((await alice('DELETE', '/dashboard/clients/{id}', id, { csrf: null })).status, 403);
    assert.equal((await alice('DELETE', '/dashboard/clients/{id}', id, { cookie: null })).status, 401);
    assert.equal((await bob('DELETE', '/dashboard/clients/{id}', id)).status, 404);
    assert.equal((await alice('DELETE', '/dashboard/clients/{id}', id)).status, 204);
    assert.equal((await alice('DELETE', '/dashboard/clients/{id}', id)).status, 404);
  });

  it('claiming a client with its registration access token', async () => {
    const { h } = p;
    const anon = await h.registerOk(app('Registered before signing in'));
    const alice = await as(h, 'alice');
    const bob = await as(h, 'bob');
    const claim = (who, json, o = {}) => who('POST', '/dashboard/claim', {}, { json, ...o });
    const body = { client_id: anon.client_id, registration_access_token: anon.registration_access_token };
    assert.equal((await claim(bob, { ...body, registration_access_token: 'wrong' })).status, 401);
    assert.equal((await claim(bob, { client_id: GHOST, registration_access_token: 'x' })).status, 401);
    assert.equal((await claim(bob, { client_id: anon.client_id })).status, 401, 'no token');
    assert.equal((await claim(bob, { registration_access_token: 'x' })).status, 400);
    assert.equal((await claim(bob, [])).status, 400);
    assert.equal((await bob('POST', '/dashboard/claim', {}, { body: '{}', headers: { 'content-type': 'text/plain' } })).status, 415);
    assert.equal((await bob('POST', '/dashboard/claim', {}, { body: `{"client_id":"${'x'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' } })).status, 413);
    assert.equal((await claim(bob, body, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await claim(bob, body, { cookie: null })).status, 401);
    const ok = await claim(bob, body);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.registered_by, 'anonymous');
    assert.equal((await claim(bob, body)).status, 200, 'one\'s own again');
    assert.equal((await claim(alice, body)).status, 403, 'someone else\'s');
  });

  it('the admin API by a signed-in admin: every operation; not signed in 401, not an admin 403', async () => {
    const { h } = p;
    const alice = await as(h, 'alice');
    const bob = await as(h, 'bob');
    const reg = await h.registerOk(app('For the admin'));
    const pub = await h.registerOk({ ...app('Public'), token_endpoint_auth_method: 'none' });
    const id = { id: reg.client_id };
    const example = DOC.paths['/dashboard/admin/clients/{id}'].put.requestBody.content['application/json'].examples.widen.value;
    const calls = [
      ['GET', '/dashboard/admin/clients', {}, { query: '?limit=1' }, 200],
      ['GET', '/dashboard/admin/clients', {}, { query: '?cursor=nope' }, 400],
      ['GET', '/dashboard/admin/clients/{id}', id, {}, 200],
      ['GET', '/dashboard/admin/clients/{id}', { id: GHOST }, {}, 404],
      ['PUT', '/dashboard/admin/clients/{id}', id, { json: example }, 200],
      ['PUT', '/dashboard/admin/clients/{id}', id, { json: { redirect_uris: ['https://a.example/cb#x'] } }, 400],
      ['PUT', '/dashboard/admin/clients/{id}', id, { body: '{}', headers: { 'content-type': 'text/plain' } }, 415],
      ['PUT', '/dashboard/admin/clients/{id}', id, { body: `{"client_name":"${'x'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' } }, 413],
      ['POST', '/dashboard/admin/clients/{id}/suspend', id, {}, 200],
      ['POST', '/dashboard/admin/clients/{id}/reactivate', id, {}, 200],
      ['POST', '/dashboard/admin/clients/{id}/client-secret', id, {}, 200],
      ['POST', '/dashboard/admin/clients/{id}/client-secret', { id: pub.client_id }, {}, 400],
      ['POST', '/dashboard/admin/clients/{id}/registration-access-token', id, {}, 200],
      ['GET', '/dashboard/admin/initial-access-tokens', {}, {}, 200],
      ['POST', '/dashboard/admin/initial-access-tokens', {}, { json: { label: '' } }, 400],
      ['GET', '/dashboard/admin/audit', {}, { query: '?limit=5' }, 200],
      ['GET', '/dashboard/admin/audit', {}, { query: '?since=x' }, 400],
      // Off in this configuration (no PROJECTION, CIMD off): their 404s.
      ['POST', '/dashboard/admin/projection/resync', {}, {}, 404],
      ['GET', '/dashboard/admin/cimd-cache', {}, { query: '?url=https%3A%2F%2Fapp.example%2Fc.json' }, 404],
      ['DELETE', '/dashboard/admin/cimd-cache', {}, { query: '?url=https%3A%2F%2Fapp.example%2Fc.json' }, 404],
    ];
    for (const [m, t, params, o, status] of calls) {
      const r = await alice(m, t, params, o);
      assert.equal(r.status, status, `${m} ${t}: ${r.text.slice(0, 200)}`);
    }
    const minted = await alice('POST', '/dashboard/admin/initial-access-tokens', {}, { json: { label: 'by alice' } });
    assert.equal(minted.status, 201, minted.text);
    assert.equal((await alice('DELETE', '/dashboard/admin/initial-access-tokens/{id}', { id: minted.body.id })).status, 204);
    assert.equal((await alice('DELETE', '/dashboard/admin/initial-access-tokens/{id}', { id: minted.body.id })).status, 404);
    // Every operation: bob (no admin) 403, nobody signed in 401; a change without the CSRF token 403.
    for (const { path: t, method } of DOC_OPS('/dashboard/admin/')) {
      const params = { id: reg.client_id };
      assert.equal((await bob(method, t, params, { json: {} })).status, 403, `bob: ${method} ${t}`);
      assert.equal((await alice(method, t, params, { json: {}, cookie: null })).status, 401, `nobody: ${method} ${t}`);
      if (method !== 'GET') assert.equal((await alice(method, t, params, { json: {}, csrf: null })).status, 403, `no CSRF: ${method} ${t}`);
    }
    assert.equal((await alice('DELETE', '/dashboard/admin/clients/{id}', id)).status, 204);
    assert.equal((await alice('DELETE', '/dashboard/admin/clients/{id}', id)).status, 404);
  });

  it('other methods: 405 with the methods the document lists for the path', async () => {
    const alice = await as(p.h, 'alice');
    const paths = [...new Set(DASHBOARD_OPS.map((op) => op.split(' ')[1]))];
    for (const t of paths) {
      const r = await alice('PATCH', t, { id: GHOST }, { json: {} });
      assert.equal(r.status, 405, `PATCH ${t}`);
      const documented = METHODS.filter((m) => DOC.paths[t][m]).map((m) => m.toUpperCase()).join(', ');
      assert.equal(r.headers.get('allow'), documented, `Allow of ${t}`);
    }
  });
});

/** The documented operations under `prefix`, as { path, method }. */
function DOC_OPS(prefix) {
  return DASHBOARD_OPS.filter((op) => op.split(' ')[1].startsWith(prefix)).map((op) => ({ method: op.split(' ')[0], path: op.split(' ')[1] }));
}

describe('the dashboard API in other configurations', { timeout: 180_000 }, () => {
  it('over the rate limit: 429 with Retry-After on sign-in and on a person\'s clients', async () => {
    const q = await pair({ ratelimits: { MANAGE_IP_LIMITER: { limit: 4, period: 60 } } });
    try {
      const { session: cookie } = await signIn(q.h, 'bob'); // signin + callback: 2 of the 4
      const headers = { cookie };
      let r;
      for (let i = 0; i < 4 && r?.status !== 429; i++) r = conforms(await q.h.request('GET', '/dashboard/clients', { headers }), 'GET', '/dashboard/clients');
      assert.equal(r.status, 429);
      const s = conforms(await q.h.request('GET', '/dashboard/signin'), 'GET', '/dashboard/signin');
      assert.equal(s.status, 429);
      assert.ok(Number(s.headers.get('retry-after')) > 0);
      const c = conforms(await q.h.request('GET', '/dashboard/callback?code=x&state=y'), 'GET', '/dashboard/callback');
      assert.equal(c.status, 429);
    } finally { await q.close(); }
  });

  it('the signin build without the DASHBOARD_OIDC_* settings: {"sign_in": false}, every other operation 404', async () => {
    const h = await start({});
    try {
      const s = conforms(await h.request('GET', '/dashboard/session'), 'GET', '/dashboard/session');
      assert.deepEqual(s.body, { sign_in: false });
      for (const op of DASHBOARD_OPS) {
        const [method, t] = op.split(' ');
        if (t === '/dashboard/session') continue;
        const r = await h.request(method, t.replace('{id}', GHOST), { json: {}, headers: { origin: h.url, 'x-registrar-csrf': 'x' } });
        assert.equal(r.status, 404, op);
        conforms(r, method, t);
      }
      const wrong = conforms(await h.request('DELETE', '/dashboard/session'), 'DELETE', '/dashboard/session');
      assert.deepEqual([wrong.status, wrong.headers.get('allow')], [405, 'GET']);
    } finally { await h.dispose(); }
  });

  it('every /dashboard/ operation of the document was called', () => {
    const missing = DASHBOARD_OPS.filter((op) => !seen.has(op));
    assert.deepEqual(missing, []);
    const successes = DASHBOARD_OPS.filter((op) => ![...seen.get(op)].some((s) => s < 400));
    // Off in the configurations here (their 200s are the admin API's, checked in tests/as/ and tests/cimd/).
    assert.deepEqual(successes, ['POST /dashboard/admin/projection/resync', 'GET /dashboard/admin/cimd-cache', 'DELETE /dashboard/admin/cimd-cache']);
  });
});
