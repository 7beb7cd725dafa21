#!/usr/bin/env bash
# Installs the packages scripts/package.sh built, on this machine, and tries them as a room
# would; then purges them. Run as root (scripts/test.sh runs it after the other tests).
#
#   bash scripts/package-test.sh [DEBDIR]      (default target/debian)
#
# 1. strongroom-cli alone: it installs without WebKit; `strongroom --version` names this commit
#    and a release build; `man strongroom` and the completions are there; a sign-and-verify
#    round trip with the installed binary, checked by openssl too.
# 2. strongroom (the app) replaces it: the same checks, then the app started the way the desktop
#    menu starts it (the Exec line of its desktop entry) under Xvfb, and a screenshot of its
#    window that must not be blank (target/package-test/app.png).
# 3. scripts/release.sh with the installed strongroom: Strongroom releases itself.
# 4. both packages purged; nothing of them is left in /usr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'package-test: %s\n' "$*"; }
die() { printf 'package-test: error: %s\n' "$*" >&2; exit 1; }
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
DEBDIR="$(cd "${1:-$TARGET/debian}" && pwd)"
[ "$(id -u)" = 0 ] || die "installing packages needs root"
shopt -s nullglob
app_deb=("$DEBDIR"/strongroom_*.deb)
cli_deb=("$DEBDIR"/strongroom-cli_*.deb)
[ "${#app_deb[@]}" = 1 ] && [ "${#cli_deb[@]}" = 1 ] || die "expected one strongroom_*.deb and one strongroom-cli_*.deb in $DEBDIR"
commit=$(git rev-parse HEAD)
SHOTS="$TARGET/package-test"
mkdir -p "$SHOTS"
W=$(mktemp -d -t strongroom-package-test.XXXXXX)
export DEBIAN_FRONTEND=noninteractive
# purge: remove whichever of the two packages is installed, each on its own.
purge() {
  local p
  for p in strongroom strongroom-cli; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      dpkg --purge "$p" >/dev/null || echo "package-test: warning: dpkg --purge $p failed" >&2
    fi
  done
}
trap 'purge; rm -rf "$W"' EXIT
purge

# Checks that hold for either package: version, man page, completions, a round trip.
installed_checks() {
  local pkg=$1
  [ "$(command -v strongroom)" = /usr/bin/strongroom ] || die "$pkg: no /usr/bin/strongroom"
  local v
  v=$(/usr/bin/strongroom --version)
  say "  $v"
  grep -q "(commit $commit, release build)" <<<"$v" || die "$pkg: --version does not name commit $commit and a release build: $v"
  MANPAGER=cat MANWIDTH=80 man strongroom >"$W/man.txt" 2>&1 || die "$pkg: man strongroom failed: $(cat "$W/man.txt")"
  grep -q 'Offline signing and verification' "$W/man.txt" || die "$pkg: man strongroom does not describe strongroom"
  MANPAGER=cat man strongroom-release-create >/dev/null 2>&1 || die "$pkg: no man page strongroom-release-create"
  for f in /usr/share/bash-completion/completions/strongroom /usr/share/zsh/vendor-completions/_strongroom \
    /usr/share/fish/vendor_completions.d/strongroom.fish; do
    [ -s "$f" ] || die "$pkg: no completion $f"
  done
  bash -c '. /usr/share/bash-completion/completions/strongroom && complete -p strongroom' >/dev/null ||
    die "$pkg: the bash completion does not load"
  local doc=/usr/share/doc/$pkg
  [ -f "$doc/copyright" ] && [ -f "$doc/changelog.gz" ] || die "$pkg: no copyright or changelog in $doc"
  # A sign-and-verify round trip with the installed binary, on a throw-away station. A script
  # of its own, so that `set -e` holds in it (it would not in a subshell left of `||`).
  cat >"$W/roundtrip.sh" <<'RT'
pkg=$1
export STRONGROOM_HOME="$PWD/$pkg-station" STRONGROOM_OPERATOR=tester STRONGROOM_OPERATOR_PASSPHRASE="tester passphrase (test only)"
export STRONGROOM_PASSPHRASE="key passphrase (test only)"
printf 'a file to sign with the installed %s\n' "$pkg" >"$pkg.txt"
# (its warning that a one-custodian station has no quorum is expected here)
strongroom operator init --name tester --roles release-officer >/dev/null 2>&1
strongroom key generate --algorithm ecdsa-p256 --label rt >/dev/null
strongroom key export rt -o "$pkg.pub" >/dev/null
strongroom sign --key rt "$pkg.txt" >/dev/null
strongroom verify --key "$pkg.pub" "$pkg.txt" >/dev/null
jq -r .messageSignature.signature "$pkg.txt.sigstore.json" | base64 -d >"$pkg.sig"
openssl dgst -sha256 -verify "$pkg.pub" -signature "$pkg.sig" "$pkg.txt" >/dev/null
printf 'changed\n' >>"$pkg.txt"
if strongroom verify --key "$pkg.pub" "$pkg.txt" >/dev/null 2>&1; then
  echo "a changed file verified" >&2
  exit 3
fi
RT
  (cd "$W" && bash -euo pipefail roundtrip.sh "$pkg") ||
    die "$pkg: the sign-and-verify round trip with the installed binary failed"
  say "  $pkg: --version, man, completions, docs, sign/verify round trip (openssl agrees; a changed file fails)"
}

say "1. strongroom-cli: $(basename "${cli_deb[0]}")"
apt-get install -y -qq "${cli_deb[0]}" >"$W/apt.log" 2>&1 || { cat "$W/apt.log"; die "apt-get install strongroom-cli failed"; }
deps=$(dpkg-query -W -f='${Depends}' strongroom-cli)
grep -qi 'webkit\|gtk' <<<"$deps" && die "strongroom-cli depends on WebKit or GTK: $deps"
say "  Depends: $deps"
installed_checks strongroom-cli

say "2. strongroom (app and CLI): $(basename "${app_deb[0]}")"
apt-get install -y -qq "${app_deb[0]}" >"$W/apt.log" 2>&1 || { cat "$W/apt.log"; die "apt-get install strongroom failed"; }
dpkg-query -W -f='${Status}' strongroom-cli 2>/dev/null | grep -q 'install ok installed' &&
  die "strongroom-cli is still installed beside strongroom"
say "  Depends: $(dpkg-query -W -f='${Depends}' strongroom)"
say "  Recommends: $(dpkg-query -W -f='${Recommends}' strongroom)"
installed_checks strongroom
desktop=/usr/share/applications/Strongroom.desktop
[ -f "$desktop" ] || die "no desktop entry $desktop"
exec_line=$(sed -n 's/^Exec=//p' "$desktop" | head -n 1)
icon=$(sed -n 's/^Icon=//p' "$desktop" | head -n 1)
ls /usr/share/icons/hicolor/*/apps/"$icon".png >/dev/null 2>&1 || die "the desktop entry's icon $icon is not installed"
say "  desktop entry: Exec=$exec_line Icon=$icon"
cmd=${exec_line%% *}
[ -x "$(command -v "$cmd")" ] || die "the desktop entry starts $cmd, which is not installed"
shot="$SHOTS/app.png"
rm -f "$shot"
STRONGROOM_HOME="$W/app-station" xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  "$1" >"$3/app.log" 2>&1 & pid=$!
  for _ in $(seq 1 300); do
    w=$(xdotool search --onlyvisible --name "Strongroom" 2>/dev/null | head -n 1 || true)
    [ -n "$w" ] && break; sleep 0.1
  done
  [ -n "${w:-}" ] || { echo "no Strongroom window"; cat "$3/app.log"; kill $pid; exit 1; }
  # The window maps before the web view has drawn. The UI titles the window once it runs: a
  # new station shows "claim this station". An error page would not.
  for _ in $(seq 1 300); do
    xdotool getwindowname "$w" 2>/dev/null | grep -q "Claim this station" && break; sleep 0.1
  done
  xdotool getwindowname "$w" | grep -q "Claim this station" ||
    { echo "the window is titled \"$(xdotool getwindowname "$w")\", not the claim screen"; cat "$3/app.log"; kill $pid; exit 1; }
  sleep 1
  import -window "$w" "$2"
  kill $pid; wait $pid 2>/dev/null || true' _ "$cmd" "$shot" "$W" || die "the installed app did not open a window"
colors=$(convert "$shot" -format '%k' info:)
spread=$(convert "$shot" -colorspace Gray -format '%[fx:standard_deviation]' info:)
say "  screenshot $shot: $colors colours, grey spread $spread"
awk -v c="$colors" -v s="$spread" 'BEGIN { exit !(c >= 16 && s >= 0.02) }' ||
  die "the installed app's window is blank ($colors colours, spread $spread): $shot"

say "3. Strongroom releases itself, with the installed strongroom"
STRONGROOM=/usr/bin/strongroom bash scripts/release.sh "$DEBDIR" "$TARGET/self-release"

if compgen -G "${STRONGROOM_VULNDB:-$ROOT/../shared/vulndb}/*/all.zip" >/dev/null; then
  printf '# empty: nothing is allowed\n' >"$W/empty-allowlist.txt"
  if STRONGROOM=/usr/bin/strongroom STRONGROOM_OSV_ALLOWLIST="$W/empty-allowlist.txt" \
    bash scripts/release.sh "$DEBDIR" "$W/refused-release" >"$W/refused.log" 2>&1; then
    die "scripts/release.sh released with an empty allowlist, though the scan has findings without a severity"
  fi
  grep -q 'list it with a reason in supply-chain/osv-allowlist.txt' "$W/refused.log" ||
    { cat "$W/refused.log"; die "scripts/release.sh failed with an empty allowlist, but not because of the scan"; }
  say "  with an empty allowlist the self-release is refused: $(grep -c 'list it with a reason' "$W/refused.log") findings named"
else
  say "  NOT RUN (no ../shared/vulndb): the self-release refused with an empty allowlist"
fi

say "4. purge"
purge
for f in /usr/bin/strongroom /usr/bin/strongroom-app "$desktop" /usr/share/man/man1/strongroom.1.gz /usr/share/doc/strongroom; do
  [ ! -e "$f" ] || die "$f is still there after the purge"
done
say "ok: both packages installed, tried and purged"
