#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a verdict:
#   bash scripts/test.sh
# It installs what it needs (Debian packages, npm and PyPI verifiers, cargo tools), then runs
# rustfmt, clippy with warnings as errors, every test with cargo-nextest, and checks that the
# tests left the working tree clean.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
step() { printf '\n== %s\n' "$*"; }

step "dependencies"
bash scripts/install-deps.sh test
bash scripts/setup-interop.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (cargo nextest)"
cargo nextest run --workspace --locked --profile ci

if git rev-parse --git-dir >/dev/null 2>&1; then
  step "the tests left the tree clean"
  dirty="$(git status --porcelain)"
  if [ -n "$dirty" ]; then
    printf 'the test run changed or left files in the repository:\n%s\n' "$dirty" >&2
    exit 1
  fi
fi
echo
echo "all checks passed"
