#!/usr/bin/env bash
# Builds __NAME__.wasm next to this script:
#   cargo build --release --target wasm32-unknown-unknown
# Needs a Rust toolchain with the wasm32-unknown-unknown target: Debian's
# (apt-get install rustc cargo libstd-rust-dev-wasm32 lld) is used when
# present, else the cargo on PATH (rustup target add wasm32-unknown-unknown).
# Unit tests run natively against socklet's host emulator: cargo test
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${CARGO:-}" ] && [ -x /usr/bin/cargo ] &&
	[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]; then
	export PATH=/usr/bin:$PATH
fi
# A 64 KiB stack instead of rustc's 1 MiB: an instance starts with 2 pages of
# memory, not 17. The stack is placed first, so an overflow traps.
export RUSTFLAGS="-C link-arg=-zstack-size=65536 ${RUSTFLAGS:-}"
target=${CARGO_TARGET_DIR:-target}
"${CARGO:-cargo}" build --release --target wasm32-unknown-unknown
# Cargo names the artifact after the crate, with '-' turned into '_'.
name=__NAME__
cp "$target/wasm32-unknown-unknown/release/${name//-/_}.wasm" "$name.wasm"
echo "built $name.wasm ($(wc -c <"$name.wasm") bytes); serve it with: socklet serve --config socklet.toml"
