#!/usr/bin/env bash
# Coverage-guided fuzzing of Registrar's pure core with cargo-fuzz (libFuzzer); targets in fuzz/.
#
#   scripts/fuzz.sh smoke                 each target 20 s from the committed seeds (for the test command)
#   scripts/fuzz.sh long [seconds] [runs] both targets in parallel, on the kept corpus in fuzz/corpus/,
#                                         until `seconds` (default 1200) or `runs` executions each
#   scripts/fuzz.sh repro TARGET FILE     run one input (a crash artifact) through TARGET
#
# Each mode prints, per target, the executions and executions per second from libFuzzer's final
# stats, and exits non-zero if a target crashed (the input is kept under fuzz/artifacts/TARGET/,
# git-ignored). Needs cargo-fuzz (`cargo install cargo-fuzz --locked`, installed here if missing)
# and uses the nightly toolchain when rustup has one, else the stable one.
#
# FUZZ_SANITIZER: `none` (default: the fuzzed code is safe Rust; measured 2.5x the executions per
# second of ASan) or `address` (needs nightly). Switching it rebuilds the targets.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TARGETS=(metadata service)
mode="${1:-smoke}"
sanitizer="${FUZZ_SANITIZER:-none}"

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=nightly
else
  toolchain=stable
  if [ "$sanitizer" != none ]; then
    echo "FUZZ_SANITIZER=$sanitizer needs the nightly toolchain, which is not installed" >&2
    exit 2
  fi
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== cargo install cargo-fuzz --locked (about a minute, once)"
  cargo install cargo-fuzz --locked
fi

fuzz() { cargo "+$toolchain" fuzz "$@"; }

# The metadata target's dictionary: fuzz/metadata.dict (values, URI pieces) and every client
# metadata member name, bare and quoted, as static/openapi.json documents them (the members are
# written there only: `ClientMetadataMembers`, and the refused ones `ClientMetadataRequest` adds).
# Written to fuzz/target/ (git-ignored); prints its path.
metadata_dict() {
  local out=fuzz/target/metadata.dict
  mkdir -p fuzz/target
  {
    cat fuzz/metadata.dict
    node -e '
      const s = JSON.parse(require("fs").readFileSync("static/openapi.json", "utf8")).components.schemas;
      const names = new Set([...Object.keys(s.ClientMetadataMembers.properties),
                             ...Object.keys(s.ClientMetadataRequest.properties)]);
      for (const n of names) console.log(`"${n}"\n"\\"${n}\\""`);'
  } >"$out"
  printf '%s\n' "$out"
}

# libFuzzer options for a target: the dictionary where there is one.
target_args() {
  local t="$1"
  if [ "$t" = metadata ]; then
    printf '%s\n' "-dict=$(metadata_dict)"
  elif [ -f "fuzz/$t.dict" ]; then
    printf '%s\n' "-dict=fuzz/$t.dict"
  fi
}

# Prints "TARGET: N executions in S s (E exec/s), corpus C, new units U" from a libFuzzer log.
report() {
  local t="$1" log="$2" status="$3"
  local runs rate new secs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  new=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  if [ "$status" -eq 0 ]; then
    printf '%-9s %12s executions in %5s s = %7s exec/s; %s new units; no crash\n' \
      "$t:" "${runs:-?}" "${secs:-?}" "${rate:-?}" "${new:-?}"
  else
    printf '%-9s CRASH after %s executions (exit %s); log %s\n' "$t:" "${runs:-?}" "$status" "$log"
    grep -E "^(thread '.*' panicked|Test unit written to|artifact_prefix|SUMMARY)" "$log" | head -5 || true
    grep -A3 "panicked at" "$log" | head -8 || true
  fi
}

build() {
  echo "== cargo +$toolchain fuzz build (sanitizer: $sanitizer)"
  local log
  log=$(mktemp)
  if ! fuzz build -O --sanitizer "$sanitizer" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

run_target() { # target seconds runs corpus log
  local t="$1" secs="$2" runs="$3" corpus="$4" log="$5"
  local extra=()
  mapfile -t extra < <(target_args "$t")
  local seeds=()
  if [ -d "fuzz/seeds/$t" ]; then seeds=("fuzz/seeds/$t"); fi
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  fuzz run -O --sanitizer "$sanitizer" "$t" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$secs" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -print_pcs=0 "${extra[@]}" >"$log" 2>&1
}

case "$mode" in
  smoke)
    secs=20
    build
    logs=$(mktemp -d)
    trap 'rm -rf "$logs"' EXIT
    failed=0
    echo "== smoke: each target ${secs} s from the committed seeds"
    for t in "${TARGETS[@]}"; do
      status=0
      run_target "$t" "$secs" -1 "$logs/corpus-$t" "$logs/$t.log" || status=$?
      if [ "$status" -ne 0 ]; then cp "$logs/$t.log" "fuzz/artifacts/$t/smoke.log"; fi
      report "$t" "$logs/$t.log" "$status"
      [ "$status" -eq 0 ] || failed=1
    done
    exit "$failed"
    ;;
  long)
    secs="${2:-1200}"
    runs="${3:--1}"
    build
    mkdir -p fuzz/logs
    stamp=$(date +%Y%m%d-%H%M%S)
    echo "== long: both targets in parallel, ${secs} s or ${runs} executions each (-1: no limit)"
    pids=()
    for t in "${TARGETS[@]}"; do
      run_target "$t" "$secs" "$runs" "fuzz/corpus/$t" "fuzz/logs/$t-$stamp.log" &
      pids+=($!)
    done
    failed=0
    for i in "${!TARGETS[@]}"; do
      status=0
      wait "${pids[$i]}" || status=$?
      report "${TARGETS[$i]}" "fuzz/logs/${TARGETS[$i]}-$stamp.log" "$status"
      [ "$status" -eq 0 ] || failed=1
    done
    echo "logs: fuzz/logs/*-$stamp.log; corpus: fuzz/corpus/ (kept for the next run)"
    exit "$failed"
    ;;
  repro)
    t="${2:?usage: scripts/fuzz.sh repro TARGET FILE}"
    file="${3:?usage: scripts/fuzz.sh repro TARGET FILE}"
    fuzz run -O --sanitizer "$sanitizer" "$t" "$file"
    ;;
  *)
    echo "usage: scripts/fuzz.sh smoke | long [seconds] [runs] | repro TARGET FILE" >&2
    exit 2
    ;;
esac
