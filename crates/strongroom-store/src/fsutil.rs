//! Atomic file writes: a temporary file in the destination directory, fsync, then rename, so a
//! crash or a full disk never leaves a half-written file under the final name.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::StoreError;

/// Whether an existing file at the destination may be replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overwrite {
    Allow,
    Refuse,
}

/// Writes `path` atomically with the bytes `write` produces. On any error nothing is left behind.
pub fn write_atomic(
    path: &Path,
    overwrite: Overwrite,
    write: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".strongroom-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| StoreError::io(dir, e))?;
    write(tmp.as_file_mut()).map_err(|e| StoreError::io(path, e))?;
    tmp.as_file_mut()
        .flush()
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| StoreError::io(path, e))?;
    match overwrite {
        Overwrite::Allow => tmp.persist(path).map(drop),
        Overwrite::Refuse => tmp.persist_noclobber(path).map(drop),
    }
    .map_err(|e| StoreError::io(path, e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes several files all-or-nothing: every one is staged and synced under a temporary name
/// first, and only then are they renamed into place. A failure while staging leaves no file.
pub fn write_all_atomic(
    files: &[(PathBuf, Vec<u8>)],
    overwrite: Overwrite,
) -> Result<(), StoreError> {
    let mut staged = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".strongroom-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| StoreError::io(dir, e))?;
        tmp.as_file_mut()
            .write_all(bytes)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(|e| StoreError::io(path, e))?;
        staged.push((tmp, path));
    }
    for (tmp, path) in staged {
        match overwrite {
            Overwrite::Allow => tmp.persist(path).map(drop),
            Overwrite::Refuse => tmp.persist_noclobber(path).map(drop),
        }
        .map_err(|e| StoreError::io(path, e.error))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_refuses_to_clobber() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_atomic(&p, Overwrite::Refuse, |f| f.write_all(b"one")).unwrap();
        assert!(write_atomic(&p, Overwrite::Refuse, |f| f.write_all(b"two")).is_err());
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, Overwrite::Allow, |f| f.write_all(b"two")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let r = write_atomic(&p, Overwrite::Allow, |f| {
            f.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
