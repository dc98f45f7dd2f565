#!/usr/bin/env bash
# Installs what is needed, then serves the API and dashboard at http://127.0.0.1:8787 on local D1.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
. scripts/env.sh
sh scripts/build.sh
CI=1 npx wrangler d1 migrations apply registrar --local
echo "Admin API token (from .dev.vars): $(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)"
echo "AS API token (from .dev.vars):    $(sed -n 's/^AS_API_TOKEN=//p' .dev.vars)"
exec npx wrangler dev --ip 127.0.0.1 --port 8787 "$@"
