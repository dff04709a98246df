#!/usr/bin/env bash
# Fuzz the verifier and the event parser with cargo-fuzz (libFuzzer).
#   scripts/fuzz.sh [seconds per target, default 600] [targets..., default: verify parse]
# New inputs go to fuzz/work/<target> (ignored by git), seeded from the committed corpus in
# fuzz/corpus/<target>, which `cargo test` replays. Crashes land in fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(verify parse)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# libFuzzer's coverage instrumentation wants nightly; on stable, run uninstrumented (-s none).
if rustup toolchain list | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz run)
else
  fuzz=(cargo fuzz run -s none)
fi

python3 fuzz/seed.py
for target in "${targets[@]}"; do
  mkdir -p "fuzz/work/${target}"
  echo "== fuzzing ${target} for ${seconds} s"
  (cd fuzz && "${fuzz[@]}" "$target" "work/${target}" "corpus/${target}" -- \
    -max_total_time="$seconds" -print_final_stats=1) 2>&1 | tee "fuzz/work/${target}.log" |
    grep -E "Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb|==ERROR|panicked|SUMMARY" || true
  echo "   corpus: $(ls "fuzz/work/${target}" | wc -l) inputs; artifacts: $(ls "fuzz/artifacts/${target}" 2>/dev/null | wc -l)"
done
