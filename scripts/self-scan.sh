#!/usr/bin/env bash
# Scans Strongroom's own dependencies with Strongroom, offline, against the OSV data in
# ../shared/vulndb/: Cargo.lock (crates.io), package-lock.json and ui/package-lock.json (npm),
# tests/interop/requirements.txt (PyPI). An advisory fails the scan unless
# supply-chain/osv-allowlist.txt lists it with a reason. An ecosystem for which no OSV data is at
# hand is reported as NOT CHECKED, never as clean. Without ../shared/vulndb the whole scan
# reports itself as not run.
#
#   bash scripts/self-scan.sh [STRONGROOM_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sr="${1:-$root/target/debug/strongroom}"
vulndb="${STRONGROOM_VULNDB:-$root/../shared/vulndb}"
allow="$root/supply-chain/osv-allowlist.txt"
say() { printf 'self-scan: %s\n' "$*"; }

if [ ! -d "$vulndb" ]; then
  say "NOT RUN: no OSV data at $vulndb (the shared vulndb is not beside this checkout)"
  exit 0
fi
[ -x "$sr" ] || { say "error: no strongroom binary at $sr (build it first)"; exit 2; }

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export STRONGROOM_HOME="$home" STRONGROOM_OPERATOR=self-scan STRONGROOM_OPERATOR_PASSPHRASE="self-scan passphrase"
"$sr" operator init --name self-scan --roles release-officer >/dev/null 2>&1
shopt -s nullglob
zips=("$vulndb"/*/all.zip)
[ "${#zips[@]}" -gt 0 ] || { say "NOT RUN: no */all.zip under $vulndb"; exit 0; }
for z in "${zips[@]}"; do
  "$sr" vulndb import "$z" >/dev/null 2>&1 || { say "error: importing $z failed"; "$sr" vulndb import "$z"; exit 1; }
done
have=$("$sr" vulndb status --json 2>/dev/null | jq -r '.ecosystems | keys[]')

# ID PACKAGE pairs the allowlist accepts.
allowed=$(grep -v '^\s*#' "$allow" | awk 'NF >= 2 {print $1, $2}' | sort -u)
fail=0
seen=""
for pair in "crates.io Cargo.lock" "npm package-lock.json" "npm ui/package-lock.json" "PyPI tests/interop/requirements.txt"; do
  eco=${pair%% *} file=${pair#* }
  if ! grep -qx "$eco" <<<"$have"; then
    say "NOT CHECKED: $file ($eco): the OSV data at hand has no $eco records"
    continue
  fi
  out=$("$sr" scan "$file" --json 2>/dev/null)
  n=$(jq '.components' <<<"$out")
  found=$(jq -r '.findings[] | "\(.id) \(.package.name) \(.package.version)"' <<<"$out" | sort -u)
  bad=0
  while read -r id name version; do
    [ -n "${id:-}" ] || continue
    seen+="$id $name"$'\n'
    if grep -qx "$id $name" <<<"$allowed"; then
      say "  allowed: $id $name@$version ($file)"
    else
      say "  ADVISORY: $id $name@$version ($file): fix it, or list it with a reason in supply-chain/osv-allowlist.txt"
      bad=1
    fi
  done <<<"$found"
  if [ "$bad" = 0 ]; then
    say "ok: $file ($eco): $n components, no advisory outside the allowlist"
  else
    fail=1
  fi
done
# Listed advisories that no longer match: the list should shrink.
while read -r id name; do
  grep -qx "$id $name" <<<"$seen" || say "note: $id ($name) is allowlisted but no longer matches; remove it from supply-chain/osv-allowlist.txt"
done <<<"$allowed"
if [ "$fail" = 1 ]; then
  say "FAILED: advisories outside the allowlist"
  exit 1
fi
