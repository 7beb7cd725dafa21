//! The key inventory: one row per key, software or token, with its public key and status.

use std::fmt;
use std::str::FromStr;

use rusqlite::{params, OptionalExtension, Row};
use strongroom_core::keyref::KeyRef;
use strongroom_core::{Algorithm, KeyId, PublicKey};

use crate::{Store, StoreError};

/// Where the private key lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An age-encrypted file under `keys/`.
    Software,
    /// A PKCS#11 token.
    Pkcs11,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Software => "software",
            Backend::Pkcs11 => "pkcs11",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lifecycle status of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Retired,
    Revoked,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Retired => "retired",
            KeyStatus::Revoked => "revoked",
        }
    }
}

impl FromStr for KeyStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "active" => Ok(KeyStatus::Active),
            "retired" => Ok(KeyStatus::Retired),
            "revoked" => Ok(KeyStatus::Revoked),
            other => Err(format!("unknown status {other:?}")),
        }
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key about to be recorded.
#[derive(Debug)]
pub struct NewKey<'a> {
    pub label: &'a str,
    pub public_key: &'a PublicKey,
    pub backend: Backend,
    /// Software: the key file's name under `keys/`. Token: the PKCS#11 URI (never with a PIN).
    pub location: &'a str,
    /// Backend facts worth keeping (token attributes read back after generation).
    pub attributes: serde_json::Value,
}

/// One inventory row.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub label: String,
    pub key_id: KeyId,
    pub algorithm: Algorithm,
    pub backend: Backend,
    pub public_key: PublicKey,
    pub location: String,
    pub attributes: serde_json::Value,
    /// RFC 3339, UTC.
    pub created: String,
    pub status: KeyStatus,
}

const COLUMNS: &str =
    "label, key_id, algorithm, backend, public_key_pem, location, attributes, created, status";

fn record(row: &Row<'_>) -> rusqlite::Result<Result<KeyRecord, StoreError>> {
    let label: String = row.get(0)?;
    let key_id: String = row.get(1)?;
    let algorithm: String = row.get(2)?;
    let backend: String = row.get(3)?;
    let pem: String = row.get(4)?;
    let location: String = row.get(5)?;
    let attributes: String = row.get(6)?;
    let created: String = row.get(7)?;
    let status: String = row.get(8)?;
    let corrupt = |reason: String| StoreError::CorruptRow {
        label: label.clone(),
        reason,
    };
    Ok((|| {
        let public_key = PublicKey::from_pem(&pem).map_err(|e| corrupt(e.to_string()))?;
        if public_key.key_id().as_str() != key_id {
            return Err(corrupt("key id does not match the public key".into()));
        }
        Ok(KeyRecord {
            key_id: public_key.key_id(),
            algorithm: algorithm
                .parse()
                .map_err(|e: strongroom_core::keys::KeyError| corrupt(e.to_string()))?,
            backend: match backend.as_str() {
                "software" => Backend::Software,
                "pkcs11" => Backend::Pkcs11,
                other => return Err(corrupt(format!("unknown backend {other:?}"))),
            },
            public_key,
            location,
            attributes: serde_json::from_str(&attributes).map_err(|e| corrupt(e.to_string()))?,
            created,
            status: status.parse().map_err(corrupt)?,
            label: label.clone(),
        })
    })())
}

/// The current time as RFC 3339 UTC, to the second (`2026-11-21T22:06:30Z`).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("0 ns is valid")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("UTC times always format")
}

impl Store {
    /// Records a new key. Refuses a label or key that is already there.
    pub fn insert_key(&self, k: &NewKey<'_>) -> Result<KeyRecord, StoreError> {
        let key_id = k.public_key.key_id();
        if let Some(existing) = self.key_by_id(&key_id)? {
            return Err(StoreError::KeyIdTaken(existing.label));
        }
        if self.key_by_label(k.label)?.is_some() {
            return Err(StoreError::LabelTaken(k.label.to_owned()));
        }
        self.conn.execute(
            &format!(
                "INSERT INTO keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'active')"
            ),
            params![
                k.label,
                key_id.as_str(),
                k.public_key.algorithm().to_string(),
                k.backend.as_str(),
                k.public_key.to_pem(),
                k.location,
                k.attributes.to_string(),
                now_rfc3339(),
            ],
        )?;
        self.key_by_label(k.label)?
            .ok_or_else(|| StoreError::KeyNotFound(k.label.to_owned()))
    }

    /// All keys, oldest first.
    pub fn list_keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM keys ORDER BY id"))?;
        let rows = stmt.query_map([], record)?;
        rows.map(|r| r?).collect()
    }

    pub fn key_by_label(&self, label: &str) -> Result<Option<KeyRecord>, StoreError> {
        self.query_one("label", label)
    }

    pub fn key_by_id(&self, id: &KeyId) -> Result<Option<KeyRecord>, StoreError> {
        self.query_one("key_id", id.as_str())
    }

    fn query_one(&self, column: &str, value: &str) -> Result<Option<KeyRecord>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM keys WHERE {column} = ?1"),
                [value],
                record,
            )
            .optional()?
            .transpose()
    }

    /// Resolves a label or key id to its inventory row. PKCS#11 URIs resolve in the HSM layer.
    pub fn find_key(&self, r: &KeyRef) -> Result<KeyRecord, StoreError> {
        let (found, shown) = match r {
            KeyRef::Label(l) => (self.key_by_label(l)?, l.clone()),
            KeyRef::Id(id) => (self.key_by_id(id)?, id.to_string()),
            KeyRef::Pkcs11Uri(_) => (None, "pkcs11 URI".to_owned()),
        };
        found.ok_or(StoreError::KeyNotFound(shown))
    }

    /// Removes a key row; used to roll back a key whose file could not be written.
    /// Moves a key from `active` to `status` (retired or revoked) and appends `audit` in the same
    /// transaction. A revoked key stays revoked; a retired key may still be revoked.
    pub fn set_key_status(
        &self,
        label: &str,
        status: KeyStatus,
        audit: &crate::audit::NewAuditRow<'_>,
    ) -> Result<KeyRecord, StoreError> {
        let tx = self.write_tx()?;
        let rec = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM keys WHERE label = ?1"),
                [label],
                record,
            )
            .optional()?
            .ok_or_else(|| StoreError::KeyNotFound(label.to_owned()))??;
        let allowed = matches!(
            (rec.status, status),
            (KeyStatus::Active, KeyStatus::Retired | KeyStatus::Revoked)
                | (KeyStatus::Retired, KeyStatus::Revoked)
        );
        if !allowed {
            return Err(StoreError::KeyStatus {
                label: label.to_owned(),
                from: rec.status.as_str().to_owned(),
                to: status.as_str().to_owned(),
            });
        }
        tx.execute(
            "UPDATE keys SET status = ?2 WHERE label = ?1",
            params![label, status.as_str()],
        )?;
        crate::audit::append_in(&tx, audit)?;
        tx.commit()?;
        Ok(KeyRecord { status, ..rec })
    }

    pub fn delete_key(&self, label: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM keys WHERE label = ?1", [label])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strongroom_core::{Signer, SoftwareKey};

    #[test]
    fn insert_find_list_and_uniqueness() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let k = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let new = NewKey {
            label: "rel",
            public_key: k.public_key(),
            backend: Backend::Software,
            location: "x.age",
            attributes: serde_json::json!({}),
        };
        let rec = store.insert_key(&new).unwrap();
        assert_eq!(rec.status, KeyStatus::Active);
        assert_eq!(rec.algorithm, Algorithm::Ed25519);
        assert!(rec.created.ends_with('Z'));
        assert!(matches!(store.insert_key(&new), Err(StoreError::KeyIdTaken(l)) if l == "rel"));
        let k2 = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let dup_label = NewKey {
            public_key: k2.public_key(),
            ..new
        };
        assert!(matches!(
            store.insert_key(&dup_label),
            Err(StoreError::LabelTaken(_))
        ));
        let by_id = store
            .find_key(&KeyRef::Id(k.public_key().key_id()))
            .unwrap();
        assert_eq!(by_id.label, "rel");
        assert!(matches!(
            store.find_key(&KeyRef::Label("nope".into())),
            Err(StoreError::KeyNotFound(_))
        ));
        assert_eq!(store.list_keys().unwrap().len(), 1);
    }
}
