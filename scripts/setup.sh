#!/usr/bin/env bash
# Installs what building needs, skipping what is already there: the wasm32 target,
# wasm-bindgen-cli of the version Cargo.toml pins and the npm packages; with --tests also
# Debian's Chromium with its driver and redis-server, cargo-fuzz, and the runtimes and bundlers of
# tests/runtimes (their own npm project). Safe to run again and again.
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
if [ "${1:-}" = "--tests" ]; then
  npm_ci tests/runtimes
fi

if [ "${1:-}" = "--tests" ] && ! { command -v chromium && command -v chromedriver && command -v redis-server; } >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver redis-server
fi
