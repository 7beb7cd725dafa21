//! Rekor v1's signed entry timestamp (SET, the bundle's `inclusionPromise`): the log's
//! signature over the canonical JSON of the entry's body, integrated time, log id and index,
//! which is the log's promise to include the entry, made at `integratedTime`.

use strongroom_core::PublicKey;

use crate::trusted_root::TransparencyLog;

/// Why a signed entry timestamp does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetError {
    #[error("the log's key cannot be read: {0}")]
    LogKey(String),
    #[error("the signed entry timestamp does not verify with the key of log {log}")]
    BadSignature { log: String },
    #[error("log {log}'s key was not in use at the entry's integrated time ({at})")]
    OutsideWindow { log: String, at: String },
}

/// What a signed entry timestamp covers.
#[derive(Clone, Copy, Debug)]
pub struct PromisedEntry<'a> {
    /// The entry's canonicalized body, base64 as the bundle carries it.
    pub body_base64: &'a str,
    pub integrated_time: i64,
    pub log_index: i64,
    pub log_id: &'a [u8],
}

/// The bytes the log signed: canonical JSON (keys sorted, no spaces) of the four fields, the
/// log id in lowercase hex.
pub fn set_payload(e: &PromisedEntry<'_>) -> Vec<u8> {
    let body = serde_json::to_string(e.body_base64).expect("a string serialises");
    let log_id: String = e.log_id.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        r#"{{"body":{body},"integratedTime":{},"logID":"{log_id}","logIndex":{}}}"#,
        e.integrated_time, e.log_index
    )
    .into_bytes()
}

/// Checks the signed entry timestamp `set` over `entry` with `log`'s key.
/// The log's key must have been in use (its `validFor` window) at the integrated time.
pub fn verify_set(
    entry: &PromisedEntry<'_>,
    set: &[u8],
    log: &TransparencyLog,
) -> Result<(), SetError> {
    let at = strongroom_core::Timestamp::from_unix_seconds(entry.integrated_time);
    if !at.is_some_and(|t| log.valid_for.contains(t)) {
        return Err(SetError::OutsideWindow {
            log: log.base_url.clone(),
            at: at.map_or_else(|| entry.integrated_time.to_string(), |t| t.to_rfc3339()),
        });
    }
    let key =
        PublicKey::from_spki_der(&log.public_key).map_err(|e| SetError::LogKey(e.to_string()))?;
    key.verify(&set_payload(entry), set)
        .map_err(|_| SetError::BadSignature {
            log: log.base_url.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trusted_root::ValidFor;
    use strongroom_core::{Algorithm, Signer, SoftwareKey, Timestamp};

    /// A SET signed by the log's key verifies only while the key was in use: a key retired
    /// after a compromise cannot vouch for entries after its window (end inclusive).
    #[test]
    fn a_set_counts_only_within_the_log_keys_window() {
        let key = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let t = |s: &str| Timestamp::parse(s).unwrap();
        let log = TransparencyLog {
            base_url: "https://rekor.example".into(),
            log_id: vec![1; 32],
            public_key: key.public_key().to_spki_der(),
            key_details: String::new(),
            valid_for: ValidFor {
                start: t("2021-01-01T00:00:00Z"),
                end: Some(t("2022-01-01T00:00:00Z")),
            },
        };
        let entry = |at: i64| PromisedEntry {
            body_base64: "eyJh",
            integrated_time: at,
            log_index: 7,
            log_id: &[1; 32],
        };
        let end = t("2022-01-01T00:00:00Z").unix_seconds();
        for (at, ok) in [(end, true), (end + 1, false), (end - 400 * 86400, false)] {
            let set = key.sign(&set_payload(&entry(at))).unwrap();
            assert_eq!(verify_set(&entry(at), &set, &log).is_ok(), ok, "{at}");
        }
        let set = key.sign(&set_payload(&entry(end))).unwrap();
        assert!(matches!(
            verify_set(&entry(end - 1), &set, &log),
            Err(SetError::BadSignature { .. })
        ));
    }

    #[test]
    fn the_payload_is_canonical_json_with_a_hex_log_id() {
        let e = PromisedEntry {
            body_base64: "eyJh",
            integrated_time: 1_700_000_000,
            log_index: 42,
            log_id: &[0xab, 0x01],
        };
        assert_eq!(
            String::from_utf8(set_payload(&e)).unwrap(),
            r#"{"body":"eyJh","integratedTime":1700000000,"logID":"ab01","logIndex":42}"#
        );
    }
}
