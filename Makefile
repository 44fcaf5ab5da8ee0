# Youguanjia — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export CARGO_TERM_COLOR ?= never
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/release/youguanjia

.PHONY: run build frontend tools test fmt-check lint unit-and-api browser-test openapi bench clean-data

## Build everything (release) and serve the demo province at http://127.0.0.1:8080
run: build
	YGJ_FRONTEND_DIR=frontend/dist $(BIN) serve --demo

build: frontend
	cargo build --release -p youguanjia-api

frontend: tools
	scripts/build-frontend.sh

tools:
	scripts/install-tools.sh

## Everything CI checks: format, lints, unit + API tests (SQLite and PostgreSQL), spec staleness,
## the frontend build and the browser test in headless Chromium.
test: fmt-check
	scripts/install-tools.sh --browser
	scripts/ensure-postgres.sh
	$(MAKE) lint
	$(MAKE) unit-and-api
	scripts/build-frontend.sh
	$(MAKE) browser-test

fmt-check:
	cargo fmt --all -- --check

lint:
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p youguanjia-frontend --target wasm32-unknown-unknown -- -D warnings

unit-and-api:
	cargo test

browser-test:
	cargo build -p youguanjia-api
	tests/e2e/run.sh $(TARGET_DIR)/debug/youguanjia

## Regenerate api-spec/openapi.json from the code (a test fails when it is stale)
openapi:
	cargo run -q -p youguanjia-api -- openapi > api-spec/openapi.json.tmp
	mv api-spec/openapi.json.tmp api-spec/openapi.json

## Print the performance figures: demo generation, client-list latency, WASM size
bench: frontend
	cargo build --release -p youguanjia-api --bins
	scripts/bench.sh $(TARGET_DIR)/release

clean-data:
	rm -rf data
