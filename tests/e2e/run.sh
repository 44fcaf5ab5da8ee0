#!/usr/bin/env bash
# Browser test: starts the real server (its own SQLite database, a small demo province) and runs
# the node:test suites in this folder against it in headless Chromium.
#   tests/e2e/run.sh path/to/youguanjia
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$1"
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
log="$data/server.log"
YGJ_DATA_DIR="$data" YGJ_BIND="127.0.0.1:$port" YGJ_FRONTEND_DIR=frontend/dist \
  "$bin" serve --demo --scale 0.2 >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "server exited" >&2; exit 1; fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$log"; exit 1; }
cd tests/e2e
BASE_URL="http://127.0.0.1:$port" node --test --test-reporter=spec ./*.test.mjs || { tail -50 "$log"; exit 1; }
