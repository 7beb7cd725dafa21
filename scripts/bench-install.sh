#!/usr/bin/env bash
# Benchmark: cold start of the installed release app against WebKitGTK's own MiniBrowser in the
# same run, and the installed size of each package. Run as root after scripts/package.sh:
#   bash scripts/bench-install.sh [RUNS]        (default 7)
#
# Start time is from exec to the first visible top-level window (xdotool --sync), under Xvfb,
# for both programs: /usr/bin/strongroom-app on a new station (its claim screen) and
# MiniBrowser (/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser) on a local copy of the
# app's own web UI (ui/dist/index.html). Before each run the page cache is dropped when the
# kernel lets us (echo 3 > /proc/sys/vm/drop_caches); the output says whether it did. The ratio
# is the median of the app over the median of MiniBrowser. Results: docs/benchmarks.md.
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

if ! dpkg-query -W -f='${Status}' strongroom 2>/dev/null | grep -q 'install ok installed'; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${app_deb[0]}" >/dev/null
  installed_here=1
fi
cp -r ui/dist "$W/ui"
cold="no (not permitted here: page cache kept)"
if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then cold="yes"; fi

cat >"$W/one.sh" <<'ONE'
# one.sh NAME CMD...: seconds from exec to the first visible window whose name matches NAME.
name=$1; shift
start=$(date +%s.%N)
"$@" >/dev/null 2>&1 & pid=$!
xdotool search --sync --onlyvisible --name "$name" >/dev/null 2>&1
end=$(date +%s.%N)
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
python3 -c "print(f'{$end - $start:.3f}')"
ONE
echo
echo "== cold start to the first visible window, $RUNS runs each (page cache dropped: $cold)"
xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  W=$1 RUNS=$2 MINI=$3
  for i in $(seq 1 "$RUNS"); do
    sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
    rm -rf "$W/station"
    STRONGROOM_HOME="$W/station" bash "$W/one.sh" Strongroom /usr/bin/strongroom-app >>"$W/app.txt"
    sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
    bash "$W/one.sh" "" "$MINI" "file://$W/ui/index.html" >>"$W/mini.txt"
  done' _ "$W" "$RUNS" "$MINI"
python3 - "$W/app.txt" "$W/mini.txt" <<'PY'
import statistics, sys
app = [float(x) for x in open(sys.argv[1])]
mini = [float(x) for x in open(sys.argv[2])]
ma, mm = statistics.median(app), statistics.median(mini)
print(f"strongroom-app  median {ma:.3f} s  (min {min(app):.3f}, max {max(app):.3f})")
print(f"MiniBrowser     median {mm:.3f} s  (min {min(mini):.3f}, max {max(mini):.3f})")
print(f"ratio app/MiniBrowser: {ma / mm:.2f}x")
PY
if [ "${installed_here:-0}" = 1 ]; then apt-get purge -y -qq strongroom >/dev/null; fi
