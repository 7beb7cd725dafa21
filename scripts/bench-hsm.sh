#!/usr/bin/env bash
# Benchmark: signing 10,000 small files with a token key (SoftHSM2), in signatures per second,
# against the raw C_Sign rate of the same token measured in the same run.
#   bash scripts/bench-hsm.sh [N]        (default 10000)
# 1. crates/strongroom-hsm/examples/hsm_bench.rs: raw C_Sign on one session (cryptoki, no
#    channel) and our HsmSigner batch path, for Ed25519 and P-256.
# 2. `strongroom sign --key TOKENKEY -o OUT FILE…` over N files: the whole command (check,
#    login, hash, sign, write N bundles durably). The files live on tmpfs (/dev/shm) so that the
#    number measures Strongroom, not the virtual disk, whose file-creation rate swings 3x between
#    identical runs on the reference machine. Set BENCH_DIR to measure a real disk instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
N="${1:-10000}"
cargo build --release -q -p strongroom-cli
cargo build --release -q -p strongroom-hsm --example hsm_bench
SR="$TARGET/release/strongroom"
W="$(mktemp -d -p "${BENCH_DIR:-/dev/shm}" strongroom-hsmbench.XXXXXX)"
trap 'rm -rf "$W"' EXIT
eval "$(sh keys-fixtures/softhsm/init-token.sh "$W/hsm" bench-token | tail -n 1)"
export STRONGROOM_HOME="$W/home" STRONGROOM_PIN=123456
export STRONGROOM_OPERATOR=bench STRONGROOM_OPERATOR_PASSPHRASE="operator passphrase"
"$SR" operator init --name bench --roles release-officer >/dev/null 2>&1

BENCH_TOKEN=bench-token BENCH_PIN=123456 BENCH_N="$N" "$TARGET/release/examples/hsm_bench" | tee "$W/raw.txt"

mkdir -p "$W/files"
python3 - "$W/files" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"f{i:05d}.txt"), "w") as f:
        f.write(f"small artifact number {i}\n")
PY
echo
printf '%-8s %14s %14s %8s\n' alg "raw C_Sign/s" "strongroom/s" ratio
for alg in ed25519 ecdsa-p256; do
  best=999999
  "$SR" key generate --token bench-token --algorithm "$alg" --label "cli-$alg" >/dev/null
  for _ in 1 2 3; do
    rm -rf "$W/out"; mkdir "$W/out"
    start=$(date +%s.%N)
    (cd "$W/files" && "$SR" sign --key "cli-$alg" -o "$W/out" f*.txt >/dev/null)
    end=$(date +%s.%N)
    best=$(python3 -c "print(min($best, $end - $start))")
  done
  raw=$(awk -v a="$alg" '$1==a {print $2}' "$W/raw.txt")
  python3 -c "
n=$N; t=$best; raw=float('$raw'); r=n/t
print(f'{\"$alg\":<8} {raw:>14.0f} {r:>14.0f} {r/raw:>7.2f}x   ({t:.2f} s for {n} files)')"
done
