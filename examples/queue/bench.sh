#!/usr/bin/env bash
# Deliveries acknowledged per second: example-queue (each delivery committed as a job before
# the 200) next to example-axum (the guide's handler, nothing stored), release builds on
# loopback. `clerk-webhook send user.created` sends COUNT deliveries, each with a fresh
# svix-id, CONCURRENCY at once, RUNS runs per variant (median reported). The queue's
# NOTIFY_URL is benches/baseline's trivial axum handler, so the workers' calls cost little.
# With workers, it also times how long after the last 200 the queue was empty.
#   examples/queue/bench.sh            RUNS=3 COUNT=5000 CONCURRENCY=50 by default
#   PG=0 examples/queue/bench.sh       without the PostgreSQL variant
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/wait-for-port.sh

runs="${RUNS:-3}"
count="${COUNT:-5000}"
concurrency="${CONCURRENCY:-50}"
port="${PORT:-3951}"
sink_port="${SINK_PORT:-3952}"
pg_admin="postgres://postgres@127.0.0.1:5432/test"
secret="$(sed -n 's/^CLERK_WEBHOOK_SIGNING_SECRET=//p' .env.example)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "${PG:-1}" = 1 ]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS queue_bench WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet -p example-queue -p example-axum -p clerk-webhook-cli -p bench-baseline

PORT="$sink_port" target/release/baseline-axum >"$work/sink.log" 2>&1 &
pids+=($!)
wait_for_port "$sink_port" "${pids[-1]}" "$work/sink.log"
notify_url="http://127.0.0.1:${sink_port}/api/webhooks"

# run_variant NAME BINARY DATABASE_URL WORKERS: RUNS runs, one line each on stderr, the
# median line on stdout.
run_variant() {
  local name="$1" binary="$2" database_url="$3" workers="$4"
  local lines=()
  for run in $(seq 1 "$runs"); do
    if [[ "$database_url" == sqlite* ]]; then rm -f "$work"/queue.db*; fi
    if [[ "$database_url" == postgres* ]]; then
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS queue_bench WITH (FORCE)" >/dev/null
      psql "$pg_admin" -qc "CREATE DATABASE queue_bench" >/dev/null
    fi
    CLERK_WEBHOOK_SIGNING_SECRET="$secret" HOST=127.0.0.1 PORT="$port" RUST_LOG=warn \
      DATABASE_URL="$database_url" NOTIFY_URL="$notify_url" WORKERS="$workers" \
      "$binary" >"$work/server.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_for_port "$port" "$pid" "$work/server.log"
    target/release/clerk-webhook send user.created --url "http://127.0.0.1:${port}/api/webhooks" \
      --secret "$secret" --count "$count" --concurrency "$concurrency" >"$work/send.out"
    local acked drain="-"
    acked="$(sed -n 's/^deliveries: .*(\([0-9.]*\)\/s).*/\1/p' "$work/send.out")"
    local latency statuses
    latency="$(sed -n 's/^latency: //p' "$work/send.out")"
    statuses="$(sed -n 's/^statuses: //p' "$work/send.out")"
    if [ "$workers" != "-" ] && [ "$workers" != 0 ]; then
      local start now
      start="$(date +%s.%N)"
      until DATABASE_URL="$database_url" "$binary" jobs | tail -1 | grep -q '^0 pending, 0 running, 0 failed, 0 dead$'; do
        sleep 0.2
      done
      now="$(date +%s.%N)"
      drain="$(python3 -c "print(f'{$now - $start:.1f} s')")"
    fi
    kill -TERM "$pid"
    wait "$pid" || true
    local line="| ${name} | ${acked} | ${latency} | ${statuses} | ${drain} |"
    echo "run ${run}: ${line}" >&2
    lines+=("${acked}"$'\t'"${line}")
  done
  printf '%s\n' "${lines[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p" | cut -f2
}

echo "| variant | acknowledged/s | latency | statuses | queue empty after the last 200 |"
echo "|---|---|---|---|---|"
run_variant "example-axum (nothing stored)" target/release/example-axum "" "-"
run_variant "example-queue, SQLite, receiver only (WORKERS=0)" target/release/example-queue "sqlite://${work}/queue.db" 0
run_variant "example-queue, SQLite, WORKERS=16 in the same process" target/release/example-queue "sqlite://${work}/queue.db" 16
if [ "${PG:-1}" = 1 ]; then
  run_variant "example-queue, PostgreSQL, WORKERS=16 in the same process" target/release/example-queue "postgres://postgres@127.0.0.1:5432/queue_bench" 16
fi
echo
echo "Measured $(date -u +%Y-%m-%d) by examples/queue/bench.sh (RUNS=${runs}, COUNT=${count}, CONCURRENCY=${concurrency}): $(rustc --version); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores."
