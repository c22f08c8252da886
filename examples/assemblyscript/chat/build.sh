#!/usr/bin/env bash
# Builds chat.wasm from chat.ts with the compiler version pinned by the SDK
# (sdk/assemblyscript/package-lock.json): ./build.sh [OUTPUT], OUTPUT
# defaulting to chat.wasm here. The output is reproducible byte for byte;
# sdk/assemblyscript/test.sh rebuilds into a temporary file and compares.
set -euo pipefail
out=$(realpath -m "${1:-$(dirname "${BASH_SOURCE[0]}")/chat.wasm}")
cd "$(dirname "${BASH_SOURCE[0]}")"
sdk=../../../sdk/assemblyscript
[ -x "$sdk/node_modules/.bin/asc" ] && [ -e "$sdk/node_modules/@socklet/sdk" ] || ../../../scripts/deps/assemblyscript.sh
"$sdk/node_modules/.bin/asc" chat.ts -O3 --runtime incremental --exportStart _initialize \
	--use abort=~lib/@socklet/sdk/assembly/abort/sockletAbort \
	--path "$sdk/node_modules" -o "$out"
