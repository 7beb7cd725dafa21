//! Files a person asked the station to write: never inside the station's data directory, and
//! never over an existing file unless the person said to replace it.

use std::path::{Path, PathBuf};

use strongroom_store::fsutil::Overwrite;

use crate::{OpsError, Station};

/// Where `path` really points: its folder resolved (symbolic links followed), then its name,
/// itself resolved when it is a link. The folder must exist.
fn resolved(path: &Path) -> Result<PathBuf, OpsError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let folder = parent
        .canonicalize()
        .map_err(|_| OpsError::NotADirectory(parent.to_owned()))?;
    let Some(name) = path.file_name() else {
        return Err(OpsError::BadInput(format!(
            "{} names no file: give a file name to write",
            path.display()
        )));
    };
    let full = folder.join(name);
    Ok(match full.symlink_metadata() {
        Ok(m) if m.file_type().is_symlink() => full.canonicalize().unwrap_or(full),
        _ => full,
    })
}

/// Refuses `path` (a file or a folder to write into) when it is the station at `home`, or inside
/// it: only the station writes there. Commands that open no station check against the data
/// directory they would use.
pub fn refuse_inside_station(home: &Path, path: &Path) -> Result<(), OpsError> {
    let home = home.canonicalize().unwrap_or_else(|_| home.to_owned());
    let target = if path.is_dir() {
        path.canonicalize().unwrap_or_else(|_| path.to_owned())
    } else {
        resolved(path)?
    };
    if target.starts_with(&home) {
        return Err(OpsError::InsideStation {
            path: path.to_owned(),
            home,
        });
    }
    Ok(())
}

/// Writes a document the person asked for (`sbom -o`, `provenance -o`, `audit export -o`, a
/// verification report): never inside the station at `home`; atomically (a temp file beside it,
/// synced, renamed), replacing what is there.
pub fn write_document(home: &Path, path: &Path, bytes: &[u8]) -> Result<(), OpsError> {
    use std::io::Write;
    refuse_inside_station(home, path)?;
    strongroom_store::fsutil::write_atomic(
        path,
        strongroom_store::fsutil::Overwrite::Allow,
        |f| f.write_all(bytes),
    )?;
    Ok(())
}

impl Station {
    /// Checks a folder the person asked files to be written into: never the station's data
    /// directory or inside it.
    pub(crate) fn output_dir(&self, dir: &Path) -> Result<(), OpsError> {
        refuse_inside_station(self.home(), dir)
    }

    /// Checks a file the person asked for before anything is unlocked or written: it is refused
    /// inside the station's data directory (only the station writes there), and refused when it
    /// exists unless `replace`. Returns how the write must treat an existing file, so that a
    /// file appearing in between is not replaced either.
    pub(crate) fn output_file(&self, path: &Path, replace: bool) -> Result<Overwrite, OpsError> {
        let home = self
            .home()
            .canonicalize()
            .unwrap_or_else(|_| self.home().to_owned());
        let target = resolved(path)?;
        if target.starts_with(&home) {
            return Err(OpsError::InsideStation {
                path: path.to_owned(),
                home,
            });
        }
        if target.symlink_metadata().is_ok() {
            if target.is_dir() {
                return Err(OpsError::IsDirectory(path.to_owned()));
            }
            if !replace {
                return Err(OpsError::OutputExists(path.to_owned()));
            }
        }
        Ok(if replace {
            Overwrite::Allow
        } else {
            Overwrite::Refuse
        })
    }
}
