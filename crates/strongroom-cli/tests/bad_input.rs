//! Bad input: every case gets a clear error naming the problem, a non-zero exit, and nothing
//! written.

mod common;

use common::*;

fn signed(env: &Env, label: &str, alg: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let pub_pem = env.key(label, alg);
    let f = env.file(&format!("{label}.bin"), b"the release bytes");
    env.run(&["sign", "--key", label, f.to_str().unwrap()]).ok();
    (pub_pem, f)
}

fn verify(env: &Env, key: &std::path::Path, file: &std::path::Path) -> Out {
    env.run(&[
        "verify",
        "--key",
        key.to_str().unwrap(),
        file.to_str().unwrap(),
    ])
}

#[test]
fn flipped_byte_in_the_file() {
    let env = Env::new();
    for (label, alg, check) in [
        ("ec", "ecdsa-p256", "artifact-digest"),
        ("ed", "ed25519", "subject"),
    ] {
        let (key, f) = signed(&env, label, alg);
        let mut bytes = std::fs::read(&f).unwrap();
        bytes[3] ^= 0x01;
        std::fs::write(&f, bytes).unwrap();
        let out = verify(&env, &key, &f).code(1).stdout_has("NOT VERIFIED");
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("FAIL") && l.contains(check)),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn flipped_byte_in_the_signature() {
    let env = Env::new();
    for (label, alg) in [("ec", "ecdsa-p256"), ("ed", "ed25519")] {
        let (key, f) = signed(&env, label, alg);
        let name = format!("{label}.bin.sigstore.json");
        let mut b = env.read_json(&name);
        let field = if alg == "ed25519" {
            &mut b["dsseEnvelope"]["signatures"][0]["sig"]
        } else {
            &mut b["messageSignature"]["signature"]
        };
        let mut sig = b64(field.as_str().unwrap());
        let last = sig.len() - 1;
        sig[last] ^= 0x01;
        *field = b64e(&sig).into();
        env.write_json(&name, &b);
        verify(&env, &key, &f).code(1).stdout_has("FAIL  signature");
    }
}

#[test]
fn flipped_byte_in_the_payload() {
    let env = Env::new();
    let (key, f) = signed(&env, "ed", "ed25519");
    let mut b = env.read_json("ed.bin.sigstore.json");
    let mut payload = b64(b["dsseEnvelope"]["payload"].as_str().unwrap());
    // Change one hex digit of the subject digest, keeping valid JSON.
    let text = String::from_utf8(payload.clone()).unwrap();
    let at = text.find("\"sha256\":\"").unwrap() + 10;
    payload[at] = if payload[at] == b'0' { b'1' } else { b'0' };
    b["dsseEnvelope"]["payload"] = b64e(&payload).into();
    env.write_json("ed.bin.sigstore.json", &b);
    let out = verify(&env, &key, &f).code(1);
    assert!(out.stdout.contains("FAIL  signature"), "{}", out.stdout);
}

#[test]
fn wrong_public_key() {
    let env = Env::new();
    let (_, f) = signed(&env, "ec", "ecdsa-p256");
    let other = env.key("other", "ecdsa-p256");
    verify(&env, &other, &f)
        .code(1)
        .stdout_has("WARN  key-hint")
        .stdout_has("FAIL  signature");
}

#[test]
fn truncated_non_json_and_empty_bundles() {
    let env = Env::new();
    let (key, f) = signed(&env, "ec", "ecdsa-p256");
    let bundle = env.path("ec.bin.sigstore.json");
    let full = std::fs::read(&bundle).unwrap();
    std::fs::write(&bundle, &full[..full.len() / 2]).unwrap();
    verify(&env, &key, &f)
        .code(2)
        .stderr_has("not valid JSON")
        .stderr_has("truncated");
    std::fs::write(&bundle, b"\x00\x01binary garbage").unwrap();
    verify(&env, &key, &f).code(2).stderr_has("not valid JSON");
    std::fs::write(&bundle, b"").unwrap();
    verify(&env, &key, &f).code(2).stderr_has("empty");
    std::fs::write(&bundle, b"{\"hello\": 1}").unwrap();
    verify(&env, &key, &f)
        .code(2)
        .stderr_has("not a Sigstore bundle");
}

#[test]
fn unknown_media_type() {
    let env = Env::new();
    let (key, f) = signed(&env, "ec", "ecdsa-p256");
    let mut b = env.read_json("ec.bin.sigstore.json");
    b["mediaType"] = "application/vnd.dev.sigstore.bundle.v9.9+json".into();
    env.write_json("ec.bin.sigstore.json", &b);
    verify(&env, &key, &f)
        .code(2)
        .stderr_has("unknown bundle media type \"application/vnd.dev.sigstore.bundle.v9.9+json\"");
}

#[test]
fn dsse_envelope_with_two_signatures() {
    let env = Env::new();
    let (key, f) = signed(&env, "ed", "ed25519");
    let mut b = env.read_json("ed.bin.sigstore.json");
    let sig = b["dsseEnvelope"]["signatures"][0].clone();
    b["dsseEnvelope"]["signatures"]
        .as_array_mut()
        .unwrap()
        .push(sig);
    env.write_json("ed.bin.sigstore.json", &b);
    verify(&env, &key, &f)
        .code(2)
        .stderr_has("2 signatures; a Sigstore bundle carries exactly one");
}

#[test]
fn empty_file_list_missing_file_and_directory() {
    let env = Env::new();
    env.key("ec", "ecdsa-p256");
    env.run(&["sign", "--key", "ec"])
        .code(2)
        .stderr_has("no files given");
    let good = env.file("good", b"x");
    env.run(&["sign", "--key", "ec", good.to_str().unwrap(), "missing.bin"])
        .code(3)
        .stderr_has("missing.bin: no such file");
    std::fs::create_dir(env.path("dir")).unwrap();
    env.run(&["sign", "--key", "ec", "dir"])
        .code(2)
        .stderr_has("dir is a directory, not a file")
        .stderr_has("hint:");
    // Nothing was written for any of them, not even for the good file.
    assert!(!env.path("good.sigstore.json").exists());
    assert!(!env.path("dir.sigstore.json").exists());
    // Verification of a missing file is refused the same way.
    env.run(&["verify", "--key", "ec", "--bundle", "nope.json", "good"])
        .code(3)
        .stderr_has("nope.json: no such file");
}

#[test]
fn wrong_passphrase_signs_nothing() {
    let env = Env::new();
    env.key("ec", "ecdsa-p256");
    let f = env.file("f", b"x");
    let out = env
        .cmd()
        .env("STRONGROOM_PASSPHRASE", "not the passphrase")
        .args(["sign", "--key", "ec", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrong passphrase"), "{stderr}");
    assert!(
        !stderr.contains("not the passphrase"),
        "the secret leaked: {stderr}"
    );
    assert!(!env.path("f.sigstore.json").exists());
}

#[test]
fn missing_passphrase_without_a_terminal() {
    let env = Env::new();
    let out = env
        .cmd()
        .env_remove("STRONGROOM_PASSPHRASE")
        .args(["key", "generate", "--algorithm", "ed25519", "--label", "k"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--passphrase-file"), "{stderr}");
    // No key file and no inventory row were left behind.
    assert_eq!(
        std::fs::read_dir(env.home.path().join("keys"))
            .unwrap()
            .count(),
        0
    );
    env.run(&["key", "list", "--json"]).ok().stdout_has("[]");
}

#[test]
fn short_passphrase_duplicate_label_and_bad_algorithm() {
    let env = Env::new();
    let out = env
        .cmd()
        .env("STRONGROOM_PASSPHRASE", "short")
        .args(["key", "generate", "--algorithm", "ed25519", "--label", "k"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    env.key("k", "ed25519");
    env.run(&["key", "generate", "--algorithm", "ed25519", "--label", "k"])
        .code(5)
        .stderr_has("already exists");
    env.run(&["key", "generate", "--algorithm", "dsa", "--label", "x"])
        .code(2)
        .stderr_has("unknown algorithm");
    env.run(&[
        "key",
        "generate",
        "--algorithm",
        "ecdsa-p384",
        "--label",
        "x",
    ])
    .code(2)
    .stderr_has("use a token");
    env.run(&["key", "export", "nope"])
        .code(3)
        .stderr_has("no key \"nope\"");
}

#[test]
fn passphrase_file_is_read_and_unreadable_file_is_reported() {
    let env = Env::new();
    env.file("pass", format!("{PASSPHRASE}\n").as_bytes());
    let out = env
        .cmd()
        .env_remove("STRONGROOM_PASSPHRASE")
        .args([
            "key",
            "generate",
            "--algorithm",
            "ed25519",
            "--label",
            "k",
            "--passphrase-file",
            "pass",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = env.file("f", b"x");
    // The same passphrase from the environment unlocks it: the newline was not part of it.
    env.run(&["sign", "--key", "k", f.to_str().unwrap()]).ok();
    let out = env
        .cmd()
        .args([
            "sign",
            "--key",
            "k",
            "--force",
            "--passphrase-file",
            "nope",
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the secret file nope"));
}

#[test]
fn not_a_public_key() {
    let env = Env::new();
    let (_, f) = signed(&env, "ec", "ecdsa-p256");
    let bad = env.file(
        "bad.pem",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    verify(&env, &bad, &f).code(2).stderr_has("PUBLIC KEY");
}

#[test]
fn a_dsse_bundle_without_the_artifact_proves_nothing() {
    let env = Env::new();
    let (key, _) = signed(&env, "ed", "ed25519");
    env.run(&[
        "verify",
        "--key",
        key.to_str().unwrap(),
        "--bundle",
        "ed.bin.sigstore.json",
    ])
    .code(1)
    .stdout_has("FAIL  subject");
}

#[test]
fn an_attestation_is_not_a_plain_signature() {
    let env = Env::new();
    let key = env.key("k", "ed25519");
    let art = env.file("a.bin", b"a");
    let pred = env.file("p.json", br#"{"scanner": {"uri": "x"}}"#);
    env.run(&[
        "attest",
        "--key",
        "k",
        "--type",
        "vulns",
        "--predicate",
        "p.json",
        "-o",
        "a.bin.sigstore.json",
        art.to_str().unwrap(),
    ])
    .ok();
    let _ = pred;
    // Renamed to look like a signature, it must not verify as one...
    env.run(&[
        "verify",
        "--key",
        key.to_str().unwrap(),
        art.to_str().unwrap(),
    ])
    .code(1)
    .stdout_has("not an artifact signature");
    // ...while verifying it as what it is works.
    env.run(&[
        "verify",
        "--key",
        key.to_str().unwrap(),
        "--type",
        "vulns",
        art.to_str().unwrap(),
    ])
    .ok();
}

#[test]
fn the_same_output_named_two_ways_clashes_and_nothing_is_written() {
    let env = Env::new();
    env.key("ec", "ecdsa-p256");
    std::fs::create_dir(env.path("dist")).unwrap();
    env.file("dist/a.bin", b"a");
    env.run(&["sign", "--key", "ec", "dist/a.bin", "./dist/a.bin"])
        .code(2)
        .stderr_has("same output");
    assert!(!env.path("dist/a.bin.sigstore.json").exists());
    env.file("notadir", b"x");
    env.run(&["sign", "--key", "ec", "-o", "notadir", "dist/a.bin"])
        .code(2)
        .stderr_has("not a directory");
}

#[test]
fn a_closed_pipe_never_turns_a_failed_verification_into_success() {
    let env = Env::new();
    let (key, f) = signed(&env, "ec", "ecdsa-p256");
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    let mut child = env
        .cmd()
        .args([
            "verify",
            "--key",
            key.to_str().unwrap(),
            f.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // The reader goes away before anything is printed.
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn a_mistyped_uri_is_never_echoed() {
    let env = Env::new();
    let f = env.file("f", b"x");
    env.run(&[
        "sign",
        "--key",
        "pkcs12:object=k?pin-value=987654",
        f.to_str().unwrap(),
    ])
    .code(2)
    .stderr_has("not shown");
    let out = env.run(&[
        "sign",
        "--key",
        "pkcs12:object=k?pin-value=987654",
        f.to_str().unwrap(),
    ]);
    assert!(!out.stderr.contains("987654"), "{}", out.stderr);
}

#[test]
fn a_fifo_is_refused_at_once_instead_of_blocking_the_read() {
    let env = Env::new();
    let (pem, f) = signed(&env, "fifo-key", "ed25519");
    external("mkfifo", &["pipe.zip"], env.work.path()).ok();
    let pipe = env.path("pipe.zip");
    let cases: [Vec<&str>; 2] = [
        vec!["verify", pipe.to_str().unwrap()],
        vec![
            "verify",
            "--key",
            pem.to_str().unwrap(),
            "--bundle",
            pipe.to_str().unwrap(),
            f.to_str().unwrap(),
        ],
    ];
    for args in cases {
        // Nobody ever writes the pipe: a read of it would block forever.
        let mut child = env
            .cmd()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{args:?} blocked on the FIFO");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Out::from(child.wait_with_output().unwrap())
            .code(2)
            .stderr_has("pipe.zip is not a regular file");
    }
}

#[test]
fn a_lockfile_of_hundreds_of_thousands_of_tiny_packages_is_refused_within_a_gibibyte() {
    let env = Env::new();
    // Just under the 16 MiB lockfile limit, as many packages as fit: about 380,000.
    let mut lock = String::from("version = 3\n\n");
    let mut i = 0;
    loop {
        let p = format!("[[package]]\nname = \"p{i}\"\nversion = \"1\"\n\n");
        if lock.len() + p.len() > (16 << 20) - 100 {
            break;
        }
        lock.push_str(&p);
        i += 1;
    }
    std::fs::create_dir(env.path("app")).unwrap();
    std::fs::write(env.path("app/Cargo.lock"), lock).unwrap();
    let mut c = env.cmd();
    c.args(["sbom", "app/Cargo.lock", "-o", "app.spdx.json"]);
    let (o, kib) = with_peak_rss(&c);
    o.stderr_has("component count (max_components) exceeded");
    assert!(kib < 1 << 20, "peak RSS {kib} KiB is over 1 GiB");
    assert!(!env.path("app.spdx.json").exists());
}

/// The first thing `main` does is ask whether it was started as the policy evaluator; a first
/// argument that is not UTF-8 (a file name in another encoding) must reach clap, not panic there.
#[test]
fn a_first_argument_that_is_not_utf8_is_a_usage_error_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    let o = Out::from(
        env.cmd()
            .arg(std::ffi::OsStr::from_bytes(b"caf\xe9.bin"))
            .output()
            .unwrap(),
    );
    o.code(2).stderr_has("unrecognized subcommand");
}

/// An unknown algorithm or a malformed age recipient went past ops: exit 2 with no hint, while
/// the app showed a remedy. Both now come through ops with a remedy in each shell's words.
#[test]
fn an_unknown_algorithm_or_age_recipient_gets_a_hint() {
    let env = Env::new();
    env.run(&["key", "generate", "--algorithm", "ed448", "--label", "x"])
        .code(2)
        .stderr_has("unknown algorithm \"ed448\"")
        .stderr_has("hint: give --algorithm one of: ed25519");
    env.key("rel", "ed25519");
    env.file("a.txt", b"a");
    env.run(&[
        "release",
        "create",
        "--name",
        "a",
        "--version",
        "1",
        "--stage",
        "dev",
        "--key",
        "rel",
        "--encrypt-to",
        "age1notarecipient",
        "-o",
        "r.zip",
        "a.txt",
    ])
    .code(2)
    .stderr_has("invalid age recipient")
    .stderr_has("hint: give --encrypt-to the recipient's age public key");
    assert!(!env.path("r.zip").exists());
}

/// `release create --encrypt-with-passphrase` promised `--bundle-passphrase-file` in its help but
/// had no such flag: without a terminal it could not be given a passphrase but by environment.
#[test]
fn release_create_and_export_read_the_bundle_passphrase_from_a_file() {
    let env = Env::new();
    env.audit_key();
    env.signer("rel", "ed25519");
    env.file("a.txt", b"a");
    env.file("pass.txt", b"a bundle passphrase\n");
    env.file("wrong.txt", b"not the passphrase\n");
    env.run(&[
        "release",
        "create",
        "--name",
        "a",
        "--version",
        "1",
        "--stage",
        "dev",
        "--key",
        "rel",
        "--encrypt-with-passphrase",
        "--bundle-passphrase-file",
        "pass.txt",
        "-o",
        "r.zip",
        "a.txt",
    ])
    .ok();
    let head = std::fs::read(env.path("r.zip")).unwrap();
    assert!(
        head.starts_with(b"age-encryption.org/v1"),
        "not an age file"
    );
    env.run(&["verify", "r.zip", "--bundle-passphrase-file", "wrong.txt"])
        .stderr_has("wrong passphrase");
    let o = env.run(&["verify", "r.zip", "--bundle-passphrase-file", "pass.txt"]);
    assert!(!o.stderr.contains("wrong passphrase"), "{}", o.stderr);
    assert!(o.stdout.contains("manifest"), "{}{}", o.stdout, o.stderr);
    // export re-encrypts a plain copy with a passphrase from a file too.
    env.run(&[
        "release",
        "create",
        "--name",
        "a",
        "--version",
        "2",
        "--stage",
        "dev",
        "--key",
        "rel",
        "-o",
        "plain.zip",
        "a.txt",
    ])
    .ok();
    std::fs::create_dir(env.path("medium")).unwrap();
    env.run(&[
        "release",
        "export",
        "plain.zip",
        "--to",
        "medium",
        "--encrypt-with-passphrase",
        "--bundle-passphrase-file",
        "pass.txt",
    ])
    .ok()
    .stdout_has("age-encrypted");
}

/// `verify --key` naming neither a key of the station nor a file exited 2 (usage) with no hint;
/// docs/cli.md says a missing key is 3 (not found).
#[test]
fn verify_with_a_key_that_is_nowhere_is_not_found() {
    let env = Env::new();
    env.file("a.txt", b"a");
    env.file("a.txt.sigstore.json", b"{}");
    env.run(&["verify", "--key", "nosuch", "a.txt"])
        .code(3)
        .stderr_has("nosuch: no such key in the inventory")
        .stderr_has("hint: give --key a key of this station");
}
