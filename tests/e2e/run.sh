#!/usr/bin/env bash
# Browser test: starts a real OAuth 2.0 provider (tests/sso/provider.mjs) and the real server
# (its own SQLite database, a small demo province, single sign-on pointed at that provider), then
# runs the node:test suites in this folder against it in headless Chromium.
#   tests/e2e/run.sh path/to/youguanjia
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$1"
data="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
log="$data/server.log"
pid=""
provider_pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

# The provider exits when its stdin closes: hold a pipe open for as long as this script runs.
mkfifo "$data/provider.in"
claims_file="$data/sso-claims.json"
echo '{}' >"$claims_file"
node tests/sso/provider.mjs --client-id ygj-e2e --client-secret e2e-secret --claims-file "$claims_file" \
  <"$data/provider.in" >"$data/provider.out" 2>&1 &
provider_pid=$!
exec 3>"$data/provider.in"
provider=""
for _ in $(seq 1 100); do
  provider="$(sed -n 's/^listening //p' "$data/provider.out")"
  [ -n "$provider" ] && break
  kill -0 "$provider_pid" 2>/dev/null || { cat "$data/provider.out"; echo "provider exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$provider" ] || { cat "$data/provider.out"; echo "provider did not start" >&2; exit 1; }

YGJ_DATA_DIR="$data" YGJ_BIND="127.0.0.1:$port" YGJ_FRONTEND_DIR=frontend/dist \
  YGJ_SSO_CLIENT_ID=ygj-e2e YGJ_SSO_CLIENT_SECRET=e2e-secret YGJ_SSO_ISSUER="$provider" \
  YGJ_SSO_AUTHORIZE_URL="$provider/authorize" YGJ_SSO_TOKEN_URL="$provider/token" \
  YGJ_SSO_USERINFO_URL="$provider/userinfo" \
  YGJ_SSO_REDIRECT_URL="http://127.0.0.1:$port/api/v1/auth/sso/callback" \
  "$bin" serve --demo --scale 0.2 >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "server exited" >&2; exit 1; fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$log"; exit 1; }
cd tests/e2e
BASE_URL="http://127.0.0.1:$port" SSO_PROVIDER="$provider" SSO_CLAIMS_FILE="$claims_file" \
  node --test --test-reporter=spec --test-concurrency=1 ./*.test.mjs || { tail -50 "$log"; exit 1; }
