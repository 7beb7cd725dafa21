#!/usr/bin/env bash
# Benchmark: signing one 1 GiB file, against `openssl dgst -sha256` on the same file in the same
# run, with peak RSS; then two 1 GiB files at once (one per core) against one.
#   bash scripts/bench-sign.sh [SIZE_MIB]      (default 1024)
# Files are hashed from the page cache (each is read once first), as in the reference numbers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
MIB="${1:-1024}"
cargo build --release -q -p strongroom-cli
SR="$TARGET/release/strongroom"
W="$(mktemp -d -t strongroom-bench.XXXXXX)"
trap 'rm -rf "$W"' EXIT
export STRONGROOM_HOME="$W/home" STRONGROOM_PASSPHRASE="benchmark passphrase"
export STRONGROOM_OPERATOR=bench STRONGROOM_OPERATOR_PASSPHRASE="operator passphrase"
"$SR" operator init --name bench --roles release-officer >/dev/null 2>&1
"$SR" key generate --algorithm ecdsa-p256 --label bench >/dev/null

head -c "$((MIB << 20))" /dev/urandom > "$W/a.bin"
head -c "$((MIB << 20))" /dev/urandom > "$W/b.bin"
cat "$W/a.bin" "$W/b.bin" > /dev/null

# best of 3 wall-clock seconds for a command, and the largest peak RSS (KiB) of the three runs
best() {
  local best_s=999999 max_rss=0 s rss
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$W/t" "$@" > /dev/null 2>&1
    read -r s rss < "$W/t"
    best_s=$(python3 -c "print(min($best_s, $s))")
    max_rss=$(( rss > max_rss ? rss : max_rss ))
  done
  echo "$best_s $max_rss"
}

read -r openssl_s _ <<<"$(best openssl dgst -sha256 "$W/a.bin")"
read -r one_s one_rss <<<"$(best "$SR" sign --force --key bench "$W/a.bin")"
read -r two_s two_rss <<<"$(best "$SR" sign --force --key bench "$W/a.bin" "$W/b.bin")"
# The key unlock (scrypt, N=2^18) is part of every sign run; measure it alone to report it apart.
small="$W/small"; : > "$small"
read -r unlock_s unlock_rss <<<"$(best "$SR" sign --force --key bench "$small")"
"$SR" key export bench -o "$W/bench.pub"
read -r verify_s verify_rss <<<"$(best "$SR" verify --key "$W/bench.pub" "$W/a.bin")"

python3 - "$MIB" "$openssl_s" "$one_s" "$two_s" "$unlock_s" "$one_rss" "$two_rss" "$unlock_rss" "$verify_s" "$verify_rss" <<'PY'
import sys
mib, o, one, two, unlock, rss1, rss2, rss0, vs, vrss = sys.argv[1:]
vs = float(vs)
mib = float(mib); o, one, two, unlock = map(float, (o, one, two, unlock))
hash_one = max(one - unlock, 1e-9); hash_two = max(two - unlock, 1e-9)
print(f"file size                          {mib:.0f} MiB")
print(f"openssl dgst -sha256               {mib/o:8.0f} MiB/s  ({o:.2f} s)")
print(f"strongroom sign, 1 file            {mib/one:8.0f} MiB/s  ({one:.2f} s incl. {unlock:.2f} s key unlock)")
print(f"  hashing+signing only             {mib/hash_one:8.0f} MiB/s  ratio vs openssl {o/hash_one:.2f}x")
print(f"  whole command                    ratio vs openssl {o/one:.2f}x")
print(f"strongroom sign, 2 files, 2 cores  {2*mib/two:8.0f} MiB/s  ({two:.2f} s)")
print(f"  parallel speed-up (excl. unlock) {(2*mib/hash_two)/(mib/hash_one):.2f}x one file's throughput")
print(f"strongroom verify, 1 file          {mib/vs:8.0f} MiB/s  ratio vs openssl {o/vs:.2f}x")
print(f"peak RSS, verify (hashing only)    {int(vrss)/1024:.1f} MiB")
print(f"peak RSS, sign                     {int(rss0)/1024:.1f} MiB (empty file), {int(rss1)/1024:.1f} MiB (1 file), {int(rss2)/1024:.1f} MiB (2 files)")
print("  (sign's peak is the scrypt key unlock, N=2^18 = 256 MiB, the same for any file size)")
PY
