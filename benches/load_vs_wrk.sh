#!/usr/bin/env bash
# `appflow-harness load` (goose, verification during the run on) against wrk
# and against a bare goose attack (examples/goose_baseline.rs, goose's
# default client), all sending StartFlow with fresh tokens to the same
# emulator (release build, separate process); `load` both with its tuned
# client and with goose's default one (--goose-client), to show the client's
# gain. Emulator on core 0, load generators on core 1, alternating runs,
# medians. Rates are requests over the time requests were being sent:
# goose's run time for the baseline, first request to last answer for
# `load` (its report's requests_per_second). Then the peak RSS of a longer
# `load` run.
# Needs wrk and GNU time (Debian packages `wrk`, `time`).
# Usage: [PORT=4593] benches/load_vs_wrk.sh [RUNS] [SECONDS] [RSS_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECS=${2:-10}
RSS_SECS=${3:-60}
source benches/common.sh
cargo build --release --quiet --bin appflow-harness --example goose_baseline
T=${CARGO_TARGET_DIR:-target}
BIN=$T/release/appflow-harness
PORT=${PORT:-4593}
start_emulator $PORT "$BIN"
trap 'kill $EMU 2>/dev/null' EXIT
wrk_rps=(); load_rps=(); goose_rps=(); loadg_rps=()
run_load() { # run_load JSON [FLAGS...]: load's req/s
  local json=$1; shift
  taskset -c 1 $BIN load --target "http://127.0.0.1:$PORT" --users 64 --hatch-rate 640 --run-time "${SECS}s" \
    --mix fresh=100 --flows 16 --json "$json" "$@" >/tmp/load_vs_wrk.txt 2>&1 || { cat /tmp/load_vs_wrk.txt; exit 1; }
  python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["requests_per_second"])' "$json"
}
for i in $(seq 1 "$RUNS"); do
  wrk_rps+=("$(fresh_wrk "http://127.0.0.1:$PORT" "lw$i" | awk '/Requests\/sec/ {print $2}')")
  goose_rps+=("$(taskset -c 1 "$T/release/examples/goose_baseline" "http://127.0.0.1:$PORT" 64 "$SECS" | awk '/goose_baseline/ {print $(NF-1)}')")
  loadg_rps+=("$(run_load /tmp/load_vs_wrk_goose.json --goose-client)")
  load_rps+=("$(run_load /tmp/load_vs_wrk.json)")
  verdict=$(grep -m1 'lost:' /tmp/load_vs_wrk.txt | sed 's/^ *//')
  echo "run $i: wrk ${wrk_rps[-1]} req/s, bare goose ${goose_rps[-1]} req/s, load (goose's client) ${loadg_rps[-1]} req/s, load ${load_rps[-1]} req/s ($verdict)"
done
mw=$(printf '%s\n' "${wrk_rps[@]}" | median); ml=$(printf '%s\n' "${load_rps[@]}" | median)
mg=$(printf '%s\n' "${goose_rps[@]}" | median); mlg=$(printf '%s\n' "${loadg_rps[@]}" | median)
echo "median: wrk $mw req/s, bare goose $mg req/s, load (goose's client) $mlg req/s, load $ml req/s"
# Each run's load beside the bare goose run next to it: the host's drift
# between runs cancels in these ratios (the noisier the machine, the more
# they say against the ratio of medians).
paired=$(for k in "${!load_rps[@]}"; do awk "BEGIN {print ${load_rps[$k]}/${goose_rps[$k]}}"; done | median)
echo "median of paired ratios (load / bare goose of the same run): $(awk "BEGIN {printf \"%.3f\", $paired}")"
echo "ratios: load/wrk $(awk "BEGIN {printf \"%.3f\", $ml/$mw}"), load/bare goose $(awk "BEGIN {printf \"%.3f\", $ml/$mg}"), bare goose/wrk $(awk "BEGIN {printf \"%.3f\", $mg/$mw}"), load (goose's client)/bare goose $(awk "BEGIN {printf \"%.3f\", $mlg/$mg}")"
if [ "$RSS_SECS" -gt 0 ]; then
  /usr/bin/time -v taskset -c 1 $BIN load --target "http://127.0.0.1:$PORT" --users 64 --hatch-rate 640 \
    --run-time "${RSS_SECS}s" --flows 16 >/tmp/load_rss.txt 2>/tmp/load_rss.err || true
  grep -E '^total:|lost:' /tmp/load_rss.txt
  echo "peak RSS of a ${RSS_SECS}s load run (default mix): $(awk '/Maximum resident set size/ {print $NF}' /tmp/load_rss.err) KiB"
fi
