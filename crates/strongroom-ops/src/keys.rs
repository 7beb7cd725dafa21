//! Key use cases: generating software keys, listing the inventory, exporting public keys, and
//! unlocking a key for signing.

use secrecy::{ExposeSecret, SecretString};
use strongroom_core::keyref::{check_label, KeyRef};
use strongroom_core::AuditEvent;
use strongroom_core::{Algorithm, PublicKey, Purpose, Signer, SoftwareKey};
use strongroom_store::state::Change;
use strongroom_store::{keyfile, Backend, KeyRecord, KeyRow, KeyStatus, NewKey, StoreError};

use crate::dto::KeyInfo;
use crate::operators::Action;
use crate::{Callbacks, OpsError, SecretRequest, Station};

/// Shortest passphrase accepted for a new software key.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// A request to generate a key.
#[derive(Clone, Debug)]
pub struct GenerateKey {
    pub label: String,
    pub algorithm: Algorithm,
    /// The one kind of signature the key will make.
    pub purpose: Purpose,
}

/// Refuses a key whose purpose is not `needed`: a key signs for one purpose only, so that a
/// signature made for one can never be taken for another.
pub(crate) fn check_purpose(rec: &KeyRecord, needed: Purpose) -> Result<(), OpsError> {
    if rec.purpose == needed {
        Ok(())
    } else {
        Err(OpsError::WrongPurpose {
            key: rec.label.clone(),
            purpose: rec.purpose,
            needed,
        })
    }
}

/// An algorithm name as a person typed it (`ed25519`, `ecdsa-p256`, …); an unknown one is an
/// [`OpsError`] with a remedy, in the CLI and the app alike.
pub fn parse_algorithm(name: &str) -> Result<strongroom_core::Algorithm, OpsError> {
    Ok(name.parse::<strongroom_core::Algorithm>()?)
}

/// A revoked inventory key, and whether this station's trust store revoked it in the same act
/// (it does when it trusts the key and has not revoked it already).
#[derive(Clone, Debug)]
pub struct KeyRevocation {
    pub key: KeyInfo,
    pub trust_revoked: bool,
}

impl Station {
    /// Generates a software key, stores it age-encrypted under `keys/`, and records it.
    pub fn generate_software_key(
        &self,
        req: &GenerateKey,
        cb: &dyn Callbacks,
    ) -> Result<KeyInfo, OpsError> {
        self.require(Action::KeyGenerate)?;
        check_label(&req.label)?;
        if self.store.key_by_label(&req.label)?.is_some() {
            return Err(StoreError::LabelTaken(req.label.clone()).into());
        }
        let key = SoftwareKey::generate(req.algorithm)?;
        let passphrase = cb
            .secret(&SecretRequest::NewKeyPassphrase {
                label: req.label.clone(),
            })
            .ok_or_else(|| OpsError::NewSecretUnavailable {
                label: req.label.clone(),
            })?;
        if passphrase.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(OpsError::WeakPassphrase(format!(
                "fewer than {MIN_PASSPHRASE_CHARS} characters"
            )));
        }
        let file_name = format!("{}.age", key.public_key().key_id().to_hex());
        let path = self.store.key_dir().join(&file_name);
        keyfile::write(&path, &key, &passphrase)?;
        let row = KeyRow::new(&NewKey {
            label: &req.label,
            public_key: key.public_key(),
            backend: Backend::Software,
            location: &file_name,
            attributes: serde_json::json!({}),
            purpose: req.purpose,
        });
        let recorded = self.act(
            AuditEvent::KeyGenerate,
            &row.key_id,
            vec![Change::KeyPut { key: row.clone() }],
            serde_json::json!({"label": row.label, "algorithm": row.algorithm, "backend": "software", "purpose": req.purpose}),
        );
        match recorded {
            Ok(_) => Ok(KeyInfo::from(&row.record()?)),
            Err(e) => {
                // Never leave a key file without its inventory row.
                let _ = std::fs::remove_file(&path);
                Err(e)
            }
        }
    }

    /// Keys of a trust-deciding purpose (custodian, audit) that share a token with keys of
    /// another purpose: whoever can use the token's PIN for a release key can then sign trust
    /// packages or checkpoints outside Strongroom. One warning per such key.
    pub fn key_warnings(&self) -> Result<Vec<String>, OpsError> {
        self.require(Action::KeyList)?;
        let keys = self.store.list_keys()?;
        let token = |k: &KeyRecord| {
            (k.backend == Backend::Pkcs11)
                .then(|| k.attributes["token_serial"].as_str().map(str::to_owned))
                .flatten()
        };
        let mut out = Vec::new();
        for k in keys.iter().filter(|k| k.purpose.guards_trust()) {
            let Some(serial) = token(k) else { continue };
            let others: Vec<&str> = keys
                .iter()
                .filter(|o| o.purpose != k.purpose && token(o).as_deref() == Some(&serial))
                .map(|o| o.label.as_str())
                .collect();
            if !others.is_empty() {
                out.push(format!(
                    "the {} key {:?} shares token {} with {} ({}): one PIN unlocks them all, so whoever signs with those can sign {} too; keep {} keys on a token of their own (docs/security.md)",
                    k.purpose,
                    k.label,
                    k.attributes["token"].as_str().unwrap_or(&serial),
                    if others.len() == 1 { "the key" } else { "the keys" },
                    others.join(", "),
                    k.purpose.signs(),
                    k.purpose
                ));
            }
        }
        Ok(out)
    }

    /// The whole inventory, oldest first.
    pub fn list_keys(&self) -> Result<Vec<KeyInfo>, OpsError> {
        self.require(Action::KeyList)?;
        let holders: std::collections::BTreeMap<String, String> = self
            .verified()
            .state
            .trust
            .keys
            .iter()
            .map(|t| (t.key_id.clone(), t.holder.clone()))
            .collect();
        Ok(self
            .store
            .list_keys()?
            .iter()
            .map(|r| KeyInfo {
                holder: holders.get(r.key_id.as_str()).cloned(),
                ..KeyInfo::from(r)
            })
            .collect())
    }

    /// Resolves a `--key` argument (label or key id) to its inventory row.
    pub fn find_key(&self, key: &str) -> Result<KeyRecord, OpsError> {
        self.require(Action::KeyShow)?;
        self.lookup_key(key)
    }

    /// [`Station::find_key`] without the role check, for operations that checked their own.
    pub(crate) fn lookup_key(&self, key: &str) -> Result<KeyRecord, OpsError> {
        match self.store.find_key(&KeyRef::parse(key)?) {
            Err(StoreError::KeyNotFound(_)) => {
                let labels: Vec<String> = self
                    .store
                    .list_keys()?
                    .into_iter()
                    .map(|k| k.label)
                    .collect();
                Err(OpsError::NoSuchKey {
                    key: key.to_owned(),
                    suggestion: crate::util::did_you_mean(key, &labels),
                })
            }
            found => Ok(found?),
        }
    }

    /// Whether the inventory holds `key` (a label or key id). Needs no role: it tells only
    /// whether a name is taken, so that `verify --key NAME` can prefer the inventory over a
    /// file of the same name before anyone logs in.
    pub fn has_key(&self, key: &str) -> Result<bool, OpsError> {
        match KeyRef::parse(key) {
            Ok(KeyRef::Pkcs11Uri(_)) | Err(_) => Ok(false),
            Ok(r) => match self.store.find_key(&r) {
                Ok(_) => Ok(true),
                Err(StoreError::KeyNotFound(_)) => Ok(false),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// The public key of an inventory key as PEM, for publishing (recorded in the audit log).
    pub fn export_public_key(&self, key: &str) -> Result<String, OpsError> {
        self.require(Action::KeyExport)?;
        let rec = self.lookup_key(key)?;
        self.record(
            AuditEvent::KeyExport,
            rec.key_id.as_str(),
            crate::AuditOutcome::Ok,
            serde_json::json!({"label": rec.label}),
        )?;
        Ok(rec.public_key.to_pem())
    }

    /// [`Station::export_public_key`] written to `path` atomically, over an existing file only
    /// when `replace` (see [`Station::output_file`]).
    pub fn save_public_key(
        &self,
        key: &str,
        path: &std::path::Path,
        replace: bool,
    ) -> Result<(), OpsError> {
        self.require(Action::KeyExport)?;
        let overwrite = self.output_file(path, replace)?;
        let pem = self.export_public_key(key)?;
        strongroom_store::fsutil::write_atomic(path, overwrite, |f| {
            std::io::Write::write_all(f, pem.as_bytes())
        })?;
        Ok(())
    }

    /// Retires a key: it stays in the inventory (its signatures still verify) but signs nothing
    /// more. The change and its audit row are one transaction.
    pub fn retire_key(&self, key: &str) -> Result<KeyInfo, OpsError> {
        self.require(Action::KeyRetire)?;
        self.set_status(
            key,
            KeyStatus::Retired,
            AuditEvent::KeyRetire,
            serde_json::json!({}),
        )
    }

    /// Revokes a key (lost, compromised): it signs nothing more, and `reason` is recorded. Trust
    /// stores elsewhere learn of it through `trust revoke` and a new trust package.
    /// Revokes a key of the inventory and, in the same act, in this station's trust store when
    /// it trusts the key (from now on; signatures made before stand, flagged). Other stations
    /// learn of it only from a new trust package.
    pub fn revoke_key(&self, key: &str, reason: &str) -> Result<KeyRevocation, OpsError> {
        self.require(Action::KeyRevoke)?;
        if reason.trim().is_empty() {
            return Err(OpsError::BadInput(
                "give a reason for the revocation (it goes into the audit log)".into(),
            ));
        }
        let rec = self.lookup_key(key)?;
        let row = Self::status_change(&rec, KeyStatus::Revoked)?;
        let now = crate::trust::now();
        let trust = self.trust_set()?;
        let trusted = trust.key(&rec.key_id).is_some();
        let already = trust
            .revocation(&rec.key_id)
            .is_some_and(|r| r.revoked_at <= now);
        let mut changes = vec![Change::KeyPut { key: row.clone() }];
        if trusted && !already {
            changes.push(Change::TrustRevoke {
                revocation: strongroom_store::trust::RevocationRow::of(
                    &strongroom_policy::Revocation {
                        key_id: rec.key_id.clone(),
                        revoked_at: now,
                        reason: reason.trim().to_owned(),
                    },
                ),
            });
        }
        self.act(
            AuditEvent::KeyRevoke,
            rec.key_id.as_str(),
            changes,
            serde_json::json!({"label": rec.label, "reason": reason,
                "trust_revoked": trusted && !already, "revoked_at": now.to_string()}),
        )
        .inspect_err(|e| self.record_failure(AuditEvent::KeyRevoke, rec.key_id.as_str(), e))?;
        Ok(KeyRevocation {
            key: KeyInfo::from(&row.record()?),
            trust_revoked: trusted && !already,
        })
    }

    pub(crate) fn set_status(
        &self,
        key: &str,
        status: KeyStatus,
        action: AuditEvent,
        details: serde_json::Value,
    ) -> Result<KeyInfo, OpsError> {
        let rec = self.lookup_key(key)?;
        let mut details = details;
        details["label"] = rec.label.clone().into();
        let row = Self::status_change(&rec, status)?;
        self.act(
            action,
            rec.key_id.as_str(),
            vec![Change::KeyPut { key: row.clone() }],
            details,
        )
        .inspect_err(|e| self.record_failure(action, rec.key_id.as_str(), e))?;
        Ok(KeyInfo::from(&row.record()?))
    }

    /// The inventory row of `rec` moved to `status` (active → retired or revoked, retired →
    /// revoked; a revoked key stays revoked).
    pub(crate) fn status_change(rec: &KeyRecord, status: KeyStatus) -> Result<KeyRow, OpsError> {
        let allowed = matches!(
            (rec.status, status),
            (KeyStatus::Active, KeyStatus::Retired | KeyStatus::Revoked)
                | (KeyStatus::Retired, KeyStatus::Revoked)
        );
        if !allowed {
            return Err(StoreError::KeyStatus {
                label: rec.label.clone(),
                from: rec.status.as_str().to_owned(),
                to: status.as_str().to_owned(),
            }
            .into());
        }
        Ok(rec.row_with_status(status))
    }

    /// The public key of an inventory key.
    pub fn public_key(&self, key: &str) -> Result<PublicKey, OpsError> {
        Ok(self.find_key(key)?.public_key)
    }

    /// A signer for a `--key` argument of the given purpose: an inventory label or key id
    /// (software or token key), or a `pkcs11:` URI naming a token key the inventory holds.
    /// `pin-value` in a URI is accepted only with `allow_pin_in_uri`. A key of another
    /// purpose, or one the inventory does not hold (so whose purpose is unknown), is refused.
    pub(crate) fn signer_for(
        &self,
        key: &str,
        purpose: Purpose,
        allow_pin_in_uri: bool,
        cb: &dyn Callbacks,
    ) -> Result<Box<dyn Signer>, OpsError> {
        match KeyRef::parse(key)? {
            KeyRef::Pkcs11Uri(uri) => {
                let uri = strongroom_hsm::Pkcs11Uri::parse(&uri, allow_pin_in_uri)
                    .map_err(strongroom_hsm::HsmError::from)?;
                let signer = self.unlock_uri(&uri, cb)?;
                let id = signer.key().public_key.key_id();
                let rec = self
                    .store
                    .key_by_id(&id)?
                    .ok_or_else(|| OpsError::UnknownKeyPurpose(uri.to_string_without_pin()))?;
                check_purpose(&rec, purpose)?;
                Self::check_active(&rec)?;
                Ok(Box::new(signer))
            }
            other => {
                let rec = self.store.find_key(&other)?;
                check_purpose(&rec, purpose)?;
                Self::check_active(&rec)?;
                self.unlock(&rec, cb)
            }
        }
    }

    /// What [`Station::signer_for`] checks before it unlocks anything, for a key named by label
    /// or key id: it exists, is active and has `purpose`. (A URI names a token key, known only
    /// once the token is open.) Lets a command refuse before doing its work.
    pub(crate) fn precheck_key(&self, key: &str, purpose: Purpose) -> Result<(), OpsError> {
        match KeyRef::parse(key)? {
            KeyRef::Pkcs11Uri(_) => Ok(()),
            other => {
                let rec = self.store.find_key(&other)?;
                check_purpose(&rec, purpose)?;
                Self::check_active(&rec)
            }
        }
    }

    fn check_active(rec: &KeyRecord) -> Result<(), OpsError> {
        if rec.status != KeyStatus::Active {
            return Err(OpsError::KeyNotActive {
                label: rec.label.clone(),
                status: rec.status.as_str().to_owned(),
            });
        }
        Ok(())
    }

    /// Full details of one inventory key.
    pub fn show_key(&self, key: &str) -> Result<KeyInfo, OpsError> {
        Ok(KeyInfo::from(&self.find_key(key)?))
    }

    /// Unlocks a key for signing, asking for its passphrase or PIN through `cb`.
    pub(crate) fn unlock(
        &self,
        rec: &KeyRecord,
        cb: &dyn Callbacks,
    ) -> Result<Box<dyn Signer>, OpsError> {
        match rec.backend {
            Backend::Software => Ok(Box::new(self.unlock_software_key(rec, cb)?)),
            Backend::Pkcs11 => Ok(Box::new(self.unlock_token_key(rec, cb)?)),
        }
    }

    /// Decrypts a software key's file with its passphrase, asked through `cb`.
    pub(crate) fn unlock_software_key(
        &self,
        rec: &KeyRecord,
        cb: &dyn Callbacks,
    ) -> Result<SoftwareKey, OpsError> {
        let passphrase: SecretString = cb
            .secret(&SecretRequest::KeyPassphrase {
                label: rec.label.clone(),
            })
            .ok_or_else(|| OpsError::SecretUnavailable {
                what: format!("the passphrase of key {:?}", rec.label),
            })?;
        let key = keyfile::read(&self.store.key_dir().join(&rec.location), &passphrase)?;
        if key.public_key() != &rec.public_key {
            return Err(StoreError::KeyFile {
                path: self.store.key_dir().join(&rec.location),
                reason: "the file holds a different key than the inventory records".into(),
            }
            .into());
        }
        Ok(key)
    }
}
