//! Station settings: small JSON values under well-known keys (for example the PKCS#11 module
//! allowlist), read with a default when unset.

use rusqlite::OptionalExtension;
use serde::{de::DeserializeOwned, Serialize};

use crate::{Store, StoreError};

/// Setting key: the PKCS#11 module paths that may be loaded (JSON array of strings).
pub const ALLOWED_MODULES: &str = "pkcs11.allowed_modules";
/// Setting key: the station's id, a random value made by the migration that added checkpoints.
pub const STATION_ID: &str = "station.id";
/// Setting key: the key (label, key id or `pkcs11:` URI) that signs audit checkpoints.
pub const AUDIT_KEY: &str = "audit.key";

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

    /// Stores `value` under `key`, replacing any previous value.
    pub fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let json = serde_json::to_string(value).expect("settings serialise");
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, &json],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_set_replace() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.setting::<Vec<String>>(ALLOWED_MODULES).unwrap(), None);
        s.set_setting(ALLOWED_MODULES, &vec!["/a.so"]).unwrap();
        s.set_setting(ALLOWED_MODULES, &vec!["/b.so", "/c.so"])
            .unwrap();
        assert_eq!(
            s.setting::<Vec<String>>(ALLOWED_MODULES).unwrap().unwrap(),
            vec!["/b.so", "/c.so"]
        );
    }
}
