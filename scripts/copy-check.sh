#!/usr/bin/env bash
# Copies each example's src/main.rs, alone, into a fresh crate outside this workspace, gives
# it exactly the [dependencies] of the ```toml block in its top doc comment, and builds it:
# what someone who copies the file into their app gets. Our crates come from this checkout
# through [patch.crates-io]; everything else from the registry, pinned by this workspace's
# Cargo.lock. `readme` stands for the top-level README's "Test your handler under Svix's
# rules": its ```toml block becomes Cargo.toml and its test tests/svix_rules.rs, which is
# built and run. Usage: scripts/copy-check.sh [example|readme ...] (default: all seven
# examples and the README).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
examples=("$@")
if [ ${#examples[@]} -eq 0 ]; then
  examples=(actix-web axum poem rocket warp sync queue readme)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The workspace's target directory, so dependencies the tests already built with the same
# features are reused.
export CARGO_TARGET_DIR="${COPY_CHECK_TARGET_DIR:-$root/target}"

# Our published crates, each patched to this checkout.
patch_section() {
  printf '[workspace]\n\n[patch.crates-io]\n'
  for ours in core actix-web axum poem rocket warp sync dev; do
    printf 'clerk-webhook-%s = { path = "%s/crates/clerk-webhook-%s" }\n' "$ours" "$root" "$ours"
  done
}

# The fenced block after `<!-- copy-check: NAME -->` in the README.
readme_block() {
  awk -v marker="<!-- copy-check: $1 -->" '
    $0 == marker {found=1; next}
    found && !inside && /^```/ {inside=1; next}
    inside && /^```$/ {exit}
    inside {print}' "$root/README.md"
}

for example in "${examples[@]}"; do
  if [ "$example" = readme ]; then
    crate="$work/copy-of-readme"
    mkdir -p "$crate/src" "$crate/tests"
    : >"$crate/src/lib.rs"
    readme_block tests/svix_rules.rs >"$crate/tests/svix_rules.rs"
    block="$(readme_block Cargo.toml)"
    if ! [ -s "$crate/tests/svix_rules.rs" ] || ! grep -q '^\[dev-dependencies\]' <<<"$block"; then
      echo "copy-check: README.md has no copy-check blocks for Cargo.toml and tests/svix_rules.rs" >&2
      exit 1
    fi
    {
      printf '[package]\nname = "copy-of-readme"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
      printf '%s\n\n' "$block"
      patch_section
    } >"$crate/Cargo.toml"
    cp "$root/Cargo.lock" "$crate/Cargo.lock"
    echo "== copy-check: README.md's test alone (built and run)"
    (cd "$crate" && cargo test --quiet)
    continue
  fi
  main="$root/examples/$example/src/main.rs"
  crate="$work/copy-of-$example"
  mkdir -p "$crate/src"
  cp "$main" "$crate/src/main.rs"
  block="$(awk '/^\/\/! ```toml$/ {inside=1; next} inside && /^\/\/! ```$/ {exit} inside {sub(/^\/\/! ?/, ""); print}' "$main")"
  if ! grep -q '^\[dependencies\]' <<<"$block"; then
    echo "copy-check: $main has no \`\`\`toml block with [dependencies] in its top doc comment" >&2
    exit 1
  fi
  {
    printf '[package]\nname = "copy-of-%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n' "$example"
    printf '%s\n\n' "$block"
    patch_section
  } >"$crate/Cargo.toml"
  cp "$root/Cargo.lock" "$crate/Cargo.lock"
  echo "== copy-check: examples/$example/src/main.rs alone"
  (cd "$crate" && cargo build --quiet)
done
echo "copy-check: ${#examples[@]} of ${#examples[@]} copied examples (and README tests) build"
