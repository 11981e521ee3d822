#!/usr/bin/env bash
# Installs what `make site` (scripts/build-site.sh) needs and is missing, at the versions the
# build is known to work with; does nothing when all of it is there.
set -euo pipefail

# Must match the wasm-bindgen crate pinned in Cargo.toml.
WASM_BINDGEN_VERSION=0.2.130
WASM_SPLIT_VERSION=0.2.3
BINARYEN_VERSION=132

# The Rust target the console's browser code is built for.
rustup target list --installed | grep -qx wasm32-unknown-unknown ||
  rustup target add wasm32-unknown-unknown

# wasm-bindgen-cli, built outside the project's target directory (the
# fallback resolver picks dependencies that build on the installed Rust).
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes)"
  env -u CARGO_TARGET_DIR CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-split-cli, which cuts the module into one chunk per lazy route.
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  echo "installing wasm-split-cli $WASM_SPLIT_VERSION (about 1 minute)"
  env -u CARGO_TARGET_DIR cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" \
    --features build-binary
fi

# wasm-opt: Debian's binaryen 108 emits a wasm that never hydrates, so npm's.
if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
  npm install -g "binaryen@$BINARYEN_VERSION"
fi

# brotli, for the .br files beside each asset.
command -v brotli >/dev/null ||
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli)
