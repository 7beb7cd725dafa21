//! The key inventory: one row per key, software or token, with its public key, purpose and
//! status. Rows change only through [`crate::state`]; this module reads them.

use std::fmt;
use std::str::FromStr;

use rusqlite::{OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use strongroom_core::keyref::KeyRef;
use strongroom_core::{Algorithm, KeyId, PublicKey, Purpose};

use crate::{Store, StoreError};

/// Where the private key lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
    /// The one kind of signature the key makes.
    pub purpose: Purpose,
}

/// One inventory row as stored (and as the audit log records it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRow {
    pub label: String,
    pub key_id: String,
    pub algorithm: String,
    pub backend: String,
    pub public_key_pem: String,
    pub location: String,
    pub attributes: serde_json::Value,
    /// RFC 3339, UTC.
    pub created: String,
    pub status: String,
    pub purpose: Purpose,
}

impl KeyRow {
    /// The row for a key recorded now, active.
    pub fn new(k: &NewKey<'_>) -> KeyRow {
        KeyRow {
            label: k.label.to_owned(),
            key_id: k.public_key.key_id().to_string(),
            algorithm: k.public_key.algorithm().to_string(),
            backend: k.backend.as_str().to_owned(),
            public_key_pem: k.public_key.to_pem(),
            location: k.location.to_owned(),
            attributes: k.attributes.clone(),
            created: now_rfc3339(),
            status: KeyStatus::Active.as_str().to_owned(),
            purpose: k.purpose,
        }
    }

    /// The checked view of the row.
    pub fn record(&self) -> Result<KeyRecord, StoreError> {
        let corrupt = |reason: String| StoreError::CorruptRow {
            label: self.label.clone(),
            reason,
        };
        let public_key =
            PublicKey::from_pem(&self.public_key_pem).map_err(|e| corrupt(e.to_string()))?;
        if public_key.key_id().as_str() != self.key_id {
            return Err(corrupt("key id does not match the public key".into()));
        }
        Ok(KeyRecord {
            key_id: public_key.key_id(),
            algorithm: self
                .algorithm
                .parse()
                .map_err(|e: strongroom_core::keys::KeyError| corrupt(e.to_string()))?,
            backend: match self.backend.as_str() {
                "software" => Backend::Software,
                "pkcs11" => Backend::Pkcs11,
                other => return Err(corrupt(format!("unknown backend {other:?}"))),
            },
            public_key,
            location: self.location.clone(),
            attributes: self.attributes.clone(),
            created: self.created.clone(),
            status: self.status.parse().map_err(corrupt)?,
            purpose: self.purpose,
            label: self.label.clone(),
        })
    }
}

/// One inventory row, checked.
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
    pub purpose: Purpose,
}

impl KeyRecord {
    /// The row this record was read from, with another status.
    pub fn row_with_status(&self, status: KeyStatus) -> KeyRow {
        KeyRow {
            label: self.label.clone(),
            key_id: self.key_id.to_string(),
            algorithm: self.algorithm.to_string(),
            backend: self.backend.as_str().to_owned(),
            public_key_pem: self.public_key.to_pem(),
            location: self.location.clone(),
            attributes: self.attributes.clone(),
            created: self.created.clone(),
            status: status.as_str().to_owned(),
            purpose: self.purpose,
        }
    }
}

pub(crate) const COLUMNS: &str =
    "label, key_id, algorithm, backend, public_key_pem, location, attributes, created, status, purpose";

pub(crate) fn row(r: &Row<'_>) -> rusqlite::Result<Result<KeyRow, StoreError>> {
    let label: String = r.get(0)?;
    let attributes: String = r.get(6)?;
    let purpose: String = r.get(9)?;
    let corrupt = |reason: String| StoreError::CorruptRow {
        label: label.clone(),
        reason,
    };
    Ok((|| {
        Ok(KeyRow {
            key_id: r.get(1)?,
            algorithm: r.get(2)?,
            backend: r.get(3)?,
            public_key_pem: r.get(4)?,
            location: r.get(5)?,
            attributes: serde_json::from_str(&attributes).map_err(|e| corrupt(e.to_string()))?,
            created: r.get(7)?,
            status: r.get(8)?,
            purpose: purpose
                .parse()
                .map_err(|e: strongroom_core::UnknownPurpose| corrupt(e.to_string()))?,
            label: label.clone(),
        })
    })())
}

fn record(r: &Row<'_>) -> rusqlite::Result<Result<KeyRecord, StoreError>> {
    Ok(row(r)?.and_then(|row| row.record()))
}

/// The current time as RFC 3339 UTC, to the second (`2026-11-21T22:06:30Z`).
pub fn now_rfc3339() -> String {
    strongroom_core::Timestamp::now()
        .whole_seconds()
        .to_rfc3339()
}

impl Store {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use strongroom_core::{Signer, SoftwareKey};

    #[test]
    fn a_row_round_trips_to_a_record_and_catches_a_swapped_key() {
        let k = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let row = KeyRow::new(&NewKey {
            label: "rel",
            public_key: k.public_key(),
            backend: Backend::Software,
            location: "x.age",
            attributes: serde_json::json!({}),
            purpose: Purpose::Approver,
        });
        let rec = row.record().unwrap();
        assert_eq!(rec.status, KeyStatus::Active);
        assert_eq!(rec.algorithm, Algorithm::Ed25519);
        assert_eq!(rec.purpose, Purpose::Approver);
        assert!(rec.created.ends_with('Z'));
        assert_eq!(rec.row_with_status(KeyStatus::Active), row);
        let other = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let swapped = KeyRow {
            public_key_pem: other.public_key().to_pem(),
            ..row
        };
        assert!(matches!(
            swapped.record(),
            Err(StoreError::CorruptRow { .. })
        ));
    }
}
