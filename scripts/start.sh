#!/usr/bin/env bash
# npm start: build the package and serve examples/worker with wrangler dev and a local D1 on
# 127.0.0.1:8787. No Cloudflare account needed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false
bash scripts/setup.sh --build-only
node scripts/build.mjs
cd examples/worker
exec wrangler dev --local --ip 127.0.0.1 --port "${PORT:-8787}" --persist-to ../../.wrangler/state "$@"
