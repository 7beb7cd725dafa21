//! Typed errors of the crate: [`VersionError`] for version strings, [`VulnError`] for the
//! database, imports and scans. Messages say what to do next where there is something to do.

use std::fmt;
use std::path::PathBuf;

/// A version string that its ordering refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    #[error("empty version string")]
    Empty,
    #[error("version string of {len} bytes is longer than the {max} accepted", max = crate::version::MAX_VERSION_LEN)]
    TooLong { len: usize },
    #[error("{version:?} is not a valid {ordering} version: {reason}")]
    Invalid {
        ordering: &'static str,
        version: String,
        reason: &'static str,
    },
}

impl VersionError {
    pub(crate) fn invalid(ordering: &'static str, version: &str, reason: &'static str) -> Self {
        VersionError::Invalid {
            ordering,
            version: truncate(version, 80),
            reason,
        }
    }
}

/// Shortens untrusted text for an error message or warning (at a character boundary).
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Which bound of [`crate::Limits`] an import crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitKind {
    /// More members than `max_entries`.
    Entries,
    /// A central directory larger than `max_central_directory_bytes`.
    CentralDirectory,
    /// A member larger (declared or actually read) than `max_entry_bytes`.
    EntryBytes,
    /// More bytes decompressed in total than `max_total_bytes`.
    TotalBytes,
    /// A member whose uncompressed/compressed ratio exceeds `max_ratio`.
    Ratio,
    /// More unusable members than `max_bad_records`.
    BadRecords,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Entries => "number of zip entries",
            LimitKind::CentralDirectory => "zip central directory size",
            LimitKind::EntryBytes => "uncompressed size of one entry",
            LimitKind::TotalBytes => "total uncompressed size",
            LimitKind::Ratio => "compression ratio",
            LimitKind::BadRecords => "number of unusable records",
        })
    }
}

/// Errors of the vulnerability database, imports and scans.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VulnError {
    #[error("vulnerability database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "vulnerability database {path} has schema version {found}, newer than the {supported} \
         this build understands; upgrade Strongroom, or import the OSV files into a new database file"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error(
        "{file} is not a readable zip archive ({reason}); nothing was imported. \
         Download the ecosystem's all.zip again"
    )]
    NotAZip { file: PathBuf, reason: String },

    #[error(
        "{file}: entry {entry:?} is refused ({reason}); nothing was imported. \
         An OSV export as published never holds such an entry: get the file from a trusted copy"
    )]
    UnsafeEntry {
        file: PathBuf,
        entry: String,
        reason: String,
    },

    #[error(
        "{file}: entry {entry:?} is damaged ({reason}); nothing was imported. \
         Download the file again and check its sha256"
    )]
    CorruptEntry {
        file: PathBuf,
        entry: String,
        reason: String,
    },

    #[error(
        "{file}{}: {kind} is {actual}, over the limit of {limit}; nothing was imported. \
         This is not an OSV export as published (a zip bomb?); get the file from a trusted copy",
        entry.as_deref().map(|e| format!(" (entry {e:?})")).unwrap_or_default()
    )]
    LimitExceeded {
        file: PathBuf,
        entry: Option<String>,
        kind: LimitKind,
        limit: u64,
        actual: u64,
    },

    #[error("timestamp out of range: {0}")]
    Timestamp(String),
}

impl VulnError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        VulnError::Io {
            path: path.into(),
            source,
        }
    }
}
