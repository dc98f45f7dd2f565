// CPU per request of built Workers side by side, on the path production runs: plain Miniflare
// (workerd only: no wrangler proxy, no inspector) through the test harness (so behind the local
// assets router, as tests/worker/ run), local D1 migrated by wrangler, each build fed the same
// sequential requests. For comparing one build with another (a
// change against its base) in one run, as ratios.
//
//   node bench/register-cpu.mjs [label=build-dir ...]
//   node bench/register-cpu.mjs base=/tmp/base/build head=build
//
// Each round starts every build fresh (a new isolate and D1), warms it with WARMUP requests, then
// reads workerd's utime+stime (/proc) around N sequential requests of each kind. Rounds alternate
// the builds; the table gives the median of ROUNDS rounds per figure, in ms of workerd CPU per
// request. Environment: BENCH_CPU_N=300 BENCH_CPU_ROUNDS=5 BENCH_CPU_WARMUP=50.
import fs from 'node:fs';
import path from 'node:path';
import { start, ROOT } from '../tests/worker/harness.js';
import { workerdPids, cpuPerRequest, median } from './cpu.mjs';

const N = Number(process.env.BENCH_CPU_N ?? 300);
const ROUNDS = Number(process.env.BENCH_CPU_ROUNDS ?? 5);
const WARMUP = Number(process.env.BENCH_CPU_WARMUP ?? 50);

const builds = (process.argv.slice(2).length ? process.argv.slice(2) : ['head=build']).map((a) => {
  const [label, dir] = a.includes('=') ? a.split('=') : [a, a];
  const buildDir = path.resolve(ROOT, dir);
  if (!fs.existsSync(path.join(buildDir, 'index.js'))) throw new Error(`${buildDir}/index.js: build it first`);
  return { label, buildDir };
});

const WEB = { client_name: 'bench', redirect_uris: ['https://bench.example/cb'], scope: 'openid offline_access', grant_types: ['authorization_code', 'refresh_token'] };

async function measure({ buildDir }) {
  const h = await start({ buildDir, vars: { LOG_REQUESTS: 'errors' } });
  try {
    const pids = workerdPids();
    for (let i = 0; i < WARMUP; i++) await h.registerOk(WEB);
    const c = await h.registerOk(WEB);
    const kinds = {
      'POST /register': () => h.register(WEB),
      'GET /register/{id}': () => h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token }),
      'GET discovery': () => h.request('GET', '/.well-known/oauth-authorization-server'),
    };
    const out = {};
    for (const [kind, send] of Object.entries(kinds)) out[kind] = await cpuPerRequest(pids, N, send, kind);
    return out;
  } finally {
    await h.dispose();
  }
}

const results = Object.fromEntries(builds.map((b) => [b.label, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const b of builds) results[b.label].push(await measure(b));
}
const kinds = Object.keys(results[builds[0].label][0]);
const first = builds[0].label;
console.log(`\nworkerd CPU per request, ms (median of ${ROUNDS} rounds of ${N} sequential requests; plain Miniflare behind the local assets router, local D1, LOG_REQUESTS=errors)\n`);
console.log(`| request | ${builds.map((b) => b.label).join(' | ')} |${builds.slice(1).map((b) => ` ${b.label} / ${first} |`).join('')}`);
console.log(`|---|${builds.map(() => '---:').join('|')}|${builds.slice(1).map(() => '---:|').join('')}`);
for (const k of kinds) {
  const m = builds.map((b) => median(results[b.label].map((x) => x[k])));
  const ratios = m.slice(1).map((x) => ` ${(x / m[0]).toFixed(2)} |`).join('');
  console.log(`| ${k} | ${m.map((x) => x.toFixed(2)).join(' | ')} |${ratios}`);
}
