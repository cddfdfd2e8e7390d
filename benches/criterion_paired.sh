#!/usr/bin/env bash
# Two builds of a criterion bench, interleaved (ABBA rounds), on a noisy
# machine: each round runs both binaries back to back on the same core, so
# the host's drift between rounds cancels in each round's after/before ratio;
# the median and the spread (min-max) of those ratios are printed per bench.
# Build each side's bench once (`cargo bench --bench emulator --no-run`
# prints its path) and copy it aside, as the target dir keeps only one.
# Usage: benches/criterion_paired.sh BEFORE_BIN AFTER_BIN [ROUNDS] [FILTER] [SECONDS]
#   e.g. benches/criterion_paired.sh /tmp/emulator-before /tmp/emulator-after 6 start_flow 3
set -euo pipefail
BEFORE=$1
AFTER=$2
ROUNDS=${3:-6}
FILTER=${4:-}
SECS=${5:-3}
CORE=${CORE:-1}
out=$(mktemp -d)
trap 'rm -r "$out"' EXIT

# run SIDE ROUND: one criterion run of SIDE's binary; "bench micros" lines.
run() {
  local bin=$BEFORE
  [ "$1" = after ] && bin=$AFTER
  CRITERION_HOME="$out/crit-$1" taskset -c "$CORE" "$bin" --bench --noplot --discard-baseline \
    --warm-up-time 1 --measurement-time "$SECS" $FILTER 2>/dev/null |
    awk '/^[a-z_]+\/[a-z_]+/ {name=$1}
         /time:/ {for (i=1; $i!="time:"; i++); v=$(i+3); u=$(i+4)
                  m=(u=="ns")?0.001:(u=="ms")?1000:(u=="s")?1e6:1; print name, v*m}' \
      >>"$out/$1.$2"
}

for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then run before "$r"; run after "$r"; else run after "$r"; run before "$r"; fi
  join <(sort "$out/before.$r") <(sort "$out/after.$r") |
    awk -v r="$r" '{printf "round %s: %s before %.3f us, after %.3f us, after/before %.3f\n", r, $1, $2, $3, $3/$2}' |
    tee -a "$out/rounds"
done
echo "per bench: median after/before over $ROUNDS interleaved rounds (min-max); median times"
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
awk '{print $3}' "$out/rounds" | sort -u | while read -r name; do
  rows=$(grep " $name " "$out/rounds")
  ratios=$(awk '{print $NF}' <<<"$rows" | sort -g)
  printf '%s: after/before %s (%s-%s), before %s us, after %s us, n=%s\n' "$name" \
    "$(med <<<"$ratios")" "$(head -1 <<<"$ratios")" "$(tail -1 <<<"$ratios")" \
    "$(awk '{print $5}' <<<"$rows" | med)" "$(awk '{print $8}' <<<"$rows" | med)" "$(wc -l <<<"$rows")"
done
