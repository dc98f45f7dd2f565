// Hostile input never corrupts stored data (D1 backend, built worker in Miniflare, real local D1).
// A client is registered and updated once with a valid PUT; then a batch of invalid PUTs, each
// with the client's current token, must each answer 4xx (never 5xx), must not rotate the token,
// and must leave the stored registration byte for byte as the valid PUT left it.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { start, httpRequest, assertInvalidToken, without } from '../worker/harness.js';

const SERVER_ONLY = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

let h;
after(async () => { await h?.dispose(); });

function nested(depth, leaf = 1) {
  return '['.repeat(depth) + JSON.stringify(leaf) + ']'.repeat(depth);
}

test('invalid PUTs are refused with 4xx and change nothing', { timeout: 90_000 }, async (t) => {
  h = await start({ vars: { STORAGE_BACKEND: 'd1' } });
  const db = await h.d1();
  const other = await h.registerOk({ client_name: 'bystander', redirect_uris: ['https://bystander.example/cb'] });
  const registered = await h.registerOk({
    client_name: 'target',
    redirect_uris: ['https://target.example/cb'],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const id = registered.client_id;
  const secret = registered.client_secret;

  // The one valid update: odd but legal content (a no-break space, a left-to-right mark, quotes,
  // markup, non-ASCII, a language-tagged name) that must round-trip exactly. (A NUL character
  // was legal here until issue 11; it is now one of the refused cases below.)
  const valid = {
    client_id: id,
    client_secret: secret,
    client_name: 'tar\u00a0get\u200e "quoted" <b>bold</b> \u00e9\u4e2d\u{1F600}',
    'client_name#ja-Jpan-JP': '\u30bf\u30fc\u30b2\u30c3\u30c8',
    redirect_uris: ['https://target.example/cb', 'https://target.example/cb?x=1&y=%00'],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid profile offline_access',
    contacts: ['admin@target.example'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  const put = await h.request('PUT', h.clientPath(id), { token: registered.registration_access_token, json: valid });
  assert.equal(put.status, 200, `the valid PUT: ${put.text}`);
  const token = put.body.registration_access_token;
  assert.notEqual(token, registered.registration_access_token, 'the valid PUT rotated the token');
  assert.equal(put.body.client_name, valid.client_name, 'the odd but legal name is stored as sent');

  const first = await h.request('GET', h.clientPath(id), { token });
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.body, without(put.body, 'client_secret'), 'GET shows what the PUT answered');
  const rowBefore = await db.prepare('SELECT * FROM clients WHERE client_id = ?1').bind(id).first();
  const otherBefore = await db.prepare('SELECT * FROM clients WHERE client_id = ?1').bind(other.client_id).first();

  const body = without(first.body, ...SERVER_ONLY); // a valid update body, to corrupt one way at a time
  const json = (o) => JSON.stringify(o);
  const big = 'x'.repeat(64 * 1024);
  const manyUris = Array.from({ length: 1500 }, (_, i) => `https://target.example/cb/${i}`);
  const cases = [
    // Not JSON, or not an object
    ['malformed JSON', { body: '{"client_id": "' + id + '", "client_name": ' }],
    ['truncated JSON', { body: json(body).slice(0, -1) }],
    ['trailing garbage', { body: json(body) + ' {}' }],
    ['empty body', { body: '' }],
    ['JSON array', { body: json([body]) }],
    ['JSON string', { body: json(json(body)) }],
    ['JSON number', { body: '42' }],
    ['JSON null', { body: 'null' }],
    ['raw NUL byte in the JSON text', { body: Buffer.concat([Buffer.from('{"client_id":"' + id + '","client_name":"a'), Buffer.from([0]), Buffer.from('b"}')]) }],
    ['invalid UTF-8', { body: Buffer.concat([Buffer.from(json(body).slice(0, -1) + ',"client_uri":"https://x.example/'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]) }],
    ['lone surrogate escape', { body: json(body).slice(0, -1) + ',"client_name":"\\ud800"}' }],
    ['deeply nested array (5,000 levels) in a known member', { body: json(body).slice(0, -1) + `,"redirect_uris":${nested(5000)}}` }],
    ['deeply nested array (20,000 levels) in an unknown member', { body: json(body).slice(0, -1) + `,"x":${nested(20000)}}` }],
    ['deeply nested objects (10,000 levels)', { body: json(body).slice(0, -1) + `,"x":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}` }],
    // Wrong types
    ['redirect_uris a string', { json: { ...body, redirect_uris: 'https://target.example/cb' } }],
    ['redirect_uris of numbers', { json: { ...body, redirect_uris: [1, 2] } }],
    ['client_name a number', { json: { ...body, client_name: 5 } }],
    ['client_name an object', { json: { ...body, client_name: { en: 'x' } } }],
    ['scope an array', { json: { ...body, scope: ['openid'] } }],
    ['grant_types a string', { json: { ...body, grant_types: 'authorization_code' } }],
    ['token_endpoint_auth_method a number', { json: { ...body, token_endpoint_auth_method: 1 } }],
    ['jwks a string', { json: { ...body, token_endpoint_auth_method: 'private_key_jwt', jwks: 'keys' } }],
    ['default_max_age negative', { json: { ...body, default_max_age: -1 } }],
    ['require_auth_time a string', { json: { ...body, require_auth_time: 'true' } }],
    ['default_max_age 2^64', { body: json(body).slice(0, -1) + ',"default_max_age":18446744073709551616}' }],
    ['default_max_age 1e400', { body: json(body).slice(0, -1) + ',"default_max_age":1e400}' }],
    ['client_id a number', { json: { ...body, client_id: 7 } }],
    ['client_secret a number', { json: { ...body, client_secret: 7 } }],
    // Invalid values
    ['fragment in a redirect URI', { json: { ...body, redirect_uris: ['https://target.example/cb#frag'] } }],
    ['empty fragment in a redirect URI', { json: { ...body, redirect_uris: ['https://target.example/cb#'] } }],
    ['NUL in a redirect URI', { json: { ...body, redirect_uris: ['https://target.example/c\u0000b'] } }],
    ['relative redirect URI', { json: { ...body, redirect_uris: ['/cb'] } }],
    ['duplicate redirect URIs', { json: { ...body, redirect_uris: ['https://target.example/cb', 'https://target.example/cb'] } }],
    ['unsupported scope', { json: { ...body, scope: 'openid root' } }],
    ['unsupported grant type', { json: { ...body, grant_types: ['password'] } }],
    ['NUL in the scope', { json: { ...body, scope: 'openid\u0000profile' } }],
    ['bad language tag', { json: { ...body, 'client_name#no such tag!': 'x' } }],
    ['garbage software_statement', { json: { ...body, software_statement: 'not.a.jwt' } }],
    // Issue 11: user information, control/bidi/invisible characters, caps, internal hosts, JWK shapes
    ['NUL in client_name', { json: { ...body, client_name: 'tar\u0000get' }, status: 400 }],
    ['right-to-left override in client_name', { json: { ...body, client_name: 'Google\u202Eelgoog' }, status: 400 }],
    ['zero-width space in a contact', { json: { ...body, contacts: ['a\u200Bb@target.example'] }, status: 400 }],
    ['client_name of 201 characters', { json: { ...body, client_name: 'n'.repeat(201) }, status: 400 }],
    ['user information in client_uri', { json: { ...body, client_uri: 'https://accounts.google.com@evil.example/' }, status: 400 }],
    ['empty user information in a redirect URI', { json: { ...body, redirect_uris: ['https://@target.example/cb'] }, status: 400 }],
    ['21 redirect URIs', { json: { ...body, redirect_uris: manyUris.slice(0, 21) }, status: 400 }],
    ['jwks_uri on the cloud metadata address', { json: { ...body, jwks_uri: 'https://169.254.169.254/' }, status: 400 }],
    ['request_uris on a private address', { json: { ...body, request_uris: ['https://10.0.0.1/r'] }, status: 400 }],
    ['an RSA key with a 1-byte modulus', { json: { ...body, jwks: { keys: [{ kty: 'RSA', n: '_w', e: 'AQAB' }] } }, status: 400 }],
    // Huge arrays (within 64 KiB) with one bad element at the end: nothing of them may be stored
    ['1,500 redirect URIs, the last with a fragment', { json: { ...body, redirect_uris: [...manyUris, 'https://target.example/cb#x'] }, status: 400 }],
    ['10,000 numbers as contacts', { json: { ...body, contacts: Array.from({ length: 10000 }, (_, i) => i) }, status: 400 }],
    ['2,500 duplicate grant types', { json: { ...body, grant_types: Array.from({ length: 2500 }, () => 'authorization_code') }, status: 400 }],
    // RFC 7592 §2.2 rules
    ['server-only registration_access_token', { json: { ...body, registration_access_token: token } }],
    ['server-only registration_client_uri', { json: { ...body, registration_client_uri: first.body.registration_client_uri } }],
    ['server-only client_id_issued_at', { json: { ...body, client_id_issued_at: first.body.client_id_issued_at } }],
    ['server-only client_secret_expires_at', { json: { ...body, client_secret_expires_at: 0 } }],
    ['missing client_id', { json: without(body, 'client_id') }],
    ['another client\'s client_id', { json: { ...body, client_id: other.client_id } }],
    ['client_id with a NUL', { json: { ...body, client_id: id + '\u0000' } }],
    ['wrong client_secret', { json: { ...body, client_secret: secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A') } }],
    ['empty client_secret', { json: { ...body, client_secret: '' } }],
    // Size and media type
    ['body over 64 KiB (valid JSON)', { json: { ...body, client_name: big }, status: 413 }],
    ['body of 1 MiB, chunked, no Content-Length', { body: json({ ...body, x: 'y'.repeat(1024 * 1024) }), chunked: true, status: 413 }],
    ['Content-Type text/plain', { body: json(body), headers: { 'content-type': 'text/plain' }, status: 415 }],
    ['Content-Type form', { body: 'client_id=' + id, headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 }],
    ['no Content-Type', { body: json(body), noContentType: true, status: 415 }],
    ['UTF-16 body declared as such', { body: Buffer.from(json(body), 'utf16le'), headers: { 'content-type': 'application/json; charset=utf-16' } }],
    ['gzip-encoded body', { body: gzipSync(json({ ...body, client_name: 'zipped' })), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }],
    ['Content-Type application/jsonx', { body: json(body), headers: { 'content-type': 'application/jsonx' }, status: 415 }],
  ];
  const outcomes = {};
  for (const [name, c] of cases) {
    const headers = { ...(c.headers ?? {}) };
    if (!c.noContentType && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    const opts = { token, headers };
    let r;
    if (c.chunked) {
      r = await httpRequest(new URL(h.clientPath(id), h.url), { method: 'PUT', headers: { ...headers, authorization: `Bearer ${token}` }, body: c.body, chunked: true });
    } else {
      r = await h.request('PUT', h.clientPath(id), c.json !== undefined ? { ...opts, json: c.json } : { ...opts, body: c.body });
    }
    outcomes[name] = r.status;
    assert.ok(r.status >= 400 && r.status < 500, `${name}: expected a 4xx, got ${r.status} ${r.text.slice(0, 300)}`);
    if (c.status) assert.equal(r.status, c.status, `${name}: ${r.text.slice(0, 300)}`);
    if (c.json !== undefined && c.status === 400) {
      assert.ok(Buffer.byteLength(json(c.json)) <= 64 * 1024, `${name}: the case must fit in 64 KiB to test validation, not size`);
    }
    assert.equal(typeof r.body?.error, 'string', `${name}: a JSON error body, got ${r.text.slice(0, 200)}`);
    // The token still works after each refusal (an invalid PUT must not rotate it).
    const check = await h.request('GET', h.clientPath(id), { token });
    assert.equal(check.status, 200, `${name}: the token stopped working (${check.status} ${check.text})`);
    assert.equal(check.text, first.text, `${name}: the stored registration changed`);
  }
  t.diagnostic(`${cases.length} invalid PUTs: ${JSON.stringify(outcomes)}`);

  // Wrong credentials: refused before anything is looked at.
  const wrongToken = [
    ['no token', undefined],
    ['the pre-update token', registered.registration_access_token],
    ['the other client\'s token', other.registration_access_token],
    ['the client secret as token', secret],
    ['the token with one more character', token + 'A'],
    ['the token minus its last character', token.slice(0, -1)],
  ];
  for (const [name, tok] of wrongToken) {
    const r = await h.request('PUT', h.clientPath(id), { token: tok, json: { ...body, client_name: 'hijacked' } });
    assertInvalidToken(r);
  }

  const last = await h.request('GET', h.clientPath(id), { token });
  assert.equal(last.status, 200, last.text);
  assert.equal(last.text, first.text, 'GET returns the last valid registration byte for byte');
  const rowAfter = await db.prepare('SELECT * FROM clients WHERE client_id = ?1').bind(id).first();
  assert.deepEqual(rowAfter, rowBefore, 'the stored row (metadata, hashes, updated_at) is unchanged');
  assert.deepEqual(await db.prepare('SELECT * FROM clients WHERE client_id = ?1').bind(other.client_id).first(), otherBefore, 'the other client is untouched');
  const events = await db.prepare("SELECT event, COUNT(*) AS n FROM audit_events WHERE client_id = ?1 AND event IN ('client_updated', 'client_deleted') GROUP BY event").bind(id).all();
  assert.deepEqual(events.results, [{ event: 'client_updated', n: 1 }], 'only the valid PUT was recorded as an update');

  // The secret still authenticates an update, so the valid path is intact after the battering.
  const again = await h.request('PUT', h.clientPath(id), { token, json: { ...body, client_secret: secret, client_name: 'after' } });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.client_name, 'after');
});
