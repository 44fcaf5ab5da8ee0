# Youguanjia — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export CARGO_TERM_COLOR ?= never
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/release/youguanjia

.PHONY: run build frontend tools test fmt-check lint unit-and-api browser-test fuzz-test fuzz deploy-test openapi bench clean-data

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
## the frontend build, the browser test in headless Chromium, the API fuzz test and the deployment test.
test: fmt-check
	scripts/install-tools.sh --browser --deploy
	scripts/ensure-postgres.sh
	$(MAKE) lint
	$(MAKE) unit-and-api
	scripts/build-frontend.sh
	$(MAKE) browser-test
	$(MAKE) fuzz-test
	$(MAKE) deploy-test

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

## API fuzzing, bounded (in `make test`): schemathesis against the server's own OpenAPI document
## with every check, 2 examples per operation plus its coverage and stateful phases, fixed seed
fuzz-test:
	scripts/install-tools.sh --fuzz
	cargo build -p youguanjia-api
	tests/fuzz/run.sh $(TARGET_DIR)/debug/youguanjia 2

## The full fuzz run (≥ 2,000 generated cases, 25 examples per operation); prints the figures
fuzz:
	scripts/install-tools.sh --fuzz
	cargo build -p youguanjia-api
	tests/fuzz/run.sh $(TARGET_DIR)/debug/youguanjia 25

## docker-compose.yml's topology without Docker: PostgreSQL, moto (S3), two instances, nginx
## (needs `scripts/install-tools.sh --deploy`)
deploy-test:
	cargo build -p youguanjia-api
	tests/deploy/run.sh $(TARGET_DIR)/debug/youguanjia

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
