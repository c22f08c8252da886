#!/usr/bin/env bash
# Builds __NAME__.wasm from __NAME__.ts with AssemblyScript (npm; the version
# is pinned in package.json and package-lock.json). The first run installs it
# into ./node_modules with npm ci. Tests: node --test
#
# The socklet AssemblyScript SDK is in ./socklet-sdk (it is not on npm);
# package.json links it as @socklet/sdk.
set -euo pipefail
cd "$(dirname "$0")"
[ -x node_modules/.bin/asc ] || npm ci --no-audit --no-fund --loglevel=error
node_modules/.bin/asc __NAME__.ts -O3 --runtime incremental --exportStart _initialize \
	--use abort=~lib/@socklet/sdk/assembly/abort/sockletAbort -o __NAME__.wasm
echo "built __NAME__.wasm ($(wc -c <__NAME__.wasm) bytes); serve it with: socklet serve --config socklet.toml"
