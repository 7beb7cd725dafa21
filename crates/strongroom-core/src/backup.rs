//! Key backups held by a quorum of custodians: the backup file (the private key wrapped under a
//! one-time AES-256 key with RFC 5649 key wrap, `CKM_AES_KEY_WRAP_PAD`), the split of that
//! wrapping key into N Shamir shares over GF(256) of which any M restore it, and the share files
//! each custodian keeps (plain text, printable, with a checksum).
//!
//! Secret sharing is `vsss-rs` (6.x): maintained, RustCrypto-style, `no_std`-capable, zeroizes,
//! and its GF(256) byte-wise split is the classic scheme the share format needs. `sharks`, the
//! other candidate, is unmaintained (RUSTSEC-2024-0398).
//!
//! What binds the pieces together, so that a custodian's share, the backup file and the key can
//! only be combined as they were made:
//! - the backup's id is the SHA-256 of its body, and every share names it;
//! - the body lists the SHA-256 of every share, so a substituted share is named, not just a
//!   failure to restore;
//! - the body holds a check value of the wrapping key, so a wrong combination is told apart from
//!   a token's refusal to unwrap;
//! - the body holds the public key, and its key id must be the one the shares name.
//!
//! Too few shares of a threshold scheme do not fail by themselves (they give a wrong key), so the
//! count is checked before combining.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::keys::{Algorithm, PublicKey};
use crate::purpose::Purpose;

/// `format` of a backup file.
pub const BACKUP_FORMAT: &str = "strongroom-key-backup/v1";
/// First line of a share file, and its format.
pub const SHARE_FORMAT: &str = "strongroom-key-share/v1";
/// The PKCS#11 name of the wrapping mechanism (RFC 5649, AES key wrap with padding).
pub const WRAP_MECHANISM: &str = "CKM_AES_KEY_WRAP_PAD";
/// Most shares a backup can have (share numbers are one byte, 0 is not a share).
pub const MAX_SHARES: u8 = 255;

const KEK_CHECK_DOMAIN: &[u8] = b"strongroom-key-backup/v1 wrapping-key check\0";
const SHARE_DIGEST_DOMAIN: &[u8] = b"strongroom-key-backup/v1 share\0";
const SHARE_CHECKSUM_DOMAIN: &[u8] = b"strongroom-key-share/v1 checksum\0";

/// Why a backup, a share or a combination of them was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackupError {
    #[error("threshold {threshold} of {shares} shares is not possible: the threshold must be at least 2 and at most the number of shares (at most {MAX_SHARES})")]
    BadThreshold { threshold: u8, shares: u8 },
    #[error("not a Strongroom key backup: {0}")]
    NotABackup(String),
    #[error("the backup file was altered: its content does not match its id {id}")]
    BackupAltered { id: String },
    #[error("{source_name} is not a Strongroom key share: {reason}")]
    NotAShare { source_name: String, reason: String },
    #[error("{source_name} (share {number}) is corrupted: its checksum does not match what it holds; ask its custodian for the share again, or use another")]
    ShareCorrupted { source_name: String, number: u8 },
    #[error("{source_name} (share {number}) belongs to another backup ({its_backup}), not to backup {backup} of key {key}")]
    ShareFromOtherBackup {
        source_name: String,
        number: u8,
        its_backup: String,
        backup: String,
        key: String,
    },
    #[error("{source_name} (share {number}) is not the share {number} that backup {backup} handed out: it was altered or substituted")]
    ShareNotHandedOut {
        source_name: String,
        number: u8,
        backup: String,
    },
    #[error("share {number} was given twice ({first} and {second})")]
    DuplicateShare {
        number: u8,
        first: String,
        second: String,
    },
    #[error("{have} of the {threshold} shares needed were given: {missing} more needed")]
    TooFewShares {
        have: usize,
        threshold: u8,
        missing: usize,
    },
    #[error("the shares do not rebuild the wrapping key of backup {backup}")]
    WrongWrappingKey { backup: String },
    #[error("the wrapped key does not unwrap under the rebuilt wrapping key: the backup file's wrapped key was altered")]
    UnwrapFailed,
    #[error("secret sharing failed: {0}")]
    Sharing(String),
}

/// A one-time AES-256 wrapping key. Never printed; zeroized when dropped.
pub struct WrappingKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for WrappingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WrappingKey(redacted)")
    }
}

impl WrappingKey {
    /// A fresh key from the operating system's generator.
    pub fn generate() -> Self {
        use rand_core::RngCore;
        let mut k = Zeroizing::new([0u8; 32]);
        rand_core::OsRng.fill_bytes(k.as_mut());
        WrappingKey(k)
    }

    /// The key's bytes, to hand to a token as a session object.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// `hex(SHA-256(domain ‖ key))`: tells whether shares rebuilt this key, and nothing of it.
    pub fn check_value(&self) -> String {
        let mut h = Sha256::new();
        h.update(KEK_CHECK_DOMAIN);
        h.update(self.0.as_ref());
        hex::encode(h.finalize())
    }

    /// Wraps a PKCS#8 private key as a token does with `CKM_AES_KEY_WRAP_PAD` (for software keys).
    pub fn wrap(&self, pkcs8: &[u8]) -> Vec<u8> {
        aes_kw::KekAes256::from(*self.0)
            .wrap_with_padding_vec(pkcs8)
            .expect("RFC 5649 wraps any non-empty input")
    }

    /// Unwraps what [`WrappingKey::wrap`] (or a token) wrapped.
    pub fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, BackupError> {
        aes_kw::KekAes256::from(*self.0)
            .unwrap_with_padding_vec(wrapped)
            .map(Zeroizing::new)
            .map_err(|_| BackupError::UnwrapFailed)
    }

    /// Splits the key into `shares` shares, any `threshold` of which rebuild it.
    pub fn split(&self, threshold: u8, shares: u8) -> Result<Vec<ShareValue>, BackupError> {
        check_threshold(threshold, shares)?;
        let rng = rand_core_010::UnwrapErr(getrandom::SysRng);
        let parts = vsss_rs::Gf256::split_array(
            usize::from(threshold),
            usize::from(shares),
            self.0.as_ref(),
            rng,
        )
        .map_err(|e| BackupError::Sharing(format!("{e:?}")))?;
        Ok(parts
            .into_iter()
            .map(|p| ShareValue(Zeroizing::new(p)))
            .collect())
    }
}

fn check_threshold(threshold: u8, shares: u8) -> Result<(), BackupError> {
    if threshold < 2 || threshold > shares {
        return Err(BackupError::BadThreshold { threshold, shares });
    }
    Ok(())
}

/// One share's bytes: its number (the x coordinate), then one byte per byte of the key.
pub struct ShareValue(Zeroizing<Vec<u8>>);

impl fmt::Debug for ShareValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShareValue(number {}, redacted)", self.number())
    }
}

impl ShareValue {
    pub fn number(&self) -> u8 {
        self.0.first().copied().unwrap_or(0)
    }

    /// What the backup file lists for this share.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(SHARE_DIGEST_DOMAIN);
        h.update(self.0.as_slice());
        hex::encode(h.finalize())
    }
}

/// Where the backed-up key lived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum BackupSource {
    /// A token key: the token, and the key object's label and `CKA_ID` (given again on restore).
    Pkcs11 {
        token: String,
        token_serial: String,
        object: String,
        id: String,
    },
    /// A software key (its PKCS#8 form is what is wrapped).
    Software,
}

/// Everything a backup file states; its SHA-256 is the backup's id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupBody {
    pub format: String,
    /// The inventory label of the key.
    pub label: String,
    /// Strongroom key id: base64 SHA-256 of the DER SubjectPublicKeyInfo.
    pub key_id: String,
    pub algorithm: String,
    pub purpose: Purpose,
    /// Base64 DER SubjectPublicKeyInfo.
    pub public_key: String,
    pub source: BackupSource,
    pub wrap_mechanism: String,
    /// Base64 of the wrapped PKCS#8 private key.
    pub wrapped_key: String,
    /// [`WrappingKey::check_value`].
    pub wrapping_key_check: String,
    pub threshold: u8,
    pub shares: u8,
    /// [`ShareValue::digest`] of share 1, 2, …
    pub share_digests: Vec<String>,
    /// RFC 3339, station time.
    pub created: String,
}

/// A backup file: its body and id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyBackup {
    pub id: String,
    pub backup: BackupBody,
}

/// What a new backup is made of, before its shares.
pub struct NewBackup<'a> {
    pub label: &'a str,
    pub purpose: Purpose,
    pub public_key: &'a PublicKey,
    pub source: BackupSource,
    pub wrapped_key: &'a [u8],
    pub created: String,
}

fn body_id(body: &BackupBody) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(body).expect("plain data serialises"),
    ))
}

impl KeyBackup {
    /// The backup file for `new`, wrapped under `kek`, whose `shares` are listed by digest.
    pub fn new(
        new: NewBackup<'_>,
        kek: &WrappingKey,
        threshold: u8,
        shares: &[ShareValue],
    ) -> Self {
        let body = BackupBody {
            format: BACKUP_FORMAT.to_owned(),
            label: new.label.to_owned(),
            key_id: new.public_key.key_id().as_str().to_owned(),
            algorithm: new.public_key.algorithm().to_string(),
            purpose: new.purpose,
            public_key: B64.encode(new.public_key.to_spki_der()),
            source: new.source,
            wrap_mechanism: WRAP_MECHANISM.to_owned(),
            wrapped_key: B64.encode(new.wrapped_key),
            wrapping_key_check: kek.check_value(),
            threshold,
            shares: u8::try_from(shares.len()).unwrap_or(MAX_SHARES),
            share_digests: shares.iter().map(ShareValue::digest).collect(),
            created: new.created,
        };
        KeyBackup {
            id: body_id(&body),
            backup: body,
        }
    }

    /// Reads a backup file and checks it is whole: its id, format, threshold, and that its key
    /// id is its public key's.
    pub fn parse(text: &str) -> Result<Self, BackupError> {
        let b: KeyBackup =
            serde_json::from_str(text).map_err(|e| BackupError::NotABackup(e.to_string()))?;
        if b.backup.format != BACKUP_FORMAT {
            return Err(BackupError::NotABackup(format!(
                "format {:?}, expected {BACKUP_FORMAT:?}",
                b.backup.format
            )));
        }
        if body_id(&b.backup) != b.id {
            return Err(BackupError::BackupAltered { id: b.id });
        }
        check_threshold(b.backup.threshold, b.backup.shares)?;
        if b.backup.share_digests.len() != usize::from(b.backup.shares) {
            return Err(BackupError::NotABackup(
                "it does not list a digest for every share".into(),
            ));
        }
        if b.backup.wrap_mechanism != WRAP_MECHANISM {
            return Err(BackupError::NotABackup(format!(
                "wrapping mechanism {:?} is not {WRAP_MECHANISM}",
                b.backup.wrap_mechanism
            )));
        }
        let pk = b.public_key()?;
        if pk.key_id().as_str() != b.backup.key_id
            || pk.algorithm().to_string() != b.backup.algorithm
        {
            return Err(BackupError::NotABackup(
                "its key id or algorithm is not its public key's".into(),
            ));
        }
        b.wrapped_key()?;
        Ok(b)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("plain data serialises");
        s.push('\n');
        s
    }

    pub fn public_key(&self) -> Result<PublicKey, BackupError> {
        let der = B64
            .decode(&self.backup.public_key)
            .map_err(|e| BackupError::NotABackup(format!("public key: {e}")))?;
        PublicKey::from_spki_der(&der)
            .map_err(|e| BackupError::NotABackup(format!("public key: {e}")))
    }

    pub fn algorithm(&self) -> Result<Algorithm, BackupError> {
        Ok(self.public_key()?.algorithm())
    }

    pub fn wrapped_key(&self) -> Result<Vec<u8>, BackupError> {
        B64.decode(&self.backup.wrapped_key)
            .map_err(|e| BackupError::NotABackup(format!("wrapped key: {e}")))
    }

    /// The share file of `value`, for the custodian named (if any).
    pub fn share(&self, value: &ShareValue, custodian: Option<&str>) -> Share {
        Share {
            source_name: format!("share {}", value.number()),
            backup: self.id.clone(),
            label: self.backup.label.clone(),
            key_id: self.backup.key_id.clone(),
            algorithm: self.backup.algorithm.clone(),
            threshold: self.backup.threshold,
            shares: self.backup.shares,
            custodian: custodian.map(str::to_owned),
            value: ShareValue(Zeroizing::new(value.0.to_vec())),
        }
    }

    /// Rebuilds the wrapping key from `shares`: each must be whole, of this backup, handed out
    /// by it, and given once; there must be at least the threshold of them.
    pub fn combine(&self, shares: &[Share]) -> Result<WrappingKey, BackupError> {
        let mut seen: Vec<&Share> = Vec::new();
        for s in shares {
            if s.backup != self.id {
                return Err(BackupError::ShareFromOtherBackup {
                    source_name: s.source_name.clone(),
                    number: s.number(),
                    its_backup: s.backup.clone(),
                    backup: self.id.clone(),
                    key: self.backup.label.clone(),
                });
            }
            let n = s.number();
            let listed = self
                .backup
                .share_digests
                .get(usize::from(n).wrapping_sub(1));
            if n == 0 || listed != Some(&s.value.digest()) {
                return Err(BackupError::ShareNotHandedOut {
                    source_name: s.source_name.clone(),
                    number: n,
                    backup: self.id.clone(),
                });
            }
            if let Some(first) = seen.iter().find(|o| o.number() == n) {
                return Err(BackupError::DuplicateShare {
                    number: n,
                    first: first.source_name.clone(),
                    second: s.source_name.clone(),
                });
            }
            seen.push(s);
        }
        let threshold = self.backup.threshold;
        if seen.len() < usize::from(threshold) {
            return Err(BackupError::TooFewShares {
                have: seen.len(),
                threshold,
                missing: usize::from(threshold) - seen.len(),
            });
        }
        let parts: Vec<Vec<u8>> = seen.iter().map(|s| s.value.0.to_vec()).collect();
        let secret = Zeroizing::new(
            vsss_rs::Gf256::combine_array(&parts)
                .map_err(|e| BackupError::Sharing(format!("{e:?}")))?,
        );
        for mut p in parts {
            zeroize::Zeroize::zeroize(&mut p);
        }
        let bytes: [u8; 32] =
            secret
                .as_slice()
                .try_into()
                .map_err(|_| BackupError::WrongWrappingKey {
                    backup: self.id.clone(),
                })?;
        let kek = WrappingKey(Zeroizing::new(bytes));
        if kek.check_value() != self.backup.wrapping_key_check {
            return Err(BackupError::WrongWrappingKey {
                backup: self.id.clone(),
            });
        }
        Ok(kek)
    }
}

/// One custodian's share, as its file reads.
pub struct Share {
    /// Where it came from (a file name), for messages; not part of the share.
    pub source_name: String,
    pub backup: String,
    pub label: String,
    pub key_id: String,
    pub algorithm: String,
    pub threshold: u8,
    pub shares: u8,
    pub custodian: Option<String>,
    value: ShareValue,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("source_name", &self.source_name)
            .field("backup", &self.backup)
            .field("number", &self.number())
            .finish_non_exhaustive()
    }
}

impl Share {
    pub fn number(&self) -> u8 {
        self.value.number()
    }

    fn checksum(&self) -> String {
        let mut h = Sha256::new();
        h.update(SHARE_CHECKSUM_DOMAIN);
        for field in [&self.backup, &self.label, &self.key_id, &self.algorithm] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        h.update([self.threshold, self.shares]);
        let custodian = self.custodian.as_deref().unwrap_or("");
        h.update((custodian.len() as u64).to_be_bytes());
        h.update(custodian.as_bytes());
        h.update(self.value.0.as_slice());
        let d = hex::encode(&h.finalize()[..8]);
        group(&d, 4, "-")
    }

    /// The share file: plain text, one `name: value` per line, to print or to keep as a file.
    /// The checksum covers every line.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(
            "STRONGROOM KEY SHARE: keep it apart from the other shares and from the backup file.\n",
        );
        s.push_str(&format!("format: {SHARE_FORMAT}\n"));
        s.push_str(&format!("key: {}\n", self.label));
        s.push_str(&format!("key-id: {}\n", self.key_id));
        s.push_str(&format!("algorithm: {}\n", self.algorithm));
        s.push_str(&format!("backup: {}\n", self.backup));
        s.push_str(&format!(
            "share: {} of {} (any {} restore the key)\n",
            self.number(),
            self.shares,
            self.threshold
        ));
        if let Some(c) = &self.custodian {
            s.push_str(&format!("custodian: {c}\n"));
        }
        s.push_str(&format!(
            "value: {}\n",
            group(&hex::encode(self.value.0.as_slice()), 4, " ")
        ));
        s.push_str(&format!("checksum: {}\n", self.checksum()));
        s
    }

    /// Reads a share file (`source_name` names it in messages), checking its checksum.
    pub fn parse(text: &str, source_name: &str) -> Result<Share, BackupError> {
        let not = |reason: &str| BackupError::NotAShare {
            source_name: source_name.to_owned(),
            reason: reason.to_owned(),
        };
        let mut fields: Vec<(&str, &str)> = Vec::new();
        for line in text.lines().skip_while(|l| !l.starts_with("format:")) {
            if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim(), v.trim()));
            }
        }
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| not(&format!("it has no `{name}:` line")))
        };
        if get("format")? != SHARE_FORMAT {
            return Err(not(&format!("its format is not {SHARE_FORMAT}")));
        }
        let share_line = get("share")?;
        let mut words = share_line.split_whitespace();
        let number: u8 = words
            .next()
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| not("its `share:` line does not start with a number"))?;
        let shares: u8 = words
            .nth(1)
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| not("its `share:` line does not read `N of TOTAL …`"))?;
        let threshold: u8 = words
            .nth(1)
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| not("its `share:` line does not name the threshold"))?;
        let value_hex: String = get("value")?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let value = Zeroizing::new(
            hex::decode(&value_hex).map_err(|_| not("its value is not hexadecimal"))?,
        );
        let share = Share {
            source_name: source_name.to_owned(),
            backup: get("backup")?.to_owned(),
            label: get("key")?.to_owned(),
            key_id: get("key-id")?.to_owned(),
            algorithm: get("algorithm")?.to_owned(),
            threshold,
            shares,
            custodian: get("custodian").ok().map(str::to_owned),
            value: ShareValue(value),
        };
        let stated = get("checksum")?.to_ascii_lowercase();
        if stated != share.checksum() || share.number() != number || value_hex.len() != 66 {
            return Err(BackupError::ShareCorrupted {
                source_name: source_name.to_owned(),
                number,
            });
        }
        Ok(share)
    }
}

/// `s` in groups of `n` characters joined by `sep`.
fn group(s: &str, n: usize, sep: &str) -> String {
    s.as_bytes()
        .chunks(n)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Signer, SoftwareKey};

    fn backup(threshold: u8, n: u8) -> (KeyBackup, Vec<Share>, SoftwareKey) {
        let key = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let kek = WrappingKey::generate();
        let wrapped = kek.wrap(&key.to_pkcs8_der());
        let values = kek.split(threshold, n).unwrap();
        let b = KeyBackup::new(
            NewBackup {
                label: "release",
                purpose: Purpose::Signer,
                public_key: key.public_key(),
                source: BackupSource::Software,
                wrapped_key: &wrapped,
                created: "2026-12-07T00:00:00Z".into(),
            },
            &kek,
            threshold,
            &values,
        );
        let shares = values
            .iter()
            .map(|v| {
                let text = b.share(v, Some("alice")).render();
                Share::parse(&text, &format!("share-{}.txt", v.number())).unwrap()
            })
            .collect();
        (KeyBackup::parse(&b.to_json()).unwrap(), shares, key)
    }

    #[test]
    fn any_threshold_of_the_shares_restore_the_key() {
        let (b, shares, key) = backup(3, 5);
        for pick in [[0, 1, 2], [2, 3, 4], [4, 0, 2]] {
            let chosen: Vec<Share> = pick
                .iter()
                .map(|&i| Share::parse(&b.share(&shares[i].value, None).render(), "x").unwrap())
                .collect();
            let kek = b.combine(&chosen).unwrap();
            let pkcs8 = kek.unwrap(&b.wrapped_key().unwrap()).unwrap();
            let back = SoftwareKey::from_pkcs8_der(&pkcs8).unwrap();
            assert_eq!(back.public_key(), key.public_key());
        }
        assert!(b.combine(&shares).is_ok());
    }

    #[test]
    fn too_few_shares_say_how_many_more() {
        let (b, shares, _) = backup(3, 5);
        assert_eq!(
            b.combine(&shares[..2]).unwrap_err(),
            BackupError::TooFewShares {
                have: 2,
                threshold: 3,
                missing: 1
            }
        );
    }

    #[test]
    fn a_corrupted_share_is_named() {
        let (b, shares, _) = backup(2, 3);
        let text = b.share(&shares[1].value, None).render();
        // One hex digit of the value changed.
        let i = text.find("value: ").unwrap() + 9;
        let mut bytes = text.into_bytes();
        bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
        let e = Share::parse(std::str::from_utf8(&bytes).unwrap(), "bob.txt").unwrap_err();
        assert_eq!(
            e,
            BackupError::ShareCorrupted {
                source_name: "bob.txt".into(),
                number: 2
            }
        );
        assert!(e.to_string().contains("bob.txt"));
    }

    #[test]
    fn shares_of_two_backups_do_not_mix() {
        let (b1, s1, _) = backup(2, 3);
        let (_, s2, _) = backup(2, 3);
        let mixed = vec![
            Share::parse(&b1.share(&s1[0].value, None).render(), "a").unwrap(),
            Share::parse(&s2_text(&s2[1]), "other.txt").unwrap(),
        ];
        assert!(matches!(
            b1.combine(&mixed).unwrap_err(),
            BackupError::ShareFromOtherBackup { ref source_name, .. } if source_name == "other.txt"
        ));
    }

    fn s2_text(s: &Share) -> String {
        Share {
            source_name: String::new(),
            backup: s.backup.clone(),
            label: s.label.clone(),
            key_id: s.key_id.clone(),
            algorithm: s.algorithm.clone(),
            threshold: s.threshold,
            shares: s.shares,
            custodian: None,
            value: ShareValue(Zeroizing::new(s.value.0.to_vec())),
        }
        .render()
    }

    #[test]
    fn a_substituted_share_with_a_good_checksum_is_named() {
        let (b, shares, _) = backup(2, 3);
        // A share relabelled to this backup, checksum recomputed: its digest is not listed.
        let (_, other, _) = backup(2, 3);
        let mut forged = Share::parse(&s2_text(&other[0]), "forged.txt").unwrap();
        forged.backup = b.id.clone();
        let forged = Share::parse(&s2_text(&forged), "forged.txt").unwrap();
        let e = b
            .combine(&[forged, Share::parse(&s2_text(&shares[1]), "ok").unwrap()])
            .unwrap_err();
        assert!(
            matches!(e, BackupError::ShareNotHandedOut { ref source_name, number: 1, .. } if source_name == "forged.txt"),
            "{e}"
        );
    }

    #[test]
    fn a_share_given_twice_counts_once() {
        let (b, shares, _) = backup(2, 3);
        let again = Share::parse(&s2_text(&shares[0]), "copy.txt").unwrap();
        let e = b
            .combine(&[Share::parse(&s2_text(&shares[0]), "a").unwrap(), again])
            .unwrap_err();
        assert!(matches!(e, BackupError::DuplicateShare { number: 1, .. }));
    }

    #[test]
    fn an_altered_backup_file_is_refused() {
        let (b, _, _) = backup(2, 3);
        let text = b.to_json().replace("\"threshold\": 2", "\"threshold\": 3");
        assert!(matches!(
            KeyBackup::parse(&text).unwrap_err(),
            BackupError::BackupAltered { .. }
        ));
    }

    #[test]
    fn thresholds_are_checked() {
        let kek = WrappingKey::generate();
        assert!(kek.split(1, 3).is_err());
        assert!(kek.split(4, 3).is_err());
        assert_eq!(kek.split(5, 5).unwrap().len(), 5);
    }

    #[test]
    fn a_share_names_no_secret() {
        let (b, shares, _) = backup(3, 5);
        let text = b.share(&shares[0].value, Some("carol")).render();
        assert!(text.contains("share: 1 of 5 (any 3 restore the key)"));
        assert!(text.contains("custodian: carol"));
        assert!(!format!("{:?}", shares[0]).contains(&hex::encode(&shares[0].value.0[1..])));
    }
}
