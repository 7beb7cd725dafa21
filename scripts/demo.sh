#!/usr/bin/env bash
# End-to-end demo of the CLI (the README's run command until the desktop app lands):
# makes a throwaway station, generates a key, signs a file, verifies it, then shows a tampered
# copy being refused.
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
run "$SR" audit key set attest
run "$SR" audit checkpoint
run "$SR" audit list
run "$SR" audit verify
printf '\ndemo ok: files are in %s\n' "$DEMO"
