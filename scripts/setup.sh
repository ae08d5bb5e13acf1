#!/usr/bin/env bash
# Installs what building and testing need, skipping whatever is already there (idempotent).
#   scripts/setup.sh               everything `npm test` needs, browsers included
#   scripts/setup.sh --build-only  what `npm run build` and `npm start` need
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
mode=${1:-all}
say() { printf '[setup] %s\n' "$*"; }

command -v cargo >/dev/null || { echo "itty-session needs Rust: install rustup (https://rustup.rs), then run this again" >&2; exit 1; }
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || { say "adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
[ -f Cargo.lock ] || cargo generate-lockfile
want=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ]; then
  say "installing wasm-bindgen-cli $want (a few minutes, once)"
  # Not --locked: its lockfile names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want"
fi
command -v wasm-pack >/dev/null || { say "installing wasm-pack (a few minutes, once)"; cargo install wasm-pack; }

# npm packages (wasm-opt comes from the binaryen package); reinstall when the lockfile changed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund
fi
# better-sqlite3 (the Node example's store) is a native module built by its install script; build
# it if the package manager skipped that.
if [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  say "building better-sqlite3"
  npm rebuild better-sqlite3
fi

[ "$mode" = --build-only ] && exit 0

# cargo fmt and cargo clippy for the lint step of `npm test`.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  say "adding rustfmt and clippy"
  rustup component add clippy rustfmt
fi

# Headless browsers for the wasm-bindgen tests (Debian's packages; wasm-pack's downloads fail offline).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v firefox-esr >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    say "installing chromium, chromium-driver and firefox-esr"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver firefox-esr >/dev/null
  else
    echo "[setup] browsers missing: run as root, or: sudo apt-get install chromium chromium-driver firefox-esr" >&2
  fi
fi
command -v geckodriver >/dev/null || { say "installing geckodriver (once)"; cargo install geckodriver; }

# redis-server for the Redis provider's tests (they start their own throwaway servers on free ports).
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    say "installing redis-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "[setup] redis-server missing (the Redis provider's tests need it): run as root, or: sudo apt-get install redis-server" >&2
  fi
fi

# PostgreSQL for the PostgreSQL provider's tests (each test file runs initdb into a temp dir and
# starts its own throwaway server on a free port, as the `postgres` user when run as root).
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ! command -v postgres >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    say "installing postgresql"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "[setup] PostgreSQL missing (the PostgreSQL provider's tests need it): run as root, or: sudo apt-get install postgresql" >&2
  fi
fi
