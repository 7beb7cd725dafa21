//! What the operations tests share: a callback that answers every secret request with one key
//! passphrase, and each test operator's passphrase.

use secrecy::SecretString;
use strongroom_ops::{Callbacks, SecretRequest};

/// Answers every key secret request with the same passphrase.
pub struct Secrets;

impl Callbacks for Secrets {
    fn secret(&self, _: &SecretRequest) -> Option<SecretString> {
        Some(SecretString::from("key passphrase 123"))
    }
}

/// The passphrase of test operator `name`.
pub fn pass(name: &str) -> SecretString {
    SecretString::from(format!("{name} passphrase"))
}
