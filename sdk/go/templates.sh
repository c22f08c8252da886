#!/usr/bin/env bash
# Copies the Go SDK into the `socklet new go` template
# (cmd/socklet/templates/go/_sdk/; `socklet new tinygo` uses the same copy),
# as the Rust template vendors its
# SDK: the module github.com/socklet/socklet/sdk/go is not on any proxy, so a
# new project carries it and points a replace directive at it.
#
# The copy has no go.mod: cmd/socklet embeds the templates, and go:embed
# skips any directory holding a go.mod. The template's build.sh writes both
# go.mod files on its first run. The names start with "_" (_sdk/,
# __NAME__.go) so that the root module's go build/vet/test ./... ignore these
# sources; `socklet new` turns __NAME__.go into NAME.go.
#
#   sdk/go/templates.sh          refresh the copies
#   sdk/go/templates.sh --check  fail if a copy differs (sdk/go/test.sh)
set -euo pipefail
sdk=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$sdk/../.." && pwd)
files=$(cd "$sdk" && git ls-files --cached --others --exclude-standard -- '*.go' 'targets/*.json' | grep -v '_test\.go$' | sort)
status=0
for lang in go; do
	dst=$root/cmd/socklet/templates/$lang/_sdk
	if [ "${1:-}" = --check ]; then
		want=$(printf '%s\n' "$files")
		have=$(cd "$dst" 2>/dev/null && find . -type f | sed 's|^\./||' | sort || true)
		if [ "$want" != "$have" ]; then
			echo "templates/$lang/_sdk: file list differs from sdk/go (run sdk/go/templates.sh)" >&2
			status=1
			continue
		fi
		for f in $files; do
			cmp -s "$sdk/$f" "$dst/$f" || { echo "templates/$lang/_sdk/$f differs from sdk/go/$f (run sdk/go/templates.sh)" >&2; status=1; }
		done
	else
		rm -rf "$dst"
		for f in $files; do
			mkdir -p "$(dirname "$dst/$f")"
			cp "$sdk/$f" "$dst/$f"
		done
	fi
done
exit $status
