//! Key ceremony records: what each step of a scripted ceremony did (who acted, who consented,
//! when, on which token, with which key attributes and SPKI fingerprint, what it wrote), chained
//! step to step by hash so that a step removed or moved breaks the record; the in-toto
//! statement that carries them; and its check against the participants' keys. The record is a
//! DSSE envelope with one signature per participant, so any DSSE verifier can check it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::dsse::{pae, Envelope, EnvelopeJson, INTOTO_PAYLOAD_TYPE};
use crate::intoto::{Statement, Subject};
use crate::keys::PublicKey;
use crate::{Digest, HashAlg, SignError, Signer};

/// The predicate type of a ceremony record.
pub const CEREMONY_PREDICATE: &str = "https://strongroom.dev/attestation/ceremony/v1";

/// A key a step made or used, as its token described it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StepKey {
    pub label: String,
    /// Strongroom key id (base64 SHA-256 of the DER SPKI): the SPKI's fingerprint.
    pub key_id: String,
    pub algorithm: String,
    /// `CKA_*` attributes by name, for token keys.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, bool>,
}

/// A file a step wrote, by SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StepOutput {
    pub name: String,
    pub sha256: String,
}

/// What one step did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StepRecord {
    /// 1, 2, … in the order they ran.
    pub number: u32,
    /// The step's act (`init-token`, `generate-key`, …) and its title.
    pub act: String,
    pub title: String,
    /// The role the step needs, and how many distinct custodians had to consent.
    pub role: String,
    pub quorum: u8,
    /// The operator who ran it, and every operator who consented (the operator first).
    pub operator: String,
    pub consenting: Vec<String>,
    /// RFC 3339, the station's clock.
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<StepKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<StepOutput>,
    /// Hex SHA-256 of the previous step's record (empty for the first step).
    pub previous: String,
}

impl StepRecord {
    /// Hex SHA-256 of the step's canonical JSON: what the next step names as `previous`.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(
            serde_json::to_vec(self).expect("plain data serialises"),
        ))
    }
}

/// The predicate of a ceremony record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CeremonyPredicate {
    pub name: String,
    /// Hex SHA-256 of the script that was run.
    pub script_sha256: String,
    /// The operators who took part, each with the key that signs the record.
    pub participants: Vec<Participant>,
    pub steps: Vec<StepRecord>,
}

/// An operator who signs the record, and their key's id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub operator: String,
    pub key_id: String,
}

/// Why a record does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CeremonyError {
    #[error("not a ceremony record: {0}")]
    NotARecord(String),
    #[error("step {number} is out of place: the record's steps are numbered 1, 2, … in order, and step {number} stands at position {position}")]
    OutOfOrder { number: u32, position: usize },
    #[error("the record's chain is broken before step {number}: it does not name the step before it (a step was removed, added or reordered)")]
    BrokenChain { number: u32 },
    #[error("no signature by {who} (key {key_id}) verifies over the record")]
    NotSignedBy { who: String, key_id: String },
    #[error("the record names no participant whose key is {key_id}")]
    NotAParticipant { key_id: String },
    #[error("no public key was given for participant {who} (key {key_id}): every participant's key is needed")]
    MissingKey { who: String, key_id: String },
}

/// Links `steps` by hash (each names the one before it), in order.
pub fn chain(steps: &mut [StepRecord]) {
    let mut previous = String::new();
    for (i, s) in steps.iter_mut().enumerate() {
        s.number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        s.previous = previous;
        previous = s.digest();
    }
}

/// Checks that `steps` are numbered in order and each names the one before it.
pub fn check_chain(steps: &[StepRecord]) -> Result<(), CeremonyError> {
    let mut previous = String::new();
    for (i, s) in steps.iter().enumerate() {
        if usize::try_from(s.number).ok() != Some(i + 1) {
            return Err(CeremonyError::OutOfOrder {
                number: s.number,
                position: i + 1,
            });
        }
        if s.previous != previous {
            return Err(CeremonyError::BrokenChain { number: s.number });
        }
        previous = s.digest();
    }
    Ok(())
}

/// The statement of a ceremony: its subjects are the script and every file the steps wrote.
pub fn statement(predicate: &CeremonyPredicate, script_name: &str) -> Statement {
    let mut subjects = vec![Subject::new(
        script_name,
        &[&Digest::from_hex(HashAlg::Sha256, &predicate.script_sha256)
            .expect("a SHA-256 we computed")],
    )];
    for s in &predicate.steps {
        for o in &s.outputs {
            if let Some(d) = Digest::from_hex(HashAlg::Sha256, &o.sha256) {
                subjects.push(Subject::new(o.name.clone(), &[&d]));
            }
        }
    }
    Statement::new(
        subjects,
        CEREMONY_PREDICATE,
        serde_json::to_value(predicate).expect("plain data serialises"),
    )
}

/// Signs the statement with every participant's key: one DSSE envelope, one signature each.
pub fn sign(statement: &Statement, signers: &[&dyn Signer]) -> Result<EnvelopeJson, SignError> {
    let payload = statement.to_json_bytes();
    let mut env: Option<Envelope> = None;
    for s in signers {
        let one = Envelope::sign(*s, INTOTO_PAYLOAD_TYPE, payload.clone())?;
        match &mut env {
            None => env = Some(one),
            Some(e) => e.signatures.extend(one.signatures),
        }
    }
    Ok(env
        .expect("a ceremony has at least one participant")
        .to_json())
}

/// Verifies a record: `keys` are exactly the participants' keys (each given key a participant's,
/// every participant's key given), each signed it, the statement is a ceremony record, and its
/// steps are whole and in order. Returns the predicate.
pub fn verify(envelope: &Envelope, keys: &[PublicKey]) -> Result<CeremonyPredicate, CeremonyError> {
    if envelope.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(CeremonyError::NotARecord(format!(
            "its payload type is {:?}",
            envelope.payload_type
        )));
    }
    let st: serde_json::Value = serde_json::from_slice(&envelope.payload)
        .map_err(|e| CeremonyError::NotARecord(e.to_string()))?;
    if st["predicateType"] != CEREMONY_PREDICATE {
        return Err(CeremonyError::NotARecord(format!(
            "its predicate type is {}",
            st["predicateType"]
        )));
    }
    let predicate: CeremonyPredicate = serde_json::from_value(st["predicate"].clone())
        .map_err(|e| CeremonyError::NotARecord(e.to_string()))?;
    let message = pae(&envelope.payload_type, &envelope.payload);
    let mut ids: Vec<&str> = predicate
        .participants
        .iter()
        .map(|p| p.key_id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != predicate.participants.len() || ids.is_empty() {
        return Err(CeremonyError::NotARecord(
            "its participants are none, or two of them share a key".into(),
        ));
    }
    for k in keys {
        let id = k.key_id().to_string();
        if !predicate.participants.iter().any(|p| p.key_id == id) {
            return Err(CeremonyError::NotAParticipant { key_id: id });
        }
    }
    for p in &predicate.participants {
        let k = keys
            .iter()
            .find(|k| k.key_id().to_string() == p.key_id)
            .ok_or_else(|| CeremonyError::MissingKey {
                who: p.operator.clone(),
                key_id: p.key_id.clone(),
            })?;
        if !envelope
            .signatures
            .iter()
            .any(|s| k.verify_dsse(&message, &s.sig).is_ok())
        {
            return Err(CeremonyError::NotSignedBy {
                who: p.operator.clone(),
                key_id: p.key_id.clone(),
            });
        }
    }
    check_chain(&predicate.steps)?;
    Ok(predicate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, SoftwareKey};

    fn step(act: &str) -> StepRecord {
        StepRecord {
            number: 0,
            act: act.into(),
            title: act.into(),
            role: "custodian".into(),
            quorum: 2,
            operator: "alice".into(),
            consenting: vec!["alice".into(), "bob".into()],
            time: "2026-12-07T10:00:00Z".into(),
            token_serial: None,
            key: None,
            outputs: Vec::new(),
            previous: String::new(),
        }
    }

    fn record() -> (Envelope, Vec<SoftwareKey>, CeremonyPredicate) {
        let keys = vec![
            SoftwareKey::generate(Algorithm::Ed25519).unwrap(),
            SoftwareKey::generate(Algorithm::EcdsaP256).unwrap(),
        ];
        let mut steps = vec![step("init-token"), step("generate-key"), step("backup-key")];
        chain(&mut steps);
        let predicate = CeremonyPredicate {
            name: "test".into(),
            script_sha256: hex::encode(Sha256::digest(b"script")),
            participants: vec![
                Participant {
                    operator: "alice".into(),
                    key_id: keys[0].public_key().key_id().to_string(),
                },
                Participant {
                    operator: "bob".into(),
                    key_id: keys[1].public_key().key_id().to_string(),
                },
            ],
            steps,
        };
        let st = statement(&predicate, "ceremony.toml");
        let signers: Vec<&dyn Signer> = keys.iter().map(|k| k as &dyn Signer).collect();
        let env = Envelope::from_json(&sign(&st, &signers).unwrap()).unwrap();
        (env, keys, predicate)
    }

    fn resign(pred: &CeremonyPredicate, keys: &[SoftwareKey]) -> Envelope {
        let st = statement(pred, "ceremony.toml");
        let signers: Vec<&dyn Signer> = keys.iter().map(|k| k as &dyn Signer).collect();
        Envelope::from_json(&sign(&st, &signers).unwrap()).unwrap()
    }

    #[test]
    fn a_record_verifies_with_every_participants_key() {
        let (env, keys, pred) = record();
        let pks: Vec<PublicKey> = keys.iter().map(|k| k.public_key().clone()).collect();
        assert_eq!(verify(&env, &pks).unwrap(), pred);
        let stranger = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        assert!(matches!(
            verify(&env, &[stranger.public_key().clone()]),
            Err(CeremonyError::NotAParticipant { .. })
        ));
    }

    #[test]
    fn a_step_removed_or_reordered_breaks_the_record_even_when_signed_again() {
        let (_, keys, pred) = record();
        let pks: Vec<PublicKey> = keys.iter().map(|k| k.public_key().clone()).collect();
        let mut removed = pred.clone();
        removed.steps.remove(1);
        removed.steps[1].number = 2;
        assert_eq!(
            verify(&resign(&removed, &keys), &pks).unwrap_err(),
            CeremonyError::BrokenChain { number: 2 }
        );
        let mut swapped = pred.clone();
        swapped.steps.swap(0, 1);
        assert!(matches!(
            verify(&resign(&swapped, &keys), &pks).unwrap_err(),
            CeremonyError::OutOfOrder { .. }
        ));
    }

    #[test]
    fn an_edited_payload_fails_the_signatures() {
        let (mut env, keys, _) = record();
        let text = String::from_utf8(env.payload.clone()).unwrap();
        env.payload = text.replace("alice", "mallory").into_bytes();
        let pks: Vec<PublicKey> = keys.iter().map(|k| k.public_key().clone()).collect();
        assert!(verify(&env, &pks).is_err());
    }
}
