// Helpers for bench/run.sh, loopback only. Subcommands:
//   seed     --base URL --n N --out FILE                 register N clients, write "id token" lines
//   cpu      --kind K --base URL --pgid G --n N --out F  CPU (utime+stime) per request, sequential
//   profile  --kind K --base URL --inspector P --pgid G --n N --out F [--save DIR]
//                                                        V8 CPU profile of the Worker's isolate
//   gensql   --n N --out FILE                            rows in the schema of migrations/0001..0003
//   pool     --dir DIR --skip K --out FILE               concatenate register.lua's pool files
//   wasm-sections --file WASM --out FILE                 bytes per section of a wasm module
// K is registrar (RFC 7591 + RFC 7592), peer (RFC 7591 only) or oidc (RFC 7591 + RFC 7592).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import zlib from "node:zlib";
import { connectCdp } from "./cdp.mjs";

const args = Object.fromEntries(
  process.argv.slice(3).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]?.startsWith("--") ? "1" : all[i + 1]]);
    return acc;
  }, []),
);
const num = (name, dflt) => (args[name] === undefined ? dflt : Number(args[name]));

function loopbackOnly(base) {
  const u = new URL(base);
  if (u.protocol !== "http:" || !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(u.hostname)) {
    throw new Error(`loopback only: ${base}`);
  }
  return u;
}

// ---------------------------------------------------------------------------------------------
// HTTP, one keep-alive connection, requests strictly in sequence
// ---------------------------------------------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(base, method, pathname, { body, token } = {}) {
  const u = loopbackOnly(base);
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  if (data) headers["Content-Length"] = data.length;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path: pathname, headers, agent, timeout: 30000 },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode, json: text ? safeJson(text) : undefined });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${pathname}: timeout`)));
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}

function safeJson(t) {
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

const REGISTER_BODY = {
  client_name: "bench",
  redirect_uris: ["https://bench.example/cb"],
  scope: "openid offline_access",
  grant_types: ["authorization_code", "refresh_token"],
};

const OPS = {
  async register(base) {
    const r = await request(base, "POST", "/register", { body: REGISTER_BODY });
    if (r.status !== 201) throw new Error(`POST /register: ${r.status} ${JSON.stringify(r.json)}`);
    return { id: r.json.client_id, token: r.json.registration_access_token };
  },
  async read(base, c) {
    const r = await request(base, "GET", `/register/${c.id}`, { token: c.token });
    if (r.status !== 200) throw new Error(`GET /register/{id}: ${r.status}`);
  },
  async update(base, c, n) {
    const body = { ...REGISTER_BODY, client_id: c.id, client_name: `bench update ${n}` };
    const r = await request(base, "PUT", `/register/${c.id}`, { body, token: c.token });
    if (r.status !== 200) throw new Error(`PUT /register/{id}: ${r.status} ${JSON.stringify(r.json)}`);
    c.token = r.json.registration_access_token || c.token; // rotated on every PUT
  },
  async delete(base, c) {
    const r = await request(base, "DELETE", `/register/${c.id}`, { token: c.token });
    if (r.status !== 204) throw new Error(`DELETE /register/{id}: ${r.status}`);
  },
};

const opsFor = (kind) => (kind === "peer" ? ["register"] : ["register", "read", "update", "delete"]);

/** Runs `op` once for each of n clients (registering them first when op is register). */
async function runOp(base, op, n, clients) {
  if (op === "register") {
    for (let i = 0; i < n; i++) clients.push(await OPS.register(base));
    return;
  }
  for (let i = 0; i < n; i++) await OPS[op](base, clients[i], i);
  if (op === "delete") clients.splice(0, n);
}

// ---------------------------------------------------------------------------------------------
// CPU time of a process group from /proc
// ---------------------------------------------------------------------------------------------
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86_64

function groupCpu(pgid) {
  const out = {};
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const f = stat.slice(close + 2).split(" "); // f[0] is field 3 (state)
    if (Number(f[2]) !== Number(pgid)) continue; // field 5: process group
    const cls = comm.startsWith("workerd") ? "workerd" : comm.startsWith("node") ? "node" : "other";
    const ticks = Number(f[11]) + Number(f[12]); // fields 14, 15: utime, stime
    out[cls] = (out[cls] || 0) + (ticks * 1000) / CLK_TCK;
  }
  return out; // milliseconds by process class
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const diff = (a, b) => Object.fromEntries(Object.keys({ ...a, ...b }).map((k) => [k, (b[k] || 0) - (a[k] || 0)]));

async function idleRates(pgid, ms = 3000) {
  const a = groupCpu(pgid);
  const t0 = performance.now();
  await sleep(ms);
  const d = diff(a, groupCpu(pgid));
  const wall = performance.now() - t0;
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v / wall]));
}

async function measure(pgid, idle, fn, n) {
  const a = groupCpu(pgid);
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const d = diff(a, groupCpu(pgid));
  const perReq = {};
  for (const [k, v] of Object.entries(d)) perReq[k] = Math.max(0, v - (idle[k] || 0) * wall) / n;
  return { n, wall_ms: wall, cpu_ms: d, per_request_ms: perReq, wall_per_request_ms: wall / n };
}

async function cmdCpu() {
  const { kind, base, pgid, out } = args;
  const n = num("n", 300);
  const clients = [];
  // Warm-up, not measured.
  const warm = [];
  for (const op of opsFor(kind)) await runOp(base, op, 20, warm);
  const idle = await idleRates(pgid);
  const result = { kind, n, idle_ms_per_s: Object.fromEntries(Object.entries(idle).map(([k, v]) => [k, v * 1000])), ops: {} };
  for (const op of opsFor(kind)) {
    result.ops[op] = await measure(pgid, idle, () => runOp(base, op, n, clients), n);
  }
  fs.writeFileSync(out, JSON.stringify(result, null, 2));
}

// ---------------------------------------------------------------------------------------------
// V8 CPU profile through wrangler dev's inspector
// ---------------------------------------------------------------------------------------------
// Categories of self time in the Worker's isolate. Native frames (no URL: Request, Response,
// Headers, fetch, console...) are charged to the nearest caller that has one.
const CAT = {
  wasm: "wasm (Rust)",
  bundle: "worker bundle JS",
  webapi: "Web APIs called from the bundle (C++)",
  console: "console.log",
  bindings: "D1/KV/rate-limit bindings (JS + C++)",
  gc: "V8 garbage collector",
  program: "V8/runtime other",
  idle: "idle",
};

function frameKind(cf) {
  const url = cf.url || "";
  const name = cf.functionName || "";
  if (url.startsWith("wasm://")) return "wasm";
  if (name === "(idle)") return "idle";
  if (name === "(garbage collector)") return "gc";
  if (name === "(program)" || name === "(root)") return "program";
  if (url.startsWith("cloudflare-internal:") || url.startsWith("cloudflare:")) return "bindings";
  if (url.startsWith("node-internal:") || url.startsWith("node:")) return "node";
  if (url === "") return name === "wasm-to-js" || name.startsWith("js-to-wasm") ? "trampoline" : "native";
  return "bundle";
}
/** Names an anonymous function in the worker bundle by the object key or declaration before it. */
function nameInSource(source, line, col) {
  const text = source?.split("\n")[line];
  if (!text) return undefined;
  const before = text.slice(Math.max(0, col - 240), col + 1);
  const keys = [...before.matchAll(/([A-Za-z_$][\w$]*)\s*:\s*(?:\/\*[^*]*\*\/\s*)?(?:__name\()?\s*(?:async\s+)?function/g)];
  if (keys.length) return keys[keys.length - 1][1];
  const decl = [...before.matchAll(/(?:function\s+|(?:var|let|const)\s+)([A-Za-z_$][\w$]*)/g)];
  if (decl.length) return decl[decl.length - 1][1];
  return undefined;
}

function analyse(profile, n, sources) {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const parent = new Map();
  for (const x of profile.nodes) for (const c of x.children || []) parent.set(c, x.id);
  const label = (node) => {
    const cf = node.callFrame;
    if (frameKind(cf) === "bundle" && (!cf.functionName || cf.functionName.length <= 2)) {
      return nameInSource(sources.get(cf.scriptId), cf.lineNumber, cf.columnNumber) ||
        `${cf.functionName || "(anonymous)"} @${cf.lineNumber + 1}:${cf.columnNumber + 1}`;
    }
    return cf.functionName || "(anonymous)";
  };
  const isConsole = (node) => frameKind(node.callFrame) === "bundle" && /^__wbg_log_/.test(label(node));
  const memo = new Map();
  const categorize = (id) => {
    if (memo.has(id)) return memo.get(id);
    const node = byId.get(id);
    const kind = frameKind(node.callFrame);
    let cat;
    if (kind === "wasm" || kind === "idle" || kind === "gc" || kind === "program" || kind === "bindings") cat = CAT[kind];
    else if (kind === "bundle") cat = isConsole(node) ? CAT.console : CAT.bundle;
    else if (kind === "trampoline") cat = CAT.bundle; // wasm-bindgen's crossings between JS and wasm
    else {
      // native or node-compat JS: charged to the nearest caller with a URL
      let q = parent.get(id);
      cat = CAT.program;
      while (q !== undefined) {
        const up = byId.get(q);
        const k = frameKind(up.callFrame);
        if (k === "bundle") { cat = isConsole(up) ? CAT.console : CAT.webapi; break; }
        if (k === "bindings") { cat = CAT.bindings; break; }
        if (k === "wasm") { cat = CAT.webapi; break; }
        q = parent.get(q);
      }
    }
    memo.set(id, cat);
    return cat;
  };
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) || 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const cats = Object.fromEntries(Object.values(CAT).map((c) => [c, 0]));
  const frames = new Map();
  for (const [id, us] of selfUs) {
    const cat = categorize(id);
    cats[cat] += us;
    if (cat === CAT.idle) continue;
    const key = `${cat}\u0000${label(byId.get(id))}`;
    frames.set(key, (frames.get(key) || 0) + us);
  }
  const perReq = Object.fromEntries(Object.entries(cats).map(([k, v]) => [k, v / 1000 / n]));
  const busy = Object.entries(perReq).filter(([k]) => k !== CAT.idle).reduce((s, [, v]) => s + v, 0);
  const top = [...frames]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, us]) => {
      const [cat, frame] = k.split("\u0000");
      return { category: cat, frame, per_request_ms: us / 1000 / n, share_of_busy: us / 1000 / n / busy };
    });
  const topWasm = [...frames]
    .filter(([k]) => k.startsWith(`${CAT.wasm}\u0000`))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, us]) => ({ frame: k.split("\u0000")[1], per_request_ms: us / 1000 / n, share_of_busy: us / 1000 / n / busy }));
  return { per_request_ms: perReq, busy_per_request_ms: busy, top, top_wasm: topWasm };
}

async function cmdProfile() {
  const { kind, base, inspector, pgid, out, save } = args;
  const n = num("n", 200);
  const interval = num("interval", 200);
  const cdp = await connectCdp("127.0.0.1", Number(inspector));
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval });
  const warm = [];
  for (const op of opsFor(kind)) await runOp(base, op, 20, warm);
  const clients = [];
  const profiles = {};
  const cpu = {};
  for (const op of opsFor(kind)) {
    await cdp.send("Profiler.start");
    cpu[op] = await measure(pgid, {}, () => runOp(base, op, n, clients), n);
    profiles[op] = (await cdp.send("Profiler.stop")).profile;
    if (save) fs.writeFileSync(path.join(save, `${kind}-${op}.cpuprofile`), JSON.stringify(profiles[op]));
  }
  // The bundle's source, to name its anonymous functions (wasm-bindgen import shims). Fetched
  // after every profile is taken: enabling the debugger can change how V8 runs the code.
  const sources = new Map();
  try {
    await cdp.send("Debugger.enable");
    const ids = new Set(
      Object.values(profiles)
        .flatMap((p) => p.nodes.map((x) => x.callFrame))
        .filter((cf) => frameKind(cf) === "bundle")
        .map((cf) => cf.scriptId),
    );
    for (const scriptId of ids) {
      sources.set(scriptId, (await cdp.send("Debugger.getScriptSource", { scriptId })).scriptSource);
    }
    await cdp.send("Debugger.disable");
  } catch {
    /* names fall back to line:column */
  }
  await cdp.close();
  const result = { kind, n, sampling_interval_us: interval, ops: {} };
  for (const op of Object.keys(profiles)) {
    result.ops[op] = {
      ...analyse(profiles[op], n, sources),
      workerd_cpu_per_request_ms: cpu[op].per_request_ms.workerd || 0,
    };
  }
  fs.writeFileSync(out, JSON.stringify(result, null, 2));
}

// ---------------------------------------------------------------------------------------------
// Seeding and preloading
// ---------------------------------------------------------------------------------------------
async function cmdSeed() {
  const { base, out } = args;
  const n = num("n", 8);
  const lines = [];
  for (let i = 0; i < n; i++) {
    const c = await OPS.register(base);
    lines.push(`${c.id} ${c.token}`);
  }
  fs.writeFileSync(out, lines.join("\n") + "\n");
}

/** Clients (and one audit event each) in the schema of migrations/0001..0003, as D1 stores them. */
function cmdGensql() {
  const n = num("n", 1000);
  const rowsPerInsert = 100; // keeps each statement well under D1's 100 KB statement limit
  const now = Math.floor(Date.now() / 1000) - 3600; // older than anything registered in the run
  const b64 = (bytes) => crypto.randomBytes(bytes).toString("base64url");
  const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
  const fd = fs.openSync(args.out, "w");
  for (let start = 0; start < n; start += rowsPerInsert) {
    const clients = [];
    const events = [];
    for (let i = start; i < Math.min(n, start + rowsPerInsert); i++) {
      const id = b64(16);
      const at = now - Math.floor(((n - i) * 365 * 86400) / n); // spread over a year, oldest first
      const metadata = {
        application_type: "web",
        client_name: `preloaded client ${i}`,
        grant_types: ["authorization_code", "refresh_token"],
        id_token_signed_response_alg: "RS256",
        redirect_uris: [`https://app-${i}.example/callback`],
        response_types: ["code"],
        scope: "openid offline_access",
        token_endpoint_auth_method: "client_secret_basic",
      };
      clients.push(
        `(${q(id)}, ${q(JSON.stringify(metadata))}, ${q(b64(32))}, ${q(b64(32))}, ${at}, ${at}, 'active', 'anonymous', 'anonymous', 0)`,
      );
      events.push(`(${at}, 'client_registered', ${q(id)}, 'anonymous', ${q(`preload-${i}`)}, ${q(b64(32))}, NULL)`);
    }
    fs.writeSync(
      fd,
      "INSERT INTO clients (client_id, metadata, client_secret_hash, registration_token_hash, " +
        "client_id_issued_at, updated_at, status, registered_by, policy_class, version) VALUES\n" +
        clients.join(",\n") +
        ";\n" +
        "INSERT INTO audit_events (at, event, client_id, actor, request_id, ip_hash, detail) VALUES\n" +
        events.join(",\n") +
        ";\n",
    );
  }
  fs.closeSync(fd);
}

function cmdPool() {
  const { dir, out } = args;
  const skip = num("skip", 0);
  const lines = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith("pool."))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n"))
    .filter((l) => /^\S+ \S+$/.test(l));
  fs.writeFileSync(out, lines.slice(skip).join("\n") + "\n");
  console.log(Math.max(0, lines.length - skip));
}

/** Bytes per section of a wasm module, and code bytes per crate (from the name section). */
function cmdWasmSections() {
  const buf = fs.readFileSync(args.file);
  const names = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "data count", "tag"];
  let off = 8;
  const uleb = () => {
    let result = 0, shift = 0, byte;
    do {
      byte = buf[off++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  const str = () => {
    const len = uleb();
    const v = buf.subarray(off, off + len).toString("utf8");
    off += len;
    return v;
  };
  const sections = {};
  let importedFunctions = 0;
  const bodySizes = [];
  const fnNames = new Map();
  while (off < buf.length) {
    const id = buf[off++];
    const size = uleb();
    const start = off;
    const end = start + size;
    let name = names[id] ?? `section ${id}`;
    if (id === 0) {
      name = `custom "${str()}"`;
      if (name === 'custom "name"') {
        while (off < end) {
          const sub = buf[off++];
          const subSize = uleb();
          const subEnd = off + subSize;
          if (sub === 1) {
            const count = uleb();
            for (let i = 0; i < count; i++) {
              const idx = uleb();
              fnNames.set(idx, str());
            }
          }
          off = subEnd;
        }
      }
    } else if (id === 2) {
      const count = uleb();
      for (let i = 0; i < count; i++) {
        str();
        str();
        const kind = buf[off++];
        if (kind === 0) { uleb(); importedFunctions++; }
        else if (kind === 1) { off++; const flags = uleb(); uleb(); if (flags & 1) uleb(); }
        else if (kind === 2) { const flags = uleb(); uleb(); if (flags & 1) uleb(); }
        else if (kind === 3) { off += 2; }
        else if (kind === 4) { off++; uleb(); }
      }
    } else if (id === 10) {
      const count = uleb();
      for (let i = 0; i < count; i++) {
        const len = uleb();
        bodySizes.push(len);
        off += len;
      }
    }
    const o = (sections[name] ||= { raw: 0, gzip: 0 });
    o.raw += size;
    o.gzip += zlib.gzipSync(buf.subarray(start, end)).length; // each section compressed on its own
    off = end;
  }
  // Code bytes by crate: the first path segment of each function's (demangled) name.
  const crates = {};
  bodySizes.forEach((len, i) => {
    const fn = fnNames.get(importedFunctions + i) || "(unnamed)";
    const first = (s) => (s.replace(/^(?:[<&*\s(\[]|dyn |impl |mut |const )+/, "").match(/^([A-Za-z_]\w*)/) || [])[1];
    let crate = first(fn) || "(other)";
    // `<f64 as serde::Serialize>::...`: charge impls on primitive types to the trait's crate.
    if (/^(?:[iu](?:8|16|32|64|128|size)|f32|f64|bool|char|str|T)$/.test(crate) && fn.includes(" as ")) {
      crate = first(fn.slice(fn.indexOf(" as ") + 4)) || crate;
    }
    crates[crate] = (crates[crate] || 0) + len;
  });
  const topCrates = Object.entries(crates).sort((a, b) => b[1] - a[1]).slice(0, 12);
  fs.writeFileSync(args.out, JSON.stringify({ sections, code_by_crate: Object.fromEntries(topCrates), functions: bodySizes.length }, null, 2));
}

const commands = {
  seed: cmdSeed,
  cpu: cmdCpu,
  profile: cmdProfile,
  gensql: cmdGensql,
  pool: cmdPool,
  "wasm-sections": cmdWasmSections,
};
const cmd = commands[process.argv[2]];
if (!cmd) {
  console.error(`usage: node bench/tool.mjs ${Object.keys(commands).join("|")} --...`);
  process.exit(2);
}
await cmd();
