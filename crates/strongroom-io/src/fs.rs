//! Atomic file writes: a temporary file in the destination directory, fsync, then rename, so a
//! crash or a full disk never leaves a half-written file under the final name; staged batches;
//! the leftovers of killed writers; file locks.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::IoError;

/// The name every temporary file of ours starts with: `.strongroom-PID-`, so that a later run
/// can tell the leftovers of a dead process from the files of one still writing.
pub fn temp_prefix() -> String {
    format!(".strongroom-{}-", std::process::id())
}

/// Removes the temporary files that a process killed mid-write left in `dir` (not below it):
/// `.strongroom-PID-….tmp` whose process no longer runs. A file of a live process, or a name of
/// any other form, is left alone. Staged signature bundles are not valid documents until their
/// commit (see [`StagedFiles`]), so a leftover is debris, never a signature. Returns how many
/// were removed; a directory that cannot be read removes nothing.
pub fn remove_leftovers(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(".strongroom-"))
            .filter(|n| n.ends_with(".tmp"))
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = Path::new("/proc").join(pid.to_string()).exists();
        let regular = e.file_type().is_ok_and(|t| t.is_file());
        if !alive && regular && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

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
) -> Result<(), IoError> {
    write_atomic_with(path, overwrite, |f| {
        write(f).map_err(|e| IoError::new(path, e))
    })
}

/// [`write_atomic`] for a writer with an error of its own and a result: the temporary file is
/// named for the writer's pid (see [`remove_leftovers`]), synced, and renamed into place (without
/// replacing a file under [`Overwrite::Refuse`], which fails with an error for which
/// [`IoError::is_exists`] holds); then the directory is synced. On any error nothing is left
/// behind and an existing file is untouched.
pub fn write_atomic_with<T, E: From<IoError>>(
    path: &Path,
    overwrite: Overwrite,
    write: impl FnOnce(&mut fs::File) -> Result<T, E>,
) -> Result<T, E> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix())
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| IoError::new(dir, e))?;
    let value = write(tmp.as_file_mut())?;
    tmp.as_file_mut()
        .flush()
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| IoError::new(path, e))?;
    match overwrite {
        Overwrite::Allow => tmp.persist(path).map(drop),
        Overwrite::Refuse => tmp.persist_noclobber(path).map(drop),
    }
    .map_err(|e| IoError::new(path, e.error))?;
    // Make the rename itself durable. The file is in place by now, so a failure here (some
    // platforms cannot open a directory) is not reported as a failed write.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(value)
}

/// An exclusive lock on a file, held until dropped. Two processes that rewrite the same file in
/// place (two officers approving one bundle at once) take turns instead of one losing the
/// other's change: the second waits, then reads what the first wrote.
#[derive(Debug)]
pub struct FileLock {
    _file: fs::File,
}

/// Takes an exclusive lock on `path` (`flock(2)`), waiting for another holder to finish. If the
/// file was replaced while waiting (an atomic rewrite renames a new file over it), the new file
/// is locked instead, so the lock always covers what the path names.
pub fn lock_exclusive(path: &Path) -> Result<FileLock, IoError> {
    loop {
        let file = fs::File::open(path).map_err(|e| IoError::new(path, e))?;
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::MetadataExt;
            rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
                .map_err(|e| IoError::new(path, e.into()))?;
            let held = file.metadata().map_err(|e| IoError::new(path, e))?;
            let named = fs::metadata(path).map_err(|e| IoError::new(path, e))?;
            if (held.dev(), held.ino()) != (named.dev(), named.ino()) {
                continue;
            }
        }
        return Ok(FileLock { _file: file });
    }
}

/// Above this many files, one `syncfs(2)` replaces a `fsync(2)` per file.
const SYNCFS_THRESHOLD: usize = 16;

/// Writes several files all-or-nothing: every one is staged and synced under a temporary name
/// first, and only then are they renamed into place. A failure while staging leaves no file.
pub fn write_all_atomic(files: &[(PathBuf, Vec<u8>)], overwrite: Overwrite) -> Result<(), IoError> {
    let mut staged = StagedFiles::new(overwrite, files.len());
    for (path, bytes) in files {
        staged.stage(path.clone(), bytes)?;
    }
    staged.commit()
}

/// Files written under temporary names, to be renamed into place together by
/// [`StagedFiles::commit`]. Dropped without a commit, it removes every temporary file.
///
/// A staged file is written with its first byte zeroed, and gets it back only in `commit`,
/// just before the renames: a process killed while staging (a `sign` of thousands of files)
/// leaves temporary files that are not valid documents (a signature bundle that starts with a
/// NUL parses as nothing), not usable signatures outside the audit trail.
#[derive(Debug)]
pub struct StagedFiles {
    overwrite: Overwrite,
    /// Large batches are made durable with one `syncfs` rather than one `fsync` each.
    batch_sync: bool,
    /// Each temporary file, where it goes, and its real first byte.
    staged: Vec<(tempfile::TempPath, PathBuf, Option<u8>)>,
    dirs: Vec<PathBuf>,
}

impl StagedFiles {
    /// Prepares for about `expected` files.
    pub fn new(overwrite: Overwrite, expected: usize) -> Self {
        StagedFiles {
            overwrite,
            batch_sync: cfg!(target_os = "linux") && expected > SYNCFS_THRESHOLD,
            staged: Vec::with_capacity(expected),
            dirs: Vec::new(),
        }
    }

    /// Writes `bytes` to a temporary file beside `path`.
    pub fn stage(&mut self, path: PathBuf, bytes: &[u8]) -> Result<(), IoError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(&temp_prefix())
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| IoError::new(&dir, e))?;
        let first = bytes.first().copied();
        let written = match bytes.split_first() {
            Some((_, rest)) => tmp
                .as_file_mut()
                .write_all(&[0])
                .and_then(|()| tmp.as_file_mut().write_all(rest)),
            None => Ok(()),
        };
        written.map_err(|e| IoError::new(&path, e))?;
        if !self.dirs.contains(&dir) {
            self.dirs.push(dir);
        }
        // Close it, keeping only the name (still removed on drop): thousands of open files make
        // every further create slower on Linux.
        self.staged.push((tmp.into_temp_path(), path, first));
        Ok(())
    }

    /// Gives every staged file its first byte back and makes it durable, then renames each into
    /// place, then syncs the directories.
    pub fn commit(self) -> Result<(), IoError> {
        for (tmp, path, first) in &self.staged {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(tmp)
                .map_err(|e| IoError::new(path, e))?;
            if let Some(b) = first {
                std::os::unix::fs::FileExt::write_all_at(&file, &[*b], 0)
                    .map_err(|e| IoError::new(path, e))?;
            }
            if !self.batch_sync {
                file.sync_all().map_err(|e| IoError::new(path, e))?;
            }
        }
        if self.batch_sync {
            let dirs: Vec<&Path> = self.dirs.iter().map(PathBuf::as_path).collect();
            sync_filesystems(&dirs)?;
        }
        let mut placed: Vec<PathBuf> = Vec::with_capacity(self.staged.len());
        for (tmp, path, _) in self.staged {
            let r = match self.overwrite {
                Overwrite::Allow => tmp.persist(&path),
                Overwrite::Refuse => tmp.persist_noclobber(&path),
            };
            if let Err(e) = r {
                // Under Refuse every placed file is new: take them back, so nothing is left.
                // (Under Allow an older file was replaced and cannot be restored.)
                if self.overwrite == Overwrite::Refuse {
                    for p in &placed {
                        let _ = fs::remove_file(p);
                    }
                }
                return Err(IoError::new(&path, e.error));
            }
            placed.push(path);
        }
        for dir in &self.dirs {
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// Flushes the file systems holding `dirs`, one `syncfs` per distinct device.
#[cfg(target_os = "linux")]
fn sync_filesystems(dirs: &[&Path]) -> Result<(), IoError> {
    let mut devices = Vec::new();
    for dir in dirs {
        let handle = fs::File::open(dir).map_err(|e| IoError::new(*dir, e))?;
        let meta = handle.metadata().map_err(|e| IoError::new(*dir, e))?;
        let dev = std::os::unix::fs::MetadataExt::dev(&meta);
        if !devices.contains(&dev) {
            devices.push(dev);
            rustix::fs::syncfs(&handle).map_err(|e| IoError::new(*dir, std::io::Error::from(e)))?;
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn sync_filesystems(_: &[&Path]) -> Result<(), IoError> {
    unreachable!("batch sync is only chosen on Linux")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_of_dead_processes_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join(format!("{}abc.tmp", temp_prefix()));
        // No process has this pid (above the kernel's pid_max limit of 2^22).
        let dead = dir.path().join(".strongroom-4294967-abc.tmp");
        let other = dir.path().join(".strongroom-abc.tmp");
        let doc = dir.path().join("a.sigstore.json");
        for p in [&mine, &dead, &other, &doc] {
            fs::write(p, b"x").unwrap();
        }
        assert_eq!(remove_leftovers(dir.path()), 1);
        assert!(!dead.exists());
        assert!(mine.exists() && other.exists() && doc.exists());
        assert_eq!(remove_leftovers(&dir.path().join("missing")), 0);
    }

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
    fn batches_write_every_file_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<(PathBuf, Vec<u8>)> = (0..40)
            .map(|i| (dir.path().join(format!("f{i}")), vec![i as u8; 10]))
            .collect();
        write_all_atomic(&files, Overwrite::Refuse).unwrap();
        for (p, b) in &files {
            assert_eq!(&fs::read(p).unwrap(), b);
        }
        // A clash found only at rename time takes back what was already renamed.
        let clash: Vec<(PathBuf, Vec<u8>)> = vec![
            (dir.path().join("new1"), vec![1]),
            (dir.path().join("f3"), vec![1]),
        ];
        assert!(write_all_atomic(&clash, Overwrite::Refuse).is_err());
        assert!(!dir.path().join("new1").exists());
        // A destination directory that does not exist fails while staging: nothing new appears.
        let mut more: Vec<(PathBuf, Vec<u8>)> = (0..40)
            .map(|i| (dir.path().join(format!("g{i}")), vec![1]))
            .collect();
        more.push((dir.path().join("missing/x"), vec![1]));
        assert!(write_all_atomic(&more, Overwrite::Refuse).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 40);
    }

    #[test]
    fn a_staged_file_is_not_the_document_until_its_commit() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.sigstore.json");
        let mut staged = StagedFiles::new(Overwrite::Refuse, 1);
        staged
            .stage(out.clone(), br#"{"signature": "..."}"#)
            .unwrap();
        // What a process killed now would leave: a temporary file that parses as nothing.
        let tmp: Vec<PathBuf> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(tmp.len(), 1);
        let left = fs::read(&tmp[0]).unwrap();
        assert_eq!(left[0], 0);
        assert!(serde_json::from_slice::<serde_json::Value>(&left).is_err());
        staged.commit().unwrap();
        assert_eq!(fs::read(&out).unwrap(), br#"{"signature": "..."}"#);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
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
