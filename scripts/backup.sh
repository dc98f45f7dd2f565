#!/usr/bin/env bash
# Backs up Registrar's D1 database to a .sql file with `wrangler d1 export` (schema + data,
# including the d1_migrations table). See docs/backup-restore.md.
#
#   scripts/backup.sh [--local | --remote] [--persist-to DIR] [FILE]
#
#   --local           the local database of `wrangler dev` (the default): .wrangler/state
#   --remote          the D1 database on Cloudflare (needs `wrangler login` or CLOUDFLARE_API_TOKEN);
#                     D1 does not serve queries while it exports
#   --persist-to DIR  the local state directory to read (what `wrangler dev --persist-to DIR` or
#                     `wrangler d1 ... --local --persist-to DIR` used), instead of .wrangler/state
#   FILE              where to write; default backups/registrar-<UTC timestamp>.sql (the directory
#                     is $REGISTRAR_BACKUP_DIR when set). An existing file is never overwritten.
#
# The backup holds client metadata and keyed hashes, never a plaintext secret or token. It is
# useless without the REGISTRAR_HMAC_KEY the hashes were made with: keep that key too (apart).
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { printf 'backup.sh: %s\n' "$*" >&2; exit 2; }

caller_pwd=$PWD
cd "$(dirname "$0")/.."
root=$PWD
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$caller_pwd/$1" ;; esac; }

DB_NAME=registrar    # database_name in wrangler.toml
where=local
persist=""
file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --local) where=local ;;
    --remote) where=remote ;;
    --persist-to) [ $# -ge 2 ] || die "--persist-to needs a directory"; persist=$(abs "$2"); shift ;;
    --persist-to=*) persist=$(abs "${1#*=}") ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$file" ] || die "only one output file"; file=$(abs "$1") ;;
  esac
  shift
done
[ "$where" = local ] || [ -z "$persist" ] || die "--persist-to is for local databases only"
if [ -n "$persist" ] && [ ! -d "$persist/v3/d1" ]; then
  die "$persist holds no local D1 state ($persist/v3/d1 is missing)"
fi

if [ -z "$file" ]; then
  dir=$(abs "${REGISTRAR_BACKUP_DIR:-$root/backups}")
  mkdir -p "$dir"
  # Backups hold hashes and client data: keep them out of git whatever .gitignore says.
  [ -f "$dir/.gitignore" ] || printf '*\n' > "$dir/.gitignore"
  file="$dir/registrar-$(date -u +%Y%m%dT%H%M%SZ).sql"
fi
[ ! -e "$file" ] || die "$file exists; not overwriting it"
mkdir -p "$(dirname "$file")"

# Offline and quiet (BUILD-NOTES): no metrics, no cf fetch, no update check, no prompts.
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true CI=1
export WRANGLER_LOG_PATH="${WRANGLER_LOG_PATH:-$root/.wrangler/logs}"
wrangler="$root/node_modules/.bin/wrangler"
[ -x "$wrangler" ] || die "wrangler is not installed: run scripts/setup.sh (or npm ci) first"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
config_args=()
# wrangler asks before a remote export ("D1 will be unavailable to serve queries"): --remote is
# the answer (and scheduled backups have nobody to ask).
[ "$where" = local ] || config_args+=(--skip-confirmation)
if [ -n "$persist" ]; then
  # `wrangler d1 export --local` has no --persist-to (4.86.0): it reads <config dir>/.wrangler/state.
  # So point it at a throwaway config, next to a .wrangler/state link to the wanted directory.
  node --input-type=module -e '
    import { experimental_readRawConfig } from "wrangler";
    import fs from "node:fs";
    const raw = experimental_readRawConfig({ config: process.argv[1] }).rawConfig;
    const db = (raw.d1_databases ?? []).find((d) => d.database_name === process.argv[3]);
    if (!db) { console.error(`no [[d1_databases]] named ${process.argv[3]} in wrangler.toml`); process.exit(1); }
    fs.writeFileSync(process.argv[2], JSON.stringify({
      name: raw.name, compatibility_date: raw.compatibility_date,
      d1_databases: [{ binding: db.binding, database_name: db.database_name, database_id: db.database_id }],
    }));
  ' "$root/wrangler.toml" "$tmp/wrangler.json" "$DB_NAME"
  mkdir -p "$tmp/.wrangler"
  ln -s "$persist" "$tmp/.wrangler/state"
  config_args+=(--config "$tmp/wrangler.json")
fi

# Written to a temporary name first, readable by the owner only, renamed when checked.
umask 077
part="$file.partial"
rm -f "$part"
echo "Exporting D1 database $DB_NAME ($where${persist:+, $persist}) to $file"
if ! "$wrangler" d1 export "$DB_NAME" "--$where" --output "$part" "${config_args[@]}" >"$tmp/log" 2>&1; then
  cat "$tmp/log" >&2
  rm -f "$part"
  die "wrangler d1 export failed"
fi

[ -s "$part" ] || { cat "$tmp/log" >&2; rm -f "$part"; die "wrangler d1 export wrote nothing"; }
# An export of an empty or unmigrated database is not a backup of Registrar: refuse it.
for table in d1_migrations clients; do
  if ! grep -q "^CREATE TABLE $table\b" "$part"; then
    rm -f "$part"
    die "the export has no table $table: is this the right database${persist:+ / --persist-to}?"
  fi
done
mv "$part" "$file"

count() { grep -c "^INSERT INTO \"$1\" " "$file" || true; }
printf 'Done: %s (%s bytes, sha256 %s)\n' "$file" "$(wc -c <"$file" | tr -d ' ')" "$(sha256sum "$file" | cut -d' ' -f1)"
printf '  rows: clients %s, initial_access_tokens %s, audit_events %s, d1_migrations %s\n' \
  "$(count clients)" "$(count initial_access_tokens)" "$(count audit_events)" "$(count d1_migrations)"
echo "  Keep REGISTRAR_HMAC_KEY as well: without it no stored credential verifies."
