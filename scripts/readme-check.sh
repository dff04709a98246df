#!/usr/bin/env bash
# Replays the README as a newcomer would: a fresh clone of this repository (committed work
# only), no .env at first, then every ```sh block marked `<!-- readme-check -->` in the
# order written, each command as written, in one shell (background servers, `export`, and
# `kill %1` behave as at a prompt), each with a timeout. Fails on the first command that
# fails, and on any step that compiles something an earlier step built (after the demo
# built the workspace, `cargo build --workspace` must compile nothing).
#
# The README's test command (`cargo test --workspace --locked`) is not replayed: CI runs it
# on its own. The clone's target/ links to the caller's build directory (CARGO_TARGET_DIR,
# default this checkout's target/), so a run costs no cold build. Needs curl, jq, openssl and pgrep.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
shared_target="${CARGO_TARGET_DIR:-$root/target}"
# The reader's commands use ./target, as written: the clone's target/ is the shared one.
unset CARGO_TARGET_DIR
export DEMO_PORT="${DEMO_PORT:-3000}"
for tool in curl jq openssl pgrep; do
  command -v "$tool" >/dev/null || { echo "readme-check: $tool is missing" >&2; exit 2; }
done
git clone --quiet "$root" "$work/clone"
mkdir -p "$shared_target"
ln -s "$shared_target" "$work/clone/target"
trap 'cd /; pkill -P $$ 2>/dev/null || true; rm -rf "$work"' EXIT

# The marked blocks, command by command (a line ending in a backslash continues).
awk '
  /^<!-- readme-check -->$/ { marked = 1; next }
  marked && /^```sh$/ { inside = 1; marked = 0; next }
  inside && /^```$/ { inside = 0; next }
  inside { print }
  { if (!/^```sh$/) marked = 0 }
' "$work/clone/README.md" >"$work/commands"
[ -s "$work/commands" ] || { echo "readme-check: no marked blocks in README.md" >&2; exit 1; }

{
  echo 'set -a -uo pipefail'
  echo "cd '$work/clone'"
  echo 'source "'"$root"'/scripts/lib/readme-step.sh"'
  while IFS= read -r line; do
    case "$line" in
      *'cargo test --workspace'*) echo "skip $(printf '%q' "$line")" ;;
      *'&'*'#'* | *'&') echo "background $(printf '%q' "$line")" ;;
      'export '* | 'cd '* | 'id='*) echo "run_here $(printf '%q' "$line")" ;;
      'kill %'*) echo "stop $(printf '%q' "$line")" ;;
      *) echo "run $(printf '%q' "$line")" ;;
    esac
  done <"$work/commands"
  echo 'echo "readme-check: every replayed command passed"'
} >"$work/replay.sh"
bash "$work/replay.sh"
