#!/usr/bin/env bash
# Builds pkg/: one optimised .wasm shared by the Node glue (CommonJS) and the web glue (ES module).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Panic locations keep source paths in the .wasm: never this machine's.
remap="--remap-path-prefix=$PWD/="
for registry in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
  remap+=" --remap-path-prefix=$registry="
done
RUSTFLAGS="$remap" cargo build --quiet --release --lib --target wasm32-unknown-unknown
wasm=target/wasm32-unknown-unknown/release/sehatmu_auth.wasm
glue=target/wasm-bindgen
rm -rf "$glue" pkg
mkdir -p pkg
wasm-bindgen --target nodejs --no-typescript --out-dir "$glue/node" "$wasm"
wasm-bindgen --target web --no-typescript --out-dir "$glue/web" "$wasm"
# Both glues load sehatmu_auth_bg.wasm from their own folder, and wasm-bindgen writes the same
# module for both: one optimised copy serves the two.
cmp -s "$glue/node/sehatmu_auth_bg.wasm" "$glue/web/sehatmu_auth_bg.wasm"
node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers --strip-target-features \
  "$glue/web/sehatmu_auth_bg.wasm" -o pkg/sehatmu_auth_bg.wasm
cp "$glue/node/sehatmu_auth.js" pkg/sehatmu_auth.cjs
cp "$glue/web/sehatmu_auth.js" pkg/sehatmu_auth.js
cp js/index.d.ts pkg/index.d.cts
# The CommonJS copy of js/client.js for js/node.cjs: the file has no imports and ends with its
# one export line, which becomes module.exports.
{
  echo '"use strict";'
  sed 's/^export { \(.*\) };$/module.exports = { \1 };/' js/client.js
} > pkg/client.cjs
grep -q '^module.exports = ' pkg/client.cjs

size() { gzip -9 -c "$@" | wc -c; }
echo "pkg/ built: .wasm $(wc -c < pkg/sehatmu_auth_bg.wasm) B ($(size pkg/sehatmu_auth_bg.wasm) B gzipped)," \
  "web glue + entry $(size pkg/sehatmu_auth.js js/client.js js/web.js) B gzipped"
