//! Signed certificate timestamps embedded in a Fulcio certificate (RFC 6962): each is a
//! certificate transparency log's promise to publish the precertificate. An SCT counts when a CT
//! log of the trusted root, used within its window, signed the precertificate entry.

use sha2::{Digest, Sha256};
use strongroom_core::{HashAlg, PublicKey, Timestamp};
use x509_cert::ext::pkix::sct::{HashAlgorithm, SignedCertificateTimestamp};

use crate::trusted_root::TransparencyLog;
use crate::x509::{CertError, SigningCertificate};

/// What became of one embedded SCT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SctFinding {
    pub log: Option<String>,
    pub verified: bool,
    pub detail: String,
}

/// The bytes a CT log signs for a precertificate entry (RFC 6962, 3.2): version, signature
/// type, timestamp, entry type, the issuer key's hash, the TBS certificate and the extensions.
fn signed_entry(
    sct: &SignedCertificateTimestamp,
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(tbs.len() + 64);
    m.push(0); // v1
    m.push(0); // certificate_timestamp
    m.extend_from_slice(&sct.timestamp.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
    m.extend_from_slice(issuer_key_hash);
    let len = tbs.len() as u32;
    m.extend_from_slice(&len.to_be_bytes()[1..]);
    m.extend_from_slice(tbs);
    let ext = sct.extensions.as_slice();
    m.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    m.extend_from_slice(ext);
    m
}

/// Checks every SCT embedded in `cert`, issued by the key `issuer_spki` (DER), against the CT
/// logs of the root. Each SCT gets a finding; the caller counts the verified ones against its
/// threshold.
pub fn check_embedded_scts(
    cert: &SigningCertificate,
    issuer_spki: &[u8],
    ctlogs: &[TransparencyLog],
) -> Result<Vec<SctFinding>, CertError> {
    let scts = cert.embedded_scts()?;
    let tbs = cert.precertificate_tbs()?;
    if tbs.len() >= 1 << 24 {
        return Err(CertError::Malformed(
            "the certificate is too large for an SCT".into(),
        ));
    }
    let issuer_key_hash: [u8; 32] = Sha256::digest(issuer_spki).into();
    Ok(scts
        .iter()
        .map(|sct| {
            let Some(log) = ctlogs.iter().find(|l| l.log_id == sct.log_id.key_id) else {
                return SctFinding {
                    log: None,
                    verified: false,
                    detail: "an SCT from a CT log the trusted root does not know".into(),
                };
            };
            let finding = |verified, detail: String| SctFinding {
                log: Some(log.base_url.clone()),
                verified,
                detail,
            };
            // Milliseconds: both the second it falls in and the next must be in the window, so
            // that an SCT a fraction of a second past the window's end is outside it.
            let secs = i64::try_from(sct.timestamp / 1000).ok();
            let floor = secs.and_then(Timestamp::from_unix_seconds);
            let ceil = secs
                .map(|s| s + i64::from(sct.timestamp % 1000 != 0))
                .and_then(Timestamp::from_unix_seconds);
            let inside = |t: Option<Timestamp>| t.is_some_and(|t| log.valid_for.contains(t));
            if !(inside(floor) && inside(ceil)) {
                return finding(
                    false,
                    format!(
                        "{}: the SCT's time is outside the log key's window",
                        log.base_url
                    ),
                );
            }
            let key = match PublicKey::from_spki_der(&log.public_key) {
                Ok(k) => k,
                Err(e) => {
                    return finding(
                        false,
                        format!("{}: its key cannot be read: {e}", log.base_url),
                    )
                }
            };
            let message = signed_entry(sct, &issuer_key_hash, &tbs);
            let hash = match sct.signature.algorithm.hash {
                HashAlgorithm::Sha256 => HashAlg::Sha256,
                HashAlgorithm::Sha384 => HashAlg::Sha384,
                HashAlgorithm::Sha512 => HashAlg::Sha512,
                ref other => {
                    return finding(
                        false,
                        format!("{}: hash {other:?} is not supported", log.base_url),
                    )
                }
            };
            let sig = sct.signature.signature.as_slice();
            let ok = match key {
                PublicKey::Ed25519(_) => key.verify(&message, sig).is_ok(),
                _ => key.verify_prehashed(&hash.hash(&message), sig).is_ok(),
            };
            if ok {
                finding(
                    true,
                    format!("{} promised to publish the certificate", log.base_url),
                )
            } else {
                finding(
                    false,
                    format!("{}: the SCT's signature does not verify", log.base_url),
                )
            }
        })
        .collect())
}
