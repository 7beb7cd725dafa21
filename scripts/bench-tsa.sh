#!/usr/bin/env bash
# Benchmark: what the station's timestamp authority adds to signing N small files with a token
# key (SoftHSM2, ECDSA P-256): `strongroom sign` over the same files on the same token, without
# a TSA and then with one (`tsa init`: every bundle carries an RFC 3161 stamp, made by a second
# key on the same token), in the same run. Reports the ratio; the goal is ≤ 1.3×.
#   bash scripts/bench-tsa.sh [N]        (default 10000)
# Files live on tmpfs (/dev/shm), as in scripts/bench-hsm.sh; set BENCH_DIR for a real disk.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
N="${1:-10000}"
cargo build --release -q -p strongroom-cli
SR="$TARGET/release/strongroom"
W="$(mktemp -d -p "${BENCH_DIR:-/dev/shm}" strongroom-tsabench.XXXXXX)"
trap 'rm -rf "$W"' EXIT
eval "$(sh keys-fixtures/softhsm/init-token.sh "$W/hsm" bench-token | tail -n 1)"
export STRONGROOM_HOME="$W/home" STRONGROOM_PIN=123456
export STRONGROOM_OPERATOR=bench STRONGROOM_OPERATOR_PASSPHRASE="operator passphrase"
"$SR" operator init --name bench --roles release-officer >/dev/null 2>&1
"$SR" key generate --token bench-token --algorithm ecdsa-p256 --label bench-key >/dev/null

mkdir -p "$W/files"
python3 - "$W/files" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"f{i:05d}.txt"), "w") as f:
        f.write(f"small artifact number {i}\n")
PY

best_of_3() {
  local best=999999
  for _ in 1 2 3; do
    rm -rf "$W/out"; mkdir "$W/out"
    local start end
    start=$(date +%s.%N)
    (cd "$W/files" && "$SR" sign --key bench-key -o "$W/out" f*.txt >/dev/null)
    end=$(date +%s.%N)
    best=$(python3 -c "print(min($best, $end - $start))")
  done
  echo "$best"
}

plain=$(best_of_3)
mkdir -p "$W/tsa"
"$SR" tsa init --token bench-token -o "$W/tsa" >/dev/null
stamped=$(best_of_3)
python3 - "$W/out/f00000.txt.sigstore.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
assert b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"], "no stamp"
PY
python3 -c "
n=$N; a=$plain; b=$stamped
print(f'sign, {n} files, ECDSA P-256 token key')
print(f'  without a TSA: {a:.2f} s ({n/a:,.0f}/s)')
print(f'  with the TSA:  {b:.2f} s ({n/b:,.0f}/s)')
print(f'  ratio: {b/a:.2f}x  (goal <= 1.3x)')"
