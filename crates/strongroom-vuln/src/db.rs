//! The vulnerability database file: its own SQLite database (a replaceable dataset, kept apart
//! from the station database), opened with WAL and a busy timeout, migrated by embedded
//! migrations in one transaction under `PRAGMA user_version`, and its [`Status`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use rusqlite::{Connection, OptionalExtension};
use time::{Duration, OffsetDateTime};

use crate::error::VulnError;

/// Embedded migrations; migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: imported files, records (raw JSON kept apart), and the (ecosystem, name) index.
    "CREATE TABLE imports (
        id              INTEGER PRIMARY KEY,
        file            TEXT NOT NULL,
        sha256          TEXT NOT NULL UNIQUE,
        ecosystems      TEXT NOT NULL,
        records_total   INTEGER NOT NULL,
        newest_modified TEXT,
        imported_at     TEXT NOT NULL
    );
    CREATE TABLE records (
        id          TEXT PRIMARY KEY,
        modified    TEXT NOT NULL,
        modified_us INTEGER NOT NULL,
        summary     TEXT,
        aliases     TEXT NOT NULL
    );
    -- The documents as imported, apart so that scans read narrow rows.
    CREATE TABLE record_json (
        id  TEXT PRIMARY KEY,
        raw TEXT NOT NULL
    );
    -- One row per affected[] entry; `spec` is the checked matching data (versions, ranges).
    -- Scans find rows through (base_ecosystem, norm_name), then by integer rowid.
    CREATE TABLE affected (
        id             INTEGER PRIMARY KEY,
        record_id      TEXT NOT NULL,
        idx            INTEGER NOT NULL,
        ecosystem      TEXT NOT NULL,
        base_ecosystem TEXT NOT NULL,
        name           TEXT NOT NULL,
        norm_name      TEXT NOT NULL,
        purl           TEXT,
        spec           TEXT NOT NULL,
        severity       TEXT,
        UNIQUE (record_id, idx)
    );
    CREATE INDEX affected_by_package ON affected (base_ecosystem, norm_name);",
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// An OSV vulnerability database file.
pub struct VulnDb {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for VulnDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VulnDb({})", self.path.display())
    }
}

/// One imported OSV file, as [`VulnDb::status`] lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportInfo {
    pub file: String,
    pub sha256: String,
    /// Base ecosystems of the file's records (`["crates.io"]`).
    pub ecosystems: Vec<String>,
    pub records_total: u64,
    pub newest_modified: Option<OffsetDateTime>,
    pub imported_at: OffsetDateTime,
}

/// What the database holds and how old it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    /// Records per ecosystem as written in the records (`Debian:12` apart from `Debian`).
    pub ecosystems: BTreeMap<String, u64>,
    /// Records stored.
    pub records: u64,
    /// Imported files, newest import first.
    pub imports: Vec<ImportInfo>,
    /// The newest `modified` date of any imported file: the snapshot's date.
    pub newest_modified: Option<OffsetDateTime>,
    /// `now - newest_modified`: how old the snapshot is (`None` when nothing is imported).
    pub snapshot_age: Option<Duration>,
}

impl Status {
    /// True when there is no data, or its newest record is older than `max_age`.
    pub fn is_stale(&self, max_age: Duration) -> bool {
        self.snapshot_age.is_none_or(|age| age > max_age)
    }
}

pub(crate) fn format_time(t: OffsetDateTime) -> Result<String, VulnError> {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| VulnError::Timestamp(e.to_string()))
}

impl VulnDb {
    /// Opens (creating if needed) the database file at `path` and migrates it to
    /// [`SCHEMA_VERSION`]; refuses a database written by a newer build.
    pub fn open(path: &Path) -> Result<VulnDb, VulnError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| VulnError::io(parent, e))?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(StdDuration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // 32 MiB of page cache: a scan touches a few pages per package.
        conn.pragma_update(None, "cache_size", -32_768)?;
        migrate(&mut conn, path)?;
        Ok(VulnDb {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of records stored.
    pub fn record_count(&self) -> Result<u64, VulnError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM records", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// The stored OSV document of `id`, as imported.
    pub fn record_json(&self, id: &str) -> Result<Option<serde_json::Value>, VulnError> {
        let raw: Option<String> = self
            .conn
            .query_row("SELECT raw FROM record_json WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// Ecosystems, imports and the snapshot's age.
    pub fn status(&self) -> Result<Status, VulnError> {
        let mut ecosystems = BTreeMap::new();
        let mut stmt = self.conn.prepare(
            "SELECT ecosystem, COUNT(DISTINCT record_id) FROM affected GROUP BY ecosystem",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (e, n) = row?;
            ecosystems.insert(e, n as u64);
        }
        let mut imports = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT file, sha256, ecosystems, records_total, newest_modified, imported_at
             FROM imports ORDER BY imported_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        for row in rows {
            let (file, sha256, ecos, total, newest, at) = row?;
            imports.push(ImportInfo {
                file,
                sha256,
                ecosystems: serde_json::from_str(&ecos).unwrap_or_default(),
                records_total: total as u64,
                newest_modified: newest.as_deref().and_then(crate::osv::parse_time),
                imported_at: crate::osv::parse_time(&at).unwrap_or(OffsetDateTime::UNIX_EPOCH),
            });
        }
        let newest_modified = imports.iter().filter_map(|i| i.newest_modified).max();
        let snapshot_age = newest_modified.map(|n| OffsetDateTime::now_utc() - n);
        Ok(Status {
            ecosystems,
            records: self.record_count()?,
            imports,
            newest_modified,
            snapshot_age,
        })
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), VulnError> {
    strongroom_io::migrate::apply(conn, MIGRATIONS).map_err(|e| match e {
        strongroom_io::migrate::MigrateError::Newer { found, supported } => {
            VulnError::NewerSchema {
                path: path.to_owned(),
                found,
                supported,
            }
        }
        strongroom_io::migrate::MigrateError::Sqlite(e) => e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vuln.db");
        drop(VulnDb::open(&path).unwrap());
        let db = VulnDb::open(&path).unwrap();
        let v: u32 = db
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let mode: String = db
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        db.conn
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(db);
        let err = VulnDb::open(&path).unwrap_err();
        assert!(
            matches!(err, VulnError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1),
            "{err}"
        );
        let s = VulnDb::open(&dir.path().join("fresh.db"))
            .unwrap()
            .status()
            .unwrap();
        assert!(s.is_stale(Duration::days(365)));
        assert_eq!(s.records, 0);
    }
}
