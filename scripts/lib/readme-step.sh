# Steps for scripts/readme-check.sh's replay: each prints the command as written, runs it
# in the replaying shell, and stops the replay with its output when it fails.
# shellcheck shell=bash
readme_built=0

fail() {
  echo "readme-check: FAILED: $1" >&2
  exit 1
}

# A foreground command, with a timeout; a cargo build after the first must compile nothing.
run() {
  echo "\$ $1"
  local log
  log="$(mktemp)"
  if ! timeout 900 bash -c "$1" >"$log" 2>&1; then
    cat "$log"
    fail "$1"
  fi
  if grep -q '^ *Compiling ' "$log"; then
    if [ "$readme_built" = 1 ]; then
      grep '^ *Compiling ' "$log" | head -n 20
      fail "$1 compiled crates an earlier step had built"
    fi
  fi
  case "$1" in *cargo\ build* | *scripts/demo.sh*) readme_built=1 ;; esac
  tail -n 5 "$log"
  rm -f "$log"
}

# `export …`, `id=$(…)`: in this shell (which exports every variable: `set -a`).
run_here() {
  echo "\$ $1"
  eval "$1" || fail "$1"
}

# `server &`: in the background, given a moment to start; its output goes to a log.
background() {
  echo "\$ $1"
  local command="${1%%#*}"
  command="${command%&*}"
  eval "timeout 900 $command >>'$PWD/background.log' 2>&1 &"
  sleep 2
  jobs -r %+ >/dev/null 2>&1 || { cat background.log; fail "$1 exited"; }
}

# `kill %1 …`: stop the servers, and reap them as a prompt would.
stop() {
  echo "\$ $1"
  eval "${1%%#*}" || fail "$1"
  wait 2>/dev/null || true
}

skip() {
  echo "(skipped, CI runs it itself) \$ $1"
}
