#!/usr/bin/env bash
# Backfill speed, end to end as a new user runs it: release `example-sync backfill` against a
# local stand-in of Clerk's Backend API (crates/clerk-webhook-sync/examples/backend_api_stand_in.rs,
# which holds each page back to serve about OBJECTS_PER_SECOND objects a second), into SQLite
# then PostgreSQL. Each backend gets three runs on one database:
#   fresh      an empty database: every object inserted
#   newer      every object changed in Clerk since (stand-in restarted with UPDATED_AT=2): updated
#   reconcile  the same again with --prune: every object unchanged, then the prune's search
# and each prints objects/s (objects listed / wall time of the process) and its peak RSS.
#   scripts/bench-backfill.sh     USERS=100000 ORGANIZATIONS=500 MEMBERSHIPS=5000 OBJECTS_PER_SECOND=20000
#   MILLION=1 scripts/bench-backfill.sh   also a fresh backfill of 1,000,000 users into PostgreSQL
#   EXAMPLE_SYNC=path/to/example-sync     measure another build (e.g. an older version)
#   STAND_IN=path/to/backend_api_stand_in  use this stand-in instead of building it
#   RUNS="fresh"                          only the fresh backfill (default: fresh newer reconcile)
# Writes its table into docs/benchmarks.md (between the bench-backfill markers) unless
# WRITE_DOCS=0, and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/wait-for-port.sh

users="${USERS:-100000}"
organizations="${ORGANIZATIONS:-500}"
memberships="${MEMBERSHIPS:-5000}"
rate="${OBJECTS_PER_SECOND:-20000}"
runs="${RUNS:-fresh newer reconcile}"
port="${PORT:-3940}"
pg_admin="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_bench_db="clerk_backfill_bench"
pg_url="${pg_admin%/*}/${pg_bench_db}"
key="sk_test_backfill_bench_0123456789"
work="$(mktemp -d)"
stand_in_pid=""
cleanup() {
  [ -n "$stand_in_pid" ] && kill "$stand_in_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! command -v psql >/dev/null; then
  apt-get update -qq && apt-get install -y -qq postgresql-client >/dev/null
fi

example_sync="${EXAMPLE_SYNC:-target/release/example-sync}"
stand_in="${STAND_IN:-target/release/examples/backend_api_stand_in}"
if [ -z "${EXAMPLE_SYNC:-}" ] || [ -z "${STAND_IN:-}" ]; then
  echo "== Building release binaries"
  [ -n "${STAND_IN:-}" ] || cargo build --release --quiet -p clerk-webhook-sync --example backend_api_stand_in
  [ -n "${EXAMPLE_SYNC:-}" ] || cargo build --release --quiet -p example-sync
fi

# start_stand_in USERS UPDATED_AT
start_stand_in() {
  [ -n "$stand_in_pid" ] && { kill "$stand_in_pid"; wait "$stand_in_pid" 2>/dev/null || true; }
  PORT="$port" USERS="$1" ORGANIZATIONS="$organizations" MEMBERSHIPS="$memberships" \
    OBJECTS_PER_SECOND="$rate" UPDATED_AT="$2" "$stand_in" >"$work/stand-in.log" 2>&1 &
  stand_in_pid=$!
  wait_for_port "$port" "$stand_in_pid" "$work/stand-in.log"
}

# run NAME BACKEND DATABASE_URL [--prune]: one backfill, one table row.
run() {
  local name="$1" backend="$2" database_url="$3"
  shift 3
  local out="$work/$backend.$name"
  local status=0
  CLERK_SECRET_KEY="$key" CLERK_API_URL="http://127.0.0.1:${port}" DATABASE_URL="$database_url" \
    RUST_LOG=warn /usr/bin/time -f '%e %M' -o "$out.time" "$example_sync" backfill "$@" \
    >"$out.report" 2>"$out.log" || status=$?
  local seconds rss_kib listed inserted updated unchanged verdict
  read -r seconds rss_kib <"$out.time"
  # The report's table: resource (one or two words), listed, inserted, updated, stale, unchanged, …
  listed="$(awk '/^(users|organizations|organization memberships) / { sum += $(NF-7) } END { print sum + 0 }' "$out.report")"
  inserted="$(awk '/^(users|organizations|organization memberships) / { sum += $(NF-6) } END { print sum + 0 }' "$out.report")"
  updated="$(awk '/^(users|organizations|organization memberships) / { sum += $(NF-5) } END { print sum + 0 }' "$out.report")"
  unchanged="$(awk '/^(users|organizations|organization memberships) / { sum += $(NF-3) } END { print sum + 0 }' "$out.report")"
  verdict="$(tail -n 1 "$out.report")"
  if [ "$status" -ne 0 ]; then
    verdict="exit ${status}: $(tail -n 1 "$out.log")"
  fi
  local per_second
  per_second="$(awk -v n="$listed" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')"
  local rss_mib=$((rss_kib / 1024))
  echo "   ${backend} ${name}: ${listed} objects in ${seconds} s = ${per_second} objects/s, peak RSS ${rss_mib} MiB (inserted ${inserted}, updated ${updated}, unchanged ${unchanged}): ${verdict}"
  printf '| %s | %s %s | %s | %s | **%s** | %s MiB | %s / %s / %s | %s |\n' "$backend" "$name" "$*" \
    "$listed" "$seconds" "$per_second" "$rss_mib" "$inserted" "$updated" "$unchanged" "$verdict" >>"$work/table"
  [ "$status" -eq 0 ]
}

# backend NAME DATABASE_URL: the three runs.
backend() {
  local backend="$1" database_url="$2"
  echo "== ${backend}: ${users} users, ${organizations} organizations, ${memberships} memberships"
  start_stand_in "$users" 1
  run fresh "$backend" "$database_url"
  case " $runs " in *" newer "*)
    start_stand_in "$users" 2
    run newer "$backend" "$database_url" ;;
  esac
  case " $runs " in *" reconcile "*) run reconcile "$backend" "$database_url" --prune ;; esac
}

start_stand_in 20000 1
pages=()
for offset in $(seq 0 500 19500); do
  pages+=("http://127.0.0.1:${port}/v1/users?limit=500&offset=${offset}&order_by=%2Bcreated_at" -o /dev/null)
done
started=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $key" "${pages[@]}"
served="$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", 20000 / (b - a) }')"
echo "== The stand-in serves ${served} objects/s to one client, one page at a time"

backend SQLite "sqlite://${work}/bench.db"
psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS ${pg_bench_db}" -c "CREATE DATABASE ${pg_bench_db}"
backend PostgreSQL "$pg_url"

if [ "${MILLION:-0}" = 1 ]; then
  echo "== PostgreSQL: 1,000,000 users"
  psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS ${pg_bench_db}" -c "CREATE DATABASE ${pg_bench_db}"
  start_stand_in 1000000 1
  run "fresh, 1,000,000 users" PostgreSQL "$pg_url"
  run "reconcile, 1,000,000 users" PostgreSQL "$pg_url" --prune
fi
psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS ${pg_bench_db}"

section="$work/section"
{
  echo "<!-- bench-backfill:start -->"
  echo "Measured $(date -u +%Y-%m-%d) by \`scripts/bench-backfill.sh\`: release \`example-sync backfill\`"
  echo "(RUST_LOG=warn) against \`backend_api_stand_in\` on loopback (${users} users, ${organizations}"
  echo "organizations, ${memberships} memberships; Clerk's samples, about 1.4 KB a user; it serves"
  echo "${served} objects/s to one client), on $(nproc) cores shared by the stand-in, the backfill and"
  echo "the database. objects/s = objects listed / wall time of the whole process (start-up,"
  echo "migrations and the prune's search included). SQLite: a WAL file. PostgreSQL:"
  echo "$(psql -qtA "$pg_admin" -c 'SHOW server_version') on the same machine."
  echo
  echo "| backend | run | objects | seconds | objects/s | peak RSS | inserted / updated / unchanged | verdict |"
  echo "|---|---|---|---|---|---|---|---|"
  cat "$work/table"
  echo "<!-- bench-backfill:end -->"
} >"$section"

if [ "${WRITE_DOCS:-1}" = 1 ]; then
  python3 - "$section" <<'PY'
import re, sys
section = open(sys.argv[1]).read().strip()
text = open("docs/benchmarks.md").read()
if "<!-- bench-backfill:start -->" in text:
    text = re.sub(r"<!-- bench-backfill:start -->.*?<!-- bench-backfill:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n## Backfill\n\n" + section + "\n"
open("docs/benchmarks.md", "w").write(text)
PY
fi
echo
cat "$section"
