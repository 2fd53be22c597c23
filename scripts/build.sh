#!/usr/bin/env bash
# Builds pkg/: the .wasm twice, each with its glue.
# - pkg/server/: every feature, for Node (CommonJS glue, sehatmu_auth.cjs) and Workers (ES
#   module glue, sehatmu_auth.js); one optimised .wasm serves both.
# - pkg/: the browser build, without what only servers use (Cargo feature `server`: token stores), for js/web.js.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Panic locations keep source paths in the .wasm: never this machine's.
remap="--remap-path-prefix=$PWD/="
for registry in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
  remap+=" --remap-path-prefix=$registry="
done
glue=target/wasm-bindgen
rm -rf "$glue" pkg
mkdir -p pkg/server

# build NAME OUT RUSTFLAGS CARGO-FLAGS…: cargo, then wasm-bindgen's nodejs and web glues into
# $glue/NAME, the .wasm optimised once for both, its import and export names shortened in both
# glues. RUSTFLAGS with -Ctarget-feature=-reference-types: JS values cross through a table of the
# glue's, not as externrefs (why: scripts/no-reference-types.mjs).
build() {
  local name=$1 out=$2 flags=$3
  shift 3
  RUSTFLAGS="$remap $flags" cargo build --quiet --release --lib --target wasm32-unknown-unknown \
    --target-dir "target/$name" "$@"
  local wasm="target/$name/wasm32-unknown-unknown/release/sehatmu_auth.wasm"
  if [[ $flags == *-reference-types* ]]; then
    mkdir -p "$glue/$name"
    node scripts/no-reference-types.mjs "$wasm" "$glue/$name/sehatmu_auth.wasm"
    wasm="$glue/$name/sehatmu_auth.wasm"
  fi
  # The declarations come from the Rust (its doc comments, typescript_custom_section and
  # unchecked_*_type attributes).
  wasm-bindgen --target nodejs --out-dir "$glue/$name/node" "$wasm"
  wasm-bindgen --target web --no-typescript --out-dir "$glue/$name/web" "$wasm"
  # Both glues load sehatmu_auth_bg.wasm from their own folder, and wasm-bindgen writes the
  # same module for both: one optimised copy serves the two.
  cmp -s "$glue/$name/node/sehatmu_auth_bg.wasm" "$glue/$name/web/sehatmu_auth_bg.wasm"
  # --flatten --rereloop before the second -Oz: 0.1 KB less, gzipped, than -Oz alone.
  node_modules/.bin/wasm-opt -Oz --converge --flatten --rereloop -Oz --converge \
    --strip-debug --strip-producers "$glue/$name/web/sehatmu_auth_bg.wasm" -o "$glue/$name/optimised.wasm"
  cp "$glue/$name/node/sehatmu_auth.js" "$out/sehatmu_auth.cjs"
  cp "$glue/$name/web/sehatmu_auth.js" "$out/sehatmu_auth.js"
  node scripts/minify-names.mjs "$glue/$name/optimised.wasm" "$out/sehatmu_auth_bg.wasm" \
    "$out/sehatmu_auth.cjs" "$out/sehatmu_auth.js"
}
build server pkg/server -Ctarget-feature=-reference-types
# Its glues pass JS values through their table, and no export returns an externref. (`! grep`
# would not stop the script: `set -e` ignores a negated command.)
for file in pkg/server/sehatmu_auth.cjs pkg/server/sehatmu_auth.js; do
  if ! grep -q 'function addHeapObject' "$file" || grep -q 'ExternrefTable' "$file"; then
    echo "$file: wasm-bindgen wrote externref glue for the server build" >&2
    exit 1
  fi
done
# The warm path of TokenClient in the server glues (why: src/wasm/warm.rs).
node scripts/warm-path.mjs pkg/server/sehatmu_auth.cjs pkg/server/sehatmu_auth.js
# The Node glue with the .wasm's bytes and isSehatmuError in it: one file for the entry to load.
node scripts/node-glue.mjs pkg/server/sehatmu_auth.cjs pkg/server/sehatmu_auth_bg.wasm js/errors.js
build browser pkg "" --no-default-features
# Only the web glue of the browser build ships. It is what a page with no bundler downloads, so
# it ships minified, as a bundler would make it (esbuild, no syntax lowered): 6.4 -> 3.8 KB
# gzipped. The server glues stay as wasm-bindgen wrote them, readable in a Node stack trace.
rm pkg/sehatmu_auth.cjs
node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  import { transformSync } from "esbuild";
  const file = "pkg/sehatmu_auth.js";
  writeFileSync(file, transformSync(readFileSync(file, "utf8"), { minify: true, format: "esm" }).code);
'
# Bundlers find the .wasm by this pattern (Vite, webpack, Parcel, Rollup plugins).
grep -q 'new URL("sehatmu_auth_bg.wasm",import.meta.url)' pkg/sehatmu_auth.js

# The package's declarations: the .wasm's exports (the server build's, which has every one),
# then what the loaders add (init, isSehatmuError). The same text serves `import` (.d.ts) and
# `require` (.d.cts). wasm-bindgen declares `[Symbol.dispose]()` on the class, which a
# project compiled without TypeScript's `esnext.disposable` lib rejects; the method is still
# there at run time where the platform has `Symbol.dispose`.
grep -v '^ *\[Symbol\.dispose\](): void;$' "$glue/server/node/sehatmu_auth.d.ts" | cat - js/loader.d.ts > pkg/index.d.ts
if grep -q 'Symbol.dispose' pkg/index.d.ts; then
  echo "pkg/index.d.ts still declares [Symbol.dispose]" >&2
  exit 1
fi
cp pkg/index.d.ts pkg/index.d.cts
size() { gzip -9 -c "$@" | wc -c; }
echo "pkg/ built: browser .wasm $(wc -c < pkg/sehatmu_auth_bg.wasm) B ($(size pkg/sehatmu_auth_bg.wasm) B gzipped)," \
  "server .wasm $(wc -c < pkg/server/sehatmu_auth_bg.wasm) B ($(size pkg/server/sehatmu_auth_bg.wasm) B gzipped)"
