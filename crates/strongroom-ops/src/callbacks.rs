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

/// Passes everything on, but each distinct notice only once (a release of many artifacts scans
/// each one against the same database, and its staleness is worth one warning).
pub(crate) struct NoticeOnce<'a> {
    inner: &'a dyn Callbacks,
    seen: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl<'a> NoticeOnce<'a> {
    pub(crate) fn new(inner: &'a dyn Callbacks) -> Self {
        NoticeOnce {
            inner,
            seen: std::sync::Mutex::new(std::collections::BTreeSet::new()),
        }
    }
}

impl Callbacks for NoticeOnce<'_> {
    fn secret(&self, request: &SecretRequest) -> Option<SecretString> {
        self.inner.secret(request)
    }
    fn progress(&self, event: Progress) {
        self.inner.progress(event)
    }
    fn notice(&self, message: &str) {
        let first = self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(message.to_owned());
        if first {
            self.inner.notice(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Record(std::sync::Mutex<Vec<String>>);
    impl Callbacks for Record {
        fn secret(&self, _: &SecretRequest) -> Option<SecretString> {
            None
        }
        fn notice(&self, message: &str) {
            self.0.lock().unwrap().push(message.to_owned());
        }
    }

    #[test]
    fn a_notice_repeated_for_each_artifact_is_given_once() {
        let r = Record(std::sync::Mutex::new(Vec::new()));
        let once = NoticeOnce::new(&r);
        for m in ["the snapshot is stale", "the snapshot is stale", "other"] {
            once.notice(m);
        }
        assert_eq!(*r.0.lock().unwrap(), ["the snapshot is stale", "other"]);
    }
}
