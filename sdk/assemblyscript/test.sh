#!/usr/bin/env bash
# Checks the AssemblyScript SDK end to end (about a minute; needs the npm registry
# the first time):
#   1. installs the pinned toolchain (scripts/deps/assemblyscript.sh);
#   2. runs the SDK's unit tests on the emulator (node --test test/);
#   3. checks that the `socklet new assemblyscript` template carries an exact
#      copy of the SDK (sync-template.sh refreshes it);
#   4. rebuilds every example into a temporary file and fails if it differs
#      from the committed .wasm, checks its imports and exports with
#      wasm-objdump, and runs the example's tests on the emulator;
#   5. scaffolds the template as `socklet new` would, builds it as its README
#      says (npm ci, ./build.sh) and runs its test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
sdk=$PWD
root=$(cd ../.. && pwd)
"$root/scripts/deps/assemblyscript.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
step() { printf '== %s\n' "$*"; }
bad() { printf 'FAIL: %s\n' "$*" >&2; fail=1; }

step "SDK unit tests"
node --test test/ || bad "SDK unit tests"

step "template copy of the SDK"
./sync-template.sh "$tmp/sdk-copy"
diff -r "$tmp/sdk-copy" "$root/cmd/socklet/templates/assemblyscript/socklet-sdk" ||
	bad "cmd/socklet/templates/assemblyscript/socklet-sdk differs from the SDK: run sdk/assemblyscript/sync-template.sh"

# check_wasm FILE: imports only from "socklet"; exports the ABI marker,
# socklet_alloc, memory and _initialize (asc --exportStart), and nothing
# outside the ABI.
check_wasm() {
	local imports exports
	imports=$(wasm-objdump -x -j Import "$1" | grep -E '^ - .* <- ' || true)
	exports=$(wasm-objdump -x -j Export "$1" | grep -E '^ - .* -> ' || true)
	if [ -z "$imports" ]; then
		bad "$1 imports nothing (expected socklet functions)"
	elif grep -vqE ' <- socklet\.' <<<"$imports"; then
		bad "$1 imports from outside module socklet: $(grep -vE ' <- socklet\.' <<<"$imports" | tr '\n' ' ')"
	fi
	for e in socklet_abi_v1 socklet_alloc memory _initialize; do
		grep -qE -- "-> \"$e\"$" <<<"$exports" || bad "$1 does not export $e"
	done
	if grep -vqE -- '-> "(memory|_initialize|socklet_[a-z_0-9]+)"$' <<<"$exports"; then
		bad "$1 exports something outside the ABI"
	fi
}

for dir in "$root"/examples/assemblyscript/*/; do
	name=$(basename "$dir")
	step "example $name"
	"$dir/build.sh" "$tmp/$name.wasm"
	if ! cmp -s "$tmp/$name.wasm" "$dir/$name.wasm"; then
		bad "examples/assemblyscript/$name/$name.wasm is not what build.sh produces: rebuild and commit it"
	fi
	check_wasm "$dir/$name.wasm"
	printf '%s.wasm: %d bytes\n' "$name" "$(wc -c <"$dir/$name.wasm")"
	(cd "$dir" && node --test .) || bad "tests of example $name"
done

step "template (socklet new assemblyscript hello)"
tpl=$root/cmd/socklet/templates/assemblyscript
while IFS= read -r -d '' f; do
	rel=${f#"$tpl"/}
	dst=$tmp/hello/${rel//__NAME__/hello}
	mkdir -p "$(dirname "$dst")"
	sed 's/__NAME__/hello/g' "$f" >"$dst"
done < <(find "$tpl" -type f -print0)
chmod +x "$tmp/hello/build.sh"
if (cd "$tmp/hello" && ./build.sh && node --test); then
	check_wasm "$tmp/hello/hello.wasm"
else
	bad "the template does not build or its test fails"
fi

[ "$fail" -eq 0 ] && step "all AssemblyScript checks passed"
exit "$fail"
