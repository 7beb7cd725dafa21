//! The trust model: which public keys a station trusts, for which purpose (one per key), held by
//! whom, for which release stages and during which window, which of them were revoked and when,
//! and the policy that travels with them. [`TrustSet::status`] answers "could this key sign so at
//! that time?".
//!
//! Revocation semantics: a key revoked at or before the moment it signed makes that signature
//! invalid; a key revoked after it signed leaves the signature valid, but flagged.

use std::collections::BTreeSet;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use strongroom_core::keyref::check_label;
use strongroom_core::{KeyId, PublicKey};

use crate::Timestamp;

pub use strongroom_core::Stage;

/// Parses a comma-separated list of stages (`dev,test`), sorted and without duplicates.
pub fn parse_stages(s: &str) -> Result<Vec<Stage>, TrustError> {
    parse_list(s)
}

pub use strongroom_core::Purpose;

/// Operator names and key holders: 1 to 64 letters, digits, `.`, `_`, `-`, `@`, starting with a
/// letter or digit (the same rule as operator accounts, whose names holders are).
pub fn check_holder(name: &str) -> Result<(), TrustError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(TrustError::BadHolder(name.to_owned()))
    }
}

fn parse_list<T: FromStr + Ord>(s: &str) -> Result<Vec<T>, TrustError>
where
    TrustError: From<T::Err>,
{
    let set: BTreeSet<T> = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.parse::<T>().map_err(TrustError::from))
        .collect::<Result<_, _>>()?;
    Ok(set.into_iter().collect())
}

impl From<strongroom_core::UnknownStage> for TrustError {
    fn from(e: strongroom_core::UnknownStage) -> Self {
        TrustError::UnknownStage(e.0)
    }
}

impl From<strongroom_core::UnknownPurpose> for TrustError {
    fn from(e: strongroom_core::UnknownPurpose) -> Self {
        TrustError::UnknownPurpose(e.0)
    }
}

/// Why a trust entry or set is not acceptable.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustError {
    #[error("unknown stage {0:?} (expected dev, test, staging or production)")]
    UnknownStage(String),
    #[error("unknown purpose {0:?} (expected signer, approver, custodian or audit)")]
    UnknownPurpose(String),
    #[error("invalid holder {0:?}: a holder is an operator name: 1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit")]
    BadHolder(String),
    #[error("invalid trust name {0:?}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")]
    BadName(String),
    #[error("the key {name:?} would never be valid: not-before {not_before} is after not-after {not_after}")]
    EmptyWindow {
        name: String,
        not_before: Timestamp,
        not_after: Timestamp,
    },
    #[error("the public key of {name:?} is unusable: {reason}")]
    PublicKey { name: String, reason: String },
    #[error("the public key of {name:?} has key id {actual}, not the {stated} its entry states")]
    KeyIdMismatch {
        name: String,
        stated: String,
        actual: String,
    },
    #[error("two trusted keys are named {0:?}")]
    DuplicateName(String),
    #[error("two Sigstore trusted roots are named {0:?}")]
    DuplicateRoot(String),
    #[error("the Sigstore trusted root {0:?} is not the text its digest names")]
    RootDigest(String),
    #[error("the key {key_id} is trusted twice, as {first:?} and {second:?}")]
    DuplicateKey {
        key_id: String,
        first: String,
        second: String,
    },
    #[error("invalid policy module name {0:?}: use 1 to 128 printable characters, no '/' or '\\'")]
    BadModuleName(String),
    #[error("two policy modules are named {0:?}")]
    DuplicateModule(String),
    #[error("policy data must be a JSON object, not {0}")]
    DataNotObject(String),
}

/// What it takes to trust a key; [`TrustedKey::new`] checks it.
#[derive(Clone, Debug)]
pub struct NewTrustedKey {
    pub name: String,
    /// PEM SubjectPublicKeyInfo.
    pub pem: String,
    /// Empty: every stage.
    pub stages: Vec<Stage>,
    /// The one kind of signature the key is trusted for.
    pub purpose: Purpose,
    /// The person who holds the key: an operator name, as the custodian who trusted it
    /// recorded it. Approvals are counted by holder, never by a name the signer wrote.
    pub holder: String,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
    pub added_at: Timestamp,
    pub added_by: String,
}

/// A key the station trusts. Its key id is always the id of its public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    key_id: KeyId,
    public_key: PublicKey,
    name: String,
    pem: String,
    stages: Vec<Stage>,
    purpose: Purpose,
    holder: String,
    not_before: Option<Timestamp>,
    not_after: Option<Timestamp>,
    added_at: Timestamp,
    added_by: String,
}

impl TrustedKey {
    /// Checks the name, the PEM public key, the holder and the validity window. The PEM is
    /// stored normalised; stages are sorted and deduplicated.
    pub fn new(k: NewTrustedKey) -> Result<Self, TrustError> {
        check_label(&k.name).map_err(|_| TrustError::BadName(k.name.clone()))?;
        check_holder(&k.holder)?;
        let public_key = PublicKey::from_pem(&k.pem).map_err(|e| TrustError::PublicKey {
            name: k.name.clone(),
            reason: e.to_string(),
        })?;
        let stages: BTreeSet<Stage> = k.stages.into_iter().collect();
        if let (Some(nb), Some(na)) = (k.not_before, k.not_after) {
            if nb > na {
                return Err(TrustError::EmptyWindow {
                    name: k.name,
                    not_before: nb,
                    not_after: na,
                });
            }
        }
        Ok(TrustedKey {
            key_id: public_key.key_id(),
            pem: public_key.to_pem(),
            public_key,
            name: k.name,
            stages: stages.into_iter().collect(),
            purpose: k.purpose,
            holder: k.holder,
            not_before: k.not_before,
            not_after: k.not_after,
            added_at: k.added_at,
            added_by: k.added_by,
        })
    }

    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn pem(&self) -> &str {
        &self.pem
    }
    /// The stages the key may act for; empty means every stage.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }
    /// The operator who holds the key.
    pub fn holder(&self) -> &str {
        &self.holder
    }
    pub fn not_before(&self) -> Option<Timestamp> {
        self.not_before
    }
    pub fn not_after(&self) -> Option<Timestamp> {
        self.not_after
    }
    pub fn added_at(&self) -> Timestamp {
        self.added_at
    }
    pub fn added_by(&self) -> &str {
        &self.added_by
    }
    pub fn has_purpose(&self, purpose: Purpose) -> bool {
        self.purpose == purpose
    }
    pub fn allows_stage(&self, stage: Stage) -> bool {
        self.stages.is_empty() || self.stages.contains(&stage)
    }
}

/// A key's revocation. A key may be revoked more than once; the earliest time counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    pub key_id: KeyId,
    pub revoked_at: Timestamp,
    pub reason: String,
}

/// One Rego module of the trust policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyModule {
    /// A file name such as `no-beta-builds.rego`; errors name it.
    pub name: String,
    pub rego: String,
}

impl PolicyModule {
    pub fn new(name: impl Into<String>, rego: impl Into<String>) -> Self {
        PolicyModule {
            name: name.into(),
            rego: rego.into(),
        }
    }
}

/// The policy that travels with the trust: Rego modules added to the built-in rules, and the
/// parameters (`data.strongroom.config`) merged over the built-in defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyBundle {
    pub modules: Vec<PolicyModule>,
    /// A JSON object, e.g. `{"allowed_builders": ["https://…"], "min_approvers": {"production": 3}}`.
    pub data: serde_json::Value,
}

impl Default for PolicyBundle {
    fn default() -> Self {
        PolicyBundle {
            modules: Vec::new(),
            data: serde_json::Value::Object(Default::default()),
        }
    }
}

impl PolicyBundle {
    /// Module names are unique and file-name-like; data is an object. (Rego syntax is checked by
    /// [`crate::rego::check_modules`].)
    pub fn check(&self) -> Result<(), TrustError> {
        let mut seen = BTreeSet::new();
        for m in &self.modules {
            check_module_name(&m.name)?;
            if !seen.insert(m.name.as_str()) {
                return Err(TrustError::DuplicateModule(m.name.clone()));
            }
        }
        if !self.data.is_object() {
            return Err(TrustError::DataNotObject(json_kind(&self.data).to_owned()));
        }
        Ok(())
    }
}

/// Checks a policy module name: 1 to 128 printable characters, no path separators.
pub fn check_module_name(name: &str) -> Result<(), TrustError> {
    let ok = !name.trim().is_empty()
        && name.chars().count() <= 128
        && !name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\');
    if ok {
        Ok(())
    } else {
        Err(TrustError::BadModuleName(name.to_owned()))
    }
}

pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A Sigstore trusted root the station trusts for keyless verification, by name: its JSON as
/// imported (Sigstore's `trusted_root.json`, or gh's JSON lines; `strongroom-sigstore` reads it
/// when it is imported and when it is used), and the SHA-256 of that text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigstoreRoot {
    pub name: String,
    pub sha256: String,
    pub json: String,
    pub added_at: Timestamp,
    pub added_by: String,
}

impl SigstoreRoot {
    /// A root named `name` of `json`, its digest computed.
    pub fn new(name: String, json: String, added_at: Timestamp, added_by: String) -> Self {
        let sha256 = strongroom_core::HashAlg::Sha256
            .hash(json.as_bytes())
            .to_hex();
        SigstoreRoot {
            name,
            sha256,
            json,
            added_at,
            added_by,
        }
    }
}

/// Everything a station trusts: keys, revocations, policy, and Sigstore trusted roots. Names
/// and key ids are unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustSet {
    keys: Vec<TrustedKey>,
    revocations: Vec<Revocation>,
    policy: PolicyBundle,
    roots: Vec<SigstoreRoot>,
}

/// A key's revocation as seen from one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevocationStatus {
    pub revoked_at: Timestamp,
    pub reason: String,
    /// Revoked at or before the moment asked about: a signature made then is invalid.
    pub before: bool,
}

/// Whether a key could act in a role, at a stage, at a moment; see [`TrustSet::status`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyStatus {
    #[serde(serialize_with = "ser_key_id")]
    pub key_id: KeyId,
    /// The key is in the trust set.
    pub known: bool,
    pub name: Option<String>,
    /// The key's purpose, when known.
    pub purpose: Option<Purpose>,
    /// The key's holder, when known.
    pub holder: Option<String>,
    /// The key's stages; empty means every stage.
    pub stages: Vec<Stage>,
    /// The key has the purpose asked about (true when none was asked about).
    pub has_purpose: bool,
    /// The key may act for the stage asked about (true when none was asked about).
    pub stage_allowed: bool,
    /// The moment is before the key's not-before.
    pub not_yet_valid: bool,
    /// The moment is after the key's not-after.
    pub expired: bool,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
    /// Set when the key was ever revoked (the earliest revocation), whether before or after.
    pub revoked: Option<RevocationStatus>,
}

fn ser_key_id<S: serde::Serializer>(id: &KeyId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(id.as_str())
}

impl KeyStatus {
    /// Revoked at or before the moment: a signature made then does not count.
    pub fn revoked_before(&self) -> bool {
        self.revoked.as_ref().is_some_and(|r| r.before)
    }

    /// Known, inside its validity window, and not revoked at that moment.
    pub fn active(&self) -> bool {
        self.known && !self.not_yet_valid && !self.expired && !self.revoked_before()
    }

    /// Active, and with the purpose and stage asked about.
    pub fn acceptable(&self) -> bool {
        self.active() && self.has_purpose && self.stage_allowed
    }

    /// Why the key is not acceptable, one phrase per reason (empty when it is).
    pub fn problems(
        &self,
        at: Timestamp,
        stage: Option<Stage>,
        purpose: Option<Purpose>,
    ) -> Vec<String> {
        if !self.known {
            return vec![format!("key {} is not in the trust store", self.key_id)];
        }
        let mut out = Vec::new();
        if self.not_yet_valid {
            if let Some(nb) = self.not_before {
                out.push(format!("not valid until {nb} (at {at})"));
            }
        }
        if self.expired {
            if let Some(na) = self.not_after {
                out.push(format!("expired at {na} (before {at})"));
            }
        }
        if let Some(r) = self.revoked.as_ref().filter(|r| r.before) {
            out.push(format!("revoked at {} ({})", r.revoked_at, r.reason));
        }
        if !self.has_purpose {
            if let Some(purpose) = purpose {
                let actual = self.purpose.map_or("a key of no purpose", Purpose::a_key);
                out.push(format!(
                    "is {actual}, not trusted to sign {}",
                    purpose.signs()
                ));
            }
        }
        if !self.stage_allowed {
            if let Some(stage) = stage {
                out.push(format!("not trusted for the {stage} stage"));
            }
        }
        out
    }
}

impl TrustSet {
    /// Checks that names, key ids and module names are unique and the data is an object.
    pub fn new(
        keys: Vec<TrustedKey>,
        revocations: Vec<Revocation>,
        policy: PolicyBundle,
    ) -> Result<Self, TrustError> {
        let mut names = BTreeSet::new();
        for (i, k) in keys.iter().enumerate() {
            if !names.insert(k.name.as_str()) {
                return Err(TrustError::DuplicateName(k.name.clone()));
            }
            if let Some(first) = keys[..i].iter().find(|o| o.key_id == k.key_id) {
                return Err(TrustError::DuplicateKey {
                    key_id: k.key_id.to_string(),
                    first: first.name.clone(),
                    second: k.name.clone(),
                });
            }
        }
        policy.check()?;
        Ok(TrustSet {
            keys,
            revocations,
            policy,
            roots: Vec::new(),
        })
    }

    /// The set with these Sigstore trusted roots: names unique, each digest its text's.
    pub fn with_roots(mut self, roots: Vec<SigstoreRoot>) -> Result<Self, TrustError> {
        let mut names = BTreeSet::new();
        for r in &roots {
            if !names.insert(r.name.as_str()) {
                return Err(TrustError::DuplicateRoot(r.name.clone()));
            }
            let again = SigstoreRoot::new(
                r.name.clone(),
                r.json.clone(),
                r.added_at,
                r.added_by.clone(),
            );
            if again.sha256 != r.sha256 {
                return Err(TrustError::RootDigest(r.name.clone()));
            }
        }
        self.roots = roots;
        Ok(self)
    }

    pub fn roots(&self) -> &[SigstoreRoot] {
        &self.roots
    }

    /// A Sigstore trusted root by name.
    pub fn root(&self, name: &str) -> Option<&SigstoreRoot> {
        self.roots.iter().find(|r| r.name == name)
    }

    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }
    pub fn revocations(&self) -> &[Revocation] {
        &self.revocations
    }
    pub fn policy(&self) -> &PolicyBundle {
        &self.policy
    }

    pub fn key(&self, id: &KeyId) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| &k.key_id == id)
    }

    pub fn key_by_name(&self, name: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// A key by its trust name or its key id.
    pub fn find(&self, name_or_id: &str) -> Option<&TrustedKey> {
        self.key_by_name(name_or_id)
            .or_else(|| KeyId::parse(name_or_id.trim()).and_then(|id| self.key(&id)))
    }

    /// The earliest revocation of a key, if it was ever revoked.
    pub fn revocation(&self, id: &KeyId) -> Option<&Revocation> {
        self.revocations
            .iter()
            .filter(|r| &r.key_id == id)
            .min_by_key(|r| r.revoked_at)
    }

    /// Whether any key has the custodian purpose and is active at `at`: without one, no trust
    /// package can be imported.
    pub fn has_active_custodian(&self, at: Timestamp) -> bool {
        self.keys.iter().any(|k| {
            self.status(&k.key_id, at, None, Some(Purpose::Custodian))
                .acceptable()
        })
    }

    /// Whether key `id` could sign for `purpose` (if given) at `stage` (if given) at moment `at`.
    pub fn status(
        &self,
        id: &KeyId,
        at: Timestamp,
        stage: Option<Stage>,
        purpose: Option<Purpose>,
    ) -> KeyStatus {
        let revoked = self.revocation(id).map(|r| RevocationStatus {
            revoked_at: r.revoked_at,
            reason: r.reason.clone(),
            before: r.revoked_at <= at,
        });
        match self.key(id) {
            None => KeyStatus {
                key_id: id.clone(),
                known: false,
                name: None,
                purpose: None,
                holder: None,
                stages: Vec::new(),
                has_purpose: false,
                stage_allowed: false,
                not_yet_valid: false,
                expired: false,
                not_before: None,
                not_after: None,
                revoked,
            },
            Some(k) => KeyStatus {
                key_id: id.clone(),
                known: true,
                name: Some(k.name.clone()),
                purpose: Some(k.purpose),
                holder: Some(k.holder.clone()),
                stages: k.stages.clone(),
                has_purpose: purpose.is_none_or(|p| k.has_purpose(p)),
                stage_allowed: stage.is_none_or(|s| k.allows_stage(s)),
                not_yet_valid: k.not_before.is_some_and(|nb| at < nb),
                expired: k.not_after.is_some_and(|na| at > na),
                not_before: k.not_before,
                not_after: k.not_after,
                revoked,
            },
        }
    }

    /// This set with `earlier`'s revocations added: revocations are sticky, so importing a trust
    /// package never un-revokes a key the station had revoked.
    pub fn keeping_revocations_of(mut self, earlier: &TrustSet) -> TrustSet {
        for r in &earlier.revocations {
            if !self.revocations.contains(r) {
                self.revocations.push(r.clone());
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_sorted_and_deduplicated() {
        assert_eq!(
            parse_stages("production, dev,dev").unwrap(),
            vec![Stage::Dev, Stage::Production]
        );
        assert_eq!(
            parse_stages("prod").unwrap_err(),
            TrustError::UnknownStage("prod".into())
        );
        assert!(parse_stages("").unwrap().is_empty());
    }

    #[test]
    fn holders_are_operator_names() {
        assert!(check_holder("bob@acme.example").is_ok());
        for bad in ["", "-bob", "bob smith", &"b".repeat(65)] {
            assert_eq!(check_holder(bad), Err(TrustError::BadHolder(bad.into())));
        }
    }
}
