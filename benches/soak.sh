#!/usr/bin/env bash
# Soak: `serve` with the token TTL lowered to a minute, under `load` with
# fresh tokens as separate processes (one after another, each RUN seconds,
# each verifying its runs) for MINUTES minutes. Prints the peak RSS of
# `serve` (VmHWM) at 1 minute and at the end, and their ratio: memory is
# bounded by what the contract asks to keep (tokens for their TTL, run
# records for --max-runs-per-flow and their tokens' TTL) when the ratio is
# near 1 (goal: at most 1.2). Also prints each `load`'s own peak RSS.
#
#   benches/soak.sh [MINUTES] [PORT]        # MINUTES default 5
#
# The binary: the debug build by default (`cargo build`), or the release one
# with PROFILE=release; CARGO_TARGET_DIR is honoured. Run it while nothing
# else builds: it measures memory, not speed, but a starved `load` sends less.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-5}
port=${2:-4599}
run=${RUN:-20}
profile=${PROFILE:-debug}
target=${CARGO_TARGET_DIR:-target}
if [ "$profile" = release ]; then
  cargo build --release --bin appflow-harness
else
  cargo build --bin appflow-harness
fi
bin="$target/$profile/appflow-harness"
url="http://127.0.0.1:$port"

"$bin" serve --port "$port" --token-ttl-secs 60 --run-time-ms 200 \
  --max-concurrent-runs 1000000000 --max-runs-per-month 1000000000 2>/tmp/soak-serve.log &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fsS "$url/_harness/counters" >/dev/null 2>&1 && break; sleep 0.1; done

hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$serve/status"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$serve/status"; }

start=$(date +%s)
end=$((start + minutes * 60))
at_1min=""
n=0
while [ "$(date +%s)" -lt "$end" ]; do
  left=$((end - $(date +%s)))
  secs=$((left < run ? left : run))
  [ "$secs" -ge 2 ] || break
  n=$((n + 1))
  # Fresh tokens only; each process creates its flows, verifies its runs
  # (within the token TTL) and deletes its flows.
  /usr/bin/time -o /tmp/soak-load.time -f %M "$bin" load --target "$url" --run-time "${secs}s" \
      --mix fresh=100,replay=0,conflict=0,describe=0 --users 8 --min-verified 1 \
      --json "/tmp/soak-load-$n.json" >/tmp/soak-load.log 2>&1 \
    || echo "load $n failed: $(tail -3 /tmp/soak-load.log)" >&2
  load_kib=$(tail -1 /tmp/soak-load.time)
  elapsed=$(( $(date +%s) - start ))
  counters=$(curl -fsS "$url/_harness/counters" | tr -d '\n' \
    | grep -o '"\(requests\|tokensHeld\|runsEvicted\)":[0-9]*' | tr '\n' ' ')
  echo "t=${elapsed}s load $n (${secs}s): load peak RSS ${load_kib:-?} KiB; serve VmHWM $(hwm_kib) KiB, VmRSS $(rss_kib) KiB; $counters"
  if [ -z "$at_1min" ] && [ "$elapsed" -ge 60 ]; then
    at_1min=$(hwm_kib)
    at_1min_t=$elapsed
  fi
done
final=$(hwm_kib)
final_t=$(( $(date +%s) - start ))
if [ -z "$at_1min" ]; then
  echo "ran less than a minute: serve's peak RSS $final KiB"
  exit 0
fi
echo "serve peak RSS (VmHWM): $at_1min KiB at ${at_1min_t}s, $final KiB at ${final_t}s: ratio $(awk "BEGIN {printf \"%.2f\", $final / $at_1min}") (goal <= 1.2)"
