// Markdown of bench/production.mjs's results (the production path: plain workerd), shared by
// bench/production.mjs (prints it) and bench/report.mjs (BENCHMARKS.md's generated section).
//   prodMarkdown(result) -> { markdown, targets: [[target, figure, status, what bounds it]] }

const f2 = (x) => (x === undefined || Number.isNaN(x) ? "n/a" : x.toFixed(2));
const f0 = (x) => (x === undefined || Number.isNaN(x) ? "n/a" : x.toFixed(0));
const f1 = (x) => (x === undefined || Number.isNaN(x) ? "n/a" : x.toFixed(1));
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const table = (head, rows, align) =>
  [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (align?.[i] ?? "---")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
const met = (ok) => (ok === undefined ? "n/a" : ok ? "**met**" : "**missed**");

/** "median (min–max)" of xs, or the one value; `fmt` formats each number. */
function cell(xs, fmt = f2, unit = "") {
  const v = (xs || []).filter((x) => x !== undefined && !Number.isNaN(x));
  if (!v.length) return "n/a";
  if (v.length === 1) return `${fmt(v[0])}${unit}`;
  return `${fmt(median(v))}${unit} (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})`;
}

const KIND_LABELS = {
  register: "`POST /register`",
  read: "RFC 7592 `GET /register/{id}`",
  authenticate: "AS `POST /as/v1/clients/{id}/authenticate`",
  discovery: "discovery `GET /.well-known/oauth-authorization-server`",
  404: "a 404 (`GET /bench/no-such-path`)",
  preflight: "CORS preflight `OPTIONS /register`",
  floor: "any request (`GET /`, constant JSON)",
  session: "signed in: `GET /dashboard/session`",
  "register-owned": "signed in: `POST /dashboard/clients` (register, owned)",
  "read-owned": "signed in: `GET /dashboard/clients/{id}`",
  "list-owned": "signed in: `GET /dashboard/clients` (My clients, first page)",
};
const SHORT = {
  registrar: "Registrar D1, worker only",
  "registrar-assets": "Registrar D1, behind assets router",
  "registrar-kv": "Registrar KV, worker only",
  "registrar-nolog": "Registrar D1, LOG_REQUESTS=errors",
  "registrar-signin": "Registrar D1, signin build",
  peer: "peer, worker only",
  floor: "floor (trivial JS Worker)",
  "floor-bindings": "floor's code + Registrar's bindings",
  "wasm-stub": "… + Registrar's wasm module loaded (not instantiated)",
};

export function prodMarkdown(p) {
  const out = [];
  const targets = [];
  if (!p) return { markdown: "", targets };
  const P = p.params;
  const cpu = p.cpu || {};
  const configs = Object.keys(cpu).filter((c) => cpu[c]?.length);
  /** per-round values of one kind in one configuration */
  const vals = (c, k) => (cpu[c] || []).map((r) => r.per_request_ms[k]).filter((x) => x !== undefined);
  /** per-round ratios a/b (rounds are aligned: round r of every configuration ran in the same pass) */
  const ratios = (ca, ka, cb, kb) => {
    const a = cpu[ca] || [], b = cpu[cb] || [];
    const xs = [];
    for (let r = 0; r < Math.min(a.length, b.length); r++) {
      const x = a[r].per_request_ms[ka], y = b[r].per_request_ms[kb];
      if (x !== undefined && y) xs.push(x / y);
    }
    return xs;
  };
  const med = (c, k) => (vals(c, k).length ? median(vals(c, k)) : undefined);
  // Headline ratio: of the two medians (so it matches the figures shown next to it).
  const medRatio = (ca, ka, cb, kb) => { const a = med(ca, ka), b = med(cb, kb); return a !== undefined && b ? a / b : undefined; };
  /** "ratio of the medians (min–max of the per-round ratios)×" */
  const ratioCell = (ca, ka, cb, kb) => {
    const r = medRatio(ca, ka, cb, kb), xs = ratios(ca, ka, cb, kb);
    if (r === undefined) return "n/a";
    return xs.length > 1 ? `${f2(r)}× (${f2(Math.min(...xs))}–${f2(Math.max(...xs))})` : `${f2(r)}×`;
  };
  const floorMs = med("floor", "floor");

  out.push(`### Production path: plain workerd (Miniflare's API; no wrangler, no inspector, no log forwarding)${p.quick ? " — QUICK MODE (smoke run, not a measurement)" : ""}`);
  out.push("");
  out.push(`\`bench/production.mjs\`, ${p.started} → ${p.finished}; load average ${p.load_start.map((x) => x.toFixed(2)).join(" ")} at its start, ${p.load_end.map((x) => x.toFixed(2)).join(" ")} at its end.`);
  out.push("");
  if (configs.length) {
    out.push(`#### CPU per request: ms of workerd CPU, **median of ${P.rounds} rounds (min–max)**`);
    out.push("");
    out.push(`Each round starts every configuration fresh (new workerd process, isolate and local D1/KV) in a rotating order, sends ${P.warmup} warm-up requests of each kind, measures workerd's idle rate for ${P.idle_ms} ms, then reads workerd's CPU time from \`/proc\` around **${P.n} sequential requests** of each kind on one keep-alive connection${P.slices ? `, the kinds taking turns in ${P.slices} slices (so load from elsewhere falls on every kind alike)` : ""}, idle rate subtracted (${P.cpu_source === "schedstat" ? "the scheduler's run time of every workerd thread, \`/proc/<pid>/task/*/schedstat\`, in ns; utime+stime, which moves in 10 ms ticks, is recorded next to it as a cross-check" : `utime+stime; the clock tick is 10 ms, so one figure resolves ${f2(10 / P.n)} ms`}). Registrar runs with wrangler.toml's [vars] as they are (so \`LOG_REQUESTS\` = all: one log line per request), its [[ratelimits]] thresholds raised (the limiter bindings are still called); the peer is its \`wrangler deploy --dry-run\` bundle on local KV. Ratio columns: the ratio of the two medians, with the range of the per-round ratios (configurations of one round ran minutes apart at most) in brackets.`);
    out.push("");
    const cols = configs;
    const kinds = ["register", "read", "authenticate", "discovery", "404", "preflight", "floor", "session", "register-owned", "read-owned", "list-owned"].filter((k) => cols.some((c) => vals(c, k).length));
    const rows = kinds.map((k) => [
      KIND_LABELS[k],
      ...cols.map((c) => cell(vals(c, k))),
      vals("registrar", k).length && vals("peer", k).length ? ratioCell("registrar", k, "peer", k) : "n/a",
      vals("registrar", k).length && floorMs ? ratioCell("registrar", k, "floor", "floor") : "n/a",
    ]);
    out.push(table(["request", ...cols.map((c) => SHORT[c]), "Registrar D1 / peer", "Registrar D1 / floor"], rows,
      ["---", ...cols.map(() => "---:"), "---:", "---:"]));
    out.push("");
    const statuses = kinds.map((k) => {
      const seen = [...new Set(cols.map((c) => cpu[c][0].status?.[k]).filter(Boolean))];
      return `${k} ${seen.join("/")}`;
    });
    out.push(`Every answer's status is checked (${statuses.join(", ")}).`);
    if (vals("registrar-assets", "register").length && vals("registrar", "register").length) {
      const add = ["register", "discovery", "404"].map((k) => `${k} ${f2(med("registrar-assets", k) - med("registrar", k))} ms`);
      out.push(`The local assets router in front of the Worker adds (difference of the medians: ${add.join(", ")}); Cloudflare does not bill the asset lookup to the Worker, so the worker-only column is the billed path.`);
    }
    out.push("");
    if (vals("registrar-signin", "register-owned").length) {
      // Signed-in against anonymous: the same work with a session instead of no credential (or a
      // registration access token), in the same build; then the feature's cost to anonymous requests.
      const pairs = [["register-owned", "register"], ["read-owned", "read"]];
      const rows2 = [
        ...pairs.map(([a, b]) => [`${KIND_LABELS[a]} / ${KIND_LABELS[b]} (same build)`, f2(med("registrar-signin", a)), f2(med("registrar-signin", b)), ratioCell("registrar-signin", a, "registrar-signin", b)]),
        ...["register", "read", "discovery"].filter((k) => vals("registrar", k).length)
          .map((k) => [`${KIND_LABELS[k]}, anonymous: signin build / default build`, f2(med("registrar-signin", k)), f2(med("registrar", k)), ratioCell("registrar-signin", k, "registrar", k)]),
      ];
      out.push("Dashboard sign-in (`REGISTRAR_FEATURES=signin`, sign-in configured): a signed-in request against its anonymous counterpart, and what the feature costs anonymous requests. The signed-in requests carry a session cookie sealed with the run's `REGISTRAR_HMAC_KEY` (tests/store-contract/session.js; the run checks the Worker accepts it first); changes also carry `Origin` and the CSRF token. No provider is called: a session is checked against its cookie alone.");
      out.push("");
      out.push(table(["comparison", "a (ms)", "b (ms)", "a / b"], rows2, ["---", "---:", "---:", "---:"]));
      out.push("");
    }
  }

  const cold = p.cold || {};
  const coldOrder = ["floor", "floor-bindings", "wasm-stub", "registrar", "registrar-kv", "registrar-signin", "peer"];
  const coldCfg = Object.keys(cold).filter((c) => cold[c]?.length).sort((a, b) => coldOrder.indexOf(a) - coldOrder.indexOf(b));
  if (coldCfg.length) {
    const of = (c, k) => cold[c].map((x) => x[k]);
    out.push(`#### Cold start: a new Miniflare per sample, **median of ${cold[coldCfg[0]].length} samples (min–max)**, ms`);
    out.push("");
    const floorCpu = cold.floor ? median(of("floor", "cpu_to_first_response_ms")) : undefined;
    const floorTotal = cold.floor ? median(of("floor", "total_ms")) : undefined;
    const rows = coldCfg.map((c) => [
      SHORT[c],
      cell(of(c, "ready_ms"), f0), cell(of(c, "first_response_ms"), f1), cell(of(c, "total_ms"), f0),
      c === "floor" || floorTotal === undefined ? "—" : `+${f0(median(of(c, "total_ms")) - floorTotal)}`,
      cell(of(c, "cpu_to_ready_ms"), f0), cell(of(c, "cpu_first_request_ms"), f1), cell(of(c, "cpu_to_first_response_ms"), f0),
      c === "floor" || floorCpu === undefined ? "—" : `+${f0(median(of(c, "cpu_to_first_response_ms")) - floorCpu)}`,
      cell(of(c, "second_response_ms"), f1),
    ]);
    out.push(table(["Worker", "`new Miniflare` → ready", "ready → first response", "total to first response", "total − floor's", "workerd CPU to ready", "workerd CPU of the first request", "workerd CPU to first response", "CPU − floor's", "second request (warm)"], rows,
      ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]));
    out.push("");
    if (cold["floor-bindings"]?.length && cold["wasm-stub"]?.length && cold.registrar?.length && cold.floor?.length) {
      const m = (c, k) => median(of(c, k));
      const step = (a, b, k) => f0(m(b, k) - m(a, k));
      out.push(`Registrar's cold start in steps (differences of the medians; wall ms / workerd CPU ms): **the bindings' local simulators** (D1, KV, rate limiters; not on Cloudflare) ${step("floor", "floor-bindings", "total_ms")} / ${step("floor", "floor-bindings", "cpu_to_first_response_ms")}; **loading the wasm module** (decoding and validating it: V8 compiles wasm functions lazily, on their first call, so most of the compiling lands on the first request; see the column "workerd CPU of the first request") ${step("floor-bindings", "wasm-stub", "total_ms")} / ${step("floor-bindings", "wasm-stub", "cpu_to_first_response_ms")}; **the JS bundle, wasm instantiation and \`__wbindgen_start\`, the first dispatch (with the lazy compilation of every wasm function it calls) and the one-time configuration parse** ${step("wasm-stub", "registrar", "total_ms")} / ${step("wasm-stub", "registrar", "cpu_to_first_response_ms")}. The stubs are the floor's code with Registrar's bindings, and a module that imports Registrar's \`index_bg.wasm\` (workerd compiles it when the Worker loads) and answers a constant body without instantiating it. Differences below the 10 ms tick or the spread of the samples are noise.`);
      out.push("");
    }
    out.push("What is included: `ready` covers Miniflare's set-up in node, the workerd process start, its configuration (every binding's local simulator: D1, KV, rate limiters) and the Worker's isolate: parsing the JS bundle and, for Registrar, compiling the wasm module and instantiating it (worker-build's shim runs `new WebAssembly.Instance` and `__wbindgen_start` at module load, so both happen before `ready`). The first request adds the first dispatch into the isolate (and Registrar's one-time parse of its configuration). workerd's CPU to ready and to the first response is the new process's whole utime+stime since exec (10 ms clock tick: it counts the threads that already exited, which the per-thread scheduler figures do not); the first request's own CPU is the per-thread scheduler count across it. The floor pays the same process start and Miniflare overhead with a trivial isolate, so **\"− floor's\" is the Worker's own share: bundle parse, wasm compile + instantiate, bindings' set-up, first dispatch**. On Cloudflare the process is already running; only that share applies, and the isolate is usually started while the TLS handshake runs. Workers refuse to compile wasm at run time and freeze their clocks while code runs, so compile + instantiate cannot be timed from inside the isolate; the stubs above are the closest separation this harness makes.");
    out.push("");
  }

  const load = p.load || {};
  const loadCfg = Object.keys(load).filter((c) => load[c]?.length);
  if (loadCfg.length) {
    const of = (c, k) => load[c].map((x) => x[k]);
    out.push(`#### Load: wrk, \`POST /register\`, ${P.connections} connections (${P.wrk_threads} threads), ${P.seconds} s after a ${P.load_warmup} s warm-up, worker only, fresh workerd per round; **median of ${load[loadCfg[0]].length} round(s) (min–max)**`);
    out.push("");
    out.push(table(["server", "req/s", "p50 (ms)", "p99 (ms)", "errors (non-2xx + socket)", "workerd CPU per request under load (ms)"],
      [
        ...loadCfg.map((c) => [SHORT[c], cell(of(c, "rps"), f0), cell(of(c, "p50_us").map((x) => x / 1000), f1), cell(of(c, "p99_us").map((x) => x / 1000), f1), String(of(c, "errors").reduce((a, b) => a + b, 0)), cell(of(c, "cpu_per_request_ms"))]),
        ...(load.registrar?.length && load.peer?.length
          ? [["**Registrar / peer** (ratio of the medians)", ...["rps", "p50_us", "p99_us"].map((k) => `${f2(median(of("registrar", k)) / median(of("peer", k)))}×`), "", `${f2(median(of("registrar", "cpu_per_request_ms")) / median(of("peer", "cpu_per_request_ms")))}×`]]
          : []),
      ],
      ["---", "---:", "---:", "---:", "---:", "---:"]));
    out.push("");
    out.push("wrk, Miniflare's node process and workerd share the machine's cores; throughput is bounded by workerd's CPU per request under load (last column) and by what wrk and node take from the same cores.");
    out.push("");
  }

  // -------------------------------------------------------------------------------------------
  // Targets of issue 14 that these figures decide
  // -------------------------------------------------------------------------------------------
  const reg = med("registrar", "register"), peerReg = med("peer", "register");
  /** ", with LOG_REQUESTS=errors X ms" for kind k, when that configuration ran */
  const nolog = (k) => (k !== "404" && med("registrar-nolog", k) !== undefined ? `; with LOG_REQUESTS=errors (no log line for a success) ${f2(med("registrar-nolog", k))} ms` : "");
  const excess = (c, k) => (med(c, k) !== undefined && floorMs !== undefined ? med(c, k) - floorMs : undefined);
  if (reg !== undefined && peerReg !== undefined) {
    const r = medRatio("registrar", "register", "peer", "register");
    const kv = medRatio("registrar-kv", "register", "peer", "register");
    targets.push(["CPU per register ≤ 0.5× the peer's (worker only)", `${f2(reg)} vs ${f2(peerReg)} ms = ${f2(r)}×${kv !== undefined ? `; KV build ${f2(med("registrar-kv", "register"))} ms = ${f2(kv)}×` : ""}`, met(r <= 0.5),
      r <= 0.5 ? "" : `workerd's own per-request cost (the floor) is ${f2(floorMs)} ms in both; above it Registrar spends ${f2(excess("registrar", "register"))} ms and the peer ${f2(excess("peer", "register"))} ms. Registrar's register also does what the peer's does not: a rate-limiter call, one D1 batch of three statements (quota, client, audit event: one transaction) and a log line (LOG_REQUESTS = all); the local D1 simulator (SQLite in the same workerd process) is counted here and is not billed to the Worker on Cloudflare${nolog("register")}`]);
  }
  const read = med("registrar", "read");
  if (read !== undefined && reg !== undefined) {
    const r = medRatio("registrar", "read", "registrar", "register");
    targets.push(["RFC 7592 read ≤ register (CPU)", `${f2(read)} vs ${f2(reg)} ms = ${f2(r)}×`, met(r <= 1),
      r <= 1 ? "" : `the read's own work: two rate-limiter calls (per network, then per client), the keyed-hash check of the registration access token, one D1 read (the \`client_read\` audit event is written at most once an hour per client, so not in this steady state), building the full registration response from the stored metadata${nolog("read")}`]);
  }
  const auth = med("registrar", "authenticate");
  if (auth !== undefined && peerReg !== undefined) {
    const r = medRatio("registrar", "authenticate", "peer", "register");
    targets.push(["AS `authenticate` ≤ 0.3× the peer's register (CPU)", `${f2(auth)} vs ${f2(peerReg)} ms = ${f2(r)}×`, met(r <= 0.3),
      r <= 0.3 ? "" : `the floor alone is ${f2(floorMs)} ms = ${f2(floorMs / peerReg)}× the peer's register; above it authenticate spends ${f2(excess("registrar", "authenticate"))} ms: one D1 primary-key read (consistency forbids a cache, docs/authorization-server.md), one keyed hash, a JSON body read and the answer, and the log line${nolog("authenticate")}`]);
  }
  for (const k of ["discovery", "404", "preflight"]) {
    const x = med("registrar", k);
    if (x === undefined || floorMs === undefined) continue;
    const r = medRatio("registrar", k, "floor", "floor");
    targets.push([`${k} within 1.2× of the trivial-Worker floor (CPU, worker only)`, `${f2(x)} vs ${f2(floorMs)} ms = ${f2(r)}×`, met(r <= 1.2),
      r <= 1.2 ? "" : `${f2(x - floorMs)} ms above the floor: after its first time in an isolate the answer comes from the entry module (src/entry.js) without entering the wasm; what is left is reading the method, URL and Origin header from workerd's request, building the Response with its seven to ten headers (security, CORS, caching; the floor sends one), and one log line per request (LOG_REQUESTS = all; a 404 is logged with either setting)${nolog(k)}`]);
  }
  const lr = load.registrar, lp = load.peer;
  if (lr?.length && lp?.length) {
    const rps = (xs) => median(xs.map((x) => x.rps)), p99 = (xs) => median(xs.map((x) => x.p99_us));
    const r = rps(lr) / rps(lp), q = p99(lr) / p99(lp);
    const cpuR = median(lr.map((x) => x.cpu_per_request_ms)), cpuP = median(lp.map((x) => x.cpu_per_request_ms));
    targets.push(["register throughput ≥ 2× the peer's under wrk (worker only)", `${f0(rps(lr))} vs ${f0(rps(lp))} req/s = ${f2(r)}×`, met(r >= 2),
      r >= 2 ? "" : `workerd CPU per register under load ${f2(cpuR)} vs ${f2(cpuP)} ms: throughput follows CPU per request on shared cores (wrk and Miniflare's node run on the same ones)`]);
    targets.push(["register p99 ≤ 0.5× the peer's under wrk", `${f1(p99(lr) / 1000)} vs ${f1(p99(lp) / 1000)} ms = ${f2(q)}×`, met(q <= 0.5),
      q <= 0.5 ? "" : "p99 is the queue behind the CPU per request with the connections on shared cores, plus the local storage simulator's pauses"]);
  }
  return { markdown: out.join("\n"), targets };
}
