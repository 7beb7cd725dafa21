//! Shared helpers for the CLI tests: a fresh station per test, running the real binary, and
//! locating the independent verifiers that `scripts/setup-interop.sh` installs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PASSPHRASE: &str = "correct horse battery staple";

/// A path as the `&str` an argument list takes (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The JSON a command printed.
pub fn json(out: &Out) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

/// The operator every test station is claimed by: a custodian holding every other role too.
pub const ADMIN: &str = "admin";

/// The passphrase test operator `name` logs in with.
pub fn op_passphrase(name: &str) -> String {
    format!("{name} passphrase")
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn from(o: Output) -> Self {
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

    #[track_caller]
    pub fn stdout_lacks(self, needle: &str) -> Self {
        assert!(
            !self.stdout.contains(needle),
            "{needle:?} in stdout:\n{}",
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
    /// A station claimed by [`ADMIN`], who holds every role; commands run as ADMIN.
    pub fn new() -> Self {
        let env = Env::unclaimed();
        env.bare_cmd()
            .env("STRONGROOM_OPERATOR_PASSPHRASE", op_passphrase(ADMIN))
            .args([
                "operator",
                "init",
                "--name",
                ADMIN,
                "--roles",
                "release-officer,approver,auditor",
            ])
            .output()
            .map(Out::from)
            .unwrap()
            .ok();
        env
    }

    /// A station with no operator accounts yet.
    pub fn unclaimed() -> Self {
        Env {
            home: tempfile::tempdir().unwrap(),
            work: tempfile::tempdir().unwrap(),
        }
    }

    /// The binary on this station, with the key passphrase set and no operator.
    pub fn bare_cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_strongroom"));
        c.arg("--home")
            .arg(self.home.path())
            .current_dir(self.work.path())
            .env_remove("STRONGROOM_HOME")
            .env_remove("STRONGROOM_OPERATOR")
            .env_remove("STRONGROOM_OPERATOR_PASSPHRASE")
            .env_remove("STRONGROOM_NEW_OPERATOR_PASSPHRASE")
            .env_remove("STRONGROOM_NEW_PASSPHRASE")
            .env("STRONGROOM_PASSPHRASE", PASSPHRASE);
        c
    }

    /// The binary, acting as [`ADMIN`].
    pub fn cmd(&self) -> Command {
        self.cmd_as(ADMIN)
    }

    /// The binary, acting as operator `name` (with [`op_passphrase`]).
    pub fn cmd_as(&self, name: &str) -> Command {
        let mut c = self.bare_cmd();
        c.env("STRONGROOM_OPERATOR", name)
            .env("STRONGROOM_OPERATOR_PASSPHRASE", op_passphrase(name));
        c
    }

    pub fn run(&self, args: &[&str]) -> Out {
        Out::from(self.cmd().args(args).output().unwrap())
    }

    pub fn run_as(&self, name: &str, args: &[&str]) -> Out {
        Out::from(self.cmd_as(name).args(args).output().unwrap())
    }

    /// As operator `name`, with custodian `cosigner` consenting (their passphrase from
    /// `STRONGROOM_COSIGNER_PASSPHRASE`).
    pub fn run_consented(&self, name: &str, cosigner: &str, args: &[&str]) -> Out {
        Out::from(
            self.cmd_as(name)
                .env("STRONGROOM_COSIGNER_PASSPHRASE", op_passphrase(cosigner))
                .env("STRONGROOM_PIN", strongroom_hsm::testing::USER_PIN)
                .arg("--cosigner")
                .arg(cosigner)
                .args(args)
                .output()
                .unwrap(),
        )
    }

    /// Runs SQL on the station's database with the plain `sqlite3` shell, as someone with write
    /// access to the file would.
    pub fn sqlite(&self, sql: &str) -> Out {
        Out::from(
            Command::new("sqlite3")
                .arg(self.home.path().join("strongroom.db"))
                .arg(sql)
                .output()
                .expect("sqlite3 is installed by scripts/install-deps.sh"),
        )
    }

    /// As operator `name`, with the test token's user PIN in `STRONGROOM_PIN`.
    pub fn run_pin_as(&self, name: &str, args: &[&str]) -> Out {
        Out::from(
            self.cmd_as(name)
                .env("STRONGROOM_PIN", strongroom_hsm::testing::USER_PIN)
                .args(args)
                .output()
                .unwrap(),
        )
    }

    /// Adds operator `name` with `roles` (comma-separated), as ADMIN.
    pub fn add_operator(&self, name: &str, roles: &str) {
        Out::from(
            self.cmd()
                .env("STRONGROOM_NEW_OPERATOR_PASSPHRASE", op_passphrase(name))
                .args(["operator", "add", name, "--roles", roles])
                .output()
                .unwrap(),
        )
        .ok();
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Generates a signer key and exports its public key to `LABEL.pub`.
    pub fn key(&self, label: &str, alg: &str) -> PathBuf {
        self.key_for(label, alg, "signer")
    }

    /// A signer key held by [`ADMIN`] and trusted for every stage, as `release create` needs it.
    pub fn signer(&self, label: &str, alg: &str) -> PathBuf {
        let pem = self.key(label, alg);
        self.trust(&pem, label, "signer", ADMIN, &[]);
        pem
    }

    /// Generates a key of `purpose` and exports its public key to `LABEL.pub`.
    pub fn key_for(&self, label: &str, alg: &str, purpose: &str) -> PathBuf {
        self.run(&[
            "key",
            "generate",
            "--algorithm",
            alg,
            "--label",
            label,
            "--purpose",
            purpose,
        ])
        .ok();
        let pub_path = format!("{label}.pub");
        self.run(&["key", "export", label, "-o", &pub_path]).ok();
        self.path(&pub_path)
    }

    /// Trusts `pem` under `name` for `purpose`, held by `holder` (as ADMIN).
    pub fn trust(&self, pem: &Path, name: &str, purpose: &str, holder: &str, extra: &[&str]) {
        let mut args = vec![
            "trust",
            "add",
            pem.to_str().unwrap(),
            "--name",
            name,
            "--purpose",
            purpose,
            "--holder",
            holder,
        ];
        args.extend_from_slice(extra);
        self.run(&args).ok();
    }

    /// `release create` of release `t` version 1 for the dev stage, signed with `key`, without
    /// an SBOM, into `out`: the smallest release a test needs.
    pub fn dev_release(&self, key: &str, out: &str, files: &[&str]) -> Out {
        let mut args = vec![
            "release",
            "create",
            "--name",
            "t",
            "--version",
            "1",
            "--stage",
            "dev",
            "--key",
            key,
            "--sbom",
            "none",
            "-o",
            out,
        ];
        args.extend_from_slice(files);
        self.run(&args)
    }

    /// Gives the station an audit key (Ed25519, software), trusted for the audit purpose and
    /// held by ADMIN: release bundles then carry a checkpoint, and approvals can be proven.
    pub fn audit_key(&self) -> PathBuf {
        let pem = self.key_for("station-audit", "ed25519", "audit");
        self.trust(&pem, "station-audit", "audit", ADMIN, &[]);
        self.run(&["audit", "key", "set", "station-audit"]).ok();
        pem
    }

    pub fn read_json(&self, name: &str) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.path(name)).unwrap()).unwrap()
    }

    pub fn write_json(&self, name: &str, v: &serde_json::Value) {
        std::fs::write(self.path(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
    }
}

/// Runs `c` under GNU time: its output, and the peak RSS in KiB of it and every child it waited
/// for (the policy sandbox included).
pub fn with_peak_rss(c: &Command) -> (Out, u64) {
    let mut t = Command::new("/usr/bin/time");
    t.args(["-f", "peak-rss-kib %M"])
        .arg(c.get_program())
        .args(c.get_args());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    if let Some(d) = c.get_current_dir() {
        t.current_dir(d);
    }
    let o = Out::from(t.output().unwrap());
    let kib = o
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {}", o.stderr));
    (o, kib)
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

/// sigstore-js (`@sigstore/verify`) verifies `bundle` with only the public key `key`.
pub fn sigstore_js(bundle: &Path, key: &Path, artifact: &Path, cwd: &Path) -> Out {
    node(
        "sigstore_verify.mjs",
        &[
            "--bundle",
            bundle.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--artifact",
            artifact.to_str().unwrap(),
            "--strict",
        ],
        cwd,
    )
}

/// openssl checks the raw signature inside one of our bundles: pure Ed25519 over the DSSE PAE,
/// or ECDSA/RSA-PSS over the artifact with the digest the bundle names.
pub fn openssl_check_bundle(
    env: &Env,
    bundle: &serde_json::Value,
    key: &Path,
    artifact: &Path,
) -> Out {
    let key = key.to_str().unwrap();
    let cwd = env.work.path();
    if let Some(e) = bundle.get("dsseEnvelope") {
        let payload = b64(e["payload"].as_str().unwrap());
        let t = e["payloadType"].as_str().unwrap();
        let mut pae = format!("DSSEv1 {} {} {} ", t.len(), t, payload.len()).into_bytes();
        pae.extend_from_slice(&payload);
        let pae = env.file("openssl.pae", &pae);
        let sig = env.file(
            "openssl.sig",
            &b64(e["signatures"][0]["sig"].as_str().unwrap()),
        );
        return external(
            "openssl",
            &[
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                key,
                "-rawin",
                "-in",
                pae.to_str().unwrap(),
                "-sigfile",
                sig.to_str().unwrap(),
            ],
            cwd,
        );
    }
    let ms = &bundle["messageSignature"];
    let sig = env.file("openssl.sig", &b64(ms["signature"].as_str().unwrap()));
    let hash = match ms["messageDigest"]["algorithm"].as_str().unwrap() {
        "SHA2_384" => "-sha384",
        "SHA2_512" => "-sha512",
        _ => "-sha256",
    };
    let mut args = vec![
        "dgst",
        hash,
        "-verify",
        key,
        "-signature",
        sig.to_str().unwrap(),
    ];
    let pem = std::fs::read_to_string(key).unwrap();
    if pem.len() > 400 {
        // An RSA key: our RSA signatures are PSS (salt length = digest length).
        args.extend([
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:-1",
        ]);
    }
    args.push(artifact.to_str().unwrap());
    external("openssl", &args, cwd)
}

/// Validates a `verify --json` report against `docs/schemas/verify-report.schema.json` with
/// the Python `jsonschema` package (not our code): exit 0 and `OK`, or 1 and the errors.
pub fn report_schema(report: &str, cwd: &Path) -> Out {
    let schema = repo_root().join("docs/schemas/verify-report.schema.json");
    let file = cwd.join(format!("report-{}.json", std::process::id()));
    std::fs::write(&file, report).unwrap();
    let o = python(
        "schema_validate.py",
        &[schema.to_str().unwrap(), file.to_str().unwrap()],
        cwd,
    );
    std::fs::remove_file(&file).unwrap();
    o
}

/// [`report_schema`] must accept `report`.
#[track_caller]
pub fn assert_report_schema(report: &str, cwd: &Path) {
    let o = report_schema(report, cwd);
    assert!(
        o.code == 0,
        "the report does not match docs/schemas/verify-report.schema.json:\n{}{}\n{report}",
        o.stdout,
        o.stderr
    );
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// One case of the Sigstore client conformance suite (`../shared/conformance/sigstore/`), read
/// as its README lays it out: the case's artifact or the suite's `a.txt`, the case's trusted
/// root or the public-good one, and the signer: `key.pub`, else the case's identity and issuer
/// or the suite's defaults.
pub struct SuiteCase {
    pub artifact: PathBuf,
    pub root: PathBuf,
    /// `(identity, issuer)`, or the managed key's path.
    pub signer: Result<(String, String), PathBuf>,
}

/// The suite's default identity and issuer.
pub const SUITE_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
pub const SUITE_ISSUER: &str = "https://token.actions.githubusercontent.com";

pub fn suite_case(case: &Path, suite: &Path) -> SuiteCase {
    let own = |name: &str, fallback: PathBuf| {
        let p = case.join(name);
        if p.exists() {
            p
        } else {
            fallback
        }
    };
    let read = |name: &str, default: &str| {
        std::fs::read_to_string(case.join(name))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| default.to_owned())
    };
    SuiteCase {
        artifact: own("artifact", suite.join("a.txt")),
        root: own(
            "trusted_root.json",
            suite.join("production-trusted_root.json"),
        ),
        signer: if case.join("key.pub").exists() {
            Err(case.join("key.pub"))
        } else {
            Ok((
                read("identity", SUITE_IDENTITY),
                read("issuer", SUITE_ISSUER),
            ))
        },
    }
}
