#!/usr/bin/env bash
# The main job: build the package (installing what is missing), then run it against the
# embedded mock SehatMu server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec node www/server.js
