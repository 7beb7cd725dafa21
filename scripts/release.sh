#!/usr/bin/env bash
# Strongroom releases itself: a Strongroom release bundle of Strongroom's own packages, made and
# checked with Strongroom, and checked again with tools we did not write.
#
#   bash scripts/release.sh [DEBDIR] [OUTDIR]
#
# DEBDIR holds what scripts/package.sh wrote (default target/debian); OUTDIR gets what a room
# needs (default target/self-release): the bundle, the packages, each package's detached DER
# signature (PACKAGE.sig), the release public key (strongroom-release.pub) and SHA256SUMS.
# STRONGROOM names the strongroom binary to use (default: the one just packaged,
# target/package/strongroom; scripts/test.sh passes the installed /usr/bin/strongroom).
#
# 1. an SBOM of the workspace, from Cargo.lock and both package-lock.json files (SPDX 2.3);
# 2. a scan of it against the OSV data in ../shared/vulndb/: any critical finding that
#    supply-chain/osv-allowlist.txt does not list fails the release (without the data: NOT RUN);
# 3. SLSA provenance from the build's own metadata (commit, builder, SOURCE_DATE_EPOCH, the
#    lockfiles' digests, the build's start and end from DEBDIR/BUILDINFO.json);
# 4. `release create` signed with a key on a SoftHSM token, `release approve` by a second
#    operator, then `strongroom verify` of the bundle against the packages;
# 5. every package signature checked by sigstore-js (@sigstore/verify) and by openssl, every
#    attestation and approval by sigstore-js, and the first-install commands of docs/install.md
#    run as written (and shown to refuse a changed package).
#
# THE KEYS ARE THROW-AWAY TEST KEYS, made fresh on every run in a temporary SoftHSM token with
# published PINs. A real release signs with the release officers' own token (docs/install.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'release: %s\n' "$*"; }
die() { printf 'release: error: %s\n' "$*" >&2; exit 1; }
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
DEBDIR="$(cd "${1:-$TARGET/debian}" && pwd)"
OUT="${2:-$TARGET/self-release}"
SR="${STRONGROOM:-$ROOT/target/package/strongroom}"
VULNDB="${STRONGROOM_VULNDB:-$ROOT/../shared/vulndb}"
ALLOWLIST="${STRONGROOM_OSV_ALLOWLIST:-$ROOT/supply-chain/osv-allowlist.txt}"
[ -x "$SR" ] || die "no strongroom binary at $SR (run scripts/package.sh first, or set STRONGROOM)"
[ -f "$DEBDIR/BUILDINFO.json" ] || die "no $DEBDIR/BUILDINFO.json (run scripts/package.sh first)"
shopt -s nullglob
debs=("$DEBDIR"/*.deb)
[ "${#debs[@]}" -gt 0 ] || die "no packages in $DEBDIR"
version=$(jq -r .version "$DEBDIR/BUILDINFO.json")
say "releasing Strongroom $version with $("$SR" --version)"

W=$(mktemp -d -t strongroom-release.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
# OUT is emptied: never the checkout, the packages' folder, or a folder that holds either.
case "$ROOT/" in "$OUT"/*) die "OUTDIR $OUT holds the checkout; name a folder of its own" ;; esac
case "$DEBDIR/" in "$OUT"/*) die "OUTDIR $OUT holds the packages' folder; name a folder of its own" ;; esac
find "$OUT" -mindepth 1 -delete

# The station and its people: a release officer whose key is on a token, and a second operator
# who approves. Throw-away passphrases and PINs (see above).
export STRONGROOM_HOME="$W/station"
export STRONGROOM_OPERATOR=release-officer STRONGROOM_OPERATOR_PASSPHRASE="release officer passphrase (test only)"
export STRONGROOM_PASSPHRASE="software key passphrase (test only)"
token_env=$(sh keys-fixtures/softhsm/init-token.sh "$W/hsm" strongroom-release 2>"$W/last.log" | tail -n 1) ||
  { cat "$W/last.log" >&2; die "could not make the SoftHSM token (is softhsm2 installed?)"; }
case $token_env in "export SOFTHSM2_CONF=$W/hsm/"*) eval "$token_env" ;; *) die "unexpected token set-up output: $token_env" ;; esac
export STRONGROOM_PIN=123456
q() { "$SR" "$@" >"$W/last.log" 2>&1 || { cat "$W/last.log" >&2; die "strongroom $* failed"; }; }
q operator init --name release-officer --roles custodian,release-officer,auditor
STRONGROOM_NEW_OPERATOR_PASSPHRASE="second operator passphrase (test only)" q operator add second-officer --roles approver
q key generate --token strongroom-release --algorithm ecdsa-p256 --label strongroom-release
q key export strongroom-release -o "$OUT/strongroom-release.pub"
# What would be published, by another path than the media: the release key's fingerprint.
published_fingerprint=$(openssl pkey -pubin -in "$OUT/strongroom-release.pub" -outform DER | sha256sum | cut -d' ' -f1)
q trust add "$OUT/strongroom-release.pub" --name strongroom-release --purpose signer --holder release-officer
q key generate --algorithm ed25519 --label second-officer --purpose approver
q key export second-officer -o "$OUT/second-officer.pub"
q trust add "$OUT/second-officer.pub" --name second-officer --purpose approver --holder second-officer
q key generate --algorithm ed25519 --label station-audit --purpose audit
q key export station-audit -o "$W/station-audit.pub"
q trust add "$W/station-audit.pub" --name station-audit --purpose audit --holder release-officer
q audit key set station-audit
say "station ready: signing key on SoftHSM token strongroom-release, approver second-officer"

say "1. SBOM of the workspace (Cargo.lock, package-lock.json, ui/package-lock.json)"
mkdir -p "$W/workspace/ui"
cp Cargo.lock package-lock.json "$W/workspace/"
cp ui/package-lock.json "$W/workspace/ui/"
q sbom "$W/workspace" --format spdx-json -o "$W/strongroom.spdx.json"
q sbom validate "$W/strongroom.spdx.json"
say "   $(jq '.packages | length' "$W/strongroom.spdx.json") packages"

say "2. scan against the OSV data"
scan=()
zips=("$VULNDB"/*/all.zip)
if [ "${#zips[@]}" -eq 0 ]; then
  say "   NOT RUN: no OSV data at $VULNDB (the shared vulndb is not beside this checkout)"
else
  for z in "${zips[@]}"; do q vulndb import "$z"; done
  # Without --fail-on, scan exits 0 whatever it finds; anything else is a failure to scan.
  "$SR" scan "$W/strongroom.spdx.json" --json >"$W/scan.json" 2>"$W/last.log" ||
    { cat "$W/last.log" "$W/scan.json" >&2; die "the scan failed"; }
  jq -e '.findings | type == "array"' "$W/scan.json" >/dev/null || { cat "$W/scan.json" >&2; die "the scan gave no findings list"; }
  jq -r '.findings[] | "\(.id) \(.package.name) \(.package.version) \(.severity.level // "unknown" | ascii_downcase)"' "$W/scan.json" |
    sort -u >"$W/findings.txt"
  allowed=$({ grep -v '^\s*#' "$ALLOWLIST" || true; } | awk 'NF >= 2 {print $1, $2}' | sort -u)
  bad=0
  while read -r id name ver sev; do
    [ -n "${id:-}" ] || continue
    # A finding without a usable severity counts as critical, as `scan --fail-on` counts it.
    if [ "$sev" != critical ] && [ "$sev" != unknown ]; then
      say "   finding ($sev): $id $name@$ver"
    elif grep -qx "$id $name" <<<"$allowed"; then
      say "   $sev, allowed: $id $name@$ver (supply-chain/osv-allowlist.txt)"
    else
      say "   ${sev^^}: $id $name@$ver: fix it, or list it with a reason in supply-chain/osv-allowlist.txt"
      bad=1
    fi
  done <"$W/findings.txt"
  [ "$bad" = 0 ] || die "critical findings that the allowlist does not list"
  say "   $(jq '.findings | length' "$W/scan.json") findings; every critical one (or one without a severity) is allowed"
  scan=(--scan)
fi

say "3. SLSA provenance from the build's metadata"
digest() { sha256sum "$1" | cut -d' ' -f1; }
# The lockfiles' digests are those the build recorded (BUILDINFO.json), not today's files.
jq -n --slurpfile b "$DEBDIR/BUILDINFO.json" '
  $b[0] as $b | $b.lockfiles as $l | {
    builder_id: $b.builder_id,
    build_type: "https://example.org/strongroom/buildtypes/package-sh/v1",
    source: {repository: $b.repository, commit: $b.commit},
    parameters: {script: "scripts/package.sh", source_date_epoch: $b.source_date_epoch, profile: "release"},
    internal_parameters: {rustc: $b.rustc, cargo: $b.cargo, node: $b.node, tauri_cli: $b.tauri_cli, host: $b.host,
      source_modified: $b.source_modified},
    resolved_dependencies: [$l | to_entries[] |
      {uri: "git+\($b.repository)@\($b.commit)#\(.key)", digest: {sha256: .value}}],
    started_on: $b.started_on, finished_on: $b.finished_on,
    builder_version: {strongroom: $b.strongroom_version}
  }' >"$W/build-meta.json"

say "4. release create (SoftHSM key), approval by the second operator, verify"
sboms=()
for d in "${debs[@]}"; do sboms+=(--sbom "$(basename "$d")=$W/strongroom.spdx.json"); done
bundle="$OUT/strongroom-$version.release.zip"
q release create --name strongroom --version "$version" --stage staging --key strongroom-release \
  "${sboms[@]}" --provenance "$W/build-meta.json" "${scan[@]}" --include-artifacts \
  -o "$bundle" "${debs[@]}"
STRONGROOM_OPERATOR=second-officer STRONGROOM_OPERATOR_PASSPHRASE="second operator passphrase (test only)" \
  q release approve "$bundle" --key second-officer
"$SR" verify "$bundle" --artifacts "$DEBDIR" --json >"$W/verify.json" 2>"$W/last.log" ||
  { cat "$W/last.log" "$W/verify.json" >&2; die "strongroom verify refused the self-release"; }
verdict=$(jq -r .verdict "$W/verify.json")
# With the scan, nothing may even warn; without the OSV data the policy warns that no scan was
# made, and says so.
if [ "${#scan[@]}" -gt 0 ] && [ "$verdict" != pass ]; then
  jq -r '.. | objects | select(.outcome? == "warn" or .outcome? == "fail") | "\(.outcome): \(.message // .detail // .)"' "$W/verify.json" >&2 || true
  die "strongroom verify: $verdict, not pass"
fi
say "   strongroom verify: $verdict"

say "5. the package signatures, checked by sigstore-js and openssl"
mkdir -p "$W/unzipped"
(cd "$W/unzipped" && unzip -q "$bundle")
for d in "${debs[@]}"; do
  name=$(basename "$d")
  sig="$W/unzipped/signatures/$name.sigstore.json"
  [ -f "$sig" ] || die "the bundle has no signature of $name"
  node tests/interop/sigstore_verify.mjs --bundle "$sig" --key "$OUT/strongroom-release.pub" --artifact "$d" --strict >/dev/null ||
    die "sigstore-js refused the signature of $name"
  jq -r .messageSignature.signature "$sig" | base64 -d >"$OUT/$name.sig"
  openssl dgst -sha256 -verify "$OUT/strongroom-release.pub" -signature "$OUT/$name.sig" "$d" >/dev/null ||
    die "openssl refused the signature of $name"
  atts=("$W/unzipped/attestations/$name".*.sigstore.json)
  for kind in sbom provenance ${scan:+vulns}; do
    [ -f "$W/unzipped/attestations/$name.$kind.sigstore.json" ] || die "the bundle has no $kind attestation of $name"
  done
  for att in "${atts[@]}"; do
    node tests/interop/sigstore_verify.mjs --bundle "$att" --key "$OUT/strongroom-release.pub" --artifact "$d" --strict >/dev/null ||
      die "sigstore-js refused the attestation $(basename "$att")"
  done
  cp "$d" "$OUT/"
  say "   $name: signature (sigstore-js, openssl) and its SBOM, provenance and scan attestations (sigstore-js) OK"
done
# Each approval against the key we know its signer by, never a key the bundle carries.
for who in strongroom-release second-officer; do
  hex=$(openssl pkey -pubin -in "$OUT/$who.pub" -outform DER | sha256sum | cut -d' ' -f1)
  a="$W/unzipped/approvals/$hex.sigstore.json"
  [ -f "$a" ] || die "the bundle has no approval by $who (approvals/$hex.sigstore.json)"
  node tests/interop/sigstore_verify.mjs --bundle "$a" --key "$OUT/$who.pub" --artifact "$W/unzipped/manifest.json" --strict >/dev/null ||
    die "sigstore-js refused the approval by $who"
done
say "   the manifest's approvals by the release officer and by the second operator, each against its known key: sigstore-js OK"
chmod 0644 "$OUT"/*
(cd "$OUT" && sha256sum ./*.deb ./*.sig ./*.pub "$(basename "$bundle")" | sed 's| \./| |' >SHA256SUMS)

say "   the first-install check of docs/install.md, as written"
awk '/<!-- tested: first-install -->/{f=1; next} f && /^```sh$/{c=1; next} c && /^```$/{exit} c' docs/install.md >"$W/first-install.sh"
[ -s "$W/first-install.sh" ] || die "docs/install.md has no tested first-install block"
# first_install MEDIA: the block run as the doc says, with sh -e, in a copy of the media.
first_install() {
  (cd "$1" && KEY_FINGERPRINT=$published_fingerprint PACKAGE="$(basename "${debs[0]}")" sh -e "$W/first-install.sh")
}
cp -r "$OUT" "$W/media"
first_install "$W/media" >"$W/first-install.log" 2>&1 ||
  { cat "$W/first-install.log" >&2; die "the first-install commands of docs/install.md failed"; }
grep -q '^release key: OK' "$W/first-install.log" || die "the first-install check did not say the key is OK"
# The same commands refuse a package with one byte changed...
cp -r "$OUT" "$W/changed"
python3 - "$W/changed/$(basename "${debs[0]}")" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x01
open(p, "wb").write(b)
PY
if first_install "$W/changed" >"$W/changed.log" 2>&1; then
  die "the first-install commands of docs/install.md accepted a changed package"
fi
grep -q 'Verification failure' "$W/changed.log" || { cat "$W/changed.log" >&2; die "openssl did not say why it refused the changed package"; }
# ...and a package signed by another key, which came on the media with it.
cp -r "$OUT" "$W/swapped"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/other.key" 2>/dev/null
openssl pkey -in "$W/other.key" -pubout -out "$W/swapped/strongroom-release.pub"
openssl dgst -sha256 -sign "$W/other.key" -out "$W/swapped/$(basename "${debs[0]}").sig" "$W/swapped/$(basename "${debs[0]}")"
if first_install "$W/swapped" >"$W/swapped.log" 2>&1; then
  die "the first-install commands of docs/install.md accepted a package signed by another key"
fi
grep -q 'WRONG KEY' "$W/swapped.log" || { cat "$W/swapped.log" >&2; die "the first-install check did not say the key is wrong"; }
say "   docs/install.md's first-install check: passes as written; refuses a changed package and another key"
say "done: $OUT"
(cd "$OUT" && ls -l)
