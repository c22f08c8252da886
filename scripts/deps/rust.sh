#!/usr/bin/env bash
# Installs the Rust guest toolchain: Debian's rustc/cargo 1.63 with the
# wasm32-unknown-unknown and wasm32-wasi standard libraries, lld (the wasm
# linker rustc uses) and wabt (wasm-objdump, to check a module's imports).
# rustup's toolchains cannot fetch wasm targets here, and crates.io is not
# reachable: the Rust SDK and its examples have no dependencies.
# Idempotent. Callers run /usr/bin/cargo by full path, with CARGO_HOME outside
# the repository (see rust_env below).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

apt_install rustc cargo libstd-rust-dev-wasm32 lld wabt

[ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] || { log "rust: /usr/bin/cargo or /usr/bin/rustc missing"; exit 1; }
for t in wasm32-unknown-unknown wasm32-wasi; do
	[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/$t" ] || { log "rust: target $t missing"; exit 1; }
done
