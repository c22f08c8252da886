#!/usr/bin/env bash
# Builds __NAME__.wasm next to this script with TinyGo (0.34 or newer, with a
# Go toolchain of 1.25 or older for it):
#   tinygo build -target=_sdk/targets/socklet-wasm.json -no-debug -o __NAME__.wasm .
# socklet-wasm.json is a wasm32-unknown-unknown reactor: no WASI imports, a
# few KB. For packages that need WASI (fmt.Println to the plugin log,
# time.Now, crypto/rand), use _sdk/targets/socklet-wasip1.json instead.
# Both link Debian's wasi-libc and clang builtins (apt-get install wasi-libc
# libclang-rt-19-dev-wasm32); edit their paths if yours live elsewhere.
# Unit tests run natively against socklet's host emulator: go test ./...
#
# The socklet Go SDK is in ./_sdk (it is not on any module proxy). The first
# run writes go.mod and _sdk/go.mod (`socklet new` cannot ship go.mod files).
set -euo pipefail
cd "$(dirname "$0")"
[ -f _sdk/go.mod ] || printf 'module github.com/socklet/socklet/sdk/go\n\ngo 1.25\n' >_sdk/go.mod
[ -f go.mod ] || cat >go.mod <<'MOD'
module __NAME__

go 1.25

require github.com/socklet/socklet/sdk/go v0.0.0

replace github.com/socklet/socklet/sdk/go => ./_sdk
MOD
tinygo=${TINYGO:-$(command -v tinygo || echo "${SOCKLET_TOOLS:-$HOME/.cache/socklet-tools}/bin/tinygo")}
"$tinygo" build -target=_sdk/targets/socklet-wasm.json -no-debug -o __NAME__.wasm .
echo "built __NAME__.wasm ($(wc -c <__NAME__.wasm) bytes); serve it with: socklet serve --config socklet.toml"
