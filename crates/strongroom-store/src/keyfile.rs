//! Software private keys at rest: PKCS#8 PEM inside an age file encrypted to a passphrase
//! (scrypt recipient), readable by any age implementation (`age -d`).

use std::io::{Read, Write};
use std::path::Path;

use age::secrecy::SecretString;
use strongroom_core::SoftwareKey;
use zeroize::Zeroizing;

use crate::fsutil::{write_atomic, Overwrite};
use crate::StoreError;

/// scrypt work factor (N = 2^18, 256 MiB): about half a second per unlock on the reference
/// machine, the same order as age's own calibration.
pub const SCRYPT_LOG_N: u8 = 18;
/// Largest work factor accepted when reading, so a planted file cannot stall the station.
const MAX_LOG_N: u8 = 22;
/// A key file is a few hundred bytes; refuse anything absurd before decrypting.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// Encrypts `key` to `passphrase` and writes it to `path` atomically, never replacing a file.
pub fn write(path: &Path, key: &SoftwareKey, passphrase: &SecretString) -> Result<(), StoreError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(SCRYPT_LOG_N);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| StoreError::KeyFile {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
    let pem = key.to_pkcs8_pem();
    write_atomic(path, Overwrite::Refuse, |f| {
        let mut w = encryptor.wrap_output(f)?;
        w.write_all(pem.as_bytes())?;
        w.finish()?;
        Ok(())
    })?;
    Ok(())
}

/// Reads and decrypts the key at `path`.
pub fn read(path: &Path, passphrase: &SecretString) -> Result<SoftwareKey, StoreError> {
    let bad = |reason: String| StoreError::KeyFile {
        path: path.to_owned(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
    let len = file.metadata().map_err(|e| StoreError::io(path, e))?.len();
    if len > MAX_KEY_FILE {
        return Err(bad(format!("{len} bytes is too large for a key file")));
    }
    let decryptor = age::Decryptor::new(std::io::BufReader::new(file))
        .map_err(|e| bad(format!("not an age file: {e}")))?;
    if !decryptor.is_scrypt() {
        return Err(bad("not encrypted to a passphrase".into()));
    }
    let mut identity = age::scrypt::Identity::new(passphrase.clone());
    identity.set_max_work_factor(MAX_LOG_N);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed
            | age::DecryptError::KeyDecryptionFailed
            | age::DecryptError::NoMatchingKeys => StoreError::WrongPassphrase {
                path: path.to_owned(),
            },
            other => bad(other.to_string()),
        })?;
    let mut pem = Zeroizing::new(String::new());
    reader
        .read_to_string(&mut pem)
        .map_err(|e| bad(format!("decryption failed: {e}")))?;
    SoftwareKey::from_pkcs8_pem(&pem).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use strongroom_core::{Algorithm, Signer};

    #[test]
    fn round_trip_wrong_passphrase_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.age");
        let k = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        write(&p, &k, &SecretString::from("correct horse")).unwrap();
        let back = read(&p, &SecretString::from("correct horse")).unwrap();
        assert_eq!(back.public_key(), k.public_key());
        assert!(matches!(
            read(&p, &SecretString::from("wrong")),
            Err(StoreError::WrongPassphrase { .. })
        ));
        // Never replaces an existing key file.
        assert!(write(&p, &k, &SecretString::from("x")).is_err());
        std::fs::write(&p, b"garbage").unwrap();
        assert!(matches!(
            read(&p, &SecretString::from("correct horse")),
            Err(StoreError::KeyFile { .. })
        ));
    }
}
