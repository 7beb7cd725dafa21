//! Sigstore trusted roots in the station's trust store: imported by name (read and checked by
//! `strongroom-sigstore` first), listed with their authorities, logs and windows, removed, and
//! looked up for keyless verification. Each change is an act the custodian quorum signs, as a
//! change of the trust policy is: a root decides whose certificates count. Roots travel in
//! trust packages with the keys.

use std::path::Path;

use serde::Serialize;
use strongroom_core::AuditEvent;
use strongroom_policy::SigstoreRoot;
use strongroom_sigstore::trusted_root::{CertificateAuthority, TransparencyLog, ValidFor};
use strongroom_sigstore::TrustedRoot;
use strongroom_store::state::Change;

use crate::verify::read_capped;
use crate::{OpsError, Station};

/// Largest trusted root read (gh's JSON lines of two roots are some 30 KiB).
const MAX_ROOT_FILE: u64 = 4 << 20;

/// One authority or log of a root, as the Trust screen and `trust root list` show it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RootPart {
    /// `fulcio`, `tlog`, `ctlog` or `tsa`.
    pub kind: String,
    /// The URI, or the base URL of a log.
    pub uri: String,
    /// The certificate's subject (organisation and common name), or the log's key type.
    pub name: String,
    pub valid_from: String,
    /// `None` while still in use.
    pub valid_until: Option<String>,
}

/// A trusted root in the trust store.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrustRootInfo {
    pub name: String,
    pub sha256: String,
    pub added_at: String,
    pub added_by: String,
    pub parts: Vec<RootPart>,
}

fn window(v: &ValidFor) -> (String, Option<String>) {
    (v.start.to_string(), v.end.map(|e| e.to_string()))
}

fn authority(kind: &str, a: &CertificateAuthority) -> RootPart {
    let (valid_from, valid_until) = window(&a.valid_for);
    RootPart {
        kind: kind.into(),
        uri: a.uri.clone(),
        name: [a.organization.as_str(), a.common_name.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" / "),
        valid_from,
        valid_until,
    }
}

fn log(kind: &str, l: &TransparencyLog) -> RootPart {
    let (valid_from, valid_until) = window(&l.valid_for);
    RootPart {
        kind: kind.into(),
        uri: l.base_url.clone(),
        name: l.key_details.clone(),
        valid_from,
        valid_until,
    }
}

/// Every authority and log of `root`.
pub fn root_parts(root: &TrustedRoot) -> Vec<RootPart> {
    root.certificate_authorities
        .iter()
        .map(|a| authority("fulcio", a))
        .chain(root.tlogs.iter().map(|l| log("tlog", l)))
        .chain(root.ctlogs.iter().map(|l| log("ctlog", l)))
        .chain(
            root.timestamp_authorities
                .iter()
                .map(|a| authority("tsa", a)),
        )
        .collect()
}

fn info(r: &SigstoreRoot) -> TrustRootInfo {
    TrustRootInfo {
        name: r.name.clone(),
        sha256: r.sha256.clone(),
        added_at: r.added_at.to_string(),
        added_by: r.added_by.clone(),
        parts: TrustedRoot::from_bytes(r.json.as_bytes())
            .map(|root| root_parts(&root))
            .unwrap_or_default(),
    }
}

/// A root's name: what `verify --trusted-root` takes instead of a path, so never a path.
fn check_name(name: &str) -> Result<(), OpsError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(OpsError::BadInput(format!(
            "{name:?} is not a trusted root name: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"
        )))
    }
}

impl Station {
    /// Trusts the Sigstore trusted root in `path` (Sigstore's `trusted_root.json`, or gh's
    /// JSON lines) under `name`, replacing a root of that name. The file must read as a root.
    pub fn trust_root_import(&self, name: &str, path: &Path) -> Result<TrustRootInfo, OpsError> {
        self.trust_act(AuditEvent::TrustRootImport, name, || {
            check_name(name)?;
            let bytes = read_capped(path, MAX_ROOT_FILE)?;
            let root = TrustedRoot::from_bytes(&bytes)
                .map_err(|e| OpsError::BadInput(format!("{}: {e}", path.display())))?;
            let json = String::from_utf8(bytes).map_err(|_| {
                OpsError::BadInput(format!("{}: a trusted root is UTF-8 JSON", path.display()))
            })?;
            let row = SigstoreRoot::new(
                name.to_owned(),
                json,
                strongroom_core::Timestamp::now(),
                self.operator.clone(),
            );
            let info = TrustRootInfo {
                parts: root_parts(&root),
                ..info(&row)
            };
            let count = |k: &str| info.parts.iter().filter(|p| p.kind == k).count();
            let details = serde_json::json!({
                "sha256": row.sha256, "file": path.display().to_string(),
                "certificate_authorities": count("fulcio"), "tlogs": count("tlog"),
                "ctlogs": count("ctlog"), "timestamp_authorities": count("tsa"),
                "replaced": self.trust_set()?.root(name).map(|r| r.sha256.clone()),
            });
            Ok((
                info,
                name.to_owned(),
                vec![Change::TrustRootPut { root: row }],
                details,
            ))
        })
    }

    /// Stops trusting the root named `name`.
    pub fn trust_root_remove(&self, name: &str) -> Result<TrustRootInfo, OpsError> {
        self.trust_act(AuditEvent::TrustRootRemove, name, || {
            let set = self.trust_set()?;
            let row = self.root_named(&set, name)?;
            let details = serde_json::json!({"sha256": row.sha256});
            Ok((
                info(row),
                name.to_owned(),
                vec![Change::TrustRootRemove {
                    name: name.to_owned(),
                }],
                details,
            ))
        })
    }

    /// The trusted roots, with their authorities and logs.
    pub fn trust_root_list(&self) -> Result<Vec<TrustRootInfo>, OpsError> {
        Ok(self.trust_set()?.roots().iter().map(info).collect())
    }

    /// The JSON of the root named `name`, for keyless verification.
    pub fn trust_root_json(&self, name: &str) -> Result<SigstoreRoot, OpsError> {
        let set = self.trust_set()?;
        self.root_named(&set, name).cloned()
    }

    fn root_named<'a>(
        &self,
        set: &'a strongroom_policy::TrustSet,
        name: &str,
    ) -> Result<&'a SigstoreRoot, OpsError> {
        set.root(name).ok_or_else(|| {
            let names: Vec<&str> = set.roots().iter().map(|r| r.name.as_str()).collect();
            OpsError::TrustRootNotFound {
                name: name.to_owned(),
                suggestion: crate::util::did_you_mean(name, &names),
            }
        })
    }
}

/// The roots of `set`, listed (for the trust listing).
pub(crate) fn root_infos(set: &strongroom_policy::TrustSet) -> Vec<TrustRootInfo> {
    set.roots().iter().map(info).collect()
}
