#!/usr/bin/env bash
# Hostile clients against every example server (release build, loopback):
# slowloris header drip, stalled bodies, 1,000 idle connections, a 1 MiB header, a 100 KB
# signature header, garbage bytes, a lying Content-Length; after each, a valid delivery must
# still get 200, and RSS is compared with before. Prints one table row per framework.
#   scripts/hostile.sh [frameworks...]    (default: all five)
set -euo pipefail
cd "$(dirname "$0")/.."

frameworks=("$@")
[ "${#frameworks[@]}" -gt 0 ] || frameworks=(actix-web axum poem rocket warp)
port="${PORT:-3951}"
secret="$(sed -n 's/^CLERK_WEBHOOK_SIGNING_SECRET=//p' .env.example)"

packages=()
for framework in "${frameworks[@]}"; do packages+=(-p "example-${framework}"); done
cargo build --release --quiet "${packages[@]}"

for framework in "${frameworks[@]}"; do
  log="$(mktemp)"
  CLERK_WEBHOOK_SIGNING_SECRET="$secret" HOST=127.0.0.1 PORT="$port" RUST_LOG=error \
    "target/release/example-${framework}" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null && break
    sleep 0.1
  done
  printf '%-10s ' "$framework"
  python3 scripts/hostile.py "$port" "$pid" "$secret"
  kill -0 "$pid" 2>/dev/null || echo "   the server DIED: $(tail -n 3 "$log")"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
done
