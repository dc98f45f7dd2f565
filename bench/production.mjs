// The production path, measured: plain workerd through Miniflare's API (no wrangler, no inspector,
// no log forwarding to a dev server), one run, every configuration side by side:
//
//   registrar         Registrar's default build (D1), worker only: what Cloudflare bills the Worker
//   registrar-assets  the same build behind Miniflare's local static-assets router ([assets] of
//                     wrangler.toml), as `wrangler dev` and tests/worker/ serve it
//   registrar-kv      the REGISTRAR_FEATURES=kv build with STORAGE_BACKEND=kv, worker only
//   registrar-nolog   the default build with LOG_REQUESTS=errors (no log line for a success),
//                     worker only: what the one log line per request costs
//   registrar-signin  the REGISTRAR_FEATURES=signin build with dashboard sign-in configured, worker
//                     only: the anonymous requests, and the signed-in dashboard's requests with a
//                     session cookie (sealed as the Worker seals one, tests/store-contract/session.js; no provider is called)
//   peer              @cloudflare/workers-oauth-provider (bench/peer/, bundled by
//                     `wrangler deploy --dry-run --outdir`), local KV, worker only
//   floor             bench/floor/index.js: a trivial JS Worker answering a constant JSON body
//
// Three measurements, results as JSON (--out) and Markdown on stdout (bench/prod-report.mjs):
//  1. CPU per request: each round starts every configuration fresh (new workerd, new isolate, new
//     local D1/KV), warms every request kind, measures workerd's idle rate, then reads workerd's
//     CPU time (/proc: the scheduler's per-thread run time in ns, utime+stime as a cross-check)
//     around N sequential requests of each kind on one keep-alive connection, the kinds taking
//     turns in BENCH_PROD_SLICES slices (idle rate subtracted). Rounds alternate the order of the configurations. Figures: median of
//     the rounds (min–max).
//  2. Cold start: a new Miniflare (so a new workerd process and isolate: bundle parse, wasm
//     compile and instantiate at module load) per sample; wall time to `ready` and to the first
//     response, and the new workerd's whole CPU (utime+stime since exec) at both points. Two stubs
//     split Registrar's share: the floor's code with Registrar's bindings, and a module that also
//     loads Registrar's wasm (compiled by workerd) without instantiating it.
//  3. Load: wrk (BENCH_CONNECTIONS connections, BENCH_SECONDS s, after a BENCH_WARMUP s warm-up)
//     of POST /register against Registrar (D1) and the peer, worker only, alternating, with
//     workerd's CPU per request under that load.
//
// Usage: node bench/production.mjs [--registrar DIR] [--registrar-kv DIR] [--registrar-signin DIR]
//          [--peer DIR] [--out FILE]
//   --registrar     a built Registrar (index.js + index_bg.wasm), default build/
//   --registrar-kv  a REGISTRAR_FEATURES=kv build; without it the registrar-kv configuration is skipped
//   --registrar-signin  a REGISTRAR_FEATURES=signin build; without it registrar-signin is skipped
//   --peer          the peer bundle dir (index.js) from `wrangler deploy --dry-run --outdir`;
//                   default: bundled here into a temporary dir
// Environment (full / BENCH_QUICK=1): BENCH_PROD_N=300/30 sequential requests per figure,
//   BENCH_PROD_ROUNDS=5/2, BENCH_PROD_SLICES=10/3 turns the kinds take, BENCH_PROD_WARMUP=50/10
//   requests per kind, BENCH_PROD_COLD=8/2 cold-start samples, BENCH_PROD_LOAD_ROUNDS=3/1, BENCH_SECONDS=10/2, BENCH_WARMUP=3/1,
//   BENCH_CONNECTIONS=8, BENCH_PROD_WRK_THREADS=2, BENCH_PROD_PORT=8915 (127.0.0.1),
//   BENCH_PROD_CONFIGS="registrar registrar-assets registrar-kv registrar-nolog registrar-signin peer floor",
//   BENCH_PROD_PARTS="cpu cold load". Needs wrk for the load part. Loopback only; reported,
//   never asserted.
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { experimental_readRawConfig } from "wrangler";
import { workerdPids, cpuTicks, TICKS } from "./cpu.mjs";
import { prodMarkdown } from "./prod-report.mjs";
import { sealedSession } from "../tests/store-contract/session.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");
const QUICK = process.env.BENCH_QUICK === "1";
const setting = (name, full, quick) => Number(process.env[name] ?? (QUICK ? quick : full));
const N = setting("BENCH_PROD_N", 300, 30);
const ROUNDS = setting("BENCH_PROD_ROUNDS", 5, 2);
const WARMUP = setting("BENCH_PROD_WARMUP", 50, 10);
const COLD = setting("BENCH_PROD_COLD", 8, 2);
const LOAD_ROUNDS = setting("BENCH_PROD_LOAD_ROUNDS", 3, 1);
const SECONDS = setting("BENCH_SECONDS", 10, 2);
const LOAD_WARMUP = setting("BENCH_WARMUP", 3, 1);
const CONNECTIONS = setting("BENCH_CONNECTIONS", 8, 8);
const WRK_THREADS = Math.min(CONNECTIONS, setting("BENCH_PROD_WRK_THREADS", 2, 2));
const PORT = setting("BENCH_PROD_PORT", 8915, 8915);
const IDLE_MS = QUICK ? 300 : 1000;
const SLICES = setting("BENCH_PROD_SLICES", 10, 3);
const CONFIGS = (process.env.BENCH_PROD_CONFIGS ?? "registrar registrar-assets registrar-kv registrar-nolog registrar-signin peer floor").split(/\s+/).filter(Boolean);
const PARTS = (process.env.BENCH_PROD_PARTS ?? "cpu cold load").split(/\s+/).filter(Boolean);

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i];
  if (!k.startsWith("--") || process.argv[i + 1] === undefined) throw new Error(`usage: see the head of ${path.relative(process.cwd(), fileURLToPath(import.meta.url))}`);
  args[k.slice(2)] = path.resolve(process.argv[i + 1]);
}
const REG_DIR = args.registrar ?? path.join(ROOT, "build");
const REG_KV_DIR = args["registrar-kv"];
const REG_SIGNIN_DIR = args["registrar-signin"];
// Optional builds: a configuration is skipped when its build was not given.
const OPTIONAL_BUILDS = { "registrar-kv": REG_KV_DIR, "registrar-signin": REG_SIGNIN_DIR };
const say = (s) => process.stderr.write(`  ${s}\n`);

// ---------------------------------------------------------------------------------------------
// Clean-up: every workerd (through Miniflare) and wrk this process starts, also on error or signal
// ---------------------------------------------------------------------------------------------
const live = new Set(); // Miniflare instances
const children = new Set(); // wrk
const tmpDirs = new Set();
async function cleanup() {
  for (const c of children) c.kill("SIGKILL");
  children.clear();
  const all = [...live];
  live.clear();
  await Promise.allSettled(all.map((mf) => mf.dispose()));
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  tmpDirs.clear();
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, () => { cleanup().finally(() => process.exit(130)); });
}
// Miniflare's own exit hook stops workerd and exits on a signal before the asynchronous clean-up
// above ends: what must not be left behind goes synchronously here.
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (prefix) => { const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix)); tmpDirs.add(d); return d; };

function run(cmd, argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { out += d; });
    child.on("error", (e) => { children.delete(child); reject(e); });
    child.on("close", (code) => {
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${argv.join(" ")}: exit ${code}\n${out}`));
    });
  });
}
const quietEnv = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true", NO_COLOR: "1" };

// ---------------------------------------------------------------------------------------------
// What is served
// ---------------------------------------------------------------------------------------------
const cfg = experimental_readRawConfig({ config: path.join(ROOT, "wrangler.toml") }).rawConfig;
const peerCfg = experimental_readRawConfig({ config: path.join(ROOT, "bench", "peer", "wrangler.toml") }).rawConfig;
const DB = (cfg.d1_databases ?? []).find((d) => d.binding === "DB");
const AS_TOKEN = randomBytes(24).toString("base64url");
const HMAC_KEY = randomBytes(32).toString("hex");

/** wrangler.toml's [vars], as `wrangler dev` passes them, with the issuer moved to `origin`. */
function registrarVars(origin, extra) {
  const vars = { ...(cfg.vars ?? {}) };
  const configured = vars.ISSUER ?? "http://127.0.0.1:8787";
  vars.ISSUER = origin;
  if (typeof vars.AUTHORIZATION_SERVER_METADATA === "string") {
    vars.AUTHORIZATION_SERVER_METADATA = vars.AUTHORIZATION_SERVER_METADATA.split(configured).join(origin);
  }
  for (const [k, v] of Object.entries(vars)) if (typeof v !== "string") vars[k] = JSON.stringify(v);
  return { ...vars, REGISTRAR_HMAC_KEY: HMAC_KEY, AS_API_TOKEN: AS_TOKEN, ...extra };
}

let d1Template;
async function migratedD1() {
  if (!d1Template) {
    d1Template = tmp("registrar-prod-d1-");
    await run(WRANGLER, ["d1", "migrations", "apply", DB.database_name, "--local", "--persist-to", d1Template], {
      cwd: ROOT, env: { ...quietEnv, WRANGLER_LOG_PATH: path.join(d1Template, "logs") },
    });
  }
  return d1Template;
}

async function peerDir() {
  if (args.peer) return args.peer;
  const out = tmp("registrar-prod-peer-");
  say("bundling the peer (wrangler deploy --dry-run --outdir)");
  await run(WRANGLER, ["deploy", "--dry-run", "-c", path.join(ROOT, "bench", "peer", "wrangler.toml"), "--outdir", out], { cwd: ROOT, env: quietEnv });
  args.peer = out;
  return out;
}

const LABELS = {
  registrar: "Registrar (D1), worker only",
  "registrar-assets": "Registrar (D1), behind the assets router",
  "registrar-kv": "Registrar (KV build, STORAGE_BACKEND=kv), worker only",
  "registrar-nolog": "Registrar (D1) with LOG_REQUESTS=errors, worker only",
  "registrar-signin": "Registrar (signin build, D1, sign-in configured), worker only",
  peer: "peer (workers-oauth-provider, KV), worker only",
  floor: "floor: trivial JS Worker, constant JSON",
  "floor-bindings": "the floor's code with Registrar's bindings (cold start only)",
  "wasm-stub": "Registrar's bindings + its wasm module loaded, not instantiated (cold start only)",
};

/** Miniflare options of one configuration, on a fresh state dir. */
async function options(config, port) {
  const origin = `http://127.0.0.1:${port}`;
  const state = tmp("registrar-prod-state-");
  const shared = {
    host: "127.0.0.1", port, cf: false, modules: true,
    // workerd's structured logs arrive in this node process and are dropped: a log line still
    // costs workerd its console.log, as in production, but nothing is printed here.
    handleStructuredLogs: () => {},
    kvPersist: path.join(state, "kv"),
  };
  if (config === "floor") {
    return { state, opts: { ...shared, scriptPath: path.join(ROOT, "bench", "floor", "index.js"), compatibilityDate: cfg.compatibility_date } };
  }
  if (config === "peer") {
    const dir = await peerDir();
    return {
      state,
      opts: {
        ...shared, scriptPath: path.join(dir, "index.js"), modulesRoot: dir,
        compatibilityDate: peerCfg.compatibility_date, compatibilityFlags: peerCfg.compatibility_flags ?? [],
        kvNamespaces: Object.fromEntries((peerCfg.kv_namespaces ?? []).map((k) => [k.binding, k.id])),
      },
    };
  }
  const buildDir = OPTIONAL_BUILDS[config] ?? REG_DIR;
  // Cold-start steps between the floor and Registrar: the floor's code with Registrar's bindings,
  // then a stub that also loads Registrar's wasm module (compiled by workerd at start-up) but
  // neither instantiates it nor loads the JS bundle.
  const script = config === "floor-bindings" ? path.join(ROOT, "bench", "floor", "index.js")
    : config === "wasm-stub" ? path.join(wasmStubDir(), "index.js") : path.join(buildDir, "index.js");
  fs.cpSync(path.join(await migratedD1(), "v3"), path.join(state, "v3"), { recursive: true });
  return {
    state,
    opts: {
      ...shared,
      scriptPath: script, modulesRoot: path.dirname(script),
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
      compatibilityDate: cfg.compatibility_date, compatibilityFlags: cfg.compatibility_flags ?? [],
      bindings: registrarVars(origin, { "registrar-kv": { STORAGE_BACKEND: "kv" }, "registrar-nolog": { LOG_REQUESTS: "errors" }, "registrar-signin": SIGNIN_VARS }[config] ?? {}),
      d1Databases: { DB: DB.database_id },
      d1Persist: path.join(state, "v3", "d1"),
      kvNamespaces: Object.fromEntries((cfg.kv_namespaces ?? []).map((k) => [k.binding, k.id])),
      kvPersist: path.join(state, "v3", "kv"),
      // The limiter bindings are still called on every request; their thresholds are raised so a
      // run (tens of thousands of registrations a minute) is never throttled.
      ratelimits: Object.fromEntries((cfg.ratelimits ?? []).map((r) => [r.name, { simple: { limit: 1e9, period: r.simple?.period ?? 60 } }])),
      ...(config === "registrar-assets"
        ? { assets: { directory: path.resolve(ROOT, cfg.assets.directory), binding: cfg.assets.binding ?? "ASSETS", routerConfig: { has_user_worker: true } } }
        : {}),
    },
  };
}

let stubDir;
function wasmStubDir() {
  if (!stubDir) {
    stubDir = tmp("registrar-prod-wasm-stub-");
    fs.copyFileSync(path.join(REG_DIR, "index_bg.wasm"), path.join(stubDir, "index_bg.wasm"));
    fs.writeFileSync(path.join(stubDir, "index.js"), [
      "// bench/production.mjs, cold start: Registrar's wasm module loaded (compiled), never instantiated.",
      'import wasm from "./index_bg.wasm";',
      "const BODY = JSON.stringify({ exports: WebAssembly.Module.exports(wasm).length });",
      'export default { fetch() { return new Response(BODY, { headers: { "content-type": "application/json" } }); } };',
      "",
    ].join("\n"));
  }
  return stubDir;
}

async function startMf(opts) {
  const mf = new Miniflare(opts);
  live.add(mf);
  const url = await mf.ready;
  return { mf, url };
}
async function stopMf(mf, state) {
  live.delete(mf);
  await mf.dispose().catch(() => {});
  if (state) { fs.rmSync(state, { recursive: true, force: true }); tmpDirs.delete(state); }
}

// ---------------------------------------------------------------------------------------------
// HTTP: one keep-alive connection, requests strictly in sequence
// ---------------------------------------------------------------------------------------------
function client(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (method, p, { json, token, headers = {} } = {}) => new Promise((resolve, reject) => {
    const h = { ...headers };
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    if (body) { h["content-type"] = "application/json"; h["content-length"] = body.length; }
    if (token) h.authorization = `Bearer ${token}`;
    const req = http.request({ host: "127.0.0.1", port, method, path: p, headers: h, agent, timeout: 30000 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${p}: timeout`)));
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
  return { request, close: () => agent.destroy() };
}

// Sign-in settings of the registrar-signin configuration. The issuer is never called: a session
// request is checked against its sealed cookie alone (only /dashboard/signin and /callback fetch
// the provider's documents), and it is a loopback address all the same.
const SIGNIN_ISSUER = "https://localhost:9/bench-op";
const SIGNIN_VARS = { DASHBOARD_OIDC_ISSUER: SIGNIN_ISSUER, DASHBOARD_OIDC_CLIENT_ID: "registrar-dashboard-bench" };
const WEB = { client_name: "bench", redirect_uris: ["https://bench.example/cb"], scope: "openid offline_access", grant_types: ["authorization_code", "refresh_token"] };
const PREFLIGHT = { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, authorization" };
// Kind → [method, path, options] for one configuration; `c` is a client registered on it.
function kinds(config, c) {
  if (config === "floor") return { floor: ["GET", "/", {}] };
  const common = {
    register: ["POST", "/register", { json: WEB }],
    discovery: ["GET", "/.well-known/oauth-authorization-server", {}],
    404: ["GET", "/bench/no-such-path", {}],
    preflight: ["OPTIONS", "/register", { headers: PREFLIGHT }],
  };
  if (config === "peer") return common;
  const anonymous = {
    register: common.register,
    read: ["GET", `/register/${c.client_id}`, { token: c.registration_access_token }],
    authenticate: ["POST", `/as/v1/clients/${c.client_id}/authenticate`, { token: AS_TOKEN, json: { client_secret: c.client_secret } }],
    discovery: common.discovery,
    404: common[404],
    preflight: common.preflight,
  };
  if (config !== "registrar-signin") return anonymous;
  // The signed-in dashboard: its session cookie on every request; changes also carry this origin
  // and the session's CSRF token, as the dashboard sends them.
  const signedIn = { headers: { cookie: c.session.cookie } };
  const change = { headers: { cookie: c.session.cookie, origin: c.origin, "x-registrar-csrf": c.session.csrf } };
  return {
    ...anonymous,
    session: ["GET", "/dashboard/session", signedIn],
    "register-owned": ["POST", "/dashboard/clients", { ...change, json: WEB }],
    "read-owned": ["GET", `/dashboard/clients/${c.owned.client_id}`, signedIn],
    "list-owned": ["GET", "/dashboard/clients", signedIn],
  };
}

/** A session on `config` (registrar-signin) that the Worker accepts, and a client it owns. */
async function signedInSetup(http1, origin) {
  // Sealed as the Worker seals a session (what is measured is a signed-in request, not the
  // sign-in); accepted by the Worker before anything is measured.
  const session = sealedSession(HMAC_KEY, SIGNIN_ISSUER, `bench-person-${randomBytes(6).toString("hex")}`, { name: "Bench", seconds: 3600 });
  const who = await http1.request("GET", "/dashboard/session", { headers: { cookie: session.cookie } });
  const body = who.status === 200 ? JSON.parse(who.text) : {};
  if (body.sign_in !== true || body.signed_in !== true || body.csrf !== session.csrf) {
    throw new Error(`registrar-signin: the bench's session cookie is not accepted: GET /dashboard/session ${who.status} ${who.text}`);
  }
  const r = await http1.request("POST", "/dashboard/clients", { json: WEB, headers: { cookie: session.cookie, origin, "x-registrar-csrf": session.csrf } });
  if (r.status !== 201) throw new Error(`registrar-signin: POST /dashboard/clients ${r.status} ${r.text}`);
  return { session, origin, owned: JSON.parse(r.text) };
}
// What each kind must answer (the 404 must be a 404; anything else a success).
const okStatus = (kind, s) => (kind === "404" ? s === 404 : s >= 200 && s < 300);

// ---------------------------------------------------------------------------------------------
// 1. CPU per request
// ---------------------------------------------------------------------------------------------
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ticksMs = (t) => (t / TICKS) * 1000;

/** ms of CPU run by the live threads of `pids`: the scheduler's own count in ns
 *  (/proc/PID/task/TID/schedstat), where utime+stime only move in 10 ms ticks. A thread that exits
 *  takes its time with it, so this is for deltas over a running workerd, not totals since exec. */
function schedMs(pids) {
  let ns = 0;
  for (const p of pids) {
    let tids;
    try { tids = fs.readdirSync(`/proc/${p}/task`); } catch { continue; }
    for (const tid of tids) {
      try { ns += Number(fs.readFileSync(`/proc/${p}/task/${tid}/schedstat`, "utf8").split(" ")[0]); } catch { /* gone */ }
    }
  }
  return ns / 1e6;
}
const HAVE_SCHEDSTAT = fs.existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`);
/** ms of CPU of `pids`, the finest counter this kernel has. */
const cpuMs = (pids) => (HAVE_SCHEDSTAT ? schedMs(pids) : ticksMs(cpuTicks(pids)));
export const CPU_SOURCE = HAVE_SCHEDSTAT ? "schedstat" : "stat";

async function cpuRound(config) {
  const { state, opts } = await options(config, PORT);
  const { mf } = await startMf(opts);
  const http1 = client(PORT);
  try {
    const pids = workerdPids();
    let c;
    if (config.startsWith("registrar")) {
      const r = await http1.request("POST", "/register", { json: WEB });
      if (r.status !== 201) throw new Error(`${config}: POST /register ${r.status} ${r.text}`);
      c = JSON.parse(r.text);
      if (config === "registrar-signin") Object.assign(c, await signedInSetup(http1, `http://127.0.0.1:${PORT}`));
    }
    const all = Object.entries(kinds(config, c));
    const status = {};
    for (let i = 0; i < WARMUP; i++) {
      for (const [kind, [m, p, o]] of all) {
        const r = await http1.request(m, p, o);
        if (!okStatus(kind, r.status)) throw new Error(`${config} ${kind}: ${m} ${p} answered ${r.status} ${r.text.slice(0, 300)}`);
        status[kind] = r.status;
      }
    }
    const i0 = cpuMs(pids), w0 = performance.now();
    await sleep(IDLE_MS);
    const idlePerMs = (cpuMs(pids) - i0) / (performance.now() - w0);
    const out = { idle_ms_per_s: idlePerMs * 1000, status, per_request_ms: {}, ticks_per_request_ms: {}, wall_per_request_ms: {} };
    // The kinds take turns in SLICES slices of N/SLICES requests, so a burst of load from
    // elsewhere on the machine falls on every kind alike and the ratios between kinds hold.
    const sum = Object.fromEntries(all.map(([kind]) => [kind, { cpu: 0, ticks: 0, wall: 0, n: 0 }]));
    const per = Math.max(1, Math.round(N / SLICES));
    for (let s = 0; s < SLICES; s++) {
      for (const [kind, [m, p, o]] of all) {
        const t0 = cpuMs(pids), k0 = cpuTicks(pids), w = performance.now();
        for (let i = 0; i < per; i++) {
          const r = await http1.request(m, p, o);
          if (!okStatus(kind, r.status)) throw new Error(`${config} ${kind}: ${r.status} ${r.text.slice(0, 300)}`);
        }
        const wall = performance.now() - w;
        const x = sum[kind];
        x.cpu += Math.max(0, cpuMs(pids) - t0 - idlePerMs * wall);
        x.ticks += cpuTicks(pids) - k0;
        x.wall += wall;
        x.n += per;
      }
    }
    for (const [kind, x] of Object.entries(sum)) {
      out.per_request_ms[kind] = x.cpu / x.n;
      out.ticks_per_request_ms[kind] = ticksMs(x.ticks) / x.n; // the same from utime+stime, as a cross-check
      out.wall_per_request_ms[kind] = x.wall / x.n;
    }
    return out;
  } finally {
    http1.close();
    await stopMf(mf, state);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Cold start
// ---------------------------------------------------------------------------------------------
async function coldSample(config) {
  const { state, opts } = await options(config, PORT);
  const first = ["floor", "floor-bindings", "wasm-stub"].includes(config) ? "/" : "/.well-known/oauth-authorization-server";
  const t0 = performance.now();
  const { mf } = await startMf(opts);
  const tReady = performance.now();
  const pids = workerdPids(); // the new workerd: its utime+stime is everything since exec
  const cpuReady = ticksMs(cpuTicks(pids));
  const schedReady = cpuMs(pids);
  const http1 = client(PORT);
  try {
    const r = await http1.request("GET", first);
    const tFirst = performance.now();
    if (r.status !== 200) throw new Error(`${config} cold start: GET ${first} ${r.status}`);
    const cpuFirst = ticksMs(cpuTicks(pids));
    const schedFirst = cpuMs(pids);
    const r2 = await http1.request("GET", first);
    const tSecond = performance.now();
    if (r2.status !== 200) throw new Error(`${config} cold start: second GET ${first} ${r2.status}`);
    return {
      ready_ms: tReady - t0, first_response_ms: tFirst - tReady, total_ms: tFirst - t0, second_response_ms: tSecond - tFirst,
      cpu_to_ready_ms: cpuReady, cpu_to_first_response_ms: cpuFirst,
      // the first request alone, on the finer per-thread counter (threads live through it)
      cpu_first_request_ms: schedFirst - schedReady,
    };
  } finally {
    http1.close();
    await stopMf(mf, state);
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Load: wrk against Miniflare's HTTP port
// ---------------------------------------------------------------------------------------------
async function wrk(url, seconds) {
  const out = await run("wrk", ["-t", String(WRK_THREADS), "-c", String(CONNECTIONS), "-d", `${seconds}s`, "--timeout", "10s",
    "-s", path.join(ROOT, "bench", "wrk", "register.lua"), url], { env: { ...process.env, BENCH_WRK_DIR: path.join(ROOT, "bench", "wrk"), NTHREADS: String(WRK_THREADS) } });
  const line = out.split("\n").find((l) => l.startsWith("BENCH "));
  if (!line) throw new Error(`wrk: no summary\n${out}`);
  return JSON.parse(line.slice(6));
}

async function loadRound(config) {
  const { state, opts } = await options(config, PORT);
  const { mf } = await startMf(opts);
  try {
    const pids = workerdPids();
    const base = `http://127.0.0.1:${PORT}`;
    if (LOAD_WARMUP > 0) await wrk(base, LOAD_WARMUP);
    const t0 = cpuMs(pids);
    const r = await wrk(base, SECONDS);
    const cpu = cpuMs(pids) - t0;
    return { ...r, rps: r.requests / (r.duration_us / 1e6), cpu_per_request_ms: cpu / r.requests, errors: r.status_errors + r.socket_errors + r.timeouts };
  } finally {
    await stopMf(mf, state);
  }
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------
async function main() {
  for (const config of CONFIGS) if (!LABELS[config]) throw new Error(`BENCH_PROD_CONFIGS: unknown ${config}`);
  if (!fs.existsSync(path.join(REG_DIR, "index.js"))) throw new Error(`${REG_DIR}/index.js: build it first (sh scripts/build.sh)`);
  const configs = CONFIGS.filter((c) => !(c in OPTIONAL_BUILDS) || OPTIONAL_BUILDS[c]);
  for (const c of CONFIGS) if (!configs.includes(c)) say(`${c} skipped: no --${c} build given`);
  const result = {
    started: new Date().toISOString(), load_start: os.loadavg(), quick: QUICK,
    params: { cpu_source: CPU_SOURCE, n: N, slices: SLICES, rounds: ROUNDS, warmup: WARMUP, cold_samples: COLD, load_rounds: LOAD_ROUNDS, seconds: SECONDS, load_warmup: LOAD_WARMUP, connections: CONNECTIONS, wrk_threads: WRK_THREADS, idle_ms: IDLE_MS },
    labels: LABELS,
    cpu: {}, cold: {}, load: {},
  };
  if (configs.some((c) => c !== "floor" && c !== "peer")) await migratedD1();
  if (configs.includes("peer")) await peerDir();
  // Rotate the order every round, so no configuration always runs first or last.
  const order = (r, list) => list.map((_, i) => list[(i + r) % list.length]);
  if (PARTS.includes("cpu")) {
    for (const c of configs) result.cpu[c] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of order(r, configs)) {
        const x = await cpuRound(c);
        result.cpu[c].push(x);
        say(`cpu round ${r + 1}/${ROUNDS} ${c}: ${Object.entries(x.per_request_ms).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")} ms`);
      }
    }
  }
  if (PARTS.includes("cold")) {
    const coldConfigs = configs.filter((c) => c !== "registrar-assets" && c !== "registrar-nolog");
    // The steps from the floor to Registrar, when both are measured (see options()).
    if (coldConfigs.includes("floor") && coldConfigs.includes("registrar")) coldConfigs.splice(coldConfigs.indexOf("registrar"), 0, "floor-bindings", "wasm-stub");
    for (const c of coldConfigs) result.cold[c] = [];
    for (let s = 0; s < COLD; s++) {
      for (const c of order(s, coldConfigs)) result.cold[c].push(await coldSample(c));
    }
    for (const c of coldConfigs) say(`cold ${c}: ${result.cold[c].map((x) => `${x.total_ms.toFixed(0)} ms / ${x.cpu_to_first_response_ms.toFixed(0)} ms CPU`).join(", ")}`);
  }
  if (PARTS.includes("load")) {
    try { execFileSync("wrk", ["-v"], { stdio: "ignore" }); } catch (e) {
      if (e.code === "ENOENT") throw new Error("wrk is not installed (apt-get install -y wrk)");
    }
    const loadConfigs = configs.filter((c) => c === "registrar" || c === "peer");
    for (const c of loadConfigs) result.load[c] = [];
    for (let r = 0; r < LOAD_ROUNDS; r++) {
      for (const c of order(r, loadConfigs)) {
        const x = await loadRound(c);
        result.load[c].push(x);
        say(`load round ${r + 1}/${LOAD_ROUNDS} ${c}: ${x.rps.toFixed(0)} req/s, p50 ${(x.p50_us / 1000).toFixed(1)} ms, p99 ${(x.p99_us / 1000).toFixed(1)} ms, errors ${x.errors}, workerd ${x.cpu_per_request_ms.toFixed(2)} ms/request`);
      }
    }
  }
  result.load_end = os.loadavg();
  result.finished = new Date().toISOString();
  return result;
}

try {
  const result = await main();
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(result, null, 2));
  process.stdout.write(`${prodMarkdown(result).markdown}\n`);
} finally {
  await cleanup();
}
