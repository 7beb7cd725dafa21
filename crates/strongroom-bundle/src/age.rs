//! age encryption of a whole bundle (age-encryption.org/v1, readable by any age implementation):
//! to X25519 recipients or to one passphrase (scrypt), written atomically; and decryption of
//! binary or ASCII-armored age files into a private temporary file.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ::age::armor::ArmoredReader;
use ::age::DecryptError;
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};

use crate::atomic::write_atomic;
use crate::error::BundleError;
use crate::manifest::Sha256Digest;
use crate::writer::WrittenBundle;

/// scrypt work factor for passphrase encryption (N = 2^18, age's own default and the station's
/// choice for key files).
pub const SCRYPT_LOG_N: u8 = 18;
/// Largest scrypt work factor accepted when decrypting (N = 2^22, as the age CLI allows), so a
/// planted file cannot stall the station.
pub const MAX_SCRYPT_LOG_N: u8 = 22;
/// Largest identity file read.
const MAX_IDENTITY_FILE: u64 = 1 << 20;

const BINARY_MAGIC: &[u8] = b"age-encryption.org/v1\n";
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// Whom a bundle is encrypted to.
pub enum Recipient {
    /// An X25519 public key (`age1…`).
    X25519(Box<::age::x25519::Recipient>),
    /// A passphrase (scrypt). The age format allows it only as the sole recipient.
    Passphrase(SecretString),
}

impl Recipient {
    /// Parses an `age1…` X25519 recipient.
    pub fn parse_x25519(s: &str) -> Result<Recipient, BundleError> {
        ::age::x25519::Recipient::from_str(s.trim())
            .map(|r| Recipient::X25519(Box::new(r)))
            .map_err(|e| BundleError::InvalidRecipient {
                recipient: s.to_owned(),
                reason: e.to_string(),
            })
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::X25519(r) => write!(f, "X25519({r})"),
            Recipient::Passphrase(_) => f.write_str("Passphrase(redacted)"),
        }
    }
}

/// What decrypts a bundle.
pub enum Identity {
    /// An identity file: `AGE-SECRET-KEY-1…` lines; blank lines and `#` comments allowed.
    File(PathBuf),
    /// The passphrase it was encrypted with.
    Passphrase(SecretString),
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::File(p) => write!(f, "File({})", p.display()),
            Identity::Passphrase(_) => f.write_str("Passphrase(redacted)"),
        }
    }
}

/// Encrypts `src` (a bundle zip) to `recipients` as a binary age file at `out`, atomically
/// (temporary file beside `out`, fsync, rename). Returns the SHA-256 and size of the encrypted
/// file. Either X25519 recipients, or exactly one passphrase (scrypt at 2^[`SCRYPT_LOG_N`]).
pub fn encrypt_file(
    src: &Path,
    out: &Path,
    recipients: &[Recipient],
    overwrite: bool,
) -> Result<WrittenBundle, BundleError> {
    let mut input = File::open(src).map_err(|e| BundleError::io(src, e))?;
    encrypt_from(&mut input, src, out, recipients, overwrite)
}

/// [`encrypt_file`] from a file already open (a plaintext bundle that has no name on disk, so
/// that a crash while encrypting leaves no plaintext beside `out`); `src` names it in messages.
pub fn encrypt_from(
    input: &mut File,
    src: &Path,
    out: &Path,
    recipients: &[Recipient],
    overwrite: bool,
) -> Result<WrittenBundle, BundleError> {
    let passphrases = recipients
        .iter()
        .filter(|r| matches!(r, Recipient::Passphrase(_)))
        .count();
    if recipients.is_empty() {
        return Err(BundleError::Recipients("no recipients given".into()));
    }
    if passphrases > 0 && recipients.len() > 1 {
        return Err(BundleError::Recipients(
            "a passphrase must be the only recipient (the age format allows no other with it)"
                .into(),
        ));
    }
    let mut scrypt_recipients = Vec::new();
    let mut dyn_recipients: Vec<&dyn ::age::Recipient> = Vec::new();
    for r in recipients {
        if let Recipient::Passphrase(p) = r {
            let mut s = ::age::scrypt::Recipient::new(p.clone());
            s.set_work_factor(SCRYPT_LOG_N);
            scrypt_recipients.push(s);
        }
    }
    for r in recipients {
        if let Recipient::X25519(x) = r {
            dyn_recipients.push(x.as_ref());
        }
    }
    for s in &scrypt_recipients {
        dyn_recipients.push(s);
    }
    let encryptor = ::age::Encryptor::with_recipients(dyn_recipients.into_iter())
        .map_err(|e| BundleError::Recipients(e.to_string()))?;
    write_atomic(out, overwrite, |file| {
        let mut hashed = HashingWriter {
            inner: file,
            hash: Sha256::new(),
            len: 0,
        };
        let mut w = encryptor
            .wrap_output(&mut hashed)
            .map_err(|e| BundleError::io(out, e))?;
        copy(&mut *input, &mut w, src, out)?;
        w.finish().map_err(|e| BundleError::io(out, e))?;
        Ok(WrittenBundle {
            sha256: Sha256Digest(hashed.hash.finalize().into()),
            size: hashed.len,
        })
    })
}

/// Copies `src` to `out` unencrypted, atomically, as [`encrypt_file`] writes an encrypted one
/// (for exporting a bundle without recipients). Returns the SHA-256 and size written.
pub fn copy_file(src: &Path, out: &Path, overwrite: bool) -> Result<WrittenBundle, BundleError> {
    let mut input = File::open(src).map_err(|e| BundleError::io(src, e))?;
    write_atomic(out, overwrite, |file| {
        let mut hashed = HashingWriter {
            inner: file,
            hash: Sha256::new(),
            len: 0,
        };
        copy(&mut input, &mut hashed, src, out)?;
        Ok(WrittenBundle {
            sha256: Sha256Digest(hashed.hash.finalize().into()),
            size: hashed.len,
        })
    })
}

/// `true` when `path` starts like an age file, binary (`age-encryption.org/v1`) or
/// ASCII-armored (`-----BEGIN AGE ENCRYPTED FILE-----`, leading whitespace allowed).
pub fn is_age(path: &Path) -> Result<bool, BundleError> {
    let f = File::open(path).map_err(|e| BundleError::io(path, e))?;
    let mut head = Vec::with_capacity(1024);
    f.take(1024)
        .read_to_end(&mut head)
        .map_err(|e| BundleError::io(path, e))?;
    if head.starts_with(BINARY_MAGIC) {
        return Ok(true);
    }
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    Ok(head[start..].starts_with(ARMOR_BEGIN))
}

/// Decrypts the age file at `path` (binary or armored) into a new temporary file that has no
/// name on disk (`O_TMPFILE`, or unlinked at once), rewound to its start: the plaintext is gone
/// when the file is closed, also when the process is killed.
pub fn decrypt_to_temp(path: &Path, identity: &Identity) -> Result<File, BundleError> {
    if !is_age(path)? {
        return Err(BundleError::NotAge {
            path: path.to_owned(),
            reason: "it does not start with an age header".into(),
        });
    }
    let corrupt = |reason: String| BundleError::AgeCorrupt {
        path: path.to_owned(),
        reason,
    };
    let file = File::open(path).map_err(|e| BundleError::io(path, e))?;
    let decryptor =
        ::age::Decryptor::new(ArmoredReader::new(BufReader::new(file))).map_err(|e| match e {
            DecryptError::Io(io) => corrupt(format!("unreadable header: {io}")),
            other => corrupt(other.to_string()),
        })?;
    let stream = match identity {
        Identity::Passphrase(p) => {
            if !decryptor.is_scrypt() {
                return Err(BundleError::IdentityNeeded(path.to_owned()));
            }
            let mut id = ::age::scrypt::Identity::new(p.clone());
            id.set_max_work_factor(MAX_SCRYPT_LOG_N);
            decryptor
                .decrypt(std::iter::once(&id as &dyn ::age::Identity))
                .map_err(|e| match e {
                    DecryptError::DecryptionFailed
                    | DecryptError::KeyDecryptionFailed
                    | DecryptError::NoMatchingKeys => BundleError::WrongPassphrase(path.to_owned()),
                    DecryptError::ExcessiveWork { required, .. } => BundleError::ExcessiveWork {
                        path: path.to_owned(),
                        required,
                        allowed: MAX_SCRYPT_LOG_N,
                    },
                    other => corrupt(other.to_string()),
                })?
        }
        Identity::File(id_path) => {
            if decryptor.is_scrypt() {
                return Err(BundleError::PassphraseNeeded(path.to_owned()));
            }
            let identities = read_identity_file(id_path)?;
            decryptor
                .decrypt(identities.iter().map(|i| i.as_ref()))
                .map_err(|e| match e {
                    DecryptError::NoMatchingKeys => {
                        BundleError::NoMatchingIdentity(path.to_owned())
                    }
                    other => corrupt(other.to_string()),
                })?
        }
    };
    let mut tmp = tempfile::tempfile().map_err(|e| BundleError::io(std::env::temp_dir(), e))?;
    let tmp_path = path.to_owned();
    let mut stream = stream;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(corrupt(format!(
                    "the payload is truncated or was altered ({e})"
                )))
            }
        };
        tmp.write_all(&buf[..n])
            .map_err(|e| BundleError::io(&tmp_path, e))?;
    }
    tmp.flush()
        .and_then(|()| tmp.seek(SeekFrom::Start(0)).map(drop))
        .map_err(|e| BundleError::io(&tmp_path, e))?;
    Ok(tmp)
}

fn read_identity_file(path: &Path) -> Result<Vec<Box<dyn ::age::Identity>>, BundleError> {
    let bad = |reason: String| BundleError::IdentityFile {
        path: path.to_owned(),
        reason,
    };
    let f = File::open(path).map_err(|e| BundleError::io(path, e))?;
    let len = f.metadata().map_err(|e| BundleError::io(path, e))?.len();
    if len > MAX_IDENTITY_FILE {
        return Err(bad(format!(
            "{len} bytes is too large for an identity file"
        )));
    }
    let parsed =
        ::age::IdentityFile::from_buffer(BufReader::new(f)).map_err(|e| bad(e.to_string()))?;
    let identities = parsed.into_identities().map_err(|e| bad(e.to_string()))?;
    if identities.is_empty() {
        return Err(bad("it holds no identities".into()));
    }
    Ok(identities)
}

fn copy(r: &mut impl Read, w: &mut impl Write, src: &Path, out: &Path) -> Result<(), BundleError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(BundleError::io(src, e)),
        };
        w.write_all(&buf[..n])
            .map_err(|e| BundleError::io(out, e))?;
    }
}

/// Passes writes through while hashing them.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
    len: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
