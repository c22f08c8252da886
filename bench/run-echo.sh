#!/usr/bin/env bash
# run-echo.sh: the issue 4 throughput comparison. Builds socklet (serving its
# embedded demo, whose /echo is a Rust Wasm plugin), echo-gorilla, echo-gws,
# echo-protocol and loadgen, then runs every load row against one server at
# a time, RUNS rounds each, and prints the median of each row as a Markdown
# table, then in how many rounds the first of SERVERS cost less CPU per
# message than each of the others.
#
# Environment: RUNS (default 3), DURATION (default 10s), WARMUP (default 1s),
# ROWS (space-separated row names; by default the four rows of issue 4,
# without 100x1x32B), SERVERS (default "socklet gws gws-seq gorilla";
# gws-seq is gws without ParallelEnabled; gws-stack is gws-seq writing each
# echo from STACK (default 24) calls deeper, an experiment on cold stacks;
# protocol is socklet's protocol package echoing from Go, without the
# plugin: docs/benchmarks.md, "What to change", item 11). Loopback only;
# every process started here is killed by its PID on exit.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-1s}
SERVERS=${SERVERS:-"socklet gws gws-seq gorilla"}
ulimit -n 20000

# name conns inflight size binary
ALL_ROWS=(
  "100x8x32B 100 8 32 true"
  "1000x1x32B 1000 1 32 true"
  "100x1x32B 100 1 32 true"
  "10x2x64KiB 10 2 65536 true"
  "100x8x32B-text 100 8 32 false"
)
ROWS=${ROWS:-"100x8x32B 1000x1x32B 10x2x64KiB 100x8x32B-text"}

BIN=$(mktemp -d /tmp/socklet-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$BIN"
}
trap cleanup EXIT INT TERM

(cd .. && go build -o "$BIN/socklet" ./cmd/socklet)
go build -o "$BIN/" ./cmd/loadgen ./cmd/echo-gorilla ./cmd/echo-gws ./cmd/echo-protocol

start_server() { # name -> sets SERVER_PID, URL
  case $1 in
    socklet) "$BIN/socklet" serve --listen 127.0.0.1:18080 >"$BIN/server.log" 2>&1 &
             URL=ws://127.0.0.1:18080/echo; PORT=18080 ;;
    gorilla) "$BIN/echo-gorilla" -addr 127.0.0.1:18081 >"$BIN/server.log" 2>&1 &
             URL=ws://127.0.0.1:18081/echo; PORT=18081 ;;
    gws)     "$BIN/echo-gws" -addr 127.0.0.1:18082 >"$BIN/server.log" 2>&1 &
             URL=ws://127.0.0.1:18082/echo; PORT=18082 ;;
    gws-seq) "$BIN/echo-gws" -parallel=false -addr 127.0.0.1:18083 >"$BIN/server.log" 2>&1 &
             URL=ws://127.0.0.1:18083/echo; PORT=18083 ;;
    gws-stack) "$BIN/echo-gws" -parallel=false -stack "${STACK:-24}" -addr 127.0.0.1:18084 >"$BIN/server.log" 2>&1 &
             URL=ws://127.0.0.1:18084/echo; PORT=18084 ;;
    protocol) "$BIN/echo-protocol" -addr 127.0.0.1:18085 >"$BIN/server.log" 2>&1 &
             URL=ws://127.0.0.1:18085/echo; PORT=18085 ;;
  esac
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 100); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi # it exited (port taken?)
    if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then
      sleep 0.2
      # the port answered: make sure it is our server that did
      if kill -0 "$SERVER_PID" 2>/dev/null; then return 0; fi
      break
    fi
    sleep 0.1
  done
  echo "server $1 did not start" >&2; cat "$BIN/server.log" >&2; return 1
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  sleep 1 # let TIME_WAIT sockets and CPU settle
}

# cpu_ticks PID: user+system CPU time of PID in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg), runs=$RUNS duration=$DURATION"
# Runs are interleaved (run 1 of every server, then run 2, ...) so that a
# burst of load from other processes does not fall on one server only, and
# each round starts one server further along SERVERS, so that no server
# always runs first (or last) after the previous one stopped.
read -ra SERVER_LIST <<<"$SERVERS"
rotated() { # round -> SERVERS, rotated left by round-1
  local n=${#SERVER_LIST[@]} k
  for ((k = 0; k < n; k++)); do echo "${SERVER_LIST[(($1 - 1 + k) % n)]}"; done
}
for row in "${ALL_ROWS[@]}"; do
  read -r name conns inflight size binary <<<"$row"
  [[ " $ROWS " == *" $name "* ]] || continue
  for i in $(seq "$RUNS"); do
    for srv in $(rotated "$i"); do
      start_server "$srv"
      cpu0=$(cpu_ticks "$SERVER_PID")
      out=$(timeout 120 "$BIN/loadgen" -url "$URL" -conns "$conns" -inflight "$inflight" \
        -size "$size" -binary="$binary" -duration "$DURATION" -warmup "$WARMUP")
      cpu1=$(cpu_ticks "$SERVER_PID")
      # server CPU per message: CPU time of the whole run (warmup included)
      # over the messages of the whole run at the measured rate.
      rate=$(grep -o 'msgs_per_s=[0-9.]*' <<<"$out" | cut -d= -f2)
      us=$(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v r="$rate" -v d="$DURATION" -v w="$WARMUP" \
        'function sec(s) { if (s ~ /ms$/) return s/1000; return s+0 }
         BEGIN { n = r * (sec(d) + sec(w)); if (n > 0) printf "%.2f", t / hz * 1e6 / n; else print "nan" }')
      out="$out server_cpu_us_per_msg=$us"
      echo "$name $srv run $i: $out (load $(cut -d' ' -f1 /proc/loadavg))" >&2
      echo "$out" >>"$BIN/runs.$name.$srv"
      stop_server
    done
  done
done

values() { grep -o "$1=[0-9.]*" "$2" | cut -d= -f2; } # one per run, in order
field() { values "$1" "$2" | median; }
measured_rows() { # the names of the rows run above, in table order
  for row in "${ALL_ROWS[@]}"; do
    read -r name _ <<<"$row"
    if [[ " $ROWS " == *" $name "* ]]; then echo "$name"; fi
  done
}
echo
echo "| load | server | msgs/s | MB/s | p50 µs | p99 µs | server CPU µs/msg | loadgen CPU s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for name in $(measured_rows); do
  for srv in $SERVERS; do
    f="$BIN/runs.$name.$srv"
    echo "| $name | $srv | $(field msgs_per_s "$f") | $(field mb_per_s "$f") | $(field p50_us "$f") | $(field p99_us "$f") | $(field server_cpu_us_per_msg "$f") | $(field client_cpu_s "$f") |"
  done
done

# Round by round: runs minutes apart move by 10-30% on a shared machine, so
# the medians can disagree with what each round shows; the servers of one
# round ran seconds apart, under about the same load.
first=${SERVERS%% *}
echo
echo "| load | $first's server CPU per message below | rounds | mean µs/msg, $first against it |"
echo "|---|---|---:|---:|"
for name in $(measured_rows); do
  for srv in $SERVERS; do
    [[ $srv == "$first" ]] && continue
    paste -d' ' <(values server_cpu_us_per_msg "$BIN/runs.$name.$first") \
      <(values server_cpu_us_per_msg "$BIN/runs.$name.$srv") |
      awk -v name="$name" -v srv="$srv" '{ n++; a += $1; b += $2; if ($1 < $2) w++ }
        END { if (n) printf "| %s | %s | %d of %d | %.2f against %.2f |\n", name, srv, w, n, a / n, b / n }'
  done
done
