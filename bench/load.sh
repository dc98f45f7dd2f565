#!/usr/bin/env bash
# Load benchmark against a running `scripts/dev.sh` (wrangler dev, local D1), loopback only.
# Prints a table. Local numbers measure workerd + SQLite-backed local D1 on this machine, not
# Cloudflare's network. Usage: bench/load.sh [base-url] [seconds] [connections]
set -euo pipefail
base="${1:-http://127.0.0.1:8787}"
secs="${2:-10}"
conns="${3:-8}"
case "$base" in http://127.0.0.1:*|http://localhost:*) ;; *) echo "loopback only" >&2; exit 2 ;; esac
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
# POST /register uses the wrk script of bench/run.sh and bench/production.mjs, which loads its
# helpers (summary.lua) from BENCH_WRK_DIR; its last line (BENCH {...}) is not part of the table.
export BENCH_WRK_DIR="$here/wrk"

# One client to read back.
reg=$(curl -sf -X POST "$base/register" -H 'Content-Type: application/json' \
  -d '{"client_name":"bench","redirect_uris":["https://bench.example/cb"]}')
id=$(printf '%s' "$reg" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).client_id))')
tok=$(printf '%s' "$reg" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).registration_access_token))')

run() { # name, then wrk arguments
  local name="$1"; shift
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" 2>/dev/null | awk -v name="$name" '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
    /Non-2xx/ { bad = $NF }
    END { printf "| %-34s | %9s | %8s | %8s | %7s |\n", name, rps, p50, p99, (bad == "" ? 0 : bad) }'
}

echo "wrk, $conns connections, ${secs}s each, against $base"
echo
echo "| request                            |   req/s   |   p50    |   p99    | non-2xx |"
echo "|------------------------------------|-----------|----------|----------|---------|"
run "GET discovery"                      "$base/.well-known/openid-configuration"
run "GET /register/{id} (D1 read)"       -H "Authorization: Bearer $tok" "$base/register/$id"
run "POST /register (D1 write)"          -s "$here/wrk/register.lua" "$base/register"
run "GET / (static asset)"               "$base/"
