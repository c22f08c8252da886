#!/usr/bin/env bash
# Builds <dir>.wasm next to this script with Debian's Rust 1.63 (installed by
# scripts/deps/rust.sh): cargo build --release --target wasm32-unknown-unknown
#
# The output is reproducible byte for byte on any machine and checkout path:
# cargo hashes a path dependency's location into symbol names, which changes
# the function order, so the example and the SDK are built from a copy at a
# fixed path (serialised with flock). Cargo and target dirs stay outside the
# repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$here")
root=$(cd "$here/../../.." && pwd)
export PATH=/usr/bin:$PATH
export CARGO_HOME=${CARGO_HOME:-$HOME/.cache/socklet-tools/cargo}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/socklet-tools/rust-target/$name}
# A 64 KiB stack instead of rustc's 1 MiB: an instance starts with 2 pages of
# memory, not 17. The stack is placed first, so an overflow traps.
export RUSTFLAGS="-C link-arg=-zstack-size=65536"

stage=/tmp/socklet-rust-build
mkdir -p "$stage"
exec 9>"$stage.lock"
flock 9
rm -rf "$stage/tree"
copy() { mkdir -p "$2" && tar -C "$1" --exclude=./target --exclude='./*.wasm' -cf - . | tar -C "$2" -xf -; }
copy "$root/sdk/rust" "$stage/tree/sdk/rust"
copy "$here" "$stage/tree/examples/rust/$name"
(cd "$stage/tree/examples/rust/$name" && /usr/bin/cargo build --release --locked --target wasm32-unknown-unknown)
cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/$name.wasm" "$here/$name.wasm"
