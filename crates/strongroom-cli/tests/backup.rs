//! Key backup and restore under a quorum, end to end through the CLI against SoftHSM2: a
//! backup-able token key goes to five custodians' share files and comes back into a fresh
//! token from any three, as the same key (pkcs11-tool reads the same public key; openssl
//! verifies a signature made after the restore with the public key exported before the backup).
//! Two shares, a corrupted share, shares of two backups mixed, and a never-extractable key are
//! refused, each saying why; a software key is backed up and restored the same way.

mod common;

use std::path::Path;

use common::*;
use strongroom_hsm::testing::{TestToken, SO_PIN};

const TOKEN: &str = "release-hsm";

fn pin_run(env: &Env, args: &[&str]) -> Out {
    env.run_pin_as(ADMIN, args)
}

/// Signs `name` with `key` and checks the signature with openssl and the PEM `pem`.
fn sign_and_check(env: &Env, key: &str, name: &str, pem: &Path) {
    let art = env.file(name, format!("{name} contents").as_bytes());
    pin_run(env, &["sign", "--key", key, s(&art)]).ok();
    let bundle = env.read_json(&format!("{name}.sigstore.json"));
    openssl_check_bundle(env, &bundle, pem, &art).ok();
}

fn backup(env: &Env, key: &str, out: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "key",
        "backup",
        key,
        "--shares",
        "5",
        "--threshold",
        "3",
        "-o",
        out,
        "--so-pin-file",
        "so.txt",
        "--json",
    ];
    args.extend_from_slice(extra);
    json(&pin_run(env, &args).ok())
}

/// Share `n`'s file, as a path from the test (the CLI prints it relative to its folder).
fn share(env: &Env, b: &serde_json::Value, n: usize) -> String {
    env.path(b["share_files"][n - 1].as_str().unwrap())
        .display()
        .to_string()
}

fn restore(env: &Env, b: &serde_json::Value, shares: &[String], token: &str) -> Out {
    let mut args = vec![
        "key".to_owned(),
        "restore".into(),
        b["backup_file"].as_str().unwrap().into(),
        "--token".into(),
        token.into(),
        "--json".into(),
    ];
    for sh in shares {
        args.extend(["--share".into(), sh.clone()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    pin_run(env, &args)
}

#[test]
fn a_token_key_is_restored_from_three_of_five_shares_into_a_fresh_token() {
    let token = TestToken::new(TOKEN);
    token.add_token("fresh");
    let env = Env::new();
    env.file("so.txt", format!("{SO_PIN}\n").as_bytes());
    let info = json(
        &pin_run(
            &env,
            &[
                "key",
                "generate",
                "--token",
                TOKEN,
                "--algorithm",
                "ecdsa-p256",
                "--label",
                "rel",
                "--backupable",
                "--json",
            ],
        )
        .ok(),
    );
    assert_eq!(info["attributes"]["backupable"], true);
    assert_eq!(info["attributes"]["hardware_bound"], false);
    assert_eq!(info["attributes"]["cka"]["wrap_with_trusted"], true);
    assert_eq!(info["attributes"]["cka"]["sensitive"], true);
    pin_run(&env, &["key", "show", "rel"])
        .ok()
        .stdout_has("protection: backup-able");
    pin_run(&env, &["key", "export", "rel", "-o", "rel.pem"]).ok();
    let pem = env.path("rel.pem");
    sign_and_check(&env, "rel", "before.txt", &pem);

    std::fs::create_dir(env.path("out")).unwrap();
    let custodians = ["ada", "bo", "cy", "di", "ed"];
    let mut extra = Vec::new();
    for c in custodians {
        extra.extend(["--custodian", c]);
    }
    let b = backup(&env, "rel", "out", &extra);
    assert_eq!(b["share_files"].as_array().unwrap().len(), 5);
    let share3 = std::fs::read_to_string(share(&env, &b, 3)).unwrap();
    assert!(
        share3.contains("share: 3 of 5 (any 3 restore the key)"),
        "{share3}"
    );
    assert!(share3.contains("custodian: cy"), "{share3}");
    assert!(share3.contains(&format!("key-id: {}", info["key_id"].as_str().unwrap())));
    // Backing up again into the same folder would overwrite: refused.
    pin_run(
        &env,
        &[
            "key",
            "backup",
            "rel",
            "--shares",
            "5",
            "--threshold",
            "3",
            "-o",
            "out",
            "--so-pin-file",
            "so.txt",
        ],
    )
    .stderr_has("already exists");

    // Two shares: one more needed.
    restore(&env, &b, &[share(&env, &b, 1), share(&env, &b, 2)], "fresh")
        .stderr_has("2 of the 3 shares needed were given: 1 more needed");
    // A corrupted share is named.
    // One hex digit of the value mistyped.
    let at = share3.find("value: ").unwrap() + "value: ".len() + 2;
    let mut typo = share3.clone().into_bytes();
    typo[at] = if typo[at] == b'7' { b'8' } else { b'7' };
    let bad = env.file("bad-share.txt", &typo);
    restore(
        &env,
        &b,
        &[share(&env, &b, 1), share(&env, &b, 2), s(&bad).to_owned()],
        "fresh",
    )
    .stderr_has("bad-share.txt (share 3) is corrupted");
    // Shares of another backup of the same key do not mix.
    std::fs::create_dir(env.path("other")).unwrap();
    let b2 = backup(&env, "rel", "other", &[]);
    assert_ne!(b["backup_id"], b2["backup_id"]);
    restore(
        &env,
        &b,
        &[share(&env, &b, 1), share(&env, &b, 2), share(&env, &b2, 3)],
        "fresh",
    )
    .stderr_has("belongs to another backup");
    // Nothing was left on the fresh token by the refusals.
    assert!(!token
        .tool_objects("fresh")
        .iter()
        .any(|o| o.contains("rel")));

    // Any three restore it: the same key id, now on the fresh token.
    let r = json(
        &restore(
            &env,
            &b,
            &[share(&env, &b, 2), share(&env, &b, 4), share(&env, &b, 5)],
            "fresh",
        )
        .ok(),
    );
    assert_eq!(r["key"]["key_id"], info["key_id"]);
    assert_eq!(r["key"]["attributes"]["token"], "fresh");
    assert_eq!(r["key"]["attributes"]["id"], info["attributes"]["id"]);
    assert_eq!(r["replaced"], true);
    assert_eq!(r["shares"], serde_json::json!([2, 4, 5]));

    // pkcs11-tool (OpenSC) reads the same SubjectPublicKeyInfo from the fresh token.
    let der = env.path("fresh.der");
    let o = token
        .pkcs11_tool_on("fresh")
        .args(["--read-object", "--type", "pubkey", "--id"])
        .arg(info["attributes"]["id"].as_str().unwrap())
        .arg("-o")
        .arg(&der)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let theirs = external(
        "openssl",
        &["pkey", "-pubin", "-inform", "DER", "-in", s(&der)],
        env.work.path(),
    )
    .ok();
    assert_eq!(theirs.stdout, std::fs::read_to_string(&pem).unwrap());

    // A signature made after the restore verifies with the key exported before the backup.
    sign_and_check(&env, "rel", "after.txt", &pem);

    let rows = json(&env.run(&["audit", "list", "--json"]).ok());
    let actions: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "ok")
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "key.backup").count(), 2);
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "key.share.handover")
            .count(),
        10
    );
    assert!(actions.contains(&"key.restore"), "{actions:?}");
}

#[test]
fn a_never_extractable_token_key_is_not_backed_up() {
    let _token = TestToken::new(TOKEN);
    let env = Env::new();
    env.file("so.txt", format!("{SO_PIN}\n").as_bytes());
    pin_run(
        &env,
        &[
            "key",
            "generate",
            "--token",
            TOKEN,
            "--algorithm",
            "ecdsa-p256",
            "--label",
            "sealed",
        ],
    )
    .ok();
    pin_run(&env, &["key", "show", "sealed"])
        .ok()
        .stdout_has("protection: never extractable");
    std::fs::create_dir(env.path("out")).unwrap();
    pin_run(
        &env,
        &[
            "key",
            "backup",
            "sealed",
            "--shares",
            "3",
            "--threshold",
            "2",
            "-o",
            "out",
            "--so-pin-file",
            "so.txt",
        ],
    )
    .stderr_has("cannot be backed up: it was generated never extractable");
    assert_eq!(std::fs::read_dir(env.path("out")).unwrap().count(), 0);
}

#[test]
fn a_software_key_is_backed_up_and_restored_on_another_station() {
    let env = Env::new();
    let pem = env.key("soft", "ed25519");
    std::fs::create_dir(env.path("out")).unwrap();
    let b = json(
        &env.run(&[
            "key",
            "backup",
            "soft",
            "--shares",
            "3",
            "--threshold",
            "2",
            "-o",
            "out",
            "--json",
        ])
        .ok(),
    );
    let other = Env::new();
    let backup_file = env.path(b["backup_file"].as_str().unwrap());
    let mut args = vec!["key", "restore", s(&backup_file)];
    let shares = [share(&env, &b, 3), share(&env, &b, 1)];
    for sh in &shares {
        args.extend(["--share", sh.as_str()]);
    }
    args.push("--json");
    let r = json(
        &Out::from(
            other
                .cmd()
                .env("STRONGROOM_NEW_PASSPHRASE", "another long passphrase")
                .args(&args)
                .output()
                .unwrap(),
        )
        .ok(),
    );
    assert_eq!(r["key"]["label"], "soft");
    assert_eq!(r["replaced"], false);
    let art = other.file("a.txt", b"restored");
    Out::from(
        other
            .cmd()
            .env("STRONGROOM_PASSPHRASE", "another long passphrase")
            .args(["sign", "--key", "soft", s(&art)])
            .output()
            .unwrap(),
    )
    .ok();
    let bundle = other.read_json("a.txt.sigstore.json");
    openssl_check_bundle(&other, &bundle, &pem, &art).ok();
}
