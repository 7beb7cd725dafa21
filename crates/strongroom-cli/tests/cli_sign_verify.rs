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
