// /register/{client_id} (RFC 7592): read, update, delete, and token handling.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  start, assertError, assertInvalidToken, assertNoStore, assertJsonContentType, without, headerList,
} from './harness.js';

const WEB = { redirect_uris: ['https://client.example/cb'], client_name: 'Managed' };
const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

let h;
before(async () => { h = await start(); }, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

const get = (c, token = c.registration_access_token) => h.request('GET', h.clientPath(c.client_id), { token });
const put = (c, json, token = c.registration_access_token) => h.request('PUT', h.clientPath(c.client_id), { token, json });
const del = (c, token = c.registration_access_token) => h.request('DELETE', h.clientPath(c.client_id), { token });

/** The PUT body the round-trip law starts from: the 201 body minus the server-managed members. */
const putBody = (c) => without(c, ...SERVER_MEMBERS);

/** A 401 that reveals nothing about the client. */
function assertOpaque401(r, client) {
  assertInvalidToken(r);
  if (client) {
    for (const v of [client.client_name, client.client_secret, client.registration_access_token, ...(client.redirect_uris ?? [])]) {
      if (typeof v === 'string' && v.length > 3) assert.ok(!r.text.includes(v), `401 body leaks client data ${JSON.stringify(v)}`);
    }
  }
}

describe('GET /register/{client_id}', { timeout: 60_000 }, () => {
  it('200 with the registration (same as the 201 body, without client_secret), no-store', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Reader', scope: 'openid email' });
    const r = await get(c);
    assert.equal(r.status, 200, r.text);
    assertJsonContentType(r);
    assertNoStore(r);
    assert.ok(!('client_secret' in r.body), 'GET must not return client_secret');
    assert.deepEqual(r.body, without(c, 'client_secret'));
    assert.equal(r.body.registration_access_token, c.registration_access_token);
  });

  it('works for a public client too', async () => {
    const c = await h.registerOk({ redirect_uris: ['http://127.0.0.1:4000/cb'], token_endpoint_auth_method: 'none' });
    const r = await get(c);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, c);
  });
});

describe('401 invalid_token, never 404', { timeout: 60_000 }, () => {
  let a, b;
  before(async () => {
    a = await h.registerOk({ ...WEB, client_name: 'Alice App' });
    b = await h.registerOk({ ...WEB, client_name: 'Bob App', redirect_uris: ['https://bob.example/cb'] });
  });

  it('missing Authorization', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await h.request(method, h.clientPath(a.client_id), method === 'PUT' ? { json: putBody(a) } : {});
      assertOpaque401(r, a);
    }
  });

  it('a non-Bearer Authorization', async () => {
    const r = await h.request('GET', h.clientPath(a.client_id), {
      headers: { authorization: `Basic ${Buffer.from(`${a.client_id}:${a.client_secret}`).toString('base64')}` },
    });
    assertOpaque401(r, a);
    const empty = await h.request('GET', h.clientPath(a.client_id), { headers: { authorization: 'Bearer ' } });
    assertOpaque401(empty, a);
  });

  it('a wrong token', async () => {
    const wrong = randomBytes(32).toString('base64url');
    assertOpaque401(await get(a, wrong), a);
    assertOpaque401(await put(a, putBody(a), wrong), a);
    assertOpaque401(await del(a, wrong), a);
    // The client secret is not a registration access token.
    assertOpaque401(await get(a, a.client_secret), a);
    // A prefix of the right token is wrong.
    assertOpaque401(await get(a, a.registration_access_token.slice(0, -1)), a);
  });

  it("another client's token", async () => {
    assertOpaque401(await get(a, b.registration_access_token), a);
    assertOpaque401(await put(a, putBody(a), b.registration_access_token), a);
    assertOpaque401(await del(a, b.registration_access_token), a);
    // Neither client was changed by that.
    assert.equal((await get(a)).status, 200);
    assert.equal((await get(b)).status, 200);
  });

  it('an unknown client_id', async () => {
    const ghost = { client_id: randomBytes(16).toString('base64url') };
    for (const token of [a.registration_access_token, randomBytes(32).toString('base64url')]) {
      assertOpaque401(await get(ghost, token));
      assertOpaque401(await put(ghost, { ...putBody(a), client_id: ghost.client_id }, token));
      assertOpaque401(await del(ghost, token));
    }
  });

  it('the 401 for an unknown client and for a wrong token look the same', async () => {
    const ghost = await get({ client_id: randomBytes(16).toString('base64url') }, a.registration_access_token);
    const wrong = await get(a, b.registration_access_token);
    assert.equal(ghost.status, wrong.status);
    assert.equal(ghost.body.error, wrong.body.error);
    assert.equal(ghost.headers.get('www-authenticate'), wrong.headers.get('www-authenticate'));
  });
});

describe('PUT /register/{client_id}', { timeout: 60_000 }, () => {
  it('replaces the registration and rotates the registration access token', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Before', logo_uri: 'https://client.example/logo.png' });
    const body = { ...putBody(c), client_name: 'After', redirect_uris: ['https://client.example/new'] };
    delete body.logo_uri;
    const r = await put(c, body);
    assert.equal(r.status, 200, r.text);
    assertJsonContentType(r);
    assertNoStore(r);
    assert.equal(r.body.client_id, c.client_id);
    assert.equal(r.body.client_name, 'After');
    assert.deepEqual(r.body.redirect_uris, ['https://client.example/new']);
    assert.ok(!('logo_uri' in r.body), 'an omitted member must be removed');
    assert.equal(r.body.client_id_issued_at, c.client_id_issued_at);
    assert.equal(r.body.registration_client_uri, c.registration_client_uri);
    assert.equal(typeof r.body.registration_access_token, 'string');
    assert.ok(r.body.registration_access_token.length >= 43);
    assert.notEqual(r.body.registration_access_token, c.registration_access_token, 'the token must rotate');

    // The old token is dead at once, the new one works and shows the new state.
    assertInvalidToken(await get(c));
    const g = await get(c, r.body.registration_access_token);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.client_name, 'After');
    assert.ok(!('logo_uri' in g.body));
    assert.deepEqual(g.body.redirect_uris, ['https://client.example/new']);
  });

  it('dropping client_name removes it', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Named' });
    const r = await put(c, without(putBody(c), 'client_name'));
    assert.equal(r.status, 200, r.text);
    assert.ok(!('client_name' in r.body));
    const g = await get(c, r.body.registration_access_token);
    assert.ok(!('client_name' in g.body), 'client_name still stored after a PUT without it');
  });

  it('omitted defaulted members return to their defaults', async () => {
    const c = await h.registerOk({ ...WEB, scope: 'openid profile', grant_types: ['authorization_code', 'refresh_token'] });
    const body = without(putBody(c), 'scope', 'grant_types', 'response_types');
    const r = await put(c, body);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.scope, 'openid');
    assert.deepEqual(r.body.grant_types, ['authorization_code']);
    assert.deepEqual(r.body.response_types, ['code']);
  });

  it('400 invalid_request when client_id is missing or different', async () => {
    const c = await h.registerOk(WEB);
    const other = await h.registerOk(WEB);
    assertError(await put(c, without(putBody(c), 'client_id')), 400, 'invalid_request');
    assertError(await put(c, { ...putBody(c), client_id: other.client_id }), 400, 'invalid_request');
    assertError(await put(c, { ...putBody(c), client_id: 'nope' }), 400, 'invalid_request');
    // The token still works and nothing changed.
    const g = await get(c);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body, without(c, 'client_secret'));
    assert.equal((await get(other)).status, 200);
  });

  it('400 invalid_request when client_secret is present but wrong', async () => {
    const c = await h.registerOk(WEB);
    const other = await h.registerOk(WEB);
    assertError(await put(c, { ...putBody(c), client_secret: 'wrong-secret-wrong-secret-wrong-secret-wrong' }), 400, 'invalid_request');
    assertError(await put(c, { ...putBody(c), client_secret: other.client_secret }), 400, 'invalid_request');
    const g = await get(c);
    assert.equal(g.status, 200, g.text);
  });

  for (const member of SERVER_MEMBERS) {
    it(`400 invalid_request when the body contains ${member}`, async () => {
      const c = await h.registerOk(WEB);
      const r = await put(c, { ...putBody(c), [member]: c[member] });
      assertError(r, 400, 'invalid_request', member);
      const g = await get(c);
      assert.equal(g.status, 200, 'a refused PUT must not rotate the token');
    });
  }

  it('400 for a bad Content-Type or body, token unchanged', async () => {
    const c = await h.registerOk(WEB);
    const path = h.clientPath(c.client_id);
    const token = c.registration_access_token;
    assertError(await h.request('PUT', path, { token, body: JSON.stringify(putBody(c)), headers: { 'content-type': 'text/plain' } }), 415, 'invalid_request');
    assertError(await h.request('PUT', path, { token, body: '{', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
    assertError(await h.request('PUT', path, { token, body: '[]', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
    assert.equal((await get(c)).status, 200);
  });

  it('invalid metadata gives the RFC 7591 error and leaves the registration unchanged', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Stable' });
    const r = await put(c, { ...putBody(c), redirect_uris: ['https://client.example/ok', 'https://client.example/cb#frag'] });
    assertError(r, 400, 'invalid_redirect_uri', 'redirect_uris[1]');
    const r2 = await put(c, { ...putBody(c), scope: 'openid admin' });
    assertError(r2, 400, 'invalid_client_metadata', 'scope');
    const r3 = await put(c, { ...putBody(c), software_statement: 'a.b.c' });
    assertError(r3, 400, 'invalid_software_statement');
    const g = await get(c);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body, without(c, 'client_secret'));
  });

  it('two concurrent PUTs with the same token: exactly one 200, the other 401', async () => {
    const c = await h.registerOk(WEB);
    const results = await Promise.all([
      put(c, { ...putBody(c), client_name: 'First' }),
      put(c, { ...putBody(c), client_name: 'Second' }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 401], `statuses ${statuses}: ${results.map((r) => r.text).join(' | ')}`);
    const winner = results.find((r) => r.status === 200);
    assertInvalidToken(results.find((r) => r.status === 401));
    const g = await get(c, winner.body.registration_access_token);
    assert.equal(g.status, 200);
    assert.equal(g.body.client_name, winner.body.client_name);
    assertInvalidToken(await get(c));
  });

  it('many concurrent PUTs with the same token: exactly one wins', async () => {
    const c = await h.registerOk(WEB);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => put(c, { ...putBody(c), client_name: `Racer ${i}` })),
    );
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, `statuses ${results.map((r) => r.status)}`);
    for (const r of results) if (r.status !== 200) assertInvalidToken(r);
  });
});

describe('round-trip law: PUT(201 body minus server members) changes nothing', { timeout: 60_000 }, () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'rt', use: 'sig' };
  const cases = {
    'minimal confidential web client': { redirect_uris: ['https://client.example/cb'] },
    'rich client_secret_post client': {
      redirect_uris: ['https://EXAMPLE.com:443/cb?x=1', 'http://127.0.0.1:9000/cb'],
      client_name: 'Round Trip',
      'client_name#fr': 'Aller-retour',
      client_uri: 'https://client.example/',
      logo_uri: 'https://client.example/logo.png',
      policy_uri: 'https://client.example/policy',
      tos_uri: 'https://client.example/tos',
      contacts: ['ops@client.example'],
      scope: 'openid profile offline_access',
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_post',
      software_id: 'rt-app',
      software_version: '1.0.0',
      default_max_age: 600,
      require_auth_time: true,
    },
    'public native client': {
      redirect_uris: ['com.example.app:/cb', 'http://127.0.0.1:33418/cb'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    },
    'private_key_jwt with jwks': {
      redirect_uris: ['https://client.example/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
    },
    'client_credentials only': { grant_types: ['client_credentials'], scope: 'openid email' },
  };
  for (const [name, meta] of Object.entries(cases)) {
    it(name, async () => {
      const c = await h.registerOk(meta);
      const r = await put(c, putBody(c));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(without(r.body, 'registration_access_token'), without(c, 'registration_access_token'));
      const g = await get(c, r.body.registration_access_token);
      assert.equal(g.status, 200, g.text);
      assert.deepEqual(without(g.body, 'registration_access_token'), without(c, 'registration_access_token', 'client_secret'));
      // And again with the new state: still a fixed point.
      const r2 = await put({ ...c, registration_access_token: r.body.registration_access_token }, putBody(c));
      assert.equal(r2.status, 200, r2.text);
      assert.deepEqual(without(r2.body, 'registration_access_token'), without(c, 'registration_access_token'));
    });
  }
});

describe('DELETE /register/{client_id}', { timeout: 60_000 }, () => {
  it('204 with an empty body; afterwards the token is dead for GET/PUT/DELETE', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Doomed' });
    const r = await del(c);
    assert.equal(r.status, 204, r.text);
    assert.equal(r.text, '');
    assertOpaque401(await get(c), c);
    assertOpaque401(await put(c, putBody(c)), c);
    assertOpaque401(await del(c), c);
  });

  it('deleting one client leaves the others alone', async () => {
    const a = await h.registerOk(WEB);
    const b = await h.registerOk(WEB);
    assert.equal((await del(a)).status, 204);
    const g = await get(b);
    assert.equal(g.status, 200);
    assert.deepEqual(g.body, without(b, 'client_secret'));
  });
});

describe('methods and routes', { timeout: 60_000 }, () => {
  it('POST /register/{id} → 405 with Allow', async () => {
    const c = await h.registerOk(WEB);
    for (const method of ['POST', 'PATCH']) {
      const r = await h.request(method, h.clientPath(c.client_id), { token: c.registration_access_token, json: putBody(c) });
      assert.equal(r.status, 405, `${method}: ${r.text}`);
      const allow = headerList(r, 'allow');
      for (const m of ['get', 'put', 'delete']) assert.ok(allow.includes(m), `Allow ${JSON.stringify(r.headers.get('allow'))} lacks ${m}`);
      assert.ok(!allow.includes(method.toLowerCase()));
      assertJsonContentType(r);
      assert.equal(typeof r.body.error, 'string');
      assert.equal(typeof r.body.error_description, 'string');
    }
    // Nothing happened to the client.
    const g = await get(c);
    assert.equal(g.status, 200);
    assert.equal(g.body.client_name, WEB.client_name);
  });

  it('GET/PUT/DELETE /register → 405 with Allow containing POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await h.request(method, '/register');
      assert.equal(r.status, 405, `${method}: ${r.text}`);
      const allow = headerList(r, 'allow');
      assert.ok(allow.includes('post'), `Allow ${JSON.stringify(r.headers.get('allow'))}`);
      assert.ok(!allow.includes(method.toLowerCase()));
      assertJsonContentType(r);
      assert.equal(typeof r.body.error, 'string');
      assert.equal(typeof r.body.error_description, 'string');
    }
  });

  it('unknown paths → 404 JSON', async () => {
    for (const p of ['/nope', '/register/a/b', '/.well-known/nope', '/registerx']) {
      const r = await h.request('GET', p);
      assert.equal(r.status, 404, `${p}: ${r.status} ${r.text}`);
      assertJsonContentType(r);
      assert.equal(typeof r.body.error, 'string');
      assert.equal(typeof r.body.error_description, 'string');
    }
  });
});
