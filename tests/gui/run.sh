#!/usr/bin/env bash
# End-to-end tests of the built desktop app: a real window under Xvfb, driven over WebDriver
# (tauri-driver in front of Debian's WebKitWebDriver), with a real SoftHSM token, a real SQLite
# station and real bundle files. Called by scripts/test.sh after `cargo build -p strongroom-app`.
#
#   bash tests/gui/run.sh                       # screenshots go to target/gui/screenshots
#   SCREENSHOT_DIR=docs/screenshots bash tests/gui/run.sh   # refresh the committed ones
#
# The set-up that is not under test (operators, the approvers' keys and their trust, the module
# allowlist, the policy's approval threshold) is done with the `strongroom` CLI first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
APP="$TARGET/debug/strongroom-app"
CLI="$TARGET/debug/strongroom"
[ -x "$APP" ] || { echo "gui: $APP is missing: run cargo build -p strongroom-app first" >&2; exit 1; }
[ -x "$CLI" ] || cargo build -p strongroom-cli --locked

WORK="$(mktemp -d /tmp/strongroom-gui.XXXXXX)"
cleanup() { [ -n "${KEEP_GUI_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
export STRONGROOM_HOME="$WORK/home"
mkdir -p "$WORK/artifacts" "$WORK/out"

# A throw-away SoftHSM token (PUBLIC test PINs: SO 87654321, user 123456).
eval "$(sh keys-fixtures/softhsm/init-token.sh "$WORK/hsm" e2e-token | tail -n 1)"
export SOFTHSM2_CONF
MODULE="$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so 2>/dev/null | head -n 1)"

as() { # as OPERATOR CLI-ARGS...: run the CLI as an operator (passphrase "<name> passphrase")
  local who="$1"; shift
  STRONGROOM_OPERATOR="$who" STRONGROOM_OPERATOR_PASSPHRASE="$who passphrase" "$CLI" "$@" >/dev/null
}
STRONGROOM_OPERATOR_PASSPHRASE="admin passphrase" "$CLI" operator init --name admin \
  --roles release-officer,approver,auditor >/dev/null
STRONGROOM_NEW_OPERATOR_PASSPHRASE="bob passphrase" as admin operator add bob --roles approver
STRONGROOM_NEW_OPERATOR_PASSPHRASE="carol passphrase" as admin operator add carol --roles approver
# One operator per remaining role, and one whose account the IPC table disables mid-session.
STRONGROOM_NEW_OPERATOR_PASSPHRASE="rita passphrase" as admin operator add rita --roles release-officer
STRONGROOM_NEW_OPERATOR_PASSPHRASE="audrey passphrase" as admin operator add audrey --roles auditor
STRONGROOM_NEW_OPERATOR_PASSPHRASE="dave passphrase" as admin operator add dave --roles release-officer
as admin module allow "$MODULE"
# Scanning (on by default in the Sign wizard) refuses an empty vulnerability database.
as admin vulndb import tests/fixtures/osv/test-advisory.zip
for who in bob carol; do
  STRONGROOM_PASSPHRASE="$who key passphrase" as admin key generate --label "$who-key" --algorithm ed25519 --purpose approver
  as admin key export "$who-key" -o "$WORK/$who-key.pem"
  as admin trust add "$WORK/$who-key.pem" --name "$who-key" --purpose approver --holder "$who"
done
# The audit key signs the checkpoint every release bundle carries (and each approval's); trusted
# for the audit purpose, so that approvals are proven by the bundle's audit excerpt. The station
# unlocks it from its secret file, so nobody at the keyboard types its passphrase.
STRONGROOM_PASSPHRASE="audit key passphrase" as admin key generate --label station-audit --algorithm ed25519 --purpose audit
as admin key export station-audit -o "$WORK/station-audit.pem"
as admin trust add "$WORK/station-audit.pem" --name station-audit --purpose audit --holder admin
(umask 077 && printf 'audit key passphrase\n' >"$WORK/audit.secret")
as admin audit key set station-audit --secret-file "$WORK/audit.secret"
printf '{"min_approvers": {"staging": 2}}\n' >"$WORK/data.json"
as admin trust data "$WORK/data.json"
mkdir -p "$WORK/src/demo" && head -c 300000 /dev/urandom >"$WORK/src/demo/demo.bin"
tar -C "$WORK/src" -czf "$WORK/artifacts/strongroom-demo-1.4.2.tar.gz" demo
printf 'demo tool\n' >"$WORK/artifacts/README.demo"

cd tests/gui
npm ci --no-audit --no-fund --loglevel=error
export APP WORK MODULE CLI
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$TARGET/gui/screenshots}"
case "$SCREENSHOT_DIR" in /*) ;; *) SCREENSHOT_DIR="$ROOT/$SCREENSHOT_DIR" ;; esac
mkdir -p "$SCREENSHOT_DIR"
xvfb-run -a -s "-screen 0 1280x800x24" node e2e.mjs
