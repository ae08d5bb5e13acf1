#!/usr/bin/env bash
# npm test: install what is missing, build, check Rust formatting and lints (rustfmt, clippy), then
# run every test: Rust (native and in headless Chromium and Firefox), the cookie conformance run,
# and the workerd + local D1 integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false
bash scripts/setup.sh
node scripts/build.mjs

step() { printf '\n=== %s\n' "$*"; }
# The fuzz crate (fuzz/, its own workspace) is not linted: its checks (fuzz/targets.rs) are, as
# part of src/fuzz_replay.rs, and its entry points are one-line macros over libFuzzer.
step "Rust format and lints (clippy natively and for wasm32, warnings are errors)"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --target wasm32-unknown-unknown -- -D warnings

step "Rust unit, property and conformance tests (native)"
cargo test --quiet

step "Rust core as wasm in headless Chromium"
wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" --release
step "Rust core as wasm in headless Firefox"
wasm-pack test --headless --firefox --geckodriver "$(command -v geckodriver)" --release

step "JS: cookie conformance, middleware in workerd with a real local D1, the packed package"
node --test --test-concurrency=1 tests/*.test.mjs
