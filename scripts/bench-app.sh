#!/usr/bin/env bash
# Desktop app benchmark (docs/benchmarks.md): cold start to an interactive window, memory at
# idle, and the page's event-loop stalls while a 4 GiB file hashes. Peers in the same run:
# WebKitGTK's own MiniBrowser (the same engine with no app) for start and memory, and
# `openssl dgst -sha256` on the same file for hashing speed.
#   bash scripts/bench-app.sh            # release build; BIG_GIB=4 RUNS=5
#   PROFILE=debug bash scripts/bench-app.sh   # the debug build the tests use (no release build)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-5}"; BIG_GIB="${BIG_GIB:-4}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build) >/dev/null
PROFILE="${PROFILE:-release}"
if [ "$PROFILE" = release ]; then
  cargo build --release -p strongroom-app -p strongroom-cli --locked
else
  # The same builds the tests make (building both at once would change features and rebuild).
  cargo build -p strongroom-app --locked
  [ -x "$TARGET/debug/strongroom" ] || cargo build -p strongroom-cli --locked
fi
APP="$TARGET/$PROFILE/strongroom-app"; CLI="$TARGET/$PROFILE/strongroom"
MINI=/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser
WORK="$(mktemp -d /tmp/strongroom-bench-app.XXXXXX)"; trap 'rm -rf "$WORK"' EXIT
export STRONGROOM_HOME="$WORK/home"
STRONGROOM_OPERATOR_PASSPHRASE="admin passphrase" "$CLI" operator init --name admin \
  --roles release-officer,approver,auditor >/dev/null
# The Sign wizard hashes only once a signing key is chosen.
STRONGROOM_OPERATOR=admin STRONGROOM_OPERATOR_PASSPHRASE="admin passphrase" \
  STRONGROOM_PASSPHRASE="bench key passphrase" "$CLI" key generate --algorithm ed25519 --label bench >/dev/null
printf '<!doctype html><title>Strongroom</title><h1>peer</h1>' >"$WORK/peer.html"

Xvfb :77 -screen 0 1280x800x24 >/dev/null 2>&1 & XVFB=$!
trap 'kill $XVFB 2>/dev/null; rm -rf "$WORK"' EXIT
export DISPLAY=:77; sleep 1

tree_rss_kib() { # RSS of a process and all its descendants, KiB
  local pids="$1" all="$1" next
  while next=$(for p in $pids; do pgrep -P "$p"; done | tr '\n' ' '); [ -n "${next// }" ]; do
    all="$all $next"; pids="$next"; done
  ps -o rss= -p "$(echo $all | tr ' ' ',')" | awk '{s+=$1} END {print s}'
}
# start_ms CMD...: ms from exec until a visible window named Strongroom is mapped; leaves it running
start_ms() {
  local t0 t1; t0=$(date +%s%N)
  "$@" >"$WORK/out.log" 2>&1 & PID=$!
  until xdotool search --onlyvisible --name Strongroom >/dev/null 2>&1; do sleep 0.005; done
  t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$WORK/app.ms"; : >"$WORK/ready.ms"; : >"$WORK/mini.ms"; : >"$WORK/app.rss"; : >"$WORK/mini.rss"
for i in $(seq 1 "$RUNS"); do
  sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
  STRONGROOM_STARTUP_LOG=1 start_ms "$APP" >>"$WORK/app.ms"
  for _ in $(seq 1 100); do grep -q "interactive after" "$WORK/out.log" && break; sleep 0.05; done
  grep -o 'interactive after [0-9]*' "$WORK/out.log" | awk '{print $3}' >>"$WORK/ready.ms"
  sleep 5; tree_rss_kib "$PID" >>"$WORK/app.rss"; kill "$PID"; wait "$PID" 2>/dev/null || true
  sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
  start_ms "$MINI" "file://$WORK/peer.html" >>"$WORK/mini.ms"
  sleep 5; tree_rss_kib "$PID" >>"$WORK/mini.rss"; kill "$PID"; wait "$PID" 2>/dev/null || true
done
app_ms=$(median <"$WORK/app.ms"); ready_ms=$(median <"$WORK/ready.ms"); mini_ms=$(median <"$WORK/mini.ms")
app_rss=$(median <"$WORK/app.rss"); mini_rss=$(median <"$WORK/mini.rss")
echo "start, window mapped (median of $RUNS, cold page cache): strongroom-app ${app_ms} ms, MiniBrowser ${mini_ms} ms, ratio $(awk "BEGIN{printf \"%.2f\", $app_ms/$mini_ms}")"
echo "start, interactive (first screen drawn, app_ready): ${ready_ms} ms"
echo "RSS at idle, process tree: strongroom-app $((app_rss/1024)) MiB, MiniBrowser $((mini_rss/1024)) MiB, ratio $(awk "BEGIN{printf \"%.2f\", $app_rss/$mini_rss}")"

# Event-loop stalls while hashing a big file. A real file (zeros: SHA-256 runs at the same speed
# on any bytes), read once so that both the app and openssl hash from the page cache: this
# measures hashing and the UI, not the disk. (Not a sparse file: openssl's 8 KiB reads of holes
# spend most of their time in the kernel, which would flatter the app.)
BIG="$WORK/big.bin"; head -c "${BIG_GIB}G" /dev/zero >"$BIG"; cat "$BIG" >/dev/null
t0=$(date +%s%N); openssl dgst -sha256 "$BIG" >/dev/null; t1=$(date +%s%N)
openssl_s=$(awk "BEGIN{printf \"%.2f\", ($t1-$t0)/1e9}")
cd tests/gui && npm ci --no-audit --no-fund --loglevel=error >/dev/null
res=$(APP="$APP" BIG_FILE="$BIG" node bench.mjs)
echo "stalls: $res"
hash_s=$(node -e "console.log(JSON.parse(process.argv[1]).hash_s)" "$res")
echo "hashing ${BIG_GIB} GiB in the app: ${hash_s} s; openssl dgst -sha256: ${openssl_s} s; ratio (openssl/app speed) $(awk "BEGIN{printf \"%.2f\", $openssl_s/$hash_s}")"
