#!/usr/bin/env bash
# Runs the Strongroom desktop app, from a fresh Debian 12 machine (as root) to an open window:
#   bash scripts/app.sh
# It runs the release build, installed as a room installs it: it installs what the build needs,
# builds the Debian packages (scripts/package.sh: the web UI, the release app and CLI, man pages,
# completions), installs the app's package with apt-get (which replaces an older one), and starts
# the installed /usr/bin/strongroom-app on the station in $STRONGROOM_HOME (default:
# ~/.local/share/strongroom). A new station opens on "claim this station", which creates the
# first operator. `apt-get purge strongroom` removes it again; stations are kept.
#
# Without a display ($DISPLAY unset, as on a server) it starts the app on a virtual display
# (Xvfb), saves a screenshot of the window to target/app-screenshot.png, and keeps running
# until Ctrl-C.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ "$(id -u)" = 0 ] || { echo "app: installing the package needs root (apt-get); run as root" >&2; exit 1; }
bash scripts/install-deps.sh run
echo "app: building the release packages (the first build takes a quarter of an hour or more)"
bash scripts/package.sh
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
deb="${CARGO_TARGET_DIR:-$ROOT/target}/debian/strongroom_${version}_$(dpkg --print-architecture).deb"
echo "app: apt-get install $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades "$deb" >/dev/null
echo "app: installed: $(strongroom --version)"
APP=/usr/bin/strongroom-app
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
