#!/usr/bin/env bash
# The API tests need PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), or YGJ_TEST_PG_URL.
# Starts the local cluster when it is installed but stopped; fails loudly when there is none.
set -euo pipefail
url="${YGJ_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
ready() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if [ -n "${YGJ_TEST_PG_URL:-}" ] || ready; then exit 0; fi
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  echo "[ensure-postgres] starting the local PostgreSQL cluster" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
echo "[ensure-postgres] PostgreSQL is not reachable at $url; start it or set YGJ_TEST_PG_URL" >&2
exit 1
