// CORS: preflights and the Access-Control-Allow-Origin header on every API/discovery response,
// with the default CORS_ALLOW_ORIGIN ("*") and with one configured origin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { start, headerList, without } from './harness.js';

const WEB = { redirect_uris: ['https://client.example/cb'] };
const ORIGIN = 'https://spa.example';

function preflight(h, path, method, origin = ORIGIN, requestHeaders = 'authorization, content-type') {
  return h.request('OPTIONS', path, {
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': requestHeaders,
    },
  });
}

function assertPreflight(r, allowOrigin, method) {
  assert.equal(r.status, 204, `preflight: ${r.status} ${r.text}`);
  assert.equal(r.text, '', 'a 204 preflight has no body');
  assert.equal(r.headers.get('access-control-allow-origin'), allowOrigin);
  const methods = headerList(r, 'access-control-allow-methods');
  assert.ok(methods.includes(method.toLowerCase()), `Access-Control-Allow-Methods ${JSON.stringify(r.headers.get('access-control-allow-methods'))} lacks ${method}`);
  const hdrs = headerList(r, 'access-control-allow-headers');
  for (const x of ['authorization', 'content-type']) {
    assert.ok(hdrs.includes(x), `Access-Control-Allow-Headers ${JSON.stringify(r.headers.get('access-control-allow-headers'))} lacks ${x}`);
  }
  assert.equal(r.headers.get('access-control-allow-credentials'), null, 'credentials must never be allowed');
}

function assertVaryOrigin(r) {
  assert.ok(headerList(r, 'vary').includes('origin'), `Vary ${JSON.stringify(r.headers.get('vary'))} lacks Origin`);
}

/** Runs the shared CORS checks against an instance with the given expected ACAO. */
function corsSuite(getH, allowOrigin, origin) {
  const checkVary = allowOrigin !== '*';
  const acao = (r, what) => {
    assert.equal(r.headers.get('access-control-allow-origin'), allowOrigin, `${what}: ACAO ${r.headers.get('access-control-allow-origin')}`);
    assert.equal(r.headers.get('access-control-allow-credentials'), null, `${what}: credentials allowed`);
    if (checkVary) assertVaryOrigin(r);
  };

  it('preflight on /register', async () => {
    const r = await preflight(getH(), '/register', 'POST', origin, 'content-type');
    assertPreflight(r, allowOrigin, 'POST');
    if (checkVary) assertVaryOrigin(r);
  });

  it('preflight on /register/{client_id} for GET, PUT and DELETE (no token needed)', async () => {
    const h = getH();
    const c = await h.registerOk(WEB);
    for (const id of [c.client_id, randomBytes(16).toString('base64url')]) {
      for (const m of ['GET', 'PUT', 'DELETE']) {
        const r = await preflight(h, h.clientPath(id), m, origin);
        assertPreflight(r, allowOrigin, m);
        if (checkVary) assertVaryOrigin(r);
      }
    }
    // The preflight changed nothing.
    const g = await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(g.status, 200);
  });

  it('preflight on the discovery documents', async () => {
    for (const p of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const r = await preflight(getH(), p, 'GET', origin, 'content-type');
      assertPreflight(r, allowOrigin, 'GET');
      if (checkVary) assertVaryOrigin(r);
    }
  });

  it('normal responses carry Access-Control-Allow-Origin, errors included', async () => {
    const h = getH();
    const reg = await h.register(WEB, { origin });
    assert.equal(reg.status, 201);
    acao(reg, 'POST /register 201');
    const c = reg.body;
    const path = h.clientPath(c.client_id);

    const get = await h.request('GET', path, { token: c.registration_access_token, origin });
    assert.equal(get.status, 200);
    acao(get, 'GET 200');

    const put = await h.request('PUT', path, {
      token: c.registration_access_token,
      origin,
      json: without(c, 'registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'),
    });
    assert.equal(put.status, 200, put.text);
    acao(put, 'PUT 200');

    const errors = [
      ['400', await h.register({ redirect_uris: ['https://client.example/cb#f'] }, { origin }), 400],
      ['415', await h.request('POST', '/register', { body: '{}', headers: { 'content-type': 'text/plain' }, origin }), 415],
      ['413', await h.request('POST', '/register', { body: `{"x":"${'a'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' }, origin }), 413],
      ['401', await h.request('GET', path, { token: 'wrong', origin }), 401],
      ['405', await h.request('GET', '/register', { origin }), 405],
      // (An unknown path's 404 is outside "the API and discovery" that CORS_ALLOW_ORIGIN covers.)
    ];
    for (const [what, r, status] of errors) {
      assert.equal(r.status, status, `${what}: ${r.text}`);
      acao(r, what);
    }

    for (const p of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const r = await h.request('GET', p, { origin });
      assert.equal(r.status, 200);
      acao(r, p);
    }

    const d = await h.request('DELETE', path, { token: put.body.registration_access_token, origin });
    assert.equal(d.status, 204);
    acao(d, 'DELETE 204');
  });
}

describe('CORS with the default CORS_ALLOW_ORIGIN (*)', { timeout: 60_000 }, () => {
  let h;
  before(async () => { h = await start(); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });
  it('the default configuration is "*"', () => assert.equal(h.vars.CORS_ALLOW_ORIGIN, '*'));
  corsSuite(() => h, '*', ORIGIN);
});

describe('CORS with CORS_ALLOW_ORIGIN = https://app.example', { timeout: 60_000 }, () => {
  let h;
  before(async () => { h = await start({ vars: { CORS_ALLOW_ORIGIN: 'https://app.example' } }); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });
  corsSuite(() => h, 'https://app.example', 'https://app.example');
});
