//! Strongroom's persistence: the SQLite station database (embedded migrations, key inventory) and
//! the age-encrypted files that hold software keys.
//!
//! Architecture invariants: every write is all-or-nothing. Database changes run in one
//! transaction; files are written to a temporary name in the target directory, synced, then
//! renamed. The access state (operators, keys, trust, settings) changes only through an act
//! recorded in the audit log in the same transaction ([`state`]).

pub mod audit;
mod db;
mod error;
/// Atomic writes, leftovers and locks: `strongroom-io`, re-exported where the store's users find it.
pub use strongroom_io::fs as fsutil;
pub mod keyfile;
mod keys;
pub use strongroom_io::migrate;
pub use strongroom_io::IoError;
pub mod operators;
pub mod settings;
pub mod state;
pub mod trust;

pub use db::{create_db_at_version, Store, SCHEMA_VERSION};
pub use error::StoreError;
pub use keys::{now_rfc3339, Backend, KeyRecord, KeyRow, KeyStatus, NewKey};
