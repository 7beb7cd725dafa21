//! How the operations reach a person: secrets (passphrases, later PINs) and progress. The CLI
//! implements this with prompts and a progress bar, the app with dialogs and events, tests with a
//! scripted value.

use std::path::PathBuf;

use secrecy::SecretString;

/// A secret the operation needs.
#[derive(Clone, Debug)]
pub enum SecretRequest {
    /// A passphrase to protect a new software key; the implementation should ask twice.
    NewKeyPassphrase { label: String },
    /// The passphrase that unlocks an existing software key.
    KeyPassphrase { label: String },
    /// The user PIN of a PKCS#11 token.
    TokenPin { token: String },
    /// A new user PIN for a token (initialised, changed or unlocked); the implementation should
    /// ask twice.
    NewTokenPin { token: String },
    /// The PIN of a token's security officer.
    SoPin { token: String },
    /// The security officer's PIN of a token being initialised; ask twice.
    NewSoPin { token: String },
}

/// Progress of long work.
#[derive(Clone, Debug)]
pub enum Progress {
    /// Hashing starts: `files` files, `total_bytes` bytes in all.
    HashStart { files: usize, total_bytes: u64 },
    /// `bytes` more were hashed.
    Hashed { bytes: u64 },
    /// One file is done.
    HashFileDone { path: PathBuf },
    /// Hashing is over.
    HashFinish,
    /// Counted work other than hashing (records imported, …): `done` of `total` so far.
    Items { what: String, done: u64, total: u64 },
    /// The counted work is over.
    ItemsFinish,
}

/// The person at the other end of an operation. Must be `Sync`: hashing reports from several
/// threads at once.
pub trait Callbacks: Sync {
    /// Returns the secret, or `None` when none can be had (no terminal, dialog cancelled).
    fn secret(&self, request: &SecretRequest) -> Option<SecretString>;

    /// Reports progress; the default ignores it.
    fn progress(&self, _event: Progress) {}

    /// Tells the person something they should know before the operation goes on (for example
    /// that a token's PIN has a single try left); the default ignores it.
    fn notice(&self, _message: &str) {}
}

/// Answers every secret request with one secret (a file the station reads, such as the audit
/// key's), and passes progress and notices on to the person.
pub(crate) struct WithSecret<'a> {
    pub(crate) secret: SecretString,
    pub(crate) inner: &'a dyn Callbacks,
}

impl Callbacks for WithSecret<'_> {
    fn secret(&self, _: &SecretRequest) -> Option<SecretString> {
        Some(self.secret.clone())
    }
    fn progress(&self, event: Progress) {
        self.inner.progress(event)
    }
    fn notice(&self, message: &str) {
        self.inner.notice(message)
    }
}

/// No person to ask or tell: for checks an operation makes on the side (export verifying the
/// bundle it carries out); every secret request is refused.
pub(crate) struct Quiet;

impl Callbacks for Quiet {
    fn secret(&self, _: &SecretRequest) -> Option<SecretString> {
        None
    }
}
