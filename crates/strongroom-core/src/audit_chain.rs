//! The audit log's hash chain as pure functions: how a row is hashed and linked to the one
//! before it, what a signed checkpoint says, and how an excerpt of rows is checked against a
//! checkpoint with nothing but the checkpoint key (no station, no database).
//!
//! Definitions (also in `docs/audit.md`); every hash is lowercase hex SHA-256, and `a || b` is
//! the ASCII concatenation of two 64-digit hex strings:
//! - `object_hash` = SHA-256 of the row's `object` (UTF-8);
//! - `body_hash` = SHA-256 of the compact JSON array `[seq, time, operator, action, outcome,
//!   details]`, where `details` is the JSON text exactly as stored (a string inside the array);
//! - `content_hash` = SHA-256 of `object_hash || body_hash`. The object is hashed on its own so
//!   that an excerpt can carry an unrelated row as its two hashes and still show that the row is
//!   not about the release it proves (see [`verify_excerpt`]);
//! - `hash` = SHA-256 of `prev_hash || content_hash`, the first row's `prev_hash` being
//!   [`GENESIS`];
//! - a checkpoint is a DSSE envelope (in a Sigstore v0.3 bundle) over the JSON
//!   `{"station", "rows", "head", "time", "prev"}` with payload type
//!   [`CHECKPOINT_PAYLOAD_TYPE`]: `rows` is the number of rows, `head` the hash of row number
//!   `rows`, and `prev` the SHA-256 of the previous checkpoint's payload ([`GENESIS`] for the
//!   first), so checkpoints form a chain of their own.

use serde::{Deserialize, Serialize};

use crate::bundle::{BundleJson, KNOWN_MEDIA_TYPES};
use crate::dsse::{Envelope, EnvelopeError};
use crate::keys::PublicKey;
use crate::signer::{SignError, Signer};
use crate::HashAlg;

/// `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The DSSE payload type of a signed checkpoint.
pub const CHECKPOINT_PAYLOAD_TYPE: &str = "application/vnd.strongroom.audit-checkpoint.v1+json";

/// The `format` of an audit excerpt.
pub const EXCERPT_FORMAT: &str = "application/vnd.strongroom.audit-excerpt.v1+json";

/// One row's hashed content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowContent {
    pub seq: i64,
    /// RFC 3339 UTC.
    pub time: String,
    pub operator: String,
    pub action: String,
    pub object: String,
    pub outcome: String,
    /// The row's details as JSON text, byte for byte as stored and hashed.
    pub details: String,
}

/// Lowercase hex SHA-256 of a row's object: what an excerpt shows of an unrelated row.
pub fn object_hash(object: &str) -> String {
    HashAlg::Sha256.hash(object.as_bytes()).to_hex()
}

impl RowContent {
    /// Lowercase hex SHA-256 of the row's object.
    pub fn object_hash(&self) -> String {
        object_hash(&self.object)
    }

    /// Lowercase hex SHA-256 of `[seq, time, operator, action, outcome, details]`.
    pub fn body_hash(&self) -> String {
        // A tuple serialises as the same compact JSON array as `json!([...])`, without copying.
        let canonical = serde_json::to_vec(&(
            self.seq,
            &self.time,
            &self.operator,
            &self.action,
            &self.outcome,
            &self.details,
        ))
        .expect("strings and numbers serialise");
        HashAlg::Sha256.hash(&canonical).to_hex()
    }

    /// Lowercase hex SHA-256 of `object_hash || body_hash`.
    pub fn content_hash(&self) -> String {
        link_hash(&self.object_hash(), &self.body_hash())
    }

    /// This row's chain hash when the row before it has hash `prev_hash`.
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        link_hash(prev_hash, &self.content_hash())
    }
}

/// Lowercase hex SHA-256 of the ASCII concatenation `a || b` of two hex hashes (a row's link
/// `prev_hash || content_hash`, or its content `object_hash || body_hash`).
pub fn link_hash(a: &str, b: &str) -> String {
    let mut text = Vec::with_capacity(a.len() + b.len());
    text.extend_from_slice(a.as_bytes());
    text.extend_from_slice(b.as_bytes());
    HashAlg::Sha256.hash(&text).to_hex()
}

/// True for 64 lowercase hex digits (see [`crate::digest::is_sha256_hex`]).
pub use crate::digest::is_sha256_hex as is_hash;

/// What a checkpoint signs: the chain had `rows` rows, row `rows` had hash `head`, and the
/// checkpoint before this one had a payload hashing to `prev`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The station's id (a random value made when its database was created).
    pub station: String,
    pub rows: u64,
    pub head: String,
    /// When it was signed, RFC 3339 UTC.
    pub time: String,
    /// SHA-256 of the previous checkpoint's payload, [`GENESIS`] for the station's first.
    pub prev: String,
}

impl Checkpoint {
    /// The payload bytes this checkpoint signs (compact JSON, fields in declaration order).
    pub fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a checkpoint serialises")
    }

    /// Lowercase hex SHA-256 of [`Checkpoint::payload`]: what the next checkpoint's `prev` is.
    pub fn hash(&self) -> String {
        HashAlg::Sha256.hash(&self.payload()).to_hex()
    }

    /// Signs the checkpoint: a Sigstore v0.3 bundle around one DSSE envelope.
    pub fn sign(&self, signer: &dyn Signer) -> Result<BundleJson, SignError> {
        let env = Envelope::sign(signer, CHECKPOINT_PAYLOAD_TYPE, self.payload())?;
        Ok(BundleJson::dsse(signer.public_key(), &env))
    }

    /// The key hint a checkpoint bundle names (not yet verified).
    pub fn key_hint(bundle: &BundleJson) -> Option<String> {
        bundle
            .verification_material
            .public_key
            .as_ref()
            .map(|k| k.hint.clone())
    }

    /// Checks a checkpoint bundle's signature with `key`, then reads what it signed.
    pub fn open(bundle: &BundleJson, key: &PublicKey) -> Result<Checkpoint, CheckpointError> {
        if !KNOWN_MEDIA_TYPES
            .iter()
            .any(|(m, _)| *m == bundle.media_type)
        {
            return Err(CheckpointError::NotABundle(format!(
                "unknown media type {:?}",
                bundle.media_type
            )));
        }
        let env = bundle
            .dsse_envelope
            .as_ref()
            .ok_or_else(|| CheckpointError::NotABundle("no DSSE envelope".into()))?;
        let env = Envelope::from_json(env)?;
        if env.payload_type != CHECKPOINT_PAYLOAD_TYPE {
            return Err(CheckpointError::PayloadType(env.payload_type));
        }
        if env.signatures.len() != 1 {
            return Err(CheckpointError::NotABundle(format!(
                "{} signatures; a checkpoint carries exactly one",
                env.signatures.len()
            )));
        }
        env.verify_signature(0, key)
            .map_err(|_| CheckpointError::BadSignature {
                key_id: key.key_id().to_string(),
            })?;
        // Read only after the signature verified.
        let cp: Checkpoint = serde_json::from_slice(&env.payload)
            .map_err(|e| CheckpointError::Payload(e.to_string()))?;
        if !is_hash(&cp.head) || !is_hash(&cp.prev) || cp.rows == 0 {
            return Err(CheckpointError::Payload(
                "the head or prev is not a SHA-256 hex value, or the row count is 0".into(),
            ));
        }
        Ok(cp)
    }

    /// Parses a checkpoint bundle's JSON text, then [`Checkpoint::open`]s it.
    pub fn open_json(bundle: &str, key: &PublicKey) -> Result<Checkpoint, CheckpointError> {
        let b: BundleJson =
            serde_json::from_str(bundle).map_err(|e| CheckpointError::NotABundle(e.to_string()))?;
        Self::open(&b, key)
    }
}

/// Why a checkpoint bundle was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckpointError {
    #[error("not a checkpoint bundle: {0}")]
    NotABundle(String),
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    #[error("the envelope's payload type is {0:?}, not an audit checkpoint")]
    PayloadType(String),
    #[error("the checkpoint signature does not verify with key {key_id}")]
    BadSignature { key_id: String },
    #[error("the checkpoint payload is malformed: {0}")]
    Payload(String),
}

/// One entry of an excerpt: a whole row (one the excerpt is about), or only the two hashes of
/// an unrelated row between them: enough to carry the chain to the checkpoint, and to show,
/// through its `object_hash`, which object the row is about without showing the object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcerptEntry {
    Row(RowContent),
    Link {
        seq: i64,
        object_hash: String,
        body_hash: String,
    },
}

impl ExcerptEntry {
    pub fn seq(&self) -> i64 {
        match self {
            ExcerptEntry::Row(r) => r.seq,
            ExcerptEntry::Link { seq, .. } => *seq,
        }
    }
}

/// Audit rows about some objects (a release, its artifacts) and the chain that links them to a
/// signed checkpoint. Carried in release bundles; checked by [`verify_excerpt`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditExcerpt {
    /// [`EXCERPT_FORMAT`].
    pub format: String,
    /// What the rows were selected by (informational).
    pub objects: Vec<String>,
    /// The hash of the row before the first entry ([`GENESIS`] when the first entry is row 1).
    pub prev_hash: String,
    /// Consecutive rows from the first row about the objects up to the checkpoint's last row.
    pub entries: Vec<ExcerptEntry>,
    /// The checkpoint: a Sigstore bundle holding a DSSE envelope over a [`Checkpoint`].
    pub checkpoint: BundleJson,
    /// Rows about the objects recorded after the checkpoint: left out, because no checkpoint
    /// covers them yet (informational, not verifiable).
    pub later_rows: u64,
}

/// What a verified excerpt proves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExcerptReport {
    /// The signed checkpoint the rows lead to.
    pub checkpoint: Checkpoint,
    /// The key id that signed it.
    pub key_id: String,
    /// The rows about the objects, each proven to be in the chain the station signed.
    pub rows: Vec<RowContent>,
    /// How many unrelated rows were carried as hashes only.
    pub links: usize,
}

/// Why an excerpt does not prove its rows.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExcerptError {
    #[error("not an audit excerpt (format {0:?})")]
    Format(String),
    #[error("the checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("the excerpt has no rows")]
    Empty,
    #[error("the excerpt skips from row {expected} to row {found}: a row was dropped or inserted")]
    Gap { expected: i64, found: i64 },
    #[error("entry for row {seq} carries a malformed hash")]
    MalformedHash { seq: i64 },
    #[error("row {seq}'s details are not JSON text")]
    Details { seq: i64 },
    #[error("the excerpt ends at row {last} but the checkpoint covers {rows} rows")]
    WrongEnd { last: i64, rows: u64 },
    #[error(
        "the rows do not lead to the signed head: a row in the excerpt was altered, dropped or \
         inserted (computed {computed}, signed {signed})"
    )]
    HeadMismatch { computed: String, signed: String },
    #[error(
        "row {seq} is about {object} but the excerpt shows only its hashes: the excerpt hides a \
         row about what it claims to prove"
    )]
    HiddenRow { seq: i64, object: String },
}

/// Checks an excerpt with the checkpoint key alone: the checkpoint's signature, then that the
/// entries, consecutive and hashed in order from `prev_hash`, reach the signed head exactly at
/// the signed row count. Any altered, dropped or inserted row changes the head (SHA-256), and
/// only the key's holder can sign another.
///
/// The excerpt must also show in full every row whose object is one of `complete_for`, from its
/// first entry to the checkpoint: a row about one carried as hashes only is
/// [`ExcerptError::HiddenRow`].
pub fn verify_excerpt(
    excerpt: &AuditExcerpt,
    checkpoint_key: &PublicKey,
    complete_for: &[&str],
) -> Result<ExcerptReport, ExcerptError> {
    let hidden: Vec<(&str, String)> = complete_for.iter().map(|o| (*o, object_hash(o))).collect();
    if excerpt.format != EXCERPT_FORMAT {
        return Err(ExcerptError::Format(excerpt.format.clone()));
    }
    let checkpoint = Checkpoint::open(&excerpt.checkpoint, checkpoint_key)?;
    let first = excerpt.entries.first().ok_or(ExcerptError::Empty)?.seq();
    if first < 1 || (first == 1 && excerpt.prev_hash != GENESIS) {
        return Err(ExcerptError::Gap {
            expected: 1,
            found: first,
        });
    }
    if !is_hash(&excerpt.prev_hash) {
        return Err(ExcerptError::MalformedHash { seq: first - 1 });
    }
    let mut prev = excerpt.prev_hash.clone();
    let mut expected = first;
    let mut rows = Vec::new();
    let mut links = 0;
    for entry in &excerpt.entries {
        if entry.seq() != expected {
            return Err(ExcerptError::Gap {
                expected,
                found: entry.seq(),
            });
        }
        let content = match entry {
            ExcerptEntry::Row(r) => {
                if serde_json::from_str::<serde_json::Value>(&r.details).is_err() {
                    return Err(ExcerptError::Details { seq: r.seq });
                }
                rows.push(r.clone());
                r.content_hash()
            }
            ExcerptEntry::Link {
                seq,
                object_hash,
                body_hash,
            } => {
                if !is_hash(object_hash) || !is_hash(body_hash) {
                    return Err(ExcerptError::MalformedHash { seq: *seq });
                }
                if let Some((object, _)) = hidden.iter().find(|(_, h)| h == object_hash) {
                    return Err(ExcerptError::HiddenRow {
                        seq: *seq,
                        object: (*object).to_owned(),
                    });
                }
                links += 1;
                link_hash(object_hash, body_hash)
            }
        };
        prev = link_hash(&prev, &content);
        expected += 1;
    }
    let last = expected - 1;
    if u64::try_from(last).ok() != Some(checkpoint.rows) {
        return Err(ExcerptError::WrongEnd {
            last,
            rows: checkpoint.rows,
        });
    }
    if prev != checkpoint.head {
        return Err(ExcerptError::HeadMismatch {
            computed: prev,
            signed: checkpoint.head,
        });
    }
    Ok(ExcerptReport {
        checkpoint,
        key_id: checkpoint_key.key_id().to_string(),
        rows,
        links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, SoftwareKey};

    fn row(seq: i64, action: &str, object: &str) -> RowContent {
        RowContent {
            seq,
            time: "2026-01-01T00:00:00Z".into(),
            operator: "alice".into(),
            action: action.into(),
            object: object.into(),
            outcome: "ok".into(),
            details: format!("{{\"n\":{seq}}}"),
        }
    }

    /// A chain of `n` rows, rows 3 and 5 about "rel-1"; an excerpt of rows 3..=n and its key.
    fn excerpt(n: i64) -> (AuditExcerpt, SoftwareKey) {
        let rows: Vec<RowContent> = (1..=n)
            .map(|s| row(s, "x", if s == 3 || s == 5 { "rel-1" } else { "other" }))
            .collect();
        let mut hashes = vec![GENESIS.to_owned()];
        for r in &rows {
            let h = r.chain_hash(hashes.last().unwrap());
            hashes.push(h);
        }
        let key = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let cp = Checkpoint {
            station: "st".into(),
            rows: n as u64,
            head: hashes[n as usize].clone(),
            time: "2026-01-01T00:00:01Z".into(),
            prev: GENESIS.into(),
        };
        let entries = rows[2..]
            .iter()
            .map(|r| {
                if r.object == "rel-1" {
                    ExcerptEntry::Row(r.clone())
                } else {
                    ExcerptEntry::Link {
                        seq: r.seq,
                        object_hash: r.object_hash(),
                        body_hash: r.body_hash(),
                    }
                }
            })
            .collect();
        let ex = AuditExcerpt {
            format: EXCERPT_FORMAT.into(),
            objects: vec!["rel-1".into()],
            prev_hash: hashes[2].clone(),
            entries,
            checkpoint: cp.sign(&key).unwrap(),
            later_rows: 0,
        };
        (ex, key)
    }

    fn sha(text: &str) -> String {
        HashAlg::Sha256.hash(text.as_bytes()).to_hex()
    }

    #[test]
    fn hashes_are_the_documented_ones() {
        let r = row(1, "sign", "k");
        // body: sha256 of `[1,"2026-01-01T00:00:00Z","alice","sign","ok","{\"n\":1}"]`
        let body = sha(r#"[1,"2026-01-01T00:00:00Z","alice","sign","ok","{\"n\":1}"]"#);
        assert_eq!(r.body_hash(), body);
        assert_eq!(r.object_hash(), sha("k"));
        assert_eq!(r.content_hash(), sha(&format!("{}{body}", sha("k"))));
        let both = format!("{GENESIS}{}", r.content_hash());
        assert_eq!(
            r.chain_hash(GENESIS),
            HashAlg::Sha256.hash(both.as_bytes()).to_hex()
        );
    }

    #[test]
    fn a_good_excerpt_verifies() {
        let (ex, key) = excerpt(7);
        let rep = verify_excerpt(&ex, key.public_key(), &["rel-1"]).unwrap();
        assert_eq!(rep.rows.len(), 2);
        assert_eq!(rep.links, 3);
        assert_eq!(rep.checkpoint.rows, 7);
        // It survives JSON.
        let back: AuditExcerpt =
            serde_json::from_str(&serde_json::to_string(&ex).unwrap()).unwrap();
        verify_excerpt(&back, key.public_key(), &["rel-1"]).unwrap();
    }

    #[test]
    fn a_row_about_the_release_hidden_as_hashes_is_caught() {
        let (mut ex, key) = excerpt(7);
        // Row 5 is about rel-1; carrying it as hashes still reaches the signed head...
        let ExcerptEntry::Row(r) = ex.entries[2].clone() else {
            panic!("row 5 is a whole row")
        };
        ex.entries[2] = ExcerptEntry::Link {
            seq: 5,
            object_hash: r.object_hash(),
            body_hash: r.body_hash(),
        };
        let rep = verify_excerpt(&ex, key.public_key(), &[]).unwrap();
        assert_eq!(rep.rows.len(), 1);
        // ...but not as a complete excerpt about rel-1.
        assert_eq!(
            verify_excerpt(&ex, key.public_key(), &["rel-1"]).unwrap_err(),
            ExcerptError::HiddenRow {
                seq: 5,
                object: "rel-1".into()
            }
        );
    }

    #[test]
    fn an_altered_row_is_caught() {
        let (mut ex, key) = excerpt(7);
        if let ExcerptEntry::Row(r) = &mut ex.entries[0] {
            r.operator = "mallory".into();
        }
        assert!(matches!(
            verify_excerpt(&ex, key.public_key(), &[]),
            Err(ExcerptError::HeadMismatch { .. })
        ));
    }

    #[test]
    fn a_dropped_row_is_caught() {
        let (ex, key) = excerpt(7);
        let mut dropped = ex.clone();
        dropped.entries.remove(2);
        assert_eq!(
            verify_excerpt(&dropped, key.public_key(), &[]),
            Err(ExcerptError::Gap {
                expected: 5,
                found: 6
            })
        );
        // Dropping the last row: the excerpt no longer reaches the checkpoint.
        let mut short = ex.clone();
        short.entries.pop();
        assert!(matches!(
            verify_excerpt(&short, key.public_key(), &[]),
            Err(ExcerptError::WrongEnd { last: 6, rows: 7 })
        ));
        // Renumbering after a drop still cannot reach the signed head.
        let mut renumbered = ex;
        renumbered.entries.remove(0);
        for e in &mut renumbered.entries {
            match e {
                ExcerptEntry::Row(r) => r.seq -= 1,
                ExcerptEntry::Link { seq, .. } => *seq -= 1,
            }
        }
        renumbered.entries.push(ExcerptEntry::Link {
            seq: 7,
            object_hash: GENESIS.into(),
            body_hash: GENESIS.into(),
        });
        assert!(matches!(
            verify_excerpt(&renumbered, key.public_key(), &[]),
            Err(ExcerptError::HeadMismatch { .. })
        ));
    }

    #[test]
    fn the_wrong_key_or_payload_is_refused() {
        let (ex, _key) = excerpt(5);
        let other = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        assert!(matches!(
            verify_excerpt(&ex, other.public_key(), &[]),
            Err(ExcerptError::Checkpoint(
                CheckpointError::BadSignature { .. }
            ))
        ));
        // A signature over some other payload type is not a checkpoint.
        let env = Envelope::sign(&other, crate::dsse::INTOTO_PAYLOAD_TYPE, b"{}".to_vec()).unwrap();
        let mut ex2 = ex;
        ex2.checkpoint = BundleJson::dsse(other.public_key(), &env);
        assert!(matches!(
            verify_excerpt(&ex2, other.public_key(), &[]),
            Err(ExcerptError::Checkpoint(CheckpointError::PayloadType(_)))
        ));
    }
}
