#!/usr/bin/env bash
# Installs the AssemblyScript toolchain for sdk/assemblyscript and its
# examples: the exact compiler version pinned in sdk/assemblyscript/package.json
# and package-lock.json (npm ci), node (Debian) if missing, and wabt for
# wasm-objdump. Idempotent: does nothing when everything is in place.
#
# It also links sdk/assemblyscript/node_modules/@socklet/sdk to the SDK itself,
# so that `asc --path sdk/assemblyscript/node_modules` resolves
# "@socklet/sdk/assembly" for the examples and the SDK's own tests exactly as
# it resolves for a user who installed the package.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

sdk=$SOCKLET_ROOT/sdk/assemblyscript

command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
command -v wasm-objdump >/dev/null || apt_install wabt

want=$(node -p "require('$sdk/package.json').devDependencies.assemblyscript")
have=$(node -p "try { require('$sdk/node_modules/assemblyscript/package.json').version } catch { '' }" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
	log "npm ci in sdk/assemblyscript (assemblyscript $want)"
	(
		flock 9
		cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	) 9>/tmp/socklet-npm.lock
fi

if [ "$(readlink "$sdk/node_modules/@socklet/sdk" 2>/dev/null)" != "../.." ]; then
	mkdir -p "$sdk/node_modules/@socklet"
	ln -sfn ../.. "$sdk/node_modules/@socklet/sdk"
fi
