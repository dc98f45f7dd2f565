#!/bin/sh
# Builds the Worker (build/index.js + build/index_bg.wasm) with worker-build, offline.
# wrangler runs this as [build].command twice at start-up: skip when build/ is newer than inputs.
set -eu
cd "$(dirname "$0")/.."

out=build/index_bg.wasm
if [ -f "$out" ] && [ -z "$(find src Cargo.toml Cargo.lock -newer "$out" 2>/dev/null | head -n 1)" ]; then
  exit 0
fi

# worker-build looks for each tool in these variables before trying to download it from GitHub.
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
"$HOME/.cargo/bin/worker-build" --release ${REGISTRAR_BUILD_FLAGS:-}
touch "$out"
