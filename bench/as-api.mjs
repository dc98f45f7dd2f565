// CPU per request and throughput of the AS API (docs/authorization-server.md) next to the RFC 7592
// read, on the path production runs: plain Miniflare (workerd only: no wrangler, no inspector)
// through the test harness, local D1 migrated by wrangler, one build. Figures for BENCHMARKS.md
// ("The AS API"); reported, never asserted.
//
//   node bench/as-api.mjs [build-dir]        # default build/; about 5 minutes with the defaults
//
// Each round starts the build fresh in each configuration: `worker` (no assets router in front:
// what Cloudflare bills the Worker) and `assets` (behind Miniflare's local assets router, as
// tests/worker/ and bench/register-cpu.mjs run). It registers one client, warms every request
// kind, then for each kind in turn: workerd's CPU over N sequential requests (/proc, as
// bench/register-cpu.mjs), then wrk with C connections for D seconds: requests/s, and workerd's
// CPU per request under that load. LOG_REQUESTS=errors (no log line for a success), rate limits
// raised out of the way (the RFC 7592 read still calls both limiter bindings).
// Environment: BENCH_AS_N=300 BENCH_AS_ROUNDS=2 BENCH_AS_WARMUP=50 BENCH_AS_SECONDS=10
// BENCH_AS_CONNECTIONS=8 BENCH_AS_CONFIGS="worker assets". Needs wrk (apt-get install wrk).
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { start, wranglerConfig, ROOT } from '../tests/worker/harness.js';
import { workerdPids, cpuTicks, cpuPerRequest, median, TICKS } from './cpu.mjs';

const N = Number(process.env.BENCH_AS_N ?? 300);
const ROUNDS = Number(process.env.BENCH_AS_ROUNDS ?? 2);
const WARMUP = Number(process.env.BENCH_AS_WARMUP ?? 50);
const SECONDS = Number(process.env.BENCH_AS_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_AS_CONNECTIONS ?? 8);
const CONFIGS = (process.env.BENCH_AS_CONFIGS ?? 'worker assets').split(/\s+/).filter(Boolean);
const buildDir = path.resolve(ROOT, process.argv[2] ?? 'build');
if (!fs.existsSync(path.join(buildDir, 'index.js'))) throw new Error(`${buildDir}/index.js: build it first`);
try { execFileSync('wrk', ['--version'], { stdio: 'ignore' }); } catch (e) {
  if (e.code === 'ENOENT') throw new Error('wrk is not installed (apt-get install -y wrk)');
}

const AS_TOKEN = randomBytes(24).toString('base64url');
const WEB = { client_name: 'bench', redirect_uris: ['https://bench.example/cb'], scope: 'openid profile offline_access', grant_types: ['authorization_code', 'refresh_token'] };
const BASE = 'GET /register/{id} (RFC 7592 read)';

/** The request kinds, for one registered client `c`: method, path, bearer, JSON body. */
function kinds(c) {
  const as = `/as/v1/clients/${c.client_id}`;
  return {
    [BASE]: { method: 'GET', path: `/register/${c.client_id}`, token: c.registration_access_token },
    'GET /as/v1/clients/{id}': { method: 'GET', path: as, token: AS_TOKEN },
    'POST /as/v1/clients/{id}/authenticate': { method: 'POST', path: `${as}/authenticate`, token: AS_TOKEN, json: { client_secret: c.client_secret } },
    'POST /as/v1/clients/{id}/authorization-check': {
      method: 'POST', path: `${as}/authorization-check`, token: AS_TOKEN,
      json: { redirect_uri: WEB.redirect_uris[0], response_type: 'code', scope: 'openid profile' },
    },
    'GET discovery (no D1, no HMAC: the floor)': { method: 'GET', path: '/.well-known/oauth-authorization-server' },
  };
}

const lua = (s) => JSON.stringify(s); // ASCII only here: a JSON string is a Lua string literal

/** A wrk script sending `k` on every request; its `done` prints bench/wrk/summary.lua's line. */
function wrkScript(dir, i, k) {
  const file = path.join(dir, `kind${i}.lua`);
  fs.writeFileSync(file, [
    'package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path',
    'local S = require("summary")',
    `wrk.method = ${lua(k.method)}`,
    k.token ? `wrk.headers["Authorization"] = ${lua(`Bearer ${k.token}`)}` : '',
    k.json ? `wrk.headers["Content-Type"] = "application/json"\nwrk.body = ${lua(JSON.stringify(k.json))}` : '',
    'function done(summary, latency, requests) S.done(summary, latency, requests) end',
  ].join('\n'));
  return file;
}

function wrk(script, url) {
  return new Promise((resolve, reject) => {
    const args = ['-t', String(Math.min(2, CONNECTIONS)), '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, '--timeout', '10s', '-s', script, url];
    const child = spawn('wrk', args, { env: { ...process.env, BENCH_WRK_DIR: path.join(ROOT, 'bench', 'wrk') } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH '));
      if (code !== 0 || !line) reject(new Error(`wrk ${args.join(' ')}: exit ${code}\n${out}`));
      else resolve(JSON.parse(line.slice(6)));
    });
  });
}

async function measure(config, dir) {
  const ratelimits = Object.fromEntries((wranglerConfig().ratelimits ?? []).map((r) => [r.name, { limit: 1e9, period: 60 }]));
  const h = await start({ buildDir, assets: config !== 'worker', ratelimits, vars: { LOG_REQUESTS: 'errors', AS_API_TOKEN: AS_TOKEN } });
  try {
    const pids = workerdPids();
    const c = await h.registerOk(WEB);
    const all = Object.entries(kinds(c));
    const send = (k) => () => h.request(k.method, k.path, { token: k.token, json: k.json });
    for (let i = 0; i < WARMUP; i++) for (const [, k] of all) await send(k)();
    const out = {};
    for (const [i, [name, k]] of all.entries()) {
      const seq = await cpuPerRequest(pids, N, send(k), name);
      const before = cpuTicks(pids);
      const load = await wrk(wrkScript(dir, i, k), `${h.url}${k.path}`);
      if (load.status_errors) throw new Error(`${name}: non-2xx answers under load ${JSON.stringify(load)}`);
      out[name] = {
        seq,
        rps: load.requests / (load.duration_us / 1e6),
        loadCpu: ((cpuTicks(pids) - before) / TICKS) * 1000 / load.requests,
        p50: load.p50_us / 1000,
        p99: load.p99_us / 1000,
        errors: load.socket_errors + load.timeouts,
      };
    }
    return out;
  } finally {
    await h.dispose();
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-bench-as-'));
const results = Object.fromEntries(CONFIGS.map((c) => [c, []]));
const started = new Date();
const load0 = os.loadavg();
try {
  for (let r = 0; r < ROUNDS; r++) for (const config of CONFIGS) results[config].push(await measure(config, dir));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

const f = (x, d = 2) => x.toFixed(d);
/** median, and the spread over the rounds when there are several. */
const cell = (xs, d) => (xs.length > 1 ? `${f(median(xs), d)} (${f(Math.min(...xs), d)}–${f(Math.max(...xs), d)})` : f(xs[0], d));
const fmt = (n) => n.map((x) => x.toFixed(2)).join(' ');
console.log(`\nRun of ${started.toISOString()}: ${os.cpus().length} × ${os.cpus()[0]?.model}, load average at start ${fmt(load0)}, at end ${fmt(os.loadavg())}.`);
console.log(`${ROUNDS} rounds; per round and request kind: ${N} sequential requests (workerd CPU from /proc), then wrk -c ${CONNECTIONS} for ${SECONDS} s. Median (min–max over rounds).`);
for (const config of CONFIGS) {
  const rounds = results[config];
  const names = Object.keys(rounds[0]);
  const of = (name, key) => rounds.map((x) => x[name][key]);
  // Ratios within each round (same instance, minutes apart), then their median.
  const ratio = (name, key) => rounds.map((x) => x[name][key] / x[BASE][key]);
  console.log(`\n${config === 'worker' ? 'Worker only (no assets router)' : 'Behind the local assets router'}:\n`);
  console.log('| request | workerd CPU, sequential (ms) | CPU / RFC 7592 read | req/s at 8 connections | req/s / RFC 7592 read | workerd CPU under load (ms) | p50 / p99 under load (ms) | socket errors + timeouts |'.replace('8 connections', `${CONNECTIONS} connections`));
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const name of names) {
    console.log(`| ${name} | ${cell(of(name, 'seq'))} | ${cell(ratio(name, 'seq'))}× | ${cell(of(name, 'rps'), 0)} | ${cell(ratio(name, 'rps'))}× | ${cell(of(name, 'loadCpu'))} | ${f(median(of(name, 'p50')), 1)} / ${f(median(of(name, 'p99')), 1)} | ${of(name, 'errors').reduce((a, b) => a + b, 0)} |`);
  }
}
