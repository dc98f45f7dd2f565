// POST /metadata/validate against the built Worker: 200 with every error, the warnings and the
// normalized metadata; the same 400/413/415 as POST /register; CORS; nothing written to D1; 429
// per client network once over REGISTER_IP_LIMITER, apart from the registration count.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, assertError, assertNoStore, without } from './harness.js';

const PATH = '/metadata/validate';
const LIMIT = 3;
const fromIp = (ip, extra = {}) => ({ ...extra, headers: { 'cf-connecting-ip': ip, ...(extra.headers ?? {}) } });

let h;
before(async () => {
  h = await start({ ratelimits: { REGISTER_IP_LIMITER: { limit: LIMIT, period: 60 } } });
}, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

async function rows() {
  const db = await h.d1();
  const count = async (t) => (await db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).first()).n;
  return { clients: await count('clients'), audit: await count('audit_events') };
}

let ip = 0;
const freshIp = () => `203.0.113.${++ip}`;

describe('POST /metadata/validate', () => {
  it('lists every error with its member; no normalized; nothing written', async () => {
    const before = await rows();
    const r = await h.request('POST', PATH, fromIp(freshIp(), { json: {
      redirect_uris: ['https://a.example/cb', 'https://a.example/cb#x'],
      logo_uri: 'ftp://a.example/l.png', scope: 'openid nope',
    } }));
    assert.equal(r.status, 200, r.text);
    assertNoStore(r);
    assert.equal(r.body.valid, false);
    assert.equal(r.body.normalized, undefined);
    assert.deepEqual(r.body.errors.map((e) => [e.member, e.error]), [
      ['redirect_uris[1]', 'invalid_redirect_uri'],
      ['logo_uri', 'invalid_client_metadata'],
      ['scope', 'invalid_client_metadata'],
    ]);
    assert.ok(r.body.warnings.some((w) => w.member === 'client_name'));
    assert.deepEqual(await rows(), before);
  });

  it('valid metadata: normalized equals a registration minus credentials', async () => {
    const meta = { redirect_uris: ['http://localhost:3000/cb'], token_endpoint_auth_method: 'none', client_name: 'V' };
    const r = await h.request('POST', PATH, fromIp(freshIp(), { json: meta }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.valid, true);
    assert.deepEqual(r.body.errors, []);
    assert.deepEqual(r.body.warnings.map((w) => w.member), ['redirect_uris[0]', 'application_type']);
    const reg = await h.registerOk(meta, fromIp(freshIp()));
    assert.deepEqual(r.body.normalized, without(reg, 'client_id', 'client_id_issued_at', 'registration_access_token', 'registration_client_uri'));
  });

  it('?profile=cimd adds the document rules', async () => {
    const r = await h.request('POST', `${PATH}?profile=cimd`, fromIp(freshIp(), { json: {
      client_id: 'http://app.example/c', redirect_uris: ['https://app.example/cb'], client_secret: 'x',
    } }));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.errors.map((e) => e.member), ['client_id', 'client_secret', 'token_endpoint_auth_method']);
    assertError(await h.request('POST', `${PATH}?profile=x`, fromIp(freshIp(), { json: {} })), 400, 'invalid_request');
  });

  it('refuses malformed JSON, other media types and large bodies as /register does; CORS', async () => {
    const a = freshIp();
    for (const [opts, status] of [
      [{ body: '{', headers: { 'content-type': 'application/json' } }, 400],
      [{ body: '[1]', headers: { 'content-type': 'application/json' } }, 400],
      [{ body: '{}', headers: { 'content-type': 'text/plain' } }, 415],
      [{ body: `{"x":"${'x'.repeat(70_000)}"}`, headers: { 'content-type': 'application/json' } }, 413],
    ]) {
      const v = await h.request('POST', PATH, fromIp(a, opts));
      const reg = await h.request('POST', '/register', fromIp(freshIp(), opts));
      assert.equal(v.status, status, v.text);
      assert.equal(reg.status, status);
      assert.equal(v.body.error, reg.body.error);
    }
    const pre = await h.request('OPTIONS', PATH, { origin: 'https://app.example' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');
    const r = await h.request('POST', PATH, fromIp(freshIp(), { json: {}, origin: 'https://app.example' }));
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    // GET ?url= fetches a client ID metadata document (tests/cimd): off here, as the CIMD routes are.
    const get = await h.request('GET', `${PATH}?url=${encodeURIComponent('https://app.example/c.json')}`);
    assertError(get, 404, 'not_found');
    assert.match(get.body.error_description, /CIMD/);
    const head = await h.request('HEAD', PATH);
    assert.equal(head.status, 405);
    assert.equal(head.headers.get('allow'), 'GET, POST, OPTIONS');
  });

  it('is rate limited per client network, apart from registrations', async () => {
    const a = freshIp();
    for (let i = 0; i < LIMIT; i++) {
      assert.equal((await h.request('POST', PATH, fromIp(a, { json: {} }))).status, 200);
    }
    const r = await h.request('POST', PATH, fromIp(a, { json: {} }));
    assertError(r, 429, 'too_many_requests');
    assert.ok(r.headers.get('retry-after'));
    // The same network can still register: checking did not use up its registrations.
    await h.registerOk({ redirect_uris: ['https://a.example/cb'] }, fromIp(a));
  });
});
