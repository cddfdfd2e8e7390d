#!/usr/bin/env bash
# Two servers at once: both on core 0, each driven by its own wrk on core 1
# with fresh tokens for the same seconds. They share the core, the caches and
# whatever else the machine does meanwhile, so the ratio of their req/s is
# the inverse ratio of their CPU cost per request with the machine's drift
# cancelled (a build against itself gives 0.98-1.00 on the shared 2-core
# machine where alternating runs swing from 0.65 to 1.2). The harsher test of
# the two: the servers also evict each other's caches. Use it to compare
# builds; benches/loopback.sh is the comparison the emulator's goal names.
# Usage: benches/paired.sh [RUNS] [SECONDS]
#          the bare handler (examples/bare_handler.rs) against this emulator;
#        BASE=path/to/appflow-harness benches/paired.sh [RUNS] [SECONDS]
#          another build of the emulator (BASE) against this one.
# Needs wrk (Debian package `wrk`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SECS=${2:-6}
source benches/common.sh
cargo build --release --quiet --bin appflow-harness --example bare_handler
A_PORT=4593
B_PORT=4594
if [ -n "${BASE:-}" ]; then
  start_emulator $A_PORT "$BASE"; A=$EMU; A_NAME=base
else
  start_bare $A_PORT; A=$BARE; A_NAME=bare
fi
start_emulator $B_PORT; B=$EMU
trap 'kill $A $B 2>/dev/null' EXIT

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
out=$(mktemp -d)
ratios=()
for i in $(seq 1 "$RUNS"); do
  [ -n "${BASE:-}" ] && fresh_state $A_PORT
  fresh_state $B_PORT
  fresh_wrk "http://127.0.0.1:$A_PORT" "a$i" >"$out/a" &
  W=$!
  fresh_wrk "http://127.0.0.1:$B_PORT" "b$i" >"$out/b"
  wait $W
  grep -q Non-2xx "$out/a" "$out/b" && echo "warning: non-2xx answers in run $i" >&2
  ratios+=("$(awk -v a="$(rps "$out/a")" -v b="$(rps "$out/b")" 'BEGIN {printf "%.3f", b/a}')")
  echo "run $i: $A_NAME $(rps "$out/a") req/s, emulator $(rps "$out/b") req/s, ratio ${ratios[-1]}"
done
rm -r "$out"
echo "median ratio (emulator/$A_NAME): $(printf '%s\n' "${ratios[@]}" | median) (${ratios[*]})"
