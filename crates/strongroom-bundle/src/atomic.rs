//! Bundle outputs go through `strongroom-io`'s one atomic writer (temporary file named for the
//! writer's pid, fsync, rename, directory fsync; nothing left on failure). Here: an existing
//! output is refused before any work unless it may be replaced, and the writer's errors become
//! bundle errors.

use std::fs::File;
use std::path::Path;

use strongroom_io::fs::{write_atomic_with, Overwrite};
use strongroom_io::IoError;

use crate::error::BundleError;

/// Writes `out` with what `write` produces, atomically. Without `overwrite`, an existing `out`
/// is an error ([`BundleError::OutputExists`]), checked before any work and again at the rename.
pub(crate) fn write_atomic<T>(
    out: &Path,
    overwrite: bool,
    write: impl FnOnce(&mut File) -> Result<T, BundleError>,
) -> Result<T, BundleError> {
    if !overwrite && out.symlink_metadata().is_ok() {
        return Err(BundleError::OutputExists(out.to_owned()));
    }
    let mode = if overwrite {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    };
    write_atomic_with(out, mode, write)
}

impl From<IoError> for BundleError {
    fn from(e: IoError) -> Self {
        if e.is_exists() {
            BundleError::OutputExists(e.path)
        } else {
            BundleError::Io {
                path: e.path,
                source: e.source,
            }
        }
    }
}
