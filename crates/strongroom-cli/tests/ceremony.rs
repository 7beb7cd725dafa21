//! A scripted two-custodian key ceremony through the CLI, against SoftHSM2: a token initialised,
//! a backup-able key generated on it, backed up to shares, its public key exported, the trust
//! package signed and a checkpoint made, each step with its role and quorum; the record is a DSSE
//! envelope signed by both custodians' keys, which `ceremony verify` and securesystemslib (not
//! our code) accept, and which fails once a step is removed or reordered.

mod common;

use common::*;
use strongroom_hsm::testing::{TestToken, SO_PIN, USER_PIN};

const SCRIPT: &str = r#"
name = "Release key 2027"

[[participants]]
operator = "admin"
key = "admin-custodian"

[[participants]]
operator = "bob"
key = "bob-custodian"

[[step]]
title = "Initialise the ceremony token"
act = "init-token"
quorum = 2
label = "ceremony-token"

[[step]]
title = "Generate the release key"
act = "generate-key"
quorum = 2
token = "ceremony-token"
algorithm = "ecdsa-p256"
label = "release-2027"
backupable = true

[[step]]
act = "backup-key"
quorum = 2
key = "release-2027"
shares = 3
threshold = 2
custodians = ["admin", "bob", "carol"]
output = "backup"

[[step]]
act = "export-public-key"
key = "release-2027"
output = "release-2027.pem"

[[step]]
act = "sign-trust-package"
quorum = 2
output = "trust-package.json"

[[step]]
act = "checkpoint"
"#;

fn ceremony_run(env: &Env, cosigner: Option<&str>, script: &str, out: &str) -> Out {
    let args = [
        "ceremony",
        "run",
        script,
        "-o",
        out,
        "--so-pin-file",
        "so.txt",
        "--new-pin-file",
        "pin.txt",
        "--json",
    ];
    match cosigner {
        Some(c) => env.run_consented(ADMIN, c, &args),
        None => env.run_pin_as(ADMIN, &args),
    }
}

#[test]
fn a_two_custodian_ceremony_is_recorded_signed_and_checked_by_others() {
    let _token = TestToken::new("room-hsm");
    let env = Env::new();
    env.audit_key();
    let admin_pem = env.key_for("admin-custodian", "ed25519", "custodian");
    let bob_pem = env.key_for("bob-custodian", "ecdsa-p256", "custodian");
    // Both custodian keys are trusted, held by their custodians, while admin is the only
    // custodian (quorum 1); then bob becomes one.
    env.trust(&admin_pem, "admin-custodian", "custodian", ADMIN, &[]);
    env.trust(&bob_pem, "bob-custodian", "custodian", "bob", &[]);
    env.add_operator("bob", "custodian");
    env.file("so.txt", format!("{SO_PIN}\n").as_bytes());
    env.file("pin.txt", format!("{USER_PIN}\n").as_bytes());
    env.file("ceremony.toml", SCRIPT.as_bytes());
    std::fs::create_dir(env.path("out")).unwrap();

    // Without the second custodian's consent: refused before any step.
    ceremony_run(&env, None, "ceremony.toml", "out")
        .stderr_has("participant bob is not here: they must consent (--cosigner bob)");
    assert_eq!(std::fs::read_dir(env.path("out")).unwrap().count(), 0);

    let o = json(&ceremony_run(&env, Some("bob"), "ceremony.toml", "out").ok());
    let steps = o["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    assert_eq!(steps[0]["act"], "init-token");
    assert!(steps[0]["token_serial"].is_string());
    assert_eq!(steps[1]["consenting"], serde_json::json!(["admin", "bob"]));
    let key = &steps[1]["key"];
    assert_eq!(key["attributes"]["CKA_WRAP_WITH_TRUSTED"], true);
    assert_eq!(key["attributes"]["CKA_SENSITIVE"], true);
    assert_eq!(steps[2]["outputs"].as_array().unwrap().len(), 4);
    assert_eq!(steps[0]["previous"], "");
    assert_ne!(steps[2]["previous"], "");
    let record = o["record"].as_str().unwrap().to_owned();
    let sheet = std::fs::read_to_string(env.path(o["sheet"].as_str().unwrap())).unwrap();
    assert!(sheet.contains("Generate the release key") && sheet.contains("initials"));
    assert!(sheet.contains(key["key_id"].as_str().unwrap()));

    // Our check, with both participants' keys.
    env.run(&[
        "ceremony",
        "verify",
        &record,
        "--key",
        s(&admin_pem),
        "--key",
        s(&bob_pem),
    ])
    .ok()
    .stdout_has("VERIFIED: ceremony \"Release key 2027\", 6 steps, signed by admin, bob");
    // The trust package the ceremony signed is in the record by its digest.
    assert_eq!(steps[4]["act"], "sign-trust-package");
    let package = env.path("out/trust-package.json");
    assert_eq!(
        steps[4]["outputs"][0]["sha256"].as_str().unwrap(),
        sha256_hex(&std::fs::read(&package).unwrap())
    );
    // securesystemslib (not our code) verifies each participant's signature.
    for pem in [&admin_pem, &bob_pem] {
        python(
            "dsse_verify.py",
            &["--envelope", s(&env.path(&record)), "--key", s(pem)],
            env.work.path(),
        )
        .ok();
    }

    // A step removed from the record (the payload edited): refused.
    let mut env_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path(&record)).unwrap()).unwrap();
    let payload = b64(env_json["payload"].as_str().unwrap());
    let mut st: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    st["predicate"]["steps"].as_array_mut().unwrap().remove(1);
    env_json["payload"] = serde_json::json!(b64e(&serde_json::to_vec(&st).unwrap()));
    env.write_json("removed.json", &env_json);
    env.run(&[
        "ceremony",
        "verify",
        "removed.json",
        "--key",
        s(&admin_pem),
        "--key",
        s(&bob_pem),
    ])
    .stderr_has("does not verify");
    // Every participant's key is needed.
    env.run(&["ceremony", "verify", &record, "--key", s(&admin_pem)])
        .stderr_has("no public key was given for participant bob");
    // A stranger's key is no participant's.
    let stranger = env.key_for("stranger", "ed25519", "custodian");
    env.run(&["ceremony", "verify", &record, "--key", s(&stranger)])
        .stderr_has("names no participant");

    let rows = json(&env.run(&["audit", "list", "--json"]).ok());
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["action"] == "ceremony.run"));
}
