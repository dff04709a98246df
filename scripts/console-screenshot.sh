#!/usr/bin/env bash
# Regenerates docs/console.png, the README's picture of `clerk-webhook dev`'s console: the
# browser test that drives the page with a few messages (both outcomes) saves it.
# Needs Debian's chromium and chromium-driver (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
CONSOLE_SCREENSHOT="$PWD/docs/console.png" cargo test --locked -p clerk-webhook-cli --test console \
  recover_resends_failed_messages_and_the_filter_shows_one_status
echo "wrote docs/console.png"
