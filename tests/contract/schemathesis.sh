#!/usr/bin/env bash
# Contract test: schemathesis generates requests from static/openapi.json and sends them to the
# Worker under `wrangler dev` on a throwaway local D1, checking every response against the
# document: no 5xx, documented status codes, content types, headers and body schemas.
#
#   tests/contract/schemathesis.sh
#
# Needs the Worker's build tools (scripts/setup.sh) and schemathesis 4.x, by default in
# .venv-contract/ (python3 -m venv .venv-contract && .venv-contract/bin/pip install schemathesis==4.32.5).
# Only 127.0.0.1 is contacted. Bounded: a fixed seed and number of examples (about 2 minutes on
# 2 cores), and a hard time limit. Exits non-zero when a check fails or the server cannot start.
#
# Environment (all optional):
#   SCHEMATHESIS                      the schemathesis executable (default .venv-contract/bin/schemathesis)
#   REGISTRAR_CONTRACT_SEED           the seed (default 20260501)
#   REGISTRAR_CONTRACT_MAX_EXAMPLES   test cases per operation and phase (default 25)
#   REGISTRAR_CONTRACT_CHECKS         comma-separated checks (default: the six below)
#   REGISTRAR_CONTRACT_TIME_LIMIT     seconds before schemathesis is stopped (default 600)
#   REGISTRAR_CONTRACT_REPORT_DIR     keep the JUnit and NDJSON reports and the server log here
#   REGISTRAR_CONTRACT_VARS           more Worker variables, one NAME:VALUE per line, e.g.
#                                     REGISTRAR_CONTRACT_VARS='REGISTRATION_MODE:token'
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
. scripts/env.sh
export CI=1 WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true

st="${SCHEMATHESIS:-$root/.venv-contract/bin/schemathesis}"
seed="${REGISTRAR_CONTRACT_SEED:-20260501}"
max_examples="${REGISTRAR_CONTRACT_MAX_EXAMPLES:-25}"
checks="${REGISTRAR_CONTRACT_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method}"
time_limit="${REGISTRAR_CONTRACT_TIME_LIMIT:-600}"

die() { printf 'schemathesis.sh: %s\n' "$*" >&2; exit 2; }
step() { printf '\n== %s\n' "$*"; }

[ -x "$st" ] || die "schemathesis not found at $st; install it:
  python3 -m venv .venv-contract && .venv-contract/bin/pip install schemathesis==4.32.5"
"$st" --version | grep -q 'version 4\.' || die "$st is not schemathesis 4.x: $("$st" --version)"
wrangler="$root/node_modules/.bin/wrangler"
[ -x "$wrangler" ] || die "wrangler is not installed: run scripts/setup.sh first"

work=$(mktemp -d "${TMPDIR:-/tmp}/registrar-contract.XXXXXX")
report_dir="${REGISTRAR_CONTRACT_REPORT_DIR:-$work/report}"
mkdir -p "$report_dir"
log="$report_dir/wrangler-dev.log"
pgid=""

stop_server() {
  [ -n "$pgid" ] || return 0
  # The whole process group (npm exec, wrangler, workerd, esbuild), by its id only.
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 -- "-$pgid" 2>/dev/null || { pgid=""; return 0; }
    sleep 0.2
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  pgid=""
}
cleanup() {
  local rc=$?
  stop_server
  rm -rf "$work"   # the D1 state, and the reports unless REGISTRAR_CONTRACT_REPORT_DIR keeps them
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "build the Worker"
sh scripts/build.sh

step "throwaway local D1 with the migrations applied"
state="$work/state"
"$wrangler" d1 migrations apply registrar --local --persist-to "$state" >"$work/migrate.log" 2>&1 \
  || { cat "$work/migrate.log" >&2; die "wrangler d1 migrations apply failed"; }

# Throwaway secrets: an admin token and an AS API token of 40 characters so the admin and AS API
# routes can be exercised, and an HMAC key, so the run depends neither on .dev.vars nor on a
# developer's keys.
admin_token=$(head -c 30 /dev/urandom | base64 | tr '+/' '-_')
as_api_token=$(head -c 30 /dev/urandom | base64 | tr '+/' '-_')
hmac_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
[ "${#admin_token}" -eq 40 ] && [ "${#as_api_token}" -eq 40 ] || die "could not make the tokens"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

extra_vars=()
while IFS= read -r line; do
  [ -z "$line" ] || extra_vars+=(--var "$line")
done <<<"${REGISTRAR_CONTRACT_VARS:-}"

step "wrangler dev on $base"
# setsid: its own process group, stopped by group id (never by name).
setsid "$wrangler" dev --ip 127.0.0.1 --port "$port" --persist-to "$state" \
  --var "ADMIN_TOKEN:$admin_token" --var "AS_API_TOKEN:$as_api_token" --var "REGISTRAR_HMAC_KEY:$hmac_key" "${extra_vars[@]}" \
  --show-interactive-dev-session=false </dev/null >"$log" 2>&1 &
pid=$!
pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
[ -n "$pgid" ] || pgid=$pid
ready=""
for _ in $(seq 1 180); do
  kill -0 "$pid" 2>/dev/null || break
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/.well-known/openid-configuration" || true)
  if [ "$code" = 200 ]; then ready=1; break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  tail -n 40 "$log" >&2
  die "wrangler dev did not answer on $base"
fi
served=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$base/openapi.json")
[ "$served" = "200 application/json" ] || die "GET /openapi.json answered: $served"

step "schemathesis $("$st" --version | sed 's/.*version //'): seed $seed, $max_examples examples per operation, checks $checks"
export REGISTRAR_CONTRACT_ADMIN_TOKEN="$admin_token" REGISTRAR_CONTRACT_AS_API_TOKEN="$as_api_token"
# Hypothesis keeps its caches here rather than in the work tree.
export HYPOTHESIS_STORAGE_DIRECTORY="$work/hypothesis"
set +e
timeout --signal=INT --kill-after=30 "$time_limit" \
  "$st" --no-color --config-file tests/contract/schemathesis.toml run "$base/openapi.json" \
    --url "$base" \
    --checks "$checks" \
    --seed "$seed" \
    --max-examples "$max_examples" \
    --workers 1 \
    --request-timeout 15 \
    --report junit,ndjson --report-dir "$report_dir" \
    --report-junit-path "$report_dir/schemathesis-junit.xml" \
    --report-ndjson-path "$report_dir/schemathesis.ndjson"
rc=$?
set -e

step "what was sent"
python3 tests/contract/summary.py "$report_dir/schemathesis.ndjson" || true
if grep -q '"status":5[0-9][0-9]' "$log"; then
  echo "The Worker logged 5xx responses:"
  grep '"status":5[0-9][0-9]' "$log" | head -n 20
  [ "$rc" -ne 0 ] || rc=1
fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 130 ]; then
  echo "schemathesis.sh: schemathesis did not finish within ${time_limit}s" >&2
fi
[ -z "${REGISTRAR_CONTRACT_REPORT_DIR:-}" ] || echo "Reports and the server log: $report_dir"
exit "$rc"
