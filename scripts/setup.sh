#!/usr/bin/env bash
# Installs everything Registrar needs to build, run and test, on Debian 12 with Rust (rustup)
# and Node 20. Idempotent: each step is skipped when already done. Needs only crates.io, npm,
# PyPI and Debian's packages, plus rustup's own server for the optional pinned nightly of the
# Worker build (without it the Worker is built with stable).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pin in Cargo.toml / Cargo.lock
WORKER_BUILD_VERSION=0.8.7
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The pinned nightly that builds the Worker's wasm (scripts/toolchain.sh says why; host builds stay
# on stable). Optional: when it cannot be installed, scripts/build.sh builds with stable, which
# fits the size budget with less room. REGISTRAR_TOOLCHAIN=stable skips it.
. scripts/toolchain.sh
if [ "${REGISTRAR_TOOLCHAIN:-}" != stable ] && ! nightly_ready; then
  step "rustup toolchain install $REGISTRAR_NIGHTLY (minimal, rust-src, wasm32; for the Worker build only)"
  # Bounded: a network that drops packets instead of refusing must not hold setup for long.
  if ! timeout 900 rustup toolchain install "$REGISTRAR_NIGHTLY" --profile minimal \
      --component rust-src --target wasm32-unknown-unknown || ! nightly_ready; then
    echo "setup: WARNING: could not install $REGISTRAR_NIGHTLY; scripts/build.sh will build the" \
      "Worker with stable instead (about 19 KB gzip larger, still inside the size budget)." >&2
  fi
fi

# Both tools share one target directory so their common dependencies compile once (~5 min
# together on 2 cores instead of ~16). worker-build would otherwise download wasm-bindgen and
# wasm-opt from GitHub, which this kind of machine cannot reach.
shared_target="${CARGO_TARGET_DIR_TOOLS:-$HOME/.cache/registrar-tools-target}"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: a locked dependency version is missing from the registry (BUILD-NOTES).
  CARGO_TARGET_DIR="$shared_target" cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if ! worker-build --version 2>/dev/null | grep -q "$WORKER_BUILD_VERSION"; then
  step "cargo install worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  CARGO_TARGET_DIR="$shared_target" cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked --force
fi

# cargo-fuzz for scripts/fuzz.sh (nightly is used when installed, else stable without a sanitizer).
CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
  step "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (about a minute, once)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi

# Debian's Chromium for the browser tests (no browser download from the web).
if ! command -v chromium >/dev/null 2>&1; then
  step "apt-get install chromium"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core; }
fi

# npm ci is skipped when node_modules already matches the lock file.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.registrar-lock; then
  step "npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.registrar-lock
fi

# The local key for stored hashes. Never committed (.gitignore); production uses
# `wrangler secret put REGISTRAR_HMAC_KEY`.
random_hex() { node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))'; }
if ! grep -qs '^REGISTRAR_HMAC_KEY=' .dev.vars; then
  step "generate REGISTRAR_HMAC_KEY in .dev.vars"
  printf 'REGISTRAR_HMAC_KEY=%s\n' "$(random_hex)" >> .dev.vars
fi
# The local admin API token (scripts/dev.sh prints it); production: wrangler secret put ADMIN_TOKEN.
if ! grep -qs '^ADMIN_TOKEN=' .dev.vars; then
  step "generate ADMIN_TOKEN in .dev.vars"
  printf 'ADMIN_TOKEN=%s\n' "$(random_hex)" >> .dev.vars
fi
# The local authorization server API token (docs/authorization-server.md; scripts/dev.sh prints
# it); production: wrangler secret put AS_API_TOKEN.
if ! grep -qs '^AS_API_TOKEN=' .dev.vars; then
  step "generate AS_API_TOKEN in .dev.vars"
  printf 'AS_API_TOKEN=%s\n' "$(random_hex)" >> .dev.vars
fi

# schemathesis for the contract test (tests/contract/schemathesis.sh), in a git-ignored virtualenv.
SCHEMATHESIS_VERSION=4.32.5
if ! .venv-contract/bin/schemathesis --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$"; then
  step "pip install schemathesis $SCHEMATHESIS_VERSION into .venv-contract"
  python3 -c 'import ensurepip' 2>/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"; $sudo apt-get install -y --no-install-recommends python3-venv; }
  python3 -m venv .venv-contract
  .venv-contract/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
