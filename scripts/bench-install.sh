#!/usr/bin/env bash
# Benchmark: cold start of the installed release app against WebKitGTK's own MiniBrowser in the
# same run, and the installed size of each package. Run as root after scripts/package.sh:
#   bash scripts/bench-install.sh [RUNS]        (default 7)
#
# Two times from exec, under Xvfb, polled every 10 ms: the first visible window of the program
# (by WM_CLASS), and that window's title showing the page ran. Both programs:
# /usr/bin/strongroom-app on a new station (its UI titles the window "Claim this station") and
# MiniBrowser (/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser) on a local copy of the
# app's own web UI (ui/dist/index.html; its <title> names the window). Before each run the page
# cache is dropped when the kernel lets us (echo 3 > /proc/sys/vm/drop_caches); the output says
# whether it did. The ratios are the app's medians over MiniBrowser's. Results:
# docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-7}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
MINI=/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser
[ -x "$MINI" ] || { echo "bench-install: no $MINI (package libwebkit2gtk-4.1-0)" >&2; exit 1; }
shopt -s nullglob
app_deb=("$TARGET"/debian/strongroom_*.deb)
cli_deb=("$TARGET"/debian/strongroom-cli_*.deb)
[ "${#app_deb[@]}" = 1 ] && [ "${#cli_deb[@]}" = 1 ] || { echo "bench-install: run scripts/package.sh first" >&2; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

echo "== installed sizes (Installed-Size, KiB; .deb file size, KiB)"
for d in "${app_deb[0]}" "${cli_deb[0]}"; do
  printf '%-40s %8s KiB installed  %8s KiB .deb\n' "$(dpkg-deb -f "$d" Package)" \
    "$(dpkg-deb -f "$d" Installed-Size)" "$(( $(stat -c %s "$d") / 1024 ))"
done
mb=$(dpkg-query -W -f='${Installed-Size}' libwebkit2gtk-4.1-0 2>/dev/null || echo '?')
printf '%-40s %8s KiB installed  (the WebKitGTK library both start on, for scale)\n' libwebkit2gtk-4.1-0 "$mb"

# The package just built, even if another version is installed.
if ! dpkg-query -W -f='${Status}' strongroom 2>/dev/null | grep -q 'install ok installed'; then
  installed_here=1
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades --reinstall "${app_deb[0]}" >/dev/null
cp -r ui/dist "$W/ui"
cold="no (not permitted here: page cache kept)"
if sync && { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then cold="yes"; fi

cat >"$W/one.sh" <<'ONE'
# one.sh CLASS TITLE CMD...: seconds from exec to (1) a visible window of WM_CLASS CLASS and
# (2) that window's title containing TITLE (the page has run: for the app, its UI named the
# screen; for MiniBrowser, the page's <title> was read). Polled every 10 ms.
cls=$1 title=$2; shift 2
start=$(date +%s%N)
"$@" >/dev/null 2>&1 & pid=$!
w="" mapped="" named=""
for _ in $(seq 1 3000); do
  now=$(date +%s%N)
  if [ -z "$w" ]; then
    w=$(xdotool search --onlyvisible --class "$cls" 2>/dev/null | head -n 1 || true)
    [ -n "$w" ] && mapped=$now
  fi
  if [ -n "$w" ] && xdotool getwindowname "$w" 2>/dev/null | grep -q "$title"; then named=$now; break; fi
  sleep 0.01
done
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
# A run that timed out says so instead of giving a time.
if [ -z "$mapped" ] || [ -z "$named" ]; then echo "bench-install: $* did not show its page in 30 s" >&2; exit 1; fi
echo "$(( (mapped - start) / 1000000 )) $(( (named - start) / 1000000 ))"
ONE
echo
echo "== cold start, $RUNS runs each (page cache dropped before each: $cold)"
xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  W=$1 RUNS=$2 MINI=$3
  for i in $(seq 1 "$RUNS"); do
    sync; { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null || true
    rm -rf "$W/station"
    STRONGROOM_HOME="$W/station" bash "$W/one.sh" strongroom-app "Claim this station" /usr/bin/strongroom-app >>"$W/app.txt"
    sync; { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null || true
    bash "$W/one.sh" MiniBrowser "Strongroom" "$MINI" "file://$W/ui/index.html" >>"$W/mini.txt"
  done' _ "$W" "$RUNS" "$MINI"
python3 - "$W/app.txt" "$W/mini.txt" <<'PY'
import statistics, sys
def load(p):
    rows = [tuple(int(x) for x in l.split()) for l in open(p)]
    return [r[0] for r in rows], [r[1] for r in rows]
am, an = load(sys.argv[1])
mm, mn = load(sys.argv[2])
med = statistics.median
print(f"{'':16} {'window mapped (ms)':>22} {'page shown (ms)':>22}")
print(f"{'strongroom-app':16} {med(am):>12.0f} ({min(am)}-{max(am)}) {med(an):>12.0f} ({min(an)}-{max(an)})")
print(f"{'MiniBrowser':16} {med(mm):>12.0f} ({min(mm)}-{max(mm)}) {med(mn):>12.0f} ({min(mn)}-{max(mn)})")
print(f"ratio app/MiniBrowser: window {med(am) / med(mm):.2f}x, page shown {med(an) / med(mn):.2f}x")
PY
if [ "${installed_here:-0}" = 1 ]; then apt-get purge -y -qq strongroom >/dev/null; fi
