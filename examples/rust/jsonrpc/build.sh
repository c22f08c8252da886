#!/usr/bin/env bash
# Builds <dir>.wasm next to this script with Debian's Rust 1.63 (installed by
# scripts/deps/rust.sh): cargo build --release --target wasm32-unknown-unknown.
# The output is reproducible byte for byte: cargo and target dirs live outside
# the repository, and source paths are remapped so the checkout's location
# does not leak into the module.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$here")
root=$(cd "$here/../../.." && pwd)
export PATH=/usr/bin:$PATH
export CARGO_HOME=${CARGO_HOME:-$HOME/.cache/socklet-tools/cargo}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/socklet-tools/rust-target/$name}
# A 64 KiB stack instead of rustc's 1 MiB: an instance starts with 2 pages of
# memory, not 17. The stack is placed first, so an overflow traps.
export RUSTFLAGS="-C link-arg=-zstack-size=65536 --remap-path-prefix=$root=socklet"
cd "$here"
/usr/bin/cargo build --release --locked --target wasm32-unknown-unknown
cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/$name.wasm" "$here/$name.wasm"
