#!/usr/bin/env bash
# End-to-end demo of the CLI (the README's run command until the desktop app lands):
# makes a throwaway station, generates a key, signs a file, verifies it, shows a tampered copy
# being refused, then makes a release bundle that a second officer approves, and verifies it.
#   bash scripts/demo.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
bash scripts/install-deps.sh run
cargo build --release --locked -p strongroom-cli
SR="$TARGET/release/strongroom"

DEMO="$(mktemp -d -t strongroom-demo.XXXXXX)"
export STRONGROOM_HOME="$DEMO/station"
export STRONGROOM_PASSPHRASE="demo passphrase, not for real keys"
# The operator every command logs in as (a one-person demo station holds every role).
export STRONGROOM_OPERATOR=demo
export STRONGROOM_OPERATOR_PASSPHRASE="demo operator passphrase"
cd "$DEMO"
run() { printf '\n$ %s\n' "$*"; "$@"; }

run "$SR" operator init --name demo --roles release-officer,approver,auditor

printf 'release 1.0.0 of something important\n' > release.tar.gz
run "$SR" key generate --algorithm ecdsa-p256 --label release-officer
run "$SR" key generate --algorithm ed25519 --label attest
run "$SR" key generate --algorithm ed25519 --label station-audit --purpose audit
run "$SR" key list
run "$SR" key export release-officer -o release-officer.pub
run "$SR" sign --key release-officer release.tar.gz
run "$SR" verify --key release-officer.pub release.tar.gz
mkdir attest && run "$SR" sign --key attest -o attest release.tar.gz
run "$SR" verify --key attest --bundle attest/release.tar.gz.sigstore.json release.tar.gz
printf 'tampered' >> release.tar.gz
printf '\n# the file was changed after signing; verification must fail:\n'
if run "$SR" verify --key release-officer.pub release.tar.gz; then
  echo "demo: a tampered file verified, which is a bug" >&2
  exit 1
fi
run "$SR" key export station-audit -o station-audit.pub
run "$SR" trust add station-audit.pub --name station-audit --purpose audit --holder demo
run "$SR" audit key set station-audit
run "$SR" audit checkpoint

printf '\n# a release: trust the keys, create a staging bundle, a second officer approves it\n'
printf 'widget 1.0.0\n' > widget.bin
run "$SR" trust add release-officer.pub --name release-officer --purpose signer --holder demo
STRONGROOM_NEW_OPERATOR_PASSPHRASE="bob's demo passphrase" run "$SR" operator add bob --roles approver
run "$SR" key generate --algorithm ed25519 --label bob-key --purpose approver
run "$SR" key export bob-key -o bob-key.pub
run "$SR" trust add bob-key.pub --name bob-key --purpose approver --holder bob
run "$SR" release create --name widget --version 1.0.0 --stage staging --key release-officer \
  -o widget-1.0.0.zip widget.bin
STRONGROOM_OPERATOR=bob STRONGROOM_OPERATOR_PASSPHRASE="bob's demo passphrase" \
  run "$SR" release approve widget-1.0.0.zip --key bob-key
run "$SR" verify widget-1.0.0.zip --artifacts . --report report.html
printf 'widget 1.0.1, swapped in\n' > swapped.bin && mkdir swapped && cp swapped.bin swapped/widget.bin
printf '\n# a different artifact under the released name; verification must fail:\n'
if run "$SR" verify widget-1.0.0.zip --artifacts swapped; then
  echo "demo: a swapped artifact verified, which is a bug" >&2
  exit 1
fi
run "$SR" audit list
run "$SR" audit verify --since widget-1.0.0.zip --key station-audit.pub
run "$SR" operator quorum
printf '\ndemo ok: files are in %s\n' "$DEMO"
