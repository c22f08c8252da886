#!/usr/bin/env bash
# Copies the SDK into the `socklet new assemblyscript` template
# (cmd/socklet/templates/assemblyscript/socklet-sdk), which must ship it: the
# SDK is not on npm. Run it after changing assembly/ or emulator/;
# test.sh fails while the copy differs. With a directory argument, writes the
# copy there instead (test.sh uses that to compare).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
dst=${1:-../../cmd/socklet/templates/assemblyscript/socklet-sdk}
rm -rf "$dst"
mkdir -p "$dst/assembly" "$dst/emulator"
cp assembly/*.ts "$dst/assembly/"
cp emulator/*.js "$dst/emulator/"
# The copy is a linked dependency of the user's project: no devDependencies
# (the project itself pins the compiler), no scripts.
node -e '
const p = require("./package.json");
delete p.devDependencies; delete p.scripts;
p.files = ["assembly", "emulator"];
process.stdout.write(JSON.stringify(p, null, 2) + "\n");
' >"$dst/package.json"
