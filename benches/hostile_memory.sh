#!/usr/bin/env bash
# Peak memory of `check` against an endpoint that answers 50 MB bodies,
# beside the same check against the emulator (`serve`), in the same run.
# Needs /usr/bin/time (Debian package `time`).
#
#   benches/hostile_memory.sh [MEGABYTES]
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-50}
cargo build --release --bin appflow-harness --example hostile_endpoint
bin=target/release/appflow-harness
target/release/examples/hostile_endpoint 4571 "$mb" & hostile=$!
"$bin" serve --port 4572 & emulator=$!
trap 'kill $hostile $emulator 2>/dev/null || true' EXIT
sleep 1
peak() { # URL -> peak RSS in KiB of one check run
  /usr/bin/time -f %M "$bin" check scenarios/unknown_flow.yaml scenarios/on_demand_start.yaml \
    --target "$1" --no-snapshots >/dev/null 2>/tmp/hostile_memory.err || true
  tail -1 /tmp/hostile_memory.err
}
base=$(peak http://127.0.0.1:4572)
hostile_kib=$(peak http://127.0.0.1:4571)
grep -o "answer larger than [0-9]* bytes[^;]*" -m1 <("$bin" check scenarios/unknown_flow.yaml --target http://127.0.0.1:4571 --no-snapshots 2>&1) || true
echo "peak RSS of check: against the emulator $((base / 1024)) MiB, against ${mb} MB answers $((hostile_kib / 1024)) MiB (ratio $(awk "BEGIN {printf \"%.2f\", $hostile_kib / $base}"))"
