# Sourced by scripts/package.sh and scripts/reproduce.sh: the environment that makes a release
# build independent of where and when it runs (docs/reproducible.md). Needs ROOT and TARGET.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  # The commit's own time: every build of one commit gets the same one.
  if ! SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null); then
    SOURCE_DATE_EPOCH=$(date +%s)
    echo "warning: no git here and no SOURCE_DATE_EPOCH: using the time now, so this build will not be reproducible" >&2
  fi
fi
export SOURCE_DATE_EPOCH
# No path of this machine's in the binaries: the checkout, the target directory and the crate
# sources are named as in any other build.
export RUSTFLAGS="--remap-path-prefix=$ROOT=/build/strongroom --remap-path-prefix=$TARGET=/build/target --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/build/cargo"
# The same for C compiled by build scripts (ring, SQLite): __FILE__ and debug paths.
export CFLAGS="${CFLAGS:-} -ffile-prefix-map=$ROOT=/build/strongroom -ffile-prefix-map=${CARGO_HOME:-$HOME/.cargo}=/build/cargo"
export CXXFLAGS="${CXXFLAGS:-} -ffile-prefix-map=$ROOT=/build/strongroom -ffile-prefix-map=${CARGO_HOME:-$HOME/.cargo}=/build/cargo"
export LC_ALL=C TZ=UTC
umask 022
