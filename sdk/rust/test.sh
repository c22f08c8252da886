#!/usr/bin/env bash
# Tests the Rust SDK and its examples: installs the toolchain
# (scripts/deps/rust.sh), runs the SDK's and each example's unit tests natively
# against the emulator, builds the SDK for wasm32-unknown-unknown and
# wasm32-wasi, rebuilds every examples/rust/*/*.wasm and fails if it differs
# from the committed file (the build is reproducible byte for byte) or if it
# imports anything but module "socklet" or lacks the marker export.
# It also checks that the `socklet new rust` template vendors an identical copy
# of the SDK, and that a project made from the template builds and passes its
# tests. The work tree is left as it was.
set -euo pipefail
sdk=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$sdk/../.." && pwd)
"$root/scripts/deps/rust.sh"

export PATH=/usr/bin:$PATH
export CARGO_HOME=${CARGO_HOME:-$HOME/.cache/socklet-tools/cargo}
targets=${SOCKLET_RUST_TARGETS:-$HOME/.cache/socklet-tools/rust-target}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

echo "== sdk/rust: cargo test"
(cd "$sdk" && CARGO_TARGET_DIR=$targets/sdk cargo test --locked -q)
for t in wasm32-unknown-unknown wasm32-wasi; do
	echo "== sdk/rust: cargo build --target $t"
	(cd "$sdk" && CARGO_TARGET_DIR=$targets/sdk cargo build --locked -q --release --target "$t")
done

for dir in "$root"/examples/rust/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	wasm=$dir/$name.wasm
	echo "== examples/rust/$name: cargo test"
	(cd "$dir" && CARGO_TARGET_DIR=$targets/$name-test cargo test --locked -q)
	echo "== examples/rust/$name: rebuild"
	committed=$tmp/$name.committed.wasm
	[ -f "$wasm" ] && cp "$wasm" "$committed" || : >"$committed"
	CARGO_TARGET_DIR=$targets/$name "$dir/build.sh" 2>"$tmp/$name.log" || { cat "$tmp/$name.log"; exit 1; }
	cp "$wasm" "$tmp/$name.rebuilt.wasm"
	if ! cmp -s "$committed" "$wasm"; then
		echo "FAIL: examples/rust/$name/$name.wasm differs from its rebuild (kept in the tree as committed; rebuild: $wasm.rebuilt)" >&2
		cp "$wasm" "$wasm.rebuilt"
		cp "$committed" "$wasm"
		fail=1
	fi
	imports=$(wasm-objdump -j Import -x "$tmp/$name.rebuilt.wasm" | grep -E '^ - ' || true)
	if echo "$imports" | grep -v ' <- socklet\.' | grep -q .; then
		echo "FAIL: $name.wasm imports from outside module socklet:" >&2
		echo "$imports" >&2
		fail=1
	fi
	if ! wasm-objdump -j Export -x "$tmp/$name.rebuilt.wasm" | grep -q ' -> "socklet_abi_v1"$'; then
		echo "FAIL: $name.wasm does not export socklet_abi_v1" >&2
		fail=1
	fi
	echo "   $name.wasm: $(wc -c <"$tmp/$name.rebuilt.wasm") bytes, $(echo "$imports" | grep -c . || true) imports"
done

echo "== cmd/socklet/templates/rust"
tpl=$root/cmd/socklet/templates/rust
for f in Cargo.toml src; do
	if ! diff -r -q "$sdk/$f" "$tpl/vendor/socklet/$f" >&2; then
		echo "FAIL: the template's vendored SDK differs from sdk/rust; refresh it with:" >&2
		echo "  rm -rf $tpl/vendor/socklet/src && cp -r $sdk/src $sdk/Cargo.toml $tpl/vendor/socklet/" >&2
		fail=1
	fi
done
# What `socklet new rust my-plugin` does: copy, replacing __NAME__ in paths and contents.
(cd "$tpl" && find . -type f) | while read -r f; do
	dst=$tmp/new/my-plugin/${f//__NAME__/my-plugin}
	mkdir -p "$(dirname "$dst")"
	sed 's/__NAME__/my-plugin/g' "$tpl/$f" >"$dst"
done
chmod +x "$tmp/new/my-plugin/build.sh"
(cd "$tmp/new/my-plugin" && CARGO_TARGET_DIR=$targets/template ./build.sh >/dev/null 2>"$tmp/template.log") || {
	cat "$tmp/template.log"
	exit 1
}
(cd "$tmp/new/my-plugin" && CARGO_TARGET_DIR=$targets/template-test cargo test -q)
echo "   my-plugin.wasm: $(wc -c <"$tmp/new/my-plugin/my-plugin.wasm") bytes"
exit $fail
