//! The audit trail from the CLI: acts are recorded with the operator, failures too (a wrong
//! passphrase is a login failure), secrets never reach the log, and `audit verify` catches a row
//! edited with the plain sqlite3 shell.

mod common;

use common::*;

fn rows(env: &Env) -> Vec<serde_json::Value> {
    let out = env.run(&["audit", "list", "--json"]).ok();
    serde_json::from_str::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn acts_and_failures_are_recorded_and_tampering_is_caught() {
    let env = Env::new();
    env.run(&[
        "--operator",
        "alice",
        "key",
        "generate",
        "--algorithm",
        "ecdsa-p256",
        "--label",
        "k",
    ])
    .ok();
    let f = env.file("app.bin", b"app");
    env.run(&["--operator", "alice", "sign", "--key", "k", "app.bin"])
        .ok();
    let out = env
        .cmd()
        .env("STRONGROOM_PASSPHRASE", "Hunter2-not-it")
        .args([
            "--operator",
            "bob",
            "sign",
            "--key",
            "k",
            "--force",
            "app.bin",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    env.run(&["--operator", "alice", "key", "export", "k", "-o", "k.pub"])
        .ok();
    // A URI carrying a PIN, on a token that does not exist: the failure is logged, the PIN is not.
    env.run(&[
        "sign",
        "--key",
        "pkcs11:token=nope;object=x?pin-value=424242",
        "--allow-pin-in-uri",
        "--force",
        "app.bin",
    ]);
    let _ = f;

    let rows = rows(&env);
    let actions: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["operator"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(actions[0], ("alice", "key.generate", "ok"));
    assert_eq!(actions[1], ("alice", "sign", "ok"));
    assert_eq!(actions[2], ("bob", "login.failed", "denied"));
    assert_eq!(actions[3], ("alice", "key.export", "ok"));
    assert_eq!(actions[4].1, "sign");
    assert_eq!(actions[4].2, "failed");
    assert_eq!(
        rows[1]["details"]["artifacts"][0]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let export = env
        .run(&["audit", "export", "--format", "jsonl"])
        .ok()
        .stdout;
    assert_eq!(export.lines().count(), rows.len());
    assert!(!export.contains("424242"), "a PIN reached the audit log");
    assert!(
        !export.contains("Hunter2-not-it"),
        "a passphrase reached the audit log"
    );

    env.run(&["audit", "verify"])
        .ok()
        .stdout_has("intact: 5 rows");
    let db = env.home.path().join("strongroom.db");
    let o = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET operator = 'mallory' WHERE seq = 2;")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    env.run(&["audit", "verify"])
        .code(1)
        .stdout_has("row 2 was edited");
    let report: serde_json::Value =
        serde_json::from_str(&env.run(&["audit", "verify", "--json"]).code(1).stdout).unwrap();
    assert_eq!(report["problem"]["Edited"]["seq"], 2);
}
