#!/usr/bin/env bash
# Installs what is needed, then runs every test: formatting and lints, host unit and table tests,
# the Worker build, and the Miniflare integration and client-library tests against it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
. scripts/env.sh

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (host and wasm32)"
cargo clippy --all-targets --locked -- -D warnings
cargo clippy --target wasm32-unknown-unknown --release --locked -- -D warnings
cargo clippy --target wasm32-unknown-unknown --release --locked --features kv -- -D warnings
cargo clippy --target wasm32-unknown-unknown --release --locked --features projection -- -D warnings
cargo clippy --target wasm32-unknown-unknown --release --locked --features cimd -- -D warnings
cargo clippy --target wasm32-unknown-unknown --release --locked --features signin -- -D warnings
cargo clippy --target wasm32-unknown-unknown --release --locked --features "kv signin" -- -D warnings

step "cargo test (host)"
cargo test --locked

step "fuzz smoke run (cargo-fuzz, each target 20 s; long runs: scripts/fuzz.sh long)"
./scripts/fuzz.sh smoke

step "build the Worker (default build: D1 only)"
sh scripts/build.sh

step "size budget: wasm + JS under 250 KB gzip"
./scripts/size-budget.sh

step "Miniflare integration and client-library tests"
node --test --test-concurrency=1 tests/worker/

step "data-safety tests (1,000 concurrent registrations, concurrent PUTs, SIGKILL, hostile input, backup/restore)"
node --test --test-concurrency=1 tests/safety/

step "OpenAPI document: valid 3.1, complete, served, and the Worker conforms to it (Miniflare)"
node --test --test-concurrency=1 tests/contract/

step "contract test: schemathesis from static/openapi.json against wrangler dev on local D1"
bash tests/contract/schemathesis.sh

step "browser end-to-end tests (Playwright + Debian Chromium)"
node --test --test-concurrency=1 tests/browser/

# The client projection is a build feature (REGISTRAR_FEATURES=projection). Its end-to-end suite
# runs a real authorization server (@cloudflare/workers-oauth-provider, pinned in package.json)
# next to Registrar in one Miniflare, sharing OAUTH_KV; tests/as/harness.js says how.
step "size budget of the signin build (REGISTRAR_FEATURES=signin): under 265 KB gzip"
REGISTRAR_FEATURES=signin sh scripts/build.sh
./scripts/size-budget.sh

step "build the Worker with the client projection, CIMD and dashboard sign-in (REGISTRAR_FEATURES=\"projection cimd signin\")"
REGISTRAR_FEATURES="projection cimd signin" sh scripts/build.sh

step "end to end with a real authorization server (workers-oauth-provider) on the projected clients"
node --test --test-concurrency=1 tests/as/

step "client metadata documents through the AS API (CIMD; outbound fetches intercepted)"
node --test --test-concurrency=1 tests/cimd/

step "dashboard sign-in with a real OpenID Provider (node-oidc-provider on loopback)"
node --test --test-concurrency=1 tests/signin/

# The KV backend is a build feature (REGISTRAR_FEATURES=kv), built here with dashboard sign-in so
# that owned clients (the owner index) run on KV too. Its own suites check the KV layout and run
# the whole store contract; the suites that do not read D1 tables directly, and the sign-in suites
# of owned clients, run again with STORAGE_BACKEND=kv. D1-only features (quotas, atomic token
# counts, audit in the same transaction) are tested on D1 only, as docs/storage.md's backend
# table says. Last, so every suite before it runs on the default build.
step "build the Worker with the KV backend and dashboard sign-in (REGISTRAR_FEATURES=\"kv signin\")"
REGISTRAR_FEATURES="kv signin" sh scripts/build.sh

step "the KV backend: its layout, the owner index and the store contract (tests/store-contract/cases.json), then the backend-independent Miniflare and sign-in suites again on KV"
node --test --test-concurrency=1 tests/kv/
REGISTRAR_TEST_BACKEND=kv node --test --test-concurrency=1 \
  tests/worker/register.test.js tests/worker/manage.test.js tests/worker/discovery.test.js \
  tests/worker/cors.test.js tests/worker/clients.test.js tests/worker/protected-modes.test.js \
  tests/worker/protected-ratelimit.test.js tests/signin/owned.test.js tests/signin/flow.test.js
