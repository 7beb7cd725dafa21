//! Atomic output files: a temporary file in the destination directory, fsync, rename, fsync of
//! the directory. On any error the temporary file is removed and nothing appears at the
//! destination; an existing file there is untouched unless it is replaced whole.

use std::fs::File;
use std::io::Write;
use std::path::Path;

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
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        // As strongroom-store's `temp_prefix`: the pid lets a later run remove what a killed
        // process left (`remove_leftovers`).
        .prefix(&format!(".strongroom-{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| BundleError::io(dir, e))?;
    let value = write(tmp.as_file_mut())?;
    tmp.as_file_mut()
        .flush()
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| BundleError::io(out, e))?;
    let placed = if overwrite {
        tmp.persist(out)
    } else {
        tmp.persist_noclobber(out)
    };
    placed.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            BundleError::OutputExists(out.to_owned())
        } else {
            BundleError::io(out, e.error)
        }
    })?;
    // Make the rename itself durable. The file is in place by now, so a failure here (some
    // platforms cannot open a directory) is not reported as a failed write.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(value)
}
