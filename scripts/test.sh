#!/usr/bin/env bash
# Every test, as CI runs it: lints, the native core, the wasm facade in Node and headless
# Chromium, then the packed npm package installed into an empty project, tested in Node and
# type-checked with tsc --strict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests

step() { printf '\n== %s\n' "$*"; }

step "format and lints (host and wasm32)"
cargo fmt --check
cargo fmt --check --manifest-path fuzz/Cargo.toml
cargo clippy --quiet --all-targets -- -D warnings
# The .wasm's own panic handler and allocator (no `std`), for servers and for browsers (no
# token stores), then the tests, which link `std`.
cargo clippy --quiet --lib --target wasm32-unknown-unknown -- -D warnings
cargo clippy --quiet --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings
cargo clippy --quiet --all-targets --target wasm32-unknown-unknown --features std -- -D warnings

step "native core tests"
cargo test --quiet --features serde_json

step "fuzzing the response parser and the date parsers (60 s smoke run)"
# cargo-fuzz passes -Z flags; this machine has only a stable toolchain, which accepts them
# under RUSTC_BOOTSTRAP=1.
# A crash fails the step and leaves its input in fuzz/artifacts/.
mkdir -p target
if ! (
  cd fuzz
  export RUSTC_BOOTSTRAP=1
  mkdir -p corpus/interpret corpus/dates # libFuzzer needs the folders it is given to exist
  cargo fuzz run interpret corpus/interpret seeds/interpret -- -max_total_time=40
  cargo fuzz run dates corpus/dates -- -max_total_time=20
) > target/fuzz.log 2>&1; then
  tail -n 60 target/fuzz.log
  exit 1
fi
grep -E '^Done [0-9]+ runs' target/fuzz.log

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
step "wasm bindings tests in Node (the server build)"
cargo test --target wasm32-unknown-unknown --features std --tests
step "wasm bindings tests in headless Chromium (the browser build, without token stores)"
WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test --target wasm32-unknown-unknown --no-default-features --features std --tests

step "build and pack, within the size budget"
bash scripts/build.sh
node scripts/size.mjs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
consumer="$work/consumer"
mkdir "$consumer"
(
  cd "$consumer"
  echo '{ "name": "consumer", "private": true, "type": "module" }' > package.json
  npm install --silent --no-audit --no-fund "$tarball"
  printf 'export * from "sehatmu-auth";\nexport * as mock from "sehatmu-auth/mock";\n' > esm.js
  printf 'module.exports = require("sehatmu-auth");\n' > cjs.cjs
  printf 'export * from "sehatmu-auth/proxy";\n' > proxy.js
)
cp tests/types/usage.ts tests/types/tsconfig.json "$consumer/"

cp tests/types/tsconfig.bundler.json "$consumer/"

step "types: tsc --strict on a usage file against the installed package (node16 and bundler)"
node_modules/.bin/tsc -p "$consumer/tsconfig.json"
node_modules/.bin/tsc -p "$consumer/tsconfig.bundler.json"
echo "tsc: no errors"

step "package lint: publint --strict, and attw (strict for the main entry)"
lint=tests/runtimes/node_modules/.bin
"$lint/publint" --strict "$tarball"
"$lint/attw" "$tarball" --entrypoints . --no-emoji
# /web (the browser entry) and /mock (a Node test server) are ES modules by design: require()
# of them needs Node's require(esm) (>= 20.19) or import(). node10 resolution has no subpaths.
"$lint/attw" "$tarball" --profile node16 --ignore-rules cjs-resolves-to-esm --no-emoji --format table-flipped

step "Node tests of the installed package against the mock server"
SEHATMU_CONSUMER="$consumer" SEHATMU_TARBALL="$tarball" node --test tests/node/

step "the packed package in Node, Deno, Bun, workerd, and Chromium via Vite, webpack, esbuild and no bundler"
SEHATMU_TARBALL="$tarball" node --test tests/runtimes/

step "demo page in headless Chromium (playwright-core), served by the README's main command"
node --test tests/e2e/
