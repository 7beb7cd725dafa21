#!/usr/bin/env bash
# Runs the Strongroom desktop app, from a fresh Debian 12 machine (as root) to an open window:
#   bash scripts/app.sh
# It installs what it needs (WebKitGTK and the build tools), builds the web UI and the app, and
# starts it on the station in $STRONGROOM_HOME (default: ~/.local/share/strongroom). A new
# station opens on "claim this station", which creates the first operator.
#
# Without a display ($DISPLAY unset, as on a server) it starts the app on a virtual display
# (Xvfb), saves a screenshot of the window to target/app-screenshot.png, and keeps running
# until Ctrl-C.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-deps.sh run
echo "app: building the web UI (ui/dist)"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)
echo "app: building the app (the first build takes several minutes)"
cargo build -p strongroom-app --locked
APP="${CARGO_TARGET_DIR:-$ROOT/target}/debug/strongroom-app"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$APP"
fi
echo "app: no display here; starting Strongroom on a virtual display (Xvfb)"
SHOT="${CARGO_TARGET_DIR:-$ROOT/target}/app-screenshot.png"
exec xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  "$1" & pid=$!
  for _ in $(seq 1 100); do
    w=$(xdotool search --onlyvisible --name "Strongroom" 2>/dev/null | head -n 1 || true)
    [ -n "$w" ] && break; sleep 0.1
  done
  sleep 1
  if [ -n "${w:-}" ] && command -v import >/dev/null; then
    import -window "$w" "$2" && echo "app: the window is running; screenshot: $2"
  else
    echo "app: the window is running (install imagemagick and xdotool for a screenshot)"
  fi
  echo "app: press Ctrl-C to stop"
  wait "$pid"' _ "$APP" "$SHOT"
