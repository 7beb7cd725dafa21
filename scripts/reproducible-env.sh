# Sourced by scripts/package.sh and scripts/reproduce.sh: the environment that makes a release
# build independent of where and when it runs (docs/reproducible.md). Needs ROOT and TARGET.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  # The commit's own time: every build of one commit gets the same one.
  SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
# No path of this machine's in the binaries: the checkout, the target directory and the crate
# sources are named as in any other build.
export RUSTFLAGS="--remap-path-prefix=$ROOT=/build/strongroom --remap-path-prefix=$TARGET=/build/target --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/build/cargo"
export LC_ALL=C TZ=UTC
umask 022
