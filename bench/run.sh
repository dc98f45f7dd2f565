#!/usr/bin/env bash
# Registrar next to @cloudflare/workers-oauth-provider and oidc-provider (Node), side by side in
# one run on this machine, loopback only.
# Primary (prod): the production path, plain workerd through Miniflare's API (bench/production.mjs):
#   Registrar D1 (worker only, behind the assets router, with LOG_REQUESTS=errors), Registrar KV,
#   the peer and a trivial-Worker floor: CPU per request, cold start, wrk register load.
# Secondary, under wrangler dev (development only: wrangler's proxy, inspector, log forwarding,
# assets router on the path):
#   1. load (wrk): register, read, update (token rotation tracked), delete
#   2. CPU per request (/proc utime+stime of workerd) and a V8 CPU profile of the Worker isolate
#   3. size of what is deployed
#   4. the native register path (criterion) against a serde_json floor
#   5. read/update/admin-list latency with 1,000 and 100,000 clients in local D1
# Prints Markdown tables and writes them into BENCHMARKS.md. About 14 minutes; see BENCHMARKS.md.
#
# Usage: bench/run.sh [--wait-idle] [--keep]
#   --wait-idle  first wait (up to 15 min, checking every 30 s) for the 1-minute load below 1.0
#   --keep       keep the state directory (logs, D1 files, profiles) under /tmp
# Environment (defaults): BENCH_SECONDS=10 BENCH_CONNECTIONS=8 BENCH_WARMUP=3 BENCH_CPU_N=200
#   BENCH_PROFILE_N=200 BENCH_SCALE_SECONDS=5 BENCH_SCALE_SIZES="1000 100000"
#   BENCH_PORT_BASE=8911 BENCH_INSPECTOR_BASE=9311
#   BENCH_ONLY="prod size native registrar kv nolog peer oidc scale" (a subset runs only those parts;
#     prod: the production path; kv: Registrar with STORAGE_BACKEND=kv; nolog: LOG_REQUESTS=errors)
#   BENCH_PROD_N=300 BENCH_PROD_ROUNDS=5 BENCH_PROD_WARMUP=50 BENCH_PROD_COLD=8 BENCH_PROD_LOAD_ROUNDS=3
#     (the prod part; see bench/production.mjs)
#   BENCH_QUICK=1 a smoke run of every part (few requests, 1-2 rounds, 2 s loads): not a measurement
#   BENCH_NO_WRITE=1 prints the table without touching BENCHMARKS.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then q() { echo "$1"; }; else q() { echo "$2"; }; fi
SECS=${BENCH_SECONDS:-$(q 2 10)}
CONNS=${BENCH_CONNECTIONS:-8}
WARMUP=${BENCH_WARMUP:-$(q 1 3)}
CPU_N=${BENCH_CPU_N:-$(q 30 200)}
PROFILE_N=${BENCH_PROFILE_N:-$(q 30 200)}
SCALE_SECS=${BENCH_SCALE_SECONDS:-$(q 2 5)}
SCALE_SIZES=${BENCH_SCALE_SIZES:-$(q 1000 "1000 100000")}
ONLY=" ${BENCH_ONLY:-prod size native registrar kv nolog peer oidc scale} "
PORT_BASE=${BENCH_PORT_BASE:-8911}
INSPECTOR_BASE=${BENCH_INSPECTOR_BASE:-9311}
REG_PORT=$PORT_BASE PEER_PORT=$((PORT_BASE + 1)) OIDC_PORT=$((PORT_BASE + 2)) SCALE_PORT=$((PORT_BASE + 3))
PROD_PORT=$((PORT_BASE + 4))
REG_INSPECTOR=$INSPECTOR_BASE PEER_INSPECTOR=$((INSPECTOR_BASE + 1)) SCALE_INSPECTOR=$((INSPECTOR_BASE + 3))

WAIT_IDLE=0 KEEP=0
for a in "$@"; do
  case "$a" in
    --wait-idle) WAIT_IDLE=1 ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$BENCH/run.sh" | sed -n 's/^# \{0,1\}//p'; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done

export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true CI=1
export NO_COLOR=1 FORCE_COLOR=0
# wrangler dev's workerd can pile up loopback sockets under sustained load; give it room.
ulimit -n 262144 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
WRANGLER=$ROOT/node_modules/.bin/wrangler
LOG_LEVEL=(--log-level "${BENCH_WRANGLER_LOG_LEVEL:-warn}")
wants() { [[ "$ONLY" == *" $1 "* ]]; }
say() { printf '\n== %s\n' "$*" >&2; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------
[ -x "$WRANGLER" ] || die "no $WRANGLER: run ./scripts/setup.sh (or npm ci) first"
[ -x "$HOME/.cargo/bin/worker-build" ] || die "no worker-build: run ./scripts/setup.sh first"
if ! command -v wrk >/dev/null; then
  say "apt-get install -y wrk"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y wrk \
    || { $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y wrk; }
fi
for dir in "$BENCH/peer" "$BENCH/oidc"; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.bench-lock"; then
    say "npm ci in ${dir#"$ROOT"/}"
    (cd "$dir" && npm ci --no-audit --no-fund >&2 && cp package-lock.json node_modules/.bench-lock)
  fi
done
for p in $REG_PORT $PEER_PORT $OIDC_PORT $SCALE_PORT $PROD_PORT $REG_INSPECTOR $PEER_INSPECTOR $SCALE_INSPECTOR; do
  if ss -ltnH "( sport = :$p )" | grep -q .; then
    die "127.0.0.1:$p is in use; pick other ports with BENCH_PORT_BASE / BENCH_INSPECTOR_BASE"
  fi
done

# ---------------------------------------------------------------------------------------------
# State, process groups, clean-up
# ---------------------------------------------------------------------------------------------
STATE=$(mktemp -d /tmp/registrar-bench.XXXXXX)
RES=$STATE/results
mkdir -p "$RES" "$STATE/profiles"
GROUPS_STARTED=()

stop_group() { # pgid: TERM the whole group, then KILL what is left
  local g=$1
  kill -TERM -- "-$g" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 -- "-$g" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$g" 2>/dev/null || true
}
cleanup() {
  local g
  for g in "${GROUPS_STARTED[@]}"; do stop_group "$g"; done
  if [ "$KEEP" = 1 ]; then echo "state kept in $STATE" >&2; else rm -rf "$STATE"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

if [ "$WAIT_IDLE" = 1 ]; then
  say "waiting for the 1-minute load average below 1.0 (up to 15 min)"
  waited=0
  while :; do
    l1=$(cut -d' ' -f1 /proc/loadavg)
    echo "  $(date -u +%H:%M:%S) load $(loadavg)" >&2
    awk -v l="$l1" 'BEGIN { exit !(l < 1.0) }' && break
    [ "$waited" -ge 900 ] && { echo "  still busy after 15 min; measuring anyway" >&2; break; }
    sleep 30; waited=$((waited + 30))
  done
  echo "$waited" > "$RES/waited_s"
fi
loadavg > "$RES/load_start"
date -u +%Y-%m-%dT%H:%M:%SZ > "$RES/date"

# ---------------------------------------------------------------------------------------------
# Registrar's build, frozen for the run
# ---------------------------------------------------------------------------------------------
say "builds: the shipped one, one with the kv feature, one with dashboard sign-in, one with the wasm name section (for the profile)"
snapshot() { # dir: copy build/ as it is now
  mkdir -p "$1"
  cp build/index.js build/wasm.mjs build/index_bg.wasm "$1/"
}
REGISTRAR_FEATURES=kv sh scripts/build.sh >&2
SNAP_KV=$STATE/registrar-build-kv
snapshot "$SNAP_KV"
REGISTRAR_FEATURES=signin sh scripts/build.sh >&2
SNAP_SIGNIN=$STATE/registrar-build-signin
snapshot "$SNAP_SIGNIN"
REGISTRAR_KEEP_NAMES=1 sh scripts/build.sh >&2
SNAP_NAMED=$STATE/registrar-build-named
snapshot "$SNAP_NAMED"
sh scripts/build.sh >&2 # last, so build/ is the default build again
SNAP=$STATE/registrar-build
snapshot "$SNAP"
# Which toolchain built the Worker's wasm (scripts/build.sh's stamp, line 2).
sed -n 2p build/.features > "$RES/worker_toolchain"
REG_TOML=$STATE/registrar.wrangler.toml
node "$BENCH/registrar-config.mjs" "$ROOT" "$SNAP" "$REG_TOML"
REG_KV_TOML=$STATE/registrar-kv.wrangler.toml
node "$BENCH/registrar-config.mjs" "$ROOT" "$SNAP_KV" "$REG_KV_TOML"
REG_NAMED_TOML=$STATE/registrar-named.wrangler.toml
node "$BENCH/registrar-config.mjs" "$ROOT" "$SNAP_NAMED" "$REG_NAMED_TOML"
HMAC_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
ADMIN_TOKEN=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n') # 40 characters

# The peer as `wrangler deploy` would upload it (served by the prod part, measured by the size part).
bundle_peer() {
  [ -f "$STATE/peer-dist/index.js" ] && return 0
  "$WRANGLER" deploy --dry-run -c "$BENCH/peer/wrangler.toml" --outdir "$STATE/peer-dist" >"$STATE/peer-dry-run.log" 2>&1 \
    || { cat "$STATE/peer-dry-run.log" >&2; die "wrangler deploy --dry-run (peer) failed"; }
}

# ---------------------------------------------------------------------------------------------
# Primary: the production path (plain workerd through Miniflare's API), bench/production.mjs
# ---------------------------------------------------------------------------------------------
if wants prod; then
  say "production path: plain workerd on 127.0.0.1:$PROD_PORT (Registrar D1, D1 + assets router, KV, D1 without success log lines, signin build signed in and anonymous; the peer; the floor)"
  bundle_peer
  BENCH_SECONDS=$SECS BENCH_WARMUP=$WARMUP BENCH_CONNECTIONS=$CONNS BENCH_PROD_PORT=$PROD_PORT BENCH_QUICK=$QUICK \
    setsid node "$BENCH/production.mjs" --registrar "$SNAP" --registrar-kv "$SNAP_KV" --registrar-signin "$SNAP_SIGNIN" --peer "$STATE/peer-dist" \
    --out "$RES/prod.json" >"$STATE/prod.md" </dev/null &
  PROD_PG=$!
  GROUPS_STARTED+=("$PROD_PG")
  wait "$PROD_PG" || die "bench/production.mjs failed"
fi

wait_ready() { # url, log
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null --max-time 2 "$1" && return 0
    sleep 0.5
  done
  tail -n 40 "$2" >&2
  die "not ready: $1"
}

start_registrar() { # name port inspector persist-dir [config [wrangler dev arguments...]]
  local log=$STATE/$1.log name=$1 port=$2 inspector=$3 persist=$4 config=${5:-$REG_TOML}
  shift 4; [ $# -gt 0 ] && shift
  setsid "$WRANGLER" dev -c "$config" --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
    --persist-to "$persist" --var "REGISTRAR_HMAC_KEY:$HMAC_KEY" --var "ADMIN_TOKEN:$ADMIN_TOKEN" \
    "${LOG_LEVEL[@]}" "$@" >"$log" 2>&1 </dev/null &
  PG=$!
  GROUPS_STARTED+=("$PG")
  wait_ready "http://127.0.0.1:$port/.well-known/openid-configuration" "$log"
}

migrate() { # persist-dir
  (cd "$STATE" && "$WRANGLER" d1 migrations apply registrar --local --persist-to "$1" -c "$REG_TOML" >"$STATE/migrate.log" 2>&1) \
    || { cat "$STATE/migrate.log" >&2; die "migrations failed"; }
}

# ---------------------------------------------------------------------------------------------
# wrk phases: one thread per connection, so each thread's Lua sees its own connection in turn
# ---------------------------------------------------------------------------------------------
wrk_phase() { # server op seconds url script [VAR=value...]  -> $RES/load-<server>-<op>.json
  local server=$1 op=$2 secs=$3 url=$4 script=$5 out line
  shift 5
  out=$(env BENCH_WRK_DIR="$BENCH/wrk" NTHREADS="$CONNS" "$@" \
    wrk -t"$CONNS" -c"$CONNS" -d"${secs}s" --timeout 10s -s "$BENCH/wrk/$script" "$url" 2>&1) \
    || { echo "$out" >&2; die "wrk $server $op failed"; }
  line=$(printf '%s\n' "$out" | sed -n 's/^BENCH //p')
  [ -n "$line" ] || { echo "$out" >&2; die "wrk $server $op: no summary"; }
  printf '%s\n' "$line" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = JSON.parse(s);
      Object.assign(r, { server: process.argv[1], op: process.argv[2], seconds: Number(process.argv[3]), connections: Number(process.argv[4]) });
      r.rps = r.requests / (r.duration_us / 1e6);
      process.stdout.write(JSON.stringify(r));
    });' "$server" "$op" "$secs" "$CONNS" >"$RES/load-$server-$op.json"
  # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
  node -e 'const r = require(process.argv[1]); console.error(`  ${r.server} ${r.op}: ${r.rps.toFixed(0)} req/s, p50 ${(r.p50_us / 1000).toFixed(1)} ms, p99 ${(r.p99_us / 1000).toFixed(1)} ms, errors ${r.status_errors + r.socket_errors + r.timeouts}`)' "$RES/load-$server-$op.json"
}
rps_of() { node -e 'try { process.stdout.write(String(Math.round(require(process.argv[1]).rps))) } catch { process.stdout.write("0") }' "$RES/load-$1-$2.json"; }

# The four RFC 7591/7592 operations against a server that has them all (Registrar, oidc-provider).
load_full() { # server base
  local server=$1 base=$2 pool=$STATE/pool-$1 have need fill reg up
  mkdir -p "$pool"
  node "$BENCH/tool.mjs" seed --base "$base" --n $((2 * CONNS)) --out "$STATE/$server-seeded.txt"
  head -n "$CONNS" "$STATE/$server-seeded.txt" >"$STATE/$server-warm.txt"
  tail -n "$CONNS" "$STATE/$server-seeded.txt" >"$STATE/$server-clients.txt"
  say "$server: warm-up (${WARMUP}s each of register, read, update)"
  wrk_phase "$server" warmup-register "$WARMUP" "$base" register.lua POOL_DIR="$pool"
  wrk_phase "$server" warmup-read "$WARMUP" "$base" read.lua CLIENTS="$STATE/$server-warm.txt"
  wrk_phase "$server" warmup-update "$WARMUP" "$base" update.lua CLIENTS="$STATE/$server-warm.txt"
  say "$server: load, ${SECS}s per operation, $CONNS connections"
  wrk_phase "$server" register "$SECS" "$base" register.lua POOL_DIR="$pool"
  wrk_phase "$server" read "$SECS" "$base" read.lua CLIENTS="$STATE/$server-clients.txt"
  wrk_phase "$server" update "$SECS" "$base" update.lua CLIENTS="$STATE/$server-clients.txt"
  # Enough clients for the delete phase, registered beforehand: a delete has run up to ~1.6x as
  # fast as a register or an update here; plan for 2.5x the faster of the two.
  reg=$(rps_of "$server" register) up=$(rps_of "$server" update)
  need=$(((reg > up ? reg : up) * SECS * 5 / 2))
  have=$(node "$BENCH/tool.mjs" pool --dir "$pool" --out "$STATE/$server-pool.txt")
  if [ "$have" -lt "$need" ] && [ "$reg" -gt 0 ]; then
    fill=$(((need - have) / reg + 1)); [ "$fill" -gt "$SECS" ] && fill=$SECS
    say "$server: registering clients to delete (${fill}s, not measured)"
    wrk_phase "$server" fill "$fill" "$base" register.lua POOL_DIR="$pool"
    have=$(node "$BENCH/tool.mjs" pool --dir "$pool" --out "$STATE/$server-pool.txt")
  fi
  echo "  $have clients to delete" >&2
  wrk_phase "$server" delete "$SECS" "$base" delete.lua POOL="$STATE/$server-pool.txt"
}

# ---------------------------------------------------------------------------------------------
# 3. Size
# ---------------------------------------------------------------------------------------------
if wants size; then
  say "size"
  gz() { gzip -c "$1" | wc -c; }
  raw() { wc -c <"$1"; }
  upload() { sed -n 's/.*Total Upload: \(.*\)$/\1/p' "$1" | tail -n 1; }
  (cd "$STATE" && "$WRANGLER" deploy --dry-run -c "$REG_TOML" --outdir "$STATE/registrar-dist" >"$STATE/registrar-dry-run.log" 2>&1) \
    || { cat "$STATE/registrar-dry-run.log" >&2; die "wrangler deploy --dry-run (Registrar) failed"; }
  bundle_peer
  ("$WRANGLER" deploy --dry-run --minify -c "$BENCH/peer/wrangler.toml" --outdir "$STATE/peer-dist-min" >"$STATE/peer-dry-run-min.log" 2>&1) \
    || { cat "$STATE/peer-dry-run-min.log" >&2; die "wrangler deploy --dry-run --minify (peer) failed"; }
  cat >"$RES/size.json" <<EOF
{
  "registrar_wasm_raw": $(raw "$SNAP/index_bg.wasm"), "registrar_wasm_gzip": $(gz "$SNAP/index_bg.wasm"),
  "registrar_js_raw": $(($(raw "$SNAP/index.js") + $(raw "$SNAP/wasm.mjs"))), "registrar_js_gzip": $(($(gz "$SNAP/index.js") + $(gz "$SNAP/wasm.mjs"))),
  "registrar_upload": "$(upload "$STATE/registrar-dry-run.log")",
  "registrar_wasm_sections": $(node "$BENCH/tool.mjs" wasm-sections --file "$SNAP/index_bg.wasm" --out /dev/stdout),
  "registrar_named_sections": $(node "$BENCH/tool.mjs" wasm-sections --file "$SNAP_NAMED/index_bg.wasm" --out /dev/stdout),
  "registrar_kv_wasm_gzip": $(gz "$SNAP_KV/index_bg.wasm"), "registrar_kv_js_gzip": $(($(gz "$SNAP_KV/index.js") + $(gz "$SNAP_KV/wasm.mjs"))),
  "peer_js_raw": $(raw "$STATE/peer-dist/index.js"), "peer_js_gzip": $(gz "$STATE/peer-dist/index.js"),
  "peer_upload": "$(upload "$STATE/peer-dry-run.log")",
  "peer_min_js_raw": $(raw "$STATE/peer-dist-min/index.js"), "peer_min_js_gzip": $(gz "$STATE/peer-dist-min/index.js"),
  "peer_min_upload": "$(upload "$STATE/peer-dry-run-min.log")"
}
EOF
fi

# ---------------------------------------------------------------------------------------------
# 4. Native core
# ---------------------------------------------------------------------------------------------
if wants native; then
  say "native: cargo bench --bench register_path (short measurement)"
  cargo bench --bench register_path -- --warm-up-time 1 --measurement-time 2 >"$RES/criterion.txt" 2>"$STATE/criterion.err" \
    || { tail -n 30 "$STATE/criterion.err" >&2; die "cargo bench failed"; }
  grep -A1 '^register_' "$RES/criterion.txt" >&2 || true
fi

# ---------------------------------------------------------------------------------------------
# 1 + 2. Registrar under wrangler dev on local D1
# ---------------------------------------------------------------------------------------------
if wants registrar; then
  say "Registrar: wrangler dev on 127.0.0.1:$REG_PORT, local D1 in the run's state dir"
  migrate "$STATE/d1-registrar"
  start_registrar registrar "$REG_PORT" "$REG_INSPECTOR" "$STATE/d1-registrar"
  REG_PG=$PG
  load_full registrar "http://127.0.0.1:$REG_PORT"
  say "Registrar: CPU per request ($CPU_N sequential requests per operation)"
  node "$BENCH/tool.mjs" cpu --kind registrar --base "http://127.0.0.1:$REG_PORT" --pgid "$REG_PG" --n "$CPU_N" --out "$RES/cpu-registrar.json"
  stop_group "$REG_PG"
  # The profile on a fresh server: with a DevTools client attached after minutes of load, wrangler
  # dev's workerd has been seen to stall (out of file descriptors); a time limit guards the run.
  say "Registrar: V8 CPU profile ($PROFILE_N sequential requests per operation, fresh server)"
  migrate "$STATE/d1-registrar-profile"
  start_registrar registrar-profile "$REG_PORT" "$REG_INSPECTOR" "$STATE/d1-registrar-profile" "$REG_NAMED_TOML"
  timeout 300 node "$BENCH/tool.mjs" profile --kind registrar --base "http://127.0.0.1:$REG_PORT" --inspector "$REG_INSPECTOR" \
    --pgid "$PG" --n "$PROFILE_N" --out "$RES/profile-registrar.json" --save "$STATE/profiles" \
    || echo "  the profile failed or timed out; the report goes on without it" >&2
  stop_group "$PG"
fi

# Variants, register load and CPU per request:
#  - kv: Registrar's own KV backend (STORAGE_BACKEND=kv, a supported configuration), the peer's
#    kind of storage;
#  - nolog: the D1 build with LOG_REQUESTS=errors (no log line for a 2xx: what the log line costs).
variant() { # name config [wrangler dev arguments...]
  local name=$1 config=$2 base="http://127.0.0.1:$REG_PORT"
  shift 2
  say "variant $name"
  migrate "$STATE/d1-$name"
  start_registrar "$name" "$REG_PORT" "$REG_INSPECTOR" "$STATE/d1-$name" "$config" "$@"
  wrk_phase "$name" warmup-register "$WARMUP" "$base" register.lua
  wrk_phase "$name" register "$SECS" "$base" register.lua
  node "$BENCH/tool.mjs" cpu --kind registrar --base "$base" --pgid "$PG" --n "$CPU_N" --out "$RES/cpu-$name.json"
  stop_group "$PG"
}
if wants kv; then variant registrar-kv "$REG_KV_TOML" --var STORAGE_BACKEND:kv; fi
if wants nolog; then variant registrar-nolog "$REG_TOML" --var LOG_REQUESTS:errors; fi

# ---------------------------------------------------------------------------------------------
# The peer: @cloudflare/workers-oauth-provider under the same wrangler, local KV
# ---------------------------------------------------------------------------------------------
if wants peer; then
  say "peer: wrangler dev on 127.0.0.1:$PEER_PORT, local KV"
  start_peer() { # name
    setsid "$WRANGLER" dev -c "$BENCH/peer/wrangler.toml" --ip 127.0.0.1 --port "$PEER_PORT" \
      --inspector-port "$PEER_INSPECTOR" --persist-to "$STATE/kv-$1" "${LOG_LEVEL[@]}" >"$STATE/$1.log" 2>&1 </dev/null &
    PEER_PG=$!
    GROUPS_STARTED+=("$PEER_PG")
    wait_ready "http://127.0.0.1:$PEER_PORT/.well-known/oauth-authorization-server" "$STATE/$1.log"
  }
  start_peer peer
  base="http://127.0.0.1:$PEER_PORT"
  say "peer: warm-up (${WARMUP}s register); load ${SECS}s; read, update, delete: n/a (no RFC 7592 endpoints)"
  wrk_phase peer warmup-register "$WARMUP" "$base" register.lua
  wrk_phase peer register "$SECS" "$base" register.lua
  say "peer: CPU per request, then a V8 profile on a fresh server"
  node "$BENCH/tool.mjs" cpu --kind peer --base "$base" --pgid "$PEER_PG" --n "$CPU_N" --out "$RES/cpu-peer.json"
  stop_group "$PEER_PG"
  start_peer peer-profile
  timeout 300 node "$BENCH/tool.mjs" profile --kind peer --base "$base" --inspector "$PEER_INSPECTOR" \
    --pgid "$PEER_PG" --n "$PROFILE_N" --out "$RES/profile-peer.json" --save "$STATE/profiles" \
    || echo "  the profile failed or timed out; the report goes on without it" >&2
  stop_group "$PEER_PG"
fi

# ---------------------------------------------------------------------------------------------
# oidc-provider on Node (non-edge reference)
# ---------------------------------------------------------------------------------------------
if wants oidc; then
  say "oidc-provider: node on 127.0.0.1:$OIDC_PORT"
  PORT=$OIDC_PORT setsid node "$BENCH/oidc/server.mjs" >"$STATE/oidc.log" 2>&1 </dev/null &
  OIDC_PG=$!
  GROUPS_STARTED+=("$OIDC_PG")
  wait_ready "http://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration" "$STATE/oidc.log"
  load_full oidc "http://127.0.0.1:$OIDC_PORT"
  node "$BENCH/tool.mjs" cpu --kind oidc --base "http://127.0.0.1:$OIDC_PORT" --pgid "$OIDC_PG" --n "$CPU_N" --out "$RES/cpu-oidc.json"
  stop_group "$OIDC_PG"
fi

# ---------------------------------------------------------------------------------------------
# 5. Scale: read/update of API-registered clients and the admin list over a preloaded D1
# ---------------------------------------------------------------------------------------------
if wants scale; then
  for n in $SCALE_SIZES; do
    say "scale: $n clients preloaded into local D1"
    dir=$STATE/d1-scale-$n
    migrate "$dir"
    node "$BENCH/tool.mjs" gensql --n "$n" --out "$STATE/preload-$n.sql"
    t0=$(date +%s)
    (cd "$STATE" && "$WRANGLER" d1 execute registrar --local --persist-to "$dir" -c "$REG_TOML" \
      --file "$STATE/preload-$n.sql" >"$STATE/preload-$n.log" 2>&1) \
      || { tail -n 30 "$STATE/preload-$n.log" >&2; die "preload of $n clients failed"; }
    t1=$(date +%s)
    stored=$(cd "$STATE" && "$WRANGLER" d1 execute registrar --local --persist-to "$dir" -c "$REG_TOML" --json \
      --command "SELECT COUNT(*) AS n FROM clients" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(String(JSON.parse(s)[0].results[0].n)))')
    echo "  $stored clients stored (preload took $((t1 - t0)) s)" >&2
    start_registrar "scale-$n" "$SCALE_PORT" "$SCALE_INSPECTOR" "$dir"
    base="http://127.0.0.1:$SCALE_PORT"
    node "$BENCH/tool.mjs" seed --base "$base" --n "$CONNS" --out "$STATE/scale-$n-clients.txt"
    wrk_phase "scale-$n" warmup-read 2 "$base" read.lua CLIENTS="$STATE/scale-$n-clients.txt"
    wrk_phase "scale-$n" warmup-list 2 "$base/admin/clients?limit=20" get.lua AUTH="$ADMIN_TOKEN"
    wrk_phase "scale-$n" read "$SCALE_SECS" "$base" read.lua CLIENTS="$STATE/scale-$n-clients.txt"
    wrk_phase "scale-$n" update "$SCALE_SECS" "$base" update.lua CLIENTS="$STATE/scale-$n-clients.txt"
    wrk_phase "scale-$n" admin-list "$SCALE_SECS" "$base/admin/clients?limit=20" get.lua AUTH="$ADMIN_TOKEN"
    printf '{"preloaded": %s, "stored_before_run": %s, "preload_seconds": %s}\n' "$n" "${stored:-0}" "$((t1 - t0))" >"$RES/scale-$n.json"
    stop_group "$PG"
  done
fi

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
loadavg > "$RES/load_end"
ONLY_LIST=${ONLY# }
ONLY_LIST=${ONLY_LIST% }
cat >"$RES/params.json" <<EOF
{"seconds": $SECS, "connections": $CONNS, "warmup": $WARMUP, "cpu_n": $CPU_N, "profile_n": $PROFILE_N, "quick": $QUICK,
 "scale_seconds": $SCALE_SECS, "scale_sizes": "$SCALE_SIZES", "only": "$ONLY_LIST"}
EOF
mkdir -p "$BENCH/results"
rm -rf "$BENCH/results/latest"
cp -r "$RES" "$BENCH/results/latest"
cp -r "$STATE/profiles" "$BENCH/results/latest/profiles"
say "report"
if [ "${BENCH_NO_WRITE:-0}" = 1 ]; then
  node "$BENCH/report.mjs" "$RES"
else
  node "$BENCH/report.mjs" "$RES" "$ROOT/BENCHMARKS.md"
fi
