// Storage: registrations live in D1, survive a restart, and no secret is stored in the clear.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { start, createState, removeState, assertInvalidToken, without } from './harness.js';

const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

const handles = [];
async function launch(opts) {
  const h = await start(opts);
  handles.push(h);
  return h;
}
after(async () => { await Promise.allSettled(handles.map((h) => h.dispose())); });

/** Every row of every application table, as one string. */
async function dump(h) {
  const db = await h.d1();
  const tables = (await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).results
    .map((r) => r.name)
    .filter((n) => !n.startsWith('sqlite_') && !n.startsWith('_cf_'));
  assert.ok(tables.includes('clients'), `tables: ${tables}`);
  const out = {};
  for (const t of tables) out[t] = (await db.prepare(`SELECT * FROM "${t}"`).all()).results;
  return out;
}

describe('persistence across restarts', { timeout: 60_000 }, () => {
  it('a registration survives disposing Miniflare and starting again on the same state', async () => {
    const state = await createState();
    try {
      const key = randomBytes(32).toString('hex');
      const h1 = await launch({ persistDir: state, vars: { REGISTRAR_HMAC_KEY: key } });
      const c = await h1.registerOk({ redirect_uris: ['https://client.example/cb'], client_name: 'Durable' });
      const gone = await h1.registerOk({ redirect_uris: ['https://client.example/cb'], client_name: 'Gone' });
      assert.equal((await h1.request('DELETE', h1.clientPath(gone.client_id), { token: gone.registration_access_token })).status, 204);
      const port = h1.port;
      await h1.dispose();

      const h2 = await launch({ persistDir: state, port, vars: { REGISTRAR_HMAC_KEY: key } });
      assert.equal(h2.issuer, h1.issuer);
      const g = await h2.request('GET', h2.clientPath(c.client_id), { token: c.registration_access_token });
      assert.equal(g.status, 200, g.text);
      assert.deepEqual(g.body, without(c, 'client_secret'));
      assertInvalidToken(await h2.request('GET', h2.clientPath(gone.client_id), { token: gone.registration_access_token }));

      // A rotation made before a restart holds after it.
      const put = await h2.request('PUT', h2.clientPath(c.client_id), {
        token: c.registration_access_token,
        json: { ...without(c, ...SERVER_MEMBERS), client_name: 'Durable 2' },
      });
      assert.equal(put.status, 200, put.text);
      await h2.dispose();

      const h3 = await launch({ persistDir: state, port, vars: { REGISTRAR_HMAC_KEY: key } });
      assertInvalidToken(await h3.request('GET', h3.clientPath(c.client_id), { token: c.registration_access_token }));
      const g3 = await h3.request('GET', h3.clientPath(c.client_id), { token: put.body.registration_access_token });
      assert.equal(g3.status, 200, g3.text);
      assert.equal(g3.body.client_name, 'Durable 2');
      await h3.dispose();

      // Tokens are bound to REGISTRAR_HMAC_KEY: under another key they are simply invalid (401, not 500).
      const h4 = await launch({ persistDir: state, port, vars: { REGISTRAR_HMAC_KEY: randomBytes(32).toString('hex') } });
      assertInvalidToken(await h4.request('GET', h4.clientPath(c.client_id), { token: put.body.registration_access_token }));
      await h4.dispose();
    } finally {
      removeState(state);
    }
  });
});

describe('D1 contents', { timeout: 60_000 }, () => {
  it('the clients table holds neither client secrets nor registration access tokens', async () => {
    const h = await launch();
    const secrets = [];
    const basic = await h.registerOk({ redirect_uris: ['https://client.example/cb'], client_name: 'Stored' });
    const post = await h.registerOk({ redirect_uris: ['https://client.example/cb'], token_endpoint_auth_method: 'client_secret_post' });
    const pub = await h.registerOk({ redirect_uris: ['http://127.0.0.1:4000/cb'], token_endpoint_auth_method: 'none' });
    secrets.push(basic.client_secret, basic.registration_access_token, post.client_secret, post.registration_access_token, pub.registration_access_token);
    // A rotated token (and the secret echoed on PUT) must not be stored either.
    const put = await h.request('PUT', h.clientPath(basic.client_id), {
      token: basic.registration_access_token,
      json: without(basic, ...SERVER_MEMBERS),
    });
    assert.equal(put.status, 200, put.text);
    secrets.push(put.body.registration_access_token);
    for (const s of secrets) assert.equal(typeof s, 'string');

    const tables = await dump(h);
    const rows = tables.clients;
    for (const c of [basic, post, pub]) {
      assert.ok(rows.some((r) => r.client_id === c.client_id), `no row for ${c.client_id}`);
    }
    const stored = JSON.stringify(tables);
    assert.ok(stored.includes('Stored'), 'the dump does not even hold the client metadata');
    for (const s of secrets) {
      assert.ok(!stored.includes(s), `a secret value is stored in D1: ${s.slice(0, 6)}…`);
      // Nor a recognisable piece of it.
      assert.ok(!stored.includes(s.slice(0, 24)), `a 24-char prefix of a secret is stored in D1: ${s.slice(0, 6)}…`);
    }
    // Nor under the secret-free member names.
    for (const r of rows) {
      const meta = JSON.parse(r.metadata);
      for (const k of ['client_secret', 'registration_access_token']) assert.ok(!(k in meta), `metadata column has ${k}`);
    }
    await h.dispose();
  });

  it('a deleted client is removed from the table', async () => {
    const h = await launch();
    const c = await h.registerOk({ redirect_uris: ['https://client.example/cb'] });
    const before = await dump(h);
    assert.ok(before.clients.some((r) => r.client_id === c.client_id));
    assert.equal((await h.request('DELETE', h.clientPath(c.client_id), { token: c.registration_access_token })).status, 204);
    const afterDel = await dump(h);
    assert.ok(!afterDel.clients.some((r) => r.client_id === c.client_id), 'the row is still there after DELETE');
    await h.dispose();
  });
});

describe('logs', { timeout: 60_000 }, () => {
  it('the worker never logs a client secret or a registration access token', async () => {
    const h = await launch();
    const secrets = [];
    const c = await h.registerOk({ redirect_uris: ['https://client.example/cb'], client_name: 'Logged' });
    secrets.push(c.client_secret, c.registration_access_token);
    const path = h.clientPath(c.client_id);
    assert.equal((await h.request('GET', path, { token: c.registration_access_token })).status, 200);
    const put = await h.request('PUT', path, { token: c.registration_access_token, json: without(c, ...SERVER_MEMBERS) });
    assert.equal(put.status, 200, put.text);
    secrets.push(put.body.registration_access_token);
    // Failures too: a wrong token and a wrong secret.
    assert.equal((await h.request('GET', path, { token: c.registration_access_token })).status, 401);
    const wrongSecret = 'x'.repeat(43);
    secrets.push(wrongSecret);
    assert.equal((await h.request('PUT', path, {
      token: put.body.registration_access_token,
      json: { ...without(c, ...SERVER_MEMBERS), client_secret: wrongSecret },
    })).status, 400);
    assert.equal((await h.request('DELETE', path, { token: put.body.registration_access_token })).status, 204);
    await new Promise((r) => setTimeout(r, 200)); // let the log stream catch up
    const text = h.logs.map((l) => l.message).join('\n');
    for (const s of secrets) assert.ok(!text.includes(s), `the worker logged a secret: ${s.slice(0, 6)}…`);
    assert.ok(!text.includes(h.vars.REGISTRAR_HMAC_KEY), 'the worker logged REGISTRAR_HMAC_KEY');
    await h.dispose();
  });
});

describe('LOG_REQUESTS', { timeout: 60_000 }, () => {
  const lines = (h) => h.logs.map((l) => l.message).filter((m) => m.startsWith('{"'));
  it('all (the default): one line per request; errors: only 4xx and 5xx', async () => {
    for (const [mode, expectOk] of [[undefined, true], ['errors', false]]) {
      const h = await launch(mode ? { vars: { LOG_REQUESTS: mode } } : {});
      const ok = await h.request('POST', '/register', { json: { redirect_uris: ['https://client.example/cb'] } });
      assert.equal(ok.status, 201, ok.text);
      const bad = await h.request('POST', '/register', { json: { redirect_uris: ['http://client.example/cb'] } });
      assert.equal(bad.status, 400, bad.text);
      await new Promise((r) => setTimeout(r, 200)); // let the log stream catch up
      const logged = lines(h).map((m) => JSON.parse(m));
      assert.equal(logged.some((l) => l.status === 201), expectOk, `${mode ?? 'default'}: ${JSON.stringify(logged)}`);
      assert.equal(logged.filter((l) => l.status === 400).length, 1, `${mode ?? 'default'}: ${JSON.stringify(logged)}`);
      await h.dispose();
    }
  });
});

describe('the default build (D1 only)', { timeout: 60_000 }, () => {
  it('refuses STORAGE_BACKEND=kv with a 500 and a log line naming REGISTRAR_FEATURES=kv', async () => {
    // scripts/test.sh runs this directory on the default build; the KV suites in tests/kv/ run on
    // a REGISTRAR_FEATURES=kv build.
    const { readFile } = await import('node:fs/promises');
    // build/.features: line 1 the features, line 2 the toolchain (scripts/build.sh).
    const stamp = await readFile(new URL('../../build/.features', import.meta.url), 'utf8');
    const features = stamp.split('\n')[0];
    assert.equal(features, '', 'tests/worker/ expects the default build (sh scripts/build.sh)');
    const h = await launch({ vars: { STORAGE_BACKEND: 'kv' } });
    const res = await h.request('POST', '/register', { json: { redirect_uris: ['https://client.example/cb'] } });
    assert.equal(res.status, 500, res.text);
    assert.equal(res.body.error, 'server_error');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    await new Promise((r) => setTimeout(r, 200)); // let the log stream catch up
    const text = h.logs.map((l) => l.message).join('\n');
    assert.match(text, /this build has no KV backend; build it with REGISTRAR_FEATURES=kv/);
    await h.dispose();
  });
});

// A deploy whose migrations were not applied (a common operator mistake): D1 answers "no such
// table". That is a server error whose log line names the migrations, never a refusal such as
// the quota's 403 (whose table the first statement of a registration touches).
describe('D1 without the migrations', { timeout: 60_000 }, () => {
  let h;
  after(async () => { await h?.dispose(); });

  it('registration and RFC 7592 answer 500 server_error; the log names the migrations', async () => {
    h = await start({ unmigrated: true });
    const reg = await h.register({ redirect_uris: ['https://client.example/cb'] });
    assert.equal(reg.status, 500, reg.text);
    assert.equal(reg.body.error, 'server_error');
    assert.doesNotMatch(reg.body.error_description, /table|migration|quota/i, 'no schema detail on the wire');
    const read = await h.request('GET', '/register/AAAAAAAAAAAAAAAAAAAAAA', { token: 'x'.repeat(43) });
    assert.equal(read.status, 500, read.text);
    assert.equal((await h.request('GET', '/.well-known/oauth-authorization-server')).status, 200);
    await new Promise((r) => setTimeout(r, 200)); // let the log stream catch up
    const lines = h.logs.map((l) => l.message).filter((m) => m.includes('"status":500'));
    assert.equal(lines.length, 2, h.logs.map((l) => l.message).join('\n'));
    for (const line of lines) {
      assert.match(line, /no such table/);
      assert.match(line, /d1 migrations apply/);
    }
  });
});
