//! Operator accounts: a name, its roles, and a credential derived from the passphrase. The
//! credential is an Ed25519 key pair whose private half is derived with Argon2id from the
//! passphrase and a random salt, and never stored: the table holds the salt, the Argon2
//! parameters and the public key. Logging in derives the key again and compares public keys;
//! the derived key then signs the operator's access-changing acts (`state.rs`), so that someone
//! who can edit the database but does not know the passphrase cannot forge them.
//!
//! The store keeps roles as names; what each role may do is the operations layer's matrix.
//! Accounts change only through [`crate::state`].

use argon2::{Algorithm, Argon2, Params, Version};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use rusqlite::OptionalExtension;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Store, StoreError};

/// The role that manages operators: a station always keeps one enabled operator holding it.
pub const CUSTODIAN_ROLE: &str = "custodian";

/// Argon2id memory cost in KiB, passes and lanes: OWASP's first recommended configuration
/// (m = 19 MiB, t = 2, p = 1), about 30-60 ms per derivation. The credential records them, so a
/// later change of these numbers leaves existing credentials usable.
pub const ARGON2_M_KIB: u32 = 19 * 1024;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

/// The credential scheme's name, stored with every credential.
pub const CREDENTIAL_SCHEME: &str = "argon2id-ed25519";

/// What the station stores of an operator's passphrase: enough to check it and to verify what
/// it signed, nothing that reveals it without an Argon2id guess per try.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// [`CREDENTIAL_SCHEME`].
    pub scheme: String,
    pub m: u32,
    pub t: u32,
    pub p: u32,
    /// 16 random bytes, hex.
    pub salt: String,
    /// The Ed25519 public key derived from the passphrase, hex.
    pub public_key: String,
}

/// An operator's signing key, derived from their passphrase at login. Zeroized when dropped;
/// never printed.
#[derive(Clone)]
pub struct OperatorKey(SigningKey);

impl std::fmt::Debug for OperatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperatorKey(redacted)")
    }
}

impl OperatorKey {
    /// An Ed25519 signature over `message`, base64 (standard, padded).
    pub fn sign(&self, message: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.0.sign(message).to_bytes())
    }
}

fn derive(
    passphrase: &SecretString,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<SigningKey, StoreError> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|e| StoreError::PassphraseHash(format!("Argon2 parameters: {e}")))?;
    let mut seed = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(
            passphrase.expose_secret().as_bytes(),
            salt,
            seed.as_mut_slice(),
        )
        .map_err(|e| StoreError::PassphraseHash(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

impl Credential {
    /// A new credential for `passphrase` with a fresh salt, and the key it derives.
    pub fn new(passphrase: &SecretString) -> Result<(Credential, OperatorKey), StoreError> {
        let mut salt = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
        let key = derive(passphrase, &salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)?;
        let cred = Credential {
            scheme: CREDENTIAL_SCHEME.to_owned(),
            m: ARGON2_M_KIB,
            t: ARGON2_T,
            p: ARGON2_P,
            salt: hex::encode(salt),
            public_key: hex::encode(key.verifying_key().as_bytes()),
        };
        Ok((cred, OperatorKey(key)))
    }

    /// The operator's key when `passphrase` is theirs, `None` when it is not.
    pub fn unlock(&self, passphrase: &SecretString) -> Result<Option<OperatorKey>, StoreError> {
        if self.scheme != CREDENTIAL_SCHEME {
            return Err(StoreError::PassphraseHash(format!(
                "unknown credential scheme {:?}",
                self.scheme
            )));
        }
        let salt = hex::decode(&self.salt)
            .map_err(|_| StoreError::PassphraseHash("the salt is not hex".into()))?;
        let key = derive(passphrase, &salt, self.m, self.t, self.p)?;
        Ok(
            (hex::encode(key.verifying_key().as_bytes()) == self.public_key)
                .then_some(OperatorKey(key)),
        )
    }

    /// Whether `signature` (base64) is this credential's key's signature over `message`.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        use base64::Engine as _;
        let Ok(pk) = hex::decode(&self.public_key) else {
            return false;
        };
        let Ok(pk) = <[u8; 32]>::try_from(pk.as_slice()) else {
            return false;
        };
        let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
            return false;
        };
        let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(signature) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&sig) else {
            return false;
        };
        vk.verify(message, &sig).is_ok()
    }
}

/// A stored operator account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorRecord {
    pub name: String,
    /// Role names, sorted.
    pub roles: Vec<String>,
    pub credential: Credential,
    pub created_at: String,
    pub created_by: String,
    pub disabled: bool,
}

impl OperatorRecord {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

pub(crate) fn record(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<OperatorRecord, StoreError>> {
    let name: String = r.get(0)?;
    let roles: String = r.get(1)?;
    let credential: String = r.get(2)?;
    let corrupt = |what: &str, e: serde_json::Error| StoreError::CorruptRow {
        label: format!("operator {name}"),
        reason: format!("{what}: {e}"),
    };
    Ok((|| {
        Ok(OperatorRecord {
            roles: serde_json::from_str(&roles).map_err(|e| corrupt("roles", e))?,
            credential: serde_json::from_str(&credential).map_err(|e| corrupt("credential", e))?,
            created_at: r.get(3)?,
            created_by: r.get(4)?,
            disabled: r.get(5)?,
            name: name.clone(),
        })
    })())
}

pub(crate) const COLUMNS: &str = "name, roles, credential, created_at, created_by, disabled";

impl Store {
    /// How many accounts exist (disabled ones included). A station with none is unclaimed.
    pub fn operator_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM operators", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    pub fn operator(&self, name: &str) -> Result<Option<OperatorRecord>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM operators WHERE name = ?1"),
                [name],
                record,
            )
            .optional()?
            .transpose()
    }

    /// Every account, by name.
    pub fn list_operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM operators ORDER BY name"))?;
        let rows = stmt.query_map([], record)?;
        rows.map(|r| r?).collect()
    }

    /// Failed logins of `name` recorded since `since` (RFC 3339), for throttling.
    pub fn failed_logins_since(&self, name: &str, since: &str) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM audit_log
             WHERE action = 'login.failed' AND operator = ?1 AND time >= ?2",
            [name, since],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_derives_the_same_key_only_from_its_passphrase() {
        let p = SecretString::from("correct horse battery");
        let (cred, key) = Credential::new(&p).unwrap();
        assert_eq!(cred.scheme, "argon2id-ed25519");
        assert_eq!((cred.m, cred.t, cred.p), (19456, 2, 1));
        let again = cred.unlock(&p).unwrap().expect("the right passphrase");
        let sig = again.sign(b"act");
        assert!(cred.verifies(b"act", &sig));
        assert_eq!(key.sign(b"act"), sig, "Ed25519 is deterministic");
        assert!(!cred.verifies(b"another act", &sig));
        assert!(cred
            .unlock(&SecretString::from("correct horse batterY"))
            .unwrap()
            .is_none());
        // A fresh salt gives another key for the same passphrase.
        let (other, _) = Credential::new(&p).unwrap();
        assert_ne!(other.public_key, cred.public_key);
        assert!(!other.verifies(b"act", &sig));
        assert_eq!(format!("{key:?}"), "OperatorKey(redacted)");
    }
}
