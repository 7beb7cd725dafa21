//! The trust store: the keys this station trusts (roles, stages, validity window), their
//! revocations, and the trust policy (Rego modules and data). Every multi-row change runs in one
//! transaction; reads give a checked [`TrustSet`].

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use strongroom_core::KeyId;
use strongroom_policy::{
    KeyRole, NewTrustedKey, PolicyBundle, PolicyModule, Revocation, Stage, Timestamp, TrustSet,
    TrustedKey,
};

use crate::{Store, StoreError};

/// Setting: `issuedAt` of the newest trust package imported (a JSON string, RFC 3339).
pub const LAST_IMPORT: &str = "trust.last_import_issued_at";

fn corrupt(what: &str, reason: impl ToString) -> StoreError {
    StoreError::CorruptRow {
        label: format!("trust store: {what}"),
        reason: reason.to_string(),
    }
}

fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).expect("roles and stages serialise")
}

fn ts(what: &str, s: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(s).map_err(|e| corrupt(what, e))
}

impl Store {
    /// Trusts one more key. Refuses a name or a key already in the trust store.
    pub fn trust_add(&self, key: &TrustedKey) -> Result<(), StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let by_id: Option<String> = tx
            .query_row(
                "SELECT name FROM trust_keys WHERE key_id = ?1",
                [key.key_id().as_str()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(name) = by_id {
            return Err(StoreError::TrustKeyTaken(name));
        }
        let by_name: Option<String> = tx
            .query_row(
                "SELECT key_id FROM trust_keys WHERE name = ?1",
                [key.name()],
                |r| r.get(0),
            )
            .optional()?;
        if by_name.is_some() {
            return Err(StoreError::TrustNameTaken(key.name().to_owned()));
        }
        insert_key(&tx, key)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a revocation (a key may be revoked more than once; the earliest time counts).
    pub fn trust_revoke(&self, revocation: &Revocation) -> Result<(), StoreError> {
        insert_revocation(&self.conn, revocation)
    }

    /// The whole trust store: keys and revocations in the order they were recorded, the policy's
    /// modules in the order they were added.
    pub fn trust_list(&self) -> Result<TrustSet, StoreError> {
        let mut keys = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT key_id, name, public_key_pem, roles, stages, not_before, not_after, added_at, added_by
             FROM trust_keys ORDER BY rowid",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let key_id: String = r.get(0)?;
            let name: String = r.get(1)?;
            let what = format!("key {name}");
            let roles: Vec<KeyRole> =
                serde_json::from_str(&r.get::<_, String>(3)?).map_err(|e| corrupt(&what, e))?;
            let stages: Vec<Stage> =
                serde_json::from_str(&r.get::<_, String>(4)?).map_err(|e| corrupt(&what, e))?;
            let opt_ts = |v: Option<String>| v.map(|s| ts(&what, &s)).transpose();
            let key = TrustedKey::new(NewTrustedKey {
                name: name.clone(),
                pem: r.get(2)?,
                stages,
                roles,
                not_before: opt_ts(r.get(5)?)?,
                not_after: opt_ts(r.get(6)?)?,
                added_at: ts(&what, &r.get::<_, String>(7)?)?,
                added_by: r.get(8)?,
            })
            .map_err(|e| corrupt(&what, e))?;
            if key.key_id().as_str() != key_id {
                return Err(corrupt(&what, "the stored key id is not the key's"));
            }
            keys.push(key);
        }
        let mut revocations = Vec::new();
        let mut stmt = self
            .conn
            .prepare("SELECT key_id, revoked_at, reason FROM trust_revocations ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let key_id: String = r.get(0)?;
            let what = format!("revocation of {key_id}");
            revocations.push(Revocation {
                key_id: KeyId::parse(&key_id).ok_or_else(|| corrupt(&what, "malformed key id"))?,
                revoked_at: ts(&what, &r.get::<_, String>(1)?)?,
                reason: r.get(2)?,
            });
        }
        let policy = self.trust_policy()?;
        TrustSet::new(keys, revocations, policy).map_err(|e| corrupt("set", e))
    }

    /// The trust policy alone.
    pub fn trust_policy(&self) -> Result<PolicyBundle, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, rego FROM trust_policy_modules ORDER BY rowid")?;
        let modules = stmt
            .query_map([], |r| {
                Ok(PolicyModule::new(
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let data: Option<String> = self
            .conn
            .query_row("SELECT data FROM trust_policy_data WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        let data = match data {
            Some(d) => serde_json::from_str(&d).map_err(|e| corrupt("policy data", e))?,
            None => serde_json::Value::Object(Default::default()),
        };
        Ok(PolicyBundle { modules, data })
    }

    /// Replaces the whole trust store with `set`, in one transaction.
    pub fn trust_replace(&self, set: &TrustSet) -> Result<(), StoreError> {
        self.replace(set, None)
    }

    /// Replaces the whole trust store with an imported package's `set` and records the package's
    /// `issuedAt` (see [`Store::trust_last_import`]), in one transaction.
    pub fn trust_replace_imported(
        &self,
        set: &TrustSet,
        issued_at: Timestamp,
    ) -> Result<(), StoreError> {
        self.replace(set, Some(issued_at))
    }

    /// `issuedAt` of the newest trust package imported, if any.
    pub fn trust_last_import(&self) -> Result<Option<Timestamp>, StoreError> {
        let v: Option<String> = self.setting(LAST_IMPORT)?;
        v.map(|s| ts("last import", &s)).transpose()
    }

    fn replace(&self, set: &TrustSet, imported: Option<Timestamp>) -> Result<(), StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "DELETE FROM trust_keys; DELETE FROM trust_revocations;
             DELETE FROM trust_policy_modules; DELETE FROM trust_policy_data;",
        )?;
        for k in set.keys() {
            insert_key(&tx, k)?;
        }
        for r in set.revocations() {
            insert_revocation(&tx, r)?;
        }
        write_policy(&tx, set.policy())?;
        if let Some(at) = imported {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![
                    LAST_IMPORT,
                    serde_json::Value::String(at.to_rfc3339()).to_string()
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces the trust policy (modules and data), in one transaction.
    pub fn trust_policy_set(&self, policy: &PolicyBundle) -> Result<(), StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        tx.execute_batch("DELETE FROM trust_policy_modules; DELETE FROM trust_policy_data;")?;
        write_policy(&tx, policy)?;
        tx.commit()?;
        Ok(())
    }
}

fn insert_key(conn: &rusqlite::Connection, k: &TrustedKey) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO trust_keys (key_id, name, public_key_pem, roles, stages, not_before, not_after, added_at, added_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            k.key_id().as_str(),
            k.name(),
            k.pem(),
            json_list(k.roles()),
            json_list(k.stages()),
            k.not_before().map(|t| t.to_rfc3339()),
            k.not_after().map(|t| t.to_rfc3339()),
            k.added_at().to_rfc3339(),
            k.added_by(),
        ],
    )?;
    Ok(())
}

fn insert_revocation(conn: &rusqlite::Connection, r: &Revocation) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO trust_revocations (key_id, revoked_at, reason) VALUES (?1, ?2, ?3)",
        params![r.key_id.as_str(), r.revoked_at.to_rfc3339(), r.reason],
    )?;
    Ok(())
}

fn write_policy(conn: &rusqlite::Connection, p: &PolicyBundle) -> Result<(), StoreError> {
    for m in &p.modules {
        conn.execute(
            "INSERT INTO trust_policy_modules (name, rego) VALUES (?1, ?2)",
            params![m.name, m.rego],
        )?;
    }
    conn.execute(
        "INSERT INTO trust_policy_data (id, data) VALUES (1, ?1)",
        [p.data.to_string()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use strongroom_core::{Algorithm, Signer, SoftwareKey};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn key(name: &str, roles: &[KeyRole]) -> TrustedKey {
        TrustedKey::new(NewTrustedKey {
            name: name.into(),
            pem: SoftwareKey::generate(Algorithm::Ed25519)
                .unwrap()
                .public_key()
                .to_pem(),
            stages: vec![Stage::Production],
            roles: roles.to_vec(),
            not_before: Some(t("2026-01-01T00:00:00Z")),
            not_after: None,
            added_at: t("2026-01-02T00:00:00Z"),
            added_by: "alice".into(),
        })
        .unwrap()
    }

    #[test]
    fn add_list_revoke_replace() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.trust_list().unwrap(), TrustSet::default());

        let a = key("a", &[KeyRole::Signer]);
        let b = key("b", &[KeyRole::Custodian, KeyRole::Approver]);
        s.trust_add(&a).unwrap();
        s.trust_add(&b).unwrap();
        assert!(matches!(s.trust_add(&a), Err(StoreError::TrustKeyTaken(n)) if n == "a"));
        let same_name = key("a", &[KeyRole::Signer]);
        assert!(matches!(s.trust_add(&same_name), Err(StoreError::TrustNameTaken(n)) if n == "a"));

        let r = Revocation {
            key_id: a.key_id().clone(),
            revoked_at: t("2026-05-01T00:00:00Z"),
            reason: "lost".into(),
        };
        s.trust_revoke(&r).unwrap();
        let policy = PolicyBundle {
            modules: vec![
                PolicyModule::new("z.rego", "package z"),
                PolicyModule::new("a.rego", "package a"),
            ],
            data: serde_json::json!({"allowed_builders": ["x"]}),
        };
        s.trust_policy_set(&policy).unwrap();
        let set = s.trust_list().unwrap();
        assert_eq!(set.keys(), &[a.clone(), b.clone()]);
        assert_eq!(set.revocations(), std::slice::from_ref(&r));
        assert_eq!(set.policy(), &policy, "modules keep their order");

        // Survives reopening; a replace swaps everything at once.
        drop(s);
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.trust_list().unwrap(), set);
        let c = key("c", &[KeyRole::Signer]);
        let other = TrustSet::new(vec![c], vec![], PolicyBundle::default()).unwrap();
        s.trust_replace(&other).unwrap();
        assert_eq!(s.trust_list().unwrap(), other);
        assert_eq!(s.trust_last_import().unwrap(), None);
        s.trust_replace_imported(&set, t("2026-11-22T10:00:00Z"))
            .unwrap();
        assert_eq!(s.trust_list().unwrap(), set);
        assert_eq!(
            s.trust_last_import().unwrap(),
            Some(t("2026-11-22T10:00:00Z"))
        );
    }

    #[test]
    fn a_failed_replace_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let a = key("a", &[KeyRole::Signer]);
        s.trust_add(&a).unwrap();
        let before = s.trust_list().unwrap();
        // Make the last insert of the replace fail: a trigger refuses policy data.
        s.conn
            .execute_batch(
                "CREATE TRIGGER no_data BEFORE INSERT ON trust_policy_data
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .unwrap();
        let other = TrustSet::new(
            vec![key("b", &[KeyRole::Signer])],
            vec![],
            PolicyBundle::default(),
        )
        .unwrap();
        assert!(s.trust_replace(&other).is_err());
        s.conn.execute_batch("DROP TRIGGER no_data").unwrap();
        assert_eq!(s.trust_list().unwrap(), before);
    }

    #[test]
    fn a_corrupt_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.trust_add(&key("a", &[KeyRole::Signer])).unwrap();
        s.conn
            .execute("UPDATE trust_keys SET roles = '[\"root\"]'", [])
            .unwrap();
        let err = s.trust_list().unwrap_err().to_string();
        assert!(
            err.contains("trust store: key a") && err.contains("root"),
            "{err}"
        );
    }
}
