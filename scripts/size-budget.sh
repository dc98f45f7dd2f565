#!/bin/sh
# The shipped Worker's size: build/index_bg.wasm + build/wasm.mjs (its glue) + build/index.js (the
# entry), raw and gzip -9, as a table.
# Fails when the gzip total is over the budget (250 KB = 250,000 bytes; issue 6), so a change that
# grows the module past it fails the test command. Measures the default build (D1 only), built
# with either toolchain (build/.features says which).
set -eu
cd "$(dirname "$0")/.."
budget=250000

# build/.features: line 1 the features (empty for the default build), line 2 the toolchain
# (scripts/build.sh). The budget holds for either toolchain; the table says which was measured.
features=$(head -n 1 build/.features 2>/dev/null || true)
toolchain=$(sed -n 2p build/.features 2>/dev/null || true)
if [ -n "$features" ]; then
  echo "size-budget: build/ is a \"$features\" build;" \
    "the budget is for the default build (sh scripts/build.sh)" >&2
  exit 2
fi

total=0
printf '| file | bytes | gzip -9 |\n|---|---:|---:|\n'
for f in build/index_bg.wasm build/wasm.mjs build/index.js; do
  raw=$(wc -c <"$f")
  gz=$(gzip -9c "$f" | wc -c)
  total=$((total + gz))
  printf '| %s | %s | %s |\n' "$f" "$raw" "$gz"
done
printf '| **total (gzip)** | | **%s** (budget %s) |\n' "$total" "$budget"
echo "(built with ${toolchain:-an unrecorded toolchain})"
if [ "$total" -gt "$budget" ]; then
  echo "size-budget: the Worker is $total bytes gzip, over the $budget-byte budget" >&2
  exit 1
fi
