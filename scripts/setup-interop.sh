#!/usr/bin/env bash
# Install the independent verifiers used by the interop tests:
#   * npm devDependencies (@sigstore/*) at the repo root, from package-lock.json (npm ci);
#   * a Python venv at .venv with tests/interop/requirements.txt.
# Idempotent and fast when already done: each step is skipped while a stamp file records the
# sha256 of the lockfile / requirements it was installed from (and the tools still run).
#
#   bash scripts/setup-interop.sh            # FORCE=1 to reinstall both
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
REQS="$ROOT/tests/interop/requirements.txt"
NPM_STAMP="$ROOT/node_modules/.strongroom-lock.sha256"
PIP_STAMP="$VENV/.strongroom-requirements.sha256"
FORCE="${FORCE:-0}"

log() { printf 'setup-interop: %s\n' "$*"; }
die() { printf 'setup-interop: error: %s\n' "$*" >&2; exit 1; }
sha() { sha256sum "$@" | awk '{print $1}' | sha256sum | awk '{print $1}'; }

# --- node ---------------------------------------------------------------------------------------
command -v node >/dev/null || die "node not found (need node >= 20)"
command -v npm >/dev/null || die "npm not found"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "node $(node --version) is too old (need >= 20)"
[ -f package-lock.json ] || die "package-lock.json missing"

want_npm="$(sha package.json package-lock.json)"
if [ "$FORCE" != 1 ] && [ -f "$NPM_STAMP" ] && [ "$(cat "$NPM_STAMP")" = "$want_npm" ] \
  && [ -f node_modules/@sigstore/verify/package.json ]; then
  log "npm: node_modules up to date"
else
  log "npm: npm ci ..."
  npm ci --no-audit --no-fund --loglevel=error
  printf '%s\n' "$want_npm" >"$NPM_STAMP"
  log "npm: done"
fi

# --- python -------------------------------------------------------------------------------------
PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null || die "$PY not found"

venv_ok() { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; }

if ! venv_ok; then
  # Debian's own python3 ships venv without ensurepip until python3-venv is installed.
  if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      pyver="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      log "python: installing python3-venv (apt) ..."
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq "python${pyver}-venv" >/dev/null 2>&1 \
        || apt-get install -y -qq python3-venv >/dev/null
    else
      die "$PY lacks the venv/ensurepip modules (install python3-venv)"
    fi
  fi
  log "python: creating $VENV ($("$PY" --version 2>&1))"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  rm -f "$PIP_STAMP"
fi

want_pip="$(sha "$REQS")"
if [ "$FORCE" != 1 ] && [ -f "$PIP_STAMP" ] && [ "$(cat "$PIP_STAMP")" = "$want_pip" ]; then
  log "pip: requirements already installed"
else
  log "pip: installing tests/interop/requirements.txt ..."
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQS"
  "$VENV/bin/python" -c 'import securesystemslib.dsse, securesystemslib.signer, in_toto_attestation, cyclonedx, spdx_tools'
  printf '%s\n' "$want_pip" >"$PIP_STAMP"
  log "pip: done"
fi

log "ready: node tests/interop/sigstore_verify.mjs | .venv/bin/python tests/interop/dsse_verify.py"
