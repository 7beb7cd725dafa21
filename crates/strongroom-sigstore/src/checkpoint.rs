//! Signed checkpoints of a transparency log, in the signed-note form (golang.org/x/mod/sumdb/note,
//! C2SP tlog-checkpoint) that Rekor v1 and v2 write: the log's origin, tree size and root hash,
//! a blank line, then one signature line per signer (`— NAME BASE64(KEYHINT ‖ SIGNATURE)`). The
//! log's line is found by its key hint, wherever it stands: cosigned checkpoints carry witness
//! lines too, and witnesses are not ours to check.

use base64::Engine as _;
use strongroom_core::PublicKey;

use crate::trusted_root::TransparencyLog;

/// Why a checkpoint does not vouch for a tree.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckpointError {
    #[error("the checkpoint is not a signed note: {0}")]
    Malformed(String),
    #[error("no signature line of the checkpoint has the key hint of log {log}")]
    NoLogSignature { log: String },
    #[error("the checkpoint's signature by log {log} does not verify")]
    BadSignature { log: String },
    #[error("the log's key cannot be read: {0}")]
    LogKey(String),
    #[error("log {log}'s key was not in use at {at}")]
    OutsideWindow { log: String, at: String },
}

/// One signature line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    /// The first four bytes of the signer's key id.
    pub key_hint: [u8; 4],
    pub signature: Vec<u8>,
}

/// A parsed checkpoint. Nothing in it is trusted until [`Checkpoint::verify`] says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root_hash: [u8; 32],
    /// Extension lines after the root hash.
    pub other: Vec<String>,
    pub signatures: Vec<NoteSignature>,
    /// The signed text: every line before the blank line, each with its newline.
    body: String,
}

fn malformed(why: impl Into<String>) -> CheckpointError {
    CheckpointError::Malformed(why.into())
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

impl Checkpoint {
    /// Reads a note. The three header lines are required, in order: a non-empty origin, the
    /// tree size in decimal, the root hash in base64 (32 bytes).
    pub fn parse(note: &str) -> Result<Checkpoint, CheckpointError> {
        let (body, sigs) = note
            .split_once("\n\n")
            .ok_or_else(|| malformed("no blank line before the signatures"))?;
        let body = format!("{body}\n");
        let mut lines = body.lines();
        let origin = lines.next().unwrap_or_default().to_owned();
        if origin.is_empty() {
            return Err(malformed("the origin line is empty"));
        }
        let size = lines
            .next()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| {
                malformed("the second line is not a tree size (the origin line may be missing)")
            })?;
        let root_hash: [u8; 32] = lines
            .next()
            .and_then(b64)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| malformed("the third line is not a base64 SHA-256 root hash"))?;
        let other = lines.map(str::to_owned).collect();
        let mut signatures = Vec::new();
        for line in sigs.lines().filter(|l| !l.is_empty()) {
            let rest = line
                .strip_prefix("\u{2014} ")
                .ok_or_else(|| malformed(format!("{line:?} is no signature line")))?;
            let (name, sig) = rest
                .rsplit_once(' ')
                .ok_or_else(|| malformed(format!("{line:?} has no signature")))?;
            let raw = b64(sig).filter(|r| r.len() > 4).ok_or_else(|| {
                malformed(format!(
                    "the signature of {name:?} is not base64 of a key hint and a signature"
                ))
            })?;
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_hint: raw[..4].try_into().expect("four bytes"),
                signature: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(malformed("no signature lines"));
        }
        Ok(Checkpoint {
            origin,
            size,
            root_hash,
            other,
            signatures,
            body,
        })
    }

    /// Checks that `log` signed this checkpoint with a key in use at `at` (the entry's verified
    /// time): a signature line carries the log's key hint (the first four bytes of its log id)
    /// and verifies over the note's text with its key. Lines of other signers (witnesses) are
    /// passed over.
    pub fn verify(
        &self,
        log: &TransparencyLog,
        at: strongroom_core::Timestamp,
    ) -> Result<(), CheckpointError> {
        if !log.valid_for.contains(at) {
            return Err(CheckpointError::OutsideWindow {
                log: log.base_url.clone(),
                at: at.to_rfc3339(),
            });
        }
        let key = PublicKey::from_spki_der(&log.public_key)
            .map_err(|e| CheckpointError::LogKey(e.to_string()))?;
        let mut candidates = self
            .signatures
            .iter()
            .filter(|s| log.log_id.get(..4) == Some(&s.key_hint[..]))
            .peekable();
        if candidates.peek().is_none() {
            return Err(CheckpointError::NoLogSignature {
                log: log.base_url.clone(),
            });
        }
        if candidates.any(|s| key.verify(self.body.as_bytes(), &s.signature).is_ok()) {
            Ok(())
        } else {
            Err(CheckpointError::BadSignature {
                log: log.base_url.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trusted_root::ValidFor;
    use strongroom_core::signer::SoftwareKey;
    use strongroom_core::{Algorithm, Signer, Timestamp};

    fn now() -> Timestamp {
        Timestamp::parse("2026-01-01T00:00:00Z").unwrap()
    }

    fn log_of(key: &SoftwareKey) -> TransparencyLog {
        let der = key.public_key().to_spki_der();
        let id = sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), &der));
        TransparencyLog {
            base_url: "https://log.example".into(),
            log_id: id.to_vec(),
            public_key: der,
            key_details: String::new(),
            valid_for: ValidFor {
                start: Timestamp::parse("2020-01-01T00:00:00Z").unwrap(),
                end: None,
            },
        }
    }

    fn note(key: &SoftwareKey, log: &TransparencyLog, body: &str) -> String {
        let mut raw = log.log_id[..4].to_vec();
        raw.extend(key.sign(body.as_bytes()).unwrap());
        format!(
            "{body}\n\u{2014} log.example {}\n",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    #[test]
    fn the_logs_line_is_found_by_its_hint_and_verified_over_the_text() {
        for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
            let key = SoftwareKey::generate(alg).unwrap();
            let log = log_of(&key);
            let root = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
            let body = format!("log.example - 123\n42\n{root}\n");
            let text = note(&key, &log, &body);
            let c = Checkpoint::parse(&text).unwrap();
            assert_eq!(
                (c.origin.as_str(), c.size, c.root_hash),
                ("log.example - 123", 42, [7; 32])
            );
            c.verify(&log, now()).unwrap();
            // A witness line first does not matter.
            let witness = format!(
                "\u{2014} witness.example {}\n",
                base64::engine::general_purpose::STANDARD.encode([9u8; 68])
            );
            let cosigned = text.replacen("\n\n", &format!("\n\n{witness}"), 1);
            Checkpoint::parse(&cosigned)
                .unwrap()
                .verify(&log, now())
                .unwrap();
            // Another size under the same signature: refused.
            let forged = text.replacen("\n42\n", "\n43\n", 1);
            assert!(matches!(
                Checkpoint::parse(&forged).unwrap().verify(&log, now()),
                Err(CheckpointError::BadSignature { .. })
            ));
            // Outside the log key's window: refused before any signature is tried.
            let before = Timestamp::parse("2019-01-01T00:00:00Z").unwrap();
            assert!(matches!(
                c.verify(&log, before),
                Err(CheckpointError::OutsideWindow { .. })
            ));
            // Another log's key: no line of its hint.
            let other = log_of(&SoftwareKey::generate(alg).unwrap());
            assert!(matches!(
                c.verify(&other, now()),
                Err(CheckpointError::NoLogSignature { .. })
            ));
        }
    }

    #[test]
    fn notes_missing_a_header_line_or_signatures_are_malformed() {
        let root = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        for bad in [
            format!("42\n{root}\n\n\u{2014} a AAAAAAAA\n"),
            format!("o\n42\n{root}\n\n"),
            format!("o\n42\n{root}\n"),
            format!("o\nx42\n{root}\n\n\u{2014} a AAAAAAAA\n"),
            "o\n42\nAAAA\n\n\u{2014} a AAAAAAAA\n".to_owned(),
            format!("o\n42\n{root}\n\n- a AAAAAAAA\n"),
        ] {
            assert!(
                matches!(Checkpoint::parse(&bad), Err(CheckpointError::Malformed(_))),
                "{bad:?}"
            );
        }
    }
}
