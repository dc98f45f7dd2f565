// Crash safety (D1 backend): `wrangler dev` runs the built worker in its own process group on a
// persisted local D1 state; a registration load runs against it and the whole group is SIGKILLed
// in the middle. After a restart on the same state, every client that got a 201 must still be
// readable with its token and unchanged. Requests in flight at the kill may be lost (no 201) —
// they are counted, not failed. Twice, then the state is checked for consistency (every client
// has its registration audit event and vice versa, the quota counter equals the client count).
//
// No process outlives the test: each wrangler dev is killed by process group in finally blocks,
// in an after() hook and on process exit.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, wranglerConfig, httpRequest, without, assertBuilt } from '../worker/harness.js';

const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
const ISSUER = 'https://registrar.test';
const HMAC_KEY = randomBytes(32).toString('hex');
const IN_FLIGHT = 40;
const START_TIMEOUT_MS = 45_000;
const LOAD_TIMEOUT_MS = 30_000;
const ENV = {
  ...process.env,
  CI: '1',
  NO_COLOR: '1',
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true', // also skips wrangler's update check (a request to the npm registry)
};

const groups = new Set(); // process group ids of running wrangler dev instances
function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (e) {
    if (e.code !== 'ESRCH') throw e;
  }
}
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}
process.on('exit', () => { for (const g of groups) killGroup(g); });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const g of groups) killGroup(g);
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-crash-'));
after(() => {
  for (const g of groups) killGroup(g);
  groups.clear();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A wrangler config for this test: wrangler.toml's, minus [build] (the build is not this test's
 * business, and must not start while other work edits src/), with absolute paths and test vars. */
function writeConfig(dir) {
  const cfg = structuredClone(wranglerConfig());
  delete cfg.build;
  cfg.main = path.join(ROOT, cfg.main);
  if (cfg.assets?.directory) cfg.assets.directory = path.join(ROOT, cfg.assets.directory);
  for (const db of cfg.d1_databases ?? []) if (db.migrations_dir) db.migrations_dir = path.join(ROOT, db.migrations_dir);
  cfg.vars = {
    ...cfg.vars,
    STORAGE_BACKEND: 'd1',
    ISSUER,
    REGISTRAR_HMAC_KEY: HMAC_KEY,
    // A quota row for anonymous registrations, so the crash check covers the trigger-kept counter.
    REGISTRATION_POLICY: JSON.stringify({ anonymous: { max_clients: 1_000_000 } }),
  };
  const file = path.join(dir, 'wrangler.json');
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

function run(args, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(WRANGLER, args, { cwd: tmp, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`wrangler ${args.join(' ')} timed out\n${out}`)); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`wrangler ${args.join(' ')} exited with ${code}\n${out}`));
    });
  });
}

/** Starts `wrangler dev` in a new process group (setsid); resolves when it serves requests. */
async function startDev(config, persist, label) {
  const port = await freePort();
  const inspector = await freePort();
  const logFile = path.join(tmp, `wrangler-dev-${label}.log`);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(WRANGLER, ['dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspector), '--persist-to', persist, '--log-level', 'warn'], {
    cwd: tmp, env: ENV, detached: true, stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const pgid = child.pid;
  groups.add(pgid);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  try {
    for (;;) {
      if (exited) throw new Error(`wrangler dev exited (${JSON.stringify(exited)}) before serving`);
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`wrangler dev not ready within ${START_TIMEOUT_MS} ms`);
      try {
        const r = await httpRequest(`${url}/.well-known/oauth-authorization-server`);
        if (r.status === 200) break;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
  } catch (e) {
    await stopDev({ pgid });
    throw new Error(`${e.message}\n--- ${logFile}:\n${fs.readFileSync(logFile, 'utf8').slice(-4000)}`);
  }
  return { pgid, url, startMs: Math.round(performance.now() - started), logFile };
}

/** SIGKILLs the whole process group and waits until none of it is left. */
async function stopDev(dev) {
  killGroup(dev.pgid);
  const until = Date.now() + 10_000;
  while (groupAlive(dev.pgid)) {
    if (Date.now() > until) throw new Error(`process group ${dev.pgid} still alive 10 s after SIGKILL`);
    await sleep(50);
  }
  groups.delete(dev.pgid);
}

function register(url, i) {
  return httpRequest(`${url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: `crash client ${i}`, redirect_uris: [`https://c${i}.example/cb`], contacts: [`c${i}@example.com`] }),
  });
}

/**
 * Registers continuously with IN_FLIGHT requests in flight and SIGKILLs the server's process
 * group once `killAfter` registrations have succeeded. Returns the 201 bodies and what was in
 * flight at the kill.
 */
async function loadAndKill(dev, killAfter, firstIndex) {
  const ok = [];
  const other = [];
  const errors = [];
  let next = firstIndex;
  let inFlight = 0;
  let killed = null;
  const deadline = Date.now() + LOAD_TIMEOUT_MS;
  async function lane() {
    while (!killed && Date.now() < deadline) {
      const i = next++;
      inFlight++;
      try {
        const r = await register(dev.url, i);
        if (r.status === 201) ok.push({ i, body: r.body });
        else other.push({ i, status: r.status, text: r.text });
      } catch (e) {
        errors.push({ i, error: e.code ?? e.message });
      } finally {
        inFlight--;
      }
      if (!killed && ok.length >= killAfter) {
        killed = { inFlight, okAtKill: ok.length, startedAtKill: next - firstIndex };
        killGroup(dev.pgid);
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  if (!killed) killGroup(dev.pgid);
  await stopDev(dev);
  return { ok, other, errors, killed, started: next - firstIndex };
}

async function d1Json(config, persist, sql) {
  const out = await run(['d1', 'execute', 'registrar', '--local', '--persist-to', persist, '--config', config, '--json', '--command', sql]);
  return JSON.parse(out.slice(out.indexOf('['))).map((r) => r.results);
}

test('SIGKILL under registration load loses no acknowledged registration', { timeout: 150_000 }, async (t) => {
  assertBuilt();
  const config = writeConfig(tmp);
  const persist = path.join(tmp, 'state');
  const tm = performance.now();
  await run(['d1', 'migrations', 'apply', 'registrar', '--local', '--persist-to', persist, '--config', config]);
  t.diagnostic(`migrations applied in ${Math.round(performance.now() - tm)} ms`);

  const acknowledged = [];
  let lostTotal = 0;
  const rounds = [{ killAfter: 150 }, { killAfter: 100 }];
  let index = 0;
  for (const [n, round] of rounds.entries()) {
    const dev = await startDev(config, persist, `round${n + 1}`);
    let result;
    try {
      // Clients acknowledged before this run must have survived the previous kill.
      for (const { body } of acknowledged.slice(-20)) {
        const r = await httpRequest(`${dev.url}/register/${body.client_id}`, { headers: { authorization: `Bearer ${body.registration_access_token}` } });
        assert.equal(r.status, 200, `${body.client_id} readable after restart`);
      }
      result = await loadAndKill(dev, round.killAfter, index);
    } finally {
      await stopDev(dev);
    }
    index += result.started;
    const lost = result.started - result.ok.length - result.other.length;
    lostTotal += lost;
    t.diagnostic(`run ${n + 1}: wrangler dev ready in ${dev.startMs} ms; ${result.started} registrations started, ${result.ok.length} got 201, ` +
      `SIGKILL after ${result.killed?.okAtKill} acknowledgements with ${result.killed?.inFlight} requests in flight; ` +
      `${lost} without a response (${JSON.stringify(countBy(result.errors.map((e) => e.error)))}); other statuses ${JSON.stringify(countBy(result.other.map((o) => o.status)))}`);
    assert.ok(result.killed, `the load reached ${round.killAfter} registrations within ${LOAD_TIMEOUT_MS} ms (got ${result.ok.length})`);
    assert.ok(result.killed.inFlight > 0, 'the kill happened with requests in flight');
    assert.deepEqual(result.other.filter((o) => o.status >= 500), [], 'no 5xx before the kill');
    assert.deepEqual(result.other, [], 'every answered registration is a 201');
    acknowledged.push(...result.ok);
  }

  // Restart on the same state: every acknowledged client is there, with its token and metadata.
  const dev = await startDev(config, persist, 'verify');
  const missing = [];
  try {
    let k = 0;
    async function lane() {
      while (k < acknowledged.length) {
        const { i, body } = acknowledged[k++];
        const r = await httpRequest(`${dev.url}/register/${body.client_id}`, { headers: { authorization: `Bearer ${body.registration_access_token}` } });
        if (r.status !== 200) missing.push(`#${i} ${body.client_id}: ${r.status} ${r.text}`);
        else assert.deepEqual(r.body, without(body, 'client_secret'), `#${i} ${body.client_id} reads back as registered`);
      }
    }
    await Promise.all(Array.from({ length: 20 }, lane));
  } finally {
    await stopDev(dev);
  }
  assert.deepEqual(missing, [], 'every client acknowledged with 201 before a SIGKILL is readable after restart');

  // The state is consistent: each client row came with its audit event in one transaction, and
  // the quota counter (kept by triggers) equals the number of clients.
  const [[check]] = await d1Json(config, persist, `SELECT
    (SELECT COUNT(*) FROM clients) AS clients,
    (SELECT COUNT(*) FROM audit_events WHERE event = 'client_registered') AS registered_events,
    (SELECT COUNT(*) FROM clients c WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.client_id = c.client_id AND a.event = 'client_registered')) AS clients_without_event,
    (SELECT COUNT(*) FROM audit_events a WHERE a.event = 'client_registered' AND NOT EXISTS (SELECT 1 FROM clients c WHERE c.client_id = a.client_id)) AS events_without_client,
    (SELECT n FROM client_quota WHERE class = 'anonymous') AS quota_n`);
  const [[integrity]] = await d1Json(config, persist, 'PRAGMA quick_check');
  const committedUnacknowledged = check.clients - acknowledged.length;
  t.diagnostic(`after ${rounds.length} kills: ${acknowledged.length} acknowledged, ${check.clients} stored ` +
    `(${committedUnacknowledged} committed without a 201 reaching the client, of ${lostTotal} without a response); quick_check ${JSON.stringify(integrity)}`);
  assert.deepEqual(Object.values(integrity), ['ok'], 'SQLite quick_check');
  assert.ok(check.clients >= acknowledged.length, 'no acknowledged client is missing');
  assert.ok(committedUnacknowledged <= lostTotal, 'only requests in flight at a kill may have been stored without acknowledgement');
  assert.equal(check.clients_without_event, 0, 'every client has its client_registered event');
  assert.equal(check.events_without_client, 0, 'every client_registered event has its client');
  assert.equal(check.registered_events, check.clients, 'one registration event per client');
  assert.equal(check.quota_n, check.clients, 'the quota counter equals the number of clients');
});

function countBy(values) {
  const counts = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
