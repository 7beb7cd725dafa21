//! Release bundles end to end with the real binary: a production release signed by a software
//! key and approved by a second software key and a SoftHSM token key, verified; then each way a
//! bundle can be wrong (an entry removed or added, an SBOM byte flipped, an artifact swapped, one
//! approver twice, a key revoked or expired before signing, a policy violated) fails with its
//! reason. Also: determinism, age encryption, and independent verification of every Sigstore
//! bundle inside.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::*;
use strongroom_hsm::testing::TestToken;

const TOKEN: &str = "approvals";
const BUILDER: &str =
    "https://github.com/acme/release-infra/.github/workflows/release.yml@refs/heads/main";

/// Runs python3 with a zipfile script over `zip` (rewrites, listing).
fn py(code: &str, args: &[&str], cwd: &Path) -> Out {
    let mut all = vec!["-c", code];
    all.extend_from_slice(args);
    external("python3", &all, cwd).ok()
}

/// Copies `src` to `dst` without the entry `drop`, and with `add` added.
fn rewrite(env: &Env, src: &str, dst: &str, drop: &str, add: Option<(&str, &[u8])>) {
    let (add_name, add_file) = match add {
        Some((n, bytes)) => (n.to_owned(), s(&env.file("added.bin", bytes)).to_owned()),
        None => (String::new(), String::new()),
    };
    py(
        "import sys, zipfile\n\
         src, dst, drop, add_name, add_file = sys.argv[1:6]\n\
         with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as zo:\n\
         \x20   for i in zi.infolist():\n\
         \x20       if i.filename != drop:\n\
         \x20           zo.writestr(i, zi.read(i.filename))\n\
         \x20   if add_name:\n\
         \x20       zo.write(add_file, add_name)\n",
        &[src, dst, drop, &add_name, &add_file],
        env.work.path(),
    );
}

/// Copies `src` to `dst` with one byte of entry `name` flipped.
fn flip(env: &Env, src: &str, dst: &str, name: &str) {
    py(
        "import sys, zipfile\n\
         src, dst, name = sys.argv[1:4]\n\
         with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as zo:\n\
         \x20   for i in zi.infolist():\n\
         \x20       b = zi.read(i.filename)\n\
         \x20       if i.filename == name:\n\
         \x20           b = bytearray(b); b[len(b)//2] ^= 0x01; b = bytes(b)\n\
         \x20       zo.writestr(i, b)\n",
        &[src, dst, name],
        env.work.path(),
    );
}

fn unzip(env: &Env, zip: &str, dir: &str) -> PathBuf {
    py(
        "import sys, zipfile\nzipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])\n",
        &[zip, dir],
        env.work.path(),
    );
    env.path(dir)
}

/// Lines of `out` that start with `outcome` and mention `needle`.
#[track_caller]
fn line(out: &Out, outcome: &str, needle: &str) {
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with(outcome) && l.contains(needle)),
        "no {outcome} line with {needle:?} in:\n{}",
        out.stdout
    );
}

/// The world of the test: a station with operators alice (release officer), bob and carol
/// (approvers); alice's P-256 software key, bob's Ed25519 software key, carol's P-256 key on a
/// SoftHSM token; all three trusted for production; two artifacts and build metadata.
struct World {
    _token: TestToken,
    env: Env,
}

impl World {
    fn new() -> Self {
        let token = TestToken::new(TOKEN);
        let env = Env::new();
        env.add_operator("alice", "release-officer");
        env.add_operator("bob", "approver");
        env.add_operator("carol", "approver");
        // `--scan` refuses an empty vulnerability database: one made-up advisory.
        env.run(&[
            "vulndb",
            "import",
            s(&repo_root().join("tests/fixtures/osv/test-advisory.zip")),
        ])
        .ok()
        .stdout_has("1 record:");
        let alice = env.key("alice-release", "ecdsa-p256");
        let bob = env.key_for("bob-approve", "ed25519", "approver");
        env.run_pin_as(
            ADMIN,
            &[
                "key",
                "generate",
                "--token",
                TOKEN,
                "--algorithm",
                "ecdsa-p256",
                "--label",
                "carol-hsm",
                "--purpose",
                "approver",
            ],
        )
        .ok();
        env.run(&["key", "export", "carol-hsm", "-o", "carol-hsm.pub"])
            .ok();
        for (pem, name, purpose, holder) in [
            (alice, "alice-release", "signer", "alice"),
            (bob, "bob-approve", "approver", "bob"),
            (env.path("carol-hsm.pub"), "carol-hsm", "approver", "carol"),
        ] {
            env.trust(&pem, name, purpose, holder, &["--stages", "production"]);
        }
        env.write_json(
            "data.json",
            &serde_json::json!({"allowed_builders": [BUILDER]}),
        );
        env.run(&["trust", "data", "data.json"]).ok();
        // The audit key signs checkpoints, so bundles carry a provable audit excerpt.
        env.audit_key();
        std::fs::create_dir(env.path("dist")).unwrap();
        std::fs::create_dir(env.path("src")).unwrap();
        std::fs::write(env.path("src/README"), b"widget release bytes\n".repeat(50)).unwrap();
        external(
            "tar",
            &["czf", "dist/widget-1.4.0.tar.gz", "-C", "src", "."],
            env.work.path(),
        )
        .ok();
        std::fs::write(
            env.path("dist/widget-cli"),
            b"\x7fELF pretend binary".repeat(30),
        )
        .unwrap();
        std::fs::copy(
            repo_root().join("docs/build-meta.example.json"),
            env.path("meta.json"),
        )
        .unwrap();
        World { _token: token, env }
    }

    fn create(&self, out: &str, extra: &[&str]) -> Out {
        Out::from(self.create_cmd(out, extra).output().unwrap())
    }

    fn create_cmd(&self, out: &str, extra: &[&str]) -> std::process::Command {
        let mut args = vec![
            "release",
            "create",
            "--name",
            "widget",
            "--version",
            "1.4.0",
            "--stage",
            "production",
            "--key",
            "alice-release",
            "--provenance",
            "meta.json",
            "--scan",
            "-o",
            out,
        ];
        args.extend_from_slice(extra);
        args.extend(["dist/widget-1.4.0.tar.gz", "dist/widget-cli"]);
        let mut c = self.env.cmd_as("alice");
        c.args(&args);
        c
    }

    fn approve(&self, who: &str, key: &str, bundle: &str) -> Out {
        self.env
            .run_pin_as(who, &["release", "approve", bundle, "--key", key])
    }

    fn verify(&self, bundle: &str, extra: &[&str]) -> Out {
        let mut args = vec!["verify", bundle];
        args.extend_from_slice(extra);
        self.env.run_as(ADMIN, &args)
    }

    /// A fully approved production bundle at `name`.
    fn approved(&self, name: &str) {
        self.create(name, &[])
            .ok()
            .stdout_has("needs 2 more distinct approver(s)");
        self.approve("bob", "bob-approve", name).ok();
        self.approve("carol", "carol-hsm", name)
            .ok()
            .stdout_has("distinct approvers: 2 of 2");
    }
}

#[test]
fn a_production_release_with_two_software_keys_and_a_token_key_verifies() {
    let w = World::new();
    let env = &w.env;
    w.create("rel.zip", &[]).ok();
    // Created but not yet approved: the two-person rule is not met.
    let o = w.verify("rel.zip", &[]).code(1);
    line(&o, "FAIL", "approval-threshold");
    line(&o, "FAIL", "needs 2 distinct approvers");
    w.approve("bob", "bob-approve", "rel.zip")
        .ok()
        .stdout_has("distinct approvers: 1 of 2");
    w.approve("carol", "carol-hsm", "rel.zip").ok();

    let o = w
        .verify(
            "rel.zip",
            &["--artifacts", "dist", "--report", "report.html"],
        )
        .ok();
    assert!(
        o.stdout.contains("VERIFIED: widget 1.4.0 (production)"),
        "{}",
        o.stdout
    );
    for id in [
        "manifest-complete",
        "artifact-signature",
        "attestation",
        "artifact-digest",
        "approval",
        "approval-threshold",
        "policy",
        "audit-excerpt",
        "sbom-match",
        "key-trust",
    ] {
        line(&o, "PASS", id);
    }
    let html = std::fs::read_to_string(env.path("report.html")).unwrap();
    assert!(
        html.contains("VERIFIED") && html.contains("widget 1.4.0") && html.contains("@media print")
    );
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("src="));

    // The JSON report: three manifest signatures, two distinct approvers; it matches the
    // published schema, which refuses a check id the code does not have.
    let report = w.verify("rel.zip", &["--json"]).ok().stdout;
    assert_report_schema(&report, env.work.path());
    let j: serde_json::Value = serde_json::from_str(&report).unwrap();
    let mut made_up = j.clone();
    made_up["checks"][0]["id"] = "made-up".into();
    let o = report_schema(&made_up.to_string(), env.work.path()).code(1);
    assert!(o.stdout.contains("checks/0"), "{}", o.stdout);
    assert_eq!(j["verified"], true);
    assert_eq!(j["approvals"]["distinct_approvers"], 2);
    assert_eq!(j["signatures"].as_array().unwrap().len(), 3);

    // The audit log names both approvers, and the verification itself. A successful create
    // and a failed one are logged under one action name (a success was `release.sign`).
    let log = env.run(&["audit", "list", "--json"]).ok().stdout;
    assert!(!log.contains("release.sign"), "{log}");
    for needle in [
        "\"release.create\"",
        "release.approve",
        "\"bob\"",
        "\"carol\"",
        "bundle.export",
        "policy.decision",
        "\"verify\"",
    ] {
        assert!(log.contains(needle), "{needle} not in the audit log");
    }
    env.run(&["audit", "verify"]).ok();

    // Every Sigstore bundle inside verifies with sigstore-js given only the public key.
    let dir = unzip(env, "rel.zip", "unzipped");
    let alice_key = dir
        .join("keys")
        .read_dir()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for name in ["widget-1.4.0.tar.gz", "widget-cli"] {
        let artifact = env.path(&format!("dist/{name}"));
        sigstore_js(
            &dir.join(format!("signatures/{name}.sigstore.json")),
            &alice_key,
            &artifact,
            env.work.path(),
        )
        .ok();
        for kind in ["sbom", "provenance", "vulns"] {
            let b = dir.join(format!("attestations/{name}.{kind}.sigstore.json"));
            sigstore_js(&b, &alice_key, &artifact, env.work.path()).ok();
        }
    }
    for approval in std::fs::read_dir(dir.join("approvals")).unwrap() {
        let p = approval.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") {
            let pem = p.to_str().unwrap().replace(".sigstore.json", ".pem");
            sigstore_js(
                &p,
                Path::new(&pem),
                &dir.join("manifest.json"),
                env.work.path(),
            )
            .ok();
        }
    }
}

#[test]
fn each_kind_of_tampering_fails_with_its_reason() {
    let w = World::new();
    let env = &w.env;
    w.approved("rel.zip");
    w.verify("rel.zip", &[]).ok();

    rewrite(
        env,
        "rel.zip",
        "removed.zip",
        "sboms/widget-cli.spdx.json",
        None,
    );
    line(
        &w.verify("removed.zip", &[]).code(1),
        "FAIL",
        "sboms/widget-cli.spdx.json",
    );

    rewrite(
        env,
        "rel.zip",
        "added.zip",
        "",
        Some(("signatures/extra.sigstore.json", b"{}")),
    );
    let o = w.verify("added.zip", &[]).code(1);
    line(&o, "FAIL", "manifest-complete");
    line(&o, "FAIL", "signatures/extra.sigstore.json");
    assert_report_schema(
        &w.verify("added.zip", &["--json"]).code(1).stdout,
        env.work.path(),
    );
    // Without its manifest, the report has no release and still matches the schema.
    rewrite(env, "rel.zip", "bare.zip", "manifest.json", None);
    let report = w.verify("bare.zip", &["--json"]).code(1).stdout;
    assert_report_schema(&report, env.work.path());
    assert!(report.contains("\"release\": null"), "{report}");

    flip(
        env,
        "rel.zip",
        "flipped.zip",
        "sboms/widget-1.4.0.tar.gz.spdx.json",
    );
    let o = w.verify("flipped.zip", &[]).code(1);
    line(&o, "FAIL", "sboms/widget-1.4.0.tar.gz.spdx.json");

    std::fs::create_dir(env.path("swapped")).unwrap();
    std::fs::copy(env.path("dist/widget-cli"), env.path("swapped/widget-cli")).unwrap();
    std::fs::write(env.path("swapped/widget-1.4.0.tar.gz"), b"a trojan").unwrap();
    let o = w.verify("rel.zip", &["--artifacts", "swapped"]).code(1);
    line(&o, "FAIL", "widget-1.4.0.tar.gz: the file has sha256:");
    // The swap is the one failure: no missing SBOM or scan is made up on top of it.
    for wrong in ["has no SBOM", "was not scanned", "--sbom auto", "--scan"] {
        assert!(!o.stdout.contains(wrong), "{wrong}: {}", o.stdout);
    }
    assert_report_schema(
        &w.verify("rel.zip", &["--artifacts", "swapped", "--json"])
            .code(1)
            .stdout,
        env.work.path(),
    );
    line(&o, "PASS", "widget-cli: the bytes match");

    let o = w.verify("rel.zip", &["--policy", s(&env.file("embargo.rego", b"package acme.embargo\n\nimport rego.v1\n\ndeny contains msg if {\n\tinput.release.version == \"1.4.0\"\n\tmsg := \"1.4.0 is embargoed\"\n}\n"))]).code(1);
    line(&o, "FAIL", "1.4.0 is embargoed");
    // The same policy refuses the release before anything is signed.
    let o = w
        .create("embargoed.zip", &["--policy", "embargo.rego"])
        .code(1);
    assert!(o.stderr.contains("1.4.0 is embargoed"), "{}", o.stderr);
    assert!(!env.path("embargoed.zip").exists());
}

/// `numbers.range(1, 4e8)` asked regorus for gigabytes and aborted the station's process. The
/// policy now runs in a bounded child: the release is refused naming the memory limit, nothing is
/// written, the process tree stays under 1 GiB, and the failure is in the audit trail.
#[test]
fn a_policy_that_asks_for_gigabytes_is_stopped_in_its_sandbox_under_a_gibibyte() {
    let w = World::new();
    let env = &w.env;
    env.file(
        "greedy.rego",
        b"package acme.greedy\n\nimport rego.v1\n\ndeny contains \"big\" if count(numbers.range(1, 400000000)) > 3\n",
    );
    let (o, kib) = with_peak_rss(&w.create_cmd("greedy.zip", &["--policy", "greedy.rego"]));
    let o = o
        .code(2)
        .stderr_has("memory limit of 512 MiB")
        .stderr_has("hint: simplify the rule");
    assert!(
        kib < 1 << 20,
        "peak RSS {kib} KiB is over 1 GiB: {}",
        o.stderr
    );
    assert!(!env.path("greedy.zip").exists());
    env.run(&["audit", "list", "--action", "policy.decision"])
        .ok()
        .stdout_has("failed");
    // The station goes on: the same release without that policy is made.
    w.create("fine.zip", &[]).ok();
}

#[test]
fn one_approver_counts_once_whatever_the_key() {
    let w = World::new();
    let env = &w.env;
    w.create("rel.zip", &[]).ok();
    w.approve("bob", "bob-approve", "rel.zip").ok();
    // The same key again is refused outright.
    w.approve("bob", "bob-approve", "rel.zip")
        .code(5)
        .stderr_has("counts once");
    // Bob with a second trusted key: two keys, one holder, one approver.
    let bob2 = env.key_for("bob-second", "ecdsa-p256", "approver");
    env.trust(&bob2, "bob-second", "approver", "bob", &[]);
    w.approve("bob", "bob-second", "rel.zip")
        .ok()
        .stderr_has("already signed this release");
    let o = w.verify("rel.zip", &[]).code(1);
    line(
        &o,
        "FAIL",
        "1 distinct approver(s), 2 required (2 key(s) held by 1 person(s)",
    );
}

#[test]
fn keys_revoked_or_expired_before_signing_do_not_count() {
    let w = World::new();
    let env = &w.env;
    w.approved("rel.zip");
    // A trust package in which carol's key expired in 2020: handed to verify with --trust.
    let other = Env::new();
    let custodian = other.key_for("custodian", "ed25519", "custodian");
    other.trust(&custodian, "custodian", "custodian", ADMIN, &[]);
    for (name, purpose, holder, extra) in [
        ("alice-release", "signer", "alice", vec![]),
        ("bob-approve", "approver", "bob", vec![]),
        (
            "carol-hsm",
            "approver",
            "carol",
            vec!["--not-after", "2020-01-01T00:00:00Z"],
        ),
        ("station-audit", "audit", ADMIN, vec![]),
    ] {
        let pem = std::fs::read(env.path(&format!("{name}.pub"))).unwrap();
        let p = other.file(&format!("{name}.pub"), &pem);
        other.trust(&p, name, purpose, holder, &extra);
    }
    other.write_json(
        "data.json",
        &serde_json::json!({"allowed_builders": [BUILDER]}),
    );
    other.run(&["trust", "data", "data.json"]).ok();
    other
        .run(&["trust", "export", "--key", "custodian", "-o", "pkg.json"])
        .ok();
    let o = w
        .verify("rel.zip", &["--trust", s(&other.path("pkg.json"))])
        .code(1);
    line(&o, "FAIL", "key-validity");
    line(&o, "FAIL", "expired at 2020-01-01");
    line(&o, "FAIL", "1 distinct approver(s), 2 required");

    // Revoked in the station's own trust store, as of before bob signed.
    env.run(&[
        "trust",
        "revoke",
        "bob-approve",
        "--at",
        "2021-06-01T00:00:00Z",
        "--reason",
        "laptop stolen",
    ])
    .ok();
    let o = w.verify("rel.zip", &[]).code(1);
    line(&o, "FAIL", "revoked at 2021-06-01");
    line(&o, "FAIL", "laptop stolen");
}

#[test]
fn two_runs_give_identical_signed_content() {
    let env = Env::new();
    env.signer("dev-key", "ed25519");
    env.audit_key();
    std::fs::write(env.path("a.bin"), b"artifact a").unwrap();
    std::fs::write(env.path("b.bin"), b"artifact b").unwrap();
    let make = |out: &str| {
        env.cmd()
            .env("SOURCE_DATE_EPOCH", "1763800000")
            .args([
                "release",
                "create",
                "--name",
                "tool",
                "--version",
                "2",
                "--stage",
                "dev",
                "--key",
                "dev-key",
                "--include-artifacts",
                "-o",
                out,
                "b.bin",
                "a.bin",
            ])
            .output()
            .unwrap()
    };
    assert!(make("one.zip").status.success());
    assert!(make("two.zip").status.success());
    // Every entry but the audit excerpt (real rows of the station's log, with real times) is
    // byte-identical: the manifest, and so every signature over it.
    let entries = |zip: &str| {
        py(
            "import sys, zipfile, hashlib\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             for i in z.infolist():\n\
             \x20   if i.filename != 'audit/excerpt.json': print(i.filename, hashlib.sha256(z.read(i)).hexdigest())\n",
            &[zip],
            env.work.path(),
        )
        .stdout
    };
    assert_eq!(entries("one.zip"), entries("two.zip"), "two runs differ");
    assert!(entries("one.zip").contains("manifest.json"));
    // And the bundle is a plain zip any tool lists, in sorted order, with the fixed timestamp.
    let listing = py(
        "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, i.date_time)\n",
        &["one.zip"],
        env.work.path(),
    );
    let names: Vec<&str> = listing
        .stdout
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(
        names.contains(&"artifacts/a.bin")
            && names.contains(&"manifest.json")
            && names.contains(&"README.txt")
    );
    assert!(
        listing
            .stdout
            .lines()
            .all(|l| l.ends_with("(1980, 1, 1, 0, 0, 0)")),
        "{}",
        listing.stdout
    );
    env.run(&["verify", "one.zip"])
        .ok()
        .stdout_has("VERIFIED: tool 2");
}

#[test]
fn encrypted_bundles_round_trip_with_the_age_cli() {
    let env = Env::new();
    env.key("dev-key", "ed25519");
    env.audit_key();
    let pubkey = env.path("dev-key.pub");
    env.trust(&pubkey, "dev-key", "signer", ADMIN, &[]);
    std::fs::write(env.path("a.bin"), b"artifact a").unwrap();
    external("age-keygen", &["-o", "id.txt"], env.work.path()).ok();
    let id = std::fs::read_to_string(env.path("id.txt")).unwrap();
    let recipient = id
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_owned();
    env.run(&[
        "release",
        "create",
        "--name",
        "tool",
        "--version",
        "2",
        "--stage",
        "dev",
        "--key",
        "dev-key",
        "--encrypt-to",
        &recipient,
        "-o",
        "sealed.zip",
        "a.bin",
    ])
    .ok()
    .stdout_has("age-encrypted");
    // Without the identity: a clear error. With it: verified.
    env.run(&["verify", "sealed.zip"])
        .code(2)
        .stderr_has("--identity");
    let o = env
        .run(&["verify", "sealed.zip", "--identity", "id.txt"])
        .ok();
    line(&o, "PASS", "encryption");
    // Debian's age CLI decrypts it to the plain zip, which verifies too.
    external(
        "age",
        &["-d", "-i", "id.txt", "-o", "plain.zip", "sealed.zip"],
        env.work.path(),
    )
    .ok();
    env.run(&["verify", "plain.zip"]).ok();
    // Truncated ciphertext: refused, nothing verified.
    let bytes = std::fs::read(env.path("sealed.zip")).unwrap();
    let mut f = std::fs::File::create(env.path("cut.zip")).unwrap();
    f.write_all(&bytes[..bytes.len() - 40]).unwrap();
    let o = env.run(&["verify", "cut.zip", "--identity", "id.txt"]);
    assert!(o.code >= 2, "{}", o.stdout);
}

#[test]
fn hostile_zips_are_refused_before_anything_is_read() {
    let env = Env::new();
    // Path traversal and a zip bomb, made with Python's zipfile.
    py(
        "import zipfile\n\
         with zipfile.ZipFile('traversal.zip', 'w') as z: z.writestr('../evil.txt', 'x')\n\
         with zipfile.ZipFile('bomb.zip', 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('manifest.json', b'\\0' * (64 << 20))\n\
         with zipfile.ZipFile('many.zip', 'w') as z:\n\
         \x20   for i in range(100000): z.writestr(f'e{i}', b'')\n",
        &[],
        env.work.path(),
    );
    env.run(&["verify", "traversal.zip"])
        .code(2)
        .stderr_has("..");
    env.run(&["verify", "bomb.zip"]).code(2).stderr_has("ratio");
    env.run(&["verify", "many.zip"])
        .code(2)
        .stderr_has("entries");
    assert!(!env.work.path().parent().unwrap().join("evil.txt").exists());
}

#[test]
fn export_copies_or_encrypts_a_bundle_and_never_overwrites() {
    let env = Env::new();
    let pem = env.key("dev-key", "ed25519");
    // Export carries out only what verifies: the key is trusted for the release.
    env.trust(&pem, "dev-key", "signer", ADMIN, &[]);
    env.audit_key();
    std::fs::write(env.path("a.bin"), b"artifact a").unwrap();
    env.run(&[
        "release",
        "create",
        "--name",
        "tool",
        "--version",
        "3",
        "--stage",
        "dev",
        "--key",
        "dev-key",
        "-o",
        "tool.zip",
        "a.bin",
    ])
    .ok();
    std::fs::create_dir(env.path("media")).unwrap();
    // Plain: byte-identical copy, the digest printed is the file's.
    let o = env
        .run(&["release", "export", "tool.zip", "--to", "media"])
        .ok();
    let copied = std::fs::read(env.path("media/tool.zip")).unwrap();
    assert_eq!(copied, std::fs::read(env.path("tool.zip")).unwrap());
    let sum = external("sha256sum", &["media/tool.zip"], env.work.path()).ok();
    o.stdout_has(sum.stdout.split_whitespace().next().unwrap());
    // Again: refused, the copy untouched; with --force, replaced.
    std::fs::write(env.path("media/tool.zip"), b"someone's file").unwrap();
    env.run(&["release", "export", "tool.zip", "--to", "media"])
        .code(2)
        .stderr_has("already exists")
        .stderr_has("add --force to replace it");
    assert_eq!(
        std::fs::read(env.path("media/tool.zip")).unwrap(),
        b"someone's file"
    );
    env.run(&["release", "export", "tool.zip", "--to", "media", "--force"])
        .ok();
    assert_eq!(std::fs::read(env.path("media/tool.zip")).unwrap(), copied);
    // Never into the station's own data directory.
    let home = env.home.path().to_str().unwrap().to_owned();
    env.run(&["release", "export", "tool.zip", "--to", &home, "--force"])
        .code(2)
        .stderr_has("inside the station's data directory");
    assert!(!env.home.path().join("tool.zip").exists());
    // Encrypted to a recipient: Debian's age CLI opens it to the same zip.
    external("age-keygen", &["-o", "id.txt"], env.work.path()).ok();
    let id = std::fs::read_to_string(env.path("id.txt")).unwrap();
    let recipient = id
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_owned();
    env.run(&[
        "release",
        "export",
        "tool.zip",
        "--to",
        "media",
        "--encrypt-to",
        &recipient,
    ])
    .ok()
    .stdout_has("media/tool.zip.age");
    external(
        "age",
        &["-d", "-i", "id.txt", "-o", "back.zip", "media/tool.zip.age"],
        env.work.path(),
    )
    .ok();
    assert_eq!(std::fs::read(env.path("back.zip")).unwrap(), copied);
    // A verification waits for its audit row while another process holds the database's
    // write lock (longer than the CLI's 10-second busy wait), instead of failing.
    let db = env.home.path().join("strongroom.db");
    let mut holder = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN IMMEDIATE')\n\
             print('locked', flush=True)\n\
             time.sleep(12)\n\
             c.execute('COMMIT')\n",
            db.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut first,
    )
    .unwrap();
    assert_eq!(first.trim(), "locked");
    // The verdict is given, not a busy error.
    let o = env.run(&["verify", "tool.zip"]);
    assert!(o.stdout.contains("VERIFIED: tool 3"), "{}", o.stdout);
    assert!(!o.stderr.contains("busy"), "{}", o.stderr);
    assert!(holder.wait().unwrap().success());
    env.run(&["audit", "list", "--action", "verify"])
        .ok()
        .stdout_has("verify           ok      manifest:sha256:");
    // Not a bundle: refused, nothing written.
    std::fs::write(env.path("junk.zip"), b"not a zip at all").unwrap();
    let o = env.run(&["release", "export", "junk.zip", "--to", "media"]);
    assert_ne!(o.code, 0);
    assert!(!env.path("media/junk.zip").exists());
    // The exports are in the audit log.
    env.run(&["audit", "list", "--action", "release.export"])
        .ok()
        .stdout_has("release.export");
}

#[test]
fn policy_findings_and_checks_say_what_to_do_in_cli_words() {
    let env = Env::new();
    env.signer("dev-key", "ed25519");
    env.audit_key();
    std::fs::write(env.path("a.bin"), b"artifact a").unwrap();
    let create = |stage: &str, out: &str| {
        env.run(&[
            "release",
            "create",
            "--name",
            "tool",
            "--version",
            "1",
            "--stage",
            stage,
            "--key",
            "dev-key",
            "--sbom",
            "none",
            "-o",
            out,
            "a.bin",
        ])
    };
    // A warning names its fix; the CLI words it as a flag.
    create("dev", "dev.zip").ok().stdout_has(
        "policy warning: strongroom.dev: artifact a.bin has no SBOM; generate an SBOM with `--sbom auto`",
    );
    // A skipped check says why, then what to give.
    env.run(&["verify", "dev.zip"]).stdout_has(
        "a.bin: not carried in the bundle, so its bytes were not checked; give `--artifacts DIR`",
    );
    // A denial's hint gathers the fixes its rules named.
    create("production", "prod.zip")
        .code(1)
        .stderr_has("artifact a.bin has no SBOM")
        .stderr_has("hint: give CI's build metadata")
        .stderr_has("generate an SBOM with `--sbom auto`")
        .stderr_has("give CI's build metadata with `--provenance META.json`");
    assert!(!env.path("prod.zip").exists());
}

#[test]
fn a_bundle_carrying_a_very_compressible_artifact_passes_its_own_reader() {
    let env = Env::new();
    env.signer("dev-key", "ed25519");
    env.audit_key();
    // 16 MiB of zeros deflate about 1000:1, over the readers' limit of 200:1.
    std::fs::write(env.path("disk.img"), vec![0u8; 16 << 20]).unwrap();
    env.run(&[
        "release",
        "create",
        "--name",
        "img",
        "--version",
        "1",
        "--stage",
        "dev",
        "--key",
        "dev-key",
        "--sbom",
        "none",
        "--include-artifacts",
        "-o",
        "img.zip",
        "disk.img",
    ])
    .ok();
    let o = env.run(&["verify", "img.zip"]);
    assert!(!o.stderr.contains("compression ratio"), "{}", o.stderr);
    line(&o, "PASS  artifact-digest", "disk.img");
}

/// With `--artifacts DIR`, an artifact absent from DIR fails the verification (it passed with a
/// warning and exit 0); `--allow-missing` makes it a warning again, and needs `--artifacts`.
#[test]
fn an_artifact_missing_from_the_artifacts_folder_fails_unless_allowed() {
    let w = World::new();
    let env = &w.env;
    w.approved("rel.zip");
    std::fs::create_dir(env.path("partial")).unwrap();
    std::fs::copy(env.path("dist/widget-cli"), env.path("partial/widget-cli")).unwrap();
    let o = w.verify("rel.zip", &["--artifacts", "partial"]).code(1);
    line(&o, "FAIL", "widget-1.4.0.tar.gz: not found in partial");
    line(&o, "PASS", "widget-cli: the bytes match");
    let o = w
        .verify("rel.zip", &["--artifacts", "partial", "--allow-missing"])
        .ok();
    line(&o, "WARN", "widget-1.4.0.tar.gz: not found in partial");
    assert!(o.stdout.contains("VERIFIED WITH WARNINGS"), "{}", o.stdout);
    w.verify("rel.zip", &["--allow-missing"])
        .code(2)
        .stderr_has("--artifacts");
    // A folder holding none of them: each is missing (it was "no files given", exit 2).
    std::fs::create_dir(env.path("empty")).unwrap();
    let o = w.verify("rel.zip", &["--artifacts", "empty"]).code(1);
    line(&o, "FAIL", "widget-cli: not found in empty");
    let o = w
        .verify("rel.zip", &["--artifacts", "empty", "--allow-missing"])
        .ok();
    line(&o, "WARN", "widget-1.4.0.tar.gz: not found in empty");
}

/// `release export` copied any file: a random zip, a production bundle short of its approvals.
/// It now verifies first and carries out only what verifies.
#[test]
fn export_carries_out_only_a_bundle_that_verifies() {
    let w = World::new();
    let env = &w.env;
    std::fs::create_dir(env.path("media")).unwrap();
    w.create("rel.zip", &[]).ok();
    let o = env
        .run_as("alice", &["release", "export", "rel.zip", "--to", "media"])
        .code(1);
    assert!(o.stderr.contains("is not carried out"), "{}", o.stderr);
    assert!(o.stderr.contains("approval-threshold"), "{}", o.stderr);
    assert!(
        o.stderr.contains("hint: nothing was written"),
        "{}",
        o.stderr
    );
    py(
        "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z: z.writestr('a.txt', 'hello')\n",
        &["random.zip"],
        env.work.path(),
    );
    env.run_as(
        "alice",
        &["release", "export", "random.zip", "--to", "media"],
    )
    .code(1)
    .stderr_has("manifest");
    assert_eq!(std::fs::read_dir(env.path("media")).unwrap().count(), 0);
    w.approve("bob", "bob-approve", "rel.zip").ok();
    w.approve("carol", "carol-hsm", "rel.zip").ok();
    env.run_as("alice", &["release", "export", "rel.zip", "--to", "media"])
        .ok();
    assert!(env.path("media/rel.zip").exists());
}

/// `release create` signed with a key the trust store does not accept (unknown, or not trusted
/// for the stage) and wrote a bundle that could never verify. It now refuses before signing,
/// with the words verify would use.
#[test]
fn create_refuses_a_key_that_verify_would_refuse() {
    let env = Env::new();
    env.audit_key();
    env.file("a.bin", b"a");
    let create = |key: &str, stage: &str| {
        env.run(&[
            "release",
            "create",
            "--name",
            "t",
            "--version",
            "1",
            "--stage",
            stage,
            "--key",
            key,
            "--sbom",
            "none",
            "-o",
            "t.zip",
            "a.bin",
        ])
    };
    env.key("untrusted", "ed25519");
    create("untrusted", "dev")
        .code(1)
        .stderr_has("is not in the trust store")
        .stderr_has("nothing was signed")
        .stderr_has("hint: sign with a key the trust store accepts");
    let pem = env.key("dev-only", "ed25519");
    env.trust(&pem, "dev-only", "signer", ADMIN, &["--stages", "dev"]);
    create("dev-only", "test")
        .code(1)
        .stderr_has("release by admin: key dev-only, when it signed")
        .stderr_has("not trusted for the test stage");
    assert!(!env.path("t.zip").exists());
    create("dev-only", "dev").ok();
    env.run(&["verify", "t.zip"]).ok();
}

/// `key revoke` left the key active in the station's trust store. It now revokes it there in the
/// same act: a release signed before still verifies, with the revocation flagged; nothing new
/// can be signed with it; and the command says how other stations learn of it.
#[test]
fn key_revoke_revokes_the_key_in_the_trust_store_too() {
    let env = Env::new();
    env.audit_key();
    env.signer("rel", "ed25519");
    env.file("a.bin", b"a");
    let create = |out: &str| env.dev_release("rel", out, &["a.bin"]);
    create("before.zip").ok();
    env.run(&["key", "revoke", "rel", "--reason", "laptop lost"])
        .ok()
        .stdout_has("trust store revokes it too")
        .stdout_has("strongroom trust export");
    let list: serde_json::Value =
        serde_json::from_str(&env.run(&["trust", "list", "--json"]).ok().stdout).unwrap();
    let rel = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "rel")
        .unwrap()
        .clone();
    assert_eq!(rel["state"], "revoked", "{rel}");
    assert_eq!(rel["revocation_reason"], "laptop lost");
    let o = env.run(&["verify", "before.zip"]).ok();
    assert!(o.stdout.contains("WARN  revocation"), "{}", o.stdout);
    assert!(o.stdout.contains("VERIFIED WITH WARNINGS"), "{}", o.stdout);
    assert_ne!(create("after.zip").code, 0);
    assert!(!env.path("after.zip").exists());

    // A key the trust store never trusted: the revocation says nothing changed there (it said
    // the trust store revoked it).
    env.key("spare", "ed25519");
    env.run(&["key", "revoke", "spare", "--reason", "unused"])
        .ok()
        .stdout_has("does not trust it")
        .stdout_lacks("revokes it too");
}

/// `release create --scan` against an empty vulnerability database warned and went on, and the
/// production policy then counted every artifact as scanned: a scan of nothing. It is refused
/// (exit 1) before anything is signed, and works once OSV data is imported.
#[test]
fn a_scan_against_an_empty_vulnerability_database_is_refused() {
    let env = Env::new();
    env.audit_key();
    env.signer("rel", "ed25519");
    env.file("requirements.txt", b"urllib3==1.26.16\n");
    let create = || {
        env.run(&[
            "release",
            "create",
            "--name",
            "t",
            "--version",
            "1",
            "--stage",
            "dev",
            "--key",
            "rel",
            "--sbom",
            "auto",
            "--scan",
            "-o",
            "t.zip",
            "requirements.txt",
        ])
    };
    create()
        .code(1)
        .stderr_has("the vulnerability database is empty")
        .stderr_has("strongroom vulndb import");
    assert!(!env.path("t.zip").exists());
    env.run(&[
        "vulndb",
        "import",
        s(&repo_root().join("tests/fixtures/osv/test-advisory.zip")),
    ])
    .ok();
    create().ok();
    env.run(&["verify", "t.zip"]).ok();
    // Several bundles in one call: each report, then a summary; --json gives an array.
    std::fs::copy(env.path("t.zip"), env.path("t-copy.zip")).unwrap();
    env.run(&["verify", "t.zip", "t-copy.zip"])
        .ok()
        .stdout_has("2 of 2 bundles verified");
    let all: Vec<serde_json::Value> = serde_json::from_str(
        &env.run(&["verify", "--json", "t.zip", "t-copy.zip"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(all.len(), 2);
    std::fs::write(env.path("t-copy.zip"), b"PK\x03\x04 not a bundle any more").unwrap();
    env.run(&["verify", "t.zip", "t-copy.zip"])
        .code(1)
        .stdout_has("1 of 2 bundles verified");
}

/// `key rotate` left the successor untrusted, so the first release signed with it could not be
/// created. `--carry-trust` trusts it as the old key was (purpose, stages, holder) in the act
/// that retires the old key; without a trust entry to carry it is refused before any key is made.
#[test]
fn key_rotate_carries_the_old_keys_trust_to_its_successor() {
    let env = Env::new();
    env.audit_key();
    let pem = env.key("rel", "ed25519");
    env.trust(&pem, "rel", "signer", ADMIN, &["--stages", "staging,dev"]);
    env.key("loose", "ed25519");
    std::fs::create_dir(env.path("rot")).unwrap();
    env.run(&[
        "key",
        "rotate",
        "loose",
        "--label",
        "loose-2",
        "-o",
        "rot",
        "--carry-trust",
    ])
    .code(2)
    .stderr_has("not in this station's trust store");
    env.run(&["key", "show", "loose-2"]).code(3);
    env.run(&["key", "show", "loose"]).ok().stdout_has("active");

    Out::from(
        env.cmd()
            .env("STRONGROOM_NEW_PASSPHRASE", PASSPHRASE)
            .args([
                "key",
                "rotate",
                "rel",
                "--label",
                "rel-2",
                "-o",
                "rot",
                "--carry-trust",
            ])
            .output()
            .unwrap(),
    )
    .ok()
    .stdout_has("trusted rel-2 as rel was: purpose signer");
    let list: serde_json::Value =
        serde_json::from_str(&env.run(&["trust", "list", "--json"]).ok().stdout).unwrap();
    let entry = |name: &str| {
        list["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {list}"))
            .clone()
    };
    let (old, new) = (entry("rel"), entry("rel-2"));
    for field in ["purpose", "holder", "stages"] {
        assert_eq!(old[field], new[field], "{field}");
    }
    assert_eq!(new["state"], "active");
    // One audit row: the retirement and the new trust entry are one act.
    let rows = env
        .run(&["audit", "list", "--json", "--action", "key.rotate"])
        .ok();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&rows.stdout).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["details"]["trust_carried"]["name"], "rel-2");
    env.file("a.bin", b"a");
    // The successor signs a release at once, which verifies.
    env.dev_release("rel-2", "t.zip", &["a.bin"]).ok();
    env.run(&["verify", "t.zip"]).ok();
}

/// Compliance staff asked for `release show` (what a bundle holds, without a station or a
/// verification) and `release extract` (its SBOMs and attestations, for other tools, out of a
/// bundle that verifies; nothing out of one that does not).
#[test]
fn release_show_lists_a_bundle_and_extract_copies_out_what_verifies() {
    let w = World::new();
    let env = &w.env;
    w.create("unapproved.zip", &[]).ok();
    w.approved("rel.zip");
    let report: serde_json::Value =
        serde_json::from_str(&w.verify("rel.zip", &["--json"]).ok().stdout).unwrap();
    let manifest = format!(
        "manifest:sha256:{}",
        report["manifest_sha256"].as_str().unwrap()
    );

    // Show needs no station: run it with no operator and no home.
    let show = |args: &[&str]| {
        Out::from(
            std::process::Command::new(env!("CARGO_BIN_EXE_strongroom"))
                .current_dir(env.work.path())
                .env_remove("STRONGROOM_HOME")
                .args(["release", "show"])
                .args(args)
                .output()
                .unwrap(),
        )
    };
    show(&["rel.zip"])
        .ok()
        .stdout_has("release widget 1.4.0 (production)")
        .stdout_has(&manifest)
        .stdout_has("widget-cli")
        .stdout_has("https://spdx.dev/Document")
        .stdout_has("3 manifest signatures")
        .stdout_has("not verified: `strongroom verify rel.zip`");
    let c: serde_json::Value =
        serde_json::from_str(&show(&["rel.zip", "--json"]).ok().stdout).unwrap();
    assert_eq!(c["manifest"], manifest.as_str());
    assert_eq!(c["artifacts"].as_array().unwrap().len(), 2);
    assert_eq!(c["approvals"], 3);
    show(&["nosuch.zip"]).code(3);

    for d in ["sboms", "att"] {
        std::fs::create_dir(env.path(d)).unwrap();
    }
    env.run(&["release", "extract", "rel.zip"])
        .code(2)
        .stderr_has("--sbom DIR");
    // A bundle short of its approvals gives nothing.
    env.run(&[
        "release",
        "extract",
        "unapproved.zip",
        "--sbom",
        "sboms",
        "--attestations",
        "att",
    ])
    .code(1)
    .stderr_has("does not verify, so nothing was extracted");
    assert_eq!(std::fs::read_dir(env.path("sboms")).unwrap().count(), 0);
    let out = env
        .run(&[
            "release",
            "extract",
            "rel.zip",
            "--sbom",
            "sboms",
            "--attestations",
            "att",
        ])
        .ok();
    assert!(out.stdout.contains(&manifest), "{}", out.stdout);
    let sbom = env.path("sboms/widget-cli.spdx.json");
    env.run(&["sbom", "validate", sbom.to_str().unwrap()])
        .ok()
        .stdout_has("valid SPDX 2.3");
    // The extracted attestation verifies on its own, with the key the bundle carried.
    let key = std::fs::read_dir(env.path("att"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pem"))
        .unwrap();
    env.run(&[
        "verify",
        "--key",
        key.to_str().unwrap(),
        "--type",
        "sbom",
        "--bundle",
        "att/widget-cli.sbom.sigstore.json",
        "dist/widget-cli",
    ])
    .ok();
    env.run(&[
        "verify",
        "--key",
        key.to_str().unwrap(),
        "--bundle",
        "att/widget-cli.sigstore.json",
        "dist/widget-cli",
    ])
    .ok();
    // Again: refused without --force, and nothing changes.
    env.run(&["release", "extract", "rel.zip", "--sbom", "sboms"])
        .code(2)
        .stderr_has("already exists");
    env.run(&[
        "release", "extract", "rel.zip", "--sbom", "sboms", "--force",
    ])
    .ok();
}

/// Compliance staff asked for a richer report: who ran the check, on which station, against
/// which trust (a package's digest and signers), and a summary of each artifact's SBOM, scan and
/// provenance; as JSON (`--report FILE.json`, checked against the published schema by Python's
/// jsonschema) and as the printable page.
#[test]
fn the_report_names_who_checked_where_against_what_and_each_artifacts_evidence() {
    let w = World::new();
    let env = &w.env;
    w.approved("rel.zip");
    w.verify("rel.zip", &["--report", "r.json"]).ok();
    let text = std::fs::read_to_string(env.path("r.json")).unwrap();
    assert_report_schema(&text, env.work.path());
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["checked_by"]["operator"], ADMIN);
    let station = r["checked_by"]["station"].as_str().unwrap().to_owned();
    assert!(!station.is_empty());
    assert!(r["trust_package"].is_null());
    let evidence = r["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2);
    for e in evidence {
        assert!(
            e["sbom"]["format"].as_str().unwrap().starts_with("spdx"),
            "{e}"
        );
        assert!(e["sbom"]["components"].as_u64().is_some(), "{e}");
        assert_eq!(e["scan"]["critical"], 0, "{e}");
        assert_eq!(e["provenance"]["builder_id"], BUILDER, "{e}");
    }
    w.verify("rel.zip", &["--report", "r.html"]).ok();
    let html = std::fs::read_to_string(env.path("r.html")).unwrap();
    assert!(
        html.contains(&format!("operator {ADMIN} on station")),
        "{html}"
    );
    assert!(html.contains(&station));
    assert!(html.contains("<h2>Evidence</h2>"));
    assert!(html.contains(BUILDER));

    // Against a trust package: its digest and signers; no station was used.
    let custody = env.key_for("custody", "ed25519", "custodian");
    env.trust(&custody, "custody", "custodian", ADMIN, &[]);
    env.run(&["trust", "export", "--key", "custody", "-o", "pkg.json"])
        .ok();
    let pkg_sha = sha256_hex(&std::fs::read(env.path("pkg.json")).unwrap());
    Out::from(
        std::process::Command::new(env!("CARGO_BIN_EXE_strongroom"))
            .current_dir(env.work.path())
            .env_remove("STRONGROOM_HOME")
            .args([
                "verify", "rel.zip", "--trust", "pkg.json", "--report", "p.json",
            ])
            .output()
            .unwrap(),
    )
    .ok();
    let text = std::fs::read_to_string(env.path("p.json")).unwrap();
    assert_report_schema(&text, env.work.path());
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(r["checked_by"].is_null());
    assert_eq!(r["trust_package"]["sha256"], pkg_sha.as_str());
    assert_eq!(r["trust_package"]["signers"], serde_json::json!([ADMIN]));
    assert_eq!(r["trust_package"]["anchored"], false);
}

/// Compliance staff asked for a signed verification result the connected side can hand to
/// admission controllers: `verify --summary-out FILE --key KEY` writes an SLSA verification
/// summary (VSA v1) about the release's artifacts, signed; securesystemslib, sigstore-js and the
/// in-toto-attestation VSA proto (strict) accept it with the public key alone.
#[test]
fn a_signed_verification_summary_is_checked_by_tools_we_did_not_write() {
    let w = World::new();
    let env = &w.env;
    w.create("unapproved.zip", &[]).ok();
    w.approved("rel.zip");
    let vsa_key = env.signer("vsa-signer", "ecdsa-p256");
    w.verify("rel.zip", &["--summary-out", "rel.vsa.json"])
        .code(2)
        .stderr_has("--key");
    w.verify(
        "rel.zip",
        &["--summary-out", "rel.vsa.json", "--key", "vsa-signer"],
    )
    .ok()
    .stdout_has("verification summary, PASSED (SLSA_BUILD_LEVEL_1)");
    let bundle = env.path("rel.vsa.json");
    let (b, k) = (bundle.to_str().unwrap(), vsa_key.to_str().unwrap());
    python(
        "dsse_verify.py",
        &["--bundle", b, "--key", k, "--strict"],
        env.work.path(),
    )
    .ok()
    .stdout_has("OK");
    python(
        "intoto_validate.py",
        &["--bundle", b, "--vsa"],
        env.work.path(),
    )
    .ok()
    .stdout_has("OK");
    for artifact in ["dist/widget-cli", "dist/widget-1.4.0.tar.gz"] {
        sigstore_js(&bundle, &vsa_key, &env.path(artifact), env.work.path())
            .ok()
            .stdout_has("OK");
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    let statement: serde_json::Value =
        serde_json::from_slice(&b64(doc["dsseEnvelope"]["payload"].as_str().unwrap())).unwrap();
    assert_eq!(
        statement["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    assert_eq!(statement["subject"].as_array().unwrap().len(), 2);
    let p = &statement["predicate"];
    assert_eq!(p["verificationResult"], "PASSED");
    let report: serde_json::Value =
        serde_json::from_str(&w.verify("rel.zip", &["--json"]).ok().stdout).unwrap();
    assert_eq!(
        p["resourceUri"],
        format!(
            "urn:strongroom:manifest:sha256:{}",
            report["manifest_sha256"].as_str().unwrap()
        )
        .as_str()
    );
    assert!(p["verifier"]["id"]
        .as_str()
        .unwrap()
        .starts_with("https://strongroom.dev/verifier/station/"));
    assert!(!p["inputAttestations"].as_array().unwrap().is_empty());
    // Not over a file without --force; a bundle that does not verify gets a FAILED summary.
    w.verify(
        "rel.zip",
        &["--summary-out", "rel.vsa.json", "--key", "vsa-signer"],
    )
    .code(2)
    .stderr_has("already exists");
    w.verify(
        "unapproved.zip",
        &["--summary-out", "u.vsa.json", "--key", "vsa-signer"],
    )
    .code(1)
    .stdout_has("verification summary, FAILED (FAILED)");
    python(
        "intoto_validate.py",
        &[
            "--bundle",
            env.path("u.vsa.json").to_str().unwrap(),
            "--vsa",
        ],
        env.work.path(),
    )
    .ok();
    // An approver key does not sign summaries: one purpose per key.
    w.verify(
        "rel.zip",
        &[
            "--summary-out",
            "x.vsa.json",
            "--key",
            "bob-approve",
            "--force",
        ],
    )
    .code(2);
    assert!(!env.path("x.vsa.json").exists());
}
