//! The terminal side of [`Callbacks`]: passphrases from a file, the environment or a prompt, and
//! a progress bar on standard error when it is a terminal.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use secrecy::{ExposeSecret, SecretString};
use strongroom_ops::{Callbacks, Progress, SecretRequest};

/// Environment variable holding the key passphrase.
pub const PASSPHRASE_ENV: &str = "STRONGROOM_PASSPHRASE";
/// Environment variable holding the passphrase for a successor key (`key rotate`).
pub const NEW_PASSPHRASE_ENV: &str = "STRONGROOM_NEW_PASSPHRASE";
/// Environment variable holding the token PIN.
pub const PIN_ENV: &str = "STRONGROOM_PIN";
/// Environment variable holding a token security officer's PIN (`token init`, `token unlock`).
pub const SO_PIN_ENV: &str = "STRONGROOM_SO_PIN";
/// Environment variable holding a new user PIN (`token init`, `token change-pin`, `token unlock`).
pub const NEW_PIN_ENV: &str = "STRONGROOM_NEW_PIN";
/// Environment variable holding the operator's passphrase (login, and `operator init`).
pub const OPERATOR_PASSPHRASE_ENV: &str = "STRONGROOM_OPERATOR_PASSPHRASE";
/// Environment variable holding a new operator passphrase (`operator add`, `operator passwd`).
pub const NEW_OPERATOR_PASSPHRASE_ENV: &str = "STRONGROOM_NEW_OPERATOR_PASSPHRASE";
/// Environment variable holding the passphrase of the one `--cosigner`.
pub const COSIGNER_PASSPHRASE_ENV: &str = "STRONGROOM_COSIGNER_PASSPHRASE";

pub struct Terminal {
    /// A passphrase given by file or environment; prompts are used only without one.
    passphrase: Option<SecretString>,
    /// A separate passphrase for a new key, when one key is unlocked and another made in one
    /// operation (`key rotate`); without it, new keys get `passphrase`.
    new_passphrase: Option<SecretString>,
    separate_new: bool,
    /// Likewise for a token PIN.
    pin: Option<SecretString>,
    /// A token's security officer's PIN, and a new user PIN, for the token's administration.
    so_pin: Option<SecretString>,
    new_pin: Option<SecretString>,
    bar: Mutex<Option<ProgressBar>>,
}

/// A secret from FILE (its first line) or else the environment variable `env`.
pub fn preset(file: Option<&Path>, env: &str) -> anyhow::Result<Option<SecretString>> {
    preset_opt(file, Some(env))
}

/// [`preset`], where the environment may not apply.
pub fn preset_opt(file: Option<&Path>, env: Option<&str>) -> anyhow::Result<Option<SecretString>> {
    Ok(match file {
        Some(p) => Some(read_secret_file(p)?),
        None => env
            .and_then(|e| std::env::var(e).ok())
            .map(SecretString::from),
    })
}

impl Terminal {
    /// Resolves the secret sources now, so an unreadable file fails before any work.
    pub fn new(passphrase_file: Option<&Path>, pin_file: Option<&Path>) -> anyhow::Result<Self> {
        Ok(Terminal {
            passphrase: preset(passphrase_file, PASSPHRASE_ENV)?,
            new_passphrase: None,
            separate_new: false,
            pin: preset(pin_file, PIN_ENV)?,
            so_pin: None,
            new_pin: None,
            bar: Mutex::new(None),
        })
    }

    /// The sources of a security officer's PIN and of a new user PIN (FILE, else
    /// `STRONGROOM_SO_PIN` / `STRONGROOM_NEW_PIN`, else a prompt).
    pub fn token_admin_pins(
        mut self,
        so_pin_file: Option<&Path>,
        new_pin_file: Option<&Path>,
    ) -> anyhow::Result<Self> {
        self.so_pin = preset(so_pin_file, SO_PIN_ENV)?;
        self.new_pin = preset(new_pin_file, NEW_PIN_ENV)?;
        Ok(self)
    }

    /// Gives new keys their own passphrase source (FILE, else `STRONGROOM_NEW_PASSPHRASE`, else
    /// a prompt), apart from the one that unlocks an existing key.
    pub fn separate_new_passphrase(mut self, file: Option<&Path>) -> anyhow::Result<Self> {
        self.new_passphrase = preset(file, NEW_PASSPHRASE_ENV)?;
        self.separate_new = true;
        Ok(self)
    }
}

/// Reads the first line of a secret file, without its line ending.
pub fn read_secret_file(path: &Path) -> anyhow::Result<SecretString> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the secret file {}", path.display()))?,
    );
    let line = text.lines().next().unwrap_or_default();
    Ok(SecretString::from(line.to_owned()))
}

/// A secret from a non-echoing prompt, when standard input is a terminal.
pub fn prompt(text: &str) -> Option<SecretString> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    rpassword::prompt_password(text)
        .ok()
        .map(SecretString::from)
}

/// A new passphrase from a prompt, asked twice until both agree (three tries).
pub fn prompt_new(what: &str) -> Option<SecretString> {
    prompt_twice("passphrase", what)
}

/// A new `noun` (passphrase, PIN) for `what` from a prompt, asked twice until both agree
/// (three tries).
pub fn prompt_twice(noun: &str, what: &str) -> Option<SecretString> {
    for _ in 0..3 {
        let first = prompt(&format!("New {noun} for {what}: "))?;
        let again = prompt(&format!("Repeat the {noun}: "))?;
        if first.expose_secret() == again.expose_secret() {
            return Some(first);
        }
        eprintln!("The {noun}s differ; try again.");
    }
    None
}

impl Callbacks for Terminal {
    fn secret(&self, request: &SecretRequest) -> Option<SecretString> {
        let preset = match request {
            SecretRequest::TokenPin { .. } => &self.pin,
            SecretRequest::NewTokenPin { .. } => &self.new_pin,
            SecretRequest::SoPin { .. } | SecretRequest::NewSoPin { .. } => &self.so_pin,
            // Never the old key's passphrase for its successor, unless given again on purpose.
            SecretRequest::NewKeyPassphrase { .. } if self.separate_new => &self.new_passphrase,
            _ => &self.passphrase,
        };
        if let Some(p) = preset {
            return Some(p.clone());
        }
        match request {
            SecretRequest::TokenPin { token } => prompt(&format!("PIN for token {token:?}: ")),
            SecretRequest::KeyPassphrase { label } => {
                prompt(&format!("Passphrase for key {label:?}: "))
            }
            SecretRequest::NewKeyPassphrase { label } => prompt_new(&format!("key {label:?}")),
            SecretRequest::NewTokenPin { token } => {
                prompt_twice("user PIN", &format!("token {token:?}"))
            }
            SecretRequest::SoPin { token } => {
                prompt(&format!("Security officer's PIN for token {token:?}: "))
            }
            SecretRequest::NewSoPin { token } => {
                prompt_twice("security officer's PIN", &format!("token {token:?}"))
            }
        }
    }

    fn notice(&self, message: &str) {
        eprintln!("warning: {message}");
    }

    fn progress(&self, event: Progress) {
        let mut bar = self.bar.lock().expect("progress lock");
        match event {
            Progress::HashStart { files, total_bytes } => {
                let pb = ProgressBar::new(total_bytes);
                pb.set_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                pb.set_message(format!(
                    "hashing {files} file{}",
                    if files == 1 { "" } else { "s" }
                ));
                *bar = Some(pb);
            }
            Progress::Hashed { bytes } => {
                if let Some(pb) = bar.as_ref() {
                    pb.inc(bytes);
                }
            }
            Progress::HashFileDone { .. } => {}
            Progress::Items { what, done, total } => {
                let pb = bar.get_or_insert_with(|| {
                    let pb = ProgressBar::new(total);
                    pb.set_style(
                        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} eta {eta}")
                            .expect("valid template")
                            .progress_chars("=> "),
                    );
                    pb.set_message(what);
                    pb
                });
                pb.set_length(total);
                pb.set_position(done);
            }
            Progress::ItemsFinish => {
                if let Some(pb) = bar.take() {
                    pb.finish_and_clear();
                }
            }
            Progress::HashFinish => {
                if let Some(pb) = bar.take() {
                    pb.finish_and_clear();
                }
            }
        }
    }
}
