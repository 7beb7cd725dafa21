#!/usr/bin/env bash
# Builds Strongroom twice from the same commit, in two different directories with the same
# SOURCE_DATE_EPOCH, and compares the results byte for byte. Where anything differs, diffoscope
# (Debian's diffoscope-minimal) shows why; its reports go to target/reproduce/.
#
#   bash scripts/reproduce.sh          # the strongroom CLI binary and both .deb packages
#   bash scripts/reproduce.sh --cli    # the strongroom CLI binary only (faster)
#
# It builds the commit checked out here (HEAD); uncommitted changes are not in either build.
# Each build has its own clone and target directory; both share CARGO_HOME (the same crate
# sources, as a second machine with the same lockfile would fetch them). Results and the
# command to reproduce them: docs/reproducible.md. Too long for CI (two cold release builds).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'reproduce: %s\n' "$*"; }
mode="${1:-all}"
# Each build uses the target directory inside its own clone.
unset CARGO_TARGET_DIR
commit=$(git rev-parse HEAD)
W="${REPRODUCE_DIR:-$(mktemp -d -t strongroom-reproduce.XXXXXX)}"
report="$ROOT/target/reproduce"
mkdir -p "$report"
export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
say "commit $commit, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, in $W"

builds=("$W/first/strongroom" "$W/second/a/much/longer/path/src")
for dir in "${builds[@]}"; do
  rm -rf "$dir"
  git clone -q --no-checkout "$ROOT" "$dir"
  git -C "$dir" checkout -q "$commit"
  say "building in $dir"
  if [ "$mode" = --cli ]; then
    (cd "$dir" && ROOT="$dir" TARGET="$dir/target" && . scripts/reproducible-env.sh &&
      cargo build --release --locked -p strongroom-cli && mkdir -p target/package &&
      cp target/release/strongroom target/package/strongroom) >"$dir.log" 2>&1
  else
    (cd "$dir" && bash scripts/package.sh) >"$dir.log" 2>&1
  fi || { tail -n 40 "$dir.log"; say "the build in $dir failed (log: $dir.log)"; exit 1; }
done

files=(package/strongroom)
if [ "$mode" != --cli ]; then
  for f in "${builds[0]}"/target/debian/*.deb; do files+=("debian/$(basename "$f")"); done
fi
differ=0
for f in "${files[@]}"; do
  a="${builds[0]}/target/$f" b="${builds[1]}/target/$f"
  ha=$(sha256sum "$a" | cut -d' ' -f1) hb=$(sha256sum "$b" | cut -d' ' -f1)
  if [ "$ha" = "$hb" ]; then
    say "SAME    $f  $ha"
  else
    differ=1
    say "DIFFER  $f  $ha / $hb"
    if ! command -v diffoscope >/dev/null; then
      [ "$(id -u)" = 0 ] || { say "        install diffoscope-minimal (as root) to see why"; continue; }
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends diffoscope-minimal >/dev/null
    fi
    out="$report/diffoscope-$(basename "$f").txt"
    # diffoscope exits 1 when the files differ, which they do; more means it failed.
    rc=0
    diffoscope --text "$out" --max-report-size 2000000 "$a" "$b" >/dev/null 2>"$out.log" || rc=$?
    if [ "$rc" -gt 1 ] || [ ! -s "$out" ]; then say "        diffoscope failed ($rc): $out.log"; continue; fi
    say "        why: $out"
    head -n 60 "$out" | sed 's/^/        /'
  fi
done
if [ "$differ" = 0 ]; then
  say "reproducible: every file is byte-identical"
else
  say "NOT reproducible: see the diffoscope reports in $report"
  exit 1
fi
