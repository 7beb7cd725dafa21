//! Operator accounts: a name, its roles, and its passphrase as an Argon2id PHC string. Every
//! change is written together with its audit row, in one transaction.
//!
//! The store keeps roles as names; what each role may do is the operations layer's matrix.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::{params, OptionalExtension};
use secrecy::{ExposeSecret, SecretString};

use crate::audit::{append_in, NewAuditRow};
use crate::{now_rfc3339, Store, StoreError};

/// The role that manages operators: a station always keeps one enabled operator holding it.
pub const CUSTODIAN_ROLE: &str = "custodian";

/// Argon2id memory cost in KiB, passes and lanes: OWASP's first recommended configuration
/// (m = 19 MiB, t = 2, p = 1), about 30-60 ms per check. The PHC string records them, so a
/// later change of these numbers leaves existing hashes verifiable.
pub const ARGON2_M_KIB: u32 = 19 * 1024;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .expect("the Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a passphrase with Argon2id and a fresh random salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH`).
pub fn hash_passphrase(passphrase: &SecretString) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    argon2()
        .hash_password(passphrase.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::PassphraseHash(e.to_string()))
}

/// True when `passphrase` matches the PHC string (with the parameters the string records).
pub fn check_passphrase(phc: &str, passphrase: &SecretString) -> Result<bool, StoreError> {
    let parsed = PasswordHash::new(phc).map_err(|e| StoreError::PassphraseHash(e.to_string()))?;
    match argon2().verify_password(passphrase.expose_secret().as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(StoreError::PassphraseHash(e.to_string())),
    }
}

/// A stored operator account.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    pub name: String,
    pub roles: Vec<String>,
    /// Argon2id PHC string.
    pub passphrase_hash: String,
    pub created_at: String,
    pub created_by: String,
    pub disabled: bool,
}

impl std::fmt::Debug for OperatorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorRecord")
            .field("name", &self.name)
            .field("roles", &self.roles)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A change to an existing account.
#[derive(Clone, Debug)]
pub enum OperatorChange {
    Roles(Vec<String>),
    /// A new Argon2id PHC string.
    Passphrase(String),
    Disabled(bool),
}

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<OperatorRecord> {
    let roles: String = r.get(1)?;
    Ok(OperatorRecord {
        name: r.get(0)?,
        roles: serde_json::from_str(&roles).unwrap_or_default(),
        passphrase_hash: r.get(2)?,
        created_at: r.get(3)?,
        created_by: r.get(4)?,
        disabled: r.get(5)?,
    })
}

const COLUMNS: &str = "name, roles, passphrase_hash, created_at, created_by, disabled";

/// Enabled operators holding the custodian role.
fn custodians(tx: &rusqlite::Transaction<'_>) -> Result<i64, StoreError> {
    Ok(tx.query_row(
        "SELECT count(*) FROM operators WHERE disabled = 0
         AND EXISTS (SELECT 1 FROM json_each(operators.roles) WHERE value = ?1)",
        [CUSTODIAN_ROLE],
        |r| r.get(0),
    )?)
}

impl Store {
    /// How many accounts exist (disabled ones included). A station with none is unclaimed.
    pub fn operator_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM operators", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    pub fn operator(&self, name: &str) -> Result<Option<OperatorRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM operators WHERE name = ?1"),
                [name],
                record,
            )
            .optional()?)
    }

    /// Every account, by name.
    pub fn list_operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM operators ORDER BY name"))?;
        let rows = stmt.query_map([], record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Creates an account and appends `audit` in the same transaction. With `only_first`, the
    /// station must have no account yet (the check and the insert are one transaction, so two
    /// people claiming a station at once cannot both succeed).
    pub fn insert_operator(
        &self,
        name: &str,
        roles: &[String],
        passphrase_hash: &str,
        created_by: &str,
        only_first: bool,
        audit: &NewAuditRow<'_>,
    ) -> Result<OperatorRecord, StoreError> {
        let tx = self.write_tx()?;
        if only_first {
            let n: i64 = tx.query_row("SELECT count(*) FROM operators", [], |r| r.get(0))?;
            if n > 0 {
                return Err(StoreError::StationClaimed);
            }
        }
        let exists: Option<i64> = tx
            .query_row("SELECT 1 FROM operators WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_some() {
            return Err(StoreError::OperatorExists(name.to_owned()));
        }
        let created_at = now_rfc3339();
        let roles_json = serde_json::to_string(roles).expect("roles serialise");
        tx.execute(
            "INSERT INTO operators (name, roles, passphrase_hash, created_at, created_by, disabled)
             VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            params![name, roles_json, passphrase_hash, created_at, created_by],
        )?;
        append_in(&tx, audit)?;
        tx.commit()?;
        Ok(OperatorRecord {
            name: name.to_owned(),
            roles: roles.to_vec(),
            passphrase_hash: passphrase_hash.to_owned(),
            created_at,
            created_by: created_by.to_owned(),
            disabled: false,
        })
    }

    /// Changes an account and appends `audit` in the same transaction. Refused (and nothing
    /// written) when the change would leave no enabled custodian.
    pub fn update_operator(
        &self,
        name: &str,
        change: &OperatorChange,
        audit: &NewAuditRow<'_>,
    ) -> Result<OperatorRecord, StoreError> {
        let tx = self.write_tx()?;
        let n = match change {
            OperatorChange::Roles(roles) => tx.execute(
                "UPDATE operators SET roles = ?2 WHERE name = ?1",
                params![name, serde_json::to_string(roles).expect("roles serialise")],
            )?,
            OperatorChange::Passphrase(phc) => tx.execute(
                "UPDATE operators SET passphrase_hash = ?2 WHERE name = ?1",
                params![name, phc],
            )?,
            OperatorChange::Disabled(d) => tx.execute(
                "UPDATE operators SET disabled = ?2 WHERE name = ?1",
                params![name, d],
            )?,
        };
        if n == 0 {
            return Err(StoreError::OperatorNotFound(name.to_owned()));
        }
        if custodians(&tx)? == 0 {
            return Err(StoreError::LastCustodian);
        }
        let rec = tx.query_row(
            &format!("SELECT {COLUMNS} FROM operators WHERE name = ?1"),
            [name],
            record,
        )?;
        append_in(&tx, audit)?;
        tx.commit()?;
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(action: &str) -> NewAuditRow<'_> {
        NewAuditRow {
            operator: "root",
            action,
            object: "x",
            outcome: "ok",
            details: serde_json::json!({}),
        }
    }

    #[test]
    fn passphrases_hash_as_argon2id_and_check() {
        let p = SecretString::from("correct horse");
        let phc = hash_passphrase(&p).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(check_passphrase(&phc, &p).unwrap());
        assert!(!check_passphrase(&phc, &SecretString::from("correct horsE")).unwrap());
        // Two hashes of one passphrase differ (fresh salt).
        assert_ne!(hash_passphrase(&p).unwrap(), phc);
    }

    #[test]
    fn first_operator_once_and_the_last_custodian_stays() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.operator_count().unwrap(), 0);
        let cust = vec![CUSTODIAN_ROLE.to_owned()];
        s.insert_operator("ann", &cust, "$x", "ann", true, &audit("operator.init"))
            .unwrap();
        let again = s.insert_operator("bob", &cust, "$x", "bob", true, &audit("operator.init"));
        assert!(matches!(again, Err(StoreError::StationClaimed)));
        let dup = s.insert_operator("ann", &cust, "$x", "ann", false, &audit("operator.add"));
        assert!(matches!(dup, Err(StoreError::OperatorExists(_))));
        let last = s.update_operator("ann", &OperatorChange::Disabled(true), &audit("d"));
        assert!(matches!(last, Err(StoreError::LastCustodian)));
        let last = s.update_operator("ann", &OperatorChange::Roles(vec![]), &audit("r"));
        assert!(matches!(last, Err(StoreError::LastCustodian)));
        assert!(!s.operator("ann").unwrap().unwrap().disabled);
        s.insert_operator("bob", &cust, "$x", "ann", false, &audit("operator.add"))
            .unwrap();
        s.update_operator("ann", &OperatorChange::Disabled(true), &audit("d"))
            .unwrap();
        assert!(s.operator("ann").unwrap().unwrap().disabled);
        // Every successful change wrote its row; refused ones wrote none.
        let actions: Vec<String> = s
            .audit_rows(None, None)
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(actions, ["operator.init", "operator.add", "d"]);
        let missing = s.update_operator("zed", &OperatorChange::Disabled(true), &audit("d"));
        assert!(matches!(missing, Err(StoreError::OperatorNotFound(_))));
    }
}
