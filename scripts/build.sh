#!/bin/sh
# Builds the Worker with worker-build, offline: build/index.js (the entry, src/entry.js),
# build/wasm.mjs (worker-build's module: the wasm's glue) and build/index_bg.wasm.
# REGISTRAR_FEATURES=kv adds the Workers KV backend (STORAGE_BACKEND = "kv"); the default build
# has D1 only, which keeps the module inside the size budget (scripts/size-budget.sh).
# wrangler runs this as [build].command twice at start-up: skip when build/ is newer than inputs
# and was built with the same features and toolchain.
set -eu
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# The toolchain of the Worker's wasm (issue 14). By default the pinned nightly of
# scripts/toolchain.sh when scripts/setup.sh could install it, else stable:
#   nightly: std rebuilt for the wasm (-Zbuild-std=std,panic_abort) with
#            -Cpanic=immediate-abort: 247,443 → 228,403 bytes gzip (wasm + JS), same CPU, same
#            tests. The trade-off: a panic is a bare `unreachable` trap, logged by worker-build's
#            shim as "Critical RuntimeError: unreachable" with no message and no file:line (the
#            stable build first logs "Rust panic: panicked at <file:line>: <message>"). Either
#            way the request gets workerd's 500 and the next request a fresh instance. The
#            handlers do not panic on input (src/http/mod.rs): this is what a bug would log.
#   stable:  the toolchain of everything else; panics keep their messages.
# REGISTRAR_TOOLCHAIN=stable (or nightly, which fails when the pin is missing) overrides it.
# Host builds (cargo test, clippy, benches) and fuzzing never read this. A RUSTFLAGS in the
# environment would replace the target flags below (cargo's precedence): refused with nightly.
. scripts/toolchain.sh
toolchain="${REGISTRAR_TOOLCHAIN:-auto}"
case "$toolchain" in
  auto)
    if nightly_ready; then toolchain=nightly; else
      toolchain=stable
      echo "build: $REGISTRAR_NIGHTLY is not installed (sh scripts/setup.sh): building with stable" >&2
    fi ;;
  nightly)
    nightly_ready || {
      echo "build: $REGISTRAR_NIGHTLY (with rust-src and wasm32) is not installed: sh scripts/setup.sh," \
        "or REGISTRAR_TOOLCHAIN=stable" >&2
      exit 1
    } ;;
  stable) ;;
  *) echo "build: REGISTRAR_TOOLCHAIN is stable or nightly, not \"$toolchain\"" >&2; exit 1 ;;
esac
if [ "$toolchain" = nightly ] && [ -n "${RUSTFLAGS:-}" ]; then
  # cargo would use RUSTFLAGS instead of the target flags below: the stamp would lie.
  echo "build: RUSTFLAGS is set; unset it (the nightly build passes its flags per target)," \
    "or REGISTRAR_TOOLCHAIN=stable" >&2
  exit 1
fi
if [ "$toolchain" = nightly ]; then
  toolchain_stamp="toolchain=$REGISTRAR_NIGHTLY panic=immediate-abort"
else
  toolchain_stamp="toolchain=stable"
fi

features="${REGISTRAR_FEATURES:-}"
# What build/.features records: line 1 the features and whether the name section was kept,
# line 2 the toolchain. A change of either rebuilds.
variant="$features${REGISTRAR_KEEP_NAMES:+ +names}"
stamp_text="$variant
$toolchain_stamp"
out=build/index_bg.wasm
stamp=build/.features
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ] &&
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
if [ "$toolchain" = nightly ]; then
  # worker-build runs `cargo`/`rustc` through rustup's proxies, which read RUSTUP_TOOLCHAIN;
  # CARGO_UNSTABLE_BUILD_STD is -Zbuild-std; the RUSTFLAGS reach the wasm crates only, not build
  # scripts or proc-macros.
  export RUSTUP_TOOLCHAIN="$REGISTRAR_NIGHTLY"
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort"
fi
echo "build: Worker wasm with $toolchain_stamp" >&2
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
# The entry module (src/entry.js) goes in front of worker-build's (issue 14: store-free answers
# served without entering the wasm); worker-build's module keeps its wasm import.
# Minified like worker-build's module (its comments stay in src/entry.js).
mv build/index.js build/wasm.mjs
"$ESBUILD_BIN" src/entry.js --minify --format=esm --log-level=warning --outfile=build/index.js
touch "$out"
printf '%s' "$stamp_text" >"$stamp"
