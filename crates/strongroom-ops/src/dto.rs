//! Serialisable results of operations: the `--json` output of the CLI and the payloads the app
//! receives. Field names are part of the public interface (`docs/cli.md`).

use serde::Serialize;
use strongroom_core::verify::{CheckId, Outcome, Report};
use strongroom_store::KeyRecord;

/// One key of the inventory.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyInfo {
    pub label: String,
    pub key_id: String,
    pub algorithm: String,
    pub backend: String,
    pub status: String,
    /// The one kind of signature the key makes.
    pub purpose: strongroom_core::Purpose,
    pub created: String,
    /// Token keys: the PKCS#11 URI that names the key (never with a PIN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Backend facts (token, id and the `CKA_*` protection attributes for token keys).
    pub attributes: serde_json::Value,
    /// The person who holds the key, as the trust store says (key lists fill it in; `None`
    /// while the key is not trusted here).
    pub holder: Option<String>,
}

impl From<&KeyRecord> for KeyInfo {
    fn from(r: &KeyRecord) -> Self {
        KeyInfo {
            label: r.label.clone(),
            key_id: r.key_id.to_string(),
            algorithm: r.algorithm.to_string(),
            backend: r.backend.to_string(),
            status: r.status.to_string(),
            purpose: r.purpose,
            created: r.created.clone(),
            uri: (r.backend == strongroom_store::Backend::Pkcs11).then(|| r.location.clone()),
            attributes: r.attributes.clone(),
            holder: None,
        }
    }
}

/// One signed artifact.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SignedFile {
    pub artifact: String,
    pub bundle: String,
    pub sha256: String,
    /// `messageSignature` or `dsse`.
    pub form: String,
}

/// One verification check.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CheckDto {
    pub id: CheckId,
    pub outcome: Outcome,
    pub detail: String,
}

/// A verification result.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VerifyReport {
    /// True only when no check failed (exit code 0).
    pub verified: bool,
    /// `pass`, `warn` or `fail` (never `skip`).
    pub verdict: Outcome,
    pub checks: Vec<CheckDto>,
}

impl From<&Report> for VerifyReport {
    fn from(r: &Report) -> Self {
        VerifyReport {
            verified: r.passed(),
            verdict: r.verdict(),
            checks: r
                .checks
                .iter()
                .map(|c| CheckDto {
                    id: c.id,
                    outcome: c.outcome,
                    detail: c.detail.clone(),
                })
                .collect(),
        }
    }
}
