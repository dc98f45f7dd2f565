# Sourced by the scripts: keep wrangler and Miniflare off the network (BUILD-NOTES).
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_LOG_PATH="${WRANGLER_LOG_PATH:-$PWD/.wrangler/logs}"
# Without it wrangler asks the npm registry for a newer version on every run.
export WRANGLER_HIDE_BANNER=true
