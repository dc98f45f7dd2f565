// Turns bench/run.sh's results directory into Markdown; prints it, and with a second argument
// replaces the generated section of that file (BENCHMARKS.md) between the two markers.
// Usage: node bench/report.mjs <results-dir> [BENCHMARKS.md]
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { execFileSync } from "node:child_process";
import { prodMarkdown } from "./prod-report.mjs";

const [dir, target] = process.argv.slice(2);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const BEGIN = "<!-- bench/run.sh: generated section begins -->";
const END = "<!-- bench/run.sh: generated section ends -->";

const read = (f) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
  } catch {
    return undefined;
  }
};
const text = (f) => {
  try {
    return fs.readFileSync(path.join(dir, f), "utf8").trim();
  } catch {
    return undefined;
  }
};
const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (e) {
    return (e.stdout || "").trim() || "?"; // `wrk -v` prints its version and exits 1
  }
};
const pkgVersion = (p) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, p), "utf8")).version;
  } catch {
    return "?";
  }
};

const ms = (us) => (us === undefined ? "n/a" : `${(us / 1000).toFixed(1)} ms`);
const f1 = (x) => (x === undefined || Number.isNaN(x) ? "n/a" : x.toFixed(1));
const f2 = (x) => (x === undefined || Number.isNaN(x) ? "n/a" : x.toFixed(2));
const ratio = (a, b) => (a === undefined || b === undefined || !b ? undefined : a / b);
const rx = (x) => (x === undefined ? "n/a" : `${x.toFixed(2)}×`);
const kb = (bytes) => (bytes === undefined ? "n/a" : `${(bytes / 1000).toFixed(1)} KB`);
const met = (ok) => (ok === undefined ? "n/a" : ok ? "**met**" : "**missed**");
const table = (head, rows) =>
  [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

const load = (server, op) => read(`load-${server}-${op}.json`);
const errors = (r) => (r ? r.status_errors + r.socket_errors + r.timeouts : undefined);
const SERVERS = [
  ["registrar", "Registrar (Rust → wasm, D1)"],
  ["registrar-kv", "Registrar with STORAGE_BACKEND=kv (KV)"],
  ["registrar-nolog", "Registrar (D1) with LOG_REQUESTS=errors"],
  ["peer", "workers-oauth-provider (TS, KV)"],
  ["oidc", "oidc-provider (Node, in-memory)"],
];
const OPS = [
  ["register", "register `POST /register`"],
  ["read", "read `GET /register/{id}`"],
  ["update", "update `PUT /register/{id}` (rotating token)"],
  ["delete", "delete `DELETE /register/{id}`"],
];

const out = [];
const dev = []; // the wrangler dev parts, printed after the production path, size and native core
const params = read("params.json") || {};
const date = text("date") || new Date().toISOString();

// ------------------------------------------------------------------------------------------------
// Machine and versions
// ------------------------------------------------------------------------------------------------
const cpuModel = (fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) || [])[1] || "?";
const osName = (fs.readFileSync("/etc/os-release", "utf8").match(/PRETTY_NAME="(.*)"/) || [])[1] || "?";
const crit = (fs.readFileSync(path.join(root, "Cargo.lock"), "utf8").match(/name = "criterion"\nversion = "(.*)"/) || [])[1] || "?";
const gitRev = sh("git", ["-C", root, "rev-parse", "--short", "HEAD"]);
const dirty = sh("git", ["-C", root, "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "wrangler.toml"]);
out.push(`Run of ${date} (UTC), \`bench/run.sh\`${params.quick ? " **with BENCH_QUICK=1: a smoke run, not a measurement**" : ""}${params.only && params.only !== "prod size native registrar kv nolog peer oidc scale" ? ` (parts: ${params.only})` : ""}.`);
out.push("");
out.push(table(["", ""], [
  ["machine", `${os.cpus().length} × ${cpuModel}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${osName}, Linux ${os.release()}`],
  ["load average (1, 5, 15 min)", `start ${text("load_start") || "?"}; end ${text("load_end") || "?"}${text("waited_s") ? ` (waited ${text("waited_s")} s for the 1-minute load to drop below 1.0)` : ""}`],
  ["Registrar", `commit ${gitRev}${dirty && dirty !== "?" ? " + uncommitted changes to src/Cargo/wrangler.toml" : ""}; wrangler ${pkgVersion("node_modules/wrangler/package.json")}, workerd ${pkgVersion("node_modules/workerd/package.json")}, ${sh("rustc", ["--version"])} (host); the Worker's wasm built with ${text("worker_toolchain") || "?"}`],
  ["peer", `@cloudflare/workers-oauth-provider ${pkgVersion("bench/peer/node_modules/@cloudflare/workers-oauth-provider/package.json")} (same wrangler/workerd, local KV)`],
  ["reference", `oidc-provider ${pkgVersion("bench/oidc/node_modules/oidc-provider/package.json")} on Node ${process.versions.node} (in-memory store)`],
  ["tools", `${sh("wrk", ["-v"]).split("\n")[0].split(" Copyright")[0]}; criterion ${crit}`],
]));
out.push("");

// ------------------------------------------------------------------------------------------------
// Primary: the production path (bench/production.mjs)
// ------------------------------------------------------------------------------------------------
const prod = prodMarkdown(read("prod.json"));
if (prod.markdown) {
  out.push(prod.markdown);
  out.push("");
}

// ------------------------------------------------------------------------------------------------
// wrangler dev (secondary). 1. Load
// ------------------------------------------------------------------------------------------------
const loadRows = [];
for (const [op, opName] of OPS) {
  for (const [server, name] of SERVERS) {
    const r = load(server, op);
    if (!r && (server !== "peer" || !load("registrar", op))) continue;
    if (!r) {
      loadRows.push([opName, name, "n/a", "n/a", "n/a", "n/a (no RFC 7592 endpoint)"]);
      continue;
    }
    const e = errors(r);
    loadRows.push([opName, name, f1(r.rps), ms(r.p50_us), ms(r.p99_us), `${e}${r.exhausted ? ` (the clients to delete ran out: ${r.exhausted} requests on none)` : ""}`]);
  }
}
if (loadRows.length) {
  dev.push(`#### Load: wrk, ${params.connections} connections (one per wrk thread), ${params.seconds} s per operation, loopback, after a ${params.warmup} s warm-up per operation`);
  dev.push("");
  dev.push(table(["operation", "server", "req/s", "p50", "p99", "errors (non-2xx + socket)"], loadRows));
  dev.push("");
  const ratioRows = OPS.map(([op, opName]) => {
    const a = load("registrar", op), p = load("peer", op), o = load("oidc", op);
    return [opName, rx(ratio(a?.rps, p?.rps)), rx(ratio(a?.p50_us, p?.p50_us)), rx(ratio(a?.p99_us, p?.p99_us)), rx(ratio(a?.rps, o?.rps)), rx(ratio(a?.p99_us, o?.p99_us))];
  });
  dev.push("Ratios (Registrar / other; req/s above 1 is faster, latency below 1 is faster):");
  dev.push("");
  dev.push(table(["operation", "req/s Registrar/peer", "p50 Registrar/peer", "p99 Registrar/peer", "req/s Registrar/oidc-provider", "p99 Registrar/oidc-provider"], ratioRows));
  dev.push("");
}

// ------------------------------------------------------------------------------------------------
// 2. CPU per request and the profile
// ------------------------------------------------------------------------------------------------
const cpu = { registrar: read("cpu-registrar.json"), kv: read("cpu-registrar-kv.json"), nolog: read("cpu-registrar-nolog.json"), peer: read("cpu-peer.json"), oidc: read("cpu-oidc.json") };
const prof = { registrar: read("profile-registrar.json"), peer: read("profile-peer.json") };
if (cpu.registrar || cpu.peer || cpu.oidc) {
  const n = cpu.registrar?.n ?? cpu.peer?.n ?? cpu.oidc?.n;
  dev.push(`#### CPU per request: utime+stime from /proc over ${n} sequential requests per operation (idle rate subtracted)`);
  dev.push("");
  const rows = OPS.map(([op, opName]) => {
    const a = cpu.registrar?.ops[op]?.per_request_ms, k = cpu.kv?.ops[op]?.per_request_ms, q = cpu.nolog?.ops[op]?.per_request_ms;
    const p = cpu.peer?.ops[op]?.per_request_ms, o = cpu.oidc?.ops[op]?.per_request_ms;
    const c = (x) => (x ? `${f2(x.workerd)} / ${f2(x.node)}` : "n/a");
    return [opName, c(a), c(k), c(q), c(p), rx(ratio(a?.workerd, p?.workerd)), rx(ratio(k?.workerd, p?.workerd)), o ? f2(o.node) : "n/a"];
  });
  dev.push("ms per request, workerd / wrangler's node:");
  dev.push("");
  dev.push(table(["operation", "Registrar (D1)", "Registrar (KV)", "Registrar (D1), LOG_REQUESTS=errors", "peer (KV)", "workerd Registrar (D1)/peer", "workerd Registrar (KV)/peer", "oidc-provider: node"], rows));
  dev.push("");
  dev.push("workerd is the runtime: both workerd processes of wrangler dev (the Worker, the static-assets router in front of Registrar, the local D1/KV simulators and their SQLite, the rate limiter, HTTP). wrangler's own node process is dev-only and not on the request path, but it works on every request that touches local D1 (compare Registrar on D1 and on KV) and receives every `console.log` line over the inspector; it shares the same 2 cores during the load runs. \"LOG_REQUESTS=errors\" is the same build configured to log only 4xx/5xx answers, so a successful request writes no log line.");
  dev.push("");
}
const CATS = [
  ["wasm (Rust)", "wasm (Rust code)"],
  ["worker bundle JS", "Worker JS: Registrar's wasm-bindgen/worker-rs glue; the peer's library"],
  ["Web APIs called from the bundle (C++)", "Web APIs called from that JS (Request, Response, Headers, streams)"],
  ["console.log", "`console.log` (Registrar's one log line per request)"],
  ["D1/KV/rate-limit bindings (JS + C++)", "D1 / KV / rate-limit bindings, client side (JS + C++)"],
  ["V8 garbage collector", "V8 garbage collector"],
  ["V8/runtime other", "V8 / runtime other (event dispatch, compilation)"],
];
const profCols = [];
for (const [op] of OPS) if (prof.registrar?.ops[op]) profCols.push(["registrar", op, `Registrar ${op}`]);
if (prof.peer?.ops.register) profCols.push(["peer", "register", "peer register"]);
if (profCols.length) {
  const interval = prof.registrar?.sampling_interval_us ?? prof.peer?.sampling_interval_us;
  const pn = prof.registrar?.n ?? prof.peer?.n;
  dev.push(`##### Where the Worker isolate's time goes: V8 CPU profile through wrangler dev's inspector (${pn} sequential requests per operation, sampling every ${interval} µs; ms per request, self time summed by frame kind)`);
  dev.push("");
  const rows = CATS.map(([cat, label]) => [label, ...profCols.map(([s, op]) => f2(prof[s].ops[op].per_request_ms[cat]))]);
  rows.push(["**isolate busy, total**", ...profCols.map(([s, op]) => `**${f2(prof[s].ops[op].busy_per_request_ms)}**`)]);
  rows.push(["workerd CPU during the profiled requests (/proc)", ...profCols.map(([s, op]) => f2(prof[s].ops[op].workerd_cpu_per_request_ms))]);
  rows.push([
    "outside the isolate: HTTP, local D1/KV simulator and SQLite (difference)",
    ...profCols.map(([s, op]) => f2(Math.max(0, prof[s].ops[op].workerd_cpu_per_request_ms - prof[s].ops[op].busy_per_request_ms))),
  ]);
  dev.push(table(["frame kind", ...profCols.map((c) => c[2])], rows));
  dev.push("");
  dev.push("Profiler samples count wall time between samples, so the isolate total can exceed the CPU figure when the machine is busy; the profiler also slows the code it samples.");
  dev.push("");
  for (const [s, op, title] of [["registrar", "register", "Registrar register"], ["peer", "register", "peer register"]]) {
    const top = prof[s]?.ops[op]?.top;
    if (!top) continue;
    dev.push(`Hottest frames, ${title} (self time per request):`);
    dev.push("");
    dev.push(table(["frame", "kind", "ms", "share of busy"], top.slice(0, 10).map((t) => [`\`${t.frame.replace(/\|/g, "\\|").slice(0, 100)}\``, t.category, f2(t.per_request_ms), `${(t.share_of_busy * 100).toFixed(0)} %`])));
    dev.push("");
  }
  const tw = prof.registrar?.ops.register?.top_wasm;
  if (tw?.length) {
    dev.push("Hottest wasm (Rust) frames, Registrar register:");
    dev.push("");
    dev.push(table(["frame", "ms", "share of busy"], tw.slice(0, 10).map((t) => [`\`${t.frame.replace(/\|/g, "\\|").slice(0, 110)}\``, f2(t.per_request_ms), `${(t.share_of_busy * 100).toFixed(0)} %`])));
    dev.push("");
  }
}

// ------------------------------------------------------------------------------------------------
// 3. Size
// ------------------------------------------------------------------------------------------------
const size = read("size.json");
if (size) {
  const sec = size.registrar_wasm_sections;
  out.push("### Size (gzip: `gzip -6`; KB = 1,000 bytes)");
  out.push("");
  out.push(table(["artifact", "raw", "gzip"], [
    ["Registrar `build/index_bg.wasm`", kb(size.registrar_wasm_raw), kb(size.registrar_wasm_gzip)],
    ["Registrar JS: `build/wasm.mjs` (wasm-bindgen glue) + `build/index.js` (entry)", kb(size.registrar_js_raw), kb(size.registrar_js_gzip)],
    ["**Registrar wasm + JS** (the default build, D1 only: what `scripts/size-budget.sh` checks)", `**${kb(size.registrar_wasm_raw + size.registrar_js_raw)}**`, `**${kb(size.registrar_wasm_gzip + size.registrar_js_gzip)}**`],
    ["target: wasm + JS ≤ 200 KB gzip", "", `${met(size.registrar_wasm_gzip + size.registrar_js_gzip <= 200000)}: ${kb(Math.abs(size.registrar_wasm_gzip + size.registrar_js_gzip - 200000))} ${size.registrar_wasm_gzip + size.registrar_js_gzip <= 200000 ? "under" : "over"}`],
    ...(size.registrar_kv_wasm_gzip ? [["Registrar wasm + JS built with `REGISTRAR_FEATURES=kv` (D1 and KV)", "", kb(size.registrar_kv_wasm_gzip + size.registrar_kv_js_gzip)]] : []),
    ["Registrar, as `wrangler deploy --dry-run` counts the upload", size.registrar_upload.split(" / ")[0] || "?", (size.registrar_upload.split("gzip: ")[1] || "?")],
    ["peer bundle (`wrangler deploy --dry-run --outdir`, as deployed: not minified)", kb(size.peer_js_raw), kb(size.peer_js_gzip)],
    ["peer bundle with `--minify`", kb(size.peer_min_js_raw), kb(size.peer_min_js_gzip)],
    ["peer, as wrangler counts the upload (not minified / minified)", `${size.peer_upload.split(" / ")[0]} / ${size.peer_min_upload.split(" / ")[0]}`, `${size.peer_upload.split("gzip: ")[1]} / ${size.peer_min_upload.split("gzip: ")[1]}`],
  ]));
  out.push("");
  if (sec) {
    const big = Object.entries(sec.sections).sort((a, b) => b[1].raw - a[1].raw).slice(0, 4);
    out.push(`Registrar's wasm by section (each gzipped on its own): ${big.map(([k, v]) => `${k.replace(/"/g, "")} ${kb(v.raw)} (${kb(v.gzip)} gzip)`).join(", ")}. Code by crate (function bodies, named by the name section of the same build with names kept): ${Object.entries((size.registrar_named_sections || sec).code_by_crate).slice(0, 8).map(([k, v]) => `${k} ${kb(v)}`).join(", ")}.`);
    out.push("");
  }
}

// ------------------------------------------------------------------------------------------------
// 4. Native core
// ------------------------------------------------------------------------------------------------
const critText = text("criterion.txt");
const bench = {};
if (critText) {
  const re = /^(register_\w+\/.+)\n\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]/gm;
  for (const m of critText.matchAll(re)) {
    const unit = { ns: 1e-3, "µs": 1, us: 1, ms: 1e3, s: 1e6 }[m[3]];
    bench[m[1]] = Number(m[2]) * unit; // µs
  }
}
const floor = bench["register_path/serde_json floor"];
const core = bench["register_path/Registrar::register"];
if (floor && core) {
  out.push("### Native core (host build, `cargo bench --bench register_path`, criterion median, 1 s warm-up, 2 s measurement)");
  out.push("");
  const rows = Object.entries(bench).map(([k, v]) => [`\`${k}\``, `${v.toFixed(2)} µs`, k.startsWith("register_path/") ? rx(v / floor) : `${((v / core) * 100).toFixed(0)} % of the register path`]);
  out.push(table(["benchmark", "time", "vs the serde_json floor"], rows));
  out.push("");
  out.push("The floor parses the request document and serializes a registration response with serde_json. `register_parts/*` are the pieces of `Registrar::register`.");
  out.push("");
}

// ------------------------------------------------------------------------------------------------
// 5. Scale
// ------------------------------------------------------------------------------------------------
const sizes = (params.scale_sizes || "").split(/\s+/).filter(Boolean);
const scaleRows = [];
for (const n of sizes) {
  const meta = read(`scale-${n}.json`);
  if (!meta) continue;
  const cells = [Number(meta.stored_before_run).toLocaleString("en-US")];
  for (const op of ["read", "update", "admin-list"]) {
    const r = load(`scale-${n}`, op);
    cells.push(r ? `${ms(r.p50_us)} / ${ms(r.p99_us)} / ${f1(r.rps)}${errors(r) ? ` (${errors(r)} errors)` : ""}` : "n/a");
  }
  scaleRows.push(cells);
}
if (scaleRows.length) {
  dev.push(`#### Scale: Registrar on local D1 with preloaded clients (wrk, ${params.connections} connections, ${params.scale_seconds} s each; p50 / p99 / req/s)`);
  dev.push("");
  dev.push(table(["clients stored", "read `GET /register/{id}`", "update `PUT /register/{id}`", "admin list `GET /admin/clients?limit=20`"], scaleRows));
  dev.push("");
  dev.push("Preloaded rows (and one audit event each) are written with SQL in the schema of migrations/0001..0003; reads and updates go to clients registered through the API after the preload (the preloaded rows' token hashes are random).");
  dev.push("");
}

if (dev.length) {
  out.push("### wrangler dev (development only: includes wrangler's proxy, inspector, log forwarding, assets router)");
  out.push("");
  out.push("Secondary figures: every server below runs under `wrangler dev` (Registrar and the peer) or Node (oidc-provider). wrangler dev puts its own proxy and the local static-assets router in front of every request to Registrar, and forwards every log line through the inspector to wrangler's node process; none of that is on Cloudflare's billed request path. The production-path tables above are the ones to compare; these show what a developer sees locally, and the RFC 7592 operations under load.");
  out.push("");
  out.push(...dev);
}

// ------------------------------------------------------------------------------------------------
// Targets
// ------------------------------------------------------------------------------------------------
const targets = [];
// Issue 14's targets from the production path (bench/prod-report.mjs), then size, native, scale.
targets.push(...prod.targets);
if (size) {
  const g = size.registrar_wasm_gzip + size.registrar_js_gzip;
  const sec = size.registrar_wasm_sections?.sections || {};
  const part = (k) => (sec[k] ? `${k.replace(/"/g, "")} ${kb(sec[k].gzip)}` : undefined);
  targets.push(["wasm + JS ≤ 200 KB gzip", `${kb(g)} (wasm ${kb(size.registrar_wasm_gzip)}, JS ${kb(size.registrar_js_gzip)})`, met(g <= 200000), g <= 200000 ? "" : `the wasm module, ${((size.registrar_wasm_gzip / g) * 100).toFixed(0)} % of it; gzip by section: ${["code", "data", 'custom "name"'].map(part).filter(Boolean).join(", ")} (see Size for code by crate)`]);
}
if (floor && core) {
  const r = core / floor;
  const parts = ["register_parts/ClientMetadata::from_request", "register_parts/2 keyed hashes (HMAC-SHA256)", "register_parts/client_id + 2 secrets (getrandom)", "register_parts/serialize the response", "register_parts/parse_object"]
    .filter((k) => bench[k] !== undefined)
    .map((k) => `${k.split("/")[1]} ${bench[k].toFixed(2)} µs`);
  targets.push(["native register path ≤ 5× the serde_json floor", `${core.toFixed(2)} vs ${floor.toFixed(2)} µs = ${rx(r)}`, met(r <= 5), r <= 5 ? "" : `of ${core.toFixed(2)} µs: ${parts.join(", ")}`]);
}
if (sizes.length >= 2) {
  const [small, big] = [sizes[0], sizes[sizes.length - 1]];
  for (const op of ["read", "update"]) {
    const a = load(`scale-${small}`, op), b = load(`scale-${big}`, op);
    if (!a || !b) continue;
    const r = b.p50_us / a.p50_us, r99 = b.p99_us / a.p99_us;
    targets.push([
      `${op} latency at ${Number(big).toLocaleString("en-US")} clients within 20 % of ${Number(small).toLocaleString("en-US")} (p50)`,
      `p50 ${ms(b.p50_us)} vs ${ms(a.p50_us)} = ${rx(r)}; p99 ${ms(b.p99_us)} vs ${ms(a.p99_us)} = ${rx(r99)}`,
      met(r <= 1.2),
      r <= 1.2 ? "" : "primary-key lookups do not depend on the row count; see the admin list and the load average for noise",
    ]);
  }
}
if (targets.length) {
  out.push("### Targets (reported, never asserted)");
  out.push("");
  out.push(table(["target", "figure", "status", "what bounds it (when missed)"], targets));
  out.push("");
}

const markdown = out.join("\n");
process.stdout.write(markdown + "\n");
if (target) {
  let doc = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "# Benchmarks\n";
  const block = `${BEGIN}\n${markdown}\n${END}`;
  const i = doc.indexOf(BEGIN), j = doc.indexOf(END);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + (doc.slice(j + END.length) || "\n") : `${doc.trimEnd()}\n\n## Results\n\n${block}\n`;
  fs.writeFileSync(target, doc);
  console.error(`wrote ${path.relative(process.cwd(), target) || target}`);
}
