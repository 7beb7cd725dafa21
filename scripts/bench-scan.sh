#!/usr/bin/env bash
# What `release create --scan` adds to a release of N artifacts (default 1,000), against the same
# create without it, with real OSV data imported (../shared/vulndb: crates.io and PyPI). The issue's
# goal: at most 1 s per 1,000 artifacts. Each artifact is a tar.gz holding a Cargo.lock of a few
# real crates, so every scan looks packages up. Results: docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N="${1:-1000}"
DATA="$ROOT/../shared/vulndb"
[ -f "$DATA/cargo/all.zip" ] || { echo "NOT RUN: bench-scan needs $DATA (the shared OSV data)" >&2; exit 0; }
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --release -q -p strongroom-cli
SR="${SR:-$TARGET/release/strongroom}"
W="$(mktemp -d -t strongroom-bench-scan.XXXXXX)"
trap 'rm -rf "$W"' EXIT
. "$ROOT/scripts/bench-station.sh"
"$SR" vulndb import "$DATA/cargo/all.zip" "$DATA/PyPI/all.zip" >/dev/null 2>&1
python3 - "$W/art" "$N" <<'PY'
import io, os, sys, tarfile
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
lock = b'''version = 3

[[package]]
name = "smallvec"
version = "0.6.9"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "time"
version = "0.1.43"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "hyper"
version = "0.14.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
'''
for i in range(n):
    with tarfile.open(os.path.join(d, f"a{i:05}.tar.gz"), "w:gz") as t:
        info = tarfile.TarInfo("app/Cargo.lock"); info.size = len(lock); info.mtime = 0
        t.addfile(info, io.BytesIO(lock))
        body = os.urandom(512)
        info = tarfile.TarInfo("app/data.bin"); info.size = len(body); info.mtime = 0
        t.addfile(info, io.BytesIO(body))
PY
create() { # OUT [--scan]
  local out=$1; shift
  /usr/bin/time -f '%e' -o "$W/t" "$SR" release create --name bench --version "$N" --stage dev \
    --key rel --sbom auto -o "$out" "$@" "$W/art"/*.tar.gz >/dev/null 2>"$W/err" \
    || { cat "$W/err" >&2; exit 1; }
  cat "$W/t"
}
plain=$(create "$W/plain.zip")
scan=$(create "$W/scan.zip" --scan)
python3 - "$N" "$plain" "$scan" <<'PY'
import sys
n, plain, scan = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"release create, {n} artifacts (SBOM auto)      {plain:6.2f} s")
print(f"release create, {n} artifacts (SBOM auto, --scan) {scan:6.2f} s")
print(f"--scan adds {scan - plain:.2f} s, {1000 * (scan - plain) / n:.2f} s per 1,000 artifacts (goal <= 1 s)")
PY
