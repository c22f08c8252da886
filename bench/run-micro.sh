#!/usr/bin/env bash
# run-micro.sh: the protocol micro-benchmarks of socklet, gorilla and gws
# (bench/protocol), COUNT runs each, summarised as a Markdown table of
# medians (microtable.awk) and by benchstat. Nothing is started that
# outlives go test.
#
# Environment: COUNT (default 5), BENCH (regexp, default .), BENCHTIME
# (default 200ms).
set -euo pipefail
cd "$(dirname "$0")"
COUNT=${COUNT:-5}
BENCH=${BENCH:-.}
BENCHTIME=${BENCHTIME:-200ms}
OUT=$(mktemp /tmp/socklet-micro.XXXXXX)
trap 'rm -f "$OUT"' EXIT
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
timeout 1800 go test -run '^$' -bench "$BENCH" -benchtime "$BENCHTIME" -count "$COUNT" ./protocol/ | tee "$OUT" >&2
echo
awk -f microtable.awk "$OUT"
echo
GOFLAGS= go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$OUT"
