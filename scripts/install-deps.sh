#!/usr/bin/env bash
# Installs what Strongroom needs on a fresh Debian 12 machine (run as root). Idempotent: it only
# calls apt-get or cargo when something is missing.
#
#   bash scripts/install-deps.sh run    # what `scripts/app.sh` and `scripts/demo.sh` need
#   bash scripts/install-deps.sh test   # what `scripts/test.sh` needs (a superset)
#   bash scripts/install-deps.sh package  # what `scripts/package.sh` adds: dpkg-dev, lintian
set -euo pipefail
what="${1:-test}"

log() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "no Rust toolchain (cargo) on PATH; this project builds with the machine's rustup toolchain"

# Debian packages: build, run, and (for tests) the independent verifiers and SoftHSM.
pkgs=(pkg-config gcc libc6-dev openssl ca-certificates nodejs)
# The desktop app (Tauri 2 on WebKitGTK 4.1); xvfb and xauth let it run on a machine without a
# display (the run command falls back to a virtual one).
pkgs+=(libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev librsvg2-dev libssl-dev xvfb xauth)
if [ "$what" = package ] || [ "$what" = test ]; then
  # Building the .debs: dpkg-shlibdeps (Depends), lintian, jq for the crate list.
  pkgs+=(dpkg-dev lintian jq git)
  # Trying the installed packages (scripts/package-test.sh): man, and the app's screenshot.
  pkgs+=(man-db xvfb xauth imagemagick xdotool unzip)
fi
if [ "$what" = test ]; then
  pkgs+=(softhsm2 opensc age jq git python3 python3-venv maven default-jdk-headless dpkg sqlite3)
  # The app's end-to-end tests: WebKitWebDriver (behind tauri-driver) and window screenshots.
  pkgs+=(webkit2gtk-driver imagemagick xdotool x11-utils)
  # Publishing tests: a real distribution 2.8 registry on 127.0.0.1, and skopeo to read it back.
  pkgs+=(docker-registry skopeo)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from outside Debian's packages (they do on the reference machine).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}); run as root or install them"
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [[ " ${missing[*]} " == *" nodejs "* ]] && ! command -v npm >/dev/null; then
    apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
fi

if [ "$what" = test ]; then
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
  if ! command -v cargo-nextest >/dev/null; then
    log "cargo install cargo-nextest"
    cargo install --locked cargo-nextest
  fi
  if ! command -v tauri-driver >/dev/null; then
    log "cargo install tauri-driver"
    cargo install --locked tauri-driver --version '^2'
  fi
  # The supply-chain check (deny.toml): licences, bans and sources, offline.
  if ! command -v cargo-deny >/dev/null; then
    log "cargo install cargo-deny"
    cargo install --locked cargo-deny --version '^0.20'
  fi
fi
log "ok ($what)"
