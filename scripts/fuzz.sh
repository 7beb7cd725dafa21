#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets/) for SECONDS each (default 60), on the stable
# toolchain (RUSTC_BOOTSTRAP=1 lets cargo-fuzz's sanitizer flags through), from the seed corpora
# in fuzz/seeds/ plus what earlier runs found (fuzz/corpus/, not committed). A crash stops the
# run with the input saved under fuzz/artifacts/TARGET/; make it a regression test, then fix it.
# Prints one line per target with its CPU time, and the total; docs/security.md records them.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz --version '^0.13'
export RUSTC_BOOTSTRAP=1
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || mapfile -t targets < <(cd fuzz && cargo fuzz list)
# One build for all targets (release, debug assertions, address sanitizer).
(cd fuzz && cargo fuzz build -O)
total=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  start=$(date +%s)
  # -rss_limit_mb: a target over 1 GiB is a finding, as for the real commands.
  (cd fuzz && cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=1024 -timeout=20 -print_final_stats=1 2>"target/$t.log") || {
    echo "fuzz: $t: CRASH or limit crossed; see fuzz/target/$t.log and fuzz/artifacts/$t/" >&2
    tail -40 "fuzz/target/$t.log" >&2
    exit 1
  }
  took=$(( $(date +%s) - start ))
  total=$(( total + took ))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/target/$t.log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "fuzz/target/$t.log" | tail -1 | grep -o '[0-9]*' || echo '?')
  printf 'fuzz: %-16s %5d s  %10s runs  cov %s  no crash\n' "$t" "$took" "$runs" "$cov"
done
printf 'fuzz: %d targets, %d s of CPU in all (one core each), no crash\n' "${#targets[@]}" "$total"
