#!/usr/bin/env bash
# Hostile clients against every example server (release build, loopback), in cycles:
# 50 slowloris header drips, 50 stalled bodies, 1,000 idle connections, then malformed
# requests (1 MiB header, 100 KB signature header, garbage bytes, Content-Length shorter and
# longer than the body, a chunked body past the limit). After each attack a valid delivery
# must still get 200, and the server's RSS is printed next to its value at the start, so a
# leak shows as growth from cycle to cycle. One JSON line per attack and cycle.
#   scripts/hostile.sh [frameworks...]    (default: all five; CYCLES=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/wait-for-port.sh

frameworks=("$@")
[ "${#frameworks[@]}" -gt 0 ] || frameworks=(actix-web axum poem rocket warp)
port="${PORT:-3951}"
cycles="${CYCLES:-3}"
secret="$(sed -n 's/^CLERK_WEBHOOK_SIGNING_SECRET=//p' .env.example)"

packages=()
for framework in "${frameworks[@]}"; do packages+=(-p "example-${framework}"); done
cargo build --release --quiet "${packages[@]}"

for framework in "${frameworks[@]}"; do
  log="$(mktemp)"
  CLERK_WEBHOOK_SIGNING_SECRET="$secret" HOST=127.0.0.1 PORT="$port" RUST_LOG=error \
    "target/release/example-${framework}" >"$log" 2>&1 &
  pid=$!
  wait_for_port "$port" "$pid" "$log"
  echo "== ${framework} (default timeouts: headers 10 s, body 15 s)"
  python3 scripts/hostile.py "$port" "$pid" "$secret" "$cycles"
  kill -0 "$pid" 2>/dev/null || echo "   the server DIED: $(tail -n 3 "$log")"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
done
