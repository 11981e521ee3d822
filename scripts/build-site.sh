#!/usr/bin/env bash
# Builds the browser's side of the console into SITE_DIR (default target/site):
#
#   SITE_DIR/pkg/pushdesk.wasm, pushdesk.js   the main module: runtime, shell, sign-in page
#   SITE_DIR/pkg/chunk_*.wasm                 one lazy chunk per page (and chunks pages share)
#   SITE_DIR/pkg/__wasm_split.js              the loader that fetches a chunk on first use
#   SITE_DIR/pkg/pushdesk.css                 style/main.css
#   SITE_DIR/*                                 public/ as is
#
# and every pkg file beside its .gz and .br forms, which the server sends to browsers that
# accept them. The tools are the ones scripts/install-tools.sh installs (`make tools`).
#
# Usage: scripts/build-site.sh [SITE_DIR]   (from anywhere; paths are taken from the repository)
# Environment: CARGO_TARGET_DIR (default ./target) holds the cargo build and the split's work
# files; LEPTOS_OUTPUT_NAME (default pushdesk) is the name the app's pages load.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

site=${1:-target/site}
pkg=$site/pkg
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
export CARGO_TARGET_DIR=$target_dir
export LEPTOS_OUTPUT_NAME=${LEPTOS_OUTPUT_NAME:-pushdesk}
wasm_in=$target_dir/wasm32-unknown-unknown/wasm-release/app.wasm
split=$target_dir/wasm-split
# The WASM features the browsers we support have, which wasm-opt may then use.
wasm_features="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue"

# Runs a command and shows its output only if it fails (wasm-split-cli and wasm-opt are
# chatty when all is well).
quiet() {
  local out
  out=$("$@" 2>&1) || { echo "$out"; return 1; }
}

# 1. The app crate for the browser (hydrate), size-optimised, as one WASM module.
cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features \
  --features hydrate --profile wasm-release
mkdir -p "$pkg"

# Steps 2-5 take minutes: skipped while the module is older than what they last made.
if [[ ! -f $pkg/pushdesk.wasm || $wasm_in -nt $pkg/pushdesk.wasm ]]; then
  echo "wasm-split + wasm-bindgen + wasm-opt -Oz"
  rm -rf "$split" && mkdir -p "$split"
  rm -f "$pkg"/*.wasm* "$pkg"/*.js*

  # 2. Split the module at the lazy routes: the main module, chunk_*.wasm and the loader
  #    __wasm_split.js.
  quiet wasm-split-cli --out-name pushdesk "$wasm_in" "$split"

  # 3. The JS bindings of the main module. The chunks import the main module's functions by
  #    the linker's export names: wasm-bindgen keeps those exports and leaves names as they are.
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-dir "$split/main" --out-name pushdesk "$split/pushdesk.wasm"
  mv "$split/main/pushdesk_bg.wasm" "$split/pushdesk.wasm"
  cp "$split/main/pushdesk.js" "$split/__wasm_split.js" "$pkg/"

  # 4. Shrink every module (main and chunks), two at a time, into pkg/.
  optimize() {
    # shellcheck disable=SC2086 # the features are separate words
    quiet wasm-opt -Oz --strip-debug $wasm_features "$1" -o "$pkg/$(basename "$1")"
  }
  export -f optimize quiet
  export pkg wasm_features
  printf '%s\n' "$split"/*.wasm | xargs -P 2 -I{} bash -c 'optimize "$1"' _ {}

  # 5. The compressed forms of every module and script.
  for f in "$pkg"/*.wasm "$pkg"/*.js; do
    gzip -9kf "$f"
    brotli -kf "$f"
  done
fi

# 6. The stylesheet (cheap: always copied) and the static files.
cp style/main.css "$pkg/pushdesk.css"
gzip -9kf "$pkg/pushdesk.css"
brotli -kf "$pkg/pushdesk.css"
cp -r public/. "$site/"
