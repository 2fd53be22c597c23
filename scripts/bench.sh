#!/usr/bin/env bash
# `npm run bench`: builds the package (installing what is missing), installs the alternatives
# the benchmarks compare against (bench/, its own npm project), and runs bench/bench.js on the
# machine's Node and on Node 24, and its cold start rows on Node 22 and 26.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  (cd bench && npm ci --no-audit --no-fund)
fi
# On the machine's Node, then on Node 24 (installed by setup.sh --node-lines, as for the tests);
# each run writes its own section of bench/RESULTS.md. BENCH_NODES="24" (or "machine") runs one.
bash scripts/setup.sh --node-lines
source scripts/node-lines.sh
# bench_on LINE [ARGS…]: bench/bench.js on that Node line ("machine" for the machine's own).
bench_on() {
  local line=$1 node
  shift
  if [ "$line" = machine ]; then node=$(command -v node); else node=$(node_line "$line"); fi
  printf '\n== bench on Node %s %s\n' "$("$node" --version)" "$*"
  PATH="$(dirname "$node"):$PATH" "$node" bench/bench.js "$@"
}
for line in ${BENCH_NODES:-machine 24}; do bench_on "$line"; done
# The cold start rows on the other lines the tests run on (BENCH_COLD_NODES="" skips them).
for line in ${BENCH_COLD_NODES-22 26}; do bench_on "$line" --cold-start; done
