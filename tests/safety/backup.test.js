// Backup and restore (scripts/backup.sh, scripts/restore.sh; docs/backup-restore.md), D1 backend.
// Clients of several kinds, initial access tokens (one revoked), an update, a suspension, a
// deletion and their audit events are written through the built worker; the local D1 state is
// exported, changed, restored (over the changed state, then into an empty one), and the worker,
// started on the restored state with the same REGISTRAR_HMAC_KEY, finds everything as it was.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, start, createState, assertInvalidToken, without } from '../worker/harness.js';

const ISSUER = 'https://registrar.test';
const HMAC_KEY = randomBytes(32).toString('hex');
const ADMIN = randomBytes(24).toString('base64url');
const VARS = {
  STORAGE_BACKEND: 'd1',
  ISSUER,
  REGISTRAR_HMAC_KEY: HMAC_KEY,
  ADMIN_TOKEN: ADMIN,
  REGISTRATION_POLICY: JSON.stringify({ anonymous: { max_clients: 1000 }, profiles: { partner: { max_clients: 50 } } }),
};
const TABLES = {
  clients: 'SELECT * FROM clients ORDER BY client_id',
  initial_access_tokens: 'SELECT * FROM initial_access_tokens ORDER BY id',
  client_quota: 'SELECT * FROM client_quota ORDER BY class',
  audit_events: 'SELECT * FROM audit_events ORDER BY id',
  d1_migrations: 'SELECT * FROM d1_migrations ORDER BY id',
  sqlite_sequence: 'SELECT * FROM sqlite_sequence ORDER BY name',
  schema: "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY type, name",
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-backup-'));
const running = new Set(); // process groups of scripts under way
function killAll() {
  for (const pgid of running) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
  }
  running.clear();
}
after(() => {
  killAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { killAll(); process.exit(128 + (signal === 'SIGINT' ? 2 : 15)); });
}

/** Runs one of the scripts; resolves to { code, out } (never rejects on a non-zero exit). */
function script(name, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts', name), ...args], {
      cwd: tmp,
      env: { ...process.env, REGISTRAR_BACKUP_DIR: path.join(tmp, 'backups'), WRANGLER_LOG_PATH: path.join(tmp, 'logs'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout kills wrangler and workerd with it
    });
    running.add(child.pid);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      reject(new Error(`${name} ${args.join(' ')} timed out\n${out}`));
    }, 90_000);
    child.on('error', (e) => { clearTimeout(timer); running.delete(child.pid); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); running.delete(child.pid); resolve({ code, out }); });
  });
}

async function snapshot(h) {
  const db = await h.d1();
  const snap = {};
  for (const [name, sql] of Object.entries(TABLES)) snap[name] = (await db.prepare(sql).all()).results;
  return snap;
}

const ok = (r, what) => assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${r.text}`);

test('backup, wipe, restore: every client, token, IAT and audit event survives', { timeout: 170_000 }, async (t) => {
  const state = await createState();
  let h = await start({ vars: VARS, persistDir: state });
  const clients = {}; // name -> { id, token, secret?, text (GET body) }
  let iat;
  let revoked;
  let deleted;
  let before;
  const secrets = [ADMIN, HMAC_KEY];
  try {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const kinds = {
      web: { client_name: 'web', redirect_uris: ['https://web.example/cb'], scope: 'openid profile email' },
      native: { client_name: 'native', redirect_uris: ['http://127.0.0.1:4711/cb'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] },
      post: { client_name: 'post', 'client_name#fr': 'poste é', redirect_uris: ['https://post.example/cb'], token_endpoint_auth_method: 'client_secret_post', contacts: ['a@post.example'] },
      jwt: { client_name: 'jwt', redirect_uris: ['https://jwt.example/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } },
      service: { client_name: 'service', grant_types: ['client_credentials'], scope: 'email' },
      doomed: { client_name: 'doomed', redirect_uris: ['https://doomed.example/cb'] },
    };
    for (const [name, meta] of Object.entries(kinds)) {
      const b = await h.registerOk(meta);
      clients[name] = { id: b.client_id, token: b.registration_access_token, secret: b.client_secret };
    }
    // Initial access tokens: one used twice, one used once and then revoked.
    const mint = await h.request('POST', '/admin/initial-access-tokens', { token: ADMIN, json: { label: 'partner onboarding', max_uses: 5, profile: 'partner', expires_in: 3600 } });
    assert.equal(mint.status, 201, mint.text);
    iat = mint.body;
    for (const name of ['partner1', 'partner2']) {
      const b = await h.registerOk({ client_name: name, redirect_uris: [`https://${name}.example/cb`] }, { token: iat.token });
      clients[name] = { id: b.client_id, token: b.registration_access_token, secret: b.client_secret };
    }
    const mint2 = await h.request('POST', '/admin/initial-access-tokens', { token: ADMIN, json: { label: 'one-off' } });
    assert.equal(mint2.status, 201, mint2.text);
    revoked = mint2.body;
    const viaRevoked = await h.registerOk({ client_name: 'via-revoked', redirect_uris: ['https://viarevoked.example/cb'] }, { token: revoked.token });
    clients['via-revoked'] = { id: viaRevoked.client_id, token: viaRevoked.registration_access_token, secret: viaRevoked.client_secret };
    ok(await h.request('DELETE', `/admin/initial-access-tokens/${revoked.id}`, { token: ADMIN }), 'revoke');
    secrets.push(iat.token, revoked.token);

    // An update (token rotation), a suspension, a deletion.
    const web = clients.web;
    const get = await h.request('GET', h.clientPath(web.id), { token: web.token });
    const put = await h.request('PUT', h.clientPath(web.id), {
      token: web.token,
      json: { ...without(get.body, 'registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'), client_name: 'web v2' },
    });
    assert.equal(put.status, 200, put.text);
    secrets.push(web.token); // the spent token must not be in the backup either
    web.token = put.body.registration_access_token;
    ok(await h.request('POST', `/admin/clients/${clients.native.id}/suspend`, { token: ADMIN }), 'suspend');
    ok(await h.request('DELETE', h.clientPath(clients.doomed.id), { token: clients.doomed.token }), 'delete');
    deleted = clients.doomed;
    delete clients.doomed;

    for (const c of Object.values(clients)) {
      const r = await h.request('GET', h.clientPath(c.id), { token: c.token });
      assert.equal(r.status, 200, r.text);
      c.text = r.text;
      secrets.push(c.token, ...(c.secret ? [c.secret] : []));
    }
    before = await snapshot(h);
  } finally {
    await h.dispose();
  }
  t.diagnostic(`before backup: ${before.clients.length} clients, ${before.initial_access_tokens.length} initial access tokens, ${before.audit_events.length} audit events`);
  assert.equal(before.clients.length, 8);

  // Backup.
  const file = path.join(tmp, 'registrar.sql');
  let t0 = performance.now();
  const backup = await script('backup.sh', ['--persist-to', state, file]);
  t.diagnostic(`backup.sh: ${Math.round(performance.now() - t0)} ms`);
  for (const l of backup.out.trim().split('\n')) t.diagnostic(`  ${l}`);
  assert.equal(backup.code, 0, backup.out);
  const dump = fs.readFileSync(file, 'utf8');
  assert.equal(fs.statSync(file).mode & 0o077, 0, 'the backup is readable by its owner only');
  assert.match(dump, /^CREATE TABLE d1_migrations\b/m, 'the backup carries d1_migrations');
  assert.equal((dump.match(/^INSERT INTO "d1_migrations" /gm) ?? []).length, before.d1_migrations.length, 'with every applied migration');
  assert.equal((dump.match(/^INSERT INTO "clients" /gm) ?? []).length, before.clients.length);
  assert.equal((dump.match(/^INSERT INTO "audit_events" /gm) ?? []).length, before.audit_events.length);
  for (const s of secrets) assert.ok(!dump.includes(s), 'no plaintext secret, token or key in the backup');
  // The triggers that count (iat_use, client_quota_insert) and refuse (iat_valid) are created
  // after the rows are inserted, so a restore neither counts twice nor refuses the client
  // registered through the now revoked token.
  const firstTrigger = dump.search(/^CREATE TRIGGER/m);
  const lastInsert = Math.max(...[...dump.matchAll(/^INSERT INTO /gm)].map((m) => m.index));
  assert.ok(firstTrigger > lastInsert, 'triggers come after the data in the backup');

  // A default file name, and refusals: an existing file, an empty state.
  const named = await script('backup.sh', ['--persist-to', state]);
  assert.equal(named.code, 0, named.out);
  const made = fs.readdirSync(path.join(tmp, 'backups')).filter((f) => /^registrar-\d{8}T\d{6}Z\.sql$/.test(f));
  assert.equal(made.length, 1, `default name backups/registrar-<UTC timestamp>.sql: ${fs.readdirSync(path.join(tmp, 'backups'))}`);
  assert.equal(fs.readFileSync(path.join(tmp, 'backups', '.gitignore'), 'utf8'), '*\n', 'the backup directory ignores itself in git');
  const again = await script('backup.sh', ['--persist-to', state, file]);
  assert.notEqual(again.code, 0, 'an existing backup is not overwritten');
  assert.equal(fs.readFileSync(file, 'utf8'), dump);
  const emptyState = path.join(tmp, 'empty');
  fs.mkdirSync(path.join(emptyState, 'v3', 'd1'), { recursive: true });
  const empty = await script('backup.sh', ['--persist-to', emptyState, path.join(tmp, 'empty.sql')]);
  assert.notEqual(empty.code, 0, 'an unmigrated database is not a backup');
  assert.ok(!fs.existsSync(path.join(tmp, 'empty.sql')));

  // A --remote restore without --yes is refused before anything is contacted.
  t0 = performance.now();
  const remote = await script('restore.sh', ['--remote', file]);
  assert.notEqual(remote.code, 0, 'restore --remote without --yes must refuse');
  assert.match(remote.out, /--yes/);
  assert.ok(performance.now() - t0 < 5000, 'refused at once (no wrangler run)');

  // Life goes on after the backup: a new client, a deletion, an update.
  h = await start({ vars: VARS, persistDir: state });
  let extra;
  let changed;
  try {
    extra = await h.registerOk({ client_name: 'after the backup', redirect_uris: ['https://extra.example/cb'] });
    ok(await h.request('DELETE', h.clientPath(clients.post.id), { token: clients.post.token }), 'delete after backup');
    const svc = clients.service;
    const cur = await h.request('GET', h.clientPath(svc.id), { token: svc.token });
    const upd = await h.request('PUT', h.clientPath(svc.id), {
      token: svc.token,
      json: { ...without(cur.body, 'registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'), client_name: 'changed after backup' },
    });
    assert.equal(upd.status, 200, upd.text);
    changed = await snapshot(h);
  } finally {
    await h.dispose();
  }

  // A restore that fails half-way (a duplicate row near the end) changes nothing.
  const broken = path.join(tmp, 'broken.sql');
  const line = dump.match(/^INSERT INTO "audit_events" .*$/m)[0];
  fs.writeFileSync(broken, dump.replace(line, `${line}\n${line}`));
  const failed = await script('restore.sh', ['--persist-to', state, '--no-safety-backup', broken]);
  assert.notEqual(failed.code, 0, `a broken backup must fail to restore:\n${failed.out}`);
  assert.match(failed.out, /UNIQUE constraint failed: audit_events\.id/, 'it failed on the duplicate row, near the end');
  h = await start({ vars: VARS, persistDir: state });
  try {
    assert.deepEqual(await snapshot(h), changed, 'a failed restore leaves the database as it was');
  } finally {
    await h.dispose();
  }

  // Restore over the changed state.
  t0 = performance.now();
  const restore = await script('restore.sh', ['--persist-to', state, file]);
  t.diagnostic(`restore.sh (over a changed state, with safety backup): ${Math.round(performance.now() - t0)} ms`);
  for (const l of restore.out.trim().split('\n')) t.diagnostic(`  ${l}`);
  assert.equal(restore.code, 0, restore.out);
  const safety = fs.readdirSync(path.join(tmp, 'backups')).filter((f) => f.startsWith('pre-restore-'));
  assert.equal(safety.length, 1, 'the state replaced by the restore was saved first');
  assert.ok(fs.readFileSync(path.join(tmp, 'backups', safety[0]), 'utf8').includes(extra.client_id), 'the safety backup holds the post-backup client');

  await verifyRestored(t, state, { clients, before, iat, revoked, deleted, extra });

  // Restore into a wiped state (nothing there at all).
  fs.rmSync(state, { recursive: true, force: true });
  t0 = performance.now();
  const fresh = await script('restore.sh', ['--persist-to', state, file]);
  t.diagnostic(`restore.sh (into an empty state): ${Math.round(performance.now() - t0)} ms`);
  assert.equal(fresh.code, 0, fresh.out);
  await verifyRestored(t, state, { clients, before, iat, revoked, deleted, extra });

  // The key matters: the same state under another REGISTRAR_HMAC_KEY verifies no credential.
  h = await start({ vars: { ...VARS, REGISTRAR_HMAC_KEY: randomBytes(32).toString('hex') }, persistDir: state });
  try {
    for (const [name, c] of Object.entries(clients)) {
      const r = await h.request('GET', h.clientPath(c.id), { token: c.token });
      assert.equal(r.status, 401, `${name} under another key: ${r.status}`);
      assertInvalidToken(r);
    }
    const viaIat = await h.register({ client_name: 'x', redirect_uris: ['https://x.example/cb'] }, { token: iat.token });
    assert.equal(viaIat.status, 401, 'the initial access token does not verify under another key either');
  } finally {
    await h.dispose();
  }
});

/** Starts the worker on a restored state and checks it holds exactly the backed-up data. */
async function verifyRestored(t, state, { clients, before, iat, revoked, deleted, extra }) {
  const h = await start({ vars: VARS, persistDir: state });
  try {
    // The tables first, before any request adds an audit event.
    const after = await snapshot(h);
    for (const table of Object.keys(TABLES)) assert.deepEqual(after[table], before[table], `table ${table} restored exactly`);

    for (const [name, c] of Object.entries(clients)) {
      const r = await h.request('GET', h.clientPath(c.id), { token: c.token });
      assert.equal(r.status, 200, `${name} readable with its token after restore: ${r.text}`);
      assert.equal(r.text, c.text, `${name}: the same registration, byte for byte`);
    }
    assertInvalidToken(await h.request('GET', h.clientPath(deleted.id), { token: deleted.token }));
    assertInvalidToken(await h.request('GET', h.clientPath(extra.client_id), { token: extra.registration_access_token }));

    // Secrets verify: an update presenting the client secret, the suspended client still refused.
    const post = clients.post;
    const cur = JSON.parse(post.text);
    const put = await h.request('PUT', h.clientPath(post.id), {
      token: post.token,
      json: { ...without(cur, 'registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'), client_secret: post.secret },
    });
    assert.equal(put.status, 200, `the client secret verifies after restore: ${put.text}`);
    const native = clients.native;
    const suspended = await h.request('PUT', h.clientPath(native.id), { token: native.token, json: { ...without(JSON.parse(native.text), 'registration_access_token', 'registration_client_uri', 'client_id_issued_at') } });
    assert.equal(suspended.status, 403, `the suspension survived: ${suspended.text}`);

    // Initial access tokens: the live one still works and counts on; the revoked one does not.
    const viaIat = await h.register({ client_name: 'post-restore partner', redirect_uris: ['https://p3.example/cb'] }, { token: iat.token });
    assert.equal(viaIat.status, 201, `the initial access token works after restore: ${viaIat.text}`);
    assertInvalidToken(await h.register({ client_name: 'x', redirect_uris: ['https://x.example/cb'] }, { token: revoked.token }));
    const iats = await h.request('GET', '/admin/initial-access-tokens', { token: ADMIN });
    assert.equal(iats.status, 200, iats.text);
    const live = iats.body.initial_access_tokens.find((x) => x.id === iat.id);
    assert.equal(live.uses, 3, 'two uses before the backup, one after the restore');
    assert.ok(iats.body.initial_access_tokens.find((x) => x.id === revoked.id).revoked_at, 'still revoked');

    // The audit log, through the admin API: the old events, then the new ones.
    const audit = await h.request('GET', '/admin/audit?limit=100', { token: ADMIN });
    assert.equal(audit.status, 200, audit.text);
    const ids = audit.body.events.map((e) => e.id);
    for (const e of before.audit_events) assert.ok(ids.includes(e.id), `audit event ${e.id} (${e.event}) listed`);
    assert.ok(Math.min(...ids.filter((id) => !before.audit_events.some((e) => e.id === id))) > Math.max(...before.audit_events.map((e) => e.id)),
      'new audit events are numbered after the restored ones');
  } finally {
    await h.dispose();
  }

  // The restored database counts as migrated.
  const migrate = await new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'wrangler'), ['d1', 'migrations', 'apply', 'registrar', '--local', '--persist-to', state], {
      cwd: ROOT,
      env: { ...process.env, CI: '1', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true', WRANGLER_LOG_PATH: path.join(tmp, 'logs') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`migrations apply timed out\n${out}`)); }, 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
  assert.equal(migrate.code, 0, migrate.out);
  assert.match(migrate.out, /No migrations to apply/, 'wrangler sees every migration as applied');
}
