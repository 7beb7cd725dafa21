//! The store's error type.

use std::path::PathBuf;

/// Errors from the station database and key files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{}", sqlite_message(.0))]
    Sqlite(#[from] rusqlite::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the database at {path} has schema version {found}, newer than this program understands ({supported}); use a newer strongroom")]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the database at {} was made by an older Strongroom (schema version {found}); this version keeps an authenticated access log that an older station cannot be given after the fact", path.display())]
    OldStation { path: PathBuf, found: u32 },
    #[error("a key labelled {0:?} already exists")]
    LabelTaken(String),
    #[error("this key is already in the inventory as {0:?}")]
    KeyIdTaken(String),
    #[error("no key {0:?} in the inventory")]
    KeyNotFound(String),
    #[error("the key {label:?} is {from}; it cannot become {to}")]
    KeyStatus {
        label: String,
        from: String,
        to: String,
    },
    #[error("wrong passphrase for the key file {}", path.display())]
    WrongPassphrase { path: PathBuf },
    #[error("the key file {} is unusable: {reason}", path.display())]
    KeyFile { path: PathBuf, reason: String },
    #[error("the inventory row for {label:?} is corrupt: {reason}")]
    CorruptRow { label: String, reason: String },
    #[error("the trust store already holds a key named {0:?}")]
    TrustNameTaken(String),
    #[error("the trust store already holds this key, as {0:?}")]
    TrustKeyTaken(String),
    #[error("an operator named {0:?} already exists")]
    OperatorExists(String),
    #[error("no operator {0:?}")]
    OperatorNotFound(String),
    #[error("the station already has operators; the first custodian is made only once")]
    StationClaimed,
    #[error("the change would leave the station without an enabled custodian")]
    LastCustodian,
    #[error("the audit log is empty: there is nothing to checkpoint")]
    EmptyLog,
    #[error("operator credential: {0}")]
    PassphraseHash(String),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

fn is_busy_code(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn sqlite_message(e: &rusqlite::Error) -> String {
    if is_busy_code(e) {
        "the station's database is busy: another Strongroom process is writing to it".to_owned()
    } else {
        format!("database error: {e}")
    }
}

impl StoreError {
    /// True when a write gave up waiting for another process's write (SQLite busy or locked).
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Sqlite(e) if is_busy_code(e))
    }
}

impl From<strongroom_io::IoError> for StoreError {
    fn from(e: strongroom_io::IoError) -> Self {
        StoreError::Io {
            path: e.path,
            source: e.source,
        }
    }
}
