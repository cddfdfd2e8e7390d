#!/usr/bin/env bash
# Issue 31's soak, for as long as asked (an hour by default): `serve` as a
# separate process with a 60 s token TTL and the run quotas lifted, `load`
# at --throttle 2000 with fresh=95,conflict=5 (for MINUTES plus 30 s, so the last
# minute is sampled while it runs); every minute the RSS (VmRSS)
# and peak RSS (VmHWM) of both, and at the end the verdict and the ratios
# RSS at the last minute / at minute 1 (goal <= 1.2 each).
# Usage: benches/load_soak_hour.sh [MINUTES] [THROTTLE_RPS] [USERS] [PORT]
#   NO_BUILD=1: use the build there is; MIX=...: another --mix;
#   TTL=secs: serve's --token-ttl-secs (60); EXTRA_LOAD="...": more load flags.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-60}
RATE=${2:-2000}
USERS=${3:-8}
PORT=${4:-4595}
MIX=${MIX:-fresh=95,conflict=5}
TTL=${TTL:-60}
OUT=${OUT:-/tmp/load_soak_hour}
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet --bin appflow-harness
BIN=${CARGO_TARGET_DIR:-target}/release/appflow-harness
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
"$BIN" serve --port "$PORT" --token-ttl-secs "$TTL" --max-concurrent-runs 100000000 \
  --max-runs-per-month 1000000000 >"$OUT.serve.txt" 2>&1 &
SERVE=$!
LOAD=
trap 'kill $SERVE $LOAD 2>/dev/null || true' EXIT
sleep 1
# shellcheck disable=SC2086
"$BIN" load --target "http://127.0.0.1:$PORT" --users "$USERS" --hatch-rate "$USERS" \
  --throttle "$RATE" --run-time "$((MINUTES * 60 + 30))s" --mix "$MIX" ${EXTRA_LOAD:-} \
  --json "$OUT.json" --html "$OUT.html" >"$OUT.txt" 2>&1 &
LOAD=$!
declare -a L S
for m in $(seq 1 "$MINUTES"); do
  sleep 60
  L[m]=$(rss $LOAD); S[m]=$(rss $SERVE)
  echo "minute $m: load RSS ${L[m]} KiB (peak $(hwm $LOAD)), serve RSS ${S[m]} KiB (peak $(hwm $SERVE))"
done
code=0
wait $LOAD || code=$?
grep -E '^total:|fresh tokens|correctness|witness|T4|throttl|behind' "$OUT.txt" || cat "$OUT.txt"
echo "load exit code: $code"
ratio() { awk "BEGIN {printf \"%.2f\", $1/($2 > 0 ? $2 : 1)}"; }
echo "load: RSS ${L[1]} KiB at 1 min, ${L[MINUTES]} KiB at $MINUTES min, ratio $(ratio "${L[MINUTES]}" "${L[1]}") (goal <= 1.2)"
echo "serve: RSS ${S[1]} KiB at 1 min, ${S[MINUTES]} KiB at $MINUTES min, ratio $(ratio "${S[MINUTES]}" "${S[1]}") (goal <= 1.2)"
[ "$MINUTES" -ge 5 ] && echo "at 5 min: load ${L[5]} KiB (x$(ratio "${L[5]}" "${L[1]}")), serve ${S[5]} KiB (x$(ratio "${S[5]}" "${S[1]}"))"
exit "$code"
