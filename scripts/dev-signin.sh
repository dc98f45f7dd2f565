#!/usr/bin/env bash
# Dashboard sign-in, locally, in one command: installs what is needed, starts a development
# OpenID Provider on 127.0.0.1:8788 (scripts/dev-provider.mjs: node-oidc-provider, any password,
# `alice` an admin, `bob` not), then serves the signin build at http://127.0.0.1:8787 on local D1
# with DASHBOARD_OIDC_* pointing at it (docs/dashboard-sign-in.md, "Trying it locally").
# The provider stops with wrangler. Extra arguments go to `wrangler dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
. scripts/env.sh
# wrangler's [build] command runs scripts/build.sh again: the same features keep it a no-op.
export REGISTRAR_FEATURES=signin
sh scripts/build.sh
CI=1 npx wrangler d1 migrations apply registrar --local
OP_PORT=${DEV_OP_PORT:-8788}
node scripts/dev-provider.mjs "$OP_PORT" http://127.0.0.1:8787 &
op=$!
trap 'kill "$op" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 50); do
  curl -sf -o /dev/null "http://127.0.0.1:$OP_PORT/.well-known/openid-configuration" && break
  kill -0 "$op" 2>/dev/null || { echo "the development provider did not start" >&2; exit 1; }
  sleep 0.2
done
echo "Admin API token (from .dev.vars): $(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)"
echo "Open http://127.0.0.1:8787 and Sign in (alice: admin by the groups claim; bob: not)."
npx wrangler dev --ip 127.0.0.1 --port 8787 \
  --var "DASHBOARD_OIDC_ISSUER:http://127.0.0.1:$OP_PORT" \
  --var DASHBOARD_OIDC_CLIENT_ID:registrar-dashboard \
  --var DASHBOARD_ADMIN_CLAIM:groups=registrar-admins "$@"
