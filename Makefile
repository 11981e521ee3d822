# pushdesk: `make run` to start the console, `make test` to run every test.
# Everything is built with plain cargo + wasm-bindgen + wasm-opt (cargo-leptos is optional).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# CI points CARGO_TARGET_DIR at a cache outside the checkout; the site and binary still land
# under ./target, where the server looks by default.
export CARGO_TARGET_DIR ?= $(CURDIR)/target
export LEPTOS_OUTPUT_NAME := pushdesk

SITE := target/site
# Built with the `dist` profile (Cargo.toml): for speed, unlike the tests' incremental release.
BIN := target/dist/pushdesk

.PHONY: run build site server tools test-tools test lint unit-tests bench clean

## Start the console at http://127.0.0.1:3000 on ./data/pushdesk.db, with the MiPush sandbox.
run: build
	mkdir -p data
	PUSHDESK_SANDBOX=$${PUSHDESK_SANDBOX:-1} \
	PUSHDESK_CERT_ACTIVATION_DELAY=$${PUSHDESK_CERT_ACTIVATION_DELAY:-30} \
	./$(BIN)

## Release build: target/dist/pushdesk and the site under target/site.
build: tools site server

# The wasm32 target, wasm-bindgen-cli, wasm-split-cli, wasm-opt and brotli, where missing.
tools:
	@scripts/install-tools.sh

# The browser's code: one WASM module with the runtime and the shell, and one chunk per page
# (and chunks they share), fetched the first time a page is shown. Every file is stored beside
# its gzip and brotli forms, which the server sends to browsers that accept them. The steps are
# in scripts/build-site.sh.
site: tools
	scripts/build-site.sh $(SITE)

server:
	cargo build -p server --profile dist
	@if [ "$(CARGO_TARGET_DIR)" != "$(CURDIR)/target" ]; then \
	  mkdir -p target/dist && cp -f $(CARGO_TARGET_DIR)/dist/pushdesk $(BIN); \
	fi

## Debian's Chromium and ChromeDriver for the browser suite; PostgreSQL must be reachable.
test-tools:
	@command -v chromedriver >/dev/null && command -v chromium >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

# `-p server -p app` in one command: features unify as in the real build, so nothing compiles twice.
lint: tools
	cargo fmt --all --check
	cargo clippy -p server -p app --features app/ssr --all-targets -- -D warnings
	cargo clippy -p app --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

## Every test: lints, unit tests, the API suite on SQLite and PostgreSQL, the browser suite.
test: lint site test-tools
	PUSHDESK_SITE_ROOT=$(CURDIR)/$(SITE) cargo test --release -p server -p app --features app/ssr \
	  -- --test-threads=2

## Figures: push-record pages over 1,000,000 records, offline-push throughput to the sandbox, and
## the load generator (server/tests/load): pipeline vs the sandbox's ceiling, latency against the
## offered rate, fan-out to 10,000 and to 100,000 (SQLite and PostgreSQL), one instance against
## two on PostgreSQL, token reports, console bytes and page latency, each against a baseline of
## the same run.
bench: build
	bash server/benches/push_records.sh
	python3 server/benches/offline_push.py 2000
	PUSHDESK_BIN=$(CURDIR)/$(BIN) PUSHDESK_SITE_ROOT=$(CURDIR)/$(SITE) cargo test --release \
	  -p server -p app --features app/ssr --test load --test browser -- --ignored --nocapture \
	  --test-threads=1

clean:
	cargo clean
	rm -rf $(SITE)
