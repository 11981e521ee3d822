# pushdesk: `make run` to start the console, `make test` to run every test.
# Everything is built with plain cargo + wasm-bindgen + wasm-opt (cargo-leptos is optional).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# CI points CARGO_TARGET_DIR at a cache outside the checkout; the site and binary still land
# under ./target, where the server looks by default.
export CARGO_TARGET_DIR ?= $(CURDIR)/target
export LEPTOS_OUTPUT_NAME := pushdesk

WASM_BINDGEN_VERSION := 0.2.130
BINARYEN_VERSION := 132
SITE := target/site
PKG := $(SITE)/pkg
WASM_IN := $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/wasm-release/app.wasm
BIN := target/release/pushdesk
WASM_SPLIT_VERSION := 0.2.3
SPLIT := $(CARGO_TARGET_DIR)/wasm-split
WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue

.PHONY: run build site server tools test-tools test lint unit-tests bench clean

## Start the console at http://127.0.0.1:3000 on ./data/pushdesk.db, with the MiPush sandbox.
run: build
	mkdir -p data
	PUSHDESK_SANDBOX=$${PUSHDESK_SANDBOX:-1} \
	PUSHDESK_CERT_ACTIVATION_DELAY=$${PUSHDESK_CERT_ACTIVATION_DELAY:-30} \
	./$(BIN)

## Release build: target/release/pushdesk and the site under target/site.
build: tools site server

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 4 minutes)"; \
	  env -u CARGO_TARGET_DIR CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
	    cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if ! cargo install --list | grep -qx "wasm_split_cli_support v$(WASM_SPLIT_VERSION):"; then \
	  echo "installing wasm-split-cli $(WASM_SPLIT_VERSION) (about 1 minute)"; \
	  env -u CARGO_TARGET_DIR cargo install wasm_split_cli_support --version $(WASM_SPLIT_VERSION) \
	    --features build-binary; \
	fi
	@# Debian's binaryen 108 emits a wasm that never hydrates: use npm's.
	@if ! wasm-opt --version 2>/dev/null | grep -q "version $(BINARYEN_VERSION)"; then \
	  npm install -g binaryen@$(BINARYEN_VERSION); \
	fi
	@command -v brotli >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli)

# The browser's code: one WASM module with the runtime and the shell, and one chunk per page
# (and chunks they share), fetched the first time a page is shown. Every file is stored beside
# its gzip and brotli forms, which the server sends to browsers that accept them.
site: tools
	cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features \
	  --features hydrate --profile wasm-release
	mkdir -p $(PKG)
	@if [ ! -f $(PKG)/pushdesk.wasm ] || [ $(WASM_IN) -nt $(PKG)/pushdesk.wasm ]; then \
	  echo "wasm-split + wasm-bindgen + wasm-opt -Oz"; \
	  rm -rf $(SPLIT) && mkdir -p $(SPLIT) && rm -f $(PKG)/*.wasm* $(PKG)/*.js*; \
	  out=$$(wasm-split-cli --out-name pushdesk $(WASM_IN) $(SPLIT) 2>&1) || { echo "$$out"; exit 1; }; \
	  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
	    --out-dir $(SPLIT)/main --out-name pushdesk $(SPLIT)/pushdesk.wasm; \
	  mv $(SPLIT)/main/pushdesk_bg.wasm $(SPLIT)/pushdesk.wasm; \
	  cp $(SPLIT)/main/pushdesk.js $(SPLIT)/__wasm_split.js $(PKG)/; \
	  ls $(SPLIT)/*.wasm | xargs -P 2 -I{} sh -c 'out=$$(wasm-opt -Oz --strip-debug \
	    $(WASM_FEATURES) {} -o $(PKG)/$$(basename {}) 2>&1) || { echo "$$out"; exit 1; }'; \
	  for f in $(PKG)/*.wasm $(PKG)/*.js; do gzip -9kf $$f; brotli -kf $$f; done; \
	fi
	cp style/main.css $(PKG)/pushdesk.css
	gzip -9kf $(PKG)/pushdesk.css && brotli -kf $(PKG)/pushdesk.css
	cp -r public/. $(SITE)/

server:
	cargo build -p server --release
	@if [ "$(CARGO_TARGET_DIR)" != "$(CURDIR)/target" ]; then \
	  mkdir -p target/release && cp -f $(CARGO_TARGET_DIR)/release/pushdesk $(BIN); \
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
## the load generator (server/tests/load): pipeline vs the sandbox's ceiling, latency, fan-out,
## token reports, console bytes and page latency, each against a baseline of the same run.
bench: build
	bash server/benches/push_records.sh
	python3 server/benches/offline_push.py 2000
	PUSHDESK_SITE_ROOT=$(CURDIR)/$(SITE) cargo test --release -p server -p app --features app/ssr \
	  --test load --test browser -- --ignored --nocapture --test-threads=1

clean:
	cargo clean
	rm -rf $(SITE)
