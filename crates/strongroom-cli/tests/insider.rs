//! One hostile insider, whatever roles they hold, against the real binary and a real SQLite
//! station (`docs/security.md`, "Attacks and the tests that hold them"). Each test is named after
//! the attack it holds, tries it as the insider would (the CLI, the sqlite3 shell on the
//! database file, signatures made outside Strongroom with a key the insider can unlock), and
//! asserts that it is refused or caught, naming the row, the key or the check.

mod common;

use std::path::Path;

use common::*;
use secrecy::SecretString;
use strongroom_core::bundle::BundleJson;
use strongroom_core::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use strongroom_core::intoto::{Statement, Subject};
use strongroom_core::{HashAlg, Signer, SoftwareKey};

const APPROVAL: &str = "https://strongroom.dev/attestation/release-approval/v1";

fn py(code: &str, args: &[&str], cwd: &Path) -> Out {
    let mut all = vec!["-c", code];
    all.extend_from_slice(args);
    external("python3", &all, cwd).ok()
}

/// An inventory software key, unlocked as its holder can (outside Strongroom).
fn unlock(env: &Env, pub_pem: &Path) -> SoftwareKey {
    let key =
        strongroom_core::PublicKey::from_pem(&std::fs::read_to_string(pub_pem).unwrap()).unwrap();
    let hex = HashAlg::Sha256.hash(&key.to_spki_der()).to_hex();
    strongroom_store::keyfile::read(
        &env.home.path().join("keys").join(format!("{hex}.age")),
        &SecretString::from(PASSPHRASE),
    )
    .unwrap()
}

/// The bytes of one entry of a zip.
fn entry(env: &Env, zip: &str, name: &str) -> Vec<u8> {
    let out = env.path("entry.bin");
    py(
        "import sys, zipfile\nopen(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))\n",
        &[zip, name, s(&out)],
        env.work.path(),
    );
    std::fs::read(out).unwrap()
}

/// Copies `src` to `dst` with `files` (name, bytes) added or replaced.
fn put(env: &Env, src: &str, dst: &str, files: &[(&str, Vec<u8>)]) {
    let mut args = vec![src.to_owned(), dst.to_owned()];
    for (i, (name, bytes)) in files.iter().enumerate() {
        let p = env.file(&format!("put-{i}.bin"), bytes);
        args.push((*name).to_owned());
        args.push(s(&p).to_owned());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    py(
        "import sys, zipfile\n\
         src, dst, rest = sys.argv[1], sys.argv[2], sys.argv[3:]\n\
         new = dict(zip(rest[0::2], rest[1::2]))\n\
         with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as zo:\n\
         \x20   for i in zi.infolist():\n\
         \x20       if i.filename not in new: zo.writestr(i, zi.read(i.filename))\n\
         \x20   for name, path in new.items(): zo.write(path, name)\n",
        &refs,
        env.work.path(),
    );
}

/// An approval of `zip`'s manifest signed outside Strongroom with `key`, naming `operator` and
/// `signed_at`, added to a copy `out`.
fn forge_approval(env: &Env, zip: &str, out: &str, key: &SoftwareKey, operator: &str, at: &str) {
    let manifest = entry(env, zip, "manifest.json");
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let digest = HashAlg::Sha256.hash(&manifest);
    let statement = Statement::new(
        vec![Subject::new("manifest.json", &[&digest])],
        APPROVAL,
        serde_json::json!({
            "kind": "approval",
            "release": {"name": m["release"]["name"], "version": m["release"]["version"],
                "stage": m["release"]["stage"]},
            "operator": operator,
            "signedAt": at,
        }),
    );
    let env_ = Envelope::sign(key, INTOTO_PAYLOAD_TYPE, statement.to_json_bytes()).unwrap();
    let bundle = BundleJson::dsse(key.public_key(), &env_).to_pretty_json();
    let hex = HashAlg::Sha256
        .hash(&key.public_key().to_spki_der())
        .to_hex();
    put(
        env,
        zip,
        out,
        &[
            (
                &format!("approvals/{hex}.sigstore.json"),
                bundle.into_bytes(),
            ),
            (
                &format!("approvals/{hex}.pem"),
                key.public_key().to_pem().into_bytes(),
            ),
        ],
    );
}

fn approvers(env: &Env, zip: &str) -> serde_json::Value {
    let o = env.run(&["verify", zip, "--json"]);
    serde_json::from_str::<serde_json::Value>(&o.stdout).unwrap()["approvals"].clone()
}

/// A one-person production station: mallory holds every role and three keys of her own
/// (signer, and two approver keys trusted as hers), an audit key, and an artifact.
fn mallory_station() -> Env {
    let env = Env::new();
    let signer = env.key("m-signer", "ecdsa-p256");
    let a1 = env.key_for("m-approve-1", "ecdsa-p256", "approver");
    let a2 = env.key_for("m-approve-2", "ed25519", "approver");
    env.trust(&signer, "m-signer", "signer", "mallory", &[]);
    env.trust(&a1, "m-approve-1", "approver", "mallory", &[]);
    env.trust(&a2, "m-approve-2", "approver", "mallory", &[]);
    env.audit_key();
    env.write_json(
        "data.json",
        &serde_json::json!({"min_approvers": {"dev": 2}}),
    );
    env.run(&["trust", "data", "data.json"]).ok();
    // Mallory holds every role: she is the station's second custodian too.
    env.add_operator("mallory", "custodian,release-officer,approver,auditor");
    env.file("app.bin", b"the release");
    env.run_as(
        "mallory",
        &[
            "release",
            "create",
            "--name",
            "app",
            "--version",
            "1",
            "--stage",
            "dev",
            "--key",
            "m-signer",
            "--sbom",
            "none",
            "-o",
            "rel.zip",
            "app.bin",
        ],
    )
    .ok();
    env
}

#[test]
fn attack_one_person_with_two_approver_keys_counts_once() {
    let env = mallory_station();
    env.run_as(
        "mallory",
        &["release", "approve", "rel.zip", "--key", "m-approve-1"],
    )
    .ok();
    env.run_as(
        "mallory",
        &["release", "approve", "rel.zip", "--key", "m-approve-2"],
    )
    .ok()
    .stderr_has("mallory has already signed this release");
    let a = approvers(&env, "rel.zip");
    assert_eq!(
        (
            a["distinct_keys"].as_u64(),
            a["distinct_approvers"].as_u64()
        ),
        (Some(2), Some(1)),
        "{a}"
    );
    env.run(&["verify", "rel.zip"])
        .code(1)
        .stdout_has("1 distinct approver(s), 2 required (2 key(s) held by 1 person(s)");
}

#[test]
fn attack_forged_second_approver_naming_a_person_who_does_not_exist() {
    let env = mallory_station();
    env.run_as(
        "mallory",
        &["release", "approve", "rel.zip", "--key", "m-approve-1"],
    )
    .ok();
    // attest cannot make an approval: the predicate type is reserved, and an approver key
    // signs nothing but approvals.
    env.write_json(
        "pred.json",
        &serde_json::json!({"kind": "approval", "operator": "bob"}),
    );
    let manifest = entry(&env, "rel.zip", "manifest.json");
    env.file("manifest.json", &manifest);
    env.run_as(
        "mallory",
        &[
            "attest",
            "--key",
            "m-signer",
            "--type",
            &format!("custom:{APPROVAL}"),
            "--predicate",
            "pred.json",
            "manifest.json",
        ],
    )
    .code(2)
    .stderr_has("are Strongroom's own");
    env.run_as(
        "mallory",
        &[
            "attest",
            "--key",
            "m-approve-2",
            "--type",
            "custom:https://example.com/x",
            "--predicate",
            "pred.json",
            "manifest.json",
        ],
    )
    .code(2)
    .stderr_has("is an approver key: it signs release approvals, not releases");

    // Outside Strongroom, with her second approver key, she writes an approval naming "bob".
    let k2 = unlock(&env, &env.path("m-approve-2.pub"));
    forge_approval(
        &env,
        "rel.zip",
        "forged.zip",
        &k2,
        "bob",
        "2026-01-01T00:00:00Z",
    );
    let o = env.run(&["verify", "forged.zip"]).code(1);
    o.stdout_has("names operator \"bob\", but the trust store says the key is held by mallory");
    assert_eq!(approvers(&env, "forged.zip")["distinct_approvers"], 1);

    // Naming herself, it is still not in the audit trail: it does not count either.
    forge_approval(
        &env,
        "rel.zip",
        "forged2.zip",
        &k2,
        "mallory",
        "2026-01-01T00:00:00Z",
    );
    env.run(&["verify", "forged2.zip"])
        .code(1)
        .stdout_has("is not in the audit excerpt: no release.approve row by mallory with this key");

    // A made-up excerpt, whose checkpoint she signs with a key of her own, does not pass: the
    // checkpoint key is not trusted for the audit purpose.
    let mut excerpt: serde_json::Value =
        serde_json::from_slice(&entry(&env, "forged2.zip", "audit/excerpt.json")).unwrap();
    let own = SoftwareKey::generate(strongroom_core::Algorithm::Ed25519).unwrap();
    let payload = serde_json::from_slice::<serde_json::Value>(&b64(excerpt["checkpoint"]
        ["dsseEnvelope"]["payload"]
        .as_str()
        .unwrap()))
    .unwrap();
    let cp = Envelope::sign(
        &own,
        strongroom_core::audit_chain::CHECKPOINT_PAYLOAD_TYPE,
        serde_json::to_vec(&payload).unwrap(),
    )
    .unwrap();
    excerpt["checkpoint"] = serde_json::to_value(BundleJson::dsse(own.public_key(), &cp)).unwrap();
    put(
        &env,
        "forged2.zip",
        "forged3.zip",
        &[("audit/excerpt.json", serde_json::to_vec(&excerpt).unwrap())],
    );
    env.run(&["verify", "forged3.zip"])
        .code(1)
        .stdout_has("which the trust store does not know");
}

#[test]
fn attack_an_approval_signed_in_the_future_does_not_count() {
    let env = mallory_station();
    let k1 = unlock(&env, &env.path("m-approve-1.pub"));
    forge_approval(
        &env,
        "rel.zip",
        "future.zip",
        &k1,
        "mallory",
        "2099-01-01T00:00:00Z",
    );
    env.run(&["verify", "future.zip"]).code(1).stdout_has(
        "claims to be signed at 2099-01-01T00:00:00Z, later than this verifier's clock",
    );
}

#[test]
fn attack_signatures_cross_domains_through_sign_and_attest() {
    let env = Env::new();
    env.key("rel", "ecdsa-p256");
    let custodian = env.key_for("custodian", "ecdsa-p256", "custodian");
    env.trust(&custodian, "custodian", "custodian", ADMIN, &[]);
    env.run(&["trust", "export", "--key", "custodian", "-o", "pkg.json"])
        .ok();
    // The PAE of a trust package payload: an ECDSA signature over this file would be a valid
    // DSSE signature over the package.
    let pkg: serde_json::Value = env.read_json("pkg.json");
    let payload = b64(pkg["payload"].as_str().unwrap());
    let t = pkg["payloadType"].as_str().unwrap();
    let pae = strongroom_core::dsse::pae(t, &payload);
    env.file("pae.bin", &pae);
    // The custodian key signs nothing but trust packages.
    env.file("any.bin", b"any file");
    env.run(&["sign", "--key", "custodian", "any.bin"])
        .code(2)
        .stderr_has("is a custodian key: it signs trust packages, not releases");
    // With a release key: refused for what the file is.
    env.run(&["sign", "--key", "rel", "pae.bin"])
        .code(2)
        .stderr_has("begins as a DSSE pre-authentication encoding");
    // The same for a release made of it.
    env.audit_key();
    env.run(&[
        "release",
        "create",
        "--name",
        "x",
        "--version",
        "1",
        "--stage",
        "dev",
        "--key",
        "rel",
        "--sbom",
        "none",
        "-o",
        "x.zip",
        "pae.bin",
    ])
    .code(2)
    .stderr_has("begins as a DSSE pre-authentication encoding");
    assert!(!env.path("pae.bin.sigstore.json").exists() && !env.path("x.zip").exists());
    // attest refuses Strongroom's own predicate types.
    env.file("a.bin", b"a");
    env.write_json("p.json", &serde_json::json!({}));
    for t in [
        "custom:https://strongroom.dev/attestation/release-approval/v1",
        "custom:https://strongroom.dev/attestation/signature/v1",
        "custom:https://strongroom.dev/attestation/key-rotation/v1",
    ] {
        env.run(&[
            "attest",
            "--key",
            "rel",
            "--type",
            t,
            "--predicate",
            "p.json",
            "a.bin",
        ])
        .code(2)
        .stderr_has("are Strongroom's own");
    }
}

/// A station with a checkpoint witnessed by a release bundle, for the tail attacks.
fn witnessed() -> Env {
    let env = Env::new();
    env.signer("rel", "ecdsa-p256");
    env.audit_key();
    env.file("app.bin", b"app");
    env.run(&[
        "release",
        "create",
        "--name",
        "app",
        "--version",
        "1",
        "--stage",
        "dev",
        "--key",
        "rel",
        "--sbom",
        "none",
        "-o",
        "rel.zip",
        "app.bin",
    ])
    .ok();
    env.run(&["sign", "--key", "rel", "app.bin"]).ok();
    env
}

#[test]
fn attack_the_audit_log_loses_its_tail() {
    let env = witnessed();
    env.run(&[
        "audit",
        "verify",
        "--since",
        "rel.zip",
        "--key",
        "station-audit.pub",
    ])
    .ok()
    .stdout_has("the log extends the witnessed checkpoint")
    .stdout_has("covered by no signature yet");
    // Drop the triggers, delete the checkpoints and every row after the first one.
    env.sqlite(
        "DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_checkpoints_no_delete;
         DELETE FROM audit_checkpoints; DELETE FROM audit_log WHERE seq > 1;",
    )
    .ok();
    // The audit key pinned: no checkpoint left.
    env.run(&["audit", "verify", "--key", "station-audit.pub"])
        .code(1)
        .stdout_has("no checkpoint is signed by the expected key");
    // A checkpoint the connected side saw: the log no longer extends it.
    env.run(&["audit", "verify", "--since", "rel.zip"])
        .code(1)
        .stdout_has("no longer extends the witnessed checkpoint");
    // And the station itself refuses to act: its tables hold keys no act created.
    env.run(&["key", "list"])
        .code(1)
        .stderr_has("differs from what the audit log proves");
}

#[test]
fn attack_a_row_after_the_last_checkpoint_is_rewritten_consistently() {
    let env = witnessed();
    let rows = env.run(&["audit", "list", "--json"]).ok().stdout;
    let n = serde_json::from_str::<serde_json::Value>(&rows)
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    // A printed witness of the current head, kept outside the station.
    let head = serde_json::from_str::<serde_json::Value>(
        &env.run(&["audit", "verify", "--json"]).ok().stdout,
    )
    .unwrap()["head"]
        .as_str()
        .unwrap()
        .to_owned();
    let witness = format!("{n}:{head}");
    // Rewrite the last row and recompute its hash: the chain alone is consistent again.
    env.sqlite(&format!(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET operator = 'ghost' WHERE seq = {n};"
    ))
    .ok();
    let stored = std::process::Command::new("sqlite3")
        .arg("-json")
        .arg(env.home.path().join("strongroom.db"))
        .arg(format!("SELECT seq, time, operator, action, object, outcome, details, prev_hash FROM audit_log WHERE seq = {n}"))
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&stored.stdout).unwrap();
    let r = &r[0];
    let content = strongroom_core::audit_chain::RowContent {
        seq: r["seq"].as_i64().unwrap(),
        time: r["time"].as_str().unwrap().into(),
        operator: r["operator"].as_str().unwrap().into(),
        action: r["action"].as_str().unwrap().into(),
        object: r["object"].as_str().unwrap().into(),
        outcome: r["outcome"].as_str().unwrap().into(),
        details: r["details"].as_str().unwrap().into(),
    };
    let hash = content.chain_hash(r["prev_hash"].as_str().unwrap());
    env.sqlite(&format!(
        "UPDATE audit_log SET hash = '{hash}' WHERE seq = {n};"
    ))
    .ok();
    env.run(&["audit", "verify"]).ok();
    env.run(&["audit", "verify", "--since", &witness])
        .code(1)
        .stdout_has(&format!("row {n} now has hash"));
}

#[test]
fn attack_roles_edited_in_the_table_are_refused_naming_the_row() {
    let env = Env::new();
    env.add_operator("aud", "auditor");
    env.sqlite("UPDATE operators SET roles = '[\"custodian\"]' WHERE name = 'aud';")
        .ok();
    // The next act, by anyone: refused, naming the row.
    Out::from(
        env.cmd_as("aud")
            .env(
                "STRONGROOM_NEW_OPERATOR_PASSPHRASE",
                op_passphrase("puppet"),
            )
            .args(["operator", "add", "puppet", "--roles", "custodian"])
            .output()
            .unwrap(),
    )
    .code(1)
    .stderr_has("operators row \"aud\" differs from what the audit log proves");
    env.run(&["key", "list"])
        .code(1)
        .stderr_has("operators row \"aud\"");
    // Reading the audit log still works for the investigation; verifying it is refused, naming
    // the differing row (the chain verification runs on a station that is not tampered with).
    env.run(&["audit", "list"]).ok();
    env.run(&["audit", "verify"])
        .code(1)
        .stderr_has("operators row \"aud\"");
}

#[test]
fn attack_trust_keys_and_settings_edited_in_the_tables_are_caught() {
    for (sql, row) in [
        (
            "UPDATE trust_keys SET holder = 'bob' WHERE name = 'k';",
            "trust_keys row \"k\"",
        ),
        (
            "UPDATE trust_keys SET purpose = 'custodian' WHERE name = 'k';",
            "trust_keys row \"k\"",
        ),
        (
            "INSERT INTO settings (key, value) VALUES ('custodian.quorum', '1');",
            "settings row \"custodian.quorum\"",
        ),
        (
            "UPDATE keys SET purpose = 'custodian' WHERE label = 'k';",
            "keys row \"k\"",
        ),
    ] {
        let env = Env::new();
        let k = env.key_for("k", "ed25519", "approver");
        env.trust(&k, "k", "approver", "alice", &[]);
        env.sqlite(sql).ok();
        env.run(&["trust", "list"]).code(1).stderr_has(row);
    }
}

#[test]
fn attack_an_act_appended_without_the_operators_key_is_not_authentic() {
    let env = Env::new();
    env.add_operator("aud", "auditor");
    // Grant aud the custodian role in the table, and append a matching act row whose chain
    // hash is right but whose signature is not admin's.
    let rows: serde_json::Value =
        serde_json::from_str(&env.run(&["audit", "list", "--json"]).ok().stdout).unwrap();
    let last = rows.as_array().unwrap().last().unwrap();
    let acts = std::process::Command::new("sqlite3")
        .arg(env.home.path().join("strongroom.db"))
        .arg("SELECT hash FROM audit_log WHERE access_prev IS NOT NULL ORDER BY seq DESC LIMIT 1")
        .output()
        .unwrap();
    let prev_access = String::from_utf8_lossy(&acts.stdout).trim().to_owned();
    let ops: serde_json::Value = serde_json::from_str(
        &String::from_utf8_lossy(
            &std::process::Command::new("sqlite3")
                .arg("-json")
                .arg(env.home.path().join("strongroom.db"))
                .arg("SELECT name, roles, credential, created_at, created_by, disabled FROM operators WHERE name = 'aud'")
                .output()
                .unwrap()
                .stdout,
        ),
    )
    .unwrap();
    let o = &ops[0];
    let operator = serde_json::json!({
        "name": "aud", "roles": ["auditor", "custodian"],
        "credential": serde_json::from_str::<serde_json::Value>(o["credential"].as_str().unwrap()).unwrap(),
        "created_at": o["created_at"], "created_by": o["created_by"], "disabled": false,
    });
    let details = serde_json::json!({
        "changes": [{"op": "operator_put", "operator": operator}],
        "prev_access": prev_access,
        "auth": [{"operator": ADMIN, "sig": b64e(&[0u8; 64])}],
    })
    .to_string();
    let content = strongroom_core::audit_chain::RowContent {
        seq: last["seq"].as_i64().unwrap() + 1,
        time: "2026-12-06T00:00:00Z".into(),
        operator: ADMIN.into(),
        action: "operator.grant".into(),
        object: "aud".into(),
        outcome: "ok".into(),
        details: details.clone(),
    };
    let prev = last["hash"].as_str().unwrap();
    let hash = content.chain_hash(prev);
    env.sqlite(&format!(
        "UPDATE operators SET roles = '[\"auditor\",\"custodian\"]' WHERE name = 'aud';
         INSERT INTO audit_log (seq, time, operator, action, object, outcome, details, prev_hash, hash)
         VALUES ({}, '{}', 'admin', 'operator.grant', 'aud', 'ok', '{}', '{prev}', '{hash}');",
        content.seq,
        content.time,
        details.replace('\'', "''")
    ))
    .ok();
    env.run(&["audit", "verify"]).code(1).stderr_has(&format!(
        "audit row {} (operator.grant) is not an authentic act: the signature of admin does not verify",
        content.seq
    ));
    env.run_as("aud", &["operator", "list"])
        .code(1)
        .stderr_has("is not an authentic act");
}

/// A station with two custodians (admin and carol), so a quorum of 2.
fn two_custodians() -> Env {
    let env = Env::new();
    env.add_operator("carol", "custodian");
    env
}

#[test]
fn attack_one_custodian_alone_changes_who_is_trusted() {
    let env = two_custodians();
    env.run(&["operator", "quorum"])
        .ok()
        .stdout_has("custodian quorum: 2 of 2");
    let k = env.key_for("puppet", "ed25519", "approver");
    let forbidden = |o: Out| {
        o.code(8)
            .stderr_has("needs the consent of 2 distinct custodians")
    };
    // Trust a key for approval, custodian or audit purposes.
    for purpose in ["approver", "custodian", "audit"] {
        forbidden(env.run(&[
            "trust",
            "add",
            s(&k),
            "--name",
            "puppet",
            "--purpose",
            purpose,
            "--holder",
            "bob",
        ]));
    }
    // Make a puppet approver or custodian, or grant the roles.
    for roles in ["approver", "custodian"] {
        forbidden(Out::from(
            env.cmd()
                .env("STRONGROOM_NEW_OPERATOR_PASSPHRASE", op_passphrase("bob"))
                .args(["operator", "add", "bob", "--roles", roles])
                .output()
                .unwrap(),
        ));
    }
    env.add_operator("ron", "release-officer");
    forbidden(env.run(&["operator", "grant", "ron", "approver"]));
    // Take over another person's account, or remove the other custodian.
    forbidden(Out::from(
        env.cmd()
            .env(
                "STRONGROOM_NEW_OPERATOR_PASSPHRASE",
                "a new passphrase for carol",
            )
            .args(["operator", "passwd", "carol"])
            .output()
            .unwrap(),
    ));
    forbidden(env.run(&["operator", "disable", "carol"]));
    forbidden(env.run(&["operator", "revoke", "carol", "custodian"]));
    // Change the audit key, the policy, or the quorum itself.
    env.key_for("audit2", "ed25519", "audit");
    forbidden(env.run(&["audit", "key", "set", "audit2"]));
    env.write_json(
        "data.json",
        &serde_json::json!({"min_approvers": {"staging": 0}}),
    );
    forbidden(env.run(&["trust", "data", "data.json"]));
    forbidden(env.run(&["operator", "quorum", "1"]));
    // Sign a trust package alone.
    let c = env.key_for("admin-custody", "ed25519", "custodian");
    env.run_consented(
        ADMIN,
        "carol",
        &[
            "trust",
            "add",
            s(&c),
            "--name",
            "admin-custody",
            "--purpose",
            "custodian",
            "--holder",
            ADMIN,
        ],
    )
    .ok();
    forbidden(env.run(&[
        "trust",
        "export",
        "--key",
        "admin-custody",
        "-o",
        "pkg.json",
    ]));
    assert!(!env.path("pkg.json").exists());

    // With carol's consent each works; her wrong passphrase is refused and recorded.
    let wrong = Out::from(
        env.cmd()
            .env("STRONGROOM_COSIGNER_PASSPHRASE", "not carol's passphrase")
            .args([
                "--cosigner",
                "carol",
                "trust",
                "add",
                s(&k),
                "--name",
                "p",
                "--purpose",
                "approver",
                "--holder",
                "bob",
            ])
            .output()
            .unwrap(),
    );
    wrong.code(4);
    env.run_consented(
        ADMIN,
        "carol",
        &[
            "trust",
            "add",
            s(&k),
            "--name",
            "puppet",
            "--purpose",
            "approver",
            "--holder",
            "bob",
        ],
    )
    .ok();
    let log = env
        .run(&["audit", "list", "--json", "--action", "trust.add"])
        .ok()
        .stdout;
    assert!(
        log.contains("\"cosigners\":[\"carol\"]") || log.contains("\"cosigners\": ["),
        "{log}"
    );
    // A consent must come from a custodian: ron's does not count.
    Out::from(
        env.cmd_as(ADMIN)
            .env("STRONGROOM_COSIGNER_PASSPHRASE", op_passphrase("ron"))
            .args(["--cosigner", "ron", "operator", "grant", "ron", "approver"])
            .output()
            .unwrap(),
    )
    .code(8)
    .stderr_has("ron is not an enabled custodian");
}

#[test]
fn a_one_person_station_says_loudly_that_it_has_no_quorum() {
    let env = Env::new();
    env.run(&["operator", "quorum"])
        .ok()
        .stdout_has("custodian quorum: 1 of 1")
        .stderr_has("WARNING: This station has no custodian quorum");
}

#[test]
fn attack_a_trust_package_signed_by_fewer_custodians_than_the_threshold() {
    // Station A: two custodians, each with a custodian key they hold.
    let a = two_custodians();
    let ka = a.key_for("admin-custody", "ed25519", "custodian");
    let kc = a.key_for("carol-custody", "ecdsa-p256", "custodian");
    a.run_consented(
        ADMIN,
        "carol",
        &[
            "trust",
            "add",
            s(&ka),
            "--name",
            "admin-custody",
            "--purpose",
            "custodian",
            "--holder",
            ADMIN,
        ],
    )
    .ok();
    a.run_consented(
        ADMIN,
        "carol",
        &[
            "trust",
            "add",
            s(&kc),
            "--name",
            "carol-custody",
            "--purpose",
            "custodian",
            "--holder",
            "carol",
        ],
    )
    .ok();
    // Both sign: a package with threshold 2.
    a.run_consented(
        ADMIN,
        "carol",
        &[
            "trust",
            "export",
            "--key",
            "admin-custody",
            "--key",
            "carol-custody",
            "-o",
            "both.json",
        ],
    )
    .ok()
    .stdout_has("signed by 2 custodian(s) (admin, carol), threshold 2");
    // Admin alone writes a partial one, then carol countersigns it.
    a.run(&[
        "trust",
        "export",
        "--key",
        "admin-custody",
        "--partial",
        "-o",
        "partial.json",
    ])
    .ok()
    .stderr_has("1 more custodian(s) must countersign it");

    // Station B trusts both custodian keys and accepts the threshold of its first package.
    let b = Env::new();
    for (name, holder) in [("admin-custody", ADMIN), ("carol-custody", "carol")] {
        let pem = b.file(
            &format!("{name}.pub"),
            &std::fs::read(a.path(&format!("{name}.pub"))).unwrap(),
        );
        b.trust(&pem, name, "custodian", holder, &[]);
    }
    std::fs::copy(a.path("both.json"), b.path("both.json")).unwrap();
    std::fs::copy(a.path("partial.json"), b.path("partial.json")).unwrap();
    b.run(&["trust", "import", "partial.json"])
        .code(1)
        .stderr_has("needs the signatures of 2 distinct custodian(s)");
    b.run(&["trust", "import", "both.json"])
        .ok()
        .stdout_has("the next package needs 2 custodians");
    // A package admin alone signs, lowering the threshold to 1: refused by B.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    a.run_consented(ADMIN, "carol", &["operator", "quorum", "1"])
        .ok();
    a.run(&[
        "trust",
        "export",
        "--key",
        "admin-custody",
        "-o",
        "lower.json",
    ])
    .ok()
    .stdout_has("threshold 1");
    std::fs::copy(a.path("lower.json"), b.path("lower.json")).unwrap();
    b.run(&["trust", "import", "lower.json"])
        .code(1)
        .stderr_has("needs the signatures of 2 distinct custodian(s) that this station trusts, and has 1 (admin)");
    // Countersigned by carol, it may lower the threshold.
    Out::from(
        a.cmd_as("carol")
            .args([
                "trust",
                "countersign",
                "lower.json",
                "--key",
                "carol-custody",
            ])
            .output()
            .unwrap(),
    )
    .ok();
    std::fs::copy(a.path("lower.json"), b.path("lower.json")).unwrap();
    b.run(&["trust", "import", "lower.json"])
        .ok()
        .stdout_has("the next package needs 1 custodian");
}

#[test]
fn two_approvals_at_once_are_both_kept() {
    let env = Env::new();
    env.add_operator("alice", "release-officer");
    env.add_operator("bob", "approver");
    env.add_operator("carol", "approver");
    let signer = env.key("alice-key", "ecdsa-p256");
    env.trust(&signer, "alice-key", "signer", "alice", &[]);
    for who in ["bob", "carol"] {
        let k = env.key_for(&format!("{who}-key"), "ed25519", "approver");
        env.trust(&k, &format!("{who}-key"), "approver", who, &[]);
    }
    env.audit_key();
    env.file("app.bin", b"app");
    env.run_as(
        "alice",
        &[
            "release",
            "create",
            "--name",
            "app",
            "--version",
            "1",
            "--stage",
            "dev",
            "--key",
            "alice-key",
            "--sbom",
            "none",
            "-o",
            "rel.zip",
            "app.bin",
        ],
    )
    .ok();
    let spawn = |who: &str| {
        env.cmd_as(who)
            .args([
                "release",
                "approve",
                "rel.zip",
                "--key",
                &format!("{who}-key"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (b, c) = (spawn("bob"), spawn("carol"));
    for child in [b, c] {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let a = approvers(&env, "rel.zip");
    assert_eq!(a["distinct_approvers"], 2, "{a}");
}

#[test]
fn an_excerpt_that_hides_a_row_about_the_release_fails() {
    let env = witnessed();
    let mut excerpt: serde_json::Value =
        serde_json::from_slice(&entry(&env, "rel.zip", "audit/excerpt.json")).unwrap();
    // Carry the release's own row as its two hashes: the chain still reaches the head.
    let entries = excerpt["entries"].as_array_mut().unwrap();
    let i = entries.iter().position(|e| e.get("row").is_some()).unwrap();
    let r = &entries[i]["row"];
    let content = strongroom_core::audit_chain::RowContent {
        seq: r["seq"].as_i64().unwrap(),
        time: r["time"].as_str().unwrap().into(),
        operator: r["operator"].as_str().unwrap().into(),
        action: r["action"].as_str().unwrap().into(),
        object: r["object"].as_str().unwrap().into(),
        outcome: r["outcome"].as_str().unwrap().into(),
        details: r["details"].as_str().unwrap().into(),
    };
    entries[i] = serde_json::json!({"link": {"seq": content.seq,
        "object_hash": content.object_hash(), "body_hash": content.body_hash()}});
    put(
        &env,
        "rel.zip",
        "hidden.zip",
        &[("audit/excerpt.json", serde_json::to_vec(&excerpt).unwrap())],
    );
    env.run(&["verify", "hidden.zip"])
        .code(1)
        .stdout_has("shows only its hashes: the excerpt hides a row about what it claims to prove");
}

#[test]
fn a_malformed_key_uri_keeps_its_pin_out_of_the_log() {
    let env = Env::new();
    env.file("a.bin", b"a");
    let o = env.run(&[
        "sign",
        "--key",
        "pkcs11 :token=x;object=y?pin-value=98765432",
        "a.bin",
    ]);
    assert_ne!(o.code, 0);
    let log = env.run(&["audit", "export"]).ok().stdout;
    assert!(!log.contains("98765432"), "{log}");
}

/// A key passphrase that was not given at all is no guess: five runs without it locked the
/// operator out for 15 minutes. They are now failed acts, not failed logins; a wrong key
/// passphrase, a guess, still counts.
#[test]
fn a_missing_key_passphrase_is_not_a_failed_login() {
    let env = Env::new();
    env.key("k", "ed25519");
    env.file("app.bin", b"app");
    for _ in 0..6 {
        Out::from(
            env.cmd()
                .env_remove("STRONGROOM_PASSPHRASE")
                .args(["sign", "--key", "k", "--force", "app.bin"])
                .output()
                .unwrap(),
        )
        .code(4)
        .stderr_has("STRONGROOM_PASSPHRASE");
    }
    env.run(&["key", "list"]).ok();
    let failed = env
        .run(&[
            "audit",
            "list",
            "--json",
            "--action",
            "sign",
            "--outcome",
            "failed",
        ])
        .ok();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&failed.stdout).unwrap();
    assert_eq!(rows.len(), 6);
    let logins = env
        .run(&["audit", "list", "--json", "--action", "login.failed"])
        .ok();
    assert_eq!(logins.stdout.trim(), "[]");
    for _ in 0..5 {
        Out::from(
            env.cmd()
                .env("STRONGROOM_PASSPHRASE", "not-the-passphrase-1")
                .args(["sign", "--key", "k", "--force", "app.bin"])
                .output()
                .unwrap(),
        )
        .code(4);
    }
    env.run(&["key", "list"])
        .code(4)
        .stderr_has("failed to log in too often");
}

#[test]
fn failed_logins_are_throttled_and_a_disabled_account_answers_as_a_wrong_passphrase() {
    let env = Env::new();
    env.add_operator("bob", "auditor");
    let login = |pass: &str| {
        Out::from(
            env.bare_cmd()
                .env("STRONGROOM_OPERATOR", "bob")
                .env("STRONGROOM_OPERATOR_PASSPHRASE", pass)
                .args(["operator", "list"])
                .output()
                .unwrap(),
        )
    };
    for _ in 0..5 {
        login("not bob's passphrase")
            .code(4)
            .stderr_has("unknown operator, wrong passphrase or disabled account");
    }
    // The sixth try is refused without a check, even with the right passphrase.
    login(&op_passphrase("bob"))
        .code(4)
        .stderr_has("failed to log in too often");

    let env = Env::new();
    env.add_operator("carl", "auditor");
    env.run(&["operator", "disable", "carl"]).ok();
    let as_carl = |pass: &str| {
        Out::from(
            env.bare_cmd()
                .env("STRONGROOM_OPERATOR", "carl")
                .env("STRONGROOM_OPERATOR_PASSPHRASE", pass)
                .args(["operator", "list"])
                .output()
                .unwrap(),
        )
    };
    let right = as_carl(&op_passphrase("carl")).code(4);
    let wrong = as_carl("not carl's passphrase").code(4);
    assert_eq!(right.stderr.lines().next(), wrong.stderr.lines().next());
}

#[test]
fn junk_approvals_are_refused_before_they_are_read() {
    let env = mallory_station();
    // 65 more approvals (66 with the real one): more than any release has.
    let pem = std::fs::read(env.path("m-approve-1.pub")).unwrap();
    let mut many: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..65 {
        let hex = format!("{i:064x}");
        many.push((format!("approvals/{hex}.sigstore.json"), b"{}".to_vec()));
        many.push((format!("approvals/{hex}.pem"), pem.clone()));
    }
    let refs: Vec<(&str, Vec<u8>)> = many.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    put(&env, "rel.zip", "many.zip", &refs);
    env.run(&["verify", "many.zip"])
        .code(2)
        .stderr_has("approval count exceeded: 66 > 64");
    // Sixteen approvals of 4 MiB each (the attack used 63 MiB each, and took `verify` to
    // 2.4 GB): refused by size before any is read; the process stays small.
    let big: Vec<(String, Vec<u8>)> = (0..16u8)
        .flat_map(|i| {
            let hex = format!("{:064x}", u64::from(i) + 0xab);
            [
                (format!("approvals/{hex}.sigstore.json"), noise(4 << 20)),
                (format!("approvals/{hex}.pem"), pem.clone()),
            ]
        })
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = big.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    put(&env, "rel.zip", "big.zip", &refs);
    let mut c = env.cmd();
    c.args(["verify", "big.zip"]);
    let (o, kib) = with_peak_rss(&c);
    o.code(2).stderr_has("approval size exceeded");
    assert!(kib < 256 << 10, "peak RSS {kib} KiB");
}

/// Bytes that do not compress (so a zip's ratio limit does not refuse them first).
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// `key rotate --carry-trust` of an approver key without the quorum's consent made the new key
/// and wrote a rotation statement signed by the old key before the act was refused, leaving a
/// vouched-for successor the station never rotated to. The consent is checked first now:
/// nothing is made, signed or written; with the cosigner the rotation goes through.
#[test]
fn attack_a_rotation_that_carries_approver_trust_without_the_quorum() {
    let env = two_custodians();
    let k = env.key_for("appr", "ed25519", "approver");
    env.run_consented(
        ADMIN,
        "carol",
        &[
            "trust",
            "add",
            k.to_str().unwrap(),
            "--name",
            "appr",
            "--purpose",
            "approver",
            "--holder",
            ADMIN,
        ],
    )
    .ok();
    std::fs::create_dir(env.path("rot")).unwrap();
    let rotate = |cmd: std::process::Command| {
        Out::from({
            let mut cmd = cmd;
            cmd.env("STRONGROOM_NEW_PASSPHRASE", PASSPHRASE)
                .args([
                    "key",
                    "rotate",
                    "appr",
                    "--label",
                    "appr-2",
                    "-o",
                    "rot",
                    "--carry-trust",
                ])
                .output()
                .unwrap()
        })
    };
    rotate(env.cmd())
        .code(8)
        .stderr_has("needs the consent of 2 distinct custodians");
    env.run(&["key", "show", "appr-2"]).code(3);
    assert_eq!(std::fs::read_dir(env.path("rot")).unwrap().count(), 0);
    env.run(&["key", "show", "appr"]).ok().stdout_has("active");
    let mut with_carol = env.cmd();
    with_carol
        .env("STRONGROOM_COSIGNER_PASSPHRASE", op_passphrase("carol"))
        .args(["--cosigner", "carol"]);
    rotate(with_carol)
        .ok()
        .stdout_has("trusted appr-2 as appr was: purpose approver");
}

/// `verify --report home/strongroom.db` replaced the station's database with an HTML page, and
/// `audit export -o`, `sbom -o` and `sign -o` wrote into the data directory too: whoever runs a
/// command could destroy the station or plant files in it. Every output a person names is now
/// refused there (exit 2), whether or not the command opens the station, and nothing changes.
#[test]
fn attack_outputs_aimed_at_the_station_itself_are_refused() {
    let env = Env::new();
    env.audit_key();
    env.signer("rel", "ed25519");
    env.file("a.bin", b"a");
    env.dev_release("rel", "t.zip", &["a.bin"]).ok();
    let home = env.home.path();
    let db = home.join("strongroom.db");
    let (db_s, home_s) = (db.to_str().unwrap(), home.to_str().unwrap());
    let keys = home.join("keys");
    let inside = |o: Out| o.code(2).stderr_has("inside the station's data directory");
    inside(env.run(&["verify", "t.zip", "--report", db_s]));
    inside(env.run(&["audit", "export", "-o", db_s]));
    inside(env.run(&["sbom", "a.bin", "-o", &format!("{home_s}/a.spdx.json")]));
    inside(env.run(&[
        "sign",
        "--key",
        "rel",
        "-o",
        keys.to_str().unwrap(),
        "a.bin",
    ]));
    // Still the database (refused acts add audit rows; nothing else touched it).
    assert!(std::fs::read(&db)
        .unwrap()
        .starts_with(b"SQLite format 3\0"));
    assert!(!home.join("a.spdx.json").exists());
    assert!(!keys.join("a.bin.sigstore.json").exists());
    env.run(&["audit", "verify"]).ok();
    // Elsewhere they still write.
    env.run(&["verify", "t.zip", "--report", "r.html"]).ok();
    env.run(&["audit", "export", "-o", "audit.jsonl"]).ok();
}
