#!/usr/bin/env bash
# Builds Strongroom's Debian packages, reproducibly, into target/debian/ (or OUTDIR):
#   strongroom_VERSION_amd64.deb      the desktop app, the CLI, man pages, completions, docs
#   strongroom-cli_VERSION_amd64.deb  the CLI alone, without WebKit, for verifying on servers
#   SHA256SUMS
#
#   bash scripts/package.sh [OUTDIR]
#   bash scripts/package.sh --repack-only    # again from the last tauri build (packaging work)
#
# The app's package comes from `npx tauri build --bundles deb` (its beforeBuildCommand,
# scripts/package-prep.sh, builds the UI and the CLI and stages the extra files). Tauri's bundler
# writes each file's mtime from the disk, so the package is then rewritten with dpkg-deb after
# every mtime is set to SOURCE_DATE_EPOCH; the content is unchanged. Paths of the build
# directory and of CARGO_HOME are remapped out of the binaries. docs/reproducible.md says what
# this makes reproducible. Each package's Depends is what dpkg-shlibdeps finds its binaries
# need, with versions, and lintian must report no error.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'package: %s\n' "$*"; }
die() { printf 'package: error: %s\n' "$*" >&2; exit 1; }
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="${1:-$TARGET/debian}"
[ "$OUT" != --repack-only ] || OUT="$TARGET/debian"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
# Packages of an earlier build are not left beside this one's.
rm -f "$OUT"/strongroom_*.deb "$OUT"/strongroom-cli_*.deb "$OUT/SHA256SUMS" "$OUT/BUILDINFO.json"

bash scripts/install-deps.sh package
# shellcheck source=scripts/reproducible-env.sh
. scripts/reproducible-env.sh
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
arch=$(dpkg --print-architecture)

started_on=$(date -u +%FT%TZ)
if [ "${1:-}" = --repack-only ]; then
  # For work on the packaging itself: package again what the last `tauri build` left.
  shift
  OUT="$TARGET/debian"
else
  say "npm ci (the pinned Tauri CLI)"
  npm ci --no-audit --no-fund --loglevel=error
  say "npx tauri build --bundles deb (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
  # --no: the CLI pinned in package.json, never one fetched on the fly.
  npx --no -- tauri build --bundles deb
fi
tauri_deb="$TARGET/release/bundle/deb/Strongroom_${version}_${arch}.deb"
[ -f "$tauri_deb" ] || die "tauri build wrote no $tauri_deb"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# normalise DIR: owners, modes and mtimes that do not depend on the machine or the build.
normalise() {
  find "$1" -type d -exec chmod 0755 {} +
  find "$1" -type f ! -perm /111 -exec chmod 0644 {} +
  find "$1" -type f -perm /111 -exec chmod 0755 {} +
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}
# md5sums DIR: DEBIAN/md5sums of every file, sorted.
md5sums() {
  (cd "$1" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | sort | xargs -r md5sum) >"$1/DEBIAN/md5sums"
}
# build DIR DEB
build() {
  normalise "$1"
  dpkg-deb --root-owner-group -Zxz --threads-max=1 --build "$1" "$2" >/dev/null
}
# shlibdeps BINARY...: the packages (with versions) that dpkg-shlibdeps finds the binaries need.
shlibdeps() {
  local d
  d=$(mktemp -d "$work/shlib.XXXX")
  mkdir -p "$d/debian"
  printf 'Source: strongroom\n\nPackage: strongroom\nArchitecture: any\n' >"$d/debian/control"
  (cd "$d" && dpkg-shlibdeps -O "$@" 2>"$work/shlibdeps.log") | sed -n 's/^shlibs:Depends=//p' ||
    { cat "$work/shlibdeps.log" >&2; die "dpkg-shlibdeps failed on $*"; }
}

say "the app's package, rewritten with fixed mtimes"
app="$work/app"
dpkg-deb -R "$tauri_deb" "$app"
# Depends: exactly what dpkg-shlibdeps finds the two binaries need, with its versions (Tauri's
# bundler names only WebKitGTK and GTK, without versions).
depends=$(shlibdeps "$app/usr/bin/strongroom-app" "$app/usr/bin/strongroom")
case $depends in *libwebkit2gtk-4.1-0*libc6*|*libc6*libwebkit2gtk-4.1-0*) ;;
  *) die "dpkg-shlibdeps found neither WebKitGTK nor libc in the app's binaries: '$depends'" ;; esac
sed -i "s/^Depends: .*/Depends: $depends/" "$app/DEBIAN/control"
md5sums "$app"
APP_DEB="$OUT/strongroom_${version}_${arch}.deb"
build "$app" "$APP_DEB"

say "the CLI's package (no WebKit)"
cli="$work/cli"
stage="$ROOT/target/package"
mkdir -p "$cli/DEBIAN" "$cli/usr/bin" "$cli/usr/share/doc/strongroom-cli" "$cli/usr/share/lintian/overrides"
install -m 0755 "$stage/strongroom" "$cli/usr/bin/strongroom"
mkdir -p "$cli/usr/share/man/man1"
cp "$stage"/man1/*.1.gz "$cli/usr/share/man/man1/"
rm "$cli/usr/share/man/man1/strongroom-app.1.gz"   # no app in this package
install -D -m 0644 "$stage/completions/strongroom" "$cli/usr/share/bash-completion/completions/strongroom"
install -D -m 0644 "$stage/completions/_strongroom" "$cli/usr/share/zsh/vendor-completions/_strongroom"
install -D -m 0644 "$stage/completions/strongroom.fish" "$cli/usr/share/fish/vendor_completions.d/strongroom.fish"
cp "$stage"/doc/* "$cli/usr/share/doc/strongroom-cli/"
cp "$stage/crates-cli.txt.gz" "$cli/usr/share/doc/strongroom-cli/third-party-crates.txt.gz"
sed 's/^strongroom /strongroom-cli /' <(gzip -dc "$stage/doc/changelog.gz") | gzip -9n >"$cli/usr/share/doc/strongroom-cli/changelog.gz"
sed 's/^strongroom:/strongroom-cli:/' "$stage/lintian/strongroom" >"$cli/usr/share/lintian/overrides/strongroom-cli"
size=$(du -sk --apparent-size "$cli/usr" | cut -f1)
cli_depends=$(shlibdeps "$cli/usr/bin/strongroom")
case $cli_depends in *libc6*) ;; *) die "dpkg-shlibdeps found no libc in the CLI: '$cli_depends'" ;; esac
case $cli_depends in *webkit*|*gtk*) die "the CLI links WebKit or GTK: $cli_depends" ;; esac
{
  printf 'Package: strongroom-cli\nVersion: %s\nArchitecture: %s\n' "$version" "$arch"
  printf 'Maintainer: Strongroom developers <strongroom@example.org>\nInstalled-Size: %s\n' "$size"
  printf 'Depends: %s\n' "$cli_depends"
  printf 'Recommends: softhsm2, opensc\nConflicts: strongroom\nSection: utils\nPriority: optional\n'
  printf 'Homepage: https://example.org/strongroom\n'
  printf 'Description: Offline signing and verification of software releases (CLI)\n'
  printf ' The strongroom command-line tool alone, without the desktop app and its\n'
  printf ' WebKit libraries: for verifying release bundles on servers, and for scripts.\n'
  printf ' It signs artifacts, SBOMs and build provenance with keys in PKCS#11 tokens\n'
  printf ' and never opens a network connection.\n'
} >"$cli/DEBIAN/control"
md5sums "$cli"
CLI_DEB="$OUT/strongroom-cli_${version}_${arch}.deb"
build "$cli" "$CLI_DEB"

say "lintian"
for deb in "$APP_DEB" "$CLI_DEB"; do
  rc=0
  lintian --fail-on error --tag-display-limit 0 "$deb" >"$work/lintian.log" 2>&1 || rc=$?
  grep -v '^running with root privileges' "$work/lintian.log" || true
  case $rc in
    0) ;;
    1) die "lintian reports errors in $(basename "$deb")" ;;
    *) die "lintian itself failed (exit $rc) on $(basename "$deb")" ;;
  esac
done

(cd "$OUT" && sha256sum "$(basename "$APP_DEB")" "$(basename "$CLI_DEB")" >SHA256SUMS)
# What the build was, for the provenance scripts/release.sh signs (not part of what is
# reproducible: it records when this build ran).
# The source's address, without any credentials in it (it goes into signed, published
# provenance): user:token@ is dropped; an scp-style remote becomes ssh://.
repo=$(git config --get remote.origin.url 2>/dev/null || echo "$ROOT")
case $repo in
  *://*) repo=$(sed -E 's#^([a-z+]+://)[^/@]*@#\1#' <<<"$repo") ;;
  *:*) repo="ssh://$(sed -E 's#^[^@]*@##; s#:#/#' <<<"$repo")" ;;
  *) repo="file://$(cd "$repo" 2>/dev/null && pwd || echo "$ROOT")" ;;
esac
modified=false
git diff --quiet HEAD -- 2>/dev/null || modified=true
[ -z "$(git status --porcelain --untracked-files=normal 2>/dev/null)" ] || modified=true
[ "$modified" = false ] || say "warning: the working tree differs from commit $(git rev-parse --short HEAD); BUILDINFO.json and the provenance say so"
lock() { sha256sum "$1" | cut -d' ' -f1; }
jq -n --arg version "$version" --arg commit "$(git rev-parse HEAD)" --arg repository "$repo" \
  --arg builder_id "${STRONGROOM_BUILDER_ID:-https://example.org/strongroom/builders/package-sh}" \
  --argjson sde "$SOURCE_DATE_EPOCH" --arg rustc "$(rustc -V)" --arg cargo "$(cargo -V)" \
  --arg node "$(node -v)" --arg tauri "$(npx --no -- tauri -V)" --arg host "$(. /etc/os-release && echo "$PRETTY_NAME")" \
  --arg started "$started_on" --arg finished "$(date -u +%FT%TZ)" --arg sr "$("$stage/strongroom" --version)" \
  --argjson modified "$modified" --arg cargo_lock "$(lock Cargo.lock)" --arg npm_lock "$(lock package-lock.json)" \
  --arg ui_lock "$(lock ui/package-lock.json)" '
  {version: $version, commit: $commit, repository: $repository, builder_id: $builder_id,
   source_date_epoch: $sde, rustc: $rustc, cargo: $cargo, node: $node, tauri_cli: $tauri,
   host: $host, started_on: $started, finished_on: $finished, strongroom_version: $sr,
   source_modified: $modified,
   lockfiles: {"Cargo.lock": $cargo_lock, "package-lock.json": $npm_lock, "ui/package-lock.json": $ui_lock}}' >"$OUT/BUILDINFO.json"
say "done:"
(cd "$OUT" && cat SHA256SUMS)
