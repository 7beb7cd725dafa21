#!/usr/bin/env bash
# Benchmark: an SBOM for a tar.gz holding 5,000 components (Cargo.lock 2,000, package-lock 2,000,
# requirements 1,000): the library (catalogue, write, validate) and the whole `strongroom sbom`
# command, with wall time and peak RSS.
#   bash scripts/bench-sbom.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --release -q -p strongroom-cli
cargo build --release -q -p strongroom-sbom --example sbom_bench
W="$(mktemp -d -t strongroom-sbombench.XXXXXX)"
trap 'rm -rf "$W"' EXIT
BENCH_OUT="$W" "$TARGET/release/examples/sbom_bench"
for fmt in spdx-json cyclonedx-json; do
  best=""
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$W/t" "$TARGET/release/strongroom" sbom "$W/bench.tar.gz" --format "$fmt" -o "$W/out.json"
    read -r secs rss < "$W/t"
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $secs < $best else 1)"; then best=$secs; best_rss=$rss; fi
  done
  printf 'strongroom sbom --format %-15s %6.2f s, peak RSS %6.1f MiB\n' "$fmt" "$best" "$(python3 -c "print($best_rss/1024)")"
done
