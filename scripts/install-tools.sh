#!/usr/bin/env bash
# Installs what building and testing need, only when missing. Idempotent; safe on a fresh machine.
#   scripts/install-tools.sh            wasm target, wasm-bindgen CLI, wasm-opt (npm binaryen)
#   scripts/install-tools.sh --browser  also Chromium and playwright-core for the browser test
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[install-tools] $*" >&2; }

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

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  log "installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
# A CJK font, so that screenshots taken by the browser test show Chinese text.
if [ "${1:-}" = "--browser" ] && ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then
  log "installing a CJK font (apt)"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get install -y -qq fonts-wqy-zenhei >/dev/null || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq fonts-wqy-zenhei >/dev/null; }
fi
log "tools ready"
