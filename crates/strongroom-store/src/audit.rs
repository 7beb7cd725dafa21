//! The audit log: append-only rows (SQLite triggers refuse UPDATE and DELETE), each holding the
//! hash of the previous row together with its own content, so that an edit, deletion or
//! insertion made behind the log's back (with the triggers dropped) breaks the chain; and the
//! signed checkpoints of the chain head, which catch even a history rewritten consistently.
//!
//! The hashing is `strongroom_core::audit_chain` (one implementation for the station and for
//! verifiers of excerpts): `content_hash` = SHA-256 of `object_hash || body_hash`, `hash` =
//! SHA-256 of `prev_hash || content_hash`; the first row's `prev_hash` is 64 zeros. Checkpoints
//! chain to each other through `prev`, the hash of the previous checkpoint's payload.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use strongroom_core::audit_chain::{Checkpoint, RowContent};
use strongroom_core::PublicKey;

pub use strongroom_core::audit_chain::GENESIS;

use crate::{now_rfc3339, Store, StoreError};

/// The action of the row that records a checkpoint.
pub const CHECKPOINT_ACTION: &str = strongroom_core::AuditEvent::AuditCheckpoint.as_str();

/// A security-relevant act about to be recorded.
#[derive(Clone, Debug)]
pub struct NewAuditRow<'a> {
    pub operator: &'a str,
    /// `key.generate`, `sign`, `login.failed`, …
    pub action: &'a str,
    /// What it was about: a key id, an artifact or bundle digest.
    pub object: &'a str,
    /// `ok`, `denied`, `failed`.
    pub outcome: &'a str,
    pub details: serde_json::Value,
}

/// A recorded row.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditRow {
    pub seq: i64,
    pub time: String,
    pub operator: String,
    pub action: String,
    pub object: String,
    pub outcome: String,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// Which rows [`Store::audit_rows`] returns; every field left `None` selects all.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditFilter<'a> {
    /// Only this action (`sign`, `key.generate`, …).
    pub action: Option<&'a str>,
    /// Only this operator.
    pub operator: Option<&'a str>,
    /// Only this outcome (`ok`, `failed`, `denied`).
    pub outcome: Option<&'a str>,
    /// Only rows at or after this RFC 3339 time.
    pub since: Option<&'a str>,
    /// Only rows at or before this RFC 3339 time.
    pub until: Option<&'a str>,
    /// Only the latest this many matching rows.
    pub limit: Option<u32>,
}

/// A row as stored, for building excerpts: its hashed content and its links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRow {
    pub content: RowContent,
    pub prev_hash: String,
    pub hash: String,
}

/// A signed checkpoint of the chain head, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CheckpointRecord {
    pub id: i64,
    /// The chain had this many rows (the head is row number `rows`).
    pub rows: u64,
    pub head: String,
    pub time: String,
    /// SHA-256 of the previous checkpoint's payload (64 zeros for the first).
    pub prev: String,
    /// The Sigstore key id of the key that signed it.
    pub key_id: String,
    #[serde(skip)]
    pub public_key_pem: String,
    /// The Sigstore bundle (DSSE) JSON.
    #[serde(skip)]
    pub bundle: String,
}

/// What `verify_audit_chain` found first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ChainProblem {
    /// The row's content no longer gives its stored hash: it was edited.
    Edited { seq: i64 },
    /// Rows are missing before this one: deleted.
    Missing { expected_seq: i64, found_seq: i64 },
    /// The row does not link to the previous one: inserted, or the previous row was replaced.
    BrokenLink { seq: i64 },
    /// A row's details are not JSON.
    Unreadable { seq: i64, reason: String },
    /// A signed checkpoint no longer matches the chain (or is itself damaged): the history was
    /// rewritten, even if consistently.
    Checkpoint { id: i64, rows: u64, reason: String },
    /// A checkpoint key was required but no checkpoint is signed by it.
    NoCheckpoint { key_id: String },
    /// The log does not extend a checkpoint it was shown earlier (`audit verify --since`): rows
    /// were deleted or rewritten after that checkpoint was witnessed.
    NotExtended {
        rows: u64,
        head: String,
        reason: String,
    },
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainProblem::Edited { seq } => write!(
                f,
                "row {seq} was edited: its content no longer matches its hash"
            ),
            ChainProblem::Missing {
                expected_seq,
                found_seq,
            } => write!(
                f,
                "rows {expected_seq} to {} were deleted: the log jumps to row {found_seq}",
                found_seq - 1
            ),
            ChainProblem::BrokenLink { seq } => write!(
                f,
                "row {seq} does not link to the row before it: a row was inserted or replaced"
            ),
            ChainProblem::Unreadable { seq, reason } => {
                write!(f, "row {seq} is unreadable: {reason}")
            }
            ChainProblem::Checkpoint { id, rows, reason } => {
                write!(f, "checkpoint {id} (of row {rows}) fails: {reason}")
            }
            ChainProblem::NoCheckpoint { key_id } => {
                write!(f, "no checkpoint is signed by the expected key {key_id}")
            }
            ChainProblem::NotExtended { rows, head, reason } => write!(
                f,
                "the log no longer extends the witnessed checkpoint of row {rows} (head {}): {reason}",
                head.get(..12).unwrap_or(head)
            ),
        }
    }
}

/// The result of walking the whole chain and its checkpoints.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ChainReport {
    pub rows: u64,
    /// The last row's hash (the chain head), when there are rows.
    pub head: Option<String>,
    /// Checkpoints whose signature and head were checked.
    pub checkpoints: u64,
    /// The newest checkpoint.
    pub last_checkpoint: Option<CheckpointRecord>,
    /// Rows after the newest checkpoint and the row that records it: no signature covers them
    /// yet, so someone who can write the database could remove them without notice (make a
    /// checkpoint to cover them).
    pub uncovered: u64,
    /// The first problem found, if any.
    pub problem: Option<ChainProblem>,
}

pub(crate) const ROW_COLUMNS: &str =
    "seq, time, operator, action, object, outcome, details, prev_hash, hash";

pub(crate) fn stored_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok(StoredRow {
        content: RowContent {
            seq: r.get(0)?,
            time: r.get(1)?,
            operator: r.get(2)?,
            action: r.get(3)?,
            object: r.get(4)?,
            outcome: r.get(5)?,
            details: r.get(6)?,
        },
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
    })
}

fn checkpoint_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<CheckpointRecord> {
    Ok(CheckpointRecord {
        id: r.get(0)?,
        rows: r.get::<_, i64>(1)? as u64,
        head: r.get(2)?,
        time: r.get(3)?,
        prev: r.get(4)?,
        key_id: r.get(5)?,
        public_key_pem: r.get(6)?,
        bundle: r.get(7)?,
    })
}

const CHECKPOINT_COLUMNS: &str = "id, rows, head, time, prev, key_id, public_key_pem, bundle";

/// Appends one row inside `tx`, chained to the current head.
pub(crate) fn append_in(
    tx: &Transaction<'_>,
    row: &NewAuditRow<'_>,
) -> Result<AuditRow, StoreError> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_owned()),
    };
    let content = RowContent {
        seq,
        time: now_rfc3339(),
        operator: row.operator.to_owned(),
        action: row.action.to_owned(),
        object: row.object.to_owned(),
        outcome: row.outcome.to_owned(),
        details: row.details.to_string(),
    };
    let hash = content.chain_hash(&prev_hash);
    tx.execute(
        "INSERT INTO audit_log (seq, time, operator, action, object, outcome, details, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            seq,
            content.time,
            content.operator,
            content.action,
            content.object,
            content.outcome,
            content.details,
            prev_hash,
            hash
        ],
    )?;
    Ok(AuditRow {
        seq,
        time: content.time,
        operator: content.operator,
        action: content.action,
        object: content.object,
        outcome: content.outcome,
        details: row.details.clone(),
        prev_hash,
        hash,
    })
}

impl Store {
    /// Starts an immediate transaction: it takes the write lock before anything is read, so
    /// concurrent writers (the app and a CLI) queue behind the busy timeout instead of forking
    /// the chain.
    pub(crate) fn write_tx(&self) -> Result<Transaction<'_>, StoreError> {
        Ok(Transaction::new_unchecked(
            &self.conn,
            TransactionBehavior::Immediate,
        )?)
    }

    /// Appends one row in its own immediate transaction, chained to the current head.
    pub fn append_audit(&self, row: &NewAuditRow<'_>) -> Result<AuditRow, StoreError> {
        let tx = self.write_tx()?;
        let done = append_in(&tx, row)?;
        tx.commit()?;
        Ok(done)
    }

    /// Appends many rows in one transaction (all or none): for bulk tools and benchmarks.
    pub fn append_audit_batch(&self, rows: &[NewAuditRow<'_>]) -> Result<u64, StoreError> {
        let tx = self.write_tx()?;
        for row in rows {
            append_in(&tx, row)?;
        }
        tx.commit()?;
        Ok(rows.len() as u64)
    }

    /// The chain head: the last row's number and hash.
    /// The time of the newest audit row, as written (RFC 3339), if any.
    pub fn latest_audit_time(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT time FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn audit_head(&self) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .optional()?)
    }

    /// Signs and records a checkpoint of the chain head, and the row saying so, in one
    /// immediate transaction: `sign` receives the checkpoint (its `prev` the hash of the newest
    /// checkpoint, read under the write lock, so two stations' processes cannot fork the
    /// checkpoint chain) and returns the Sigstore bundle JSON and the key that signed it.
    pub fn record_checkpoint<E: From<StoreError>>(
        &self,
        station: &str,
        time: &str,
        operator: &str,
        sign: impl FnOnce(&Checkpoint) -> Result<(String, PublicKey), E>,
    ) -> Result<(CheckpointRecord, AuditRow), E> {
        let tx = self.write_tx()?;
        let (rows, head) = tx
            .query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(StoreError::from)?
            .ok_or(StoreError::EmptyLog)?;
        let prev = match tx
            .query_row(
                &format!(
                    "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY id DESC LIMIT 1"
                ),
                [],
                checkpoint_record,
            )
            .optional()
            .map_err(StoreError::from)?
        {
            Some(last) => last.payload_hash()?,
            None => GENESIS.to_owned(),
        };
        let checkpoint = Checkpoint {
            station: station.to_owned(),
            rows,
            head,
            time: time.to_owned(),
            prev,
        };
        let (bundle_json, key) = sign(&checkpoint)?;
        let key_id = key.key_id().to_string();
        tx.execute(
            "INSERT INTO audit_checkpoints (rows, head, time, prev, key_id, public_key_pem, bundle)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                checkpoint.rows as i64,
                checkpoint.head,
                checkpoint.time,
                checkpoint.prev,
                key_id,
                key.to_pem(),
                bundle_json
            ],
        )
        .map_err(StoreError::from)?;
        let id = tx.last_insert_rowid();
        let row = append_in(
            &tx,
            &NewAuditRow {
                operator,
                action: CHECKPOINT_ACTION,
                object: &checkpoint.head,
                outcome: "ok",
                details: serde_json::json!({"checkpoint": id, "rows": checkpoint.rows, "head": checkpoint.head, "key_id": key_id}),
            },
        )?;
        tx.commit().map_err(StoreError::from)?;
        let rec = CheckpointRecord {
            id,
            rows: checkpoint.rows,
            head: checkpoint.head.clone(),
            time: checkpoint.time.clone(),
            prev: checkpoint.prev.clone(),
            key_id,
            public_key_pem: key.to_pem(),
            bundle: bundle_json,
        };
        Ok((rec, row))
    }

    /// Every checkpoint, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<CheckpointRecord>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY id"
        ))?;
        let rows = stmt.query_map([], checkpoint_record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest checkpoint (the last of the chain).
    pub fn latest_checkpoint(&self) -> Result<Option<CheckpointRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY id DESC LIMIT 1"
                ),
                [],
                checkpoint_record,
            )
            .optional()?)
    }

    /// Rows `from..=to` as stored, in order.
    pub fn audit_chain_rows(&self, from: i64, to: i64) -> Result<Vec<StoredRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM audit_log WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq"
        ))?;
        let rows = stmt.query_map(params![from, to], stored_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Walks every row in order and reports the first edited, deleted or inserted row, then
    /// checks every checkpoint (see [`Store::verify_audit_chain_with`]).
    pub fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        self.verify_audit_chain_with(None)
    }

    /// Like [`Store::verify_audit_chain`]; with `checkpoint_key`, every checkpoint must also be
    /// signed by that key (known from outside the database), and there must be one.
    ///
    /// Each checkpoint's signature must verify with its recorded public key, its payload must
    /// name this station and the recorded row count and head, and row `rows` must still have
    /// that hash. Every `audit.checkpoint` row must have its checkpoint, and the reverse.
    pub fn verify_audit_chain_with(
        &self,
        checkpoint_key: Option<&PublicKey>,
    ) -> Result<ChainReport, StoreError> {
        let checkpoints = self.checkpoints()?;
        let wanted: std::collections::HashSet<u64> = checkpoints.iter().map(|c| c.rows).collect();
        let mut hash_at: HashMap<u64, String> = HashMap::new();
        // (rows, head) → seq of the `audit.checkpoint` rows.
        let mut recorded: BTreeMap<(u64, String), i64> = BTreeMap::new();

        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {ROW_COLUMNS} FROM audit_log ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        let mut expected_seq = 1i64;
        let mut prev = GENESIS.to_owned();
        let mut count = 0u64;
        let mut problem = None;
        while let Some(r) = rows.next()? {
            let StoredRow {
                content,
                prev_hash,
                hash,
            } = stored_row(r)?;
            let seq = content.seq;
            count += 1;
            if problem.is_none() {
                if seq != expected_seq {
                    problem = Some(ChainProblem::Missing {
                        expected_seq,
                        found_seq: seq,
                    });
                } else if content.chain_hash(&prev_hash) != hash {
                    problem = Some(ChainProblem::Edited { seq });
                } else if prev_hash != prev {
                    problem = Some(ChainProblem::BrokenLink { seq });
                } else if let Err(e) =
                    serde_json::from_str::<serde::de::IgnoredAny>(&content.details)
                {
                    problem = Some(ChainProblem::Unreadable {
                        seq,
                        reason: e.to_string(),
                    });
                } else if content.action == CHECKPOINT_ACTION && content.outcome == "ok" {
                    let d: serde_json::Value =
                        serde_json::from_str(&content.details).unwrap_or_default();
                    if let (Some(n), Some(h)) = (d["rows"].as_u64(), d["head"].as_str()) {
                        recorded.insert((n, h.to_owned()), seq);
                    }
                }
            }
            if seq > 0 && wanted.contains(&(seq as u64)) {
                hash_at.insert(seq as u64, hash.clone());
            }
            expected_seq = seq + 1;
            prev = hash;
        }
        drop(rows);
        drop(stmt);

        let station = self.station_id()?;
        if problem.is_none() {
            let mut prev: Option<&CheckpointRecord> = None;
            for c in &checkpoints {
                let checked = check_checkpoint(c, &station, &hash_at, count, checkpoint_key)
                    .and_then(|()| check_link(c, prev));
                if let Err(reason) = checked {
                    problem = Some(ChainProblem::Checkpoint {
                        id: c.id,
                        rows: c.rows,
                        reason,
                    });
                    break;
                }
                prev = Some(c);
            }
        }
        if problem.is_none() {
            // A checkpoint row without its checkpoint: the checkpoint was deleted.
            for ((n, h), seq) in &recorded {
                if !checkpoints.iter().any(|c| c.rows == *n && &c.head == h) {
                    problem = Some(ChainProblem::Checkpoint {
                        id: 0,
                        rows: *n,
                        reason: format!(
                            "row {seq} records a checkpoint of row {n} that is no longer in the checkpoint table: it was deleted"
                        ),
                    });
                    break;
                }
            }
        }
        if problem.is_none() {
            // A checkpoint without its row: inserted behind the log's back.
            if let Some(c) = checkpoints
                .iter()
                .find(|c| !recorded.contains_key(&(c.rows, c.head.clone())))
            {
                problem = Some(ChainProblem::Checkpoint {
                    id: c.id,
                    rows: c.rows,
                    reason: "no audit row records this checkpoint: it was inserted behind the log's back".into(),
                });
            }
        }
        if problem.is_none() {
            if let (Some(k), true) = (checkpoint_key, checkpoints.is_empty()) {
                problem = Some(ChainProblem::NoCheckpoint {
                    key_id: k.key_id().to_string(),
                });
            }
        }
        let n = checkpoints.len() as u64;
        let last_checkpoint = checkpoints.into_iter().max_by_key(|c| c.id);
        Ok(ChainReport {
            rows: count,
            head: (count > 0).then_some(prev),
            checkpoints: n,
            // The row recording a checkpoint (always the next one, written in the same
            // transaction) is vouched for by the checkpoint it records.
            uncovered: count.saturating_sub(last_checkpoint.as_ref().map_or(0, |c| c.rows + 1)),
            last_checkpoint,
            problem,
        })
    }

    /// Whether the log still extends a checkpoint shown earlier (from a release bundle, a file
    /// or a printed `ROWS:HEAD`): row `rows` must still exist with hash `head`. Someone who
    /// deleted or rewrote rows after the checkpoint was witnessed cannot make that hold again
    /// without finding a SHA-256 collision.
    pub fn extends(&self, rows: u64, head: &str) -> Result<Result<(), ChainProblem>, StoreError> {
        let found: Option<String> = self
            .conn
            .query_row(
                "SELECT hash FROM audit_log WHERE seq = ?1",
                [rows as i64],
                |r| r.get(0),
            )
            .optional()?;
        let not = |reason: String| {
            Err(ChainProblem::NotExtended {
                rows,
                head: head.to_owned(),
                reason,
            })
        };
        Ok(match found {
            None => {
                let n = self.audit_head()?.map_or(0, |(n, _)| n);
                not(format!(
                    "the log has {n} rows and no row {rows}: rows were deleted"
                ))
            }
            Some(h) if h != head => not(format!(
                "row {rows} now has hash {}: the history up to it was rewritten",
                h.get(..12).unwrap_or(&h)
            )),
            Some(_) => Ok(()),
        })
    }

    /// The rows `filter` selects, oldest first.
    pub fn audit_rows(&self, filter: &AuditFilter<'_>) -> Result<Vec<AuditRow>, StoreError> {
        // The latest `limit` rows: the newest first, then reversed.
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS}
             FROM audit_log
             WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR time >= ?2)
               AND (?3 IS NULL OR time <= ?3) AND (?4 IS NULL OR operator = ?4)
               AND (?5 IS NULL OR outcome = ?5)
             ORDER BY seq DESC
             LIMIT ?6"
        ))?;
        let limit = filter.limit.map_or(-1, i64::from);
        let f = filter;
        let params = params![f.action, f.since, f.until, f.operator, f.outcome, limit];
        let rows = stmt.query_map(params, |r| {
            let s = stored_row(r)?;
            let c = s.content;
            Ok(AuditRow {
                seq: c.seq,
                time: c.time,
                operator: c.operator,
                action: c.action,
                object: c.object,
                outcome: c.outcome,
                details: serde_json::from_str(&c.details)
                    .unwrap_or(serde_json::Value::String(c.details)),
                prev_hash: s.prev_hash,
                hash: s.hash,
            })
        })?;
        let mut rows: Vec<AuditRow> = rows.collect::<Result<_, _>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// Every operator name that appears in the log, removed operators included.
    pub fn audit_operators(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT operator FROM audit_log ORDER BY operator")?;
        let names = stmt.query_map([], |r| r.get(0))?;
        Ok(names.collect::<Result<_, _>>()?)
    }
}

/// A checkpoint's link to the one before it: its payload names the previous payload's hash,
/// and it covers at least as many rows.
fn check_link(c: &CheckpointRecord, prev: Option<&CheckpointRecord>) -> Result<(), String> {
    let expected = match prev {
        Some(p) => {
            if c.rows < p.rows {
                return Err(format!(
                    "it covers {} rows, fewer than the checkpoint before it ({})",
                    c.rows, p.rows
                ));
            }
            p.payload_hash().map_err(|e| e.to_string())?
        }
        None => GENESIS.to_owned(),
    };
    if c.prev != expected {
        return Err(match prev {
            Some(p) => format!(
                "it does not chain to checkpoint {} before it: a checkpoint was removed or inserted",
                p.id
            ),
            None => "it names a previous checkpoint, but it is the first: earlier checkpoints were removed".into(),
        });
    }
    Ok(())
}

impl CheckpointRecord {
    /// SHA-256 of the payload its bundle signs: what the next checkpoint's `prev` names.
    pub fn payload_hash(&self) -> Result<String, StoreError> {
        let corrupt = |reason: String| StoreError::CorruptRow {
            label: format!("checkpoint {}", self.id),
            reason,
        };
        let b: strongroom_core::bundle::BundleJson =
            serde_json::from_str(&self.bundle).map_err(|e| corrupt(e.to_string()))?;
        let env = b
            .dsse_envelope
            .ok_or_else(|| corrupt("no DSSE envelope".into()))?;
        let env =
            strongroom_core::dsse::Envelope::from_json(&env).map_err(|e| corrupt(e.to_string()))?;
        Ok(strongroom_core::HashAlg::Sha256.hash(&env.payload).to_hex())
    }
}

/// One checkpoint against the walked chain; `Err` says what is wrong.
fn check_checkpoint(
    c: &CheckpointRecord,
    station: &str,
    hash_at: &HashMap<u64, String>,
    rows: u64,
    pinned: Option<&PublicKey>,
) -> Result<(), String> {
    let key = PublicKey::from_pem(&c.public_key_pem)
        .map_err(|e| format!("its recorded public key is unreadable: {e}"))?;
    if key.key_id().as_str() != c.key_id {
        return Err("its recorded public key is not the key id it names".into());
    }
    if let Some(p) = pinned {
        if p != &key {
            return Err(format!(
                "it is signed by key {}, not by the expected key {}",
                c.key_id,
                p.key_id()
            ));
        }
    }
    let signed = Checkpoint::open_json(&c.bundle, &key).map_err(|e| e.to_string())?;
    if signed.rows != c.rows
        || signed.head != c.head
        || signed.time != c.time
        || signed.prev != c.prev
    {
        return Err(
            "its signed payload differs from the recorded row count, head, time or link".into(),
        );
    }
    if signed.station != station {
        return Err(format!(
            "it was signed for station {}, not this station ({station})",
            signed.station
        ));
    }
    match hash_at.get(&c.rows) {
        None => Err(format!(
            "the log has {rows} rows and no row {}: rows were deleted",
            c.rows
        )),
        Some(h) if h != &c.head => Err(format!(
            "row {} now has hash {h}, but the checkpoint signed {}: the history up to row {} was rewritten",
            c.rows, c.head, c.rows
        )),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strongroom_core::{Algorithm, Signer, SoftwareKey};

    fn row<'a>(action: &'a str) -> NewAuditRow<'a> {
        NewAuditRow {
            operator: "op",
            action,
            object: "obj",
            outcome: "ok",
            details: serde_json::json!({"a": 1}),
        }
    }

    fn checkpoint(s: &Store, key: &SoftwareKey) -> CheckpointRecord {
        s.record_checkpoint::<StoreError>(&s.station_id().unwrap(), &now_rfc3339(), "op", |cp| {
            Ok((
                cp.sign(key).unwrap().to_pretty_json(),
                key.public_key().clone(),
            ))
        })
        .unwrap()
        .0
    }

    #[test]
    fn chain_and_checkpoints_verify() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.append_audit_batch(&[row("a"), row("b"), row("c")])
            .unwrap();
        let key = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let c = checkpoint(&s, &key);
        assert_eq!(c.rows, 3);
        s.append_audit(&row("d")).unwrap();
        let rep = s.verify_audit_chain_with(Some(key.public_key())).unwrap();
        assert_eq!(rep.problem, None);
        assert_eq!((rep.rows, rep.checkpoints, rep.uncovered), (5, 1, 1));
        // A second checkpoint chains to the first.
        let c2 = checkpoint(&s, &key);
        assert_eq!(c2.prev, c.payload_hash().unwrap());
        assert_eq!(c.prev, GENESIS);
        let rep = s.verify_audit_chain().unwrap();
        assert_eq!((rep.problem, rep.uncovered), (None, 0));
        // The log extends both; a made-up head is not extended.
        assert_eq!(s.extends(c.rows, &c.head).unwrap(), Ok(()));
        assert!(matches!(
            s.extends(c.rows, GENESIS).unwrap(),
            Err(ChainProblem::NotExtended { .. })
        ));
        assert!(s.extends(99, &c.head).unwrap().is_err());
        // Another key was expected.
        let other = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let rep = s.verify_audit_chain_with(Some(other.public_key())).unwrap();
        assert!(
            matches!(&rep.problem, Some(ChainProblem::Checkpoint { id, reason, .. }) if *id == c.id && reason.contains("not by the expected key")),
            "{:?}",
            rep.problem
        );
    }

    #[test]
    fn pinned_key_needs_a_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.append_audit(&row("a")).unwrap();
        let key = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let rep = s.verify_audit_chain_with(Some(key.public_key())).unwrap();
        assert!(matches!(
            rep.problem,
            Some(ChainProblem::NoCheckpoint { .. })
        ));
        assert_eq!(s.verify_audit_chain().unwrap().problem, None);
    }

    #[test]
    fn a_checkpoint_removed_from_the_middle_of_the_chain_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let key = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        s.append_audit(&row("a")).unwrap();
        checkpoint(&s, &key);
        s.append_audit(&row("b")).unwrap();
        let middle = checkpoint(&s, &key);
        s.append_audit(&row("c")).unwrap();
        checkpoint(&s, &key);
        // Remove the middle checkpoint: the next one no longer chains to what precedes it.
        s.conn
            .execute_batch(&format!(
                "DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints WHERE id = {};",
                middle.id
            ))
            .unwrap();
        let rep = s.verify_audit_chain().unwrap();
        assert!(
            matches!(&rep.problem, Some(ChainProblem::Checkpoint { reason, .. }) if reason.contains("does not chain to checkpoint")),
            "{:?}",
            rep.problem
        );
    }

    #[test]
    fn a_deleted_checkpoint_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.append_audit(&row("a")).unwrap();
        let key = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        checkpoint(&s, &key);
        s.conn
            .execute_batch(
                "DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints;",
            )
            .unwrap();
        let rep = s.verify_audit_chain().unwrap();
        assert!(
            matches!(&rep.problem, Some(ChainProblem::Checkpoint { reason, .. }) if reason.contains("row 2 records a checkpoint of row 1")),
            "{:?}",
            rep.problem
        );
    }
}
