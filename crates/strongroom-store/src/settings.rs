//! Station settings: small JSON values under well-known keys (for example the PKCS#11 module
//! allowlist), read with a default when unset. They are part of the access state: they change
//! only through [`crate::state`].

use rusqlite::OptionalExtension;
use serde::de::DeserializeOwned;

use crate::{Store, StoreError};

/// Setting key: the PKCS#11 module paths that may be loaded (JSON array of strings).
pub const ALLOWED_MODULES: &str = "pkcs11.allowed_modules";
/// Setting key: the station's id, a random value made by the migration that added checkpoints.
pub const STATION_ID: &str = "station.id";
/// Setting key: the key id of the key that signs audit checkpoints.
pub const AUDIT_KEY: &str = "audit.key";
/// Setting key: a file holding the audit key's passphrase or PIN (its first line), so that the
/// station signs the checkpoints of releases and approvals itself, without asking the person
/// at the keyboard for the audit key's secret.
pub const AUDIT_SECRET_FILE: &str = "audit.secret_file";
/// Setting key: how many distinct custodians must consent to an act that changes who is
/// trusted (unset: 1, until the station has two custodians).
pub const QUORUM: &str = "custodian.quorum";

impl Store {
    /// The value stored under `key`, or `None` when it was never set.
    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let raw: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?;
        raw.map(|v| {
            serde_json::from_str(&v).map_err(|e| StoreError::CorruptRow {
                label: key.to_owned(),
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    /// The station's id, named in its signed audit checkpoints.
    pub fn station_id(&self) -> Result<String, StoreError> {
        Ok(self
            .setting::<String>(STATION_ID)?
            .unwrap_or_else(|| "unknown".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_and_station_id() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.setting::<Vec<String>>(ALLOWED_MODULES).unwrap(), None);
        let id = s.station_id().unwrap();
        assert_eq!(id.len(), 32, "{id}");
    }
}
