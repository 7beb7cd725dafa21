//! in-toto Statement v1: building statements over artifact digests, and parsing untrusted ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of the older v0.1 statements, still written by some tools; accepted on read.
pub const STATEMENT_V0_1: &str = "https://in-toto.io/Statement/v0.1";
/// Predicate of Strongroom's plain artifact signatures made with Ed25519 keys (see
/// `docs/formats.md`): the statement exists to bind the artifact digest; the predicate is empty.
pub const ARTIFACT_SIGNATURE_PREDICATE: &str = "https://strongroom.dev/attestation/signature/v1";

/// One subject: an artifact name and its digests (`{"sha256": "<hex>"}`). The name is optional
/// in Statement v1 (empty here when absent); subjects are matched by digest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Subject {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    pub fn new(name: impl Into<String>, digests: &[&Digest]) -> Self {
        Subject {
            name: name.into(),
            digest: digests
                .iter()
                .map(|d| (d.alg().intoto_name().to_owned(), d.to_hex()))
                .collect(),
        }
    }

    /// True if this subject names `digest` (same algorithm, same value).
    pub fn matches(&self, digest: &Digest) -> bool {
        self.digest
            .get(digest.alg().intoto_name())
            .is_some_and(|hex| hex.eq_ignore_ascii_case(&digest.to_hex()))
    }
}

/// A statement as serialised.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: serde_json::Value,
}

impl Statement {
    /// A v1 statement over `subjects`.
    pub fn new(
        subject: Vec<Subject>,
        predicate_type: impl Into<String>,
        predicate: serde_json::Value,
    ) -> Self {
        Statement {
            type_: STATEMENT_V1.to_owned(),
            subject,
            predicate_type: predicate_type.into(),
            predicate,
        }
    }

    /// Compact JSON, the DSSE payload.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a statement always serialises")
    }
}

/// Why a payload is not a usable in-toto statement.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatementError {
    #[error("the payload is not an in-toto statement: {0}")]
    NotJson(String),
    #[error("unknown statement _type {0:?} (expected {STATEMENT_V1})")]
    UnknownType(String),
    #[error("the statement has no subjects")]
    NoSubjects,
    #[error("subject {index} ({name:?}) has no digest")]
    SubjectWithoutDigest { index: usize, name: String },
    #[error("the statement has no predicateType")]
    NoPredicateType,
    #[error("the predicate must be a JSON object")]
    PredicateNotObject,
}

/// A statement that passed the shape checks of the in-toto v1 spec.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedStatement(Statement);

impl CheckedStatement {
    pub fn parse(payload: &[u8]) -> Result<Self, StatementError> {
        let st: Statement =
            serde_json::from_slice(payload).map_err(|e| StatementError::NotJson(e.to_string()))?;
        if st.type_ != STATEMENT_V1 && st.type_ != STATEMENT_V0_1 {
            return Err(StatementError::UnknownType(st.type_));
        }
        if st.subject.is_empty() {
            return Err(StatementError::NoSubjects);
        }
        if let Some((index, s)) = st
            .subject
            .iter()
            .enumerate()
            .find(|(_, s)| s.digest.is_empty())
        {
            return Err(StatementError::SubjectWithoutDigest {
                index,
                name: s.name.clone(),
            });
        }
        if st.predicate_type.is_empty() {
            return Err(StatementError::NoPredicateType);
        }
        if !(st.predicate.is_object() || st.predicate.is_null()) {
            return Err(StatementError::PredicateNotObject);
        }
        Ok(CheckedStatement(st))
    }

    pub fn statement(&self) -> &Statement {
        &self.0
    }

    /// The subject whose digest equals `digest`, if any.
    pub fn subject_for(&self, digest: &Digest) -> Option<&Subject> {
        self.0.subject.iter().find(|s| s.matches(digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::HashAlg;

    #[test]
    fn round_trip_and_subject_match() {
        let d = HashAlg::Sha256.hash(b"artifact");
        let st = Statement::new(
            vec![Subject::new("a.bin", &[&d])],
            ARTIFACT_SIGNATURE_PREDICATE,
            serde_json::json!({}),
        );
        let checked = CheckedStatement::parse(&st.to_json_bytes()).unwrap();
        assert_eq!(checked.subject_for(&d).unwrap().name, "a.bin");
        assert!(checked
            .subject_for(&HashAlg::Sha256.hash(b"other"))
            .is_none());
        let text = String::from_utf8(st.to_json_bytes()).unwrap();
        assert!(text.starts_with(r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.bin","digest":{"sha256":""#));
    }

    #[test]
    fn rejects_bad_shapes() {
        let bad = |s: &str| CheckedStatement::parse(s.as_bytes()).unwrap_err();
        assert!(matches!(bad("nope"), StatementError::NotJson(_)));
        assert!(matches!(
            bad(r#"{"_type":"x","subject":[],"predicateType":"p"}"#),
            StatementError::UnknownType(_)
        ));
        assert_eq!(
            bad(r#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p"}"#),
            StatementError::NoSubjects
        );
        assert!(matches!(
            bad(
                r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{}}],"predicateType":"p"}"#
            ),
            StatementError::SubjectWithoutDigest { index: 0, .. }
        ));
        assert_eq!(
            bad(
                r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"p","predicate":[1]}"#
            ),
            StatementError::PredicateNotObject
        );
    }

    #[test]
    fn a_subject_without_a_name_parses_and_matches_by_digest() {
        let d = HashAlg::Sha256.hash(b"a");
        let json = format!(
            r#"{{"_type":"{STATEMENT_V1}","subject":[{{"digest":{{"sha256":"{}"}}}}],"predicateType":"https://example.com/p","predicate":{{}}}}"#,
            d.to_hex()
        );
        let st = CheckedStatement::parse(json.as_bytes()).unwrap();
        let s = st.subject_for(&d).unwrap();
        assert_eq!(s.name, "");
        // Written back, it stays without a name.
        assert!(!serde_json::to_string(s).unwrap().contains("name"));
    }
}
