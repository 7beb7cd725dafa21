//! Local IO primitives shared by the station database, release bundles and the vulnerability
//! database: atomic and staged file writes (nothing half-written under a final name), the
//! leftovers of killed writers, file locks, and SQLite schema migrations. One of each, so that a
//! fix to how Strongroom writes a file lands everywhere.

pub mod fs;
pub mod migrate;

use std::path::PathBuf;

/// A file operation that failed, and on which path.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct IoError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl IoError {
    pub fn new(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IoError {
            path: path.into(),
            source,
        }
    }

    /// The write was refused because the file exists (and may not be replaced).
    pub fn is_exists(&self) -> bool {
        self.source.kind() == std::io::ErrorKind::AlreadyExists
    }
}
