#!/usr/bin/env bash
# Visit figures (issue: visits): half-year plans for the whole demo province, and check-ins
# under load on PostgreSQL with wrk (64 connections, one request in ten a retry of the one
# before), then the database is asked whether any check-in was lost or stored twice; last, the
# service SLA job over 10,000 open tickets on the same PostgreSQL database.
#   scripts/bench-visits.sh target/release
# BENCH_CHECKIN_SECONDS (default 20) sets the load's length.
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="$1"
data="$(mktemp -d)"
pid=""
pg_db="ygj_bench_visits_$$"
pg_url="postgres://postgres@127.0.0.1:5432/$pg_db"
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$data"
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pg_db" postgres 2>/dev/null || true
}
trap cleanup EXIT
# free_port, wait_ready, token, ensure_wrk, checkin_clients
source tests/load/common.sh
ensure_wrk

echo "== route quality (heuristic vs exact optimum; target mean gap < 3 %, never worse than nearest neighbour)"
"$bin_dir/ygj-intel-bench" routes --days 2000 --max-stops 10

echo "== half-year plans, whole demo province (SQLite; target < 5 s)"
YGJ_DATA_DIR="$data" RUST_LOG=warn "$bin_dir/youguanjia" demo --scale 1 >/dev/null
port="$(free_port)"
url="http://127.0.0.1:$port"
YGJ_DATA_DIR="$data" YGJ_BIND="127.0.0.1:$port" YGJ_JOBS=off RUST_LOG=warn \
  "$bin_dir/youguanjia" serve >"$data/server.log" 2>&1 &
pid=$!
wait_ready "$url"
admin="$(token "$url" admin)"
next_half=$(python3 -c 'import datetime; d=datetime.date.today(); print(f"{d.year+1}-h1" if d.month>6 else f"{d.year}-h2")')
for round in first again; do
  start=$(date +%s%N)
  curl -fsS -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"half_year\":\"$next_half\"}" "$url/api/v1/plans/generate" >"$data/plan.json"
  end=$(date +%s%N)
  python3 - "$data/plan.json" "$(( (end - start) / 1000000 ))" "$round" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"plans {r['half_year']} ({sys.argv[3]}): {r['assignees']} account managers, {r['clients_due']} clients due, "
      f"{r['created']} tasks created, {r['kept']} kept, {r['unplanned']} unplanned; "
      f"server {r['elapsed_ms']} ms, request {sys.argv[2]} ms")
for q in r["quotas"]:
    print(f"  quota {q['level']}: {q['assignees']} people, {q['clients_due']} clients due, "
          f"{q['created']} created, {q['kept']} kept, {q['unplanned']} unplanned")
PY
done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

echo "== check-ins under load (PostgreSQL, wrk -c64; target ≥ 1,000/s, none lost or doubled)"
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $pg_db" postgres
DATABASE_URL="$pg_url" YGJ_DATA_DIR="$data/pg" RUST_LOG=warn "$bin_dir/youguanjia" demo --scale 1 >/dev/null
# Steady state, as a running system is: the bulk load's statistics gathered and its WAL
# checkpointed, so autovacuum and the checkpointer do not run inside the measured window.
psql -q -h 127.0.0.1 -U postgres "$pg_db" -c "VACUUM ANALYZE" -c "CHECKPOINT"
port="$(free_port)"
url="http://127.0.0.1:$port"
DATABASE_URL="$pg_url" YGJ_DATA_DIR="$data/pg" YGJ_BIND="127.0.0.1:$port" YGJ_JOBS=off RUST_LOG=warn \
  "$bin_dir/youguanjia" serve >"$data/server-pg.log" 2>&1 &
pid=$!
wait_ready "$url"
manager="$(token "$url" manager)"
clients="$(checkin_clients "$url" "$manager")"
# Five seconds of the same load first, not counted: connections, statement caches and the
# database's buffers warm, as on a server that has been running. The demo has no visits, so the
# planner's statistics say the table is empty until it is analysed with some in it (a running
# system's tables are not empty): without that, the idempotency-key look-up is planned as a scan
# of a table that grows by a thousand rows a second.
CHECKIN_TOKEN="$manager" CHECKIN_CLIENTS="$clients" CHECKIN_RUN="warm$$" \
  wrk -t2 -c64 -d5s -s tests/load/checkin.lua "$url" >/dev/null
psql -q -h 127.0.0.1 -U postgres "$pg_db" -c "ANALYZE visits" -c "ANALYZE audit_log"
run="$$"
CHECKIN_TOKEN="$manager" CHECKIN_CLIENTS="$clients" CHECKIN_RUN="$run" \
  wrk -t2 -c64 -d"${BENCH_CHECKIN_SECONDS:-20}s" --latency -s tests/load/checkin.lua "$url" >"$data/wrk.out"
grep -E '^check-ins|^distinct|Latency|Non-2xx|Socket errors' "$data/wrk.out" || true
counts=$(sed -n 's/^KEYS=\([0-9]*\) CREATED=\([0-9]*\) REPLAYED=\([0-9]*\) OTHER=\([0-9]*\)$/\1 \2 \3 \4/p' "$data/wrk.out")
read -r keys created replayed other <<<"$counts"
read -r stored distinct <<<"$(psql -tA -F' ' -h 127.0.0.1 -U postgres "$pg_db" \
  -c "SELECT COUNT(*), COUNT(DISTINCT (user_id, idempotency_key)) FROM visits WHERE idempotency_key LIKE 'wrk-$run-%'")"
echo "database: $stored check-ins stored, $distinct distinct keys; duplicates $(( stored - distinct ))"
echo "acknowledged 201 but missing: $(( created > stored ? created - stored : 0 )); stored without a 201 seen (in flight when wrk stopped): $(( stored - created ))"
if [ "$stored" -ne "$distinct" ] || [ "$stored" -lt "$created" ] || [ "$stored" -gt "$keys" ] || [ "$other" -ne 0 ]; then
  echo "FAILED: check-ins lost, doubled or refused" >&2
  exit 1
fi
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

echo "== service SLA job, 10,000 open tickets (PostgreSQL; target < 1 s per run)"
DATABASE_URL="$pg_url" YGJ_DATA_DIR="$data/pg" RUST_LOG=warn "$bin_dir/ygj-service-bench" --tickets "${BENCH_TICKETS:-10000}"
