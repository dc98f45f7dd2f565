#!/bin/sh
# Builds the Worker (build/index.js + build/index_bg.wasm) with worker-build, offline.
# REGISTRAR_FEATURES=kv adds the Workers KV backend (STORAGE_BACKEND = "kv"); the default build
# has D1 only, which keeps the module inside the size budget (scripts/size-budget.sh).
# wrangler runs this as [build].command twice at start-up: skip when build/ is newer than inputs
# and was built with the same features.
set -eu
cd "$(dirname "$0")/.."

features="${REGISTRAR_FEATURES:-}"
# What build/.features records: the features, and whether the name section was kept.
variant="$features${REGISTRAR_KEEP_NAMES:+ +names}"
out=build/index_bg.wasm
stamp=build/.features
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$variant" ] &&
  [ -z "$(find src Cargo.toml Cargo.lock -newer "$out" 2>/dev/null | head -n 1)" ]; then
  exit 0
fi

# worker-build looks for each tool in these variables before trying to download it from GitHub.
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
rm -f "$stamp"
# Size over speed for the shipped wasm (Cargo.toml's release profile is for the host).
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-z}"
# shellcheck disable=SC2086 # REGISTRAR_BUILD_FLAGS is a list of flags
"$HOME/.cargo/bin/worker-build" --release ${REGISTRAR_BUILD_FLAGS:-} \
  ${features:+--features "$features"}

# worker-build keeps the name section (--debuginfo); the shipped module does not need it (~35 KB
# gzip). Stripping after wasm-bindgen, not with cargo's `strip`, keeps the target_features section
# wasm-bindgen reads. REGISTRAR_KEEP_NAMES=1 keeps names, for CPU profiles. The same pass runs
# -Oz again until nothing changes (--converge): worker-build's single -Oz leaves about 2.5 KB gzip
# that a second round removes (measured on issue 12's build: 242,710 → 240,150 bytes of wasm).
if [ -z "${REGISTRAR_KEEP_NAMES:-}" ]; then
  "$WASM_OPT_BIN" "$out" -o "$out.stripped" -Oz --converge --strip-debug --strip-producers \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling
  mv "$out.stripped" "$out"
fi
touch "$out"
printf '%s' "$variant" >"$stamp"
