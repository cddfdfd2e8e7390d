#!/usr/bin/env bash
# `load`'s own memory in a soak: `load` against `serve` as separate processes
# at a steady --throttle (serve on core 0, load on core 1), the peak RSS
# (VmHWM) of each sampled every minute. With verification during the run
# the ledger holds only the unsettled window, so load's peak at the end
# should stay within 1.2x its peak after the first minute.
# Usage: benches/load_soak.sh [MINUTES] [THROTTLE_RPS] [USERS]   (NO_BUILD=1: use the build there is)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-5}
RATE=${2:-2000}
USERS=${3:-16}
PORT=4594
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet --bin appflow-harness
BIN=${CARGO_TARGET_DIR:-target}/release/appflow-harness
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
taskset -c 0 "$BIN" serve --port $PORT --max-concurrent-runs 1000000000 \
  --max-runs-per-month 1000000000 2>/dev/null &
SERVE=$!
LOAD=
trap 'kill $SERVE $LOAD 2>/dev/null || true' EXIT
sleep 1
taskset -c 1 "$BIN" load --target "http://127.0.0.1:$PORT" --users "$USERS" --throttle "$RATE" \
  --run-time "$((MINUTES * 60))s" --json /tmp/load_soak.json --html /tmp/load_soak.html \
  >/tmp/load_soak.txt 2>&1 &
LOAD=$!
first_load=0; first_serve=0
for m in $(seq 1 "$MINUTES"); do
  sleep 60
  l=$(hwm $LOAD); s=$(hwm $SERVE)
  [ "$m" -eq 1 ] && { first_load=$l; first_serve=$s; }
  echo "minute $m: load peak RSS $l KiB, serve peak RSS $s KiB"
done
wait $LOAD || true
grep -E '^total:|fresh tokens:' /tmp/load_soak.txt || cat /tmp/load_soak.txt
echo "load: peak RSS ${first_load} KiB at 1 min, ${l} KiB at ${MINUTES} min, ratio $(awk "BEGIN {printf \"%.2f\", $l/$first_load}") (goal <= 1.2)"
echo "serve: peak RSS ${first_serve} KiB at 1 min, ${s} KiB at ${MINUTES} min, ratio $(awk "BEGIN {printf \"%.2f\", $s/$first_serve}")"
