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
    #[cfg_attr(
        feature = "ts",
        ts(type = r#""ed25519" | "ecdsa-p256" | "ecdsa-p384" | `rsa-${number}`"#)
    )]
    pub algorithm: strongroom_core::Algorithm,
    pub backend: strongroom_store::Backend,
    pub status: strongroom_store::KeyStatus,
    /// The one kind of signature the key makes.
    pub purpose: strongroom_core::Purpose,
    pub created: String,
    /// Token keys: the PKCS#11 URI that names the key (never with a PIN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Token keys: the token, the object and its `CKA_*` protection attributes, as recorded
    /// when the key was generated or adopted; `None` for software keys.
    pub attributes: Option<TokenKeyFacts>,
    /// The person who holds the key, as the trust store says (key lists fill it in; `None`
    /// while the key is not trusted here).
    pub holder: Option<String>,
}

impl From<&KeyRecord> for KeyInfo {
    fn from(r: &KeyRecord) -> Self {
        KeyInfo {
            label: r.label.clone(),
            key_id: r.key_id.to_string(),
            algorithm: r.algorithm,
            backend: r.backend,
            status: r.status,
            purpose: r.purpose,
            created: r.created.clone(),
            uri: (r.backend == strongroom_store::Backend::Pkcs11).then(|| r.location.clone()),
            attributes: (r.backend == strongroom_store::Backend::Pkcs11)
                .then(|| serde_json::from_value(r.attributes.clone()).ok())
                .flatten(),
            holder: None,
        }
    }
}

/// What the inventory records about a token key.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TokenKeyFacts {
    /// The token's label and serial number.
    pub token: String,
    pub token_serial: String,
    /// The key object's `CKA_LABEL` and `CKA_ID` (hex).
    pub object: String,
    pub id: String,
    /// The PKCS#11 module it was reached through.
    pub module: String,
    /// The private key's protection attributes.
    pub cka: strongroom_hsm::KeyAttributes,
    /// Made on the token and never extractable: see [`strongroom_hsm::KeyAttributes::hardware_bound`].
    pub hardware_bound: bool,
    /// Generated backup-able: see [`strongroom_hsm::KeyAttributes::backupable`]. Absent from
    /// records older than key backups.
    #[serde(default)]
    pub backupable: bool,
}

/// One signed artifact.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SignedFile {
    pub artifact: String,
    pub bundle: String,
    pub sha256: String,
    pub form: strongroom_core::artifact::ArtifactForm,
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
