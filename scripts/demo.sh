#!/usr/bin/env bash
# One-command demo, no Clerk account and no tunnel needed:
#   scripts/demo.sh [actix-web|axum|poem|rocket|warp]   (default: axum)
# Builds the workspace (the example servers and the clerk-webhook CLI), starts the server with the
# development secret from .env.example, sends one signed sample of every Clerk event type,
# shows what the server logged, stops it, and exits 0 only if every delivery got a 2xx.
# PORT (default 3000) picks the port.
set -euo pipefail

framework="${1:-axum}"
case "$framework" in
  actix-web | axum | poem | rocket | warp) ;;
  *)
    echo "usage: scripts/demo.sh [actix-web|axum|poem|rocket|warp]" >&2
    exit 2
    ;;
esac
cd "$(dirname "$0")/.."
source scripts/lib/wait-for-port.sh

secret="$(sed -n 's/^CLERK_WEBHOOK_SIGNING_SECRET=//p' .env.example)"
port="${PORT:-3000}"
url="http://127.0.0.1:${port}/api/webhooks"

# The whole workspace, as the README's next steps build it: one build, every binary, no
# rebuild later (a build of some packages alone unifies features differently).
echo "== Building the workspace (every example and the clerk-webhook CLI)"
cargo build --quiet --workspace --locked

server_log="$(mktemp)"
send_log="$(mktemp)"
CLERK_WEBHOOK_SIGNING_SECRET="$secret" HOST=127.0.0.1 PORT="$port" RUST_LOG=info NO_COLOR=1 \
  "${CARGO_TARGET_DIR:-target}/debug/example-${framework}" >"$server_log" 2>&1 &
server_pid=$!
stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}
trap 'stop_server; rm -f "$server_log" "$send_log"' EXIT

echo "== Starting example-${framework} on ${url}"
wait_for_port "$port" "$server_pid" "$server_log"

echo "== clerk-webhook send --all --url ${url}"
status=0
"${CARGO_TARGET_DIR:-target}/debug/clerk-webhook" send --all --url "$url" --secret "$secret" >"$send_log" 2>&1 || status=$?
head -n 5 "$send_log"
echo "   ..."

echo "== A few of the server's log lines"
# grep -m, not `| head`: under pipefail, head closing the pipe early would fail the script.
grep -m 2 -E "Received webhook" "$server_log" | cut -c1-200
grep -m 1 -A 2 "event type of user.created" "$server_log" | cut -c1-200

echo "== Summary"
tail -n 3 "$send_log"
stop_server
if [ "$status" -eq 0 ]; then
  echo "Demo passed: every delivery was verified and answered 200 by example-${framework}."
else
  echo "Demo FAILED: some deliveries were not answered 2xx (see above)." >&2
fi
exit "$status"
