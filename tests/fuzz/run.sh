#!/usr/bin/env bash
# API fuzzing: starts the real server on a fresh SQLite database with a small demo province,
# signs in as the demo administrator and lets schemathesis generate requests for every operation
# of the server's own /api-docs/openapi.json, with every check (no 5xx, status codes, content
# types, headers and bodies as the spec declares them, bad input rejected, good input accepted,
# auth not ignored, 405 for undeclared methods, …). Prints the number of generated cases and of
# failures; exits non-zero on any failure.
#   tests/fuzz/run.sh path/to/youguanjia [max-examples-per-operation]
# Environment: FUZZ_SEED (default 20261206, for reproducible runs), FUZZ_WORKERS (default 1: with
# two threads, Python 3.11.7 now and then fails inside hypothesis with "AST constructor recursion
# depth mismatch", a CPython bug), FUZZ_PHASES (default examples,coverage,fuzzing,stateful), FUZZ_REPORT_DIR (kept reports).
# Needs schemathesis: scripts/install-tools.sh --fuzz.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$1"
max_examples="${2:-5}"
venv="${YGJ_FUZZ_VENV:-$HOME/.cache/youguanjia/fuzz-venv}"
st="$venv/bin/schemathesis"
[ -x "$st" ] || { echo "schemathesis missing: run scripts/install-tools.sh --fuzz" >&2; exit 1; }

data="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
base="http://127.0.0.1:$port"
log="$data/server.log"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

# Scheduled jobs off: the fuzzer runs them on demand (POST /api/v1/jobs/{name}/run) and a cron
# firing in the middle would only make the run less reproducible.
YGJ_DATA_DIR="$data" YGJ_BIND="127.0.0.1:$port" YGJ_JOBS=off YGJ_FRONTEND_DIR="$data/no-frontend" \
  YGJ_JWT_SECRET="fuzz-secret-0123456789-abcdefghijklmnop" RUST_LOG="${RUST_LOG:-warn}" \
  "$bin" serve --demo --scale 0.05 >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 240); do
  if curl -fsS "$base/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "server exited" >&2; exit 1; fi
  sleep 0.5
done
curl -fsS "$base/readyz" >/dev/null || { cat "$log"; exit 1; }

token="$(curl -fsS -H 'Content-Type: application/json' -d '{"username":"admin","password":"Demo@2026"}' \
  "$base/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
admin_id="$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/me" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"

report_dir="$(realpath -m "${FUZZ_REPORT_DIR:-$data/report}")"
mkdir -p "$report_dir"
status=0
dropped="$report_dir/dropped.ndjson"
: >"$dropped"
fuzz_dir="$PWD/tests/fuzz"
# Run from the scratch directory: hypothesis and schemathesis leave caches in the working one.
(cd "$data" && YGJ_FUZZ_BASE_URL="$base" YGJ_FUZZ_ADMIN_ID="$admin_id" YGJ_FUZZ_DROPPED="$dropped" \
  PYTHONPATH="$fuzz_dir${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 SCHEMATHESIS_HOOKS=hooks \
  "$st" --config-file "$fuzz_dir/schemathesis.toml" run "$base/api-docs/openapi.json" \
  --checks all \
  --max-examples "$max_examples" \
  --seed "${FUZZ_SEED:-20261206}" \
  --workers "${FUZZ_WORKERS:-1}" \
  --phases "${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}" \
  --generation-database none \
  --request-timeout 60 \
  --no-color \
  --report junit,ndjson --report-dir "$report_dir") \
  2>&1 | tee "$data/schemathesis.out" || status=$?

# The figures: schemathesis' "Test cases:" line, then one plain "N passed, N failed" line.
python3 - "$data/schemathesis.out" "$dropped" <<'PY' || status=1
import re, sys
out = open(sys.argv[1], encoding="utf-8").read()
match = re.search(r"Test cases:\s*\n\s*(\d+) generated(?:, (\d+) passed)?(?:, (\d+) found (\d+) unique failures?)?", out)
if not match:
    sys.exit("fuzz: schemathesis printed no 'Test cases' figure")
generated, failed, unique = int(match.group(1)), int(match.group(3) or 0), int(match.group(4) or 0)
dropped = sum(1 for _ in open(sys.argv[2], encoding="utf-8"))
print(f"fuzz: {generated} generated cases, {unique} unique failures, "
      f"{dropped} schemathesis false positives dropped (tests/fuzz/hooks.py)")
print(f"fuzz: {generated - failed} passed, {failed} failed")
PY
if grep -q 'panicked at' "$log"; then
  echo "the server panicked:" >&2
  grep -A3 'panicked at' "$log" | head -40 >&2
  status=1
fi
exit "$status"
