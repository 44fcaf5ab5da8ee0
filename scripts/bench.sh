#!/usr/bin/env bash
# Prints the performance figures: demo generation time into SQLite, archive jobs, client-list
# latency (p50/p95/p99) on the demo data, the intelligence recompute (demo province on SQLite;
# the large province on PostgreSQL against the database's own aggregate), order ingestion
# through the batch API on PostgreSQL, dashboard latency, half-year plans and check-ins under load
# (scripts/bench-visits.sh), the load figures of scripts/bench-load.sh (wrk at 64 connections
# against the list, the card, the dashboard and check-ins, as a share of actix-web's own ceiling;
# and the client list on the scale-100 database), and the WASM size.
#   scripts/bench.sh target/release
# BENCH_PG_SCALE=0 skips the PostgreSQL part (default 100 ≈ 600,000 clients).
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="$1"
data="$(mktemp -d)"
pid=""
pg_db="ygj_bench_$$"
pg_url="postgres://postgres@127.0.0.1:5432/$pg_db"
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$data"
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pg_db" postgres 2>/dev/null || true
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 1 300); do curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "server at $1 did not become ready" >&2; return 1; }
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

echo "== intelligence recompute, demo province (SQLite; target < 1 s)"
YGJ_DATA_DIR="$data" RUST_LOG=warn "$bin_dir/ygj-intel-bench" recompute

echo "== client list and dashboard (demo province, SQLite)"
port="$(free_port)"
YGJ_DATA_DIR="$data" YGJ_BIND="127.0.0.1:$port" RUST_LOG=warn "$bin_dir/youguanjia" serve >"$data/server.log" 2>&1 &
pid=$!
wait_ready "http://127.0.0.1:$port"
"$bin_dir/ygj-bench" --url "http://127.0.0.1:$port" --requests "${BENCH_REQUESTS:-2000}"
echo "-- dashboard (target p99 < 50 ms)"
"$bin_dir/ygj-intel-bench" dashboard --url "http://127.0.0.1:$port" --requests "${BENCH_DASHBOARD_REQUESTS:-300}"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

echo "== monthly scorecards, every account manager of the demo province (SQLite; target < 2 s)"
YGJ_DATA_DIR="$data" RUST_LOG=warn "$bin_dir/ygj-scorecard-bench"

echo "== service SLA job, 10,000 open tickets (SQLite; target < 1 s per run)"
YGJ_DATA_DIR="$data" RUST_LOG=warn "$bin_dir/ygj-service-bench" --tickets "${BENCH_TICKETS:-10000}"

pg_scale="${BENCH_PG_SCALE:-100}"
if [ "$pg_scale" != "0" ]; then
  echo "== PostgreSQL: the province at scale $pg_scale (targets: recompute < 3 min, ≤ 2× the floor, RSS < 2 GB)"
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $pg_db" postgres
  DATABASE_URL="$pg_url" RUST_LOG=warn "$bin_dir/ygj-intel-bench" load --scale "$pg_scale"
  DATABASE_URL="$pg_url" RUST_LOG=warn "$bin_dir/ygj-intel-bench" recompute
  echo "-- order ingestion through the batch API (target ≥ 20,000 rows/s)"
  port="$(free_port)"
  DATABASE_URL="$pg_url" YGJ_DATA_DIR="$data/pg" YGJ_BIND="127.0.0.1:$port" RUST_LOG=warn \
    "$bin_dir/youguanjia" serve >"$data/server-pg.log" 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$port"
  "$bin_dir/ygj-intel-bench" ingest --url "http://127.0.0.1:$port" --rows "${BENCH_INGEST_ROWS:-200000}"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
fi

scripts/bench-visits.sh "$bin_dir"

# The scale-100 database of the PostgreSQL part above (dropped on exit) serves the load
# benchmark's large client list, unless another one is given.
if [ "$pg_scale" = "100" ] && [ -z "${LOAD_SCALE100_URL:-}" ]; then
  LOAD_SCALE100_URL="$pg_url" scripts/bench-load.sh "$bin_dir"
else
  scripts/bench-load.sh "$bin_dir"
fi

echo "== frontend"
wasm=$(ls frontend/dist/*.wasm 2>/dev/null | head -1 || true)
if [ -n "$wasm" ]; then
  printf 'wasm: %s bytes raw, %s bytes gzip, %s bytes brotli\n' \
    "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" "$(stat -c %s "$wasm.br" 2>/dev/null || echo '?')"
else
  echo "frontend/dist has no wasm: run make frontend"
fi
