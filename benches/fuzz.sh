#!/usr/bin/env bash
# The long fuzz run: a million random requests through the emulator's router
# and a hundred thousand garbled scenario files through the parser (the
# property tests in tests/fuzz.rs and tests/emulator_robustness.rs run a few
# hundred of each in CI). Figures: cases, seconds, panics, 5xx, peak RSS.
#
#   benches/fuzz.sh [REQUESTS] [SCENARIOS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example fuzz
exec target/release/examples/fuzz "${1:-1000000}" "${2:-100000}" "${3:-1}"
