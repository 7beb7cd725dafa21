//! Shared helpers for the CLI tests: a fresh station per test, running the real binary, and
//! locating the independent verifiers that `scripts/setup-interop.sh` installs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PASSPHRASE: &str = "correct horse battery staple";

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    fn from(o: Output) -> Self {
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "{needle:?} not in stderr:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "{needle:?} not in stdout:\n{}",
            self.stdout
        );
        self
    }
}

/// A fresh station (data directory) and a work directory for files.
pub struct Env {
    pub home: tempfile::TempDir,
    pub work: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Env {
            home: tempfile::tempdir().unwrap(),
            work: tempfile::tempdir().unwrap(),
        }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_strongroom"));
        c.arg("--home")
            .arg(self.home.path())
            .current_dir(self.work.path())
            .env_remove("STRONGROOM_HOME")
            .env("STRONGROOM_PASSPHRASE", PASSPHRASE);
        c
    }

    pub fn run(&self, args: &[&str]) -> Out {
        Out::from(self.cmd().args(args).output().unwrap())
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Generates a key and exports its public key to `LABEL.pub`.
    pub fn key(&self, label: &str, alg: &str) -> PathBuf {
        self.run(&["key", "generate", "--algorithm", alg, "--label", label])
            .ok();
        let pub_path = format!("{label}.pub");
        self.run(&["key", "export", label, "-o", &pub_path]).ok();
        self.path(&pub_path)
    }

    pub fn read_json(&self, name: &str) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.path(name)).unwrap()).unwrap()
    }

    pub fn write_json(&self, name: &str, v: &serde_json::Value) {
        std::fs::write(self.path(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs an external program, returning its output.
pub fn external(program: &str, args: &[&str], cwd: &Path) -> Out {
    let o = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program}: {e}; run `scripts/test.sh`, which installs it")
        });
    Out::from(o)
}

fn require(path: PathBuf) -> String {
    assert!(
        path.exists(),
        "{} is missing: run `bash scripts/setup-interop.sh` (the test command does)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// `node tests/interop/SCRIPT args…`
pub fn node(script: &str, args: &[&str], cwd: &Path) -> Out {
    let root = repo_root();
    require(root.join("node_modules/@sigstore/verify"));
    let script = require(root.join("tests/interop").join(script));
    let mut all = vec![script.as_str()];
    all.extend_from_slice(args);
    external("node", &all, cwd)
}

/// `.venv/bin/python tests/interop/SCRIPT args…`
pub fn python(script: &str, args: &[&str], cwd: &Path) -> Out {
    let root = repo_root();
    let py = require(root.join(".venv/bin/python"));
    let script = require(root.join("tests/interop").join(script));
    let mut all = vec![script.as_str()];
    all.extend_from_slice(args);
    external(&py, &all, cwd)
}

pub fn b64(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub fn b64e(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
