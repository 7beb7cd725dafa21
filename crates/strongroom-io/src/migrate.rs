//! Embedded SQLite migrations under `PRAGMA user_version`, applied in one immediate transaction:
//! shared by the station database and the vulnerability database. An older build refuses a
//! database written by a newer one.

use rusqlite::{Connection, TransactionBehavior};

/// Why migrating failed.
/// Closed on purpose: callers map each case to their own error.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("schema version {found} is newer than this build understands ({supported})")]
    Newer { found: u32, supported: u32 },
}

/// Brings the database to version `migrations.len()`: migration `i` takes it from `i` to `i + 1`.
/// All-or-nothing: a failure leaves the database at the version it had.
pub fn apply(conn: &mut Connection, migrations: &[&str]) -> Result<(), MigrateError> {
    let supported = migrations.len() as u32;
    // Up to date: nothing to write, so no write lock to wait for while another process writes.
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current == supported {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > supported {
        return Err(MigrateError::Newer { found, supported });
    }
    for sql in &migrations[found as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", supported)?;
    tx.commit()?;
    Ok(())
}
