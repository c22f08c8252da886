#!/usr/bin/env bash
# sdk/go/test.sh: installs TinyGo (scripts/deps/tinygo.sh), then checks the Go
# SDK and every Go and TinyGo example:
#   - gofmt, go vet (native and GOOS=wasip1) and go test -race of the SDK;
#   - go vet and go test (against the sockettest emulator) of every example;
#   - each example rebuilt with its build.sh must equal the committed .wasm
#     byte for byte (both builds are reproducible: pinned toolchains,
#     -trimpath, no VCS stamp, TinyGo -no-debug);
#   - each .wasm imports only module "socklet" (standard Go also needs
#     wasi_snapshot_preview1) and exports socklet_abi_v1;
#   - examples/tinygo/X/main.go is the same file as examples/go/X/main.go;
#   - the `socklet new go|tinygo` templates carry an up-to-date SDK copy, and
#     a project made from each builds and passes its tests.
set -euo pipefail
sdk=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$sdk/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$root/scripts/lib.sh"
bash "$root/scripts/deps/tinygo.sh"
export PATH="$SOCKLET_TOOLS/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
step() { printf '\n--- sdk/go: %s\n' "$*"; }
bad() { echo "FAIL: $*" >&2; fail=1; }

step "SDK: gofmt, vet, tests"
unformatted=$(cd "$root" && gofmt -l sdk/go examples/go examples/tinygo cmd/socklet/templates/go cmd/socklet/templates/tinygo)
[ -z "$unformatted" ] || bad "gofmt needed: $unformatted"
(cd "$sdk" && go vet ./... && GOOS=wasip1 GOARCH=wasm go vet . && go test -race -count=1 ./...) || bad "SDK vet/tests"
"$sdk/templates.sh" --check || bad "template SDK copies are stale"

# check_wasm FILE ALLOWED_MODULES...: imports only from the allowed modules,
# and the ABI marker exported.
check_wasm() {
	local f=$1; shift
	local mods allowed m
	allowed=" $* "
	mods=$(wasm-objdump -x -j Import "$f" | sed -n 's/.* <- \([^.]*\)\..*/\1/p' | sort -u)
	for m in $mods; do
		[[ $allowed == *" $m "* ]] || bad "$f imports from module $m"
	done
	wasm-objdump -x -j Export "$f" | grep -q -- '-> "socklet_abi_v1"' || bad "$f does not export socklet_abi_v1"
}

for dir in "$root"/examples/go/*/ "$root"/examples/tinygo/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	lang=$(basename "$(dirname "$dir")")
	rel=examples/$lang/$name
	step "$rel"
	(cd "$dir" && go vet . && go test -count=1 .) || bad "$rel: vet/tests"
	cp "$dir/$name.wasm" "$work/committed.wasm"
	if ! "$dir/build.sh"; then
		bad "$rel: build failed"
	elif ! cmp -s "$dir/$name.wasm" "$work/committed.wasm"; then
		cp "$dir/$name.wasm" "$work/$lang-$name.rebuilt.wasm"
		bad "$rel/$name.wasm differs from its rebuild ($(wc -c <"$work/committed.wasm") vs $(wc -c <"$dir/$name.wasm") bytes): rebuild and commit it"
	fi
	cp "$work/committed.wasm" "$dir/$name.wasm" # leave the tree as committed
	if [ "$lang" = go ]; then
		check_wasm "$dir/$name.wasm" socklet wasi_snapshot_preview1
	else
		check_wasm "$dir/$name.wasm" socklet
		if [ -f "$root/examples/go/$name/main.go" ]; then
			cmp -s "$dir/main.go" "$root/examples/go/$name/main.go" || bad "$rel/main.go differs from examples/go/$name/main.go"
		fi
	fi
	echo "$rel/$name.wasm: $(wc -c <"$dir/$name.wasm") bytes"
done

go build -C "$root" -o "$work/socklet" ./cmd/socklet
for lang in go tinygo; do
	step "template $lang: socklet new, build, test"
	proj=$work/tmpl-$lang/hello
	mkdir -p "$work/tmpl-$lang"
	(cd "$work/tmpl-$lang" && "$work/socklet" new "$lang" hello >/dev/null) || bad "socklet new $lang"
	if (cd "$proj" && ./build.sh && go vet ./... && go test -count=1 ./...); then
		check_wasm "$proj/hello.wasm" socklet wasi_snapshot_preview1
	else
		bad "template $lang"
	fi
done

[ $fail -eq 0 ] || { echo "sdk/go: FAILED" >&2; exit 1; }
echo "sdk/go: all checks passed"
