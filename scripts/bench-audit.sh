#!/usr/bin/env bash
# Benchmark: audit-log appends per second (through the operations API, real database file, WAL,
# synchronous=FULL), then `strongroom audit verify` over 1,000,000 rows, with peers over the same
# file in the same run: the sqlite3 shell reading every row (`count(*)`, `sum(length(details))`)
# and sha256sum over the database's bytes.
#   bash scripts/bench-audit.sh [ROWS]   (default 1000000)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROWS="${1:-1000000}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --release -q -p strongroom-cli
cargo build --release -q -p strongroom-ops --example audit_bench
SR="$TARGET/release/strongroom"
BENCH="$TARGET/release/examples/audit_bench"
WORK="$(mktemp -d -t strongroom-bench-audit.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

secs() { python3 - "$@" <<'PY'
import subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(f"{time.perf_counter() - t:.3f}")
PY
}

echo "== appends"
"$BENCH" appends "$WORK/appends" 2000

echo "== $ROWS rows"
"$BENCH" fill "$WORK/big" "$ROWS"
DB="$WORK/big/strongroom.db"
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
echo "db_bytes=$(stat -c %s "$DB")"
export STRONGROOM_HOME="$WORK/big" STRONGROOM_OPERATOR=bench STRONGROOM_OPERATOR_PASSPHRASE="bench passphrase"
"$SR" audit verify
best() { local b=""; for _ in 1 2 3; do local t; t="$(secs "$@")"; if [ -z "$b" ] || python3 -c "import sys; sys.exit(0 if $t < $b else 1)"; then b="$t"; fi; done; echo "$b"; }
V="$(best "$SR" audit verify)"
Q="$(best sqlite3 "$DB" 'SELECT count(*), sum(length(details)) FROM audit_log')"
H="$(best sha256sum "$DB")"
echo "cli_audit_verify_seconds=$V (best of 3, includes process start and the Argon2id login)"
echo "sqlite3_read_all_rows_seconds=$Q (best of 3)"
echo "sha256sum_db_seconds=$H (best of 3)"
python3 - "$V" "$Q" "$H" "$ROWS" <<'PY'
import sys
v, q, h, n = map(float, sys.argv[1:])
print(f"audit verify: {n / v:,.0f} rows/s; {v / q:.1f}x the sqlite3 full read; {v / h:.1f}x sha256sum of the file")
PY
