#!/usr/bin/env bash
# The fuzzing campaign (issue #17): builds every cargo-fuzz target of fuzz/ and runs each one in
# turn for FUZZ_SECONDS (default 300) on its corpus in fuzz/corpus/<target>/, one libFuzzer
# process at a time under `nice -n 10`, then prints per target the executions (libFuzzer's final
# `stat::number_of_executed_units`), the crashes, the corpus size, and the totals as a Markdown
# table (the one BENCHMARKS.md records). Exits 1 when any target crashed.
#
# Needs the nightly toolchain and cargo-fuzz (`rustup toolchain install nightly`,
# `cargo install cargo-fuzz`). The ordinary test command needs neither: it only replays the
# corpora (tests/integration/fuzz_corpora.rs).
#
#   scripts/fuzz.sh                      # every target, 300 s each
#   FUZZ_SECONDS=60 scripts/fuzz.sh phone money
#   FUZZ_CMIN=1 scripts/fuzz.sh          # then minimise each corpus (cargo fuzz cmin)
#
# Builds use no sanitizer (`-s none`: the code under test is safe Rust, and it doubles the
# speed) but keep debug assertions and overflow checks on (cargo-fuzz's default). A crash leaves
# its input in fuzz/artifacts/<target>/; copy it into the corpus and add a regression test
# (tests/integration/fuzz_corpora.rs). Logs go to fuzz/target/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-300}"
flags=(-s none --codegen-units 16)

nice -n 10 cargo +nightly fuzz build "${flags[@]}"
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

mkdir -p fuzz/target/logs
total=0
crashed=0
rows=()
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  log="fuzz/target/logs/$target.log"
  before=$(find "fuzz/artifacts/$target" -type f | wc -l)
  start=$(date +%s)
  status=0
  nice -n 10 cargo +nightly fuzz run "${flags[@]}" "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=30 -print_final_stats=1 >"$log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - start))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  runs=${runs:-0}
  crashes=$(($(find "fuzz/artifacts/$target" -type f | wc -l) - before))
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes=1 # libFuzzer stopped on a failure without leaving an artifact: read the log
  fi
  if [ -n "${FUZZ_CMIN:-}" ]; then
    nice -n 10 cargo +nightly fuzz cmin "${flags[@]}" "$target" "fuzz/corpus/$target" >>"$log" 2>&1
  fi
  files=$(find "fuzz/corpus/$target" -type f | wc -l)
  size=$(du -sk --apparent-size "fuzz/corpus/$target" | cut -f1)
  total=$((total + runs))
  crashed=$((crashed + crashes))
  rows+=("| $target | $runs | ${elapsed} s | $crashes | $files files, ${size} KiB |")
  echo "$target: $runs executions in ${elapsed} s, $crashes crashes (log: $log)" >&2
done

echo "| Target | Executions | Time | Crashes | Corpus |"
echo "|---|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo "| **Total** | **$total** | | **$crashed** | $(du -sh --apparent-size fuzz/corpus | cut -f1) |"
[ "$crashed" -eq 0 ]
