#!/usr/bin/env bash
# Prints the Foundation figures: demo generation time into SQLite, client-list latency
# (p50/p95/p99) on the demo data, and the WASM size.   scripts/bench.sh target/release
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="$1"
data="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

echo "== demo generator alone (streamed, nothing written; target: scale 1 well under 2 s)"
YGJ_DATA_DIR="$data" RUST_LOG=warn "$bin_dir/youguanjia" demo --generate-only --scale 1
YGJ_DATA_DIR="$data" RUST_LOG=warn "$bin_dir/youguanjia" demo --generate-only --scale "${BENCH_BIG_SCALE:-100}"

echo "== demo generation (scale 1, SQLite, release build)"
start=$(date +%s%N)
YGJ_DATA_DIR="$data" RUST_LOG=warn "$bin_dir/youguanjia" demo --scale "${BENCH_SCALE:-1}"
end=$(date +%s%N)
echo "demo command total (incl. migrations): $(( (end - start) / 1000000 )) ms"

echo "== archives (expiry job twice, then the export of every archive; targets < 2 s and < 200 MB)"
YGJ_DATA_DIR="$data" RUST_LOG=warn "$bin_dir/ygj-archive-bench"

echo "== client list"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
YGJ_DATA_DIR="$data" YGJ_BIND="127.0.0.1:$port" RUST_LOG=warn "$bin_dir/youguanjia" serve >"$data/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
"$bin_dir/ygj-bench" --url "http://127.0.0.1:$port" --requests "${BENCH_REQUESTS:-2000}"

echo "== frontend"
wasm=$(ls frontend/dist/*.wasm 2>/dev/null | head -1 || true)
if [ -n "$wasm" ]; then
  printf 'wasm: %s bytes raw, %s bytes gzip, %s bytes brotli\n' \
    "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" "$(stat -c %s "$wasm.br" 2>/dev/null || echo '?')"
else
  echo "frontend/dist has no wasm: run make frontend"
fi
