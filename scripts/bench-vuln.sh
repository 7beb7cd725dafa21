#!/usr/bin/env bash
# Benchmark: OSV import of both shared zips (records per second), then a scan of 5,000 packages
# against >= 100,000 records (the real ones plus generated ones), indexed vs a linear pass over
# every record, in the same run.
#   bash scripts/bench-vuln.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo run --release -q -p strongroom-vuln --example vuln_bench
