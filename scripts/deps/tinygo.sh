#!/usr/bin/env bash
# Installs TinyGo v0.40.1 for the Go SDK's TinyGo examples. TinyGo is not a
# Debian package and its release archives (GitHub) are not reachable, so it is
# built from the Go module proxy against Debian's LLVM 19:
#   - a throwaway module requires github.com/tinygo-org/tinygo v0.40.1 and the
#     compiler is built with -tags llvm19 (cgo, about 2.5 minutes on 2 cores);
#   - TinyGo v0.40.1 accepts Go 1.19-1.25 only, so it runs with
#     GOTOOLCHAIN=go1.25.9 (fetched from the module proxy by the go command);
#   - TINYGOROOT is a writable copy of the module source plus an empty src/net
#     (a git submodule the module zip lacks). The zip also lacks lib/
#     (compiler-rt, wasi-libc sources), so the stock wasm targets cannot link:
#     sdk/go/targets/*.json link Debian's prebuilt builtins and wasi-libc.
# Result: $SOCKLET_TOOLS/tinygo/ (binary, root) and the wrapper
# $SOCKLET_TOOLS/bin/tinygo that sets TINYGOROOT and GOTOOLCHAIN.
# Idempotent: a second run only checks.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

TINYGO_VERSION=v0.40.1
TINYGO_GO=go1.25.9
dir=$SOCKLET_TOOLS/tinygo
wrapper=$SOCKLET_TOOLS/bin/tinygo
stamp=$dir/installed-$TINYGO_VERSION

apt_install llvm-19-dev libclang-19-dev clang-19 lld-19 libclang-rt-19-dev-wasm32 \
	wasi-libc binaryen wabt g++

if [ -f "$stamp" ] && [ -x "$wrapper" ] && "$wrapper" version >/dev/null 2>&1; then
	exit 0
fi

log "tinygo: building $TINYGO_VERSION from the Go module proxy (a few minutes)"
mkdir -p "$dir/build" "$SOCKLET_TOOLS/bin"
export GOTOOLCHAIN=$TINYGO_GO GOFLAGS=-mod=mod
(
	cd "$dir/build"
	cat >go.mod <<MOD
module socklet.local/tinygo-build

go 1.25

require github.com/tinygo-org/tinygo $TINYGO_VERSION
MOD
	cat >tools.go <<'SRC'
//go:build tools

package tools

import _ "github.com/tinygo-org/tinygo"
SRC
	go mod download github.com/tinygo-org/tinygo
	go get github.com/tinygo-org/tinygo@"$TINYGO_VERSION"
	CGO_ENABLED=1 go build -tags llvm19 -o "$dir/tinygo.bin" github.com/tinygo-org/tinygo
)

src=$(cd "$dir/build" && go list -m -f '{{.Dir}}' github.com/tinygo-org/tinygo)
rm -rf "$dir/root"
cp -r "$src" "$dir/root"
chmod -R u+w "$dir/root"
mkdir -p "$dir/root/src/net"

cat >"$wrapper" <<SH
#!/bin/sh
# TinyGo $TINYGO_VERSION built by scripts/deps/tinygo.sh.
export TINYGOROOT="$dir/root"
export GOTOOLCHAIN=$TINYGO_GO
export PATH="/usr/lib/llvm-19/bin:\$PATH"
exec "$dir/tinygo.bin" "\$@"
SH
chmod +x "$wrapper"

"$wrapper" version
touch "$stamp"
