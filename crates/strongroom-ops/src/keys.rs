//! Key use cases: generating software keys, listing the inventory, exporting public keys, and
//! unlocking a key for signing.

use secrecy::{ExposeSecret, SecretString};
use strongroom_core::keyref::{check_label, KeyRef};
use strongroom_core::{Algorithm, PublicKey, Signer, SoftwareKey};
use strongroom_store::{keyfile, Backend, KeyRecord, KeyStatus, NewKey, StoreError};

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
            .ok_or_else(|| OpsError::SecretUnavailable {
                what: format!("a passphrase for the new key {:?}", req.label),
            })?;
        if passphrase.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(OpsError::WeakPassphrase(format!(
                "fewer than {MIN_PASSPHRASE_CHARS} characters"
            )));
        }
        let file_name = format!(
            "{}.age",
            hex::encode(
                strongroom_core::HashAlg::Sha256
                    .hash(&key.public_key().to_spki_der())
                    .as_bytes()
            )
        );
        let path = self.store.key_dir().join(&file_name);
        keyfile::write(&path, &key, &passphrase)?;
        let inserted = self.store.insert_key(&NewKey {
            label: &req.label,
            public_key: key.public_key(),
            backend: Backend::Software,
            location: &file_name,
            attributes: serde_json::json!({}),
        });
        match inserted {
            Ok(rec) => {
                self.record(
                    "key.generate",
                    rec.key_id.as_str(),
                    crate::audit::Outcome::Ok,
                    serde_json::json!({"label": rec.label, "algorithm": rec.algorithm.to_string(), "backend": "software"}),
                )?;
                Ok(KeyInfo::from(&rec))
            }
            Err(e) => {
                // Never leave a key file without its inventory row.
                let _ = std::fs::remove_file(&path);
                Err(e.into())
            }
        }
    }

    /// The whole inventory, oldest first.
    pub fn list_keys(&self) -> Result<Vec<KeyInfo>, OpsError> {
        self.require(Action::KeyList)?;
        Ok(self.store.list_keys()?.iter().map(KeyInfo::from).collect())
    }

    /// Resolves a `--key` argument (label or key id) to its inventory row.
    pub fn find_key(&self, key: &str) -> Result<KeyRecord, OpsError> {
        self.require(Action::KeyShow)?;
        self.lookup_key(key)
    }

    /// [`Station::find_key`] without the role check, for operations that checked their own.
    pub(crate) fn lookup_key(&self, key: &str) -> Result<KeyRecord, OpsError> {
        Ok(self.store.find_key(&KeyRef::parse(key)?)?)
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
            "key.export",
            rec.key_id.as_str(),
            crate::audit::Outcome::Ok,
            serde_json::json!({"label": rec.label}),
        )?;
        Ok(rec.public_key.to_pem())
    }

    /// [`Station::export_public_key`] written to `path` atomically, never over an existing file.
    pub fn save_public_key(&self, key: &str, path: &std::path::Path) -> Result<(), OpsError> {
        if path.symlink_metadata().is_ok() {
            return Err(OpsError::OutputExists(path.to_owned()));
        }
        let pem = self.export_public_key(key)?;
        strongroom_store::fsutil::write_atomic(
            path,
            strongroom_store::fsutil::Overwrite::Refuse,
            |f| std::io::Write::write_all(f, pem.as_bytes()),
        )?;
        Ok(())
    }

    /// Retires a key: it stays in the inventory (its signatures still verify) but signs nothing
    /// more. The change and its audit row are one transaction.
    pub fn retire_key(&self, key: &str) -> Result<KeyInfo, OpsError> {
        self.require(Action::KeyRetire)?;
        self.set_status(key, KeyStatus::Retired, "key.retire", serde_json::json!({}))
    }

    /// Revokes a key (lost, compromised): it signs nothing more, and `reason` is recorded. Trust
    /// stores elsewhere learn of it through `trust revoke` and a new trust package.
    pub fn revoke_key(&self, key: &str, reason: &str) -> Result<KeyInfo, OpsError> {
        self.require(Action::KeyRevoke)?;
        if reason.trim().is_empty() {
            return Err(OpsError::BadInput(
                "give a reason for the revocation (it goes into the audit log)".into(),
            ));
        }
        self.set_status(
            key,
            KeyStatus::Revoked,
            "key.revoke",
            serde_json::json!({"reason": reason}),
        )
    }

    pub(crate) fn set_status(
        &self,
        key: &str,
        status: KeyStatus,
        action: &str,
        details: serde_json::Value,
    ) -> Result<KeyInfo, OpsError> {
        let rec = self.lookup_key(key)?;
        let mut details = details;
        details["label"] = rec.label.clone().into();
        let rec = self.store.set_key_status(
            &rec.label,
            status,
            &strongroom_store::audit::NewAuditRow {
                operator: &self.operator,
                action,
                object: rec.key_id.as_str(),
                outcome: crate::audit::Outcome::Ok.as_str(),
                details,
            },
        )?;
        Ok(KeyInfo::from(&rec))
    }

    /// The public key of an inventory key.
    pub fn public_key(&self, key: &str) -> Result<PublicKey, OpsError> {
        Ok(self.find_key(key)?.public_key)
    }

    /// A signer for a `--key` argument: an inventory label or key id (software or token key), or
    /// a `pkcs11:` URI. `pin-value` in a URI is accepted only with `allow_pin_in_uri`.
    pub(crate) fn signer_for(
        &self,
        key: &str,
        allow_pin_in_uri: bool,
        cb: &dyn Callbacks,
    ) -> Result<Box<dyn Signer>, OpsError> {
        match KeyRef::parse(key)? {
            KeyRef::Pkcs11Uri(uri) => {
                let uri = strongroom_hsm::Pkcs11Uri::parse(&uri, allow_pin_in_uri)
                    .map_err(strongroom_hsm::HsmError::from)?;
                Ok(Box::new(self.unlock_uri(&uri, cb)?))
            }
            other => {
                let rec = self.store.find_key(&other)?;
                if rec.status != KeyStatus::Active {
                    return Err(OpsError::KeyNotActive {
                        label: rec.label,
                        status: rec.status.as_str().to_owned(),
                    });
                }
                self.unlock(&rec, cb)
            }
        }
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
            Backend::Software => {
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
                Ok(Box::new(key))
            }
            Backend::Pkcs11 => Ok(Box::new(self.unlock_token_key(rec, cb)?)),
        }
    }
}
