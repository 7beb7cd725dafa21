#!/usr/bin/env bash
# Benchmark: `strongroom verify BUNDLE.zip` on (a) a release of 1,000 artifacts and (b) one of
# 2,500 artifacts, each artifact with its signature and SBOM, provenance and vulnerability-scan
# attestations: 4,001 and 10,001 signatures (with the manifest's). Compared with the raw
# signature-verification rate of the same crypto library, on the same cores, in the same run
# (crates/strongroom-core/examples/raw_verify.rs). All keys are ECDSA P-256.
#   bash scripts/bench-release.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --release -q -p strongroom-cli
cargo build --release -q -p strongroom-core --example raw_verify
SR="$TARGET/release/strongroom"
RAW="$TARGET/release/examples/raw_verify"
W="$(mktemp -d -t strongroom-bench.XXXXXX)"
trap 'rm -rf "$W"' EXIT
. "$ROOT/scripts/bench-station.sh"

cp docs/build-meta.example.json "$W/meta.json"
make_release() { # N OUT
  local n=$1 out=$2 d="$W/art-$1"
  mkdir -p "$d"
  python3 - "$d" "$n" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"a{i:05}.bin"), "wb") as f:
        f.write(os.urandom(4096))
PY
  "$SR" release create --name bench --version "$n" --stage dev --key rel --scan \
    --provenance "$W/meta.json" -o "$out" "$d"/*.bin >/dev/null 2>&1
}
make_release 1000 "$W/r1000.zip"
make_release 2500 "$W/r2500.zip"

# best of 3 wall-clock seconds and peak RSS (KiB)
best() {
  local best_s=999999 max_rss=0 s rss
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$W/t" "$@" > "$W/out" 2>&1 || true
    grep -q '^VERIFIED' "$W/out" || { cat "$W/out" >&2; exit 1; }
    read -r s rss < "$W/t"
    best_s=$(python3 -c "print(min($best_s, $s))")
    max_rss=$(( rss > max_rss ? rss : max_rss ))
  done
  echo "$best_s $max_rss"
}
read -r s1 rss1 <<<"$(best "$SR" verify "$W/r1000.zip")"
read -r s2 rss2 <<<"$(best "$SR" verify "$W/r2500.zip")"
read -r _ _ threads _ raw_rate <<<"$("$RAW" ecdsa-p256 20000)"

python3 - "$s1" "$rss1" "$s2" "$rss2" "$raw_rate" "$threads" <<'PY'
import sys
s1, rss1, s2, rss2, raw, threads = sys.argv[1:]
s1, s2, raw = float(s1), float(s2), float(raw)
n1 = 4 * 1000 + 1   # per artifact: signature, SBOM, provenance, scan; plus the manifest's
n2 = 4 * 2500 + 1
print(f"raw P-256 verification ({threads} threads)   {raw:9.0f} signatures/s")
for label, n, s, rss in (("1,000 artifacts", n1, s1, rss1), ("2,500 artifacts", n2, s2, rss2)):
    rate = n / s
    print(f"verify {label} {n:6} sigs in {s:6.2f} s = {rate:7.0f} sigs/s  ratio {rate/raw:.2f}x raw  peak RSS {int(rss)/1024:.0f} MiB")
PY
