//! The trust store: the keys this station trusts (purpose, holder, stages, validity window),
//! their revocations, and the trust policy (Rego modules and data), as rows ([`TrustRows`], the
//! form the tables and the audit log hold) and as a checked [`TrustSet`]. Rows change only
//! through [`crate::state`].

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use strongroom_core::KeyId;
use strongroom_policy::{
    NewTrustedKey, PolicyBundle, PolicyModule, Purpose, Revocation, SigstoreRoot, Stage, Timestamp,
    TrustSet, TrustedKey,
};

use crate::{Store, StoreError};

/// Setting: `issuedAt` of the newest trust package imported (a JSON string, RFC 3339).
pub const LAST_IMPORT: &str = "trust.last_import_issued_at";
/// Setting: how many custodians must sign the next trust package this station imports (the
/// threshold of the last package it accepted).
pub const THRESHOLD: &str = "trust.threshold";

fn corrupt(what: &str, reason: impl ToString) -> StoreError {
    StoreError::CorruptRow {
        label: format!("trust store: {what}"),
        reason: reason.to_string(),
    }
}

fn ts(what: &str, s: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(s).map_err(|e| corrupt(what, e))
}

/// One trusted key as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustKeyRow {
    pub key_id: String,
    pub name: String,
    pub public_key_pem: String,
    pub purpose: Purpose,
    pub holder: String,
    pub stages: Vec<Stage>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub added_at: String,
    pub added_by: String,
}

/// One revocation as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationRow {
    pub key_id: String,
    pub revoked_at: String,
    pub reason: String,
}

/// The whole trust store as rows: keys and revocations in the order they were recorded, the
/// policy's modules in the order they were added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustRows {
    pub keys: Vec<TrustKeyRow>,
    pub revocations: Vec<RevocationRow>,
    pub modules: Vec<PolicyModule>,
    pub data: serde_json::Value,
    /// Sigstore trusted roots by name (absent from acts recorded before there were any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<SigstoreRoot>,
}

impl Default for TrustRows {
    fn default() -> Self {
        TrustRows {
            keys: Vec::new(),
            revocations: Vec::new(),
            modules: Vec::new(),
            data: serde_json::Value::Object(Default::default()),
            roots: Vec::new(),
        }
    }
}

impl TrustKeyRow {
    pub fn of(k: &TrustedKey) -> Self {
        TrustKeyRow {
            key_id: k.key_id().to_string(),
            name: k.name().to_owned(),
            public_key_pem: k.pem().to_owned(),
            purpose: k.purpose(),
            holder: k.holder().to_owned(),
            stages: k.stages().to_vec(),
            not_before: k.not_before().map(|t| t.to_rfc3339()),
            not_after: k.not_after().map(|t| t.to_rfc3339()),
            added_at: k.added_at().to_rfc3339(),
            added_by: k.added_by().to_owned(),
        }
    }

    /// The checked key.
    pub fn key(&self) -> Result<TrustedKey, StoreError> {
        let what = format!("key {}", self.name);
        let opt_ts = |v: &Option<String>| v.as_deref().map(|s| ts(&what, s)).transpose();
        let key = TrustedKey::new(NewTrustedKey {
            name: self.name.clone(),
            pem: self.public_key_pem.clone(),
            stages: self.stages.clone(),
            purpose: self.purpose,
            holder: self.holder.clone(),
            not_before: opt_ts(&self.not_before)?,
            not_after: opt_ts(&self.not_after)?,
            added_at: ts(&what, &self.added_at)?,
            added_by: self.added_by.clone(),
        })
        .map_err(|e| corrupt(&what, e))?;
        if key.key_id().as_str() != self.key_id {
            return Err(corrupt(&what, "the stored key id is not the key's"));
        }
        Ok(key)
    }
}

impl RevocationRow {
    pub fn of(r: &Revocation) -> Self {
        RevocationRow {
            key_id: r.key_id.to_string(),
            revoked_at: r.revoked_at.to_rfc3339(),
            reason: r.reason.clone(),
        }
    }

    pub fn revocation(&self) -> Result<Revocation, StoreError> {
        let what = format!("revocation of {}", self.key_id);
        Ok(Revocation {
            key_id: KeyId::parse(&self.key_id).ok_or_else(|| corrupt(&what, "malformed key id"))?,
            revoked_at: ts(&what, &self.revoked_at)?,
            reason: self.reason.clone(),
        })
    }
}

impl TrustRows {
    pub fn of(set: &TrustSet) -> Self {
        TrustRows {
            keys: set.keys().iter().map(TrustKeyRow::of).collect(),
            revocations: set.revocations().iter().map(RevocationRow::of).collect(),
            modules: set.policy().modules.clone(),
            data: set.policy().data.clone(),
            roots: set.roots().to_vec(),
        }
    }

    /// The checked trust set.
    pub fn set(&self) -> Result<TrustSet, StoreError> {
        let keys = self
            .keys
            .iter()
            .map(TrustKeyRow::key)
            .collect::<Result<_, _>>()?;
        let revocations = self
            .revocations
            .iter()
            .map(RevocationRow::revocation)
            .collect::<Result<_, _>>()?;
        TrustSet::new(keys, revocations, self.policy())
            .and_then(|t| t.with_roots(self.roots.clone()))
            .map_err(|e| corrupt("set", e))
    }

    pub fn policy(&self) -> PolicyBundle {
        PolicyBundle {
            modules: self.modules.clone(),
            data: self.data.clone(),
        }
    }
}

pub(crate) fn read_rows(conn: &rusqlite::Connection) -> Result<TrustRows, StoreError> {
    let mut keys = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT key_id, name, public_key_pem, purpose, holder, stages, not_before, not_after, added_at, added_by
         FROM trust_keys ORDER BY rowid",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let name: String = r.get(1)?;
        let what = format!("key {name}");
        let purpose: String = r.get(3)?;
        keys.push(TrustKeyRow {
            key_id: r.get(0)?,
            public_key_pem: r.get(2)?,
            purpose: purpose.parse().map_err(|e| corrupt(&what, e))?,
            holder: r.get(4)?,
            stages: serde_json::from_str(&r.get::<_, String>(5)?).map_err(|e| corrupt(&what, e))?,
            not_before: r.get(6)?,
            not_after: r.get(7)?,
            added_at: r.get(8)?,
            added_by: r.get(9)?,
            name,
        });
    }
    let mut revocations = Vec::new();
    let mut stmt =
        conn.prepare("SELECT key_id, revoked_at, reason FROM trust_revocations ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        revocations.push(RevocationRow {
            key_id: r.get(0)?,
            revoked_at: r.get(1)?,
            reason: r.get(2)?,
        });
    }
    let mut stmt = conn.prepare("SELECT name, rego FROM trust_policy_modules ORDER BY rowid")?;
    let modules = stmt
        .query_map([], |r| {
            Ok(PolicyModule::new(
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let data: Option<String> = conn
        .query_row("SELECT data FROM trust_policy_data WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let data = match data {
        Some(d) => serde_json::from_str(&d).map_err(|e| corrupt("policy data", e))?,
        None => serde_json::Value::Object(Default::default()),
    };
    let mut stmt = conn.prepare(
        "SELECT name, sha256, json, added_at, added_by FROM trust_sigstore_roots ORDER BY rowid",
    )?;
    let mut rows = stmt.query([])?;
    let mut roots = Vec::new();
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        let what = format!("Sigstore trusted root {name}");
        roots.push(SigstoreRoot {
            sha256: r.get(1)?,
            json: r.get(2)?,
            added_at: ts(&what, &r.get::<_, String>(3)?)?,
            added_by: r.get(4)?,
            name,
        });
    }
    Ok(TrustRows {
        keys,
        revocations,
        modules,
        data,
        roots,
    })
}

pub(crate) fn write_rows(conn: &rusqlite::Connection, t: &TrustRows) -> Result<(), StoreError> {
    conn.execute_batch(
        "DELETE FROM trust_keys; DELETE FROM trust_revocations;
         DELETE FROM trust_policy_modules; DELETE FROM trust_policy_data;
         DELETE FROM trust_sigstore_roots;",
    )?;
    for r in &t.roots {
        conn.execute(
            "INSERT INTO trust_sigstore_roots (name, sha256, json, added_at, added_by)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                r.name,
                r.sha256,
                r.json,
                r.added_at.to_rfc3339(),
                r.added_by
            ],
        )?;
    }
    for k in &t.keys {
        conn.execute(
            "INSERT INTO trust_keys (key_id, name, public_key_pem, purpose, holder, stages, not_before, not_after, added_at, added_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                k.key_id,
                k.name,
                k.public_key_pem,
                k.purpose.as_str(),
                k.holder,
                serde_json::to_string(&k.stages).expect("stages serialise"),
                k.not_before,
                k.not_after,
                k.added_at,
                k.added_by,
            ],
        )?;
    }
    for r in &t.revocations {
        conn.execute(
            "INSERT INTO trust_revocations (key_id, revoked_at, reason) VALUES (?1, ?2, ?3)",
            rusqlite::params![r.key_id, r.revoked_at, r.reason],
        )?;
    }
    for m in &t.modules {
        conn.execute(
            "INSERT INTO trust_policy_modules (name, rego) VALUES (?1, ?2)",
            rusqlite::params![m.name, m.rego],
        )?;
    }
    conn.execute(
        "INSERT INTO trust_policy_data (id, data) VALUES (1, ?1)",
        [t.data.to_string()],
    )?;
    Ok(())
}

impl Store {
    /// The whole trust store, checked.
    pub fn trust_list(&self) -> Result<TrustSet, StoreError> {
        read_rows(&self.conn)?.set()
    }

    /// The trust policy alone.
    pub fn trust_policy(&self) -> Result<PolicyBundle, StoreError> {
        Ok(read_rows(&self.conn)?.policy())
    }

    /// `issuedAt` of the newest trust package imported, if any.
    pub fn trust_last_import(&self) -> Result<Option<Timestamp>, StoreError> {
        let v: Option<String> = self.setting(LAST_IMPORT)?;
        v.map(|s| ts("last import", &s)).transpose()
    }

    /// The custodian threshold the station accepted with its last import, if any.
    pub fn trust_threshold(&self) -> Result<Option<u32>, StoreError> {
        self.setting(THRESHOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strongroom_core::{Algorithm, Signer, SoftwareKey};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn key(name: &str, purpose: Purpose) -> TrustedKey {
        TrustedKey::new(NewTrustedKey {
            name: name.into(),
            pem: SoftwareKey::generate(Algorithm::Ed25519)
                .unwrap()
                .public_key()
                .to_pem(),
            stages: vec![Stage::Production],
            purpose,
            holder: "bob".into(),
            not_before: Some(t("2026-01-01T00:00:00Z")),
            not_after: None,
            added_at: t("2026-01-02T00:00:00Z"),
            added_by: "alice".into(),
        })
        .unwrap()
    }

    #[test]
    fn rows_round_trip_through_the_tables_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.trust_list().unwrap(), TrustSet::default());
        let a = key("a", Purpose::Signer);
        let b = key("b", Purpose::Custodian);
        let set = TrustSet::new(
            vec![a.clone(), b],
            vec![Revocation {
                key_id: a.key_id().clone(),
                revoked_at: t("2026-05-01T00:00:00Z"),
                reason: "lost".into(),
            }],
            PolicyBundle {
                modules: vec![
                    PolicyModule::new("z.rego", "package z"),
                    PolicyModule::new("a.rego", "package a"),
                ],
                data: serde_json::json!({"allowed_builders": ["x"]}),
            },
        )
        .unwrap();
        let rows = TrustRows::of(&set);
        write_rows(&s.conn, &rows).unwrap();
        assert_eq!(read_rows(&s.conn).unwrap(), rows);
        assert_eq!(
            s.trust_list().unwrap(),
            set,
            "modules and keys keep their order"
        );
    }

    #[test]
    fn a_corrupt_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let set = TrustSet::new(
            vec![key("a", Purpose::Signer)],
            vec![],
            PolicyBundle::default(),
        )
        .unwrap();
        write_rows(&s.conn, &TrustRows::of(&set)).unwrap();
        s.conn
            .execute("UPDATE trust_keys SET purpose = 'root'", [])
            .unwrap();
        let err = s.trust_list().unwrap_err().to_string();
        assert!(
            err.contains("trust store: key a") && err.contains("root"),
            "{err}"
        );
    }
}
