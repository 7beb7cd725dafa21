//! Opening the station database: WAL, busy timeout, and embedded migrations applied in one
//! transaction under a schema version (`PRAGMA user_version`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use crate::StoreError;

/// Embedded migrations; migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: key inventory.
    "CREATE TABLE keys (
        id             INTEGER PRIMARY KEY,
        label          TEXT NOT NULL UNIQUE,
        key_id         TEXT NOT NULL UNIQUE,
        algorithm      TEXT NOT NULL,
        backend        TEXT NOT NULL CHECK (backend IN ('software', 'pkcs11')),
        public_key_pem TEXT NOT NULL,
        location       TEXT NOT NULL,
        attributes     TEXT NOT NULL DEFAULT '{}',
        created        TEXT NOT NULL,
        status         TEXT NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'retired', 'revoked'))
    );",
    // 2: station settings (PKCS#11 module allowlist, thresholds), one JSON value per key.
    "CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
    // 3: the append-only, hash-chained audit log (see audit.rs).
    "CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY,
        time      TEXT NOT NULL,
        operator  TEXT NOT NULL,
        action    TEXT NOT NULL,
        object    TEXT NOT NULL,
        outcome   TEXT NOT NULL,
        details   TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // 4: operator accounts (see operators.rs): roles as a JSON array, an argon2id PHC string.
    "CREATE TABLE operators (
        name            TEXT PRIMARY KEY,
        roles           TEXT NOT NULL DEFAULT '[]',
        passphrase_hash TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        created_by      TEXT NOT NULL,
        disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
    );",
    // 5: signed checkpoints of the audit chain head (append-only too), and the station's id.
    "CREATE TABLE audit_checkpoints (
        id             INTEGER PRIMARY KEY,
        rows           INTEGER NOT NULL,
        head           TEXT NOT NULL,
        time           TEXT NOT NULL,
        key_id         TEXT NOT NULL,
        public_key_pem TEXT NOT NULL,
        bundle         TEXT NOT NULL
    );
    CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
    CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
    INSERT OR IGNORE INTO settings (key, value)
        VALUES ('station.id', json_quote(lower(hex(randomblob(16)))));",
    // 6: trust store (see trust.rs): trusted keys, revocations (several per key allowed; the
    // earliest counts), and the trust policy's Rego modules and data.
    "CREATE TABLE trust_keys (
        key_id         TEXT PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        public_key_pem TEXT NOT NULL,
        roles          TEXT NOT NULL,
        stages         TEXT NOT NULL DEFAULT '[]',
        not_before     TEXT,
        not_after      TEXT,
        added_at       TEXT NOT NULL,
        added_by       TEXT NOT NULL
    );
    CREATE TABLE trust_revocations (
        id         INTEGER PRIMARY KEY,
        key_id     TEXT NOT NULL,
        revoked_at TEXT NOT NULL,
        reason     TEXT NOT NULL
    );
    CREATE TABLE trust_policy_modules (
        name TEXT PRIMARY KEY,
        rego TEXT NOT NULL
    );
    CREATE TABLE trust_policy_data (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        data TEXT NOT NULL
    );",
    // 7: the authenticated access log (see state.rs). Operators hold a credential (salt,
    // Argon2id parameters and the public key derived from the passphrase) instead of a PHC
    // hash; keys and trusted keys carry one purpose, trusted keys a holder; checkpoints chain
    // to each other; access rows are found by their `prev_access` link. Stations made before
    // this version are refused (`Store::open`), so the tables are rebuilt empty here.
    "DROP TABLE operators;
    CREATE TABLE operators (
        name       TEXT PRIMARY KEY,
        roles      TEXT NOT NULL DEFAULT '[]',
        credential TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        disabled   INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
    );
    ALTER TABLE keys ADD COLUMN purpose TEXT NOT NULL DEFAULT 'signer'
        CHECK (purpose IN ('signer', 'approver', 'custodian', 'audit'));
    DROP TABLE trust_keys;
    CREATE TABLE trust_keys (
        key_id         TEXT PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        public_key_pem TEXT NOT NULL,
        purpose        TEXT NOT NULL,
        holder         TEXT NOT NULL,
        stages         TEXT NOT NULL DEFAULT '[]',
        not_before     TEXT,
        not_after      TEXT,
        added_at       TEXT NOT NULL,
        added_by       TEXT NOT NULL
    );
    DROP TRIGGER audit_checkpoints_no_update;
    DROP TRIGGER audit_checkpoints_no_delete;
    DROP TABLE audit_checkpoints;
    CREATE TABLE audit_checkpoints (
        id             INTEGER PRIMARY KEY,
        rows           INTEGER NOT NULL,
        head           TEXT NOT NULL,
        time           TEXT NOT NULL,
        prev           TEXT NOT NULL,
        key_id         TEXT NOT NULL,
        public_key_pem TEXT NOT NULL,
        bundle         TEXT NOT NULL
    );
    CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
    CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
    ALTER TABLE audit_log ADD COLUMN access_prev TEXT
        GENERATED ALWAYS AS (json_extract(details, '$.prev_access')) VIRTUAL;
    CREATE INDEX audit_log_access ON audit_log (access_prev) WHERE access_prev IS NOT NULL;
    CREATE INDEX audit_log_login ON audit_log (action, operator, time);",
    // 8: Sigstore trusted roots, trusted by name for keyless verification (see trust.rs).
    "CREATE TABLE trust_sigstore_roots (
        name     TEXT PRIMARY KEY,
        sha256   TEXT NOT NULL,
        json     TEXT NOT NULL,
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL
    );",
];

/// The first schema version this build opens: older stations lack the authenticated access
/// log, and cannot be given one after the fact (their acts were never signed).
pub const FIRST_SUPPORTED_VERSION: u32 = 7;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Creates a station database at `path` with only the first `version` migrations applied, as an
/// older build would have left it: for upgrade and durability tests.
pub fn create_db_at_version(path: &Path, version: u32) -> Result<(), StoreError> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let n = (version as usize).min(MIGRATIONS.len());
    crate::migrate::apply(&mut conn, &MIGRATIONS[..n]).map_err(|e| match e {
        crate::migrate::MigrateError::Sqlite(e) => StoreError::Sqlite(e),
        crate::migrate::MigrateError::Newer { found, supported } => StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported,
        },
    })
}

/// The station's data directory: `strongroom.db` and `keys/`.
pub struct Store {
    pub(crate) conn: Connection,
    home: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.home.display())
    }
}

impl Store {
    /// Whether `home` holds a station (without creating one).
    pub fn exists(home: &Path) -> bool {
        home.join("strongroom.db").exists()
    }

    /// Opens (creating if needed) the store under `home`, migrating it to [`SCHEMA_VERSION`].
    pub fn open(home: &Path) -> Result<Self, StoreError> {
        create_private_dir(home)?;
        create_private_dir(&home.join("keys"))?;
        let path = home.join("strongroom.db");
        let mut conn = Connection::open(&path)?;
        // Readable by its owner alone, as its directory is (SQLite gives the WAL and shared-
        // memory files the database's mode, so this comes first).
        private_file(&path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if (1..FIRST_SUPPORTED_VERSION).contains(&found) {
            return Err(StoreError::OldStation {
                path: path.clone(),
                found,
            });
        }
        migrate(&mut conn, &path)?;
        Ok(Store {
            conn,
            home: home.to_owned(),
        })
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// How long a write waits for another process's write to end before it fails with
    /// [`StoreError::is_busy`]. Ten seconds from [`Store::open`]; the app waits less, so that
    /// a person hears at once that another process is writing.
    pub fn set_busy_timeout(&self, wait: Duration) -> Result<(), StoreError> {
        self.conn.busy_timeout(wait)?;
        Ok(())
    }

    /// Directory of the age-encrypted software key files.
    pub fn key_dir(&self) -> PathBuf {
        self.home.join("keys")
    }
}

/// Mode 0600 for `path` and, when they exist, its `-wal` and `-shm` files.
fn private_file(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = Path::new(&p);
        match std::fs::metadata(p) {
            Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| StoreError::io(p, e))?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| StoreError::io(dir, e))
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    crate::migrate::apply(conn, MIGRATIONS).map_err(|e| match e {
        crate::migrate::MigrateError::Newer { found, supported } => StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported,
        },
        crate::migrate::MigrateError::Sqlite(e) => e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_station_made_before_the_access_log() {
        let dir = tempfile::tempdir().unwrap();
        create_db_at_version(&dir.path().join("strongroom.db"), 6).unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, StoreError::OldStation { found: 6, .. }),
            "{err}"
        );
        // Refused without a change: still at version 6.
        let conn = Connection::open(dir.path().join("strongroom.db")).unwrap();
        let v: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 6);
    }

    #[test]
    fn migrates_once_and_refuses_newer() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let s = Store::open(dir.path()).unwrap();
        let v: u32 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        s.conn
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(s);
        let err = Store::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1),
            "{err}"
        );
    }

    #[test]
    fn the_database_is_readable_by_its_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("station");
        drop(Store::open(&home).unwrap());
        let db = home.join("strongroom.db");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _store = Store::open(&home).unwrap();
        for name in ["strongroom.db", "strongroom.db-wal", "strongroom.db-shm"] {
            let p = home.join(name);
            if p.exists() {
                let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{name}");
            }
        }
    }
}
