//! The station's access state — operator accounts, the key inventory, the trust store and the
//! settings — as one value, the tables that hold it, and the one way it changes: an **act**, a
//! row of the audit log that carries the changes and is written in the same transaction as
//! them.
//!
//! The audit log is the source of truth and the tables are its projection. Each act's row
//! holds, in its details, the [`Change`]s it made, the hash of the previous act's row
//! (`prev_access`, which links acts into a chain of their own) and the signatures of the
//! operators who performed and consented to it. Replaying the acts from the first one rebuilds
//! the state; the operations layer does that when a station is opened and checks the result
//! against the tables (`strongroom_ops::access`). What an act may change, and who must sign it,
//! is decided there; this module only stores and applies.

use std::collections::BTreeMap;

use rusqlite::{params, Transaction};
use serde::{Deserialize, Serialize};

use crate::audit::{append_in, AuditRow, NewAuditRow, StoredRow, ROW_COLUMNS};
use crate::keys::KeyRow;
use crate::operators::OperatorRecord;
use crate::trust::{RevocationRow, TrustKeyRow, TrustRows};
use crate::{Store, StoreError};

/// The details field that marks a row as an act and links it to the previous act's row.
pub const PREV_ACCESS: &str = "prev_access";
/// The details field holding an act's changes.
pub const CHANGES: &str = "changes";
/// The details field holding an act's signatures.
pub const AUTH: &str = "auth";

/// Everything that decides who may do what on the station.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessState {
    /// By name.
    pub operators: Vec<OperatorRecord>,
    /// Oldest first.
    pub keys: Vec<KeyRow>,
    pub trust: TrustRows,
    pub settings: BTreeMap<String, serde_json::Value>,
}

/// One change an act makes. "Put" replaces the entry with the same name or key id, or adds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    OperatorPut {
        operator: OperatorRecord,
    },
    KeyPut {
        key: KeyRow,
    },
    Setting {
        key: String,
        value: Option<serde_json::Value>,
    },
    TrustKeyAdd {
        key: TrustKeyRow,
    },
    TrustRevoke {
        revocation: RevocationRow,
    },
    TrustPolicy {
        modules: Vec<strongroom_policy::PolicyModule>,
        data: serde_json::Value,
    },
    /// A Sigstore trusted root trusted by name (replacing one of the same name).
    TrustRootPut {
        root: strongroom_policy::SigstoreRoot,
    },
    /// A Sigstore trusted root no longer trusted.
    TrustRootRemove {
        name: String,
    },
    /// An imported trust package replaced the trust store: `trust` is the result, `package` the
    /// file's text, so that replaying the log can check the one against the other.
    TrustReplace {
        trust: TrustRows,
        package: String,
    },
}

impl AccessState {
    /// The state of a station that has no act yet: only its id.
    pub fn genesis(station_id: &str) -> Self {
        let mut settings = BTreeMap::new();
        settings.insert(
            crate::settings::STATION_ID.to_owned(),
            serde_json::Value::String(station_id.to_owned()),
        );
        AccessState {
            settings,
            ..Default::default()
        }
    }

    pub fn operator(&self, name: &str) -> Option<&OperatorRecord> {
        self.operators.iter().find(|o| o.name == name)
    }

    pub fn key(&self, key_id: &str) -> Option<&KeyRow> {
        self.keys.iter().find(|k| k.key_id == key_id)
    }

    pub fn setting<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.settings
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// Applies one change. Refuses what would break a uniqueness rule of the tables.
    pub fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        match change {
            Change::OperatorPut { operator } => {
                match self.operators.iter_mut().find(|o| o.name == operator.name) {
                    Some(slot) => *slot = operator.clone(),
                    None => {
                        self.operators.push(operator.clone());
                        self.operators.sort_by(|a, b| a.name.cmp(&b.name));
                    }
                }
            }
            Change::KeyPut { key } => {
                if let Some(other) = self
                    .keys
                    .iter()
                    .find(|k| k.label == key.label && k.key_id != key.key_id)
                {
                    return Err(StoreError::LabelTaken(other.label.clone()));
                }
                match self.keys.iter_mut().find(|k| k.key_id == key.key_id) {
                    Some(slot) => *slot = key.clone(),
                    None => self.keys.push(key.clone()),
                }
            }
            Change::Setting { key, value } => match value {
                Some(v) => {
                    self.settings.insert(key.clone(), v.clone());
                }
                None => {
                    self.settings.remove(key);
                }
            },
            Change::TrustKeyAdd { key } => {
                if let Some(k) = self.trust.keys.iter().find(|k| k.key_id == key.key_id) {
                    return Err(StoreError::TrustKeyTaken(k.name.clone()));
                }
                if self.trust.keys.iter().any(|k| k.name == key.name) {
                    return Err(StoreError::TrustNameTaken(key.name.clone()));
                }
                self.trust.keys.push(key.clone());
            }
            Change::TrustRevoke { revocation } => self.trust.revocations.push(revocation.clone()),
            Change::TrustPolicy { modules, data } => {
                self.trust.modules = modules.clone();
                self.trust.data = data.clone();
            }
            Change::TrustRootPut { root } => {
                match self.trust.roots.iter_mut().find(|r| r.name == root.name) {
                    Some(slot) => *slot = root.clone(),
                    None => self.trust.roots.push(root.clone()),
                }
            }
            Change::TrustRootRemove { name } => self.trust.roots.retain(|r| &r.name != name),
            Change::TrustReplace { trust, .. } => self.trust = trust.clone(),
        }
        Ok(())
    }
}

/// Reads the whole access state from the tables.
pub(crate) fn read_state(conn: &rusqlite::Connection) -> Result<AccessState, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM operators ORDER BY name",
        crate::operators::COLUMNS
    ))?;
    let operators = stmt
        .query_map([], crate::operators::record)?
        .map(|r| r?)
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM keys ORDER BY id",
        crate::keys::COLUMNS
    ))?;
    let keys = stmt
        .query_map([], crate::keys::row)?
        .map(|r| r?)
        .collect::<Result<Vec<_>, _>>()?;
    let mut settings = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT key, value FROM settings ORDER BY key")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key: String = r.get(0)?;
        let text: String = r.get(1)?;
        let value = serde_json::from_str(&text).map_err(|e| StoreError::CorruptRow {
            label: format!("setting {key}"),
            reason: e.to_string(),
        })?;
        settings.insert(key, value);
    }
    Ok(AccessState {
        operators,
        keys,
        trust: crate::trust::read_rows(conn)?,
        settings,
    })
}

/// Writes `new` over the tables that hold `old`, rewriting only the parts that differ.
fn write_state(
    tx: &Transaction<'_>,
    old: &AccessState,
    new: &AccessState,
) -> Result<(), StoreError> {
    if old.operators != new.operators {
        tx.execute("DELETE FROM operators", [])?;
        for o in &new.operators {
            tx.execute(
                &format!(
                    "INSERT INTO operators ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    crate::operators::COLUMNS
                ),
                params![
                    o.name,
                    serde_json::to_string(&o.roles).expect("roles serialise"),
                    serde_json::to_string(&o.credential).expect("credentials serialise"),
                    o.created_at,
                    o.created_by,
                    o.disabled
                ],
            )?;
        }
    }
    if old.keys != new.keys {
        tx.execute("DELETE FROM keys", [])?;
        for k in &new.keys {
            tx.execute(
                &format!(
                    "INSERT INTO keys ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    crate::keys::COLUMNS
                ),
                params![
                    k.label,
                    k.key_id,
                    k.algorithm,
                    k.backend,
                    k.public_key_pem,
                    k.location,
                    k.attributes.to_string(),
                    k.created,
                    k.status,
                    k.purpose.as_str()
                ],
            )?;
        }
    }
    if old.trust != new.trust {
        crate::trust::write_rows(tx, &new.trust)?;
    }
    if old.settings != new.settings {
        tx.execute("DELETE FROM settings", [])?;
        for (k, v) in &new.settings {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)",
                params![k, v.to_string()],
            )?;
        }
    }
    Ok(())
}

/// What an act's author sees inside its transaction: the acts other processes recorded since
/// the caller last looked, and the tables as they are.
#[derive(Debug)]
pub struct ActView {
    pub appended: Vec<StoredRow>,
    pub tables: AccessState,
}

/// An act ready to be recorded: its row (details already holding the changes, the link and
/// the signatures) and the state after it.
#[derive(Debug)]
pub struct Act {
    pub operator: String,
    pub action: String,
    pub object: String,
    pub details: serde_json::Value,
    pub state: AccessState,
}

impl Store {
    /// The access state as the tables hold it now.
    pub fn read_state(&self) -> Result<AccessState, StoreError> {
        read_state(&self.conn)
    }

    /// The acts (rows with a `prev_access` link) after row `after`, in order.
    pub fn acts_after(&self, after: i64) -> Result<Vec<StoredRow>, StoreError> {
        acts_after(&self.conn, after)
    }

    /// The acts after row `after` and the tables, read in one transaction: one snapshot, so
    /// that an act another process commits meanwhile is in both or in neither.
    pub fn snapshot(&self, after: i64) -> Result<ActView, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let view = ActView {
            appended: acts_after(&tx, after)?,
            tables: read_state(&tx)?,
        };
        tx.finish()?;
        Ok(view)
    }

    /// Records an act in one immediate transaction: `plan` sees the acts appended since row
    /// `after` and the tables, and returns the act (or refuses it); the tables are rewritten to
    /// the act's state and its row appended; nothing is written if anything fails.
    pub fn commit_act<T, E: From<StoreError>>(
        &self,
        after: i64,
        plan: impl FnOnce(ActView) -> Result<(Act, T), E>,
    ) -> Result<(AuditRow, T), E> {
        let tx = self.write_tx()?;
        let view = ActView {
            appended: acts_after(&tx, after)?,
            tables: read_state(&tx)?,
        };
        let old = view.tables.clone();
        let (act, value) = plan(view)?;
        write_state(&tx, &old, &act.state)?;
        let row = append_in(
            &tx,
            &NewAuditRow {
                operator: &act.operator,
                action: &act.action,
                object: &act.object,
                outcome: "ok",
                details: act.details,
            },
        )?;
        tx.commit().map_err(StoreError::from)?;
        Ok((row, value))
    }
}

fn acts_after(conn: &rusqlite::Connection, after: i64) -> Result<Vec<StoredRow>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ROW_COLUMNS} FROM audit_log
         WHERE access_prev IS NOT NULL AND seq > ?1 ORDER BY seq"
    ))?;
    let rows = stmt.query_map([after], crate::audit::stored_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::Credential;
    use secrecy::SecretString;
    use strongroom_core::{Algorithm, Purpose, Signer, SoftwareKey};

    fn operator(name: &str) -> OperatorRecord {
        let (credential, _) = Credential::new(&SecretString::from("a long passphrase")).unwrap();
        OperatorRecord {
            name: name.into(),
            roles: vec!["custodian".into()],
            credential,
            created_at: "2026-12-01T00:00:00Z".into(),
            created_by: name.into(),
            disabled: false,
        }
    }

    #[test]
    fn an_act_writes_its_state_and_row_in_one_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let genesis = AccessState::genesis(&s.station_id().unwrap());
        assert_eq!(s.read_state().unwrap(), genesis);

        let k = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let changes = vec![
            Change::OperatorPut {
                operator: operator("ann"),
            },
            Change::KeyPut {
                key: KeyRow::new(&crate::NewKey {
                    label: "rel",
                    public_key: k.public_key(),
                    backend: crate::Backend::Software,
                    location: "x.age",
                    attributes: serde_json::json!({"a": 1}),
                    purpose: Purpose::Signer,
                }),
            },
            Change::Setting {
                key: "custodian.quorum".into(),
                value: Some(2.into()),
            },
        ];
        let mut next = genesis.clone();
        for c in &changes {
            next.apply(c).unwrap();
        }
        let (row, ()) = s
            .commit_act::<_, StoreError>(0, |view| {
                assert!(view.appended.is_empty());
                assert_eq!(view.tables, genesis);
                Ok((
                    Act {
                        operator: "ann".into(),
                        action: strongroom_core::AuditEvent::OperatorInit.as_str().into(),
                        object: "ann".into(),
                        details: serde_json::json!({CHANGES: changes, PREV_ACCESS: crate::audit::GENESIS}),
                        state: next.clone(),
                    },
                    (),
                ))
            })
            .unwrap();
        assert_eq!(s.read_state().unwrap(), next);
        let acts = s.acts_after(0).unwrap();
        assert_eq!(acts.len(), 1);
        assert_eq!(acts[0].content.seq, row.seq);
        // The row's changes replay to the same state.
        let d: serde_json::Value = serde_json::from_str(&acts[0].content.details).unwrap();
        let replayed: Vec<Change> = serde_json::from_value(d[CHANGES].clone()).unwrap();
        let mut again = genesis.clone();
        for c in &replayed {
            again.apply(c).unwrap();
        }
        assert_eq!(again, next);
        // An ordinary row is not an act.
        s.append_audit(&NewAuditRow {
            operator: "ann",
            action: "sign",
            object: "x",
            outcome: "ok",
            details: serde_json::json!({}),
        })
        .unwrap();
        assert_eq!(s.acts_after(0).unwrap().len(), 1);

        // A refused plan writes nothing.
        let err = s
            .commit_act::<(), StoreError>(row.seq, |_| Err(StoreError::LastCustodian))
            .unwrap_err();
        assert!(matches!(err, StoreError::LastCustodian));
        assert_eq!(s.read_state().unwrap(), next);
        assert_eq!(s.audit_head().unwrap().unwrap().0, 2);
    }

    #[test]
    fn applying_refuses_duplicates() {
        let mut st = AccessState::default();
        let k = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let k2 = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let row = |k: &SoftwareKey| {
            KeyRow::new(&crate::NewKey {
                label: "rel",
                public_key: k.public_key(),
                backend: crate::Backend::Software,
                location: "x.age",
                attributes: serde_json::json!({}),
                purpose: Purpose::Signer,
            })
        };
        st.apply(&Change::KeyPut { key: row(&k) }).unwrap();
        assert!(matches!(
            st.apply(&Change::KeyPut { key: row(&k2) }),
            Err(StoreError::LabelTaken(_))
        ));
    }
}
