// Discovery documents (RFC 8414, OIDC Discovery) and the static page.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, assertJsonContentType, assertError, ROOT } from './harness.js';

const DOCS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

let h;
before(async () => { h = await start(); }, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

const words = (s) => s.trim().split(/\s+/);

describe('discovery documents', { timeout: 60_000 }, () => {
  for (const path of DOCS) {
    it(`GET ${path}`, async () => {
      const r = await h.request('GET', path);
      assert.equal(r.status, 200, r.text);
      assertJsonContentType(r);
      const d = r.body;
      assert.equal(d.issuer, h.issuer);
      assert.equal(d.issuer, h.vars.ISSUER);
      assert.equal(d.registration_endpoint, `${h.issuer}/register`);

      assert.ok(Array.isArray(d.grant_types_supported));
      assert.ok(d.grant_types_supported.includes('authorization_code'));
      assert.ok(!d.grant_types_supported.includes('implicit'), 'implicit must not be advertised by default');
      assert.deepEqual([...d.grant_types_supported].sort(), words(h.vars.GRANT_TYPES_SUPPORTED).sort());

      assert.ok(Array.isArray(d.response_types_supported));
      assert.ok(d.response_types_supported.includes('code'));
      for (const t of d.response_types_supported) {
        assert.ok(!/\b(token|id_token)\b/.test(t), `response type ${t} needs implicit, which is off`);
      }

      assert.ok(Array.isArray(d.token_endpoint_auth_methods_supported));
      for (const m of ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
        assert.ok(d.token_endpoint_auth_methods_supported.includes(m), `token_endpoint_auth_methods_supported lacks ${m}`);
      }

      assert.deepEqual([...d.scopes_supported].sort(), words(h.vars.SCOPES_SUPPORTED).sort());
      assert.ok(Array.isArray(d.subject_types_supported) && d.subject_types_supported.length > 0);
      assert.ok(d.subject_types_supported.every((s) => typeof s === 'string'));
      assert.ok(Array.isArray(d.id_token_signing_alg_values_supported));
      assert.ok(d.id_token_signing_alg_values_supported.includes('RS256'));

      // The operator's AUTHORIZATION_SERVER_METADATA is merged in.
      const op = JSON.parse(h.vars.AUTHORIZATION_SERVER_METADATA);
      assert.equal(d.authorization_endpoint, `${h.issuer}/authorize`);
      assert.equal(d.token_endpoint, `${h.issuer}/token`);
      assert.equal(d.jwks_uri, `${h.issuer}/jwks.json`);
      for (const [k, v] of Object.entries(op)) assert.deepEqual(d[k], v, `operator member ${k}`);
    });
  }

  it('both documents agree on the shared members', async () => {
    const [a, b] = await Promise.all(DOCS.map((p) => h.request('GET', p)));
    for (const k of ['issuer', 'registration_endpoint', 'grant_types_supported', 'response_types_supported',
      'token_endpoint_auth_methods_supported', 'scopes_supported', 'authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
      assert.deepEqual(a.body[k], b.body[k], k);
    }
  });

  it('what discovery advertises can be registered', async () => {
    const d = (await h.request('GET', DOCS[0])).body;
    for (const method of d.token_endpoint_auth_methods_supported) {
      const meta = { redirect_uris: ['https://client.example/cb'], token_endpoint_auth_method: method };
      if (method === 'private_key_jwt') meta.jwks_uri = 'https://client.example/jwks.json';
      const r = await h.register(meta);
      assert.equal(r.status, 201, `${method}: ${r.text}`);
    }
    const r = await h.register({ redirect_uris: ['https://client.example/cb'], scope: d.scopes_supported.join(' ') });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.scope, d.scopes_supported.join(' '));
  });

  it('implicit registration is refused by default', async () => {
    const r = await h.register({ redirect_uris: ['https://client.example/cb'], response_types: ['id_token'], grant_types: ['implicit'] });
    assertError(r, 400, 'invalid_client_metadata');
    const r2 = await h.register({ redirect_uris: ['https://client.example/cb'], response_types: ['id_token'] });
    assertError(r2, 400, 'invalid_client_metadata');
  });

  it('POST to a discovery document → 405 with Allow', async () => {
    const r = await h.request('POST', DOCS[0], { json: {} });
    assert.equal(r.status, 405, r.text);
    assert.ok((r.headers.get('allow') ?? '').toUpperCase().includes('GET'));
  });
});

describe('static page', { timeout: 60_000 }, () => {
  it('GET / serves the HTML page from static/', async () => {
    const r = await h.fetch('/');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/i);
    const text = await r.text();
    assert.match(text, /<html|<!doctype html/i);
    const file = path.join(ROOT, 'static', 'index.html');
    if (fs.existsSync(file)) assert.equal(text, fs.readFileSync(file, 'utf8'), 'GET / is not static/index.html');
  });
});

describe('configuration overrides ([vars])', { timeout: 60_000 }, () => {
  let o;
  before(async () => {
    o = await start({
      vars: {
        GRANT_TYPES_SUPPORTED: 'authorization_code refresh_token implicit',
        DEFAULT_SCOPE: 'openid email',
      },
    });
  }, { timeout: 60_000 });
  after(async () => { await o?.dispose(); });

  it('GRANT_TYPES_SUPPORTED with implicit: advertised and registrable', async () => {
    for (const p of DOCS) {
      const d = (await o.request('GET', p)).body;
      assert.ok(d.grant_types_supported.includes('implicit'), `${p} grant_types_supported lacks implicit`);
      assert.equal(d.issuer, o.issuer);
    }
    const r = await o.register({ redirect_uris: ['https://client.example/cb'], grant_types: ['implicit'], response_types: ['id_token'] });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.response_types, ['id_token']);
    assert.deepEqual(r.body.grant_types, ['implicit']);
    // As the contract words it: response_types ["id_token"] with an https redirect (grant_types omitted).
    const r2 = await o.register({ redirect_uris: ['https://client.example/cb'], response_types: ['id_token'] });
    assert.equal(r2.status, 201, r2.text);
    assert.deepEqual(r2.body.response_types, ['id_token']);
    // Grants outside the configured list are now refused.
    const cc = await o.register({ grant_types: ['client_credentials'] });
    assertError(cc, 400, 'invalid_client_metadata', 'grant_types');
  });

  it('DEFAULT_SCOPE is what a client gets when it asks for none', async () => {
    const b = await o.registerOk({ redirect_uris: ['https://client.example/cb'] });
    assert.equal(b.scope, 'openid email');
  });
});

describe('ISSUER unset (as in the local wrangler.toml)', { timeout: 60_000 }, () => {
  let u;
  before(async () => { u = await start({ vars: { ISSUER: '' } }); }, { timeout: 60_000 });
  after(async () => { await u?.dispose(); });

  it('the issuer is the origin the request arrived at, and discovery is not shared-cacheable', async () => {
    for (const p of DOCS) {
      const r = await u.request('GET', p);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.issuer, u.url.replace(/\/$/, ''));
      assert.equal(r.body.registration_endpoint, `${r.body.issuer}/register`);
      assert.equal(r.headers.get('cache-control'), 'no-cache');
    }
    const reg = await u.register({ redirect_uris: ['https://client.example/cb'] });
    assert.equal(reg.status, 201, reg.text);
    assert.ok(reg.body.registration_client_uri.startsWith(`${u.url.replace(/\/$/, '')}/register/`));
  });
});

describe('methods the runtime passes through but the Worker does not serve', { timeout: 60_000 }, () => {
  let m;
  before(async () => { m = await start({ vars: { ADMIN_TOKEN: 'method-admin-token-0123456789abcdef0123' } }); }, { timeout: 60_000 });
  after(async () => { await m?.dispose(); });

  it('PROPFIND is 405 with Allow, never treated as GET', async () => {
    for (const [p, token] of [[DOCS[0], undefined], ['/register', undefined], ['/admin/clients', 'method-admin-token-0123456789abcdef0123']]) {
      const r = await m.request('PROPFIND', p, { token });
      assert.equal(r.status, 405, `${p}: ${r.status} ${r.text}`);
      assert.ok(r.headers.get('allow'), `${p}: Allow header`);
    }
  });
});
