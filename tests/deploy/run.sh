#!/usr/bin/env bash
# The production topology of docker-compose.yml without Docker, on this machine: a fresh
# PostgreSQL database, moto_server as the S3 bucket, two `youguanjia serve` instances on them and
# nginx (deploy/nginx.conf rendered) in front; then sign-in, load balancing, uploads into the
# bucket, downloads through the other instance, single sign-on across instances, failover when
# an instance dies, nginx's own problem+json answers — and `docker compose config` on
# docker-compose.yml. See tests/deploy/deploy_test.py.
#   tests/deploy/run.sh path/to/youguanjia
# Installs nothing: `scripts/install-tools.sh --deploy` provides nginx, moto_server and the
# Compose CLI (and plain `scripts/install-tools.sh` the npm OAuth provider of tests/sso).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 1 ] || { echo "usage: tests/deploy/run.sh path/to/youguanjia" >&2; exit 2; }
venv="${YGJ_VENV:-$HOME/.cache/youguanjia/venv}"
missing=()
[ -x "$venv/bin/moto_server" ] || missing+=("moto_server in $venv")
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=("nginx")
docker compose version >/dev/null 2>&1 || missing+=("the docker compose CLI plugin")
command -v psql >/dev/null || missing+=("psql")
command -v node >/dev/null || missing+=("node")
if [ ${#missing[@]} -gt 0 ]; then
  echo "deploy test: missing ${missing[*]}; run scripts/install-tools.sh --deploy" >&2
  exit 1
fi
exec "$venv/bin/python" tests/deploy/deploy_test.py "$1"
