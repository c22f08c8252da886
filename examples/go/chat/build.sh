#!/usr/bin/env bash
# Builds <dir>.wasm next to this script with standard Go:
#   GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared
# -buildmode=c-shared makes a WASI reactor: the module exports _initialize
# (the host calls it once; it runs init, which registers the handler) and the
# SDK's socklet_* exports. The toolchain is pinned and paths and VCS stamps
# are left out, so the output is reproducible byte for byte.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$here")
cd "$here"
export GOTOOLCHAIN=${SOCKLET_GO_TOOLCHAIN:-go1.26.8} GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOFLAGS=
go build -buildmode=c-shared -trimpath -buildvcs=false -o "$name.wasm" .
