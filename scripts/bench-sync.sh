#!/usr/bin/env bash
# Sustained deliveries/s into the sync store, SQLite then PostgreSQL, each followed by a
# convergence check (every delivery stored exactly once, every row intact).
#   scripts/bench-sync.sh            COUNT=20000 CONCURRENCY=32 by default
# Writes its table into docs/benchmarks.md (between the sync markers) and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/wait-for-port.sh

count="${COUNT:-20000}"
concurrency="${CONCURRENCY:-32}"
port="${PORT:-3931}"
pg_admin="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_bench_db="clerk_sync_bench"
pg_url="${pg_admin%/*}/${pg_bench_db}"
secret="$(sed -n 's/^CLERK_WEBHOOK_SIGNING_SECRET=//p' .env.example)"
url="http://127.0.0.1:${port}/api/webhooks"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v sqlite3 >/dev/null || ! command -v psql >/dev/null; then
  apt-get update -qq && apt-get install -y -qq sqlite3 postgresql-client >/dev/null
fi

echo "== Building release binaries"
cargo build --release --quiet -p example-sync -p clerk-webhook-cli

# run_backend NAME DATABASE_URL QUERY_COMMAND...
run_backend() {
  local name="$1" database_url="$2"
  shift 2
  CLERK_WEBHOOK_SIGNING_SECRET="$secret" DATABASE_URL="$database_url" HOST=127.0.0.1 \
    PORT="$port" RUST_LOG=warn target/release/example-sync >"$work/$name.server.log" 2>&1 &
  local pid=$!
  wait_for_port "$port" "$pid" "$work/$name.server.log"
  echo "== ${name}: ${count} user.created deliveries, distinct users, concurrency ${concurrency}"
  target/release/clerk-webhook send user.created --count "$count" --concurrency "$concurrency" \
    --fresh-ids --url "$url" --secret "$secret" | tee "$work/$name.send"
  kill -TERM "$pid"
  wait "$pid" || true

  local users deliveries intact
  users="$("$@" "SELECT COUNT(*) FROM clerk_users WHERE deleted = FALSE")"
  deliveries="$("$@" "SELECT COUNT(*) FROM clerk_webhook_deliveries")"
  intact="$("$@" "SELECT COUNT(*) FROM clerk_users WHERE first_name = 'John' AND updated_at IS NOT NULL")"
  local verdict="converged"
  if [ "$users" != "$count" ] || [ "$deliveries" != "$count" ] || [ "$intact" != "$count" ]; then
    verdict="NOT converged"
  fi
  echo "   rows: users ${users}, deliveries ${deliveries}, intact ${intact}: ${verdict}"
  local rate p50 p99 statuses
  rate="$(sed -n 's/.*(\(.*\)\/s).*/\1/p' "$work/$name.send")"
  p50="$(sed -n 's/latency: p50 \([0-9.]*\) ms.*/\1/p' "$work/$name.send")"
  p99="$(sed -n 's/.*p99 \([0-9.]*\) ms/\1/p' "$work/$name.send")"
  statuses="$(sed -n 's/statuses: //p' "$work/$name.send")"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$count" "$rate" "$p50" "$p99" "$statuses" \
    "$verdict (${users} rows, ${deliveries} ledger)" >>"$work/table"
  [ "$verdict" = "converged" ]
}

sqlite_file="$work/bench.db"
run_backend SQLite "sqlite://${sqlite_file}" sqlite3 "$sqlite_file"

psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS ${pg_bench_db}" -c "CREATE DATABASE ${pg_bench_db}"
run_backend PostgreSQL "$pg_url" psql -qtA "$pg_url" -c

section="$work/section"
{
  echo "<!-- bench-sync:start -->"
  echo "Measured $(date -u +%Y-%m-%d) by \`scripts/bench-sync.sh\` (COUNT=${count} CONCURRENCY=${concurrency}):"
  echo "release \`example-sync\` (axum + clerk-webhook-sync, RUST_LOG=warn) driven over loopback by"
  echo "\`clerk-webhook send user.created --count ${count} --concurrency ${concurrency} --fresh-ids\`,"
  echo "on $(nproc) cores shared by the server, the database and the load generator."
  echo "SQLite: a WAL file with synchronous=FULL (the default). PostgreSQL: $(psql -qtA "$pg_admin" -c 'SHOW server_version') on the same machine."
  echo
  echo "| backend | deliveries | deliveries/s | p50 ms | p99 ms | statuses | convergence |"
  echo "|---|---|---|---|---|---|---|"
  cat "$work/table"
  echo "<!-- bench-sync:end -->"
} >"$section"

mkdir -p docs
[ -f docs/benchmarks.md ] || printf '# Benchmarks\n\n## Sync store\n\n<!-- bench-sync:start -->\n<!-- bench-sync:end -->\n' >docs/benchmarks.md
python3 - "$section" <<'PY'
import re, sys
section = open(sys.argv[1]).read().strip()
text = open("docs/benchmarks.md").read()
text = re.sub(r"<!-- bench-sync:start -->.*?<!-- bench-sync:end -->", lambda _: section, text, flags=re.S)
open("docs/benchmarks.md", "w").write(text)
PY
echo
cat "$section"
