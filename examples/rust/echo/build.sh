#!/usr/bin/env bash
# Builds echo.wasm next to this script with Debian's Rust 1.63
# (scripts/deps/rust.sh installs it). Target and cargo dirs stay out of the
# repository so two builds see the same paths and produce the same bytes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$here")
export PATH=/usr/bin:$PATH
export CARGO_HOME=${CARGO_HOME:-$HOME/.cache/socklet-tools/cargo}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/socklet-tools/rust-target/$name}
# Sources outside the package (the SDK is a path dependency) would otherwise
# be named by absolute path in panic locations: make them checkout-independent.
root=$(cd "$here/../../.." && pwd)
export RUSTFLAGS="--remap-path-prefix=$root=socklet ${RUSTFLAGS:-}"
cd "$here"
/usr/bin/cargo build --release --locked --target wasm32-unknown-unknown
cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/$name.wasm" "$here/$name.wasm"
