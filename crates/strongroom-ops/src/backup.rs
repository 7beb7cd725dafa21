//! Key backup and restore under a quorum of custodians: `key backup` wraps an inventory key
//! (a backup-able token key with the SO and user PINs, or a software key with its passphrase)
//! under a one-time AES-256 key and splits that key into share files; `key restore` rebuilds it
//! from enough shares and unwraps the key into a token (or, for a software key, a new key file).
//! Formats and checks are in `strongroom_core::backup`, token work in `strongroom_hsm::backup`.
//! The backup, each share's hand-over and the restore are audit rows.

use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use serde::Serialize;
use strongroom_core::backup::{BackupSource, KeyBackup, NewBackup, Share, WrappingKey};
use strongroom_core::{AuditEvent, Signer, SoftwareKey, Timestamp};
use strongroom_hsm::{HsmError, KeySelector, Pkcs11Uri, RestoreTarget, TokenSelector};
use strongroom_store::fsutil::{write_all_atomic, Overwrite};
use strongroom_store::state::Change;
use strongroom_store::{keyfile, Backend, KeyRecord, KeyRow, KeyStatus, NewKey, StoreError};

use crate::dto::KeyInfo;
use crate::keys::MIN_PASSPHRASE_CHARS;
use crate::operators::Action;
use crate::tokens::TokenTarget;
use crate::verify::read_capped;
use crate::{Callbacks, OpsError, SecretRequest, Station};

/// Largest backup file read (a wrapped RSA-16384 key is well under this).
const MAX_BACKUP_BYTES: u64 = 1 << 20;
/// Largest share file read.
const MAX_SHARE_BYTES: u64 = 64 << 10;

/// A request to back a key up.
#[derive(Clone, Debug)]
pub struct BackupKeyRequest {
    /// Inventory label or key id.
    pub key: String,
    pub shares: u8,
    pub threshold: u8,
    /// Who receives share 1, 2, …: recorded on the share and in its hand-over row. Empty, or
    /// one name per share.
    pub custodians: Vec<String>,
    /// Folder for `LABEL.backup.json` and the share files.
    pub output: PathBuf,
}

/// What `key backup` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct BackupOutcome {
    pub backup_id: String,
    pub key: KeyInfo,
    pub threshold: u8,
    pub backup_file: String,
    /// Share 1, 2, … in order.
    pub share_files: Vec<String>,
}

/// A request to restore a key from its backup file and shares.
#[derive(Clone, Debug)]
pub struct RestoreKeyRequest {
    pub backup: PathBuf,
    pub shares: Vec<PathBuf>,
    /// The token to restore into. Required for a token key's backup; without it a software
    /// key's backup becomes a new key file.
    pub target: Option<TokenTarget>,
}

/// What `key restore` did.
#[derive(Clone, Debug, Serialize)]
pub struct RestoreOutcome {
    pub backup_id: String,
    pub key: KeyInfo,
    /// The share numbers used.
    pub shares: Vec<u8>,
    /// The inventory already held the key (its token was lost): its record now points at the
    /// restored key.
    pub replaced: bool,
}

impl Station {
    /// Backs a key up to `req.shares` share files, any `req.threshold` of which restore it.
    pub fn backup_key(
        &self,
        req: &BackupKeyRequest,
        cb: &dyn Callbacks,
    ) -> Result<BackupOutcome, OpsError> {
        self.require(Action::KeyBackup)?;
        let rec = self.lookup_key(&req.key)?;
        // Whoever runs a backup holds every share for a moment: a custodian act of the quorum.
        self.precheck_consent(AuditEvent::KeyBackup, true)?;
        self.backup_key_unrecorded(&rec, req, cb)
            .inspect_err(|e| self.record_failure(AuditEvent::KeyBackup, &rec.label, e))
    }

    fn backup_key_unrecorded(
        &self,
        rec: &KeyRecord,
        req: &BackupKeyRequest,
        cb: &dyn Callbacks,
    ) -> Result<BackupOutcome, OpsError> {
        if !req.custodians.is_empty() && req.custodians.len() != usize::from(req.shares) {
            return Err(OpsError::BadInput(format!(
                "{} custodians named for {} shares: name one custodian per share, or none",
                req.custodians.len(),
                req.shares
            )));
        }
        self.output_dir(&req.output)?;
        if !req.output.is_dir() {
            return Err(OpsError::NotADirectory(req.output.clone()));
        }
        let kek = WrappingKey::generate();
        let values = kek.split(req.threshold, req.shares)?;
        let mut share_paths = backup_file_names(&req.output, &rec.label, req.shares);
        let backup_path = share_paths.remove(0);
        for p in std::iter::once(&backup_path).chain(&share_paths) {
            if p.symlink_metadata().is_ok() {
                return Err(OpsError::OutputExists(p.clone()));
            }
        }
        let (wrapped, source) = match rec.backend {
            Backend::Software => {
                let key = self.unlock_software_key(rec, cb)?;
                (kek.wrap(&key.to_pkcs8_der()), BackupSource::Software)
            }
            Backend::Pkcs11 => self.wrap_token_key(rec, &kek, cb)?,
        };
        let backup = KeyBackup::new(
            NewBackup {
                label: &rec.label,
                purpose: rec.purpose,
                public_key: &rec.public_key,
                source,
                wrapped_key: &wrapped,
                created: Timestamp::now().to_rfc3339(),
            },
            &kek,
            req.threshold,
            &values,
        );
        let mut files = vec![(backup_path.clone(), backup.to_json().into_bytes())];
        for (i, v) in values.iter().enumerate() {
            let custodian = req.custodians.get(i).map(String::as_str);
            files.push((
                share_paths[i].clone(),
                backup.share(v, custodian).render().into_bytes(),
            ));
        }
        write_all_atomic(&files, Overwrite::Refuse)?;
        for (_, bytes) in &mut files {
            zeroize::Zeroize::zeroize(bytes);
        }
        let recorded = self.record(
            AuditEvent::KeyBackup,
            rec.key_id.as_str(),
            crate::AuditOutcome::Ok,
            serde_json::json!({"label": rec.label, "backup": backup.id, "threshold": req.threshold,
                "shares": req.shares, "file": backup_path.display().to_string(),
                "backend": rec.backend.as_str()}),
        );
        let handed = recorded.and_then(|()| {
            share_paths.iter().enumerate().try_for_each(|(i, p)| {
                self.record(
                    AuditEvent::KeyShareHandover,
                    rec.key_id.as_str(),
                    crate::AuditOutcome::Ok,
                    serde_json::json!({"label": rec.label, "backup": backup.id, "share": i + 1,
                        "of": req.shares, "custodian": req.custodians.get(i),
                        "file": p.display().to_string()}),
                )
            })
        });
        if let Err(e) = handed {
            // A backup the log does not record is not kept.
            for (p, _) in &files {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        Ok(BackupOutcome {
            backup_id: backup.id,
            key: KeyInfo::from(rec),
            threshold: req.threshold,
            backup_file: backup_path.display().to_string(),
            share_files: share_paths
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        })
    }

    /// Wraps a token key: its token's SO PIN (to trust the wrapping key) and user PIN.
    fn wrap_token_key(
        &self,
        rec: &KeyRecord,
        kek: &WrappingKey,
        cb: &dyn Callbacks,
    ) -> Result<(Vec<u8>, BackupSource), OpsError> {
        let uri = Pkcs11Uri::parse(&rec.location, false).map_err(HsmError::from)?;
        let target = TokenTarget {
            token: TokenSelector::from_uri(&uri),
            module: uri.module_path.clone(),
        };
        let (_, module, info) = self.find_module_token(&target)?;
        let so_pin = self.ask(
            cb,
            SecretRequest::SoPin {
                token: info.label.clone(),
            },
            &info.label,
        )?;
        let user_pin = self.ask(
            cb,
            SecretRequest::TokenPin {
                token: info.label.clone(),
            },
            &info.label,
        )?;
        let wrapped = module.wrap_key(
            &TokenSelector::serial(info.serial.clone()),
            &KeySelector::from(&uri),
            &so_pin,
            &user_pin,
            kek.expose(),
        )?;
        if wrapped.key.public_key != rec.public_key {
            return Err(OpsError::TokenKeyChanged {
                label: rec.label.clone(),
                reason: "the public key on the token differs from the one recorded".into(),
            });
        }
        Ok((
            wrapped.wrapped,
            BackupSource::Pkcs11 {
                token: info.label,
                token_serial: info.serial,
                object: wrapped.key.label.clone(),
                id: wrapped.key.id_hex(),
            },
        ))
    }

    fn ask(
        &self,
        cb: &dyn Callbacks,
        req: SecretRequest,
        token: &str,
    ) -> Result<secrecy::SecretString, OpsError> {
        cb.secret(&req).ok_or_else(|| OpsError::PinUnavailable {
            token: token.to_owned(),
        })
    }

    /// Restores a key from its backup file and at least its threshold of share files.
    pub fn restore_key(
        &self,
        req: &RestoreKeyRequest,
        cb: &dyn Callbacks,
    ) -> Result<RestoreOutcome, OpsError> {
        self.require(Action::KeyRestore)?;
        let object = req.backup.display().to_string();
        self.restore_key_unrecorded(req, cb)
            .inspect_err(|e| self.record_failure(AuditEvent::KeyRestore, &object, e))
    }

    fn restore_key_unrecorded(
        &self,
        req: &RestoreKeyRequest,
        cb: &dyn Callbacks,
    ) -> Result<RestoreOutcome, OpsError> {
        let text = read_capped(&req.backup, MAX_BACKUP_BYTES)?;
        let backup = KeyBackup::parse(&String::from_utf8_lossy(&text))?;
        strongroom_core::keyref::check_label(&backup.backup.label)?;
        // A restored key enters (or moves in) the inventory with the quorum's consent, besides
        // the custodians' shares: a backup file and shares anyone can make up.
        self.precheck_consent(AuditEvent::KeyRestore, true)?;
        let mut shares = Vec::new();
        for p in &req.shares {
            let text = read_capped(p, MAX_SHARE_BYTES)?;
            shares.push(Share::parse(
                &String::from_utf8_lossy(&text),
                &p.display().to_string(),
            )?);
        }
        let kek = backup.combine(&shares)?;
        let public_key = backup.public_key()?;
        let existing = self.store.key_by_id(&public_key.key_id())?;
        if let Some(e) = &existing {
            if e.status == KeyStatus::Revoked {
                return Err(OpsError::KeyNotActive {
                    label: e.label.clone(),
                    status: "revoked: a revoked key is not restored".into(),
                });
            }
        } else if let Some(other) = self.store.key_by_label(&backup.backup.label)? {
            return Err(StoreError::LabelTaken(other.label).into());
        }
        let label = existing
            .as_ref()
            .map_or(backup.backup.label.clone(), |e| e.label.clone());
        let (row, location) = match (&req.target, &backup.backup.source) {
            (Some(target), source) => {
                let id = match source {
                    BackupSource::Pkcs11 { id, .. } => hex::decode(id).map_err(|_| {
                        OpsError::BadInput("the backup's CKA_ID is not hexadecimal".into())
                    })?,
                    BackupSource::Software => {
                        let mut id = vec![0u8; 16];
                        OsRng.fill_bytes(&mut id);
                        id
                    }
                };
                let object = match source {
                    BackupSource::Pkcs11 { object, .. } => object.clone(),
                    BackupSource::Software => label.clone(),
                };
                let (path, module, info) = self.find_module_token(target)?;
                let pin = self.ask(
                    cb,
                    SecretRequest::TokenPin {
                        token: info.label.clone(),
                    },
                    &info.label,
                )?;
                let key = module.unwrap_key(
                    &TokenSelector::serial(info.serial.clone()),
                    &pin,
                    kek.expose(),
                    &backup.wrapped_key()?,
                    &RestoreTarget {
                        label: &object,
                        id: &id,
                        public_key: &public_key,
                    },
                )?;
                let row = self.token_key_row(&label, &key, &path, backup.backup.purpose);
                let location = key.uri.clone();
                (row, location)
            }
            (None, BackupSource::Pkcs11 { token, .. }) => {
                return Err(OpsError::BadInput(format!(
                    "backup {} is of a key on token {token:?}: restore it into a token (--token LABEL), never into a file",
                    backup.id
                )))
            }
            (None, BackupSource::Software) => {
                let pkcs8 = kek.unwrap(&backup.wrapped_key()?)?;
                let key = SoftwareKey::from_pkcs8_der(&pkcs8)?;
                if key.public_key() != &public_key {
                    return Err(strongroom_core::backup::BackupError::UnwrapFailed.into());
                }
                let passphrase = cb
                    .secret(&SecretRequest::NewKeyPassphrase {
                        label: label.clone(),
                    })
                    .ok_or_else(|| OpsError::NewSecretUnavailable {
                        label: label.clone(),
                    })?;
                if secrecy::ExposeSecret::expose_secret(&passphrase)
                    .chars()
                    .count()
                    < MIN_PASSPHRASE_CHARS
                {
                    return Err(OpsError::WeakPassphrase(format!(
                        "fewer than {MIN_PASSPHRASE_CHARS} characters"
                    )));
                }
                let file_name = format!("{}.age", public_key.key_id().to_hex());
                let path = self.store.key_dir().join(&file_name);
                if path.exists() {
                    return Err(OpsError::OutputExists(path));
                }
                keyfile::write(&path, &key, &passphrase)?;
                let row = KeyRow::new(&NewKey {
                    label: &label,
                    public_key: &public_key,
                    backend: Backend::Software,
                    location: &file_name,
                    attributes: serde_json::json!({}),
                    purpose: backup.backup.purpose,
                });
                (row, path.display().to_string())
            }
        };
        let mut row = row;
        if let Some(e) = &existing {
            row.status = e.status.as_str().to_owned();
            row.created = e.created.clone();
            row.purpose = e.purpose;
        }
        let numbers: Vec<u8> = shares.iter().map(Share::number).collect();
        let custodians: Vec<Option<&String>> =
            shares.iter().map(|s| s.custodian.as_ref()).collect();
        let recorded = self.act(
            AuditEvent::KeyRestore,
            &row.key_id,
            vec![Change::KeyPut { key: row.clone() }],
            serde_json::json!({"label": row.label, "backup": backup.id, "shares": numbers,
                "custodians": custodians, "location": location, "replaced": existing.is_some()}),
        );
        if let Err(e) = recorded {
            self.undo_restore(&row);
            return Err(e);
        }
        Ok(RestoreOutcome {
            backup_id: backup.id,
            key: KeyInfo::from(&row.record()?),
            shares: numbers,
            replaced: existing.is_some(),
        })
    }

    /// Removes what a restore the log refused left behind: a software key file. (A token
    /// key stays: the token is the custodians' to clear, and the error says so.)
    fn undo_restore(&self, row: &KeyRow) {
        if row.backend == Backend::Software.as_str() {
            let _ = std::fs::remove_file(self.store.key_dir().join(&row.location));
        }
    }
}

/// The file names `key backup` writes for `label` into `dir`, backup file first.
fn backup_file_names(dir: &Path, label: &str, shares: u8) -> Vec<PathBuf> {
    std::iter::once(dir.join(format!("{label}.backup.json")))
        .chain((1..=shares).map(|n| dir.join(format!("{label}.share-{n}-of-{shares}.txt"))))
        .collect()
}
