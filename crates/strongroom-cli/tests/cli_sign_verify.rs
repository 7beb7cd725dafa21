//! End-to-end CLI flows over a real station: generate, list, export, sign, verify.

mod common;

use common::*;

#[test]
fn generate_list_export_sign_verify_both_algorithms() {
    let env = Env::new();
    for (label, alg, form) in [
        ("ed", "ed25519", "dsse"),
        ("ec", "ecdsa-p256", "messageSignature"),
    ] {
        let pub_pem = env.key(label, alg);
        let artifact = env.file(
            &format!("{label}.bin"),
            format!("release of {label}").as_bytes(),
        );
        let out = env
            .run(&["sign", "--key", label, "--json", artifact.to_str().unwrap()])
            .ok();
        let signed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(signed[0]["form"], form);
        let bundle = env.read_json(&format!("{label}.bin.sigstore.json"));
        assert_eq!(
            bundle["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        assert_eq!(
            bundle["verificationMaterial"]["tlogEntries"],
            serde_json::json!([])
        );
        let out = env
            .run(&[
                "verify",
                "--key",
                pub_pem.to_str().unwrap(),
                "--json",
                artifact.to_str().unwrap(),
            ])
            .ok();
        assert_report_schema(&out.stdout, env.work.path());
        let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(report["verified"], true);
        assert!(report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "signature" && c["outcome"] == "pass"));
        // The inventory label works as --key too.
        env.run(&["verify", "--key", label, artifact.to_str().unwrap()])
            .ok()
            .stdout_has("VERIFIED");
    }
    let list: serde_json::Value =
        serde_json::from_str(&env.run(&["key", "list", "--json"]).ok().stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["label"], "ed");
    assert_eq!(list[0]["algorithm"], "ed25519");
    assert_eq!(list[1]["algorithm"], "ecdsa-p256");
    assert!(list
        .iter()
        .all(|k| k["status"] == "active" && k["backend"] == "software"));
    // Keys are referenced by key id as well as by label.
    let id = list[1]["key_id"].as_str().unwrap();
    let by_id = env.run(&["key", "export", id]).ok().stdout;
    assert_eq!(by_id, std::fs::read_to_string(env.path("ec.pub")).unwrap());
}

#[test]
fn private_key_is_age_encrypted_and_never_plain_on_disk() {
    let env = Env::new();
    env.key("k", "ed25519");
    let keys: Vec<_> = std::fs::read_dir(env.home.path().join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(keys.len(), 1);
    let bytes = std::fs::read(&keys[0]).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n-> scrypt "));
    assert!(!String::from_utf8_lossy(&bytes).contains("PRIVATE KEY"));
}

#[test]
fn several_files_and_output_dir() {
    let env = Env::new();
    let pub_pem = env.key("ec", "ecdsa-p256");
    std::fs::create_dir(env.path("out")).unwrap();
    let files: Vec<String> = (0..5)
        .map(|i| {
            env.file(&format!("f{i}"), &vec![i as u8; 100_000 * i])
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut args = vec!["sign", "--key", "ec", "-o", "out"];
    args.extend(files.iter().map(String::as_str));
    env.run(&args).ok();
    for (i, f) in files.iter().enumerate() {
        let bundle = env.path(&format!("out/f{i}.sigstore.json"));
        assert!(bundle.exists());
        env.run(&[
            "verify",
            "--key",
            pub_pem.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
            f,
        ])
        .ok();
    }
    // Signing again refuses to replace the bundles, and --force replaces them.
    env.run(&args)
        .code(2)
        .stderr_has("already exists")
        .stderr_has("--force");
    args.push("--force");
    env.run(&args).ok();

    // `verify` took one file per call. It takes several, or the folder `sign` wrote into (the
    // files found with --artifacts, or beside their signatures), with one summary and one exit.
    let key = pub_pem.to_str().unwrap();
    let work = env.work.path().to_str().unwrap();
    env.run(&["verify", "--key", key, "out", "--artifacts", work])
        .ok()
        .stdout_has("5 of 5 verified");
    for i in 0..5 {
        std::fs::copy(
            env.path(&format!("out/f{i}.sigstore.json")),
            env.path(&format!("f{i}.sigstore.json")),
        )
        .unwrap();
    }
    let mut several = vec!["verify", "--key", key];
    several.extend(files.iter().map(String::as_str));
    env.run(&several).ok().stdout_has("5 of 5 verified");
    env.run(&["verify", "--key", key, work])
        .ok()
        .stdout_has("5 of 5 verified");
    // One file changed, one gone: each named, the others verified, exit 1.
    std::fs::write(env.path("f2"), b"changed").unwrap();
    std::fs::remove_file(env.path("f3")).unwrap();
    let o = env
        .run(&["verify", "--key", key, "out", "--artifacts", work])
        .code(1);
    assert!(o.stdout.contains("3 of 5 verified"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains(&format!("NOT VERIFIED: {}", env.path("f2").display())),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("f3: no such file"), "{}", o.stdout);
    let json = env
        .run(&["verify", "--key", key, "--json", "out", "--artifacts", work])
        .code(1);
    let reports: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(reports.len(), 5);
    assert_eq!(reports.iter().filter(|r| r["verified"] == true).count(), 3);
    // --bundle names one signature; an empty folder holds none.
    env.run(&[
        "verify",
        "--key",
        key,
        "--bundle",
        "out/f0.sigstore.json",
        &files[0],
        &files[1],
    ])
    .code(2)
    .stderr_has("--bundle names the signature of one file");
    std::fs::create_dir(env.path("empty")).unwrap();
    env.run(&["verify", "--key", key, "empty"])
        .code(2)
        .stderr_has("holds no FILE.sigstore.json");
}

#[test]
fn empty_file_is_signable() {
    let env = Env::new();
    let pub_pem = env.key("ed", "ed25519");
    let f = env.file("empty", b"");
    env.run(&["sign", "--key", "ed", f.to_str().unwrap()]).ok();
    env.run(&[
        "verify",
        "--key",
        pub_pem.to_str().unwrap(),
        f.to_str().unwrap(),
    ])
    .ok();
}

#[test]
fn retired_and_revoked_keys_sign_nothing_but_old_signatures_still_verify() {
    let env = Env::new();
    env.key("old", "ed25519");
    env.key("lost", "ecdsa-p256");
    std::fs::write(env.path("a.bin"), b"artifact").unwrap();
    env.run(&["sign", "--key", "old", "a.bin"]).ok();
    env.run(&["key", "retire", "old"])
        .ok()
        .stdout_has("retired old");
    // Listed as retired; refuses to sign, and nothing was written.
    env.run(&["key", "list"]).ok().stdout_has("retired");
    std::fs::write(env.path("b.bin"), b"other").unwrap();
    env.run(&["sign", "--key", "old", "b.bin"])
        .code(2)
        .stderr_has("is retired and signs nothing more");
    assert!(!env.path("b.bin.sigstore.json").exists());
    // The signature made before retirement still verifies with the key.
    env.run(&["verify", "--key", "old", "a.bin"]).ok();
    // Revocation needs a reason; a retired key may still be revoked; revoked stays revoked.
    env.run(&["key", "revoke", "lost", "--reason", " "]).code(2);
    env.run(&["key", "revoke", "lost", "--reason", "laptop stolen"])
        .ok();
    env.run(&["key", "revoke", "old", "--reason", "superseded"])
        .ok();
    env.run(&["key", "retire", "lost"])
        .code(5)
        .stderr_has("is revoked; it cannot become retired");
    env.run(&["sign", "--key", "lost", "b.bin"]).code(2);
    // Both acts are in the audit log, with the reason.
    env.run(&["audit", "list", "--action", "key.revoke", "--json"])
        .ok()
        .stdout_has("laptop stolen");
    env.run(&["audit", "verify"]).ok();
}

/// The rotation statement's in-toto payload.
fn rotation_payload(bundle: &std::path::Path) -> serde_json::Value {
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
    serde_json::from_slice(&b64(b["dsseEnvelope"]["payload"].as_str().unwrap())).unwrap()
}

#[test]
fn rotation_vouches_for_the_successor_with_the_old_key_and_retires_it() {
    const NEW_PASSPHRASE: &str = "a different passphrase for k2";
    let env = Env::new();
    let k1_pub = env.key("k1", "ecdsa-p256");
    let k1_id = env.run(&["key", "show", "k1", "--json"]).ok().stdout;
    let k1_id: serde_json::Value = serde_json::from_str(&k1_id).unwrap();
    let out = env.path("rot");
    std::fs::create_dir(&out).unwrap();
    let rotate = |label: &str| {
        let mut c = env.cmd();
        c.env("STRONGROOM_NEW_PASSPHRASE", NEW_PASSPHRASE).args([
            "key",
            "rotate",
            "k1",
            "--label",
            label,
            "--out",
            out.to_str().unwrap(),
            "--json",
        ]);
        Out::from(c.output().unwrap())
    };
    // Without a passphrase for the successor (no terminal, no file, no variable) nothing
    // happens: the old key's passphrase is never reused for the new key.
    env.run(&["key", "rotate", "k1", "--label", "k2", "-o", "rot"])
        .code(4)
        .stderr_has("a passphrase for the new key")
        // The hint named --passphrase-file, which gives the old key's passphrase here.
        .stderr_has("--new-passphrase-file FILE or STRONGROOM_NEW_PASSPHRASE for `key rotate`");
    // A file in the way: refused before anything is made.
    std::fs::write(out.join("k2.pub.pem"), b"in the way").unwrap();
    rotate("k2").code(2).stderr_has("k2.pub.pem");
    std::fs::remove_file(out.join("k2.pub.pem")).unwrap();
    // By label: a key id (base64) may hold the letters "k2" by chance.
    let list: serde_json::Value =
        serde_json::from_str(&env.run(&["key", "list", "--json"]).ok().stdout).unwrap();
    assert!(
        list.as_array().unwrap().iter().all(|k| k["label"] != "k2"),
        "{list}"
    );
    assert!(std::fs::read_dir(&out).unwrap().next().is_none());

    let r: serde_json::Value = serde_json::from_str(&rotate("k2").ok().stdout).unwrap();
    assert_eq!(r["old"]["label"], "k1");
    assert_eq!(r["old"]["status"], "retired");
    assert_eq!(r["new"]["label"], "k2");
    assert_eq!(r["new"]["status"], "active");
    assert_eq!(r["new"]["algorithm"], "ecdsa-p256");
    let pem = out.join("k2.pub.pem");
    let statement = out.join("k2.rotation.sigstore.json");
    assert_eq!(r["public_key"], pem.to_str().unwrap());
    assert_eq!(r["statement"], statement.to_str().unwrap());
    let (pem_s, statement_s) = (pem.to_str().unwrap(), statement.to_str().unwrap());

    // The statement: about the new PEM file, naming both keys.
    let p = rotation_payload(&statement);
    assert_eq!(
        p["predicateType"],
        "https://strongroom.dev/attestation/key-rotation/v1"
    );
    assert_eq!(p["subject"][0]["name"], "k2.pub.pem");
    let pem_text = std::fs::read_to_string(&pem).unwrap();
    assert_eq!(p["predicate"]["newKey"]["publicKey"], pem_text.as_str());
    assert_eq!(p["predicate"]["previousKey"]["keyid"], k1_id["key_id"]);
    assert_eq!(
        p["predicate"]["previousKey"]["publicKey"],
        std::fs::read_to_string(&k1_pub).unwrap().as_str()
    );
    assert_eq!(p["predicate"]["operator"], ADMIN);

    // Anyone with the old public key checks the new one: us, securesystemslib, sigstore-js.
    let k1 = k1_pub.to_str().unwrap();
    let rotation = ["--type", "key-rotation", "--bundle", statement_s];
    env.run(&[&["verify", "--key", k1][..], &rotation, &[pem_s]].concat())
        .ok()
        .stdout_has("PASS  predicate-type");
    python(
        "dsse_verify.py",
        &[
            "--bundle",
            statement_s,
            "--key",
            k1,
            "--artifact",
            pem_s,
            "--strict",
        ],
        env.work.path(),
    )
    .ok();
    sigstore_js(&statement, &k1_pub, &pem, env.work.path()).ok();
    // A substituted key file, or the new key vouching for itself, fails.
    let other = env.key("other", "ed25519");
    env.run(&[
        "verify",
        "--key",
        k1,
        "--bundle",
        statement_s,
        other.to_str().unwrap(),
    ])
    .code(1);
    env.run(&["verify", "--key", pem_s, "--bundle", statement_s, pem_s])
        .code(1);

    // The successor signs with its own passphrase; the old key signs nothing more.
    env.file("a.bin", b"release 2");
    env.cmd()
        .env("STRONGROOM_PASSPHRASE", NEW_PASSPHRASE)
        .args(["sign", "--key", "k2", "a.bin"])
        .output()
        .map(Out::from)
        .unwrap()
        .ok();
    env.run(&["verify", "--key", pem_s, "a.bin"]).ok();
    env.run(&["sign", "--key", "k1", "a.bin", "--force"])
        .code(2)
        .stderr_has("is retired");
    rotate("k3").code(2).stderr_has("is retired");

    // One audit row for the rotation, naming the successor and the statement's digest.
    let rows = env
        .run(&["audit", "list", "--action", "key.rotate", "--json"])
        .ok()
        .stdout;
    let rows: serde_json::Value = serde_json::from_str(&rows).unwrap();
    let ok: Vec<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "ok")
        .collect();
    assert_eq!(ok.len(), 1, "{rows}");
    assert_eq!(ok[0]["details"]["new_label"], "k2");
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(&statement).unwrap(),
    ));
    assert_eq!(ok[0]["details"]["statement_sha256"], digest.as_str());
    env.run(&["audit", "verify"]).ok();
}

/// A tiny tmpfs, for a full disk. `None` where mounting is not allowed (it needs root or
/// CAP_SYS_ADMIN); the reference and CI machines run the tests as root.
struct TinyDisk(std::path::PathBuf);

impl TinyDisk {
    fn mount(dir: std::path::PathBuf, bytes: u64) -> Option<Self> {
        std::fs::create_dir_all(&dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(&dir)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then_some(TinyDisk(dir))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_rotation_cut_short_by_a_full_disk_keeps_the_old_key_and_says_so() {
    let env = Env::new();
    env.key("k1", "ed25519");
    // One page: the new public key fits, the statement does not.
    let Some(disk) = TinyDisk::mount(env.path("usb"), 4096) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    let out = env
        .cmd()
        .env("STRONGROOM_NEW_PASSPHRASE", "the successor's passphrase")
        .args(["key", "rotate", "k1", "--label", "k2", "--out"])
        .arg(&disk.0)
        .output()
        .map(Out::from)
        .unwrap()
        .code(7)
        .stderr_has("the new key \"k2\" was generated and recorded");
    assert!(
        out.stderr.contains("\"k1\" is still active"),
        "{}",
        out.stderr
    );
    // Nothing half-written on the medium: no public key without its statement, no temp file.
    let left: Vec<_> = std::fs::read_dir(&disk.0).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    let keys = env.run(&["key", "list", "--json"]).ok().stdout;
    let keys: serde_json::Value = serde_json::from_str(&keys).unwrap();
    let status = |l: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["label"] == l)
            .map(|k| k["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("k1").as_deref(), Some("active"));
    assert_eq!(status("k2").as_deref(), Some("active"));
    // The failed rotation is on record.
    env.run(&["audit", "list", "--action", "key.rotate"])
        .ok()
        .stdout_has("failed");
    env.run(&["audit", "verify"]).ok();
}

/// `key export -o FILE` wrote over an existing file without a word, where every other output
/// refuses without --force.
#[test]
fn key_export_does_not_replace_a_file_without_force() {
    let env = Env::new();
    env.key("k", "ed25519");
    let other = env.file("k.pub", b"someone else's key\n");
    let o = env.run(&["key", "export", "k", "-o", other.to_str().unwrap()]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("add --force"), "{}", o.stderr);
    assert_eq!(std::fs::read(&other).unwrap(), b"someone else's key\n");
    env.run(&[
        "key",
        "export",
        "k",
        "-o",
        other.to_str().unwrap(),
        "--force",
    ])
    .ok();
    let pem = env.run(&["key", "export", "k"]).ok().stdout;
    assert_eq!(std::fs::read_to_string(&other).unwrap(), pem);
}

/// `key fingerprint FILE.pem` needs no station: it gives the key id in base64 (as the CLI and
/// Sigstore bundles show it) and in hex (as bundle file names use it), the same `key show` gives.
#[test]
fn a_public_key_file_has_a_fingerprint_without_a_station() {
    let env = Env::new();
    let pem = env.key("k", "ecdsa-p256");
    let shown: serde_json::Value =
        serde_json::from_str(&env.run(&["key", "show", "k", "--json"]).ok().stdout).unwrap();
    let bare = Env::unclaimed();
    let out = bare
        .bare_cmd()
        .args(["key", "fingerprint", pem.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let f: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(f["key_id"], shown["key_id"]);
    assert_eq!(f["algorithm"], "ecdsa-p256");
    let hex = f["key_id_hex"].as_str().unwrap();
    assert_eq!(hex.len(), 64);
    env.run(&["key", "show", "k"]).ok().stdout_has(hex);
    // Not a key: named, exit 2.
    let junk = env.file("junk.pem", b"not a key");
    env.run(&["key", "fingerprint", junk.to_str().unwrap()])
        .code(2);
}

/// `key list`'s ALGORITHM, BACKEND and STATUS values did not line up with their headings (the
/// enums ignored the width). Every value starts where its heading does.
#[test]
fn key_list_columns_line_up_with_their_headings() {
    let env = Env::new();
    env.key("a", "ed25519");
    env.key("a-much-longer-label", "ecdsa-p256");
    let out = env.run(&["key", "list"]).ok().stdout;
    let mut lines = out.lines().filter(|l| !l.starts_with("  "));
    let header = lines.next().unwrap();
    let at = |h: &str| header.find(h).unwrap();
    for row in lines {
        for (heading, value) in [
            ("ALGORITHM", ["ed25519", "ecdsa-p256"].as_slice()),
            ("BACKEND", &["software"]),
            ("STATUS", &["active"]),
        ] {
            let found = value.iter().filter_map(|v| row.find(v)).min().unwrap();
            assert_eq!(found, at(heading), "{heading} in\n{out}");
        }
    }
}

/// `sign --image REFERENCE=SOURCE`: the image's manifest with its Sigstore bundle (checked by
/// `verify --key`), and its cosign signature, which openssl checks with the public key alone;
/// a damaged image is refused by name, and nothing is written.
#[test]
fn an_image_is_signed_as_its_manifest_with_a_cosign_signature_beside_it() {
    let env = Env::new();
    let pub_pem = env.key("ec", "ecdsa-p256");
    let made = python(
        "make_oci_layout.py",
        &[env.path("app-oci").to_str().unwrap(), "2.0"],
        env.work.path(),
    )
    .ok();
    let digest = serde_json::from_str::<serde_json::Value>(&made.stdout).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::create_dir(env.path("out")).unwrap();
    let image = "registry.example.com/acme/app=app-oci:2.0";
    let out = env
        .run(&[
            "sign", "--key", "ec", "--image", image, "-o", "out", "--json",
        ])
        .ok();
    let signed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(signed[0]["sha256"], digest.trim_start_matches("sha256:"));
    let manifest = std::fs::read(env.path("out/app.manifest.json")).unwrap();
    assert_eq!(format!("sha256:{}", sha256_hex(&manifest)), digest);
    env.run(&[
        "verify",
        "--key",
        pub_pem.to_str().unwrap(),
        "out/app.manifest.json",
    ])
    .ok()
    .stdout_has("VERIFIED");
    let claim: serde_json::Value = env.read_json("out/app.cosign.json");
    assert_eq!(
        claim["critical"]["image"]["docker-manifest-digest"],
        digest.as_str()
    );
    assert_eq!(
        claim["critical"]["identity"]["docker-reference"],
        "registry.example.com/acme/app"
    );
    let sig = std::fs::read_to_string(env.path("out/app.cosign.sig")).unwrap();
    env.file("cosign.der", &b64(sig.trim()));
    external(
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-verify",
            pub_pem.to_str().unwrap(),
            "-signature",
            "cosign.der",
            "out/app.cosign.json",
        ],
        env.work.path(),
    )
    .ok()
    .stdout_has("Verified OK");

    // The payload itself is not signed as a file: that signature would be an image signature.
    env.run(&["sign", "--key", "ec", "out/app.cosign.json"])
        .code(2)
        .stderr_has("container image signature payload");

    // A layer whose bytes are not its digest: refused, naming it; nothing new is written.
    let layers: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            env.path("app-oci/blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap(),
    )
    .unwrap();
    let layer = layers["layers"][0]["digest"].as_str().unwrap();
    let hex = layer.trim_start_matches("sha256:");
    std::fs::write(env.path("app-oci/blobs/sha256").join(hex), b"not the layer").unwrap();
    std::fs::create_dir(env.path("out2")).unwrap();
    env.run(&["sign", "--key", "ec", "--image", image, "-o", "out2"])
        .code(2)
        .stderr_has(hex);
    assert_eq!(std::fs::read_dir(env.path("out2")).unwrap().count(), 0);
}
