//! The audit log: append-only rows (SQLite triggers refuse UPDATE and DELETE), each holding the
//! hash of the previous row together with its own content, so that an edit, deletion or
//! insertion made behind the log's back (with the triggers dropped) breaks the chain.
//!
//! Row hash: hex SHA-256 of the compact JSON array
//! `[seq, time, operator, action, object, outcome, details, prev_hash]`; the first row's
//! `prev_hash` is 64 zeros.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use strongroom_core::HashAlg;

use crate::{now_rfc3339, Store, StoreError};

/// `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

/// What `verify_audit_chain` found first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ChainProblem {
    /// The row's content no longer gives its stored hash: it was edited.
    Edited { seq: i64 },
    /// Rows are missing before this one: deleted.
    Missing { expected_seq: i64, found_seq: i64 },
    /// The row does not link to the previous one: inserted, or the previous row was replaced.
    BrokenLink { seq: i64 },
    /// A row's details are not JSON.
    Unreadable { seq: i64, reason: String },
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
        }
    }
}

/// The result of walking the whole chain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChainReport {
    pub rows: u64,
    /// The last row's hash (the chain head), when there are rows.
    pub head: Option<String>,
    /// The first problem found, if any.
    pub problem: Option<ChainProblem>,
}

/// The hash of a row: `fields` are time, operator, action, object, outcome, details (JSON text)
/// and prev_hash, in that order.
fn row_hash(seq: i64, fields: [&str; 7]) -> String {
    let [time, operator, action, object, outcome, details, prev_hash] = fields;
    let canonical =
        serde_json::json!([seq, time, operator, action, object, outcome, details, prev_hash]);
    HashAlg::Sha256
        .hash(canonical.to_string().as_bytes())
        .to_hex()
}

impl Store {
    /// Appends one row in its own immediate transaction, chained to the current head.
    pub fn append_audit(&self, row: &NewAuditRow<'_>) -> Result<AuditRow, StoreError> {
        // An immediate transaction takes the write lock before reading the head, so concurrent
        // writers (the app and a CLI) queue behind the busy timeout instead of forking the chain.
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
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
        let time = now_rfc3339();
        let details = row.details.to_string();
        let hash = row_hash(
            seq,
            [
                &time,
                row.operator,
                row.action,
                row.object,
                row.outcome,
                &details,
                &prev_hash,
            ],
        );
        tx.execute(
            "INSERT INTO audit_log (seq, time, operator, action, object, outcome, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![seq, time, row.operator, row.action, row.object, row.outcome, details, prev_hash, hash],
        )?;
        tx.commit()?;
        Ok(AuditRow {
            seq,
            time,
            operator: row.operator.to_owned(),
            action: row.action.to_owned(),
            object: row.object.to_owned(),
            outcome: row.outcome.to_owned(),
            details: row.details.clone(),
            prev_hash,
            hash,
        })
    }

    /// Walks every row in order and reports the first edited, deleted or inserted row.
    pub fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, time, operator, action, object, outcome, details, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut expected_seq = 1i64;
        let mut prev = GENESIS.to_owned();
        let mut count = 0u64;
        let mut problem = None;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let fields: [String; 8] = [
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ];
            let [time, operator, action, object, outcome, details, prev_hash, hash] = fields;
            count += 1;
            if problem.is_none() {
                if seq != expected_seq {
                    problem = Some(ChainProblem::Missing {
                        expected_seq,
                        found_seq: seq,
                    });
                } else if row_hash(
                    seq,
                    [
                        &time, &operator, &action, &object, &outcome, &details, &prev_hash,
                    ],
                ) != hash
                {
                    problem = Some(ChainProblem::Edited { seq });
                } else if prev_hash != prev {
                    problem = Some(ChainProblem::BrokenLink { seq });
                } else if let Err(e) = serde_json::from_str::<serde_json::Value>(&details) {
                    problem = Some(ChainProblem::Unreadable {
                        seq,
                        reason: e.to_string(),
                    });
                }
            }
            expected_seq = seq + 1;
            prev = hash;
        }
        Ok(ChainReport {
            rows: count,
            head: (count > 0).then_some(prev),
            problem,
        })
    }

    /// Rows in order, optionally only `action` and only from `since` (RFC 3339) on.
    pub fn audit_rows(
        &self,
        action: Option<&str>,
        since: Option<&str>,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, time, operator, action, object, outcome, details, prev_hash, hash
             FROM audit_log
             WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR time >= ?2)
             ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![action, since], |r| {
            let details: String = r.get(6)?;
            Ok(AuditRow {
                seq: r.get(0)?,
                time: r.get(1)?,
                operator: r.get(2)?,
                action: r.get(3)?,
                object: r.get(4)?,
                outcome: r.get(5)?,
                details: serde_json::from_str(&details)
                    .unwrap_or(serde_json::Value::String(details)),
                prev_hash: r.get(7)?,
                hash: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
