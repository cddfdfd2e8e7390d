# Shared by the loopback bench scripts (sourced, not run).

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

# start_emulator PORT [BINARY]: the release emulator (or BINARY) on core 0, run
# quotas lifted, with the on-demand flow "bench" that benches/fresh_tokens.lua
# starts; sets EMU.
start_emulator() {
  taskset -c 0 "${2:-target/release/appflow-harness}" serve --port "$1" \
    --max-concurrent-runs 1000000000 --max-runs-per-month 1000000000 2>/dev/null &
  EMU=$!
  sleep 1
  create_bench_flow "$1"
}

# start_bare PORT: the bare handler (examples/bare_handler.rs) on core 0; sets BARE.
start_bare() {
  taskset -c 0 target/release/examples/bare_handler "$1" 2>/dev/null &
  BARE=$!
}

# fresh_wrk URL LABEL: the load every loopback bench sends, wrk on core 1 for
# SECS seconds: one thread, 64 connections, StartFlow with a fresh token each.
fresh_wrk() {
  taskset -c 1 wrk -t1 -c64 -d"${SECS}s" -s benches/fresh_tokens.lua "$1" -- "$2"
}

# fresh_state PORT: forgets every flow, run and token, then creates "bench" again.
fresh_state() {
  curl -fsS -X POST "http://127.0.0.1:$1/_harness/reset" >/dev/null
  create_bench_flow "$1"
}

create_bench_flow() {
  curl -fsS "http://127.0.0.1:$1/create-flow" -H 'content-type: application/json' -d '{
    "flowName":"bench","triggerConfig":{"triggerType":"OnDemand"},
    "sourceFlowConfig":{"connectorType":"S3","sourceConnectorProperties":{"S3":{"bucketName":"a"}}},
    "destinationFlowConfigList":[{"connectorType":"S3","destinationConnectorProperties":{"S3":{"bucketName":"b"}}}],
    "tasks":[]}' >/dev/null
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
