//! Key rotation: a new key on the same backend and for the same purpose as the old one, vouched
//! for by the old key in a signed in-toto statement, and the old key retired in the same step.
//!
//! The statement is a Sigstore bundle (DSSE, in-toto Statement v1) whose one subject is the new
//! key's PEM file, so anyone holding the old public key can check the new one with any DSSE or
//! Sigstore verifier: `strongroom verify --key OLD.pem --type key-rotation --bundle
//! NEW.rotation.sigstore.json NEW.pub.pem`.

use std::path::{Path, PathBuf};
use strongroom_core::AuditEvent;

use serde::Serialize;
use strongroom_core::bundle::BundleJson;
use strongroom_core::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use strongroom_core::intoto::{Statement, Subject};
use strongroom_core::{HashAlg, Signer};
use strongroom_store::fsutil::{write_atomic, Overwrite};
use strongroom_store::{Backend, KeyRecord, KeyStatus};

use strongroom_policy::{NewTrustedKey, TrustedKey};
use strongroom_store::state::Change;

use crate::dto::KeyInfo;
use crate::keys::GenerateKey;
use crate::operators::Action;
use crate::trust::TrustedKeyInfo;
use crate::{Callbacks, OpsError, Station};

/// The predicate type of a rotation statement.
pub const KEY_ROTATION_PREDICATE: &str = "https://strongroom.dev/attestation/key-rotation/v1";

/// A request to rotate a key.
#[derive(Clone, Debug)]
pub struct RotateKey {
    /// The key to replace: label or key id. It must be active.
    pub key: String,
    /// The label of the new key.
    pub new_label: String,
    /// Where to write `NEW.pub.pem` and `NEW.rotation.sigstore.json` (never over existing files).
    pub out_dir: PathBuf,
    /// Trust the new key in this station's trust store as the old one is trusted (same
    /// purpose, stages and holder, under the new label), in the same act that retires the old
    /// key. Refused before anything happens when the old key is not trusted here.
    pub carry_trust: bool,
}

/// What a rotation did.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Rotated {
    /// The old key, now retired.
    pub old: KeyInfo,
    /// The new key, active.
    pub new: KeyInfo,
    /// The file holding the new public key (PEM SPKI), the statement's subject.
    pub public_key: String,
    /// The file holding the rotation statement, signed by the old key.
    pub statement: String,
    /// The successor's trust-store entry, when the old key's trust was carried over.
    pub trusted: Option<TrustedKeyInfo>,
}

impl RotateKey {
    fn outputs(&self) -> (PathBuf, PathBuf) {
        (
            self.out_dir.join(format!("{}.pub.pem", self.new_label)),
            self.out_dir
                .join(format!("{}.rotation.sigstore.json", self.new_label)),
        )
    }
}

impl Station {
    /// Rotates a key: generates its successor on the same backend (the same token for a token
    /// key, with the same algorithm), signs a statement introducing the new key with the old one,
    /// writes the new public key and the statement to `out_dir`, and retires the old key.
    ///
    /// Asks for the old key's passphrase or PIN (a token is opened once for both the signature
    /// and the generation) and, for software keys, a passphrase for the new key. The old key is
    /// retired, with the `key.rotate` audit row, only after both files are written; if anything
    /// fails before that, the old key stays active and the error says whether a new key exists.
    pub fn rotate_key(&self, req: &RotateKey, cb: &dyn Callbacks) -> Result<Rotated, OpsError> {
        self.require(Action::KeyRotate)?;
        let old = self.lookup_key(&req.key)?;
        if old.status != KeyStatus::Active {
            return Err(OpsError::KeyNotActive {
                label: old.label,
                status: old.status.as_str().to_owned(),
            });
        }
        self.check_new_label(&req.new_label)?;
        if !req.out_dir.is_dir() {
            return Err(OpsError::BadInput(format!(
                "{} is not a folder: choose where the new public key and the rotation statement go",
                req.out_dir.display()
            )));
        }
        let (pem_path, statement_path) = req.outputs();
        for p in [&pem_path, &statement_path] {
            self.output_file(p, false)?;
        }
        let carried = if req.carry_trust {
            Some(self.carried_trust(&old, &req.new_label)?)
        } else {
            None
        };
        // The consent given is for the rotation's own act, not for the key generated on the way.
        let consent = self.set_consent_aside();
        let made = self.successor(&old, &req.new_label, cb);
        self.restore_consent(consent);
        let (signer, new) = made
            .inspect_err(|e| self.record_failure(AuditEvent::KeyRotate, old.key_id.as_str(), e))?;
        let done = self
            .vouch(&old, &new, &*signer, &pem_path, &statement_path)
            .map_err(|e| OpsError::RotationIncomplete {
                old: old.label.clone(),
                new: new.label.clone(),
                cause: Box::new(e),
            })
            .inspect_err(|e| self.record_failure(AuditEvent::KeyRotate, old.key_id.as_str(), e))?;
        let details = serde_json::json!({
            "label": old.label,
            "new_key": new.key_id.as_str(),
            "new_label": new.label,
            "statement": statement_path.display().to_string(),
            "statement_sha256": done,
        });
        let (retired, trusted) = self
            .retire_rotated(&old, &new, carried.as_ref(), details)
            .map_err(|e| OpsError::RotationIncomplete {
                old: old.label.clone(),
                new: new.label.clone(),
                cause: Box::new(e),
            })
            .inspect_err(|e| self.record_failure(AuditEvent::KeyRotate, old.key_id.as_str(), e))?;
        Ok(Rotated {
            old: retired,
            new: KeyInfo::from(&new),
            public_key: pem_path.display().to_string(),
            statement: statement_path.display().to_string(),
            trusted,
        })
    }

    /// The old key's trust-store entry, to carry over to a successor labelled `new_label`:
    /// refused before anything is generated when there is none to carry or the name is taken.
    fn carried_trust(&self, old: &KeyRecord, new_label: &str) -> Result<TrustedKey, OpsError> {
        let set = self.trust_set()?;
        let Some(entry) = set.key(&old.key_id) else {
            return Err(OpsError::BadInput(format!(
                "{} is not in this station's trust store, so there is no trust to carry over; rotate without --carry-trust",
                old.label
            )));
        };
        if set.revocation(&old.key_id).is_some() {
            return Err(OpsError::BadInput(format!(
                "{} is revoked in this station's trust store; a revoked key's trust is not carried over",
                old.label
            )));
        }
        if set.keys().iter().any(|k| k.name() == new_label) {
            return Err(strongroom_store::StoreError::TrustNameTaken(new_label.to_owned()).into());
        }
        // Trusting an approver, custodian or audit key needs the quorum's consent: known now,
        // before a key is made or a statement signed.
        self.precheck_consent(
            AuditEvent::KeyRotate,
            crate::access::trusting_needs_quorum(entry.purpose()),
        )?;
        Ok(entry.clone())
    }

    /// Retires the old key and, with `carried`, trusts the new one as the old one was, in one
    /// act (one audit row, one quorum decision).
    fn retire_rotated(
        &self,
        old: &KeyRecord,
        new: &KeyRecord,
        carried: Option<&TrustedKey>,
        mut details: serde_json::Value,
    ) -> Result<(KeyInfo, Option<TrustedKeyInfo>), OpsError> {
        let row = Self::status_change(old, KeyStatus::Retired)?;
        let mut changes = vec![Change::KeyPut { key: row.clone() }];
        let trusted = match carried {
            Some(t) => {
                let (info, change, trust_details) = self.trust_addition(NewTrustedKey {
                    name: new.label.clone(),
                    pem: new.public_key.to_pem(),
                    stages: t.stages().to_vec(),
                    purpose: t.purpose(),
                    holder: t.holder().to_owned(),
                    not_before: None,
                    not_after: None,
                    added_at: crate::trust::now(),
                    added_by: self.operator.clone(),
                })?;
                changes.push(change);
                details["trust_carried"] = trust_details;
                Some(info)
            }
            None => None,
        };
        self.act(AuditEvent::KeyRotate, old.key_id.as_str(), changes, details)?;
        Ok((KeyInfo::from(&row.record()?), trusted))
    }

    /// Unlocks the old key and generates (and records) the new one beside it.
    fn successor(
        &self,
        old: &KeyRecord,
        label: &str,
        cb: &dyn Callbacks,
    ) -> Result<(Box<dyn Signer>, KeyRecord), OpsError> {
        match old.backend {
            Backend::Software => {
                let signer = self.unlock(old, cb)?;
                let new = self.generate_software_key(
                    &GenerateKey {
                        label: label.to_owned(),
                        algorithm: old.algorithm,
                        purpose: old.purpose,
                    },
                    cb,
                )?;
                Ok((signer, self.lookup_key(&new.label)?))
            }
            Backend::Pkcs11 => {
                self.require(Action::KeyGenerate)?;
                let signer = self.unlock_token_key(old, cb)?;
                let session = signer.session().clone();
                let key = session.generate_key(old.algorithm, label)?;
                let new = self.record_token_key(label, &key, session.module_path(), old.purpose)?;
                Ok((Box::new(signer), self.lookup_key(&new.label)?))
            }
        }
    }

    /// Signs the rotation statement with the old key and writes it and the new public key.
    /// Returns the statement's SHA-256.
    fn vouch(
        &self,
        old: &KeyRecord,
        new: &KeyRecord,
        signer: &dyn Signer,
        pem_path: &Path,
        statement_path: &Path,
    ) -> Result<String, OpsError> {
        let pem = new.public_key.to_pem();
        let name = pem_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let subject = Subject::new(name, &[&HashAlg::Sha256.hash(pem.as_bytes())]);
        let statement = Statement::new(
            vec![subject],
            KEY_ROTATION_PREDICATE,
            serde_json::json!({
                "previousKey": described(old),
                "newKey": described(new),
                "rotatedAt": strongroom_store::now_rfc3339(),
                "operator": self.operator,
            }),
        );
        let envelope = Envelope::sign(signer, INTOTO_PAYLOAD_TYPE, statement.to_json_bytes())?;
        let json = BundleJson::dsse(signer.public_key(), &envelope).to_pretty_json();
        write_atomic(pem_path, Overwrite::Refuse, |f| {
            std::io::Write::write_all(f, pem.as_bytes())
        })?;
        if let Err(e) = write_atomic(statement_path, Overwrite::Refuse, |f| {
            std::io::Write::write_all(f, json.as_bytes())
        }) {
            // Not a public key without the statement that vouches for it.
            let _ = std::fs::remove_file(pem_path);
            return Err(e.into());
        }
        Ok(HashAlg::Sha256.hash(json.as_bytes()).to_hex())
    }
}

/// A key as the rotation statement names it.
fn described(k: &KeyRecord) -> serde_json::Value {
    serde_json::json!({
        "label": k.label,
        "keyid": k.key_id.as_str(),
        "algorithm": k.algorithm.to_string(),
        "backend": k.backend.to_string(),
        "publicKey": k.public_key.to_pem(),
    })
}
