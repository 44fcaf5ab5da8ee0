# Shell helpers shared by the load benchmarks (scripts/bench-visits.sh, scripts/bench-load.sh):
#   source tests/load/common.sh
# They expect `set -euo pipefail` and the repository root as the working directory.

# A free TCP port on the loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits up to a minute for `$1/readyz`.
wait_ready() {
  for _ in $(seq 1 300); do curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "server at $1 did not become ready" >&2
  return 1
}

# An access token: token URL USERNAME (demo password).
token() {
  curl -fsS -H 'Content-Type: application/json' -d "{\"username\":\"$2\",\"password\":\"Demo@2026\"}" \
    "$1/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# wrk from Debian, installed once (waiting for another apt run to finish; the package lists are
# fetched only if the package is not found without).
ensure_wrk() {
  command -v wrk >/dev/null && return 0
  echo "installing wrk (Debian)" >&2
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
  "${apt[@]}" install wrk >/dev/null 2>&1 || { "${apt[@]}" update >/dev/null && "${apt[@]}" install wrk >/dev/null; }
}

# The check-in script's client list for the signed-in account manager: checkin_clients URL TOKEN
# prints "id,lat,lon;…" for up to 200 of their clients with a location (fails if none).
checkin_clients() {
  local clients
  clients=$(curl -fsS -H "Authorization: Bearer $2" "$1/api/v1/analytics/map" | python3 -c '
import json, sys
m = json.load(sys.stdin)
print(";".join("%s,%s,%s" % (c["id"], c["lat"], c["lon"]) for c in m["clients"][:200]))
')
  [ -n "$clients" ] || { echo "the account manager has no located clients" >&2; return 1; }
  printf '%s\n' "$clients"
}
