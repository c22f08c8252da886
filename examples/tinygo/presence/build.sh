#!/usr/bin/env bash
# Builds <dir>.wasm next to this script with TinyGo (installed by
# scripts/deps/tinygo.sh) for sdk/go/targets/socklet-wasm.json: a
# wasm32-unknown-unknown reactor (no WASI imports, conservative GC, no
# scheduler). main.go is the same file as examples/go/<dir>/main.go: one SDK,
# two compilers. TinyGo's output is reproducible byte for byte.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$here")
root=$(cd "$here/../../.." && pwd)
tinygo=${TINYGO:-${SOCKLET_TOOLS:-$HOME/.cache/socklet-tools}/bin/tinygo}
cd "$here"
"$tinygo" build -target="$root/sdk/go/targets/socklet-wasm.json" -no-debug -o "$name.wasm" .
