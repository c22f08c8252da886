#!/usr/bin/env bash
# Installs wabt (wat2wasm, wasm2wat, wasm-objdump): plugins/ tests rebuild the
# WAT fixtures in plugins/testdata with wat2wasm and compare them with the
# committed .wasm files. Idempotent.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

apt_install wabt

command -v wat2wasm >/dev/null || { log "wabt: wat2wasm missing after install"; exit 1; }
