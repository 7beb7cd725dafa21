//! The audit trail from the operations' side: every security-relevant act appends a row to the
//! station's hash-chained log (who, what, on which object, with what outcome); the chain head is
//! signed into checkpoints with the station's audit key; the log can be verified, listed and
//! exported, and excerpts of it (the rows about a release, linked to a checkpoint) go into
//! release bundles.

use strongroom_core::audit_chain::{AuditExcerpt, Checkpoint, ExcerptEntry, EXCERPT_FORMAT};
use strongroom_core::PublicKey;
use strongroom_store::audit::{AuditRow, ChainReport, CheckpointRecord, NewAuditRow, GENESIS};
use strongroom_store::settings::AUDIT_KEY;

use crate::operators::Action;
use crate::{Callbacks, OpsError, Station};

/// How an act ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    Denied,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Denied => "denied",
        }
    }
}

/// A `--key` argument as it may be logged: a `pkcs11:` URI loses any `pin-value`.
pub(crate) fn key_for_log(key: &str) -> String {
    if key.len() >= 7 && key[..7].eq_ignore_ascii_case("pkcs11:") {
        match strongroom_hsm::Pkcs11Uri::parse(key, true) {
            Ok(uri) => uri.to_string_without_pin(),
            Err(_) => "pkcs11:<unparsable URI, not logged>".to_owned(),
        }
    } else {
        key.to_owned()
    }
}

/// True when `details` holds `object` as a string value anywhere (for example an artifact's
/// SHA-256 inside a `sign` row).
fn mentions(details: &serde_json::Value, objects: &[&str]) -> bool {
    match details {
        serde_json::Value::String(s) => objects.contains(&s.as_str()),
        serde_json::Value::Array(a) => a.iter().any(|v| mentions(v, objects)),
        serde_json::Value::Object(o) => o.values().any(|v| mentions(v, objects)),
        _ => false,
    }
}

impl Station {
    /// Appends one row. Acts that succeeded must be recorded: the caller propagates a failure.
    pub(crate) fn record(
        &self,
        action: &str,
        object: &str,
        outcome: Outcome,
        details: serde_json::Value,
    ) -> Result<(), OpsError> {
        self.store.append_audit(&NewAuditRow {
            operator: &self.operator,
            action,
            object,
            outcome: outcome.as_str(),
            details,
        })?;
        Ok(())
    }

    /// Records a failed act; the operation's own error matters more than a failure to log it.
    /// Refusals were recorded by `require` already.
    pub(crate) fn record_failure(&self, action: &str, object: &str, err: &OpsError) {
        let (recorded, outcome) = match err.kind() {
            crate::ErrorKind::Forbidden => return,
            crate::ErrorKind::Auth => ("login.failed", Outcome::Denied),
            _ => (action, Outcome::Failed),
        };
        // `while` names the act that was attempted, also when the row is a login failure.
        let _ = self.record(
            recorded,
            object,
            outcome,
            serde_json::json!({"error": err.to_string(), "while": action}),
        );
    }

    /// Walks the chain and checks every checkpoint; the report names the first edited, deleted
    /// or inserted row, or the first checkpoint the chain no longer matches.
    pub fn audit_verify(&self) -> Result<ChainReport, OpsError> {
        self.audit_verify_with_key(None)
    }

    /// [`Station::audit_verify`], also requiring every checkpoint to be signed by
    /// `checkpoint_key` (the audit key's public key, known from outside the database): someone
    /// who rewrote the database could have re-signed checkpoints with a key of their own.
    pub fn audit_verify_with_key(
        &self,
        checkpoint_key: Option<&PublicKey>,
    ) -> Result<ChainReport, OpsError> {
        self.require(Action::AuditVerify)?;
        Ok(self.store.verify_audit_chain_with(checkpoint_key)?)
    }

    /// Rows in order, optionally of one action and from a time on (RFC 3339).
    pub fn audit_list(
        &self,
        action: Option<&str>,
        since: Option<&str>,
    ) -> Result<Vec<AuditRow>, OpsError> {
        self.require(Action::AuditList)?;
        Ok(self.store.audit_rows(action, since)?)
    }

    /// Every row as JSON Lines (`audit export`), oldest first.
    pub fn audit_jsonl(&self) -> Result<String, OpsError> {
        let mut text = String::new();
        for r in self.audit_list(None, None)? {
            text.push_str(&serde_json::to_string(&r).expect("a row serialises"));
            text.push('\n');
        }
        Ok(text)
    }

    /// [`Station::audit_jsonl`] written to `path` atomically; returns the number of rows.
    pub fn audit_export(&self, path: &std::path::Path) -> Result<usize, OpsError> {
        let text = self.audit_jsonl()?;
        strongroom_store::fsutil::write_atomic(
            path,
            strongroom_store::fsutil::Overwrite::Allow,
            |f| std::io::Write::write_all(f, text.as_bytes()),
        )?;
        Ok(text.lines().count())
    }

    /// Sets the key that signs checkpoints: an inventory label or key id, or a `pkcs11:` URI
    /// (without a PIN). Custodian only.
    pub fn set_audit_key(&self, key: &str) -> Result<(), OpsError> {
        self.require(Action::AuditKeySet)?;
        let logged = key_for_log(key);
        if logged != key {
            return Err(OpsError::BadInput(
                "the audit key's pkcs11: URI must not carry pin-value: the setting is stored in clear; use pin-source or the prompt".into(),
            ));
        }
        // A label or key id must name an inventory key now.
        let key_id = match strongroom_core::keyref::KeyRef::parse(key)? {
            strongroom_core::keyref::KeyRef::Pkcs11Uri(_) => None,
            other => Some(self.store.find_key(&other)?.key_id.to_string()),
        };
        self.store.set_setting(AUDIT_KEY, &key)?;
        self.record(
            "audit.key",
            key,
            Outcome::Ok,
            serde_json::json!({"key_id": key_id}),
        )
    }

    /// The configured audit key, if any.
    pub fn audit_key(&self) -> Result<Option<String>, OpsError> {
        self.require(Action::AuditList)?;
        Ok(self.store.setting::<String>(AUDIT_KEY)?)
    }

    /// Signs the current chain head with `key` (or the configured audit key) and stores the
    /// checkpoint together with the row that records it. Custodian or auditor.
    pub fn audit_checkpoint(
        &self,
        key: Option<&str>,
        cb: &dyn Callbacks,
    ) -> Result<CheckpointRecord, OpsError> {
        self.require(Action::AuditCheckpoint)?;
        let key = match key {
            Some(k) => k.to_owned(),
            None => self
                .store
                .setting::<String>(AUDIT_KEY)?
                .ok_or(OpsError::NoAuditKey)?,
        };
        self.checkpoint_with(&key, cb)
            .inspect_err(|e| self.record_failure("audit.checkpoint", &key_for_log(&key), e))
    }

    /// A checkpoint as part of another operation (for example right after a release's rows are
    /// recorded, so its excerpt can be verified): `Ok(None)` when no audit key is configured.
    /// Needs a logged-in operator; the calling operation has checked its own role.
    pub fn audit_checkpoint_now(
        &self,
        cb: &dyn Callbacks,
    ) -> Result<Option<CheckpointRecord>, OpsError> {
        if !self.authenticated() {
            self.require(Action::AuditCheckpoint)?;
        }
        let Some(key) = self.store.setting::<String>(AUDIT_KEY)? else {
            return Ok(None);
        };
        self.checkpoint_with(&key, cb)
            .inspect_err(|e| self.record_failure("audit.checkpoint", &key_for_log(&key), e))
            .map(Some)
    }

    fn checkpoint_with(&self, key: &str, cb: &dyn Callbacks) -> Result<CheckpointRecord, OpsError> {
        let signer = self.signer_for(key, false, cb)?;
        let (rows, head) = self.store.audit_head()?.ok_or_else(|| {
            OpsError::BadInput("the audit log is empty: there is nothing to checkpoint".into())
        })?;
        let checkpoint = Checkpoint {
            station: self.store.station_id()?,
            rows,
            head,
            time: strongroom_store::now_rfc3339(),
        };
        let bundle = checkpoint.sign(&*signer)?.to_pretty_json();
        let (rec, _) = self.store.insert_checkpoint(
            &checkpoint,
            signer.public_key(),
            &bundle,
            &self.operator,
        )?;
        Ok(rec)
    }

    /// The rows about `objects` (a release id, a bundle or artifact SHA-256: equal to a row's
    /// object, or a string anywhere in its details) up to the latest checkpoint, with the
    /// content hashes of the rows between them and the checkpoint bundle, so that
    /// `strongroom_core::audit_chain::verify_excerpt` can prove them with the audit key alone.
    /// Rows about the objects after the checkpoint are counted in `later_rows`, not included.
    pub fn audit_excerpt(&self, objects: &[&str]) -> Result<AuditExcerpt, OpsError> {
        self.require(Action::AuditExcerpt)?;
        let what = objects.join(", ");
        let cp = self
            .store
            .latest_checkpoint()?
            .ok_or(OpsError::NoCheckpoint)?;
        let checkpoint = serde_json::from_str(&cp.bundle)
            .map_err(|e| OpsError::BadInput(format!("checkpoint {} is unreadable: {e}", cp.id)))?;
        let is_about = |r: &strongroom_core::audit_chain::RowContent| {
            objects.contains(&r.object.as_str())
                || serde_json::from_str::<serde_json::Value>(&r.details)
                    .is_ok_and(|d| mentions(&d, objects))
        };
        // Find the first row about the objects, a window at a time from the checkpoint back.
        const WINDOW: i64 = 10_000;
        let last = cp.rows as i64;
        let mut first = None;
        let mut to = 1;
        while to <= last {
            let from = to;
            to = (from + WINDOW).min(last + 1);
            if let Some(r) = self
                .store
                .audit_chain_rows(from, to - 1)?
                .into_iter()
                .find(|r| is_about(&r.content))
            {
                first = Some(r.content.seq);
                break;
            }
        }
        let first = first.ok_or_else(|| OpsError::NoAuditRows(what.clone()))?;
        let window = self.store.audit_chain_rows(first, last)?;
        let prev_hash = window
            .first()
            .map_or(GENESIS.to_owned(), |r| r.prev_hash.clone());
        let entries = window
            .into_iter()
            .map(|r| {
                if is_about(&r.content) {
                    ExcerptEntry::Row(r.content)
                } else {
                    ExcerptEntry::Link {
                        seq: r.content.seq,
                        content_hash: r.content.content_hash(),
                    }
                }
            })
            .collect();
        let later_rows = self
            .store
            .audit_chain_rows(last + 1, i64::MAX)?
            .iter()
            .filter(|r| is_about(&r.content))
            .count() as u64;
        Ok(AuditExcerpt {
            format: EXCERPT_FORMAT.to_owned(),
            objects: objects.iter().map(|s| (*s).to_owned()).collect(),
            prev_hash,
            entries,
            checkpoint,
            later_rows,
        })
    }
}
