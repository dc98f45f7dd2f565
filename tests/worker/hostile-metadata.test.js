// Hostile metadata through the built Worker (issue 11, findings 5–8): the issue's own examples are
// refused with the RFC 7591 error code naming the member, nothing of them reaches D1, and a
// realistic registration still gets 201 with a stored metadata row of a few KB.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { start, assertError, wranglerConfig, without, ROOT } from './harness.js';

const WEB = { redirect_uris: ['https://client.example/cb'] };
const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

const handles = [];
async function launch(opts) {
  const h = await start(opts);
  handles.push(h);
  return h;
}
let h;
before(async () => { h = await launch(); }, { timeout: 60_000 });
after(async () => { await Promise.allSettled(handles.map((x) => x.dispose())); });

async function clientRows(x) {
  const db = await x.d1();
  return (await db.prepare('SELECT count(*) AS n FROM clients').first()).n;
}

/** The stored metadata column of a client, and its size in bytes (UTF-8). */
async function storedMetadata(x, clientId) {
  const db = await x.d1();
  return db.prepare('SELECT metadata, length(CAST(metadata AS BLOB)) AS bytes FROM clients WHERE client_id = ?1')
    .bind(clientId).first();
}

function rsaJwk(bits, extra = {}) {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { ...publicKey.export({ format: 'jwk' }), ...extra };
}

/** A refused registration: status 400, the code, the member named, and no row added to D1. */
async function refused(meta, code, needle, x = h) {
  const before = await clientRows(x);
  const r = await x.register(meta);
  assertError(r, 400, code, needle);
  assert.equal(await clientRows(x), before, 'a refused registration stored a client');
  return r;
}

describe('the issue\'s examples are refused', { timeout: 60_000 }, () => {
  it('client_uri with user information (accounts.google.com@evil.example) → invalid_client_metadata naming client_uri', async () => {
    const r = await refused({ ...WEB, client_uri: 'https://accounts.google.com@evil.example/' }, 'invalid_client_metadata', 'client_uri');
    assert.match(r.body.error_description, /user information/);
  });

  it('user information in logo_uri, tos_uri, policy_uri and a #lang variant, even empty', async () => {
    for (const [member, url] of [
      ['logo_uri', 'https://user:pass@cdn.example/logo.png'],
      ['tos_uri', 'https://@client.example/tos'],
      ['policy_uri', 'https://:pw@client.example/privacy'],
      ['client_uri#fr', 'https://accounts.google.com@evil.example/fr'],
    ]) {
      await refused({ ...WEB, [member]: url }, 'invalid_client_metadata', `${member}: user information`);
    }
  });

  it('client_name with U+202E (right-to-left override) → invalid_client_metadata naming client_name', async () => {
    const r = await refused({ ...WEB, client_name: 'Google\u202Eelgoog' }, 'invalid_client_metadata', 'client_name');
    assert.match(r.body.error_description, /U\+202E/);
    assert.ok(!r.body.error_description.includes('\u202E'), 'the description repeats the character');
  });

  it('control and zero-width characters in contacts, software_id and a translation', async () => {
    await refused({ ...WEB, contacts: ['ops@client.example', 'a\u200Bb@client.example'] }, 'invalid_client_metadata', 'contacts[1]');
    await refused({ ...WEB, software_id: 'sw\u0000' }, 'invalid_client_metadata', 'software_id');
    await refused({ ...WEB, 'client_name#de': 'App\u2066' }, 'invalid_client_metadata', 'client_name#de');
    await refused({ ...WEB, client_name: 'n'.repeat(201) }, 'invalid_client_metadata', 'client_name: at most 200 characters');
  });

  it('1,900 redirect URIs in one 61 KB body → 400 invalid_redirect_uri naming redirect_uris and the limit', async () => {
    const uris = Array.from({ length: 1900 }, (_, i) => `https://app.example/cb/${String(i).padStart(6, '0')}`);
    const body = JSON.stringify({ redirect_uris: uris });
    assert.ok(body.length > 60_000 && body.length < 65_536, `body is ${body.length} bytes`);
    const r = await refused({ redirect_uris: uris }, 'invalid_redirect_uri', 'redirect_uris: at most 20 entries (METADATA_LIMITS.redirect_uris)');
    assert.ok(!r.body.error_description.includes('redirect_uris['), r.text);
  });

  it('jwks_uri https://169.254.169.254/ → invalid_client_metadata naming jwks_uri', async () => {
    const r = await refused({ ...WEB, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://169.254.169.254/' },
      'invalid_client_metadata', 'jwks_uri: must name a public host');
    assert.match(r.body.error_description, /169\.254\.169\.254 is a link-local address/);
  });

  it('loopback and private hosts in jwks_uri, request_uris and initiate_login_uri, however spelled', async () => {
    for (const [member, value, needle] of [
      ['jwks_uri', 'https://127.0.0.1/jwks.json', 'jwks_uri'],
      ['jwks_uri', 'https://2130706433/jwks.json', 'jwks_uri'],
      ['jwks_uri', 'http://127.0.0.1:8080/jwks.json', 'jwks_uri'],
      ['request_uris', ['https://client.example/r', 'https://10.0.0.1/r'], 'request_uris[1]'],
      ['request_uris', ['https://[::ffff:10.0.0.1]/r'], 'request_uris[0]'],
      ['initiate_login_uri', 'https://metadata.google.internal/login', 'initiate_login_uri'],
      ['initiate_login_uri', 'https://localhost/login', 'initiate_login_uri'],
      ['sector_identifier_uri', 'https://192.168.0.1/s.json', 'sector_identifier_uri: must name a public host'],
    ]) {
      await refused({ ...WEB, [member]: value }, 'invalid_client_metadata', needle);
    }
  });

  it('an RSA key with a 1-byte modulus → invalid_client_metadata naming jwks.keys[0]', async () => {
    const r = await refused({ ...WEB, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'RSA', n: '_w', e: 'AQAB' }] } },
      'invalid_client_metadata', 'jwks.keys[0]');
    assert.match(r.body.error_description, /RSA modulus is 8 bits; at least 2048/);
  });

  it('an RSA-1024 key, an EC key with a short coordinate and duplicate kids', async () => {
    const small = rsaJwk(1024, { kid: 'small' });
    await refused({ ...WEB, jwks: { keys: [rsaJwk(2048, { kid: 'ok' }), small] } }, 'invalid_client_metadata', 'jwks.keys[1]: RSA modulus is 1024 bits');
    const ec = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'e' };
    await refused({ ...WEB, jwks: { keys: [{ ...ec, x: ec.x.slice(0, -2) }] } }, 'invalid_client_metadata', 'jwks.keys[0]');
    await refused({ ...WEB, jwks: { keys: [ec, { ...rsaJwk(2048), kid: 'e' }] } }, 'invalid_client_metadata', 'jwks.keys[1]: kid');
  });
});

describe('a realistic registration still registers', { timeout: 60_000 }, () => {
  it('RSA-2048 jwks, 3 redirect URIs, a translation → 201; the D1 metadata row is under 8192 bytes', async () => {
    const meta = {
      client_name: 'Example Reader',
      'client_name#fr': 'Lecteur d\'exemple',
      redirect_uris: ['https://app.example/callback', 'https://app.example/callback/2', 'http://127.0.0.1:51234/cb'],
      client_uri: 'https://app.example/',
      logo_uri: 'https://cdn.app.example/logo.png',
      contacts: ['ops@app.example'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [rsaJwk(2048, { kid: 'rsa-1', use: 'sig', alg: 'RS256' })] },
      software_id: 'example-reader',
      software_version: '1.4.2',
    };
    const r = await h.register(meta);
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.jwks, meta.jwks);
    assert.equal(r.body['client_name#fr'], meta['client_name#fr']);
    const row = await storedMetadata(h, r.body.client_id);
    assert.ok(row, 'no D1 row for the client');
    assert.ok(row.bytes < 8192, `the stored metadata is ${row.bytes} bytes`);
    assert.deepEqual(JSON.parse(row.metadata).redirect_uris, meta.redirect_uris);
  });

  it('an RSA-4096 key with a few redirect URIs fits the default total of 8192 bytes', async () => {
    const r = await h.register({ ...WEB, client_name: 'Big key', jwks: { keys: [rsaJwk(4096, { kid: 'big' })] } });
    assert.equal(r.status, 201, r.text);
    const row = await storedMetadata(h, r.body.client_id);
    assert.ok(row.bytes < 8192, `${row.bytes} bytes`);
  });

  it('an update carrying a hostile value is refused and changes nothing stored', async () => {
    const c = await h.registerOk({ ...WEB, client_name: 'Plain' });
    const before = await storedMetadata(h, c.client_id);
    const r = await h.request('PUT', h.clientPath(c.client_id), {
      token: c.registration_access_token,
      json: { ...without(c, ...SERVER_MEMBERS), client_name: 'Pl\u202Eain' },
    });
    assertError(r, 400, 'invalid_client_metadata', 'client_name');
    assert.deepEqual(await storedMetadata(h, c.client_id), before);
  });
});

describe('the operator settings', { timeout: 90_000 }, () => {
  it('ALLOW_PRIVATE_HOSTS is never set by wrangler.toml or the scripts', () => {
    assert.ok(!('ALLOW_PRIVATE_HOSTS' in (wranglerConfig().vars ?? {})), 'wrangler.toml [vars] sets ALLOW_PRIVATE_HOSTS');
    const scripts = path.join(ROOT, 'scripts');
    for (const f of fs.readdirSync(scripts)) {
      const text = fs.readFileSync(path.join(scripts, f), 'utf8');
      assert.ok(!/ALLOW_PRIVATE_HOSTS\s*=\s*["']?true/.test(text), `scripts/${f} sets ALLOW_PRIVATE_HOSTS`);
    }
  });

  it('ALLOW_PRIVATE_HOSTS=true admits loopback and private fetch hosts; initiate_login_uri stays https', async () => {
    const dev = await launch({ vars: { ALLOW_PRIVATE_HOSTS: 'true', METADATA_LIMITS: '{"redirect_uris": 2, "metadata_bytes": 2048}' } });
    const ok = await dev.register({ ...WEB, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://127.0.0.1:8080/jwks.json',
      request_uris: ['https://10.0.0.1/r'] });
    assert.equal(ok.status, 201, ok.text);
    await refused({ ...WEB, initiate_login_uri: 'http://127.0.0.1:3000/login' }, 'invalid_client_metadata', 'initiate_login_uri: must be an https URL', dev);
    // The operator's METADATA_LIMITS: two redirect URIs, 2048 bytes.
    await refused({ redirect_uris: ['https://a.example/1', 'https://a.example/2', 'https://a.example/3'] },
      'invalid_redirect_uri', 'redirect_uris: at most 2 entries (METADATA_LIMITS.redirect_uris)', dev);
    const long = (p) => `https://client.example/${p}/${'a'.repeat(1000)}`;
    await refused({ ...WEB, client_uri: long('home'), logo_uri: long('logo'), tos_uri: long('tos') },
      'invalid_client_metadata', 'at most 2048 (METADATA_LIMITS.metadata_bytes)', dev);
  });

  it('a malformed METADATA_LIMITS or ALLOW_PRIVATE_HOSTS is a configuration error (500, the log names the variable)', async () => {
    for (const vars of [{ METADATA_LIMITS: '{"redirect_uri": 3}' }, { ALLOW_PRIVATE_HOSTS: 'yes' }]) {
      const bad = await launch({ vars });
      const r = await bad.register(WEB);
      assertError(r, 500, 'server_error');
      const name = Object.keys(vars)[0];
      assert.ok(bad.logs.some((l) => l.message.includes(name)), `no log line names ${name}: ${JSON.stringify(bad.logs)}`);
      await bad.dispose();
    }
  });
});
