// The OpenAPI 3.1 document of the API (static/openapi.json, served at /openapi.json):
//   1. it is a valid OpenAPI 3.1 document (@readme/openapi-parser: structure, $refs, path
//      parameters, unique operationIds) and every schema in it compiles as JSON Schema 2020-12 (Ajv);
//   2. it lists every route, method and status code the implementation has (a table kept beside
//      the code's behaviour: src/http/mod.rs, src/http/admin.rs, src/service/, src/admin/);
//   3. its examples are valid against its own schemas;
//   4. the built Worker serves it at /openapi.json (200, application/json, the same bytes), and
//      answers a tour of requests with documented statuses, content types, headers and bodies.
// The generative check against `wrangler dev` is tests/contract/schemathesis.sh.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { validate } from '@readme/openapi-parser';
import { start, ROOT, assertJsonContentType } from '../worker/harness.js';
import { DOC, DOC_TEXT, METHODS, deref, validatorFor, assertValid, assertConforms } from './conformance.js';
import { AUDIT_EVENTS } from '../../static/js/admin-audit.js';

// The `?signin_error=` reasons the dashboard explains (REASONS of static/js/account.js, a module
// that needs a DOM to load, so read as text).
const SIGNIN_REASONS = fs.readFileSync(path.join(ROOT, 'static', 'js', 'account.js'), 'utf8')
  .match(/^const REASONS = \{\n([\s\S]*?)^\};/m)[1].match(/^  (\w+):/gm).map((k) => k.trim().slice(0, -1));

const ADMIN_TOKEN = 'contract-admin-token-0123456789abcdefghijklmnop';
const AS_API_TOKEN = 'contract-as-api-token-0123456789abcdefghijklmnop';

function* operations() {
  for (const [p, item] of Object.entries(DOC.paths)) {
    for (const m of METHODS) if (item[m]) yield { path: p, method: m, op: item[m], item };
  }
}

// ---------------------------------------------------------------------------------------------
// What the implementation answers, per operation (beyond 405 for other methods and 404 for
// other paths, which are components). Keep in step with src/http/mod.rs, src/http/admin.rs,
// src/service/ and src/admin/.
// ---------------------------------------------------------------------------------------------
const EXPECTED_STATUSES = {
  'POST /register': [201, 400, 401, 403, 413, 415, 429, 500],
  'OPTIONS /register': [204],
  'GET /register/{client_id}': [200, 401, 429, 500],
  'PUT /register/{client_id}': [200, 400, 401, 403, 413, 415, 429, 500],
  'DELETE /register/{client_id}': [204, 401, 429, 500],
  'OPTIONS /register/{client_id}': [204],
  'GET /metadata/validate': [200, 400, 404, 429, 500],
  'POST /metadata/validate': [200, 400, 413, 415, 429, 500],
  'OPTIONS /metadata/validate': [204],
  'GET /.well-known/oauth-authorization-server': [200, 500],
  'HEAD /.well-known/oauth-authorization-server': [200, 500],
  'OPTIONS /.well-known/oauth-authorization-server': [204],
  'GET /.well-known/openid-configuration': [200, 500],
  'HEAD /.well-known/openid-configuration': [200, 500],
  'OPTIONS /.well-known/openid-configuration': [204],
  'GET /admin/clients': [200, 400, 401, 404, 500],
  'GET /admin/clients/{id}': [200, 401, 404, 500],
  'PUT /admin/clients/{id}': [200, 400, 401, 404, 413, 415, 500],
  'DELETE /admin/clients/{id}': [204, 401, 404, 500],
  'POST /admin/clients/{id}/suspend': [200, 401, 404, 500],
  'POST /admin/clients/{id}/reactivate': [200, 401, 404, 500],
  'POST /admin/clients/{id}/client-secret': [200, 400, 401, 404, 500],
  'POST /admin/clients/{id}/registration-access-token': [200, 401, 404, 500],
  'GET /admin/initial-access-tokens': [200, 400, 401, 404, 500],
  'POST /admin/initial-access-tokens': [201, 400, 401, 404, 413, 415, 500],
  'DELETE /admin/initial-access-tokens/{id}': [204, 401, 404, 500],
  'GET /admin/audit': [200, 400, 401, 404, 500],
  'POST /admin/projection/resync': [200, 401, 404, 500],
  'GET /admin/cimd-cache': [200, 400, 401, 404, 500],
  'DELETE /admin/cimd-cache': [204, 400, 401, 404, 500],
  'GET /as/v1/clients/{id}': [200, 401, 404, 500],
  'POST /as/v1/clients/{id}/authenticate': [200, 400, 401, 404, 413, 415, 500],
  'POST /as/v1/clients/{id}/authorization-check': [200, 400, 401, 404, 413, 415, 500],
  'GET /openapi.json': [200],
  // Dashboard sign-in (src/http/signin.rs) and a signed-in person's clients (src/http/dashboard.rs,
  // src/admin/owned.rs): only with the `signin` feature and the DASHBOARD_OIDC_* settings.
  'GET /dashboard/signin': [302, 404, 429, 500],
  'GET /dashboard/callback': [302, 404, 429, 500],
  'GET /dashboard/session': [200, 500],
  'POST /dashboard/signout': [200, 204, 403, 404, 500],
  'GET /dashboard/clients': [200, 400, 401, 404, 429, 500],
  'POST /dashboard/clients': [201, 400, 401, 403, 404, 413, 415, 429, 500],
  'GET /dashboard/clients/{id}': [200, 401, 404, 429, 500],
  'PUT /dashboard/clients/{id}': [200, 400, 401, 403, 404, 413, 415, 429, 500],
  'DELETE /dashboard/clients/{id}': [204, 401, 403, 404, 429, 500],
  'POST /dashboard/clients/{id}/client-secret': [200, 400, 401, 403, 404, 429, 500],
  'POST /dashboard/clients/{id}/registration-access-token': [200, 401, 403, 404, 429, 500],
  'POST /dashboard/claim': [200, 400, 401, 403, 404, 413, 415, 429, 500],
};
// `/dashboard/admin/...` is the admin API by a signed-in admin (dashboard::handle, then
// admin::handle): the same answers, and 403 for a person who is not an admin (or a request without
// Origin and CSRF token); 401 is "not signed in", 404 also "no sign-in on this server".
for (const [op, statuses] of Object.entries(EXPECTED_STATUSES)) {
  const [method, p] = op.split(' ');
  if (p.startsWith('/admin/')) EXPECTED_STATUSES[`${method} /dashboard${p}`] = [...statuses, 403].sort((a, b) => a - b);
}
// The Allow header of each path (Route::allow in src/http/mod.rs, AdminRoute::allow).
const ALLOW = {
  '/register': 'POST, OPTIONS',
  '/register/{client_id}': 'GET, PUT, DELETE, OPTIONS',
  '/metadata/validate': 'GET, POST, OPTIONS',
  '/.well-known/oauth-authorization-server': 'GET, HEAD, OPTIONS',
  '/.well-known/openid-configuration': 'GET, HEAD, OPTIONS',
  '/admin/clients': 'GET',
  '/admin/clients/{id}': 'GET, PUT, DELETE',
  '/admin/clients/{id}/suspend': 'POST',
  '/admin/clients/{id}/reactivate': 'POST',
  '/admin/clients/{id}/client-secret': 'POST',
  '/admin/clients/{id}/registration-access-token': 'POST',
  '/admin/initial-access-tokens': 'GET, POST',
  '/admin/initial-access-tokens/{id}': 'DELETE',
  '/admin/audit': 'GET',
  '/admin/projection/resync': 'POST',
  '/admin/cimd-cache': 'GET, DELETE',
  '/as/v1/clients/{id}': 'GET',
  '/as/v1/clients/{id}/authenticate': 'POST',
  '/as/v1/clients/{id}/authorization-check': 'POST',
};

describe('static/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (@readme/openapi-parser)', async () => {
    assert.match(DOC.openapi, /^3\.1\.\d+$/);
    const cargo = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8').match(/^version\s*=\s*"([^"]+)"/m)?.[1];
    assert.equal(DOC.info.version, cargo, 'info.version is the version in Cargo.toml');
    const result = await validate(structuredClone(DOC));
    assert.equal(result.valid, true, `invalid: ${JSON.stringify(result.errors, null, 2)}`);
    assert.deepEqual(result.warnings, [], `warnings: ${JSON.stringify(result.warnings, null, 2)}`);
  });

  it('every schema in it compiles as JSON Schema 2020-12 (Ajv, strict)', () => {
    for (const name of Object.keys(DOC.components.schemas)) validatorFor({ $ref: `#/components/schemas/${name}` });
    const schemasIn = (obj) => Object.values(obj ?? {}).map(deref).filter((x) => x?.schema).map((x) => x.schema);
    for (const { op, item } of operations()) {
      for (const s of schemasIn([...(item.parameters ?? []), ...(op.parameters ?? [])])) validatorFor(s);
      for (const media of Object.values(deref(op.requestBody)?.content ?? {})) validatorFor(media.schema);
      for (const r of Object.values(op.responses).map(deref)) {
        for (const media of Object.values(r.content ?? {})) validatorFor(media.schema);
        for (const s of schemasIn(r.headers)) validatorFor(s);
      }
    }
  });

  it('documents every route, method and status code the implementation has', () => {
    const documented = {};
    for (const { path: p, method, op } of operations()) {
      documented[`${method.toUpperCase()} ${p}`] = Object.keys(op.responses).map(Number).sort((a, b) => a - b);
      assert.ok(op.operationId, `${method} ${p} has no operationId`);
      assert.ok(op.security, `${method} ${p} declares no security (use [{}] for none)`);
    }
    assert.deepEqual(documented, EXPECTED_STATUSES);
  });

  it('declares the headers: WWW-Authenticate on 401, Retry-After on 429, Allow on 405, Cache-Control everywhere', () => {
    for (const { path: p, method, op } of operations()) {
      for (const [status, r0] of Object.entries(op.responses)) {
        const r = deref(r0);
        const where = `${method} ${p} ${status}`;
        const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), deref(v)]));
        if (p !== '/openapi.json') assert.ok(headers['cache-control']?.required, `${where}: no required Cache-Control`);
        // The one exception: authenticate's 401 is also `invalid_client` (the client's secret, not
        // the bearer, was wrong), which carries no WWW-Authenticate; declared, not required.
        if (status === '401' && `${method} ${p}` === 'post /as/v1/clients/{id}/authenticate') assert.ok(headers['www-authenticate'], `${where}: no WWW-Authenticate`);
        else if (status === '401') assert.ok(headers['www-authenticate']?.required, `${where}: no WWW-Authenticate`);
        if (status === '429') assert.ok(headers['retry-after']?.required, `${where}: no Retry-After`);
        if (status === '302') assert.ok(headers.location?.required && headers['set-cookie']?.required, `${where}: no Location or Set-Cookie`);
        // No CORS on the dashboard's routes (its session cookie is for its own page only).
        if (p.startsWith('/dashboard/')) assert.deepEqual(Object.keys(headers).filter((k) => k.startsWith('access-control-') || k === 'vary'), [], `${where}: CORS headers`);
        if (['204', '302'].includes(status) || method === 'head') assert.equal(r.content, undefined, `${where}: has a body`);
        else assert.deepEqual(Object.keys(r.content ?? {}), ['application/json'], `${where}: not application/json`);
      }
    }
    const mna = DOC.components.responses.MethodNotAllowed;
    assert.ok(deref(mna.headers.Allow).required);
    assert.ok(deref(DOC.components.responses.AdminMethodNotAllowed.headers.Allow).required);
    assert.ok(DOC.components.responses.NotFound);
  });

  it('has bearer security schemes for the registration access token, initial access token, admin token and AS API token', () => {
    const s = DOC.components.securitySchemes;
    for (const name of ['registrationAccessToken', 'initialAccessToken', 'adminToken', 'asApiToken']) {
      assert.deepEqual({ type: s[name]?.type, scheme: s[name]?.scheme }, { type: 'http', scheme: 'bearer' }, name);
    }
    const sec = (m, p) => DOC.paths[p][m].security;
    assert.deepEqual(sec('post', '/register'), [{}, { initialAccessToken: [] }, { adminToken: [] }]);
    for (const m of ['get', 'put', 'delete']) assert.deepEqual(sec(m, '/register/{client_id}'), [{ registrationAccessToken: [] }]);
    for (const { path: p, method, op } of operations()) {
      if (p.startsWith('/admin/')) assert.deepEqual(op.security, [{ adminToken: [] }], `${method} ${p}`);
      if (p.startsWith('/as/')) assert.deepEqual(op.security, [{ asApiToken: [] }], `${method} ${p}`);
    }
  });

  it('has the dashboard session cookie scheme; every request under it that is not GET needs Origin and the CSRF token', () => {
    const s = DOC.components.securitySchemes.dashboardSession;
    assert.deepEqual({ type: s?.type, in: s?.in, name: s?.name }, { type: 'apiKey', in: 'cookie', name: '__Secure-registrar-session' });
    const sec = (m, p) => DOC.paths[p][m].security;
    assert.deepEqual(sec('get', '/dashboard/signin'), [{}]);
    assert.deepEqual(sec('get', '/dashboard/callback'), [{}]);
    assert.deepEqual(sec('get', '/dashboard/session'), [{}, { dashboardSession: [] }]);
    assert.deepEqual(sec('post', '/dashboard/signout'), [{ dashboardSession: [] }, {}]);
    const header = (x) => { const d = deref(x); return d.in === 'header' ? `${d.name}${d.required ? '' : '?'}` : null; };
    let n = 0;
    for (const { path: p, method, op, item } of operations()) {
      if (!p.startsWith('/dashboard/') || ['/dashboard/signin', '/dashboard/callback', '/dashboard/session', '/dashboard/signout'].includes(p)) continue;
      assert.deepEqual(op.security, [{ dashboardSession: [] }], `${method} ${p}`);
      const headers = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(header).filter(Boolean);
      assert.deepEqual(headers, method === 'get' ? [] : ['Origin', 'X-Registrar-CSRF'], `${method} ${p}`);
      assert.ok(op.responses['401'] && (method === 'get' || op.responses['403']), `${method} ${p}: 401, and 403 for a change`);
      n++;
    }
    assert.equal(n, 8 + 15);
    const signout = DOC.paths['/dashboard/signout'].post.parameters.map(header);
    assert.deepEqual(signout, ['Origin', 'X-Registrar-CSRF?'], 'sign-out needs the token only with a session');
    const reasons = deref(DOC.components.schemas.SignInError).enum;
    assert.deepEqual([...reasons].sort(), [...SIGNIN_REASONS].sort(), 'the dashboard explains every documented ?signin_error= (static/js/account.js)');
  });

  it('its examples are valid against its schemas', () => {
    let n = 0;
    for (const { path: p, method, op } of operations()) {
      for (const media of Object.values(deref(op.requestBody)?.content ?? {})) {
        for (const [name, ex] of Object.entries(media.examples ?? {})) { assertValid(media.schema, ex.value, `${method} ${p} request example ${name}`); n++; }
      }
      for (const [status, r] of Object.entries(op.responses)) {
        for (const media of Object.values(deref(r).content ?? {})) {
          for (const [name, ex] of Object.entries(media.examples ?? {})) { assertValid(media.schema, ex.value, `${method} ${p} ${status} example ${name}`); n++; }
        }
      }
    }
    assert.ok(n >= 4, `only ${n} examples`);
  });

  it('the dashboard\'s audit filter offers exactly the documented event names (static/js/admin-audit.js)', () => {
    assert.deepEqual([...AUDIT_EVENTS].sort(), [...deref(DOC.components.schemas.AuditEvent).properties.event.enum].sort());
  });

  it('the request schemas refuse what the service refuses and accept what it accepts (samples)', () => {
    const req = { $ref: '#/components/schemas/ClientMetadataRequest' };
    const ok = (v) => assertValid(req, v, JSON.stringify(v));
    const bad = (v) => assert.equal(validatorFor(req)(v), false, `accepted: ${JSON.stringify(v)}`);
    ok({ redirect_uris: ['https://app.example/cb'] });
    ok({ redirect_uris: ['com.example.app:/cb'], application_type: 'native', token_endpoint_auth_method: 'none' });
    ok({ grant_types: ['client_credentials'] });
    ok({ grant_types: ['client_credentials'], response_types: [], redirect_uris: null, client_name: null, unknown_member: 1 });
    ok({ redirect_uris: ['https://a.example/cb'], 'client_name#fr': 'Mon appli' });
    bad({});
    bad({ grant_types: ['refresh_token'] });
    bad({ redirect_uris: ['https://app.example/cb'], response_types: [] });
    bad({ redirect_uris: ['https://app.example/cb#frag'] });
    bad({ redirect_uris: [] });
    bad({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_jwt' });
    bad({ redirect_uris: ['https://app.example/cb'], software_statement: 'eyJ...' });
    bad({ redirect_uris: ['https://app.example/cb'], scope: 'openid  profile' });
  });
});

// ---------------------------------------------------------------------------------------------
// The built Worker against the document.
// ---------------------------------------------------------------------------------------------


const WEB = DOC.paths['/register'].post.requestBody.content['application/json'].examples.web.value;
const NATIVE = DOC.paths['/register'].post.requestBody.content['application/json'].examples.native.value;

describe('the Worker and the document', { timeout: 120_000 }, () => {
  let h;
  before(async () => { h = await start({ vars: { ADMIN_TOKEN, AS_API_TOKEN } }); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  const call = async (method, template, params = {}, opts = {}) => {
    const p = template.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(params[k]));
    return assertConforms(await h.request(method, p + (opts.query ?? ''), opts), method, template);
  };
  const admin = { token: ADMIN_TOKEN };

  it('serves the document at /openapi.json: 200, application/json, the same bytes', async () => {
    const r = await h.request('GET', '/openapi.json');
    assert.equal(r.status, 200);
    assertJsonContentType(r);
    assert.equal(r.text, DOC_TEXT);
    const head = await h.request('HEAD', '/openapi.json');
    assert.equal(head.status, 200);
  });

  it('registration, RFC 7592 management and discovery answer as documented', async () => {
    const reg = (await call('POST', '/register', {}, { json: WEB })).body;
    assert.equal(reg.client_name, WEB.client_name);
    await call('POST', '/register', {}, { json: NATIVE });
    await call('POST', '/register', {}, { json: { grant_types: ['client_credentials'] } });
    await call('POST', '/register', {}, { json: { redirect_uris: ['https://a.example/cb#x'] } });
    await call('POST', '/register', {}, { json: { redirect_uris: ['https://a.example/cb'], software_statement: 'x.y.z' } });
    await call('POST', '/register', {}, { body: 'not json', headers: { 'content-type': 'application/json' } });
    await call('POST', '/register', {}, { body: '{}', headers: { 'content-type': 'text/plain' } });
    await call('POST', '/register', {}, { body: `{"client_name":"${'x'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' } });
    await call('POST', '/register', {}, { json: WEB, token: 'not-a-token' });
    await call('OPTIONS', '/register', {}, { origin: 'https://app.example' });

    const id = { client_id: reg.client_id };
    const token = reg.registration_access_token;
    const read = (await call('GET', '/register/{client_id}', id, { token })).body;
    assert.equal(read.client_secret, undefined);
    await call('GET', '/register/{client_id}', id, { token: 'wrong' });
    await call('GET', '/register/{client_id}', { client_id: 'not-a-client' });
    await call('PUT', '/register/{client_id}', id, { token, json: { client_id: reg.client_id, client_id_issued_at: 1 } });
    await call('PUT', '/register/{client_id}', id, { token, body: '{}', headers: { 'content-type': 'text/plain' } });
    const updated = (await call('PUT', '/register/{client_id}', id, { token, json: { client_id: reg.client_id, redirect_uris: WEB.redirect_uris, client_name: 'v2' } })).body;
    await call('PUT', '/register/{client_id}', id, { token, json: { client_id: reg.client_id } }); // rotated away: 401
    await call('OPTIONS', '/register/{client_id}', id);
    await call('DELETE', '/register/{client_id}', id, { token: updated.registration_access_token });
    await call('DELETE', '/register/{client_id}', id, { token: updated.registration_access_token });

    const examples = DOC.paths['/metadata/validate'].post.requestBody.content['application/json'].examples;
    const checked = (await call('POST', '/metadata/validate', {}, { json: examples.errors.value })).body;
    assert.deepEqual(checked.errors.map((e) => e.member), ['redirect_uris[1]', 'logo_uri', 'scope']);
    const valid = (await call('POST', '/metadata/validate', {}, { json: examples.valid.value })).body;
    assert.equal(valid.valid, true);
    await call('POST', '/metadata/validate', {}, { json: WEB, query: '?profile=cimd' });
    await call('POST', '/metadata/validate', {}, { json: WEB, query: '?profile=nope' });
    await call('POST', '/metadata/validate', {}, { body: 'not json', headers: { 'content-type': 'application/json' } });
    await call('POST', '/metadata/validate', {}, { body: '{}', headers: { 'content-type': 'text/plain' } });
    await call('POST', '/metadata/validate', {}, { body: `{"client_name":"${'x'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' } });
    await call('OPTIONS', '/metadata/validate', {}, { origin: 'https://app.example' });
    // 404 here: CIMD is off (tests/cimd/validate-url.test.js holds its answers to this document).
    await call('GET', '/metadata/validate', {}, { query: '?url=https%3A%2F%2Fapp.example%2Fc.json' });

    for (const p of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      await call('GET', p);
      await call('HEAD', p);
      await call('OPTIONS', p);
    }
  });

  it('the admin API answers as documented', async () => {
    const reg = (await call('POST', '/register', {}, { json: WEB, ...admin })).body;
    const pub = (await call('POST', '/register', {}, { json: NATIVE })).body;
    const id = { id: reg.client_id };
    await call('GET', '/admin/clients', {}, { ...admin, query: '?limit=1' });
    await call('GET', '/admin/clients', {}, { ...admin, query: '?limit=0' });
    await call('GET', '/admin/clients', {}, { ...admin, query: '?cursor=nope' });
    await call('GET', '/admin/clients', {}, { token: 'wrong' });
    await call('GET', '/admin/clients/{id}', id, admin);
    await call('GET', '/admin/clients/{id}', { id: 'AAAAAAAAAAAAAAAAAAAAAA' }, admin);
    const example = DOC.paths['/admin/clients/{id}'].put.requestBody.content['application/json'].examples.widen.value;
    const widened = (await call('PUT', '/admin/clients/{id}', id, { ...admin, json: example })).body;
    assert.deepEqual(widened.metadata.grant_types, example.grant_types);
    const made = (await call('PUT', '/admin/clients/{id}', { id: pub.client_id }, { ...admin, json: { ...example, token_endpoint_auth_method: 'client_secret_basic' } })).body;
    assert.equal(typeof made.client_secret, 'string', 'a public client made confidential gets a secret');
    await call('PUT', '/admin/clients/{id}', { id: pub.client_id }, { ...admin, json: NATIVE });
    await call('PUT', '/admin/clients/{id}', id, { ...admin, json: { ...example, client_id_issued_at: 1 } });
    await call('PUT', '/admin/clients/{id}', id, { ...admin, json: { redirect_uris: ['https://a.example/cb#x'] } });
    await call('PUT', '/admin/clients/{id}', id, { ...admin, body: '{}', headers: { 'content-type': 'text/plain' } });
    await call('PUT', '/admin/clients/{id}', id, { ...admin, body: `{"client_name":"${'x'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' } });
    await call('PUT', '/admin/clients/{id}', { id: 'AAAAAAAAAAAAAAAAAAAAAA' }, { ...admin, json: example });
    await call('PUT', '/admin/clients/{id}', id, { token: 'wrong', json: example });
    await call('POST', '/admin/clients/{id}/suspend', id, admin);
    await call('PUT', '/register/{client_id}', { client_id: reg.client_id }, { token: reg.registration_access_token, json: { client_id: reg.client_id, redirect_uris: WEB.redirect_uris } }); // 403 suspended
    await call('POST', '/admin/clients/{id}/reactivate', id, admin);
    await call('POST', '/admin/clients/{id}/client-secret', id, admin);
    await call('POST', '/admin/clients/{id}/client-secret', { id: pub.client_id }, admin); // 400: no secret
    await call('POST', '/admin/clients/{id}/registration-access-token', id, admin);
    const iat = (await call('POST', '/admin/initial-access-tokens', {}, { ...admin, json: { label: 'contract', max_uses: 2 } })).body;
    await call('POST', '/admin/initial-access-tokens', {}, { ...admin, json: { label: '' } });
    await call('POST', '/admin/initial-access-tokens', {}, { ...admin, body: 'x', headers: { 'content-type': 'text/plain' } });
    await call('POST', '/register', {}, { json: WEB, token: iat.token });
    await call('GET', '/admin/initial-access-tokens', {}, admin);
    await call('DELETE', '/admin/initial-access-tokens/{id}', { id: iat.id }, admin);
    await call('DELETE', '/admin/initial-access-tokens/{id}', { id: iat.id }, admin); // 404: already revoked
    await call('GET', '/admin/initial-access-tokens', {}, admin);
    await call('GET', '/admin/audit', {}, { ...admin, query: '?limit=100' });
    await call('GET', '/admin/audit', {}, { ...admin, query: '?since=x' });
    // 404 in this (default) build: no projection; its 200 is checked in tests/as/.
    await call('POST', '/admin/projection/resync', {}, admin);
    await call('POST', '/admin/projection/resync', {}, { token: 'wrong' });
    // 404 here: CIMD is off (tests/cimd/ covers it on).
    await call('GET', '/admin/cimd-cache', {}, { ...admin, query: '?url=https%3A%2F%2Fapp.example%2Fc.json' });
    await call('DELETE', '/admin/cimd-cache', {}, { ...admin, query: '?url=https%3A%2F%2Fapp.example%2Fc.json' });
    await call('GET', '/admin/cimd-cache', {}, { token: 'wrong', query: '?url=x' });
    await call('DELETE', '/admin/clients/{id}', id, admin);
    await call('DELETE', '/admin/clients/{id}', id, admin);
  });

  it('the AS API answers as documented', async () => {
    const as = { token: AS_API_TOKEN };
    const reg = (await call('POST', '/register', {}, { json: WEB })).body;
    const pub = (await call('POST', '/register', {}, { json: NATIVE })).body;
    const id = { id: reg.client_id };
    const ghost = { id: 'AAAAAAAAAAAAAAAAAAAAAA' };
    const got = (await call('GET', '/as/v1/clients/{id}', id, as)).body;
    assert.equal(got.has_secret, true);
    await call('GET', '/as/v1/clients/{id}', { id: pub.client_id }, as);
    await call('GET', '/as/v1/clients/{id}', ghost, as);
    await call('GET', '/as/v1/clients/{id}', id, { token: 'wrong' });
    await call('POST', '/as/v1/clients/{id}/authenticate', id, { ...as, json: { client_secret: reg.client_secret } });
    await call('POST', '/as/v1/clients/{id}/authenticate', id, { ...as, json: { client_secret: 'wrong' } });
    await call('POST', '/as/v1/clients/{id}/authenticate', ghost, { ...as, json: { client_secret: 'wrong' } });
    await call('POST', '/as/v1/clients/{id}/authenticate', id, { ...as, json: {} });
    await call('POST', '/as/v1/clients/{id}/authenticate', id, { ...as, body: '{}', headers: { 'content-type': 'text/plain' } });
    await call('POST', '/as/v1/clients/{id}/authenticate', id, { ...as, body: `{"client_secret":"${'x'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' } });
    await call('POST', '/as/v1/clients/{id}/authenticate', id, { token: 'wrong', json: { client_secret: 'x' } });
    const check = (json, params = id, opts = as) => call('POST', '/as/v1/clients/{id}/authorization-check', params, { ...opts, json });
    const good = { redirect_uri: WEB.redirect_uris[0], response_type: 'code' };
    assert.equal((await check({ ...good, scope: 'openid' })).status, 200);
    await check(good, ghost);
    await check({ ...good, redirect_uri: 'https://evil.example/' });
    await check({ ...good, response_type: 'token' });
    await check({ ...good, scope: 'nope' });
    await check({ response_type: 'code' });
    await check(good, id, { token: 'wrong' });
    await call('POST', '/as/v1/clients/{id}/authorization-check', id, { ...as, body: '{}', headers: { 'content-type': 'text/plain' } });
    await call('POST', '/admin/clients/{id}/suspend', id, admin);
    await call('POST', '/as/v1/clients/{id}/authenticate', id, { ...as, json: { client_secret: reg.client_secret } });
    await check(good);
  });

  it('without sign-in (this build has no `signin` feature): /dashboard/session says so, every other dashboard operation 404', async () => {
    const session = await call('GET', '/dashboard/session');
    assert.deepEqual(session.body, { sign_in: false });
    const wrong = await h.request('POST', '/dashboard/session', { origin: h.url });
    assertConforms(wrong, 'POST', '/dashboard/session');
    assert.deepEqual([wrong.status, wrong.headers.get('allow')], [405, 'GET']);
    let n = 0;
    for (const { path: p, method } of operations()) {
      if (!p.startsWith('/dashboard/') || p === '/dashboard/session') continue;
      const m = method.toUpperCase();
      const r = await call(m, p, { id: 'AAAAAAAAAAAAAAAAAAAAAA' }, { json: {}, headers: { origin: h.url, 'x-registrar-csrf': 'x' } });
      assert.equal(r.status, 404, `${m} ${p}`);
      assert.equal(r.headers.get('access-control-allow-origin'), null);
      n++;
    }
    assert.equal(n, 3 + 8 + 15);
    // Any method: in this build the paths do not exist (the sign-in paths still know theirs).
    for (const p of ['/dashboard/clients', '/dashboard/admin/clients', '/dashboard/claim']) {
      assert.equal((await h.request('PATCH', p, { json: {} })).status, 404, p);
    }
  });

  it('other methods are 405 with the path\'s Allow; other paths 404', async () => {
    for (const [p, allow] of Object.entries(ALLOW)) {
      const concrete = p.replace(/\{\w+\}/g, 'AAAAAAAAAAAAAAAAAAAAAA');
      const r = await h.request('PATCH', concrete, { ...(p.startsWith('/as/') ? { token: AS_API_TOKEN } : admin), json: {} });
      assertConforms(r, 'PATCH', p);
      assert.equal(r.status, 405, `PATCH ${p}`);
      assert.equal(r.headers.get('allow'), allow, `Allow of ${p}`);
    }
    const options = await h.request('OPTIONS', '/admin/clients', admin);
    assert.equal(options.status, 405, 'admin routes have no preflight');
    for (const p of ['/nope', '/register/', '/register/a/b', '/admin/nope', '/admin/clients/x/nope']) {
      const r = await h.request('GET', p, admin);
      assert.equal(r.status, 404, p);
      assertConforms(r, 'GET', p);
    }
  });
});

describe('the Worker and the document, in other configurations', { timeout: 120_000 }, () => {
  it('REGISTRATION_MODE=disabled: 403, discovery without registration_endpoint; no ADMIN_TOKEN, AS_API_TOKEN: admin, AS 404', async () => {
    const h = await start({ vars: { REGISTRATION_MODE: 'disabled' } });
    try {
      const reg = await h.register(WEB);
      assertConforms(reg, 'POST', '/register');
      assert.equal(reg.status, 403);
      const d = assertConforms(await h.request('GET', '/.well-known/openid-configuration'), 'GET', '/.well-known/openid-configuration');
      assert.equal(d.body.registration_endpoint, undefined);
      const a = assertConforms(await h.request('GET', '/admin/clients', { token: ADMIN_TOKEN }), 'GET', '/admin/clients');
      assert.equal(a.status, 404);
      for (const [m, t] of [['GET', '/as/v1/clients/{id}'], ['POST', '/as/v1/clients/{id}/authenticate'], ['POST', '/as/v1/clients/{id}/authorization-check']]) {
        const r = await h.request(m, t.replace('{id}', 'AAAAAAAAAAAAAAAAAAAAAA'), { token: AS_API_TOKEN, json: { client_secret: 'x' } });
        assert.equal(r.status, 404, `${m} ${t} without AS_API_TOKEN`);
        assertConforms(r, m, t);
      }
    } finally {
      await h.dispose();
    }
  });

  it('REGISTRATION_MODE=token: 401 without an initial access token; ISSUER set: discovery cacheable', async () => {
    const h0 = await start({ vars: { REGISTRATION_MODE: 'token' } });
    try {
      const r = assertConforms(await h0.register(WEB), 'POST', '/register');
      assert.equal(r.status, 401);
      const d = assertConforms(await h0.request('GET', '/.well-known/oauth-authorization-server'), 'GET', '/.well-known/oauth-authorization-server');
      assert.equal(d.headers.get('cache-control'), 'public, max-age=300');
    } finally {
      await h0.dispose();
    }
  });

  it('over the rate limit: 429 with Retry-After, as documented', async () => {
    const h = await start({ ratelimits: { REGISTER_IP_LIMITER: { limit: 1, period: 60 } } });
    try {
      assertConforms(await h.register(NATIVE), 'POST', '/register');
      const r = assertConforms(await h.register(NATIVE), 'POST', '/register');
      assert.equal(r.status, 429);
      assertConforms(await h.request('POST', '/metadata/validate', { json: NATIVE }), 'POST', '/metadata/validate');
      const v = assertConforms(await h.request('POST', '/metadata/validate', { json: NATIVE }), 'POST', '/metadata/validate');
      assert.equal(v.status, 429);
    } finally {
      await h.dispose();
    }
  });

  it('a configuration error: 500 server_error on every route, as documented', async () => {
    const h = await start({ vars: { STORAGE_BACKEND: 'nope' } });
    try {
      for (const [m, p, t] of [['POST', '/register', '/register'], ['GET', '/register/AAAAAAAAAAAAAAAAAAAAAA', '/register/{client_id}'],
        ['GET', '/.well-known/openid-configuration', '/.well-known/openid-configuration'], ['GET', '/admin/audit', '/admin/audit'],
        ['POST', '/metadata/validate', '/metadata/validate']]) {
        const r = await h.request(m, p, { json: WEB, token: ADMIN_TOKEN });
        assert.equal(r.status, 500, `${m} ${p}`);
        assertConforms(r, m, t);
      }
    } finally {
      await h.dispose();
    }
  });
});
