#!/usr/bin/env bash
# `npm run bench`: builds the package (installing what is missing), installs the alternatives
# the benchmarks compare against (bench/, its own npm project), and runs bench/bench.js.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  (cd bench && npm ci --no-audit --no-fund)
fi
exec node bench/bench.js
