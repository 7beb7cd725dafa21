//! PKCS#11 use cases: the module allowlist, listing tokens, generating and adopting token keys,
//! and opening a logged-in session for signing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use strongroom_core::AuditEvent;

use strongroom_core::keyref::check_label;
use strongroom_core::{Algorithm, Purpose};
use strongroom_hsm::{
    HsmError, HsmSigner, KeyProtection, KeySelector, Module, ModulePolicy, PinSource, Pkcs11Uri,
    TokenInfo, TokenKey, TokenSelector, TokenSession,
};
use strongroom_store::settings::ALLOWED_MODULES;
use strongroom_store::state::Change;
use strongroom_store::{Backend, KeyRecord, KeyRow, NewKey, StoreError};

use crate::dto::KeyInfo;
use crate::operators::Action;
use crate::{Callbacks, OpsError, SecretRequest, Station};

/// The tokens one module shows.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ModuleTokens {
    pub module: String,
    pub tokens: Vec<TokenInfo>,
    /// Slots whose token is not initialised yet (`token init` may use them).
    pub free_slots: Vec<u64>,
}

/// Where to find a token: its label (or serial) and, optionally, the module that has it.
#[derive(Clone, Debug)]
pub struct TokenTarget {
    pub token: TokenSelector,
    pub module: Option<PathBuf>,
}

impl TokenTarget {
    pub fn label(label: &str, module: Option<PathBuf>) -> Self {
        TokenTarget {
            token: TokenSelector::label(label),
            module,
        }
    }

    /// The token with this serial number.
    pub fn serial(serial: &str, module: Option<PathBuf>) -> Self {
        TokenTarget {
            token: TokenSelector::serial(serial.to_owned()),
            module,
        }
    }
}

/// A request to make a key on a token.
#[derive(Clone, Debug)]
pub struct GenerateTokenKey {
    pub target: TokenTarget,
    pub algorithm: Algorithm,
    pub label: String,
    /// The one kind of signature the key will make.
    pub purpose: Purpose,
    /// Never extractable (the default), or backup-able by `key backup`.
    pub protection: KeyProtection,
}

/// A request to record a key that already exists on a token (made by another tool).
#[derive(Clone, Debug)]
pub struct AdoptTokenKey {
    /// The token; `None` takes it from `object`, which must then be a URI naming the token.
    pub target: Option<TokenTarget>,
    /// The key's `CKA_LABEL` or a `pkcs11:` URI naming it.
    pub object: String,
    /// The inventory label to record it under.
    pub label: String,
    /// The one kind of signature the key will make.
    pub purpose: Purpose,
    /// Accept `pin-value` in a URI `object`.
    pub allow_pin_in_uri: bool,
}

impl Station {
    /// The configured module allowlist, or SoftHSM's path(s) where none was configured.
    pub fn module_policy(&self) -> Result<ModulePolicy, OpsError> {
        Ok(match self.store.setting::<Vec<PathBuf>>(ALLOWED_MODULES)? {
            Some(paths) => ModulePolicy::new(paths),
            None => ModulePolicy::default(),
        })
    }

    pub fn allowed_modules(&self) -> Result<Vec<PathBuf>, OpsError> {
        self.require(Action::ModuleList)?;
        Ok(self.module_policy()?.allowed().to_vec())
    }

    /// Adds a module to the allowlist. The file must exist; its canonical path is recorded.
    pub fn allow_module(&self, path: &Path) -> Result<Vec<PathBuf>, OpsError> {
        self.require(Action::ModuleAllow)?;
        let canonical = path
            .canonicalize()
            .map_err(|_| OpsError::MissingFile(path.to_owned()))?;
        // Judged from the file's bytes: loading it would run its code.
        strongroom_hsm::elf::check_module_file(&canonical).map_err(|reason| {
            HsmError::NotAModule {
                path: path.to_owned(),
                reason,
            }
        })?;
        let mut list = self.allowed_modules()?;
        if !list.contains(&canonical) {
            list.push(canonical.clone());
        }
        self.set_modules(AuditEvent::ModuleAllow, &canonical, &list)?;
        Ok(list)
    }

    /// Removes a module from the allowlist (an empty list allows nothing).
    pub fn disallow_module(&self, path: &Path) -> Result<Vec<PathBuf>, OpsError> {
        self.require(Action::ModuleRemove)?;
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_owned());
        let list: Vec<PathBuf> = self
            .allowed_modules()?
            .into_iter()
            .filter(|p| p != &canonical && p != path)
            .collect();
        self.set_modules(AuditEvent::ModuleRemove, &canonical, &list)?;
        Ok(list)
    }

    fn set_modules(
        &self,
        action: AuditEvent,
        module: &Path,
        list: &[PathBuf],
    ) -> Result<(), OpsError> {
        let shown = module.display().to_string();
        self.act(
            action,
            &shown,
            vec![Change::Setting {
                key: ALLOWED_MODULES.to_owned(),
                value: Some(serde_json::to_value(list).expect("paths serialise")),
            }],
            serde_json::json!({}),
        )
        .inspect_err(|e| self.record_failure(action, &shown, e))?;
        Ok(())
    }

    fn candidate_modules(&self, module: Option<&Path>) -> Result<Vec<PathBuf>, OpsError> {
        let policy = self.module_policy()?;
        match module {
            Some(m) => Ok(vec![policy.check(m)?]),
            None => Ok(policy.allowed().to_vec()),
        }
    }

    /// Every token of every allowed module (or of `module` alone).
    pub fn list_tokens(&self, module: Option<&Path>) -> Result<Vec<ModuleTokens>, OpsError> {
        self.require(Action::TokenList)?;
        let policy = self.module_policy()?;
        self.candidate_modules(module)?
            .into_iter()
            .map(|m| {
                let module = Module::load(&m, &policy)?;
                Ok(ModuleTokens {
                    module: m.display().to_string(),
                    tokens: module.list_tokens()?,
                    free_slots: module.free_slots()?,
                })
            })
            .collect()
    }

    /// Finds the module holding the token, reads the PIN (from `pin_source` or `cb`), and logs in
    /// once. A wrong PIN is reported, never retried.
    pub(crate) fn open_token(
        &self,
        target: &TokenTarget,
        pin_source: Option<PinSource>,
        cb: &dyn Callbacks,
    ) -> Result<Arc<TokenSession>, OpsError> {
        let policy = self.module_policy()?;
        let (module, _, info) = self.find_module_token(target)?;
        if info.user_pin.locked {
            return Err(HsmError::PinLocked.into());
        }
        if info.user_pin.final_try {
            cb.notice(&format!(
                "token {:?} reports that its PIN has one try left; a wrong PIN will lock it",
                info.label
            ));
        }
        let pin = match pin_source {
            Some(src) => src.read(&info.label, &NoPrompt).map_err(HsmError::from)?,
            None => cb
                .secret(&SecretRequest::TokenPin {
                    token: info.label.clone(),
                })
                .ok_or_else(|| OpsError::PinUnavailable {
                    token: info.label.clone(),
                })?,
        };
        let selector = TokenSelector::serial(info.serial.clone());
        Ok(Arc::new(TokenSession::open(
            &module, &policy, &selector, pin,
        )?))
    }

    pub(crate) fn record_token_key(
        &self,
        label: &str,
        key: &TokenKey,
        module: &Path,
        purpose: Purpose,
    ) -> Result<KeyInfo, OpsError> {
        // The timestamp authority's keys sign stamps and certificates only: recorded as an
        // inventory key, one would sign anything `sign` is given, stamps included.
        let id = key.public_key.key_id().to_string();
        if let Some(tsa) = self.tsa_config()? {
            if tsa.key_ids.contains(&id) {
                return Err(OpsError::BadInput(format!(
                    "{} is a key of the station's timestamp authority; it signs stamps and certificates only, and is never an inventory key",
                    key.describe()
                )));
            }
        }
        if let Algorithm::Rsa(bits) = key.algorithm {
            if bits < 2048 {
                return Err(OpsError::BadInput(format!(
                    "{} is an RSA key of {bits} bits; Strongroom uses RSA keys of 2048 bits or more",
                    key.describe()
                )));
            }
        }
        let row = self.token_key_row(label, key, module, purpose);
        let location = row.location.clone();
        if let Some(existing) = self.store.key_by_id(&key.public_key.key_id())? {
            return Err(StoreError::KeyIdTaken(existing.label).into());
        }
        self.act(
            if key.attributes.local { AuditEvent::KeyGenerate } else { AuditEvent::KeyAdopt },
            key.public_key.key_id().as_str(),
            vec![Change::KeyPut { key: row.clone() }],
            serde_json::json!({"label": label, "algorithm": key.algorithm.to_string(), "backend": "pkcs11", "uri": location, "hardware_bound": key.attributes.hardware_bound(), "purpose": purpose}),
        )?;
        Ok(KeyInfo::from(&row.record()?))
    }

    /// The inventory row of a token key reached through `module`.
    pub(crate) fn token_key_row(
        &self,
        label: &str,
        key: &TokenKey,
        module: &Path,
        purpose: Purpose,
    ) -> KeyRow {
        let location = format!("{}?module-path={}", key.uri, percent_encode_path(module));
        KeyRow::new(&NewKey {
            label,
            public_key: &key.public_key,
            backend: Backend::Pkcs11,
            location: &location,
            attributes: serde_json::to_value(crate::dto::TokenKeyFacts {
                token: key.token_label.clone(),
                token_serial: key.token_serial.clone(),
                object: key.label.clone(),
                id: key.id_hex(),
                module: module.display().to_string(),
                cka: key.attributes,
                hardware_bound: key.attributes.hardware_bound(),
                backupable: key.attributes.backupable(),
            })
            .expect("plain data serialises"),
            purpose,
        })
    }

    pub(crate) fn check_new_label(&self, label: &str) -> Result<(), OpsError> {
        check_label(label)?;
        if self.store.key_by_label(label)?.is_some() {
            return Err(StoreError::LabelTaken(label.to_owned()).into());
        }
        Ok(())
    }

    /// Generates a key pair on a token (private half sensitive, never extractable, sign-only),
    /// reads its protection attributes back, and records it.
    pub fn generate_token_key(
        &self,
        req: &GenerateTokenKey,
        cb: &dyn Callbacks,
    ) -> Result<KeyInfo, OpsError> {
        self.require(Action::KeyGenerate)?;
        self.check_new_label(&req.label)?;
        let session = self
            .open_token(&req.target, None, cb)
            .inspect_err(|e| self.record_failure(AuditEvent::KeyGenerate, &req.label, e))?;
        let key = session.generate_key_with(req.algorithm, &req.label, req.protection)?;
        self.record_token_key(&req.label, &key, session.module_path(), req.purpose)
    }

    /// Records a key another tool made on a token.
    pub fn adopt_token_key(
        &self,
        req: &AdoptTokenKey,
        cb: &dyn Callbacks,
    ) -> Result<KeyInfo, OpsError> {
        self.require(Action::KeyAdopt)?;
        self.check_new_label(&req.label)?;
        let uri = if req
            .object
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("pkcs11:"))
        {
            Some(Pkcs11Uri::parse(&req.object, req.allow_pin_in_uri).map_err(HsmError::from)?)
        } else {
            None
        };
        let target = match (&req.target, &uri) {
            (Some(t), _) => t.clone(),
            (None, Some(u)) if u.token.is_some() || u.serial.is_some() => TokenTarget {
                token: TokenSelector::from_uri(u),
                module: u.module_path.clone(),
            },
            (None, _) => {
                return Err(OpsError::BadInput(format!(
                    "which token holds {:?}? give the token (--token LABEL), or the key as a pkcs11: URI with token=",
                    req.object
                )))
            }
        };
        // A PIN the URI names (pin-source, or pin-value where allowed) is used, as `sign` does.
        let pin = uri.as_ref().and_then(PinSource::from_uri);
        let selector = match uri {
            Some(u) => KeySelector::Uri(Box::new(u)),
            None => KeySelector::Label(req.object.clone()),
        };
        let session = self.open_token(&target, pin, cb)?;
        let key = session.find_key(selector)?;
        self.record_token_key(&req.label, &key, session.module_path(), req.purpose)
    }

    /// Opens the token of an inventory key and returns a signer for it.
    pub(crate) fn unlock_token_key(
        &self,
        rec: &KeyRecord,
        cb: &dyn Callbacks,
    ) -> Result<HsmSigner, OpsError> {
        let uri = Pkcs11Uri::parse(&rec.location, false).map_err(HsmError::from)?;
        let signer = self.unlock_uri(&uri, cb)?;
        if signer.key().public_key != rec.public_key {
            return Err(OpsError::TokenKeyChanged {
                label: rec.label.clone(),
                reason: "the public key on the token differs from the one recorded".into(),
            });
        }
        Ok(signer)
    }

    /// Opens the token a URI names and finds the one private key it names.
    pub(crate) fn unlock_uri(
        &self,
        uri: &Pkcs11Uri,
        cb: &dyn Callbacks,
    ) -> Result<HsmSigner, OpsError> {
        uri.require_private_key().map_err(HsmError::from)?;
        let target = TokenTarget {
            token: TokenSelector::from_uri(uri),
            module: uri.module_path.clone(),
        };
        let session = self.open_token(&target, PinSource::from_uri(uri), cb)?;
        let key = session.find_key(uri)?;
        Ok(HsmSigner::new(session, key))
    }
}

/// PINs named by a URI never prompt.
struct NoPrompt;

impl strongroom_hsm::PinPrompt for NoPrompt {
    fn request_pin(&self, _: &str) -> Option<secrecy::SecretString> {
        None
    }
}

pub(crate) fn percent_encode_path(p: &Path) -> String {
    const KEEP: &[u8] = b"/-._~";
    p.to_string_lossy()
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || KEEP.contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A request to initialise a token: in `slot` (else the first free one) of `module` (else the
/// first allowed module with a free slot), labelled `label`.
#[derive(Clone, Debug)]
pub struct InitToken {
    pub module: Option<PathBuf>,
    pub slot: Option<u64>,
    pub label: String,
}

impl Station {
    /// Initialises a token: its security officer's PIN and its user PIN are asked (each twice)
    /// through `cb`. Only a slot whose token is not initialised is used; nothing is wiped.
    pub fn token_init(&self, req: &InitToken, cb: &dyn Callbacks) -> Result<TokenInfo, OpsError> {
        self.require(Action::TokenAdmin)?;
        self.token_init_unrecorded(req, cb)
            .inspect_err(|e| self.record_failure(AuditEvent::TokenInit, &req.label, e))
    }

    fn token_init_unrecorded(
        &self,
        req: &InitToken,
        cb: &dyn Callbacks,
    ) -> Result<TokenInfo, OpsError> {
        let policy = self.module_policy()?;
        let mut chosen = None;
        for m in self.candidate_modules(req.module.as_deref())? {
            let module = Module::load(&m, &policy)?;
            if !module.free_slots()?.is_empty() || req.module.is_some() {
                chosen = Some((m, module));
                break;
            }
        }
        let Some((path, module)) = chosen else {
            return Err(HsmError::SlotNotFree {
                slot: u64::MAX,
                free: Vec::new(),
            }
            .into());
        };
        let token = req.label.clone();
        let so_pin = cb
            .secret(&SecretRequest::NewSoPin {
                token: token.clone(),
            })
            .ok_or_else(|| OpsError::PinUnavailable {
                token: token.clone(),
            })?;
        let user_pin = cb
            .secret(&SecretRequest::NewTokenPin {
                token: token.clone(),
            })
            .ok_or_else(|| OpsError::PinUnavailable {
                token: token.clone(),
            })?;
        let info = module.init_token(req.slot, &req.label, &so_pin, &user_pin)?;
        self.record(
            AuditEvent::TokenInit,
            &req.label,
            crate::AuditOutcome::Ok,
            serde_json::json!({"module": path.display().to_string(), "slot": info.slot_id,
                "serial": info.serial, "label": info.label}),
        )?;
        Ok(info)
    }

    /// Changes a token's user PIN: the current PIN, then the new one (twice), through `cb`.
    pub fn token_change_pin(
        &self,
        target: &TokenTarget,
        cb: &dyn Callbacks,
    ) -> Result<(), OpsError> {
        self.token_pin_act(target, AuditEvent::TokenPinChange, cb)
    }

    /// Unlocks a token's user PIN as its security officer: the SO PIN, then the new user PIN
    /// (twice), through `cb`.
    pub fn token_unlock(&self, target: &TokenTarget, cb: &dyn Callbacks) -> Result<(), OpsError> {
        self.token_pin_act(target, AuditEvent::TokenPinUnlock, cb)
    }

    fn token_pin_act(
        &self,
        target: &TokenTarget,
        event: AuditEvent,
        cb: &dyn Callbacks,
    ) -> Result<(), OpsError> {
        self.require(Action::TokenAdmin)?;
        let object = target.token.to_string();
        let run = || -> Result<(), OpsError> {
            let (path, module, info) = self.find_module_token(target)?;
            let token = info.label.clone();
            let ask = |r: SecretRequest| {
                cb.secret(&r).ok_or_else(|| OpsError::PinUnavailable {
                    token: token.clone(),
                })
            };
            let selector = TokenSelector::serial(info.serial.clone());
            if event == AuditEvent::TokenPinUnlock {
                let so = ask(SecretRequest::SoPin {
                    token: token.clone(),
                })?;
                let new = ask(SecretRequest::NewTokenPin {
                    token: token.clone(),
                })?;
                module.unlock_user_pin(&selector, &so, &new)?;
            } else {
                let old = ask(SecretRequest::TokenPin {
                    token: token.clone(),
                })?;
                let new = ask(SecretRequest::NewTokenPin {
                    token: token.clone(),
                })?;
                module.change_user_pin(&selector, &old, &new)?;
            }
            self.record(
                event,
                &object,
                crate::AuditOutcome::Ok,
                serde_json::json!({"module": path.display().to_string(),
                    "serial": info.serial, "label": info.label}),
            )
        };
        run().inspect_err(|e| self.record_failure(event, &object, e))
    }

    /// The module that has `target`'s token, loaded, and the token.
    pub(crate) fn find_module_token(
        &self,
        target: &TokenTarget,
    ) -> Result<(PathBuf, Module, TokenInfo), OpsError> {
        let policy = self.module_policy()?;
        let mut seen = Vec::new();
        for m in self.candidate_modules(target.module.as_deref())? {
            let module = Module::load(&m, &policy)?;
            match module.find_token(&target.token) {
                Ok(info) => return Ok((m, module, info)),
                Err(HsmError::TokenNotFound { available, .. }) => seen.extend(available),
                Err(e) => return Err(e.into()),
            }
        }
        Err(target.token.not_found(seen).into())
    }
}
