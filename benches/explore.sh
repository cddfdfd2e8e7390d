#!/usr/bin/env bash
# The long exploration: `explore` against the embedded emulator under every
# behaviour profile the emulator offers (16) and several seeds; prints
# sequences and calls per second per run, exits 1 on any finding.
# Usage: benches/explore.sh [CASES] [SEEDS]   (default 1000 sequences, 3 seeds)
set -euo pipefail
CASES=${1:-1000}
SEEDS=${2:-3}
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/appflow-harness
failed=0
for active in conflict idempotent; do
  for stopped in suspended draft; do
    for event in draft active; do
      for progress in accept conflict; do
        for seed in $(seq 1 "$SEEDS"); do
          flags="--active-start $active --stopped-status $stopped --event-initial-status $event --in-progress-start $progress"
          if ! out=$("$BIN" explore --cases "$CASES" --seed "$seed" --run-time 600s $flags 2>&1); then
            failed=1
            echo "FAILED: $flags seed $seed"
            echo "$out"
          fi
          echo "$flags seed $seed: $(echo "$out" | grep '^explored' | sed 's/.*: //')"
        done
      done
    done
  done
done
exit $failed
