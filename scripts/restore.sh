#!/usr/bin/env bash
# Restores Registrar's D1 database from a file written by scripts/backup.sh (or by
# `wrangler d1 export`). See docs/backup-restore.md.
#
#   scripts/restore.sh [--local | --remote --yes] [--persist-to DIR] [--no-safety-backup] FILE
#
#   --local             the local database of `wrangler dev` (the default): .wrangler/state.
#                       Stop `wrangler dev` first.
#   --remote            the D1 database on Cloudflare. Refused without --yes: it replaces the
#                       production data.
#   --yes               confirms a --remote restore
#   --persist-to DIR    the local state directory to restore into, instead of .wrangler/state
#   --no-safety-backup  do not export the current database first (by default it is saved to
#                       backups/pre-restore-<UTC timestamp>.sql when it holds any table; the
#                       directory is $REGISTRAR_BACKUP_DIR when set)
#
# Every table, view, index and trigger of the current database is dropped and the backup is
# executed: afterwards the database holds exactly the backup, d1_migrations included (so it
# stays migrated; run `wrangler d1 migrations apply` afterwards for migrations newer than the
# backup). Locally the drop and the import run as one D1 batch, one transaction: a failure
# leaves the database as it was. Workers must run with the REGISTRAR_HMAC_KEY of the backup.
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { printf 'restore.sh: %s\n' "$*" >&2; exit 2; }

caller_pwd=$PWD
cd "$(dirname "$0")/.."
root=$PWD
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$caller_pwd/$1" ;; esac; }

DB_NAME=registrar    # database_name in wrangler.toml
where=local
yes=no
persist=""
safety=yes
file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --local) where=local ;;
    --remote) where=remote ;;
    --yes|-y) yes=yes ;;
    --persist-to) [ $# -ge 2 ] || die "--persist-to needs a directory"; persist=$(abs "$2"); shift ;;
    --persist-to=*) persist=$(abs "${1#*=}") ;;
    --no-safety-backup) safety=no ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$file" ] || die "only one backup file"; file=$(abs "$1") ;;
  esac
  shift
done

# Checked before anything runs: nothing is contacted when the answer is no.
if [ "$where" = remote ] && [ "$yes" != yes ]; then
  die "refusing to restore the REMOTE database without --yes: it drops every table of the
production D1 database '$DB_NAME' and replaces it with $file. Note the current Time Travel
bookmark first (wrangler d1 time-travel info $DB_NAME), then rerun with --remote --yes."
fi
[ "$where" = local ] || [ -z "$persist" ] || die "--persist-to is for local databases only"
[ -n "$file" ] || die "which backup file? (see --help)"
[ -f "$file" ] && [ -r "$file" ] || die "$file is not a readable file"
for table in d1_migrations clients; do
  grep -q "^CREATE TABLE $table\b" "$file" \
    || die "$file has no CREATE TABLE $table: not a full Registrar backup (scripts/backup.sh)"
done

export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true CI=1
export WRANGLER_LOG_PATH="${WRANGLER_LOG_PATH:-$root/.wrangler/logs}"
wrangler="$root/node_modules/.bin/wrangler"
[ -x "$wrangler" ] || die "wrangler is not installed: run scripts/setup.sh (or npm ci) first"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
target=(--"$where")
[ -z "$persist" ] || target+=(--persist-to "$persist")
[ "$where" = local ] || target+=(--yes)

d1() { # d1 <args...>: wrangler d1 execute on the target; output in $tmp/out, shown on failure
  if ! "$wrangler" d1 execute "$DB_NAME" "${target[@]}" "$@" >"$tmp/out" 2>&1; then
    cat "$tmp/out" >&2
    return 1
  fi
}

# What the database holds now (D1's own _cf_* tables and SQLite's sqlite_* ones are not ours).
d1 --json --command "SELECT type, name FROM sqlite_master
  WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\\' AND name NOT LIKE '\_cf\_%' ESCAPE '\\'" \
  || die "cannot read the current schema"
node -e '
  const fs = require("fs");
  const text = fs.readFileSync(process.argv[1], "utf8");
  const rows = JSON.parse(text.slice(text.indexOf("[")))[0].results;
  const q = (n) => `"${n.replace(/"/g, "\"\"")}"`;
  // Views first, then tables (which takes their indexes and triggers with them).
  const sql = [...rows.filter((r) => r.type === "view").map((r) => `DROP VIEW IF EXISTS ${q(r.name)};`),
               ...rows.filter((r) => r.type === "table").map((r) => `DROP TABLE IF EXISTS ${q(r.name)};`)];
  fs.writeFileSync(process.argv[2], sql.join("\n") + (sql.length ? "\n" : ""));
  console.log(rows.length);
' "$tmp/out" "$tmp/drop.sql" >"$tmp/n" || die "cannot parse the current schema: $(cat "$tmp/out")"
existing=$(cat "$tmp/n")

if [ "$safety" = yes ] && [ "$existing" -gt 0 ]; then
  dir=$(abs "${REGISTRAR_BACKUP_DIR:-$root/backups}")
  mkdir -p "$dir"
  [ -f "$dir/.gitignore" ] || printf '*\n' > "$dir/.gitignore"
  saved="$dir/pre-restore-$(date -u +%Y%m%dT%H%M%SZ).sql"
  echo "Saving the current database first (--no-safety-backup to skip):"
  bash "$root/scripts/backup.sh" "--$where" ${persist:+--persist-to "$persist"} "$saved" \
    || die "the safety backup failed; nothing was changed"
fi

# One file: drop what is there, then the backup. Local D1 runs a file as one batch (a
# transaction), so the restore is all or nothing.
{ cat "$tmp/drop.sql"; cat "$file"; } > "$tmp/restore.sql"
echo "Restoring $file into D1 database $DB_NAME ($where${persist:+, $persist}); dropping $existing existing tables/views"
d1 --file "$tmp/restore.sql" || die "the restore failed${saved:+ (the previous data is in $saved)}"

# A check that holds for a backup of any schema version.
d1 --json --command "SELECT (SELECT COUNT(*) FROM clients) AS clients,
  (SELECT COUNT(*) FROM d1_migrations) AS migrations,
  (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\\' AND name NOT LIKE '\_cf\_%' ESCAPE '\\') AS tables" \
  || die "restored, but the check query failed"
node -e '
  const fs = require("fs");
  const text = fs.readFileSync(process.argv[1], "utf8");
  const r = JSON.parse(text.slice(text.indexOf("[")))[0].results[0];
  console.log(`Done: ${r.tables} tables, ${r.clients} clients, ${r.migrations} migrations recorded`);
' "$tmp/out"
# Migrations newer than the backup are not applied by a restore.
pending=""
for m in "$root"/migrations/*.sql; do
  [ -e "$m" ] || continue
  name=$(basename "$m")
  grep -q "^INSERT INTO \"d1_migrations\" VALUES([0-9]*,'$name'," "$file" || pending="$pending $name"
done
if [ -n "$pending" ]; then
  echo "  The backup predates migrations:$pending"
  echo "  Apply them: npx wrangler d1 migrations apply $DB_NAME --$where${persist:+ --persist-to $persist}"
fi
echo "  Run the Worker with the REGISTRAR_HMAC_KEY of the backup, or no credential verifies."
