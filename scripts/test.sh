#!/usr/bin/env bash
# Every test, as CI runs it: lints, the docs' links, the native core, the wasm facade in Node
# and headless Chromium, then the packed npm package installed into an empty project:
# type-checked with tsc --strict, linted, `npm publish --dry-run`, its Node tests on the
# machine's Node and on Node 22, 24 and 26, the other runtimes and bundlers, Next.js 16, and the
# demo page.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
source scripts/node-lines.sh
node24=$(node_line 24)

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

step "the docs: relative links and anchors in README.md and docs/, and the package entries their examples import"
# From the work tree: docs/ does not ship in the package.
node --test tests/docs.test.js

step "native core tests"
cargo test --quiet --features serde_json

step "fuzzing the response parser, the date parsers and the proxy's path rule (60 s smoke run)"
# cargo-fuzz passes -Z flags; this machine has only a stable toolchain, which accepts them
# under RUSTC_BOOTSTRAP=1.
# A crash fails the step and leaves its input in fuzz/artifacts/.
mkdir -p target
if ! (
  cd fuzz
  export RUSTC_BOOTSTRAP=1
  mkdir -p corpus/interpret corpus/dates corpus/proxy_route # libFuzzer needs the folders it is given to exist
  cargo fuzz run interpret corpus/interpret seeds/interpret -- -max_total_time=30
  cargo fuzz run dates corpus/dates -- -max_total_time=15
  cargo fuzz run proxy_route corpus/proxy_route seeds/proxy_route -- -max_total_time=15
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
otel=$(node -p 'const dev = require("./package.json").devDependencies;
  Object.keys(dev).filter((name) => name.startsWith("@opentelemetry/")).map((name) => `${name}@${dev[name]}`).join(" ")')
# The HTTP clients of the adapters, beside the tarball as a user installs them (optional peer
# dependencies): the devDependencies' versions.
adapter_libraries=$(node -p 'const d = require("./package.json").devDependencies; ["axios", "ky", "undici"].map((n) => `${n}@${d[n]}`).join(" ")')
(
  cd "$consumer"
  echo '{ "name": "consumer", "private": true, "type": "module" }' > package.json
  # OpenTelemetry beside the package, as a user installs it (its optional peer dependency), at
  # the versions of the devDependencies: tests/node/otel.test.js loads them through otel.js, so
  # that the tests and the package's sehatmu-auth/otel share the one @opentelemetry/api.
  # shellcheck disable=SC2086 # $otel, $adapter_libraries: package specs without spaces, one word each
  npm install --silent --no-audit --no-fund "$tarball" $otel $adapter_libraries
  printf 'export * from "sehatmu-auth";\nexport * as mock from "sehatmu-auth/mock";\n' > esm.js
  printf '%s\n' 'export { instrument } from "sehatmu-auth/otel";' 'export * as api from "@opentelemetry/api";' \
    'export * as traceBase from "@opentelemetry/sdk-trace-base";' 'export * as sdkMetrics from "@opentelemetry/sdk-metrics";' \
    'export * as asyncHooks from "@opentelemetry/context-async-hooks";' > otel.js
  printf 'module.exports = require("sehatmu-auth");\n' > cjs.cjs
  printf 'export * from "sehatmu-auth/proxy";\n' > proxy.js
  printf '%s\n' 'export * from "sehatmu-auth/axios";' 'export * from "sehatmu-auth/ky";' 'export * from "sehatmu-auth/undici";' \
    'export { default as axios } from "axios";' 'export { default as ky } from "ky";' 'export * as undici from "undici";' > adapters.js
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

step "npm publish --dry-run, as a release runs it: no warning, nothing that should not ship"
# From the work tree, not of the tarball: npm's package.json corrections (each a warning) are
# made, and reported, only when it packs a folder.
npm publish --dry-run > "$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
grep -E '^npm (notice|warn)' "$work/publish.log" | grep -vE '^npm notice *$'
# The one warning about this machine rather than the package: no one is logged in to npm here.
warnings=$(grep -i '^npm warn' "$work/publish.log" | grep -v '^npm warn publish This command requires you to be logged in' || true)
if [ -n "$warnings" ]; then
  printf 'npm publish --dry-run warned:\n%s\n' "$warnings"
  exit 1
fi
shipped=$(tar -tzf "$tarball" | sed 's|^package/||') # the same files as the dry run's
unexpected=$(grep -vxE 'package\.json|README\.md|CHANGELOG\.md|LICENSE-(MIT|APACHE)|bin/[a-z-]+\.js|js/[a-z-]+\.(js|cjs|mjs|d\.ts)|mock/[a-z]+\.(js|d\.ts)|pkg/(server/)?[a-z_]+\.(js|cjs|d\.ts|d\.cts|wasm)' <<< "$shipped" || true)
if [ -n "$unexpected" ]; then
  printf 'files that should not ship:\n%s\n' "$unexpected"
  exit 1
fi
for file in LICENSE-MIT LICENSE-APACHE CHANGELOG.md; do grep -qx "$file" <<< "$shipped"; done
if tar -xzOf "$tarball" | grep -aF -e "$PWD" -e "${CARGO_HOME:-$HOME/.cargo}" > /dev/null; then # no -q: tar must not get a SIGPIPE
  echo "the tarball holds this machine's paths"
  exit 1
fi
echo "npm publish --dry-run: no warning; $(wc -l <<< "$shipped") files, none unexpected"

# The machine's Node (Debian's 20), then the lines of scripts/node-lines.sh; each one's bin first
# on PATH, so that the child processes and the sehatmu-auth command run on it too.
# The files are listed: Node 22 and later take globs, not a folder, after --test.
node_tests=$(shopt -s nullglob; echo tests/node/*.test.{js,cjs,mjs})
for node in "$(command -v node)" $(for version in "${NODE_LINES[@]}"; do echo "$(node_line_dir "$version")/bin/node"; done); do
  step "Node tests of the installed package against the mock server: Node $("$node" --version)"
  # shellcheck disable=SC2086 # $node_tests: file names without spaces, one word each
  PATH="$(dirname "$node"):$PATH" SEHATMU_CONSUMER="$consumer" SEHATMU_TARBALL="$tarball" \
    "$node" --test $node_tests
done

# On Node 24: miniflare 4 (current workerd) needs Node >= 22.
step "the packed package in Node 24, Deno, Bun, workerd, and Chromium via Vite, webpack, esbuild and no bundler"
PATH="$(dirname "$node24"):$PATH" SEHATMU_TARBALL="$tarball" "$node24" --test tests/runtimes/*.test.js

step "Next.js 16 (Turbopack and webpack builds) on Node 24: a route handler and a client component, no config"
PATH="$(dirname "$node24"):$PATH" SEHATMU_TARBALL="$tarball" "$node24" --test tests/frameworks/next/*.test.mjs

step "demo page in headless Chromium (playwright-core): served by the README's main command, and by a plain static server"
node --test tests/e2e/*.test.js
