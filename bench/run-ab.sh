#!/usr/bin/env bash
# run-ab.sh REV: socklet at git revision REV against socklet as it is in
# this worktree, on one load row, in RUNS interleaved pairs (REV first in
# odd pairs, this tree first in even ones), printing the server CPU per
# message of each run as run-echo.sh computes it. On a shared machine the
# load of other processes moves every number by 10-30%; pairs run seconds
# apart see about the same load, so "which of the two costs less" survives
# the noise better than the medians of run-echo.sh. Both servers are
# bench/cmd/sockletprof with the embedded demo's config (/echo: the Rust
# echo plugin, two instances).
#
# Environment: RUNS (default 5), DURATION (5s), WARMUP (1s), CONNS (10),
# INFLIGHT (2), SIZE (65536), PORT (18190; not run-echo.sh's ports, so both
# can run on one machine). Every process started here is killed by its PID.
set -euo pipefail
cd "$(dirname "$0")"
REV=${1:?usage: run-ab.sh REV}
RUNS=${RUNS:-5}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONNS=${CONNS:-10}
INFLIGHT=${INFLIGHT:-2}
SIZE=${SIZE:-65536}
PORT=${PORT:-18190}

BIN=$(mktemp -d /tmp/socklet-ab.XXXXXX)
PID=
cleanup() {
  if [[ -n $PID ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$BIN"
}
trap cleanup EXIT INT TERM

mkdir "$BIN/old"
git -C .. archive "$REV" | tar -x -C "$BIN/old"
(cd "$BIN/old/bench" && go build -o "$BIN/socklet-$REV" ./cmd/sockletprof)
go build -o "$BIN/socklet-tree" ./cmd/sockletprof
go build -o "$BIN/" ./cmd/loadgen
rm -rf "$BIN/old"

hz=$(getconf CLK_TCK)
sec() { case $1 in *ms) echo "${1%ms} / 1000" | bc -l ;; *s) echo "${1%s}" ;; esac; }
secs=$(echo "$(sec "$DURATION") + $(sec "$WARMUP")" | bc -l)
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg); ${CONNS}x${INFLIGHT}x${SIZE}B, runs=$RUNS duration=$DURATION"
for i in $(seq "$RUNS"); do
  # Odd rounds run REV first, even rounds this tree first: neither always
  # runs right after the other stopped.
  order=("socklet-$REV" socklet-tree)
  if ((i % 2 == 0)); then order=(socklet-tree "socklet-$REV"); fi
  for bin in "${order[@]}"; do
    "$BIN/$bin" -config ../cmd/socklet/demo/socklet.toml -listen "127.0.0.1:$PORT" -pprof "127.0.0.1:$((PORT + 1))" >"$BIN/server.log" 2>&1 &
    PID=$!
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
    c0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
    out=$("$BIN/loadgen" -url "ws://127.0.0.1:$PORT/echo" -conns "$CONNS" -inflight "$INFLIGHT" \
      -size "$SIZE" -binary -duration "$DURATION" -warmup "$WARMUP")
    c1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
    rate=$(grep -o 'msgs_per_s=[0-9.]*' <<<"$out" | cut -d= -f2)
    us=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v r="$rate" -v s="$secs" 'BEGIN { printf "%.2f", t / hz * 1e6 / (r * s) }')
    echo "$bin run $i: msgs_per_s=$rate server_cpu_us_per_msg=$us (load $(cut -d' ' -f1 /proc/loadavg))"
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
    sleep 1
  done
done
