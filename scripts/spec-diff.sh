#!/usr/bin/env bash
# Prints the event types and `data` fields a newer Clerk webhook spec adds, changes or
# removes relative to the copy in this repository
# (crates/clerk-webhook-core/tests/fixtures/clerk-spec/webhooks-2025-04-15.yml), for the day
# Clerk publishes one (clerk/openapi-specs, webhooks/*.yml).
#
# Usage: scripts/spec-diff.sh NEW.yml
#        scripts/spec-diff.sh OLD.yml NEW.yml
#
# Needs only the Rust toolchain: it runs the `spec_diff` example of clerk-webhook-core (whose
# logic the crate's spec_conformance test checks). Exit 0 with the report; 2 when a file
# cannot be read or is not a webhook spec.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: scripts/spec-diff.sh [OLD.yml] NEW.yml" >&2
  exit 2
fi
args=()
for file in "$@"; do
  # Absolute paths: the example runs from the workspace.
  case "$file" in
    /*) args+=("$file") ;;
    *) args+=("$PWD/$file") ;;
  esac
done
cd "$root"
exec cargo run --quiet --locked -p clerk-webhook-core --example spec_diff -- "${args[@]}"
