//! The audit trail from the operations' side: every security-relevant act appends a row to the
//! station's hash-chained log (who, what, on which object, with what outcome), and the log can
//! be verified, listed and exported.

use strongroom_store::audit::{AuditRow, ChainReport, NewAuditRow};

use crate::{OpsError, Station};

/// How an act ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
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
    pub(crate) fn record_failure(&self, action: &str, object: &str, err: &OpsError) {
        let (action, outcome) = match err.kind() {
            crate::ErrorKind::Auth => ("login.failed", Outcome::Denied),
            _ => (action, Outcome::Failed),
        };
        let _ = self.record(
            action,
            object,
            outcome,
            serde_json::json!({"error": err.to_string(), "while": action}),
        );
    }

    /// Walks the chain; the report names the first edited, deleted or inserted row.
    pub fn audit_verify(&self) -> Result<ChainReport, OpsError> {
        Ok(self.store.verify_audit_chain()?)
    }

    /// Rows in order, optionally of one action and from a time on (RFC 3339).
    pub fn audit_list(
        &self,
        action: Option<&str>,
        since: Option<&str>,
    ) -> Result<Vec<AuditRow>, OpsError> {
        Ok(self.store.audit_rows(action, since)?)
    }
}
