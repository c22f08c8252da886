#!/usr/bin/env bash
# Builds __NAME__.wasm next to this script with standard Go (1.24 or newer):
#   GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o __NAME__.wasm .
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
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o __NAME__.wasm .
echo "built __NAME__.wasm ($(wc -c <__NAME__.wasm) bytes); serve it with: socklet serve --config socklet.toml"
