#!/usr/bin/env bash
# Load figures (issue 8): wrk against the release server on PostgreSQL with the demo province
# (scale 1), jobs off, after a short warm-up per endpoint: the client list (admin and an account
# manager; and again on a second server with its answer cache off, YGJ_ANSWER_CACHE=off), the
# client card (cycling through 2,000 clients), the dashboard (admin and an account
# manager), check-ins (tests/load/checkin.lua) and, as the ceiling, `ygj-hello` — actix-web
# with nothing of ours, same worker count — so every endpoint's req/s is also printed as a
# share of what the framework does on this machine in the same run. Any answer that is not 2xx,
# or a socket error, fails the run.
#
# With LOAD_SCALE100_URL (a PostgreSQL URL of a database already loaded at scale 100, ≈ 600,000
# clients, e.g. by `ygj-intel-bench load --scale 100`), the client list is measured there too:
# the first page as an administrator, a director and an account manager, text searches (a common
# two-character word, a client's two-character brand, four characters of a name), a category, the
# largest city, page 100 — sequentially (one connection) and at 8 and 64 connections, with the
# server's answer cache off so every request reads the database; target p99 < 20 ms. Nothing is written there beyond what the server does itself (its migrations on
# start, the sign-ins' sessions).
#   scripts/bench-load.sh target/release
# LOAD_SECONDS (default 10) per measurement, LOAD_WARMUP (default 3) before each, LOAD_CONNECTIONS
# (default 64); LOAD_DEMO=0 skips the demo-province part.
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="$1"
# free_port, wait_ready, token, ensure_wrk, checkin_clients
source tests/load/common.sh
ensure_wrk
seconds="${LOAD_SECONDS:-10}"
warmup="${LOAD_WARMUP:-3}"
connections="${LOAD_CONNECTIONS:-64}"
data="$(mktemp -d)"
pids=()
pg_db="ygj_load_$$"
pg_url="postgres://postgres@127.0.0.1:5432/$pg_db"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pg_db" postgres 2>/dev/null || true
}
trap cleanup EXIT
results="$data/results"
: >"$results"
failed=0

# serving URL PID LOG SECONDS: waits for the server to answer /readyz; if it exits or the time
# runs out, shows the end of its log and fails.
serving() {
  for _ in $(seq 1 $(( $4 * 5 ))); do
    curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.2
  done
  echo "FAILED: the server at $1 is not ready:" >&2
  tail -20 "$3" >&2
  exit 1
}

# measure LABEL CONNECTIONS URL SCRIPT [VAR=value…]: a warm-up that is not counted, then the
# measured run; its RESULT line goes to $results under LABEL. Non-2xx answers or socket errors
# mark the run failed.
measure() {
  local label="$1" conns="$2" url="$3" script="$4"
  shift 4
  local threads=2
  [ "$conns" -lt 2 ] && threads=1
  if [ "$warmup" != "0" ]; then
    env "$@" LOAD_NAME=warm-up wrk -t"$threads" -c"$conns" -d"${warmup}s" --timeout 30s -s "$script" "$url" >/dev/null
  fi
  env "$@" LOAD_NAME="$label" wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 30s -s "$script" "$url" \
    >"$data/wrk.out" 2>"$data/wrk.err" || { cat "$data/wrk.out" "$data/wrk.err" >&2; failed=1; return 0; }
  local fields line
  fields="$(grep -m1 '^RESULT ' "$data/wrk.out" | sed 's/^.* requests=/requests=/')" || true
  line="RESULT $label"$'\t'"$fields"
  if [ -z "$fields" ]; then
    echo "FAILED: $label: wrk printed no result" >&2
    cat "$data/wrk.out" "$data/wrk.err" >&2
    failed=1
    return 0
  fi
  printf '%s\tc=%s\n' "$line" "$conns" >>"$results"
  if ! grep -q 'non2xx=0 errors=0' <<<"$line"; then
    echo "FAILED: $label: answers that were not 2xx, or socket errors:" >&2
    echo "$line" >&2
    head -5 "$data/wrk.err" >&2
    failed=1
  fi
  printf '  %-40s %s\n' "$label (c=$conns)" "$(cut -f2 <<<"$line")"
}

# table TITLE [CEILING_LABEL]: the rows of $results so far, then empties it.
table() {
  python3 - "$results" "$1" "${2:-}" <<'PY'
import sys
rows = []
for line in open(sys.argv[1], encoding="utf-8"):
    label, fields, conns = line.rstrip("\n").split("\t")
    f = dict(kv.split("=") for kv in fields.split())
    rows.append((label.removeprefix("RESULT "), conns.removeprefix("c="), f))
title, ceiling = sys.argv[2], sys.argv[3]
base = next((float(f["rps"]) for label, _, f in rows if label == ceiling), None)
load = open("/proc/loadavg").read().split()[:3]
print(f"\n{title}; load average now {' '.join(load)}")
head = f"{'endpoint':<44} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'non-2xx':>7}"
if base:
    head += f" {'of hello':>9}"
print(head)
for label, conns, f in rows:
    line = (f"{label:<44} {conns:>5} {float(f['rps']):>9.0f} {float(f['p50_ms']):>8.2f} "
            f"{float(f['p99_ms']):>8.2f} {float(f['max_ms']):>8.1f} {int(f['non2xx']) + int(f['errors']):>7}")
    if base:
        line += f" {100 * float(f['rps']) / base:>7.2f} %"
    print(line)
PY
  : >"$results"
}

if [ "${LOAD_DEMO:-1}" != "0" ]; then
echo "== load: demo province (scale 1) on PostgreSQL, release build, jobs off, wrk -c$connections, ${warmup} s warm-up + ${seconds} s each"
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $pg_db" postgres
DATABASE_URL="$pg_url" YGJ_DATA_DIR="$data/files" RUST_LOG=warn "$bin_dir/youguanjia" demo --scale 1 >/dev/null
# Steady state, as a running system is: statistics gathered and the bulk load's WAL
# checkpointed, so autovacuum and the checkpointer stay out of the measured windows.
psql -q -h 127.0.0.1 -U postgres "$pg_db" -c "VACUUM ANALYZE" -c "CHECKPOINT"
port="$(free_port)"
url="http://127.0.0.1:$port"
DATABASE_URL="$pg_url" YGJ_DATA_DIR="$data/files" YGJ_BIND="127.0.0.1:$port" YGJ_JOBS=off RUST_LOG=warn \
  "$bin_dir/youguanjia" serve >"$data/server.log" 2>&1 &
pids+=($!)
# The same server with its answer cache off: what a list request costs when it reads the database.
nocache_port="$(free_port)"
nocache_url="http://127.0.0.1:$nocache_port"
DATABASE_URL="$pg_url" YGJ_DATA_DIR="$data/files" YGJ_BIND="127.0.0.1:$nocache_port" YGJ_JOBS=off \
  YGJ_ANSWER_CACHE=off RUST_LOG=warn "$bin_dir/youguanjia" serve >"$data/server-nocache.log" 2>&1 &
pids+=($!)
hello_port="$(free_port)"
"$bin_dir/ygj-hello" --bind "127.0.0.1:$hello_port" >"$data/hello.log" 2>&1 &
pids+=($!)
serving "$url" "${pids[0]}" "$data/server.log" 60
serving "$nocache_url" "${pids[1]}" "$data/server-nocache.log" 60
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$hello_port/hello" >/dev/null 2>&1 && break; sleep 0.1; done
admin="$(token "$url" admin)"
manager="$(token "$url" manager)"
psql -tA -h 127.0.0.1 -U postgres "$pg_db" \
  -c "SELECT '/api/v1/clients/' || id FROM clients ORDER BY md5(id::text) LIMIT 2000" >"$data/cards"

measure "hello world (ygj-hello)" "$connections" "http://127.0.0.1:$hello_port/hello" tests/load/get.lua
measure "client list, 50 rows (admin)" "$connections" "$url/api/v1/clients?per_page=50" tests/load/get.lua \
  LOAD_TOKEN="$admin"
measure "client list, 50 rows (account manager)" "$connections" "$url/api/v1/clients?per_page=50" tests/load/get.lua \
  LOAD_TOKEN="$manager"
measure "client list, 50 rows (admin, cache off)" "$connections" "$nocache_url/api/v1/clients?per_page=50" \
  tests/load/get.lua LOAD_TOKEN="$admin"
measure "client list, 50 rows (manager, cache off)" "$connections" "$nocache_url/api/v1/clients?per_page=50" \
  tests/load/get.lua LOAD_TOKEN="$manager"
measure "client card, 2,000 clients (admin)" "$connections" "$url" tests/load/get.lua \
  LOAD_TOKEN="$admin" LOAD_PATHS_FILE="$data/cards"
measure "dashboard (admin)" "$connections" "$url/api/v1/analytics/dashboard" tests/load/get.lua \
  LOAD_TOKEN="$admin"
measure "dashboard (account manager)" "$connections" "$url/api/v1/analytics/dashboard" tests/load/get.lua \
  LOAD_TOKEN="$manager"
clients="$(checkin_clients "$url" "$manager")"
# The warm-up's check-ins give the visits table rows to plan by (see scripts/bench-visits.sh).
CHECKIN_TOKEN="$manager" CHECKIN_CLIENTS="$clients" CHECKIN_RUN="warm$$" \
  wrk -t2 -c"$connections" -d"${warmup}s" -s tests/load/checkin.lua "$url" >/dev/null
psql -q -h 127.0.0.1 -U postgres "$pg_db" -c "ANALYZE visits" -c "ANALYZE audit_log"
warmup=0 measure "check-in (account manager)" "$connections" "$url" tests/load/checkin.lua \
  CHECKIN_TOKEN="$manager" CHECKIN_CLIENTS="$clients" CHECKIN_RUN="$$"
table "load, demo province (scale 1), PostgreSQL, $(nproc) cores shared by wrk, server and database" \
  "hello world (ygj-hello)"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
fi

if [ -n "${LOAD_SCALE100_URL:-}" ]; then
  echo
  echo "== client list at scale 100 (target p99 < 20 ms)"
  big_psql=(psql -tA "$LOAD_SCALE100_URL")
  count="$("${big_psql[@]}" -c "SELECT COUNT(*) FROM clients")"
  if [ "$count" -lt 500000 ]; then
    echo "FAILED: $LOAD_SCALE100_URL has $count clients, not a scale-100 province (≈ 600,000)" >&2
    exit 1
  fi
  echo "$count clients"
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  # Cache off: every request reads the database, as a first look at a page does.
  DATABASE_URL="$LOAD_SCALE100_URL" YGJ_DATA_DIR="$data/files100" YGJ_BIND="127.0.0.1:$port" YGJ_JOBS=off \
    YGJ_ANSWER_CACHE=off RUST_LOG=warn "$bin_dir/youguanjia" serve >"$data/server100.log" 2>&1 &
  pids+=($!)
  # Migrations may build indexes over 600,000 rows first.
  serving "$url" "${pids[-1]}" "$data/server100.log" 600
  admin="$(token "$url" admin)"
  manager="$(token "$url" manager)"
  # A city (a unit with counties below it) and words that occur in names.
  city="$("${big_psql[@]}" -c "SELECT p.id FROM org_units p JOIN org_units c ON c.parent_id = p.id
    JOIN clients k ON k.org_unit_id = c.id GROUP BY p.id ORDER BY COUNT(*) DESC, p.id LIMIT 1")"
  director="$(token "$url" director)"
  list="$url/api/v1/clients?per_page=50"
  enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
  # Searches as people type them: a common two-character word, a client's brand (two
  # characters) and four characters of a name, from a client picked at random.
  read -r brand fragment <<<"$("${big_psql[@]}" -F' ' -c "SELECT substr(name, 3, 2), substr(name, 3, 4)
    FROM clients WHERE char_length(name) >= 8 ORDER BY md5(id::text) LIMIT 1")"
  # The common word matches ~28,000 clients; a search's total is counted up to 1,000.
  all="1 8 $connections"
  variants=(
    "first page (admin)|$list|$admin|$all"
    "first page (director)|$list|$director|$all"
    "first page (account manager)|$list|$manager|$all"
    "q=物流 (admin)|$list&q=$(enc 物流)|$admin|$all"
    "q=$brand (admin)|$list&q=$(enc "$brand")|$admin|$all"
    "q=$fragment (admin)|$list&q=$(enc "$fragment")|$admin|$all"
    "category=trader (admin)|$list&category=trader|$admin|$all"
    "org_unit_id=<largest city> (admin)|$list&org_unit_id=$city|$admin|$all"
    "page 100 (admin)|$list&page=100|$admin|$all"
  )
  for variant in "${variants[@]}"; do
    IFS='|' read -r label target who levels <<<"$variant"
    curl -fsS -o /dev/null -H "Authorization: Bearer $who" "$target" \
      || { echo "FAILED: $label: $target" >&2; failed=1; continue; }
    for conns in $levels; do
      measure "$label" "$conns" "$target" tests/load/get.lua LOAD_TOKEN="$who"
    done
  done
  table "client list at scale 100 ($count clients), PostgreSQL; c=1 is sequential; target p99 < 20 ms"
fi

if [ "$failed" -ne 0 ]; then
  echo "FAILED: some load runs had answers that were not 2xx or socket errors (see above)" >&2
  exit 1
fi
