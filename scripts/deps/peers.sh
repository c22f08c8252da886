#!/usr/bin/env bash
# Installs the WebSocket peers no one here wrote, for protocol/interop and
# test/browser: npm ws (client and server), Debian's python3-websockets (for
# /usr/bin/python3) and Debian's chromium (headless). Idempotent.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

npm_install ws@8
apt_install python3-websockets chromium fonts-dejavu-core

[ -d "$SOCKLET_TOOLS/npm/node_modules/ws" ] || { log "peers: npm ws missing after install"; exit 1; }
/usr/bin/python3 -c 'import websockets' || { log "peers: python3-websockets missing after install"; exit 1; }
command -v chromium >/dev/null || { log "peers: chromium missing after install"; exit 1; }
