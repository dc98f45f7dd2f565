// POST /register (RFC 7591): request parsing, the 201 response, defaults and validation errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import {
  start, assertError, assertNoStore, assertJsonContentType, nowSeconds, httpRequest,
} from './harness.js';

const WEB = { redirect_uris: ['https://client.example/cb'] };

let h;
before(async () => { h = await start(); }, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

function publicJwk() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    pub: { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256' },
    priv: { ...privateKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256' },
  };
}

const rawRequest = (agent, method, path, opts) => httpRequest(new URL(path, h.url), { ...opts, method, agent });

/**
 * A JSON object of exactly `size` bytes that is valid metadata apart from its size: the padding is
 * an unknown member (ignored), and `client_name` after it shows the whole body was read. (A padded
 * `software_id` was used until text members got length caps.)
 */
function paddedBody(size) {
  const head = '{"redirect_uris":["https://client.example/cb"],"x_padding":"';
  const tail = '","client_name":"end"}';
  const body = Buffer.from(head + 'x'.repeat(size - head.length - tail.length) + tail);
  assert.equal(body.length, size);
  return body;
}

describe('POST /register request body', { timeout: 60_000 }, () => {
  it('415 invalid_request when Content-Type is not application/json', async () => {
    const body = JSON.stringify(WEB);
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json']) {
      const r = await h.request('POST', '/register', { body, headers: { 'content-type': ct } });
      assertError(r, 415, 'invalid_request');
    }
  });

  it('415 invalid_request when Content-Type is missing', async () => {
    const r = await h.request('POST', '/register', { body: new TextEncoder().encode(JSON.stringify(WEB)) });
    assert.equal(r.status, 415, r.text);
    assertError(r, 415, 'invalid_request');
  });

  it('accepts application/json with parameters', async () => {
    const r = await h.request('POST', '/register', { json: WEB, headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(r.status, 201, r.text);
  });

  it('400 invalid_request for an empty body, malformed JSON and non-object JSON', async () => {
    for (const body of ['', '{', '{"redirect_uris": ["https://client.example/cb"],}', '[]', '[{"redirect_uris":["https://client.example/cb"]}]', '"str"', '42', 'null', 'true']) {
      const r = await h.request('POST', '/register', { body, headers: { 'content-type': 'application/json' } });
      assertError(r, 400, 'invalid_request');
    }
  });

  it('413 invalid_request for a body over 65536 bytes; exactly 65536 bytes is not 413', async () => {
    const r = await h.request('POST', '/register', { body: paddedBody(65537), headers: { 'content-type': 'application/json' } });
    assertError(r, 413, 'invalid_request');
    const big = await h.request('POST', '/register', { body: paddedBody(200_000), headers: { 'content-type': 'application/json' } });
    assertError(big, 413, 'invalid_request');
    const edge = await h.request('POST', '/register', { body: paddedBody(65536), headers: { 'content-type': 'application/json' } });
    assert.notEqual(edge.status, 413, 'a body of exactly 65536 bytes is within the limit');
    assert.ok(edge.status === 201 || edge.status === 400, `unexpected ${edge.status} ${edge.text}`);
  });

  it('a chunked body (no Content-Length) within the limit registers, read chunk by chunk', async () => {
    const agent = new http.Agent({ keepAlive: false });
    try {
      const r = await rawRequest(agent, 'POST', '/register', {
        headers: { 'content-type': 'application/json' },
        body: paddedBody(40_000),
        chunked: true,
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.client_name, 'end', 'the member after 39,900 bytes of padding was read');
      assert.ok(!('x_padding' in r.body));
    } finally {
      agent.destroy();
    }
  });

  it('413 also for a chunked body (no Content-Length) over the limit', async () => {
    const agent = new http.Agent({ keepAlive: false });
    try {
      const r = await rawRequest(agent, 'POST', '/register', {
        headers: { 'content-type': 'application/json' },
        body: paddedBody(70_000),
        chunked: true,
      });
      assertError(r, 413, 'invalid_request');
    } finally {
      agent.destroy();
    }
  });

  it('after a 413 the same keep-alive connection serves the next request', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await rawRequest(agent, 'POST', '/register', {
        headers: { 'content-type': 'application/json', 'content-length': '70000' },
        body: paddedBody(70_000),
      });
      assertError(first, 413, 'invalid_request');
      assert.notEqual((first.headers.get('connection') ?? '').toLowerCase(), 'close', 'the 413 response closes the connection');
      const body = Buffer.from(JSON.stringify(WEB));
      const second = await rawRequest(agent, 'POST', '/register', {
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
        body,
      });
      assert.equal(second.status, 201, second.text);
      assert.equal(second.reused, true, 'the second request did not reuse the keep-alive connection');
      assert.equal(second.socket, first.socket, 'the second request went over a different socket');
    } finally {
      agent.destroy();
    }
  });
});

describe('POST /register 201 response', { timeout: 60_000 }, () => {
  it('returns the metadata, credentials and management URI with no-store headers', async () => {
    const before = nowSeconds();
    const meta = { redirect_uris: ['https://client.example/cb', 'https://client.example/cb2'], client_name: 'Example App' };
    const r = await h.register(meta);
    const afterT = nowSeconds();
    assert.equal(r.status, 201, r.text);
    assertJsonContentType(r);
    assertNoStore(r);
    const b = r.body;
    assert.deepEqual(b.redirect_uris, meta.redirect_uris);
    assert.equal(b.client_name, 'Example App');
    assert.match(b.client_id, /^[A-Za-z0-9_-]{22,}$/, 'client_id is URL-safe and ≥22 chars');
    assert.ok(Number.isInteger(b.client_id_issued_at), 'client_id_issued_at is an integer');
    assert.ok(b.client_id_issued_at >= before - 5 && b.client_id_issued_at <= afterT + 5,
      `client_id_issued_at ${b.client_id_issued_at} not close to now (${before}..${afterT})`);
    assert.equal(typeof b.client_secret, 'string');
    assert.ok(b.client_secret.length >= 43, 'client_secret ≥ 43 chars');
    assert.equal(b.client_secret_expires_at, 0);
    assert.equal(typeof b.registration_access_token, 'string');
    assert.ok(b.registration_access_token.length >= 43, 'registration_access_token ≥ 43 chars');
    assert.notEqual(b.registration_access_token, b.client_secret);
    assert.equal(b.registration_client_uri, `${h.issuer}/register/${b.client_id}`);
  });

  it('issues distinct client_id, client_secret and registration_access_token each time', async () => {
    const a = await h.registerOk(WEB);
    const b = await h.registerOk(WEB);
    assert.notEqual(a.client_id, b.client_id);
    assert.notEqual(a.client_secret, b.client_secret);
    assert.notEqual(a.registration_access_token, b.registration_access_token);
  });

  it('echoes the defaults', async () => {
    const b = await h.registerOk(WEB);
    assert.deepEqual(b.grant_types, ['authorization_code']);
    assert.deepEqual(b.response_types, ['code']);
    assert.equal(b.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(b.application_type, 'web');
    assert.equal(b.id_token_signed_response_alg, 'RS256');
    assert.equal(b.scope, h.vars.DEFAULT_SCOPE);
    assert.equal(b.scope, 'openid');
  });

  it('keeps a requested scope', async () => {
    const b = await h.registerOk({ ...WEB, scope: 'openid profile email' });
    assert.equal(b.scope, 'openid profile email');
  });

  it('client_credentials only: no redirect_uris needed, response_types []', async () => {
    const b = await h.registerOk({ grant_types: ['client_credentials'] });
    assert.deepEqual(b.grant_types, ['client_credentials']);
    assert.deepEqual(b.response_types, []);
    assert.equal(typeof b.client_secret, 'string');
  });

  it('client_secret only for client_secret_basic / client_secret_post', async () => {
    const post = await h.registerOk({ ...WEB, token_endpoint_auth_method: 'client_secret_post' });
    assert.equal(post.token_endpoint_auth_method, 'client_secret_post');
    assert.ok(post.client_secret?.length >= 43);
    assert.equal(post.client_secret_expires_at, 0);

    const basic = await h.registerOk({ ...WEB, token_endpoint_auth_method: 'client_secret_basic' });
    assert.ok(basic.client_secret?.length >= 43);
    assert.equal(basic.client_secret_expires_at, 0);

    const none = await h.registerOk({ redirect_uris: ['http://127.0.0.1:33418/cb'], token_endpoint_auth_method: 'none' });
    assert.equal(none.token_endpoint_auth_method, 'none');
    assert.ok(!('client_secret' in none), 'no client_secret for none');
    assert.ok(!('client_secret_expires_at' in none), 'no client_secret_expires_at for none');

    const jwt = await h.registerOk({ ...WEB, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://client.example/jwks.json' });
    assert.equal(jwt.token_endpoint_auth_method, 'private_key_jwt');
    assert.equal(jwt.jwks_uri, 'https://client.example/jwks.json');
    assert.ok(!('client_secret' in jwt), 'no client_secret for private_key_jwt');
    assert.ok(!('client_secret_expires_at' in jwt), 'no client_secret_expires_at for private_key_jwt');
  });

  it('private_key_jwt with a public jwks is accepted and echoed', async () => {
    const { pub } = publicJwk();
    const b = await h.registerOk({ ...WEB, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [pub] } });
    assert.deepEqual(b.jwks, { keys: [pub] });
    assert.ok(!('client_secret' in b));
  });

  it('does not echo unknown members', async () => {
    const b = await h.registerOk({ ...WEB, foo: 1, bar: { baz: true }, 'x-custom': 'y' });
    assert.ok(!('foo' in b), 'unknown member "foo" echoed');
    assert.ok(!('bar' in b), 'unknown member "bar" echoed');
    assert.ok(!('x-custom' in b), 'unknown member "x-custom" echoed');
  });

  it('treats null members as absent', async () => {
    const r = await h.register({
      ...WEB,
      client_name: null,
      logo_uri: null,
      scope: null,
      grant_types: null,
      response_types: null,
      token_endpoint_auth_method: null,
      application_type: null,
      default_max_age: null,
      jwks: null,
      jwks_uri: null,
      software_statement: null,
      sector_identifier_uri: null,
    });
    assert.equal(r.status, 201, r.text);
    const b = r.body;
    assert.ok(!('client_name' in b));
    assert.ok(!('logo_uri' in b));
    assert.ok(!('default_max_age' in b));
    assert.ok(!('jwks' in b) && !('jwks_uri' in b));
    assert.equal(b.scope, 'openid');
    assert.deepEqual(b.grant_types, ['authorization_code']);
    assert.deepEqual(b.response_types, ['code']);
    assert.equal(b.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(b.application_type, 'web');
  });

  it('echoes redirect URIs byte for byte', async () => {
    const uris = [
      'https://EXAMPLE.com:443/cb?x=1',
      'https://client.example/a/b?q=a+b&r=%2F&empty=',
      'https://client.example:8443/%7Euser/cb',
    ];
    const b = await h.registerOk({ redirect_uris: uris });
    assert.deepEqual(b.redirect_uris, uris);
  });

  it('echoes other metadata as given', async () => {
    const meta = {
      ...WEB,
      client_name: 'Full',
      client_uri: 'https://client.example/',
      logo_uri: 'https://client.example/logo.png',
      policy_uri: 'https://client.example/policy',
      tos_uri: 'https://client.example/tos',
      contacts: ['ops@client.example', 'dev@client.example'],
      software_id: '4NRB1-0XZABZI9E6-5SM3R',
      software_version: '2.1',
      default_max_age: 3600,
      require_auth_time: true,
    };
    const b = await h.registerOk(meta);
    for (const [k, v] of Object.entries(meta)) assert.deepEqual(b[k], v, `member ${k}`);
  });
});

describe('application_type inference', { timeout: 60_000 }, () => {
  it('native when every redirect URI is a custom scheme or http loopback', async () => {
    const b = await h.registerOk({ redirect_uris: ['com.example.app:/cb', 'http://127.0.0.1:33418/cb'] });
    assert.equal(b.application_type, 'native');
    const c = await h.registerOk({ redirect_uris: ['com.example.app:/oauth2redirect'] });
    assert.equal(c.application_type, 'native');
    const d = await h.registerOk({ redirect_uris: ['http://[::1]:8080/cb'], token_endpoint_auth_method: 'none' });
    assert.equal(d.application_type, 'native');
  });

  it('web when a redirect URI is https', async () => {
    const b = await h.registerOk({ redirect_uris: ['http://127.0.0.1:33418/cb', 'https://client.example/cb'] });
    assert.equal(b.application_type, 'web');
  });

  it('an explicit application_type is kept', async () => {
    const b = await h.registerOk({ redirect_uris: ['http://127.0.0.1:33418/cb'], application_type: 'web' });
    assert.equal(b.application_type, 'web');
  });
});

describe('localized metadata', { timeout: 60_000 }, () => {
  it('keeps and echoes client_name#fr', async () => {
    const b = await h.registerOk({ ...WEB, client_name: 'My App', 'client_name#fr': 'Mon appli', 'client_name#en-US': 'My App (US)' });
    assert.equal(b.client_name, 'My App');
    assert.equal(b['client_name#fr'], 'Mon appli');
    assert.equal(b['client_name#en-US'], 'My App (US)');
  });

  it('400 invalid_client_metadata for a malformed language tag', async () => {
    const r = await h.register({ ...WEB, 'client_name#!!': 'x' });
    assertError(r, 400, 'invalid_client_metadata');
  });
});

describe('POST /register validation errors', { timeout: 60_000 }, () => {
  const cases = [
    ['missing redirect_uris with authorization_code', { client_name: 'x' }, 'invalid_redirect_uri', 'redirect_uris'],
    ['empty redirect_uris with authorization_code', { redirect_uris: [] }, 'invalid_redirect_uri', 'redirect_uris'],
    ['redirect URI with a fragment', { redirect_uris: ['https://client.example/cb#frag'] }, 'invalid_redirect_uri', 'redirect_uris[0]'],
    ['javascript: redirect URI', { redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri', 'redirect_uris[0]'],
    ['relative redirect URI', { redirect_uris: ['/cb'] }, 'invalid_redirect_uri', 'redirect_uris[0]'],
    ['http non-loopback redirect for a web client', { redirect_uris: ['http://client.example/cb'], application_type: 'web' }, 'invalid_redirect_uri', 'redirect_uris[0]'],
    ['bad second redirect URI is named', { redirect_uris: ['https://client.example/ok', 'https://client.example/cb#x'] }, 'invalid_redirect_uri', 'redirect_uris[1]'],
    ['response_types code without authorization_code', { grant_types: ['client_credentials'], response_types: ['code'], redirect_uris: ['https://client.example/cb'] }, 'invalid_client_metadata'],
    ['response_types token without implicit', { ...WEB, response_types: ['token'] }, 'invalid_client_metadata'],
    ['implicit grant not enabled', { ...WEB, grant_types: ['implicit'], response_types: ['id_token'] }, 'invalid_client_metadata'],
    ['unsupported grant type', { ...WEB, grant_types: ['password'] }, 'invalid_client_metadata', 'grant_types'],
    ['unsupported scope', { ...WEB, scope: 'openid admin' }, 'invalid_client_metadata', 'scope'],
    ['unsupported token_endpoint_auth_method', { ...WEB, token_endpoint_auth_method: 'magic' }, 'invalid_client_metadata', 'token_endpoint_auth_method'],
    ['default_max_age of the wrong type', { ...WEB, default_max_age: 'x' }, 'invalid_client_metadata', 'default_max_age'],
    ['client_name of the wrong type', { ...WEB, client_name: 5 }, 'invalid_client_metadata', 'client_name'],
    ['grant_types of the wrong type', { ...WEB, grant_types: 'authorization_code' }, 'invalid_client_metadata', 'grant_types'],
    ['sector_identifier_uri', { ...WEB, sector_identifier_uri: 'https://client.example/sector.json' }, 'invalid_client_metadata', 'sector_identifier_uri'],
    ['software_statement', { ...WEB, software_statement: 'eyJhbGciOiJub25lIn0.eyJzb2Z0d2FyZV9pZCI6IngifQ.' }, 'invalid_software_statement'],
  ];
  for (const [name, meta, code, mention] of cases) {
    it(`${name} → 400 ${code}`, async () => {
      const r = await h.register(meta);
      assertError(r, 400, code, mention);
    });
  }

  it('jwks holding a private key → 400 invalid_client_metadata', async () => {
    const { priv } = publicJwk();
    const r = await h.register({ ...WEB, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [priv] } });
    assertError(r, 400, 'invalid_client_metadata', 'jwks');
  });

  it('both jwks and jwks_uri → 400 invalid_client_metadata', async () => {
    const { pub } = publicJwk();
    const r = await h.register({ ...WEB, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [pub] }, jwks_uri: 'https://client.example/jwks.json' });
    assertError(r, 400, 'invalid_client_metadata');
  });
});
