//! Operator accounts from the CLI: claiming a station, logging in from the environment, a file
//! or nothing at all, refusals with exit code 8 that name the role and are logged, account
//! management, and verification with a key file that needs no account.

mod common;

use common::*;

fn audit_rows(env: &Env) -> Vec<serde_json::Value> {
    let out = env.run(&["audit", "list", "--json"]).ok();
    serde_json::from_str::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn an_unclaimed_station_refuses_with_a_remedy_but_key_file_verification_works() {
    // A signature made on a claimed station…
    let signer = Env::new();
    let public = signer.key("rel", "ecdsa-p256");
    signer.file("app.bin", b"app");
    signer.run(&["sign", "--key", "rel", "app.bin"]).ok();

    // …verifies on a fresh, unclaimed station with the public-key file, with no account.
    let env = Env::unclaimed();
    std::fs::copy(public, env.path("rel.pub")).unwrap();
    std::fs::copy(signer.path("app.bin"), env.path("app.bin")).unwrap();
    std::fs::copy(
        signer.path("app.bin.sigstore.json"),
        env.path("app.bin.sigstore.json"),
    )
    .unwrap();
    env.bare_cmd()
        .args(["verify", "--key", "rel.pub", "app.bin"])
        .output()
        .map(|o| assert_eq!(o.status.code(), Some(0), "{o:?}"))
        .unwrap();
    // Also on the claimed station itself, without logging in.
    signer
        .bare_cmd()
        .args(["verify", "--key", "rel.pub", "app.bin"])
        .output()
        .map(|o| assert_eq!(o.status.code(), Some(0), "{o:?}"))
        .unwrap();

    // A data directory without a station (a mistyped --home) is not made into a new, empty
    // station: every command but `operator init` names the path and exits 3.
    for args in [
        &["key", "list"][..],
        &["audit", "verify"],
        &["operator", "list"],
    ] {
        let o = env.bare_cmd().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(3), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("no station at"), "{err}");
        assert!(
            err.contains(&env.home.path().display().to_string()),
            "{err}"
        );
        assert!(err.contains("operator init"), "{err}");
    }
    assert!(!env.home.path().join("strongroom.db").exists());

    // An init that fails (too short a passphrase) leaves a station with no account yet.
    env.bare_cmd()
        .env("STRONGROOM_OPERATOR_PASSPHRASE", "short")
        .args(["operator", "init", "--name", "alice"])
        .output()
        .map(|o| assert_eq!(o.status.code(), Some(2), "{o:?}"))
        .unwrap();
    // Anything that needs a role says how to claim the station.
    for args in [
        &["key", "list"][..],
        &["audit", "verify"],
        &["operator", "list"],
    ] {
        let o = env.bare_cmd().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(8), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("no operator accounts"), "{err}");
        assert!(
            err.contains("strongroom operator init --name NAME"),
            "{err}"
        );
    }

    // Claim it from a passphrase file; a second init is refused.
    let pass = env.file("alice.pass", b"alice passphrase\n");
    env.bare_cmd()
        .args(["--operator-passphrase-file", pass.to_str().unwrap()])
        .args(["operator", "init", "--name", "alice"])
        .output()
        .map(|o| assert!(o.status.success(), "{o:?}"))
        .unwrap();
    let again = env
        .bare_cmd()
        .env("STRONGROOM_OPERATOR_PASSPHRASE", "another passphrase")
        .args(["operator", "init", "--name", "mallory"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has operators"));

    // alice is a custodian only; the refusals before the claim were recorded too.
    let out = env.run_as("alice", &["audit", "list", "--json"]).ok();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
    let actions: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["action"].as_str().unwrap(), r["object"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("access.denied", "key.list"),
            ("access.denied", "audit.verify"),
            ("access.denied", "operator.list"),
            ("operator.init", "alice"),
        ]
    );
    let out = env.run_as("alice", &["operator", "list", "--json"]).ok();
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "alice");
    assert_eq!(list[0]["roles"], serde_json::json!(["custodian"]));
}

#[test]
fn refusals_name_the_role_exit_8_and_are_logged() {
    let env = Env::new();
    env.key("k", "ecdsa-p256");
    env.file("app.bin", b"app");
    env.add_operator("bob", "approver");
    let out = env
        .run_as("bob", &["sign", "--key", "k", "app.bin"])
        .code(8);
    assert!(out
        .stderr
        .contains("operator \"bob\" (roles: approver) may not perform \"sign\": it needs the role release-officer"),
        "{}", out.stderr);
    assert!(out
        .stderr
        .contains("hint: run it as an operator holding the role"));
    assert!(!env.path("app.bin.sigstore.json").exists());
    env.run_as(
        "bob",
        &["key", "generate", "--algorithm", "ed25519", "--label", "x"],
    )
    .code(8)
    .stderr_has("custodian");
    // Reading the key list is for any role.
    env.run_as("bob", &["key", "list"]).ok().stdout_has("k ");

    // A wrong passphrase, and none at all (no terminal): exit 4, nothing done.
    env.cmd_as("bob")
        .env("STRONGROOM_OPERATOR_PASSPHRASE", "not bob's")
        .args(["key", "list"])
        .output()
        .map(|o| {
            assert_eq!(o.status.code(), Some(4));
            assert!(String::from_utf8_lossy(&o.stderr)
                .contains("unknown operator, wrong passphrase or disabled account"));
        })
        .unwrap();
    let o = env
        .bare_cmd()
        .env("STRONGROOM_OPERATOR", "bob")
        .args(["key", "list"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("STRONGROOM_OPERATOR_PASSPHRASE"));

    let rows = audit_rows(&env);
    let denied: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r["action"] == "access.denied")
        .map(|r| {
            (
                r["operator"].as_str().unwrap(),
                r["object"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(denied, [("bob", "sign"), ("bob", "key.generate")]);
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| r["action"] == "login.failed")
        .map(|r| r["details"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["wrong passphrase"]);
}

#[test]
fn operator_accounts_are_managed_and_every_change_is_logged() {
    let env = Env::new();
    env.add_operator("carol", "approver");
    let list = env.run(&["operator", "list"]).ok().stdout;
    assert!(list.contains("carol"), "{list}");
    // A mistyped name gets the nearest account (it said only `no operator "caorl"`).
    env.run(&["operator", "grant", "caorl", "auditor"])
        .code(3)
        .stderr_has("no operator \"caorl\"; did you mean \"carol\"?");
    env.run(&["operator", "grant", "carol", "auditor,approver"])
        .ok()
        .stdout_has("roles approver,auditor");
    env.run(&["operator", "revoke", "carol", "approver"])
        .ok()
        .stdout_has("roles auditor");
    env.run_as("carol", &["audit", "verify"]).ok();
    // carol cannot manage accounts.
    env.run_as("carol", &["operator", "disable", "admin"])
        .code(8);
    // carol changes her own passphrase; the old one then fails.
    env.cmd_as("carol")
        .env("STRONGROOM_NEW_OPERATOR_PASSPHRASE", "carol's second one")
        .args(["operator", "passwd"])
        .output()
        .map(|o| assert!(o.status.success(), "{o:?}"))
        .unwrap();
    env.run_as("carol", &["operator", "list"]).code(4);
    env.cmd_as("carol")
        .env("STRONGROOM_OPERATOR_PASSPHRASE", "carol's second one")
        .args(["operator", "list"])
        .output()
        .map(|o| assert!(o.status.success(), "{o:?}"))
        .unwrap();
    // Disabled accounts cannot log in; the last custodian stays.
    env.run(&["operator", "disable", "carol"])
        .ok()
        .stdout_has("(disabled)");
    env.cmd_as("carol")
        .env("STRONGROOM_OPERATOR_PASSPHRASE", "carol's second one")
        .args(["operator", "list"])
        .output()
        .map(|o| {
            assert_eq!(o.status.code(), Some(4));
            assert!(String::from_utf8_lossy(&o.stderr).contains("disabled"));
        })
        .unwrap();
    env.run(&["operator", "disable", "admin"])
        .code(5)
        .stderr_has("without an enabled custodian");
    env.run(&["operator", "enable", "carol"]).ok();
    env.run(&["operator", "add", "dave", "--roles", "boss"])
        .code(2)
        .stderr_has("unknown role \"boss\"");

    let rows = audit_rows(&env);
    let changes: Vec<String> = rows
        .iter()
        .filter(|r| r["action"].as_str().unwrap().starts_with("operator.") && r["outcome"] == "ok")
        .map(|r| {
            format!(
                "{} {} {}",
                r["operator"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["object"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            "admin operator.init admin",
            "admin operator.add carol",
            "admin operator.grant carol",
            "admin operator.revoke carol",
            "carol operator.passwd carol",
            "admin operator.disable carol",
            "admin operator.enable carol",
        ]
    );
    // No passphrase or hash ever reaches the log or the listing.
    let export = env.run(&["audit", "export"]).ok().stdout;
    let listing = env.run(&["operator", "list", "--json"]).ok().stdout;
    for text in [&export, &listing] {
        assert!(!text.contains("carol's second one") && !text.contains("$argon2id$"));
    }
}
