#!/usr/bin/env bash
# Soak every example server (release build, loopback): COUNT (default 100,000) mixed
# deliveries at full speed with `clerk-webhook soak` (54 % valid, 5 % drifted data, 20 %
# duplicate, 10 % tampered, 10 % stale, 1 % oversized), with the server's RSS sampled every tenth of the
# run. Fails if any delivery gets the wrong answer, any gets a 5xx, or RSS grows more than
# 10 % over the second half (the first half is warm-up). The sync example stores into a
# fresh SQLite file.
#   scripts/soak.sh [frameworks...]    (default: actix-web axum poem rocket warp sync)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/wait-for-port.sh

frameworks=("$@")
[ "${#frameworks[@]}" -gt 0 ] || frameworks=(actix-web axum poem rocket warp sync)
port="${PORT:-3971}"
count="${COUNT:-100000}"
concurrency="${CONCURRENCY:-32}"
secret="$(sed -n 's/^CLERK_WEBHOOK_SIGNING_SECRET=//p' .env.example)"

packages=(-p clerk-webhook-cli)
for framework in "${frameworks[@]}"; do packages+=(-p "example-${framework}"); done
cargo build --release --quiet "${packages[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
for framework in "${frameworks[@]}"; do
  CLERK_WEBHOOK_SIGNING_SECRET="$secret" HOST=127.0.0.1 PORT="$port" RUST_LOG=error \
    DATABASE_URL="sqlite://${work}/${framework}.db" \
    "target/release/example-${framework}" >"$work/server.log" 2>&1 &
  pid=$!
  wait_for_port "$port" "$pid" "$work/server.log"
  echo "== ${framework}: ${count} deliveries, concurrency ${concurrency}"
  target/release/clerk-webhook soak "http://127.0.0.1:${port}/api/webhooks" \
    --count "$count" --concurrency "$concurrency" --pid "$pid" --secret "$secret" || failed=1
  kill -0 "$pid" 2>/dev/null || { echo "   the server DIED:"; tail -n 5 "$work/server.log"; failed=1; }
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
exit "$failed"
