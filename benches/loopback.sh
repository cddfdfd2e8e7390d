#!/usr/bin/env bash
# The loopback comparison of the emulator's StartFlow (fresh tokens) against
# a bare axum handler that parses the same JSON and answers a fixed body.
# Servers on core 0, wrk on core 1, alternating runs, medians printed.
# Each emulator run starts from an empty state (the flow "bench" only), so
# runs are alike and independent: a run of S seconds at R req/s ends with
# S*R live tokens and runs. KEEP_STATE=1 keeps the state across runs instead,
# to see how the emulator fares as it holds more (RUNS*S*R at the end).
# Needs wrk (Debian package `wrk`).  Usage: benches/loopback.sh [RUNS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECS=${2:-10}
source benches/common.sh
cargo build --release --quiet --bin appflow-harness --example bare_handler
EMU_PORT=4591
BARE_PORT=4592
start_emulator $EMU_PORT
start_bare $BARE_PORT
trap 'kill $EMU $BARE 2>/dev/null' EXIT
sleep 1

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime+stime in clock ticks
TICK_US=$((1000000 / $(getconf CLK_TCK)))
rps() { # url label pid -> "req/s server-cpu-us-per-request"
  local before after out
  before=$(cpu "$3")
  out=$(fresh_wrk "$1" "$2")
  after=$(cpu "$3")
  echo "$out" | grep -q Non-2xx && echo "warning: non-2xx answers in $2" >&2
  echo "$out" | awk -v t=$((after - before)) -v us=$TICK_US \
    '/^ +[0-9]+ requests in/ {n=$1} /Requests\/sec/ {r=$2} END {printf "%s %.2f\n", r, t*us/n}'
}
bare=(); emu=(); bare_cpu=(); emu_cpu=(); pair=()
for i in $(seq 1 "$RUNS"); do
  read -r r c < <(rps "http://127.0.0.1:$BARE_PORT" "bare$i" $BARE); bare+=("$r"); bare_cpu+=("$c")
  [ "${KEEP_STATE:-0}" = 1 ] || fresh_state $EMU_PORT
  read -r r c < <(rps "http://127.0.0.1:$EMU_PORT" "emu$i" $EMU); emu+=("$r"); emu_cpu+=("$c")
  pair+=("$(awk "BEGIN {printf \"%.3f\", ${emu[-1]}/${bare[-1]}}")")
  echo "run $i: bare ${bare[-1]} req/s (${bare_cpu[-1]} us cpu/req), emulator ${emu[-1]} req/s (${emu_cpu[-1]} us cpu/req)"
done
mb=$(printf '%s\n' "${bare[@]}" | median); me=$(printf '%s\n' "${emu[@]}" | median)
cb=$(printf '%s\n' "${bare_cpu[@]}" | median); ce=$(printf '%s\n' "${emu_cpu[@]}" | median)
echo "median: bare $mb req/s, emulator $me req/s, ratio $(awk "BEGIN {printf \"%.3f\", $me/$mb}")"
# Neighbouring runs share the machine's mood: the median of their ratios is
# the steadier figure when the load on this machine drifts.
echo "median of the per-run ratios (emulator/bare): $(printf '%s\n' "${pair[@]}" | median) (${pair[*]})"
echo "median server cpu per request: bare $cb us, emulator $ce us, ratio $(awk "BEGIN {printf \"%.3f\", $cb/$ce}") (bare/emulator)"
curl -fsS "http://127.0.0.1:$EMU_PORT/_harness/counters" | head -c 300; echo
