// Where the Worker isolate's CPU goes on the production path: plain workerd through Miniflare's
// API (as bench/production.mjs runs it, worker only), with only V8's sampling profiler attached
// through the inspector: the Debugger domain stays off, so wasm runs tiered up as in production
// (wrangler dev's inspector enables the debugger, which keeps wasm in its debug tier).
//
//   REGISTRAR_KEEP_NAMES=1 sh scripts/build.sh && cp -r build /tmp/names-build
//   node bench/isolate-profile.mjs /tmp/names-build          (about a minute)
//
// For each request kind: N sequential requests on one keep-alive connection (after a warm-up)
// while the profiler samples every 100 µs; the table gives ms per request of the isolate's self
// time by kind of frame, and the isolate's busiest frames. Environment: PROFILE_N=500,
// PROFILE_PORT=9329 (the inspector, 127.0.0.1), LOG_REQUESTS (default: wrangler.toml's).
import http from 'node:http';
import path from 'node:path';
import { start, ROOT } from '../tests/worker/harness.js';
import { connectCdp } from './cdp.mjs';

const N = Number(process.env.PROFILE_N ?? 500);
const PORT = Number(process.env.PROFILE_PORT ?? 9329);
const buildDir = path.resolve(ROOT, process.argv[2] ?? 'build');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const send = (url, method = 'GET', headers = {}, body) => new Promise((resolve, reject) => {
  const r = http.request(url, { method, headers, agent }, (res) => {
    let text = '';
    res.on('data', (c) => { text += c; });
    res.on('end', () => resolve({ status: res.statusCode, text }));
  });
  r.on('error', reject);
  r.end(body);
});

/** The kind of a sampled frame: the wasm module, the bundle's JS, or V8/workerd itself. */
function kind(cf, parentKind) {
  const url = cf.url || '';
  const name = cf.functionName || '';
  if (url.startsWith('wasm://')) return 'wasm (Rust)';
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'V8 garbage collector';
  if (name === '(program)' || name === '(root)') return 'V8 / workerd (program)';
  if (url.startsWith('cloudflare') || url.startsWith('node')) return 'bindings and runtime JS';
  if (url === '') return parentKind ?? 'Web APIs (native)';
  return /^__wbg_log_/.test(name) || name === 'log' ? 'console.log' : 'Worker JS (wasm-bindgen / worker-rs glue)';
}

function analyse(profile, n) {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const parentOf = new Map();
  for (const x of profile.nodes) for (const c of x.children ?? []) parentOf.set(c, x.id);
  const kindOf = new Map();
  const resolve = (id) => {
    if (kindOf.has(id)) return kindOf.get(id);
    const node = byId.get(id);
    let k = kind(node.callFrame);
    if (k === 'Web APIs (native)') {
      // A native frame is charged to its nearest caller with a URL: console.log, or a Web API.
      const up = parentOf.get(id);
      const upKind = up === undefined ? undefined : resolve(up);
      k = upKind === 'console.log' ? 'console.log' : upKind === 'bindings and runtime JS' ? upKind : 'Web APIs (native)';
    }
    kindOf.set(id, k);
    return k;
  };
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  const kinds = {};
  const frames = new Map();
  for (const [id, us] of selfUs) {
    const k = resolve(id);
    kinds[k] = (kinds[k] ?? 0) + us;
    if (k === 'idle') continue;
    const name = `${k}: ${byId.get(id).callFrame.functionName || '(anonymous)'}`;
    frames.set(name, (frames.get(name) ?? 0) + us);
  }
  const perRequest = (us) => us / 1000 / n;
  const busy = Object.entries(kinds).filter(([k]) => k !== 'idle').reduce((s, [, us]) => s + us, 0);
  const top = [...frames].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([f, us]) => [f, perRequest(us)]);
  return { kinds: Object.fromEntries(Object.entries(kinds).map(([k, us]) => [k, perRequest(us)])), busy: perRequest(busy), top };
}

const WEB = JSON.stringify({ client_name: 'bench', redirect_uris: ['https://bench.example/cb'], scope: 'openid offline_access', grant_types: ['authorization_code', 'refresh_token'] });
const AS_TOKEN = 'bench-as-api-token-0123456789abcdefghijklmnop';
const h = await start({ buildDir, assets: false, inspectorPort: PORT, vars: { AS_API_TOKEN: AS_TOKEN, ...(process.env.LOG_REQUESTS ? { LOG_REQUESTS: process.env.LOG_REQUESTS } : {}) } });
const results = {};
try {
  const json = { 'content-type': 'application/json' };
  const c = JSON.parse((await send(`${h.url}/register`, 'POST', json, WEB)).text);
  const kinds = {
    'POST /register': () => send(`${h.url}/register`, 'POST', json, WEB),
    'GET /register/{id}': () => send(`${h.url}/register/${c.client_id}`, 'GET', { authorization: `Bearer ${c.registration_access_token}` }),
    'AS authenticate': () => send(`${h.url}/as/v1/clients/${c.client_id}/authenticate`, 'POST', { ...json, authorization: `Bearer ${AS_TOKEN}` }, JSON.stringify({ client_secret: c.client_secret })),
    discovery: () => send(`${h.url}/.well-known/oauth-authorization-server`),
    '404': () => send(`${h.url}/bench/no-such-path`),
    preflight: () => send(`${h.url}/register`, 'OPTIONS', { origin: 'https://app.example', 'access-control-request-method': 'POST' }),
  };
  const cdp = await connectCdp('127.0.0.1', PORT, '/');
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  for (const [k, go] of Object.entries(kinds)) {
    for (let i = 0; i < 200; i++) await go();
    await cdp.send('Profiler.start');
    for (let i = 0; i < N; i++) {
      const r = await go();
      if (r.status >= 400 && k !== '404') throw new Error(`${k}: ${r.status} ${r.text}`);
    }
    results[k] = analyse((await cdp.send('Profiler.stop')).profile, N);
  }
  await cdp.close();
} finally {
  agent.destroy();
  await h.dispose();
}

const cols = Object.keys(results);
const allKinds = [...new Set(cols.flatMap((c) => Object.keys(results[c].kinds)))].filter((k) => k !== 'idle').sort();
console.log(`\nIsolate CPU by kind of frame, ms per request (V8 sampling profile every 100 µs over ${N} sequential requests; plain workerd, worker only; ${path.relative(ROOT, buildDir) || buildDir})\n`);
console.log(`| frame kind | ${cols.join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|`);
for (const k of allKinds) console.log(`| ${k} | ${cols.map((c) => (results[c].kinds[k] ?? 0).toFixed(3)).join(' | ')} |`);
console.log(`| **isolate busy** | ${cols.map((c) => `**${results[c].busy.toFixed(3)}**`).join(' | ')} |`);
for (const c of cols) {
  console.log(`\nBusiest frames, ${c} (ms per request):`);
  for (const [f, ms] of results[c].top) console.log(`- ${f}: ${ms.toFixed(3)}`);
}
