//! The trust store from the CLI: add (purpose, holder), list, revoke, policy and data; a trust
//! package exported by one station and imported by another; refusal of packages that are
//! unsigned, signed by a key the station does not trust as a custodian, tampered with, older
//! than the last import, or signed by fewer custodians than the threshold in force; and the
//! audit rows every change leaves. securesystemslib checks the package's signatures
//! independently, and a token key can sign it.

mod common;

use common::*;

/// A public key made by openssl (no station involved): `NAME.pub`.
fn openssl_pub(env: &Env, name: &str) -> String {
    let key = format!("{name}.key");
    let public = format!("{name}.pub");
    let cwd = env.work.path();
    external(
        "openssl",
        &["genpkey", "-algorithm", "ed25519", "-out", &key],
        cwd,
    )
    .ok();
    external(
        "openssl",
        &["pkey", "-in", &key, "-pubout", "-out", &public],
        cwd,
    )
    .ok();
    public
}

fn json(out: Out) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn audit_actions(env: &Env) -> Vec<(String, String)> {
    json(env.run(&["audit", "list", "--json"]).ok())
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"].as_str().unwrap().starts_with("trust."))
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const ACME_REGO: &str = r#"package acme.release

import rego.v1

deny contains msg if {
    endswith(input.release.version, "-dirty")
    msg := sprintf("release %s is built from a dirty tree", [input.release.version])
}
"#;

/// Station A: a custodian key (in its inventory, held by ADMIN), a production signer trusted for
/// a window, an approver revoked, a policy module and data.
fn issuer() -> Env {
    let a = Env::new();
    let custodian = a.key_for("custodian", "ecdsa-p256", "custodian");
    let signer = openssl_pub(&a, "release");
    let approver = openssl_pub(&a, "approver");
    a.run(&[
        "trust",
        "add",
        custodian.to_str().unwrap(),
        "--name",
        "acme-custodian",
        "--purpose",
        "custodian",
        "--holder",
        ADMIN,
    ])
    .ok()
    .stdout_has("held by admin, to sign trust packages for every stage");
    a.run(&[
        "trust",
        "add",
        &signer,
        "--name",
        "acme-release",
        "--holder",
        "alice",
        "--stages",
        "production,staging",
        "--not-before",
        "2026-01-01T00:00:00Z",
        "--not-after",
        "2036-01-01T00:00:00+01:00",
    ])
    .ok();
    a.run(&[
        "trust",
        "add",
        &approver,
        "--name",
        "bob",
        "--purpose",
        "approver",
        "--holder",
        "bob",
    ])
    .ok();
    a.run(&[
        "trust",
        "revoke",
        "bob",
        "--at",
        "2026-06-01T12:00:00Z",
        "--reason",
        "laptop stolen",
    ])
    .ok()
    .stdout_has("revoked \"bob\"");
    a.file("acme.rego", ACME_REGO.as_bytes());
    a.run(&["trust", "policy", "add", "acme.rego"])
        .ok()
        .stdout_has("policy modules: acme.rego");
    a.file(
        "data.json",
        br#"{"allowed_builders": ["https://ci.acme.example/builder@v2"], "min_approvers": {"production": 3}}"#,
    );
    a.run(&["trust", "data", "data.json"]).ok();
    a
}

/// The parts of `trust list --json` that travel in a package (not the local state column).
fn portable(list: &serde_json::Value) -> serde_json::Value {
    let mut l = list.clone();
    for k in l["keys"].as_array_mut().unwrap() {
        k.as_object_mut().unwrap().remove("state");
    }
    l
}

#[test]
fn a_package_moves_trust_between_two_stations() {
    let a = issuer();
    let list_a = json(a.run(&["trust", "list", "--json"]).ok());
    let keys = list_a["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    let release = &keys[1];
    assert_eq!(release["name"], "acme-release");
    assert_eq!(release["purpose"], "signer");
    assert_eq!(release["holder"], "alice");
    assert_eq!(
        release["stages"],
        serde_json::json!(["staging", "production"])
    );
    assert_eq!(release["not_before"], "2026-01-01T00:00:00Z");
    assert_eq!(
        release["not_after"], "2035-12-31T23:00:00Z",
        "stored in UTC"
    );
    assert_eq!(release["state"], "active");
    assert_eq!(release["added_by"], ADMIN);
    assert_eq!(keys[2]["state"], "revoked");
    assert_eq!(keys[2]["revocation_reason"], "laptop stolen");
    assert_eq!(
        list_a["revocations"][0]["revoked_at"],
        "2026-06-01T12:00:00Z"
    );
    assert_eq!(list_a["policy_modules"], serde_json::json!(["acme.rego"]));
    assert_eq!(list_a["policy_data"]["min_approvers"]["production"], 3);
    let text = a.run(&["trust", "list"]).ok();
    assert!(text.stdout.contains("acme-release") && text.stdout.contains("revoked: bob"));
    // Columns line up, and a key valid at any time says so (it showed `..`).
    assert!(!text.stdout.contains(".."), "{}", text.stdout);
    assert!(text.stdout.contains("always"), "{}", text.stdout);
    let lines: Vec<&str> = text
        .stdout
        .lines()
        .take_while(|l| !l.starts_with("revoked"))
        .collect();
    let key_col = lines[0].find("KEY ID").unwrap();
    for l in &lines[1..] {
        assert!(
            l.len() > key_col && l.as_bytes()[key_col - 1] == b' ',
            "{l}\n{}",
            text.stdout
        );
    }

    let out = a
        .run(&[
            "trust",
            "export",
            "--key",
            "custodian",
            "-o",
            "acme-trust.json",
        ])
        .ok();
    assert!(!out.stderr.contains("note"), "{}", out.stderr);
    let package = a.path("acme-trust.json");
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&package).unwrap()).unwrap();
    assert_eq!(
        envelope["payloadType"],
        "application/vnd.strongroom.trust.v2+json"
    );
    // An independent DSSE verifier (securesystemslib) accepts it with the public key alone.
    python(
        "dsse_verify.py",
        &[
            "--envelope",
            package.to_str().unwrap(),
            "--key",
            a.path("custodian.pub").to_str().unwrap(),
        ],
        a.work.path(),
    )
    .ok()
    .stdout_has("OK");
    // Exporting again refuses to replace the file without --force.
    a.run(&[
        "trust",
        "export",
        "--key",
        "custodian",
        "-o",
        "acme-trust.json",
    ])
    .code(2)
    .stderr_has("already exists");

    // Station B: with no custodian, the import is refused with the bootstrap remedy.
    let b = Env::new();
    std::fs::copy(&package, b.path("acme-trust.json")).unwrap();
    std::fs::copy(a.path("custodian.pub"), b.path("issuer.pub")).unwrap();
    b.run(&["trust", "import", "acme-trust.json"])
        .code(1)
        .stderr_has("trusts no active custodian key")
        .stderr_has(
            "add the issuers' keys first with `strongroom trust add ISSUER.pem --name NAME --purpose custodian --holder PERSON`",
        );

    b.trust(&b.path("issuer.pub"), "issuer", "custodian", ADMIN, &[]);
    let out = b
        .run(&["trust", "import", "acme-trust.json", "--json"])
        .ok();
    let imported: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(imported["issuer"], ADMIN);
    assert_eq!(imported["holders"], serde_json::json!([ADMIN]));
    assert_eq!(imported["keys"], 3);
    assert_eq!(imported["threshold"], 1);
    let list_b = json(b.run(&["trust", "list", "--json"]).ok());
    assert_eq!(portable(&list_b), portable(&list_a));

    // The same package again is fine (idempotent); the text names the package's digest, its
    // issuer and who signed it, with which key (so a person can compare them out of band).
    let custodian_id = json(b.run(&["key", "fingerprint", "issuer.pub", "--json"]).ok())["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.run(&["trust", "import", "acme-trust.json"])
        .ok()
        .stdout_has(&format!(
            "(sha256:{})",
            imported["sha256"].as_str().unwrap()
        ))
        .stdout_has(&format!(
            "issued {} by \"{ADMIN}\"",
            imported["issued_at"].as_str().unwrap()
        ))
        .stdout_has(&format!(
            "signed by 1 custodian ({ADMIN}) with key: {custodian_id}"
        ));
    assert_eq!(
        audit_actions(&b),
        pairs(&[
            ("trust.import", "failed"),
            ("trust.add", "ok"),
            ("trust.import", "ok"),
            ("trust.import", "ok"),
        ])
    );
    assert_eq!(
        audit_actions(&a),
        pairs(&[
            ("trust.add", "ok"),
            ("trust.add", "ok"),
            ("trust.add", "ok"),
            ("trust.revoke", "ok"),
            ("trust.policy.add", "ok"),
            ("trust.data.set", "ok"),
            ("trust.export", "ok"),
            ("trust.export", "failed"),
        ])
    );
    let rows = json(
        b.run(&["audit", "list", "--json", "--action", "trust.import"])
            .ok(),
    );
    let ok = &rows.as_array().unwrap()[1];
    assert_eq!(
        ok["object"].as_str().unwrap().len(),
        64,
        "the package's sha256"
    );
    assert_eq!(ok["details"]["issuer"], ADMIN);
}

#[test]
fn untrusted_unsigned_tampered_and_stale_packages_are_refused() {
    let a = issuer();
    a.run(&["trust", "export", "--key", "custodian", "-o", "pkg.json"])
        .ok();
    let pkg = std::fs::read(a.path("pkg.json")).unwrap();
    let signer_id = json(a.run(&["key", "show", "custodian", "--json"]).ok())["key_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let b = Env::new();
    let stranger = openssl_pub(&b, "stranger");
    b.trust(&b.path(&stranger), "stranger", "custodian", "stranger", &[]);
    let before = json(b.run(&["trust", "list", "--json"]).ok());
    let unchanged = |b: &Env| {
        assert_eq!(json(b.run(&["trust", "list", "--json"]).ok()), before);
    };

    // Signed by a key this station does not trust: refused, naming the key.
    b.file("pkg.json", &pkg);
    b.run(&["trust", "import", "pkg.json"])
        .code(1)
        .stderr_has(&format!("key {signer_id} is not trusted here"))
        .stderr_has("hint: if you trust its issuers, add their custodian keys first");
    unchanged(&b);

    // Trusted, but not as a custodian.
    std::fs::copy(a.path("custodian.pub"), b.path("issuer.pub")).unwrap();
    b.trust(&b.path("issuer.pub"), "issuer", "signer", ADMIN, &[]);
    let before_signer = json(b.run(&["trust", "list", "--json"]).ok());
    b.run(&["trust", "import", "pkg.json"])
        .code(1)
        .stderr_has("is a signer key, not a custodian key");
    assert_eq!(
        json(b.run(&["trust", "list", "--json"]).ok()),
        before_signer
    );

    // A trusted custodian, but the package was altered after signing.
    let c = Env::new();
    std::fs::copy(a.path("custodian.pub"), c.path("issuer.pub")).unwrap();
    c.trust(&c.path("issuer.pub"), "issuer", "custodian", ADMIN, &[]);
    let mut envelope: serde_json::Value = serde_json::from_slice(&pkg).unwrap();
    let payload = b64(envelope["payload"].as_str().unwrap());
    let text = String::from_utf8(payload)
        .unwrap()
        .replace("\"purpose\":\"approver\"", "\"purpose\":\"custodian\"");
    assert!(text.contains("\"holder\":\"bob\"") && !text.contains("\"purpose\":\"approver\""));
    envelope["payload"] = b64e(text.as_bytes()).into();
    c.write_json("tampered.json", &envelope);
    std::fs::copy(a.path("custodian.pub"), c.path("custodian.pub")).unwrap();
    python(
        "dsse_verify.py",
        &["--envelope", "tampered.json", "--key", "custodian.pub"],
        c.work.path(),
    )
    .code(1);
    let o = c
        .run(&["trust", "import", "tampered.json"])
        .code(1)
        .stderr_has(&format!("the signature by key {signer_id} does not verify"));
    // Said once (the path's error named its cause, and the cause was printed again).
    assert_eq!(
        o.stderr.matches("does not verify").count(),
        1,
        "{}",
        o.stderr
    );

    // Unsigned: the bare payload, or the bundle with its signature removed.
    c.file("payload.json", text.as_bytes());
    c.run(&["trust", "import", "payload.json"])
        .code(2)
        .stderr_has("not a trust package");
    let mut unsigned: serde_json::Value = serde_json::from_slice(&pkg).unwrap();
    unsigned["signatures"] = serde_json::json!([]);
    c.write_json("unsigned.json", &unsigned);
    c.run(&["trust", "import", "unsigned.json"])
        .code(2)
        .stderr_has("not a trust package");
    assert_eq!(
        json(c.run(&["trust", "list", "--json"]).ok())["keys"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing was imported"
    );

    // A newer package, then the older one: the older is refused (it could undo a revocation).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    a.run(&["trust", "export", "--key", "custodian", "-o", "newer.json"])
        .ok();
    std::fs::copy(a.path("newer.json"), c.path("newer.json")).unwrap();
    c.run(&["trust", "import", "newer.json"]).ok();
    c.file("pkg.json", &pkg);
    c.run(&["trust", "import", "pkg.json"])
        .code(1)
        .stderr_has("before the one imported last");

    let failed: Vec<_> = audit_actions(&c)
        .into_iter()
        .filter(|(a, o)| a == "trust.import" && o == "failed")
        .collect();
    assert_eq!(failed.len(), 4, "every refusal is recorded");
}

#[test]
fn revocations_survive_an_import_that_lacks_them() {
    let a = issuer();
    a.run(&["trust", "export", "--key", "custodian", "-o", "pkg.json"])
        .ok();
    let b = Env::new();
    std::fs::copy(a.path("custodian.pub"), b.path("issuer.pub")).unwrap();
    std::fs::copy(a.path("pkg.json"), b.path("pkg.json")).unwrap();
    b.trust(&b.path("issuer.pub"), "issuer", "custodian", ADMIN, &[]);
    b.run(&["trust", "import", "pkg.json"]).ok();
    // B revokes the release key locally; a re-import of the same package does not undo that.
    b.run(&[
        "trust",
        "revoke",
        "acme-release",
        "--reason",
        "local incident",
    ])
    .ok();
    let out = b.run(&["trust", "import", "pkg.json", "--json"]).ok();
    assert_eq!(json(out)["kept_revocations"], 1);
    let list = json(b.run(&["trust", "list", "--json"]).ok());
    let release = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "acme-release")
        .unwrap();
    assert_eq!(release["state"], "revoked");
    assert_eq!(release["revocation_reason"], "local incident");
}

#[test]
fn bad_requests_are_refused_with_a_reason() {
    let env = Env::new();
    let k = openssl_pub(&env, "k");
    let other = openssl_pub(&env, "other");
    let add = |args: &[&str]| {
        let mut all = vec!["trust", "add"];
        all.extend_from_slice(args);
        all.extend(["--holder", "someone"]);
        env.run(&all)
    };
    add(&[&k, "--name", "k"]).ok();
    // Same name, same key: conflict (exit 5).
    add(&[&other, "--name", "k"])
        .code(5)
        .stderr_has("already holds a key named \"k\"");
    add(&[&k, "--name", "k2"])
        .code(5)
        .stderr_has("already holds this key, as \"k\"");
    // Unknown stage or purpose, bad holder, bad times, an empty window, a non-key file.
    add(&[&other, "--name", "o", "--stages", "prod"])
        .code(2)
        .stderr_has("unknown stage \"prod\"")
        .stderr_has("hint: stages are dev, test, staging and production");
    add(&[&other, "--name", "o", "--purpose", "admin"])
        .code(2)
        .stderr_has("unknown purpose \"admin\"");
    add(&[&other, "--name", "o", "--purpose", "signer,approver"])
        .code(2)
        .stderr_has("unknown purpose");
    env.run(&[
        "trust",
        "add",
        &other,
        "--name",
        "o",
        "--holder",
        "two words",
    ])
    .code(2)
    .stderr_has("invalid holder");
    env.run(&["trust", "add", &other, "--name", "o"])
        .code(2)
        .stderr_has("--holder");
    add(&[&other, "--name", "o", "--not-after", "tomorrow"])
        .code(2)
        .stderr_has("not an RFC 3339 time");
    add(&[
        &other,
        "--name",
        "o",
        "--not-before",
        "2027-01-01T00:00:00Z",
        "--not-after",
        "2026-01-01T00:00:00Z",
    ])
    .code(2)
    .stderr_has("would never be valid");
    env.file("notakey.pem", b"hello");
    add(&["notakey.pem", "--name", "o"]).code(2);
    add(&["missing.pem", "--name", "o"]).code(3);

    // Revocation: unknown key, twice, then moved earlier.
    env.run(&["trust", "revoke", "nobody"])
        .code(3)
        .stderr_has("no trusted key \"nobody\"");
    env.run(&["trust", "revoke", "K"])
        .code(3)
        .stderr_has("did you mean \"k\"?");
    env.run(&["trust", "revoke", "k", "--at", "2026-05-01T00:00:00Z"])
        .ok();
    env.run(&["trust", "revoke", "k", "--at", "2026-06-01T00:00:00Z"])
        .code(5)
        .stderr_has("already revoked as of 2026-05-01T00:00:00Z");
    let key_id = json(env.run(&["trust", "list", "--json"]).ok())["keys"][0]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.run(&[
        "trust",
        "revoke",
        &key_id,
        "--at",
        "2026-04-01T00:00:00Z",
        "--reason",
        "earlier",
    ])
    .ok();
    let list = json(env.run(&["trust", "list", "--json"]).ok());
    assert_eq!(list["keys"][0]["revoked_at"], "2026-04-01T00:00:00Z");
    assert_eq!(list["revocations"].as_array().unwrap().len(), 2);

    // Policy modules: a syntax error names the file and line; the reserved namespace is refused.
    env.file("broken.rego", b"package acme.x\n\nimport rego.v1\n\ndeny contains msg if {\n    msg := concat(\",\", [input.a)\n}\n");
    env.run(&["trust", "policy", "add", "broken.rego"])
        .code(2)
        .stderr_has("broken.rego:6:")
        .stderr_has("Rego syntax error");
    env.file(
        "sneaky.rego",
        b"package strongroom.production\n\nwarn contains \"x\" if true\n",
    );
    env.run(&["trust", "policy", "add", "sneaky.rego"])
        .code(2)
        .stderr_has("reserved");
    env.file("ok.rego", ACME_REGO.as_bytes());
    env.run(&["trust", "policy", "add", "ok.rego"]).ok();
    env.run(&["trust", "policy", "remove", "nope.rego"]).code(3);
    env.run(&["trust", "policy", "remove", "ok.rego"])
        .ok()
        .stdout_has("policy modules: (none)");
    env.file("list.json", b"[1, 2]");
    env.run(&["trust", "data", "list.json"])
        .code(2)
        .stderr_has("must be a JSON object");

    let actions = audit_actions(&env);
    assert!(actions.contains(&("trust.policy.add".into(), "failed".into())));
    assert!(actions.contains(&("trust.revoke".into(), "failed".into())));
    assert!(actions.contains(&("trust.add".into(), "failed".into())));
}

#[test]
fn a_token_custodian_key_signs_the_package() {
    use strongroom_hsm::testing::{TestToken, USER_PIN};
    // The CLI children inherit SOFTHSM2_CONF from this process.
    let _token = TestToken::new("trust-hsm");
    let a = Env::new();
    let hsm = |env: &Env, args: &[&str]| {
        let o = env
            .cmd()
            .env("STRONGROOM_PIN", USER_PIN)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    hsm(
        &a,
        &[
            "key",
            "generate",
            "--token",
            "trust-hsm",
            "--algorithm",
            "ecdsa-p384",
            "--label",
            "hsm-custodian",
            "--purpose",
            "custodian",
        ],
    );
    a.run(&["key", "export", "hsm-custodian", "-o", "hsm.pub"])
        .ok();
    a.trust(&a.path("hsm.pub"), "hsm-custodian", "custodian", ADMIN, &[]);
    hsm(
        &a,
        &[
            "trust",
            "export",
            "--key",
            "hsm-custodian",
            "-o",
            "pkg.json",
        ],
    );

    let b = Env::new();
    std::fs::copy(a.path("hsm.pub"), b.path("hsm.pub")).unwrap();
    std::fs::copy(a.path("pkg.json"), b.path("pkg.json")).unwrap();
    b.trust(&b.path("hsm.pub"), "acme-hsm", "custodian", ADMIN, &[]);
    let out = json(b.run(&["trust", "import", "pkg.json", "--json"]).ok());
    assert_eq!(out["holders"], serde_json::json!([ADMIN]));
    assert_eq!(
        json(b.run(&["trust", "list", "--json"]).ok())["keys"][0]["name"],
        "hsm-custodian"
    );
}
