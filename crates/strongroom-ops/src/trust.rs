//! Trust store use cases: trusting a key (roles, stages, validity window), revoking one, listing
//! the trust, the trust policy (Rego modules and data), and exporting and importing it as a
//! signed trust package. Every change is recorded in the audit log. Also the policy decision for
//! a release (`Station::policy_decision`), evaluated with the station's trust policy.

use std::path::{Path, PathBuf};

use serde::Serialize;
use strongroom_core::HashAlg;
pub use strongroom_policy::trust::parse_stages;
pub use strongroom_policy::KeyRole;
use strongroom_policy::{
    check_modules, evaluate, Decision, NewTrustedKey, PackageError, PolicyInput, PolicyModule,
    Revocation, Stage, Timestamp, TrustPackage, TrustSet, TrustedKey,
};
use strongroom_store::fsutil::{write_atomic, Overwrite};

use crate::audit::Outcome;
use crate::verify::read_capped;
use crate::{load_public_key_file, Callbacks, OpsError, Station};

/// Largest trust package read.
const MAX_PACKAGE_BYTES: u64 = 16 << 20;
/// Largest Rego module or data file read.
const MAX_POLICY_FILE_BYTES: u64 = 1 << 20;

/// A request to trust a key.
#[derive(Clone, Debug)]
pub struct TrustAdd {
    /// The PEM public key (SubjectPublicKeyInfo).
    pub pem_path: PathBuf,
    pub name: String,
    /// Empty: every stage.
    pub stages: Vec<Stage>,
    /// At least one.
    pub roles: Vec<KeyRole>,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
}

/// A request to write the station's trust as a signed trust package.
#[derive(Clone, Debug)]
pub struct TrustExport {
    /// The signing key: an inventory label or key id (software or token), or a `pkcs11:` URI.
    pub key: String,
    pub output: PathBuf,
    /// Replace an existing file.
    pub force: bool,
    pub allow_pin_in_uri: bool,
}

/// One trusted key as `trust list` shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustedKeyInfo {
    pub name: String,
    pub key_id: String,
    pub algorithm: String,
    pub roles: Vec<String>,
    /// Empty: every stage.
    pub stages: Vec<String>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub added_at: String,
    pub added_by: String,
    /// Now: `active`, `revoked`, `expired` or `not-yet-valid`.
    pub state: String,
    /// The earliest revocation, if any (it may lie in the future).
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
    pub public_key_pem: String,
}

/// One revocation.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RevocationInfo {
    pub key_id: String,
    /// The trusted key's name, when the key is in the trust store.
    pub name: Option<String>,
    pub revoked_at: String,
    pub reason: String,
}

/// The whole trust store.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustListing {
    pub keys: Vec<TrustedKeyInfo>,
    pub revocations: Vec<RevocationInfo>,
    /// Names of the trust policy's Rego modules, in evaluation order.
    pub policy_modules: Vec<String>,
    /// The trust policy's data (merged over the built-in defaults when policies run).
    pub policy_data: serde_json::Value,
}

/// A written trust package.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustExported {
    pub path: String,
    pub sha256: String,
    pub signer_key_id: String,
    pub issued_at: String,
    pub keys: usize,
    pub revocations: usize,
    pub policy_modules: usize,
    /// The signing key is an active custodian in this station's own trust store; if not, other
    /// stations holding the same trust will refuse the package.
    pub signer_is_custodian_here: bool,
}

/// An imported trust package.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustImported {
    pub sha256: String,
    pub issuer: String,
    pub issued_at: String,
    pub signer_key_id: String,
    pub signer_name: String,
    pub keys: usize,
    pub revocations: usize,
    pub policy_modules: usize,
    /// Revocations the station held that the package lacked, kept (revocations are sticky).
    pub kept_revocations: usize,
    /// The signing key is still a custodian in the imported trust; if not, the next package
    /// must be signed by another custodian.
    pub signer_still_custodian: bool,
}

/// A changed trust policy.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustPolicyInfo {
    pub policy_modules: Vec<String>,
    pub policy_data: serde_json::Value,
}

/// The current time, to the second.
pub(crate) fn now() -> Timestamp {
    let t = time::OffsetDateTime::now_utc();
    Timestamp::from(t.replace_nanosecond(0).unwrap_or(t))
}

fn sha256_hex(bytes: &[u8]) -> String {
    HashAlg::Sha256.hash(bytes).to_hex()
}

fn key_info(set: &TrustSet, k: &TrustedKey, at: Timestamp) -> TrustedKeyInfo {
    let status = set.status(k.key_id(), at, None, None);
    let state = if status.revoked_before() {
        "revoked"
    } else if status.expired {
        "expired"
    } else if status.not_yet_valid {
        "not-yet-valid"
    } else {
        "active"
    };
    let revocation = set.revocation(k.key_id());
    TrustedKeyInfo {
        name: k.name().to_owned(),
        key_id: k.key_id().to_string(),
        algorithm: k.public_key().algorithm().to_string(),
        roles: k.roles().iter().map(ToString::to_string).collect(),
        stages: k.stages().iter().map(ToString::to_string).collect(),
        not_before: k.not_before().map(|t| t.to_string()),
        not_after: k.not_after().map(|t| t.to_string()),
        added_at: k.added_at().to_string(),
        added_by: k.added_by().to_owned(),
        state: state.to_owned(),
        revoked_at: revocation.map(|r| r.revoked_at.to_string()),
        revocation_reason: revocation.map(|r| r.reason.clone()),
        public_key_pem: k.pem().to_owned(),
    }
}

/// Reads `--policy FILE.rego` files as policy modules named by their path (so errors name it).
pub fn read_policy_files(paths: &[PathBuf]) -> Result<Vec<PolicyModule>, OpsError> {
    paths
        .iter()
        .map(|p| {
            let bytes = read_capped(p, MAX_POLICY_FILE_BYTES)?;
            let rego = String::from_utf8(bytes).map_err(|_| {
                OpsError::BadInput(format!("{}: a Rego file must be UTF-8 text", p.display()))
            })?;
            Ok(PolicyModule::new(p.display().to_string(), rego))
        })
        .collect()
}

fn policy_info(set: &TrustSet) -> TrustPolicyInfo {
    TrustPolicyInfo {
        policy_modules: set
            .policy()
            .modules
            .iter()
            .map(|m| m.name.clone())
            .collect(),
        policy_data: set.policy().data.clone(),
    }
}

impl Station {
    /// Runs `op`, recording its success (with the details it returns) or its failure. Every
    /// trust command that changes or signs the trust set goes through here: custodian only.
    fn trust_recorded<T>(
        &self,
        action: &str,
        object: &str,
        op: impl FnOnce() -> Result<(T, String, serde_json::Value), OpsError>,
    ) -> Result<T, OpsError> {
        self.require(crate::operators::Action::TrustChange)?;
        match op() {
            Ok((value, object, details)) => {
                self.record(action, &object, Outcome::Ok, details)?;
                Ok(value)
            }
            Err(e) => {
                self.record_failure(action, object, &e);
                Err(e)
            }
        }
    }

    /// The station's trust: keys, revocations and the trust policy.
    pub fn trust_set(&self) -> Result<TrustSet, OpsError> {
        self.require(crate::operators::Action::TrustList)?;
        Ok(self.store.trust_list()?)
    }

    /// Evaluates the policy for a release: the built-in rules of its stage, the station's trust
    /// policy and `extra` modules (`--policy` files, see [`read_policy_files`]). The decision is
    /// recorded as `policy.decision` (outcome `denied` when a rule denied), object
    /// `NAME@VERSION`.
    pub fn policy_decision(
        &self,
        input: &PolicyInput,
        extra: &[PolicyModule],
    ) -> Result<Decision, OpsError> {
        let object = format!("{}@{}", input.release.name, input.release.version);
        let decision = self.trust_set().and_then(|set| {
            Ok(evaluate(
                &input.to_value(),
                input.release.stage,
                set.policy(),
                extra,
            )?)
        });
        match decision {
            Ok(d) => {
                self.record(
                    "policy.decision",
                    &object,
                    if d.allowed() {
                        Outcome::Ok
                    } else {
                        Outcome::Denied
                    },
                    serde_json::json!({
                        "phase": input.phase, "stage": input.release.stage,
                        "deny": d.deny, "warn": d.warn,
                        "extra_policies": extra.iter().map(|m| &m.name).collect::<Vec<_>>(),
                    }),
                )?;
                Ok(d)
            }
            Err(e) => {
                self.record_failure("policy.decision", &object, &e);
                Err(e)
            }
        }
    }

    /// Trusts a public key under a name. Refuses a name or a key that is already trusted.
    pub fn trust_add(&self, req: &TrustAdd) -> Result<TrustedKeyInfo, OpsError> {
        self.trust_recorded("trust.add", &req.name, || {
            let public_key = load_public_key_file(&req.pem_path)?;
            let key = TrustedKey::new(NewTrustedKey {
                name: req.name.clone(),
                pem: public_key.to_pem(),
                stages: req.stages.clone(),
                roles: req.roles.clone(),
                not_before: req.not_before,
                not_after: req.not_after,
                added_at: now(),
                added_by: self.operator.clone(),
            })?;
            self.store.trust_add(&key)?;
            let set = self.trust_set()?;
            let info = key_info(&set, &key, now());
            let details = serde_json::json!({
                "name": info.name, "roles": info.roles, "stages": info.stages,
                "not_before": info.not_before, "not_after": info.not_after,
            });
            Ok((info, key.key_id().to_string(), details))
        })
    }

    /// Revokes a trusted key (by name or key id) as of `at` (default now). Signatures the key made
    /// before `at` stay valid (flagged); those made at or after it do not count.
    pub fn trust_revoke(
        &self,
        key: &str,
        at: Option<Timestamp>,
        reason: &str,
    ) -> Result<RevocationInfo, OpsError> {
        self.trust_recorded("trust.revoke", key, || {
            let set = self.trust_set()?;
            let k = set
                .find(key)
                .ok_or_else(|| OpsError::TrustKeyNotFound(key.to_owned()))?;
            let at = at.unwrap_or_else(now);
            if let Some(existing) = set.revocation(k.key_id()) {
                if existing.revoked_at <= at {
                    return Err(OpsError::AlreadyRevoked {
                        name: k.name().to_owned(),
                        revoked_at: existing.revoked_at.to_string(),
                    });
                }
            }
            let reason = match reason.trim() {
                "" => "unspecified".to_owned(),
                r => r.to_owned(),
            };
            let revocation = Revocation {
                key_id: k.key_id().clone(),
                revoked_at: at,
                reason: reason.clone(),
            };
            self.store.trust_revoke(&revocation)?;
            let info = RevocationInfo {
                key_id: k.key_id().to_string(),
                name: Some(k.name().to_owned()),
                revoked_at: at.to_string(),
                reason,
            };
            let details = serde_json::json!({"name": info.name, "revoked_at": info.revoked_at, "reason": info.reason});
            Ok((info, k.key_id().to_string(), details))
        })
    }

    /// The trust store as seen now.
    pub fn trust_list(&self) -> Result<TrustListing, OpsError> {
        let set = self.trust_set()?;
        let at = now();
        let policy = policy_info(&set);
        Ok(TrustListing {
            keys: set.keys().iter().map(|k| key_info(&set, k, at)).collect(),
            revocations: set
                .revocations()
                .iter()
                .map(|r| RevocationInfo {
                    key_id: r.key_id.to_string(),
                    name: set.key(&r.key_id).map(|k| k.name().to_owned()),
                    revoked_at: r.revoked_at.to_string(),
                    reason: r.reason.clone(),
                })
                .collect(),
            policy_modules: policy.policy_modules,
            policy_data: policy.policy_data,
        })
    }

    /// Adds (or replaces, by file name) a Rego module of the trust policy. It must parse and use
    /// a package outside `strongroom`.
    pub fn trust_policy_add(&self, path: &Path) -> Result<TrustPolicyInfo, OpsError> {
        let shown = path.display().to_string();
        self.trust_recorded("trust.policy.add", &shown, || {
            let bytes = read_capped(path, MAX_POLICY_FILE_BYTES)?;
            let rego = String::from_utf8(bytes.clone()).map_err(|_| {
                OpsError::BadInput(format!(
                    "{}: a Rego file must be UTF-8 text",
                    path.display()
                ))
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| {
                    OpsError::BadInput(format!("{}: not a file name", path.display()))
                })?;
            let module = PolicyModule::new(name.clone(), rego);
            strongroom_policy::trust::check_module_name(&name)?;
            check_modules(std::slice::from_ref(&module))?;
            let mut policy = self.store.trust_policy()?;
            match policy.modules.iter_mut().find(|m| m.name == name) {
                Some(slot) => *slot = module,
                None => policy.modules.push(module),
            }
            self.store.trust_policy_set(&policy)?;
            let info = policy_info(&self.trust_set()?);
            let details = serde_json::json!({"module": name, "sha256": sha256_hex(&bytes)});
            Ok((info, name, details))
        })
    }

    /// Removes a Rego module of the trust policy by name.
    pub fn trust_policy_remove(&self, name: &str) -> Result<TrustPolicyInfo, OpsError> {
        self.trust_recorded("trust.policy.remove", name, || {
            let mut policy = self.store.trust_policy()?;
            let before = policy.modules.len();
            policy.modules.retain(|m| m.name != name);
            if policy.modules.len() == before {
                return Err(OpsError::PolicyModuleNotFound(name.to_owned()));
            }
            self.store.trust_policy_set(&policy)?;
            let info = policy_info(&self.trust_set()?);
            Ok((info, name.to_owned(), serde_json::json!({"module": name})))
        })
    }

    /// Replaces the trust policy's data (a JSON object such as `{"allowed_builders": […]}`).
    pub fn trust_data_set(&self, path: &Path) -> Result<TrustPolicyInfo, OpsError> {
        let shown = path.display().to_string();
        self.trust_recorded("trust.data.set", &shown, || {
            let bytes = read_capped(path, MAX_POLICY_FILE_BYTES)?;
            let data: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| OpsError::BadInput(format!("{}: not JSON: {e}", path.display())))?;
            if !data.is_object() {
                return Err(OpsError::BadInput(format!(
                    "{}: the policy data must be a JSON object",
                    path.display()
                )));
            }
            let mut policy = self.store.trust_policy()?;
            policy.data = data;
            self.store.trust_policy_set(&policy)?;
            let info = policy_info(&self.trust_set()?);
            let sha = sha256_hex(&bytes);
            Ok((
                info,
                sha.clone(),
                serde_json::json!({"file": shown, "sha256": sha}),
            ))
        })
    }

    /// Signs the station's whole trust (keys, revocations, policy) into a trust package file.
    pub fn trust_export(
        &self,
        req: &TrustExport,
        cb: &dyn Callbacks,
    ) -> Result<TrustExported, OpsError> {
        let key = crate::audit::key_for_log(&req.key);
        self.trust_recorded("trust.export", &key, || {
            if req.output.exists() && !req.force {
                return Err(OpsError::OutputExists(req.output.clone()));
            }
            let set = self.trust_set()?;
            let signer = self.signer_for(&req.key, req.allow_pin_in_uri, cb)?;
            let issued_at = now();
            let json = TrustPackage::issue(&set, &self.operator, issued_at, &*signer).map_err(
                |source| match source {
                    // A token's failure keeps its own kind and remedy (PIN, removed token).
                    PackageError::Sign(e) => OpsError::Sign(e),
                    other => OpsError::TrustPackage {
                        path: req.output.clone(),
                        source: Box::new(other),
                    },
                },
            )?;
            write_atomic(
                &req.output,
                if req.force {
                    Overwrite::Allow
                } else {
                    Overwrite::Refuse
                },
                |f| std::io::Write::write_all(f, json.as_bytes()),
            )?;
            let signer_id = signer.public_key().key_id();
            let done = TrustExported {
                path: req.output.display().to_string(),
                sha256: sha256_hex(json.as_bytes()),
                signer_key_id: signer_id.to_string(),
                issued_at: issued_at.to_string(),
                keys: set.keys().len(),
                revocations: set.revocations().len(),
                policy_modules: set.policy().modules.len(),
                signer_is_custodian_here: set
                    .status(&signer_id, issued_at, None, Some(KeyRole::Custodian))
                    .acceptable(),
            };
            let details = serde_json::json!({
                "path": done.path, "signer": done.signer_key_id, "keys": done.keys,
                "revocations": done.revocations, "policy_modules": done.policy_modules,
            });
            Ok((done.clone(), done.sha256.clone(), details))
        })
    }

    /// Imports a trust package: it must be signed by an active custodian of the station's
    /// current trust and be no older than the last one imported. The package's keys and policy
    /// replace the station's; the station's revocations are kept. One transaction.
    pub fn trust_import(&self, path: &Path) -> Result<TrustImported, OpsError> {
        let shown = path.display().to_string();
        self.trust_recorded("trust.import", &shown, || {
            let bytes = read_capped(path, MAX_PACKAGE_BYTES)?;
            let sha256 = sha256_hex(&bytes);
            let refused = |source| OpsError::TrustPackage {
                path: path.to_owned(),
                source: Box::new(source),
            };
            let package = TrustPackage::open(&bytes).map_err(refused)?;
            let current = self.trust_set()?;
            let at = now();
            if !current.has_active_custodian(at) {
                return Err(OpsError::NoCustodian {
                    path: path.to_owned(),
                    signer: package.signer_key_id().to_string(),
                });
            }
            let verified = package.verify_with(&current, at).map_err(refused)?;
            if let Some(last) = self.store.trust_last_import()? {
                if verified.issued_at < last {
                    return Err(OpsError::StaleTrustPackage {
                        path: path.to_owned(),
                        issued_at: verified.issued_at.to_string(),
                        last: last.to_string(),
                    });
                }
            }
            let imported_revocations = verified.trust.revocations().len();
            let merged = verified.trust.clone().keeping_revocations_of(&current);
            self.store
                .trust_replace_imported(&merged, verified.issued_at)?;
            let signer_name = current
                .key(&verified.signer)
                .map(|k| k.name().to_owned())
                .unwrap_or_default();
            let done = TrustImported {
                sha256: sha256.clone(),
                issuer: verified.issuer.clone(),
                issued_at: verified.issued_at.to_string(),
                signer_key_id: verified.signer.to_string(),
                signer_name,
                keys: merged.keys().len(),
                revocations: merged.revocations().len(),
                policy_modules: merged.policy().modules.len(),
                kept_revocations: merged.revocations().len() - imported_revocations,
                signer_still_custodian: merged
                    .status(&verified.signer, at, None, Some(KeyRole::Custodian))
                    .acceptable(),
            };
            let details = serde_json::json!({
                "file": shown, "issuer": done.issuer, "issued_at": done.issued_at,
                "signer": done.signer_key_id, "keys": done.keys, "revocations": done.revocations,
                "policy_modules": done.policy_modules, "kept_revocations": done.kept_revocations,
            });
            Ok((done, sha256, details))
        })
    }
}

/// The trust set of a package named on the command line for one verification (`verify
/// --trust PKG.json`), with a description of where it came from. With `anchor` (a station's trust
/// store that has an active custodian) the package must be signed by one of its custodians;
/// without, it must at least be signed by a custodian key it lists itself.
pub fn trust_for_verification(
    path: &Path,
    anchor: Option<&TrustSet>,
) -> Result<(TrustSet, String), OpsError> {
    let bytes = read_capped(path, MAX_PACKAGE_BYTES)?;
    let refused = |source| OpsError::TrustPackage {
        path: path.to_owned(),
        source: Box::new(source),
    };
    let package = TrustPackage::open(&bytes).map_err(refused)?;
    let now = now();
    match anchor.filter(|a| a.has_active_custodian(now)) {
        Some(a) => {
            let v = package.verify_with(a, now).map_err(refused)?;
            Ok((
                v.trust,
                format!(
                    "the trust package {} issued by {}, signed by a custodian this station trusts",
                    path.display(),
                    v.issuer
                ),
            ))
        }
        None => {
            let v = package.verify_self_signed(now).map_err(refused)?;
            Ok((
                v.trust,
                format!(
                    "the trust package {} issued by {} (self-signed by its custodian key {}; not anchored in a station)",
                    path.display(),
                    v.issuer,
                    v.signer
                ),
            ))
        }
    }
}
