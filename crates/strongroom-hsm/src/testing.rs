//! Test kit: a throw-away SoftHSM2 token in a fresh directory, with the published test PINs.
//! PUBLIC, TEST-ONLY (feature `test-support`).
//!
//! SoftHSM reads `SOFTHSM2_CONF` when the module is initialised, and the variable is process-wide.
//! So a [`TestToken`] holds a process-wide lock for its whole life: tests that use it run one at a
//! time inside one process (`cargo test`), and in parallel under `cargo nextest`, which runs each
//! test in its own process. Drop every `TokenSession`/`Module` before the `TestToken` (declare the
//! token first); the next `TestToken::new` checks that nothing is still loaded.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};

use secrecy::SecretString;

use crate::keys::TokenKey;
use crate::module::live_modules;
use crate::policy::{ModulePolicy, SOFTHSM_PATHS};
use crate::session::TokenSession;
use crate::token::TokenSelector;
use strongroom_core::Algorithm;

/// The user PIN of every test token. Public.
pub const USER_PIN: &str = "123456";
/// The SO PIN of every test token. Public.
pub const SO_PIN: &str = "87654321";

const CONF_TEMPLATE: &str = include_str!("../../../keys-fixtures/softhsm/softhsm2.conf.template");

static LOCK: Mutex<()> = Mutex::new(());

/// How many `C_Login` calls this process has made through [`TokenSession`] (to prove that a
/// failed login is not retried).
pub fn login_attempts() -> u64 {
    crate::session::LOGIN_ATTEMPTS.load(std::sync::atomic::Ordering::SeqCst)
}

/// The module the tests load: `$TEST_PKCS11_MODULE`, else SoftHSM2 where Debian installs it.
pub fn test_module_path() -> PathBuf {
    if let Some(p) = std::env::var_os("TEST_PKCS11_MODULE") {
        return PathBuf::from(p);
    }
    SOFTHSM_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(SOFTHSM_PATHS[0]))
}

/// A SoftHSM2 token store in a temporary directory, with one initialised token.
pub struct TestToken {
    dir: tempfile::TempDir,
    module: PathBuf,
    label: String,
    // Last field: released after the directory is gone.
    _lock: MutexGuard<'static, ()>,
}

impl TestToken {
    /// Creates the store, points `SOFTHSM2_CONF` at it, and initialises token `label` with
    /// [`USER_PIN`] and [`SO_PIN`]. Panics (it is a test helper) if SoftHSM is missing.
    pub fn new(label: &str) -> TestToken {
        let lock = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(
            live_modules(),
            0,
            "a PKCS#11 module from an earlier test is still loaded; drop every TokenSession and \
             Module before its TestToken"
        );
        let dir = tempfile::Builder::new()
            .prefix("strongroom-softhsm-")
            .tempdir()
            .expect("create a temporary directory");
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).expect("create the token directory");
        let conf = CONF_TEMPLATE.replace("@TOKENDIR@", &tokens.display().to_string());
        std::fs::write(dir.path().join("softhsm2.conf"), conf).expect("write softhsm2.conf");
        // Edition 2021: set_var is safe to call; the lock above keeps our own tests from racing.
        std::env::set_var("SOFTHSM2_CONF", dir.path().join("softhsm2.conf"));
        let t = TestToken {
            dir,
            module: test_module_path(),
            label: label.to_owned(),
            _lock: lock,
        };
        t.add_token(label);
        t
    }

    /// Initialises another token in the same store.
    pub fn add_token(&self, label: &str) {
        let out = self
            .command("softhsm2-util")
            .args(["--init-token", "--free", "--label", label])
            .args(["--so-pin", SO_PIN, "--pin", USER_PIN])
            .output()
            .expect("run softhsm2-util (apt-get install -y softhsm2 opensc)");
        assert!(
            out.status.success(),
            "softhsm2-util --init-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn conf_path(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    pub fn module_path(&self) -> &Path {
        &self.module
    }

    /// A policy allowing exactly the test module.
    pub fn policy(&self) -> ModulePolicy {
        ModulePolicy::new([&self.module])
    }

    pub fn selector(&self) -> TokenSelector {
        TokenSelector::label(&self.label)
    }

    pub fn pin(&self) -> SecretString {
        SecretString::from(USER_PIN)
    }

    /// Opens a logged-in session on the token; panics on failure.
    pub fn open_session(&self) -> TokenSession {
        TokenSession::open(&self.module, &self.policy(), &self.selector(), self.pin())
            .expect("open a session on the test token")
    }

    /// A command with `SOFTHSM2_CONF` set for this store.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SOFTHSM2_CONF", self.conf_path());
        c
    }

    /// `pkcs11-tool --module M --token-label L`, ready for more arguments.
    pub fn pkcs11_tool(&self) -> Command {
        self.pkcs11_tool_on(&self.label)
    }

    /// `pkcs11-tool` on another token of this store.
    pub fn pkcs11_tool_on(&self, token: &str) -> Command {
        let mut c = self.command("pkcs11-tool");
        c.arg("--module")
            .arg(&self.module)
            .args(["--token-label", token]);
        c
    }

    /// The objects `pkcs11-tool --list-objects` prints for `token`, one text block each.
    pub fn tool_objects(&self, token: &str) -> Vec<String> {
        let mut c = self.pkcs11_tool_on(token);
        c.args(["--login", "--pin", USER_PIN, "--list-objects"]);
        let listing = String::from_utf8(run(c).stdout).expect("pkcs11-tool prints text");
        let mut blocks: Vec<String> = Vec::new();
        for line in listing.lines() {
            if !line.starts_with(' ') {
                blocks.push(String::new());
            }
            if let Some(b) = blocks.last_mut() {
                b.push_str(line);
                b.push('\n');
            }
        }
        blocks
    }

    /// Checks our SPKI of `key` against `token`'s public key object, as pkcs11-tool reads it.
    pub fn assert_tool_reads_spki(&self, token: &str, key: &TokenKey) {
        let ours = key.public_key.to_spki_der();
        if key.algorithm == Algorithm::EcdsaP384 {
            // OpenSC 0.23's --read-object fails on P-384 keys ("cannot create EVP_PKEY"), even
            // its own: compare the point it lists instead (DER OCTET STRING 04 61 || 04 x y).
            let blocks = self.tool_objects(token);
            let block = blocks
                .iter()
                .find(|b| b.starts_with("Public Key Object") && tool_field(b, "ID") == key.id_hex())
                .unwrap_or_else(|| panic!("pkcs11-tool lists no public key {}", key.id_hex()));
            let point = hex::decode(tool_field(block, "EC_POINT")).expect("hex EC_POINT");
            assert_eq!(&point[..2], &[0x04, 0x61]);
            assert!(ours.ends_with(&point[2..]));
            return;
        }
        let out = self.dir().join(format!("pub-{token}-{}.der", key.id_hex()));
        let mut c = self.pkcs11_tool_on(token);
        c.args([
            "--read-object",
            "--type",
            "pubkey",
            "--id",
            &key.id_hex(),
            "-o",
        ])
        .arg(&out);
        run(c);
        let theirs = std::fs::read(out).expect("pkcs11-tool wrote the public key");
        if theirs.starts_with(b"-----BEGIN") {
            // OpenSC 0.23 writes Ed25519 public keys as PEM despite the .der name.
            let pem = String::from_utf8(theirs).expect("PEM is text");
            assert_eq!(key.public_key.to_pem(), pem);
            assert_eq!(
                strongroom_core::PublicKey::from_pem(&pem)
                    .expect("pkcs11-tool's PEM parses")
                    .to_spki_der(),
                ours
            );
        } else {
            assert_eq!(ours, theirs);
        }
    }
}

/// The value of `name:` in a pkcs11-tool object block.
pub fn tool_field<'a>(block: &'a str, name: &str) -> &'a str {
    block
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {block}"))
        .trim()
}

fn run(mut c: Command) -> std::process::Output {
    let out = c
        .output()
        .expect("run pkcs11-tool (apt-get install -y opensc)");
    assert!(
        out.status.success(),
        "{c:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
