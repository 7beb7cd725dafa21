#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a verdict:
#   bash scripts/test.sh
# It installs what it needs (Debian packages, npm and PyPI verifiers, cargo tools), then runs
# the desktop UI's type check, unit tests and build, cargo-deny (licences, bans and sources of
# every dependency, offline), rustfmt, clippy with warnings as errors,
# every Rust test with cargo-nextest (which also regenerates the app's TypeScript bindings), a
# scan of our own lockfiles with Strongroom against ../shared/vulndb (scripts/self-scan.sh), the
# desktop app's end-to-end tests under Xvfb over WebDriver, the release packages (built
# reproducibly, checked by lintian, installed with apt-get, tried, purged) and Strongroom's signed
# release of itself (scripts/package.sh, scripts/package-test.sh, scripts/release.sh; set
# STRONGROOM_SKIP_PACKAGES=1 to leave them out of a local run), and checks that nothing left the
# working tree changed (stale bindings included).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
step() { printf '\n== %s\n' "$*"; }
# A full run gains little from incremental compilation and its cache is gigabytes; CI's disk is
# not ours to size. Set CARGO_INCREMENTAL=1 to keep it.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
disk() { df -h --output=avail,target . | tail -n 1 | awk '{print "disk free: " $1 " on " $2}'; }
disk

step "dependencies"
bash scripts/install-deps.sh test
bash scripts/setup-interop.sh

step "desktop UI: npm ci, svelte-check, unit tests, vite build"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run check && npm test && npm run build)

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

# After the build has fetched every crate, so that it can run offline.
step "supply chain: cargo deny (licences, bans, sources; offline, deny.toml)"
cargo deny --offline check bans licenses sources

step "tests (cargo nextest)"
# Tests on shared data need it beside the checkout: the real OSV data (../shared/vulndb) and
# other projects' conformance cases (../shared/conformance). Without it they are not run, and each
# is named as not run (they would fail, never pass, if run without the data).
VULNDB_TESTS='(package(strongroom-cli) & binary(scan)) | (package(strongroom-vuln) & binary(real_data))'
CONFORMANCE_TESTS='(package(strongroom-cli) & (binary(sigstore_conformance) | binary(sigstore_third_party) | binary(sigstore_agreement))) | (package(strongroom-sigstore) & (binary(conformance_roots) | binary(conformance_log_proofs) | binary(conformance_certificates) | binary(conformance_timestamps) | binary(conformance_entries) | binary(conformance_bundles) | binary(conformance_verify)))'
VULNDB="$ROOT/../shared/vulndb"
CONFORMANCE="$ROOT/../shared/conformance"
SKIP=''
not_run() { # not_run FILTER WHY
  cargo nextest list --workspace --locked -E "$1" --message-format oneline 2>/dev/null |
    sed "s|^|NOT RUN ($2): |"
  SKIP="${SKIP:+$SKIP | }$1"
}
if ! { [ -f "$VULNDB/cargo/all.zip" ] && [ -f "$VULNDB/PyPI/all.zip" ]; }; then
  not_run "$VULNDB_TESTS" 'no ../shared/vulndb beside the checkout'
fi
if [ ! -f "$CONFORMANCE/README.md" ]; then
  not_run "$CONFORMANCE_TESTS" 'no ../shared/conformance beside the checkout'
fi
# The publishing tests (strongroom-cli's tests/publish.rs) run the connected side's binary,
# which nextest builds only for its own package's tests.
cargo build -p strongroom-publish --locked
if [ -n "$SKIP" ]; then
  cargo nextest run --workspace --locked --profile ci -E "not ($SKIP)"
else
  cargo nextest run --workspace --locked --profile ci
fi

# The tests built the CLI; it scans our own lockfiles against ../shared/vulndb (NOT RUN without it).
step "supply chain: our own dependencies against the OSV data (supply-chain/osv-allowlist.txt)"
cargo build -p strongroom-cli --locked
bash scripts/self-scan.sh "$ROOT/target/debug/strongroom"

step "the app's TypeScript bindings are current"
stale="$(git status --porcelain -- ui/src/bindings 2>/dev/null || true)"
if [ -n "$stale" ]; then
  printf 'the generated TypeScript bindings differ from the committed ones; commit ui/src/bindings:\n%s\n' "$stale" >&2
  exit 1
fi

step "desktop app end-to-end (the built app under Xvfb, tauri-driver + WebKitWebDriver)"
cargo build -p strongroom-app --locked
bash tests/gui/run.sh

step "packages: reproducible .debs with lintian (scripts/package.sh); installed, tried and purged, and Strongroom's release of itself (scripts/package-test.sh, scripts/release.sh)"
if [ "${STRONGROOM_SKIP_PACKAGES:-0}" = 1 ]; then
  echo "NOT RUN (packages): STRONGROOM_SKIP_PACKAGES=1 was set"
else
  bash scripts/package.sh
  bash scripts/package-test.sh
fi

if git rev-parse --git-dir >/dev/null 2>&1; then
  step "the tests left the tree clean"
  dirty="$(git status --porcelain)"
  if [ -n "$dirty" ]; then
    printf 'the test run changed or left files in the repository:\n%s\n' "$dirty" >&2
    exit 1
  fi
fi
disk
echo
echo "all checks passed"
