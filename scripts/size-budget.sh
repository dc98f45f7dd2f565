#!/bin/sh
# The shipped Worker's size: build/index_bg.wasm + build/wasm.mjs (its glue) + build/index.js (the
# entry), raw and gzip -9, as a table.
# Fails when the gzip total is over the budget of the build in build/, so a change that grows the
# module past it fails the test command:
#   the default build (D1 only)               250 KB = 250,000 bytes (issue 6)
#   the `signin` build (dashboard sign-in)    265 KB = 265,000 bytes: the default budget plus the
#                                             feature's 30 KB as measured in issue 16, kept from growing
# Other feature builds have no budget (exit 2). Either toolchain (build/.features says which).
set -eu
cd "$(dirname "$0")/.."

# build/.features: line 1 the features (empty for the default build), line 2 the toolchain
# (scripts/build.sh). The budget holds for either toolchain; the table says which was measured.
features=$(head -n 1 build/.features 2>/dev/null || true)
toolchain=$(sed -n 2p build/.features 2>/dev/null || true)
case "$features" in
  "") budget=250000 what="the default build" ;;
  signin) budget=265000 what="the signin build" ;;
  *)
    echo "size-budget: build/ is a \"$features\" build, which has no budget;" \
      "budgets are for the default build (sh scripts/build.sh) and the signin build" >&2
    exit 2 ;;
esac

total=0
printf '| file | bytes | gzip -9 |\n|---|---:|---:|\n'
for f in build/index_bg.wasm build/wasm.mjs build/index.js; do
  raw=$(wc -c <"$f")
  gz=$(gzip -9c "$f" | wc -c)
  total=$((total + gz))
  printf '| %s | %s | %s |\n' "$f" "$raw" "$gz"
done
printf '| **total (gzip), %s** | | **%s** (budget %s) |\n' "$what" "$total" "$budget"
echo "(built with ${toolchain:-an unrecorded toolchain})"
if [ "$total" -gt "$budget" ]; then
  echo "size-budget: $what is $total bytes gzip, over its $budget-byte budget" >&2
  exit 1
fi
