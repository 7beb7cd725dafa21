//! Trust store use cases: trusting a key (purpose, holder, stages, validity window), revoking
//! one, listing the trust, the trust policy (Rego modules and data), and exporting and importing
//! it as a trust package signed by a threshold of custodians. Every change is an act of the
//! audit log; trusting approver, custodian or audit keys, changing the policy and exporting need
//! the custodian quorum. Also the policy decision for a release (`Station::policy_decision`),
//! evaluated with the station's trust policy.

use std::path::{Path, PathBuf};
use strongroom_core::AuditEvent;

use serde::Serialize;
use strongroom_core::{HashAlg, Purpose, Signer};
pub use strongroom_policy::Timestamp;

/// Stages as a person lists them (`staging,production`; empty is every stage).
pub fn parse_stages(s: &str) -> Result<Vec<strongroom_core::Stage>, OpsError> {
    Ok(strongroom_policy::trust::parse_stages(s)?)
}

/// A key's purpose as a person names it (`signer`, `approver`, `custodian`, `audit`).
pub fn parse_purpose(s: &str) -> Result<strongroom_core::Purpose, OpsError> {
    s.parse::<strongroom_core::Purpose>()
        .map_err(|e| OpsError::from(strongroom_policy::TrustError::from(e)))
}

/// An RFC 3339 time as a person gives it (`--not-before`, `--not-after`).
pub fn parse_time(s: &str) -> Result<Timestamp, OpsError> {
    Timestamp::parse(s).map_err(|e| OpsError::BadInput(format!("{s:?}: {e}")))
}
use strongroom_policy::{
    check_modules, Decision, NewTrustedKey, PackageError, PolicyInput, PolicyModule, Revocation,
    Stage, TrustPackage, TrustSet, TrustedKey,
};
use strongroom_store::fsutil::{write_atomic, Overwrite};
use strongroom_store::state::Change;
use strongroom_store::trust::{RevocationRow, TrustKeyRow, TrustRows, LAST_IMPORT, THRESHOLD};

use crate::verify::read_capped;
use crate::AuditOutcome;
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
    /// The one kind of signature the key is trusted for.
    pub purpose: Purpose,
    /// Who holds the key: an operator name (approvals are counted by holder).
    pub holder: String,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
}

/// A request to write the station's trust as a trust package.
#[derive(Clone, Debug)]
pub struct TrustExport {
    /// The custodian keys that sign it, each an inventory label or key id (software or token)
    /// or a `pkcs11:` URI; their holders must be the operator and the custodians who consented,
    /// and at least as many as the custodian quorum.
    pub keys: Vec<String>,
    pub output: PathBuf,
    /// Replace an existing file.
    pub force: bool,
    pub allow_pin_in_uri: bool,
    /// Write the package even when fewer custodians sign it than its threshold: the others
    /// countersign it afterwards ([`Station::trust_countersign`]), on this station or theirs.
    /// No station imports it until enough have.
    pub partial: bool,
}

/// One trusted key as `trust list` shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustedKeyInfo {
    pub name: String,
    pub key_id: String,
    #[cfg_attr(
        feature = "ts",
        ts(type = r#""ed25519" | "ecdsa-p256" | "ecdsa-p384" | `rsa-${number}`"#)
    )]
    pub algorithm: strongroom_core::Algorithm,
    /// The one kind of signature the key is trusted for.
    pub purpose: Purpose,
    /// Who holds the key.
    pub holder: String,
    /// Empty: every stage.
    pub stages: Vec<strongroom_core::Stage>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub added_at: String,
    pub added_by: String,
    pub state: TrustState,
    /// The earliest revocation, if any (it may lie in the future).
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
    pub public_key_pem: String,
}

/// Where a trusted key stands now.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TrustState {
    Active,
    /// A revocation has taken effect.
    Revoked,
    /// Past its `not_after`.
    Expired,
    /// Before its `not_before`.
    NotYetValid,
}

impl TrustState {
    pub fn as_str(self) -> &'static str {
        match self {
            TrustState::Active => "active",
            TrustState::Revoked => "revoked",
            TrustState::Expired => "expired",
            TrustState::NotYetValid => "not-yet-valid",
        }
    }
}

impl std::fmt::Display for TrustState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
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
    /// Sigstore trusted roots, for keyless verification.
    pub roots: Vec<crate::trust_roots::TrustRootInfo>,
}

/// A written trust package.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustExported {
    pub path: String,
    pub sha256: String,
    /// The keys that signed it.
    pub signer_key_ids: Vec<String>,
    /// Their holders.
    pub holders: Vec<String>,
    /// How many custodians must sign it (and the next package) for a station to import it;
    /// more than `holders` for a partial package that still needs countersignatures.
    pub threshold: u32,
    pub issued_at: String,
    pub keys: usize,
    pub revocations: usize,
    pub policy_modules: usize,
}

/// An imported trust package.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustImported {
    pub sha256: String,
    pub issuer: String,
    pub issued_at: String,
    /// The keys whose signatures counted, and their holders.
    pub signer_key_ids: Vec<String>,
    pub holders: Vec<String>,
    /// The threshold the station now enforces on the next package.
    pub threshold: u32,
    pub keys: usize,
    pub revocations: usize,
    pub policy_modules: usize,
    /// The Sigstore trusted roots the package carries, by name.
    pub roots: Vec<String>,
    /// Revocations the station held that the package lacked, kept (revocations are sticky).
    pub kept_revocations: usize,
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
    Timestamp::now().whole_seconds()
}

fn sha256_hex(bytes: &[u8]) -> String {
    HashAlg::Sha256.hash(bytes).to_hex()
}

fn key_info(set: &TrustSet, k: &TrustedKey, at: Timestamp) -> TrustedKeyInfo {
    let status = set.status(k.key_id(), at, None, None);
    let state = if status.revoked_before() {
        TrustState::Revoked
    } else if status.expired {
        TrustState::Expired
    } else if status.not_yet_valid {
        TrustState::NotYetValid
    } else {
        TrustState::Active
    };
    let revocation = set.revocation(k.key_id());
    TrustedKeyInfo {
        name: k.name().to_owned(),
        key_id: k.key_id().to_string(),
        algorithm: k.public_key().algorithm(),
        purpose: k.purpose(),
        holder: k.holder().to_owned(),
        stages: k.stages().to_vec(),
        not_before: k.not_before().map(|t| t.to_string()),
        not_after: k.not_after().map(|t| t.to_string()),
        added_at: k.added_at().to_string(),
        added_by: k.added_by().to_owned(),
        state,
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
    /// Runs `op` and records what it returns as an act (custodian only; the rules of
    /// `access.rs` decide whether the quorum must consent), or records its failure.
    pub(crate) fn trust_act<T>(
        &self,
        action: AuditEvent,
        object: &str,
        op: impl FnOnce() -> Result<(T, String, Vec<Change>, serde_json::Value), OpsError>,
    ) -> Result<T, OpsError> {
        self.require(crate::operators::Action::TrustChange)?;
        let done = op().and_then(|(value, object, changes, details)| {
            self.act(action, &object, changes, details)?;
            Ok(value)
        });
        done.inspect_err(|e| self.record_failure(action, object, e))
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
            crate::sandbox::evaluate(&input.to_value(), input.release.stage, set.policy(), extra)
        });
        match decision {
            Ok(d) => {
                self.record(
                    AuditEvent::PolicyDecision,
                    &object,
                    if d.allowed() {
                        AuditOutcome::Ok
                    } else {
                        AuditOutcome::Denied
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
                self.record_failure(AuditEvent::PolicyDecision, &object, &e);
                Err(e)
            }
        }
    }

    /// Trusts a public key under a name, for one purpose, held by one person. Refuses a name or
    /// a key that is already trusted. An approver, custodian or audit key needs the custodian
    /// quorum's consent: it decides who counts as a person.
    pub fn trust_add(&self, req: &TrustAdd) -> Result<TrustedKeyInfo, OpsError> {
        self.trust_act(AuditEvent::TrustAdd, &req.name, || {
            let public_key = load_public_key_file(&req.pem_path)?;
            let (info, change, details) = self.trust_addition(NewTrustedKey {
                name: req.name.clone(),
                pem: public_key.to_pem(),
                stages: req.stages.clone(),
                purpose: req.purpose,
                holder: req.holder.clone(),
                not_before: req.not_before,
                not_after: req.not_after,
                added_at: now(),
                added_by: self.operator.clone(),
            })?;
            let key_id = public_key.key_id().to_string();
            Ok((info, key_id, vec![change], details))
        })
    }

    /// The change that trusts `key`, checked against the trust store as it is (a name or key
    /// already trusted is refused), with what the audit row records about it.
    pub(crate) fn trust_addition(
        &self,
        key: NewTrustedKey,
    ) -> Result<(TrustedKeyInfo, Change, serde_json::Value), OpsError> {
        let key = TrustedKey::new(key)?;
        let set = self.trust_set()?;
        let set = TrustSet::new(
            set.keys().iter().cloned().chain([key.clone()]).collect(),
            set.revocations().to_vec(),
            set.policy().clone(),
        )
        .map_err(|e| match e {
            strongroom_policy::TrustError::DuplicateName(n) => {
                strongroom_store::StoreError::TrustNameTaken(n).into()
            }
            strongroom_policy::TrustError::DuplicateKey { first, .. } => {
                strongroom_store::StoreError::TrustKeyTaken(first).into()
            }
            other => OpsError::from(other),
        })?;
        let info = key_info(&set, &key, now());
        let details = serde_json::json!({
            "name": info.name, "purpose": info.purpose, "holder": info.holder,
            "stages": info.stages, "not_before": info.not_before, "not_after": info.not_after,
        });
        let change = Change::TrustKeyAdd {
            key: TrustKeyRow::of(&key),
        };
        Ok((info, change, details))
    }

    /// Revokes a trusted key (by name or key id) as of `at` (default now). Signatures the key made
    /// before `at` stay valid (flagged); those made at or after it do not count.
    pub fn trust_revoke(
        &self,
        key: &str,
        at: Option<Timestamp>,
        reason: &str,
    ) -> Result<RevocationInfo, OpsError> {
        self.trust_act(AuditEvent::TrustRevoke, key, || {
            let set = self.trust_set()?;
            let k = set
                .find(key)
                .ok_or_else(|| {
                    let names: Vec<&str> = set.keys().iter().map(|k| k.name()).collect();
                    OpsError::TrustKeyNotFound {
                        key: key.to_owned(),
                        suggestion: crate::util::did_you_mean(key, &names),
                    }
                })?;
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
            let info = RevocationInfo {
                key_id: k.key_id().to_string(),
                name: Some(k.name().to_owned()),
                revoked_at: at.to_string(),
                reason,
            };
            let details = serde_json::json!({"name": info.name, "revoked_at": info.revoked_at, "reason": info.reason});
            Ok((
                info,
                k.key_id().to_string(),
                vec![Change::TrustRevoke {
                    revocation: RevocationRow::of(&revocation),
                }],
                details,
            ))
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
            roots: crate::trust_roots::root_infos(&set),
        })
    }

    /// Adds (or replaces, by file name) a Rego module of the trust policy. It must parse and use
    /// a package outside `strongroom`.
    pub fn trust_policy_add(&self, path: &Path) -> Result<TrustPolicyInfo, OpsError> {
        let shown = path.display().to_string();
        self.trust_act(AuditEvent::TrustPolicyAdd, &shown, || {
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
            let details = serde_json::json!({"module": name, "sha256": sha256_hex(&bytes)});
            Ok(policy_change(policy, name, details))
        })
    }

    /// Removes a Rego module of the trust policy by name.
    pub fn trust_policy_remove(&self, name: &str) -> Result<TrustPolicyInfo, OpsError> {
        self.trust_act(AuditEvent::TrustPolicyRemove, name, || {
            let mut policy = self.store.trust_policy()?;
            let before = policy.modules.len();
            policy.modules.retain(|m| m.name != name);
            if policy.modules.len() == before {
                return Err(OpsError::PolicyModuleNotFound(name.to_owned()));
            }
            Ok(policy_change(
                policy,
                name.to_owned(),
                serde_json::json!({"module": name}),
            ))
        })
    }

    /// Replaces the trust policy's data (a JSON object such as `{"allowed_builders": […]}`).
    pub fn trust_data_set(&self, path: &Path) -> Result<TrustPolicyInfo, OpsError> {
        let shown = path.display().to_string();
        self.trust_act(AuditEvent::TrustDataSet, &shown, || {
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
            let sha = sha256_hex(&bytes);
            Ok(policy_change(
                policy,
                sha.clone(),
                serde_json::json!({"file": shown, "sha256": sha}),
            ))
        })
    }

    /// Signs the station's whole trust (keys, revocations, policy) into a trust package file,
    /// with one signature per custodian key given. The package's threshold is the station's
    /// custodian quorum, and at least that many distinct holders must sign it: the keys'
    /// holders must be the operator and the custodians who consented (`add_cosigner`).
    pub fn trust_export(
        &self,
        req: &TrustExport,
        cb: &dyn Callbacks,
    ) -> Result<TrustExported, OpsError> {
        let shown: Vec<String> = req
            .keys
            .iter()
            .map(|k| crate::audit::key_for_log(k))
            .collect();
        let object = shown.join(", ");
        self.require(crate::operators::Action::TrustChange)?;
        let cosigners: Vec<String> =
            std::mem::take(&mut *self.cosigners.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .map(|c| c.name)
                .collect();
        self.trust_export_unrecorded(req, &cosigners, cb)
            .and_then(|done| {
                let details = serde_json::json!({
                    "path": done.path, "signers": done.signer_key_ids, "holders": done.holders,
                    "threshold": done.threshold, "keys": done.keys,
                    "revocations": done.revocations, "policy_modules": done.policy_modules,
                    "cosigners": cosigners,
                });
                self.record(
                    AuditEvent::TrustExport,
                    &done.sha256,
                    AuditOutcome::Ok,
                    details,
                )?;
                Ok(done)
            })
            .inspect_err(|e| self.record_failure(AuditEvent::TrustExport, &object, e))
    }

    fn trust_export_unrecorded(
        &self,
        req: &TrustExport,
        cosigners: &[String],
        cb: &dyn Callbacks,
    ) -> Result<TrustExported, OpsError> {
        let overwrite = self.output_file(&req.output, req.force)?;
        if req.keys.is_empty() {
            return Err(OpsError::BadInput(
                "name at least one custodian key to sign the trust package with".into(),
            ));
        }
        let set = self.trust_set()?;
        let (quorum, _) = self.quorum();
        let present: Vec<&str> = std::iter::once(self.operator.as_str())
            .chain(cosigners.iter().map(String::as_str))
            .collect();
        let mut signers: Vec<Box<dyn Signer>> = Vec::new();
        let mut holders = Vec::new();
        for key in &req.keys {
            let signer = self.signer_for(key, Purpose::Custodian, req.allow_pin_in_uri, cb)?;
            let id = signer.public_key().key_id();
            let holder = set
                .key(&id)
                .filter(|k| k.purpose() == Purpose::Custodian)
                .map(|k| k.holder().to_owned())
                .ok_or_else(|| {
                    OpsError::BadInput(format!(
                        "{}: this station does not trust the key {id} as a custodian key, so no station that shares its trust would count its signature",
                        crate::audit::key_for_log(key)
                    ))
                })?;
            if !present.contains(&holder.as_str()) {
                return Err(OpsError::BadInput(format!(
                    "{}: the key is held by {holder}, who is neither the operator nor a custodian who consented: each custodian signs with their own key",
                    crate::audit::key_for_log(key)
                )));
            }
            if !holders.contains(&holder) {
                holders.push(holder);
            }
            signers.push(signer);
        }
        if (holders.len() as u32) < quorum && !req.partial {
            return Err(OpsError::QuorumRequired {
                action: "trust.export".into(),
                quorum,
                consenting: holders,
            });
        }
        let issued_at = now();
        let refs: Vec<&dyn Signer> = signers.iter().map(|s| &**s).collect();
        let json = TrustPackage::issue(&set, &self.operator, issued_at, quorum, &refs).map_err(
            |source| match source {
                // A token's failure keeps its own kind and remedy (PIN, removed token).
                PackageError::Sign(e) => OpsError::Sign(e),
                other => OpsError::TrustPackage {
                    path: req.output.clone(),
                    source: Box::new(other),
                },
            },
        )?;
        write_atomic(&req.output, overwrite, |f| {
            std::io::Write::write_all(f, json.as_bytes())
        })?;
        Ok(TrustExported {
            path: req.output.display().to_string(),
            sha256: sha256_hex(json.as_bytes()),
            signer_key_ids: signers
                .iter()
                .map(|s| s.public_key().key_id().to_string())
                .collect(),
            holders,
            threshold: quorum,
            issued_at: issued_at.to_string(),
            keys: set.keys().len(),
            revocations: set.revocations().len(),
            policy_modules: set.policy().modules.len(),
        })
    }

    /// Adds the logged-in custodian's signature to a trust package file (written back in
    /// place, atomically): how a second custodian, on this station or another, countersigns a
    /// package another custodian issued. The key must be a custodian key the station trusts
    /// and the operator holds.
    pub fn trust_countersign(
        &self,
        path: &Path,
        key: &str,
        allow_pin_in_uri: bool,
        cb: &dyn Callbacks,
    ) -> Result<Vec<String>, OpsError> {
        let shown = path.display().to_string();
        self.require(crate::operators::Action::TrustChange)?;
        let done = (|| {
            let bytes = read_capped(path, MAX_PACKAGE_BYTES)?;
            let refused = |source| OpsError::TrustPackage {
                path: path.to_owned(),
                source: Box::new(source),
            };
            let mut package = TrustPackage::open(&bytes).map_err(refused)?;
            let signer = self.signer_for(key, Purpose::Custodian, allow_pin_in_uri, cb)?;
            let id = signer.public_key().key_id();
            let set = self.trust_set()?;
            match set.key(&id) {
                Some(k) if k.purpose() == Purpose::Custodian && k.holder() == self.operator => {}
                _ => {
                    return Err(OpsError::BadInput(format!(
                        "{}: not a custodian key this station trusts as held by {}",
                        crate::audit::key_for_log(key),
                        self.operator
                    )))
                }
            }
            package
                .add_signature(&*signer)
                .map_err(|source| match source {
                    PackageError::Sign(e) => OpsError::Sign(e),
                    other => refused(other),
                })?;
            let json = package.to_json();
            write_atomic(path, Overwrite::Allow, |f| {
                std::io::Write::write_all(f, json.as_bytes())
            })?;
            Ok((package.signer_key_ids(), sha256_hex(json.as_bytes())))
        })();
        match done {
            Ok((ids, sha)) => {
                self.record(
                    AuditEvent::TrustCountersign,
                    &sha,
                    AuditOutcome::Ok,
                    serde_json::json!({"file": shown, "signers": ids}),
                )?;
                Ok(ids)
            }
            Err(e) => {
                self.record_failure(AuditEvent::TrustCountersign, &shown, &e);
                Err(e)
            }
        }
    }

    /// Imports a trust package: signed by the threshold the station accepted last (before its
    /// first import, its custodian quorum) of custodians its current trust holds, and by its own
    /// threshold of the custodians it lists; no older than the last one imported. The package's
    /// keys and policy replace the station's; the station's revocations are kept. One act,
    /// carrying the package, so that replaying the log checks the import again.
    pub fn trust_import(&self, path: &Path) -> Result<TrustImported, OpsError> {
        let shown = path.display().to_string();
        self.trust_act(AuditEvent::TrustImport, &shown, || {
            let bytes = read_capped(path, MAX_PACKAGE_BYTES)?;
            let sha256 = sha256_hex(&bytes);
            let refused = |source| OpsError::TrustPackage {
                path: path.to_owned(),
                source: Box::new(source),
            };
            let text = String::from_utf8(bytes.clone()).map_err(|_| {
                OpsError::BadInput(format!("{}: a trust package is UTF-8 JSON", path.display()))
            })?;
            let package = TrustPackage::open(&bytes).map_err(refused)?;
            let current = self.trust_set()?;
            let at = now();
            if !current.has_active_custodian(at) {
                return Err(OpsError::NoCustodian {
                    path: path.to_owned(),
                    signer: package.signer_key_ids().join(", "),
                });
            }
            let threshold = match self.store.trust_threshold()? {
                Some(t) => t,
                None => self.quorum().0,
            };
            let done = package
                .import(&current, threshold, self.store.trust_last_import()?, at)
                .map_err(|e| match e {
                    PackageError::Stale { issued_at, last } => OpsError::StaleTrustPackage {
                        path: path.to_owned(),
                        issued_at: issued_at.to_string(),
                        last: last.to_string(),
                    },
                    other => refused(other),
                })?;
            let merged = &done.merged;
            for r in merged.roots() {
                strongroom_sigstore::TrustedRoot::from_bytes(r.json.as_bytes()).map_err(|e| {
                    OpsError::BadInput(format!(
                        "{}: the package's Sigstore trusted root {:?} does not read as one: {e}",
                        path.display(),
                        r.name
                    ))
                })?;
            }
            let imported_revocations = done.package.trust.revocations().len();
            let result = TrustImported {
                sha256: sha256.clone(),
                issuer: done.package.issuer.clone(),
                issued_at: done.package.issued_at.to_string(),
                signer_key_ids: done
                    .package
                    .signers
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                holders: done.package.holders.clone(),
                threshold: done.package.threshold,
                keys: merged.keys().len(),
                revocations: merged.revocations().len(),
                policy_modules: merged.policy().modules.len(),
                roots: merged.roots().iter().map(|r| r.name.clone()).collect(),
                kept_revocations: merged.revocations().len() - imported_revocations,
            };
            let details = serde_json::json!({
                "file": shown, "issuer": result.issuer, "issued_at": result.issued_at,
                "signers": result.signer_key_ids, "holders": result.holders,
                "threshold": result.threshold, "keys": result.keys,
                "revocations": result.revocations, "policy_modules": result.policy_modules,
                "roots": result.roots,
                "kept_revocations": result.kept_revocations,
            });
            let changes = vec![
                Change::TrustReplace {
                    trust: TrustRows::of(merged),
                    package: text,
                },
                Change::Setting {
                    key: THRESHOLD.to_owned(),
                    value: Some(done.package.threshold.into()),
                },
                Change::Setting {
                    key: LAST_IMPORT.to_owned(),
                    value: Some(done.package.issued_at.to_rfc3339().into()),
                },
            ];
            Ok((result, sha256, changes, details))
        })
    }
}

/// A change of the trust policy as an act's parts.
fn policy_change(
    policy: strongroom_policy::PolicyBundle,
    object: String,
    details: serde_json::Value,
) -> (TrustPolicyInfo, String, Vec<Change>, serde_json::Value) {
    let info = TrustPolicyInfo {
        policy_modules: policy.modules.iter().map(|m| m.name.clone()).collect(),
        policy_data: policy.data.clone(),
    };
    (
        info,
        object,
        vec![Change::TrustPolicy {
            modules: policy.modules,
            data: policy.data,
        }],
        details,
    )
}

/// The trust a verification is made against, and where it came from (for the report).
#[derive(Clone, Debug)]
pub struct VerificationTrust {
    pub set: TrustSet,
    /// One phrase: `the station's trust store`, `the trust package P issued by …`.
    pub source: String,
    /// The trust package named for this verification, when one was.
    pub package: Option<TrustPackageLine>,
}

/// A trust package as a verification report names it: which file, its digest, who issued it
/// and which custodians' signatures counted.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustPackageLine {
    pub path: String,
    pub sha256: String,
    pub issuer: String,
    pub issued_at: String,
    /// The holders whose custodian signatures counted.
    pub signers: Vec<String>,
    pub signer_key_ids: Vec<String>,
    /// Its signers were checked against a station's custodians (else against the custodians
    /// the package lists itself).
    pub anchored: bool,
}

impl VerificationTrust {
    /// The station's own trust store.
    pub fn station(set: TrustSet) -> VerificationTrust {
        VerificationTrust {
            set,
            source: "the station's trust store".to_owned(),
            package: None,
        }
    }
}

/// The trust set of a package named on the command line for one verification (`verify
/// --trust PKG.json`), with a description of where it came from. With `anchor` (a station's trust
/// store that has an active custodian, and the threshold it enforces) the package must be signed
/// by that many of its custodians; without, by its own threshold of custodian keys it lists
/// itself.
pub fn trust_for_verification(
    path: &Path,
    anchor: Option<(&TrustSet, u32)>,
) -> Result<VerificationTrust, OpsError> {
    let bytes = read_capped(path, MAX_PACKAGE_BYTES)?;
    let refused = |source| OpsError::TrustPackage {
        path: path.to_owned(),
        source: Box::new(source),
    };
    let package = TrustPackage::open(&bytes).map_err(refused)?;
    let now = now();
    let (v, anchored) = match anchor.filter(|(a, _)| a.has_active_custodian(now)) {
        Some((a, threshold)) => (
            package.verify_with(a, threshold, now).map_err(refused)?,
            true,
        ),
        None => (package.verify_self_signed(now).map_err(refused)?, false),
    };
    let source = if anchored {
        format!(
            "the trust package {} issued by {}, signed by {} custodian(s) this station trusts ({})",
            path.display(),
            v.issuer,
            v.holders.len(),
            v.holders.join(", ")
        )
    } else {
        format!(
            "the trust package {} issued by {} (signed by {} of the custodians it lists itself: {}; not anchored in a station)",
            path.display(),
            v.issuer,
            v.holders.len(),
            v.holders.join(", ")
        )
    };
    let line = TrustPackageLine {
        path: path.display().to_string(),
        sha256: sha256_hex(&bytes),
        issuer: v.issuer.clone(),
        issued_at: v.issued_at.to_string(),
        signers: v.holders.clone(),
        signer_key_ids: v.signers.iter().map(ToString::to_string).collect(),
        anchored,
    };
    Ok(VerificationTrust {
        set: v.trust,
        source,
        package: Some(line),
    })
}
