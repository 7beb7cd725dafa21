#!/usr/bin/env bash
# What `npx tauri build` runs before it compiles the app (src-tauri/tauri.conf.json,
# beforeBuildCommand): the web UI, the release `strongroom` CLI, and the files the packages ship
# beside the binaries, staged under target/package/:
#   strongroom            the CLI (release build)
#   man1/*.1.gz           man pages generated from the clap definitions (`strongroom manpages`)
#   completions/          bash, zsh and fish completions (`strongroom completions SHELL`)
#   doc/                  copyright, changelog.gz, README and the user docs
#   crates-{app,cli}.txt.gz  the crates linked into each package's binaries, with licences
#   lintian/strongroom    lintian overrides, each with its reason
# Every file gets the mtime SOURCE_DATE_EPOCH (default: the commit's time) and gzip writes no
# timestamp, so two builds stage the same bytes (docs/reproducible.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'package-prep: %s\n' "$*"; }
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
  export SOURCE_DATE_EPOCH
fi
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
# Always here, whatever CARGO_TARGET_DIR is: tauri.conf.json names these files by this path.
out="$ROOT/target/package"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)

say "web UI (ui/dist)"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)

say "the strongroom CLI, release build"
# Every crate of both binaries, so that the crate lists below can be made offline.
cargo fetch --locked --target "$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --locked -p strongroom-cli
sr="$TARGET/release/strongroom"

rm -rf "$out"
mkdir -p "$out/man1" "$out/completions" "$out/doc" "$out/lintian"
install -m 0755 "$sr" "$out/strongroom"

say "man pages and completions"
"$sr" manpages "$out/man-raw" 2>/dev/null
for f in "$out"/man-raw/*.1; do gzip -9n -c "$f" >"$out/man1/$(basename "$f").gz"; done
rm -rf "$out/man-raw"
gzip -9n -c packaging/strongroom-app.1 >"$out/man1/strongroom-app.1.gz"
"$sr" completions bash >"$out/completions/strongroom"
"$sr" completions zsh >"$out/completions/_strongroom"
"$sr" completions fish >"$out/completions/strongroom.fish"

say "docs"
commit=$(git rev-parse HEAD 2>/dev/null || echo "${STRONGROOM_COMMIT:-unknown}")
when=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
{
  printf 'strongroom (%s) unstable; urgency=medium\n\n' "$version"
  printf '  * Strongroom %s, built from commit\n    %s.\n' "$version" "$commit"
  printf '    What changed: docs/ and the project history at that commit.\n\n'
  printf ' -- Strongroom developers <strongroom@example.org>  %s\n' "$when"
} | gzip -9n >"$out/doc/changelog.gz"
cp packaging/copyright "$out/doc/copyright"
# The crates linked into each package's binaries, with their licences (from Cargo.lock; build
# and dev dependencies are not linked). Our own crates are Apache-2.0 (copyright).
crates() { # crates PACKAGE...: "name vVERSION LICENCE" lines
  local args=()
  for p in "$@"; do args+=(-p "$p"); done
  cargo tree "${args[@]}" -e normal --prefix none --format '{p} {l}' \
    --target "$(rustc -vV | sed -n 's/^host: //p')" --locked --offline |
    grep -v '^$' | grep -v ' (/' | sed 's/ (\*)$//' | LC_ALL=C sort -u
}
crates strongroom-cli strongroom-app | gzip -9n >"$out/crates-app.txt.gz"
crates strongroom-cli | gzip -9n >"$out/crates-cli.txt.gz"
for f in README.md docs/install.md docs/reproducible.md docs/cli.md docs/app.md docs/verify.md \
  docs/release.md docs/custody.md docs/security.md docs/operators.md docs/trust.md docs/policy.md; do
  [ -f "$f" ] && gzip -9n -c "$f" >"$out/doc/$(basename "$f").gz"
done
cp packaging/lintian-overrides "$out/lintian/strongroom"

find "$out" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
say "staged in $out"
