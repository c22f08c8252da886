#!/usr/bin/env bash
# run-idle.sh: memory per idle connection (issue 4). For each server (socklet
# serving its embedded demo, whose /chat subscribes every connection to a
# topic; echo-gorilla; echo-gws), starts it fresh, opens N idle connections
# with idleconns (a separate process) and prints the server's VmRSS growth
# per connection, RUNS times each (median reported).
#
# Environment: N (default 10000), RUNS (default 3), SERVERS (default
# "socklet gws gorilla"). Loopback only; every process started here is
# killed by its PID on exit.
set -euo pipefail
cd "$(dirname "$0")"
N=${N:-10000}
RUNS=${RUNS:-3}
SERVERS=${SERVERS:-"socklet gws gorilla"}
ulimit -n 20000

BIN=$(mktemp -d /tmp/socklet-idle.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$BIN"
}
trap cleanup EXIT INT TERM

(cd .. && go build -o "$BIN/socklet" ./cmd/socklet)
go build -o "$BIN/" ./cmd/idleconns ./cmd/echo-gorilla ./cmd/echo-gws

start_server() { # name -> sets SERVER_PID, URL
  case $1 in
    socklet) "$BIN/socklet" serve --listen 127.0.0.1:18080 >"$BIN/server.log" 2>&1 &
             URL=ws://127.0.0.1:18080/chat; PORT=18080 ;;
    gorilla) "$BIN/echo-gorilla" -addr 127.0.0.1:18081 >"$BIN/server.log" 2>&1 &
             URL=ws://127.0.0.1:18081/; PORT=18081 ;;
    gws)     "$BIN/echo-gws" -addr 127.0.0.1:18082 >"$BIN/server.log" 2>&1 &
             URL=ws://127.0.0.1:18082/; PORT=18082 ;;
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

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg), N=$N runs=$RUNS"
for i in $(seq "$RUNS"); do
  for srv in $SERVERS; do
    start_server "$srv"
    out=$(timeout 180 "$BIN/idleconns" -url "$URL" -n "$N" -pid "$SERVER_PID")
    echo "$srv run $i: $out" >&2
    echo "$out" >>"$BIN/runs.$srv"
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    sleep 2 # let the closed sockets drain
  done
done

field() { grep -o "$1=[0-9.]*" "$2" | cut -d= -f2 | median; }
echo
echo "| server | connections | RSS before (KiB) | RSS after (KiB) | KiB per idle connection |"
echo "|---|---:|---:|---:|---:|"
for srv in $SERVERS; do
  f="$BIN/runs.$srv"
  echo "| $srv | $N | $(field rss_before_kib "$f") | $(field rss_after_kib "$f") | $(field kib_per_conn "$f") |"
done
