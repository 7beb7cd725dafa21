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
    env.add_operator("alice", "custodian,release-officer");
    env.add_operator("bob", "release-officer");
    env.run_as(
        "alice",
        &[
            "key",
            "generate",
            "--algorithm",
            "ecdsa-p256",
            "--label",
            "k",
        ],
    )
    .ok();
    let f = env.file("app.bin", b"app");
    env.run_as("alice", &["sign", "--key", "k", "app.bin"]).ok();
    let out = env
        .cmd_as("bob")
        .env("STRONGROOM_PASSPHRASE", "Hunter2-not-it")
        .args(["sign", "--key", "k", "--force", "app.bin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    env.run_as("alice", &["key", "export", "k", "-o", "k.pub"])
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
    let setup: Vec<&str> = rows[..3]
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(setup, ["operator.init", "operator.add", "operator.add"]);
    let rows = &rows[3..];
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
    // The intent is recorded before the signature exists, the signing after.
    assert_eq!(actions[1], ("alice", "sign.intent", "ok"));
    assert_eq!(rows[1]["details"]["files"], 1, "{}", rows[1]);
    assert_eq!(actions[2], ("alice", "sign", "ok"));
    assert_eq!(actions[3], ("bob", "login.failed", "denied"));
    // The login failure names the act it interrupted.
    assert_eq!(rows[3]["details"]["while"], "sign", "{}", rows[3]);
    assert_eq!(actions[4], ("alice", "key.export", "ok"));
    assert_eq!(actions[5], (ADMIN, "sign", "failed"));
    assert_eq!(
        rows[2]["details"]["artifacts"][0]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let export = env
        .run(&["audit", "export", "--format", "jsonl"])
        .ok()
        .stdout;
    assert_eq!(export.lines().count(), rows.len() + 3);
    assert!(!export.contains("424242"), "a PIN reached the audit log");
    assert!(
        !export.contains("Hunter2-not-it"),
        "a passphrase reached the audit log"
    );

    env.run(&["audit", "verify"])
        .ok()
        .stdout_has("intact: 9 rows");
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

/// Every row as stored, via the plain sqlite3 shell.
fn stored_rows(env: &Env) -> Vec<strongroom_core::audit_chain::RowContent> {
    let db = env.home.path().join("strongroom.db");
    let o = std::process::Command::new("sqlite3")
        .arg("-json")
        .arg(&db)
        .arg("SELECT seq, time, operator, action, object, outcome, details FROM audit_log ORDER BY seq")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn sqlite(env: &Env, sql: &str) {
    let o = std::process::Command::new("sqlite3")
        .arg(env.home.path().join("strongroom.db"))
        .arg(sql)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A station whose audit key is `audit` (Ed25519), with `app.bin` and `other.bin` signed, one
/// more act, and a checkpoint.
fn checkpointed() -> Env {
    let env = Env::new();
    env.key_for("audit", "ed25519", "audit");
    env.key("rel", "ecdsa-p256");
    env.run(&["audit", "key", "set", "audit"]).ok();
    env.file("app.bin", b"app");
    env.file("other.bin", b"other");
    env.run(&["sign", "--key", "rel", "app.bin"]).ok();
    env.run(&["sign", "--key", "rel", "other.bin"]).ok();
    // `env.key` exported rel.pub already.
    env.run(&["audit", "checkpoint"])
        .ok()
        .stdout_has("checkpoint 1: row ");
    env
}

#[test]
fn a_checkpoint_catches_a_history_rewritten_consistently() {
    let env = checkpointed();
    env.run(&["key", "export", "rel", "-o", "rel2.pub"]).ok();
    env.run(&["audit", "verify"])
        .ok()
        .stdout_has("1 checkpoint verified");
    env.run(&["audit", "verify", "--key", "audit.pub"]).ok();
    env.run(&["audit", "verify", "--key", "rel.pub"])
        .code(1)
        .stdout_has("not by the expected key");

    // Rewrite history: row 2 gets another operator, and every hash after it is recomputed, so
    // the chain itself is consistent again. Only the signed checkpoint can tell.
    let mut rows = stored_rows(&env);
    rows[1].operator = "mallory".into();
    let mut sql = String::from("DROP TRIGGER audit_log_no_update;\n");
    let mut prev = strongroom_core::audit_chain::GENESIS.to_owned();
    for r in &rows {
        let hash = r.chain_hash(&prev);
        sql.push_str(&format!(
            "UPDATE audit_log SET operator = '{}', prev_hash = '{prev}', hash = '{hash}' WHERE seq = {};\n",
            r.operator, r.seq
        ));
        prev = hash;
    }
    sqlite(&env, &sql);
    let report: serde_json::Value =
        serde_json::from_str(&env.run(&["audit", "verify", "--json"]).code(1).stdout).unwrap();
    let problem = &report["problem"]["Checkpoint"];
    assert_eq!(problem["id"], 1, "{report}");
    assert!(
        problem["reason"]
            .as_str()
            .unwrap()
            .contains("the history up to row"),
        "{report}"
    );
    env.run(&["audit", "verify"])
        .code(1)
        .stdout_has("checkpoint 1 (of row");
}

#[test]
fn a_deleted_or_forged_checkpoint_is_caught() {
    let env = checkpointed();
    // Deleting the checkpoint leaves its audit row naming it.
    sqlite(
        &env,
        "DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints;",
    );
    env.run(&["audit", "verify"])
        .code(1)
        .stdout_has("no longer in the checkpoint table");
    // With a pinned key, a station with no checkpoint at all fails.
    let env = Env::new();
    env.key_for("audit", "ed25519", "audit");
    env.run(&["audit", "verify", "--key", "audit.pub"])
        .code(1)
        .stdout_has("no checkpoint is signed by the expected key");
}

#[test]
fn an_excerpt_proves_its_rows_with_the_audit_key_alone() {
    let env = checkpointed();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"app"));
    env.run(&["audit", "excerpt", &sha, "-o", "excerpt.json"])
        .ok();
    let excerpt = env.read_json("excerpt.json");
    let full: Vec<&serde_json::Value> = excerpt["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.get("row"))
        .collect();
    assert_eq!(full.len(), 1, "{excerpt}");
    assert_eq!(full[0]["action"], "sign");
    // `other.bin`'s sign row is carried as a hash only.
    assert!(excerpt["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e.get("link").is_some()));

    // Verified with nothing but the public key: no station, no account.
    let bare = Env::unclaimed();
    std::fs::copy(env.path("excerpt.json"), bare.path("excerpt.json")).unwrap();
    std::fs::copy(env.path("audit.pub"), bare.path("audit.pub")).unwrap();
    std::fs::copy(env.path("rel.pub"), bare.path("rel.pub")).unwrap();
    let run = |args: &[&str]| {
        let o = bare.bare_cmd().args(args).output().unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    };
    run(&[
        "audit",
        "verify-excerpt",
        "excerpt.json",
        "--key",
        "audit.pub",
    ])
    .ok()
    .stdout_has("VERIFIED: 1 rows");
    assert!(!bare.home.path().join("strongroom.db").exists());

    // The wrong key.
    run(&[
        "audit",
        "verify-excerpt",
        "excerpt.json",
        "--key",
        "rel.pub",
    ])
    .code(1)
    .stdout_has("does not verify with key");
    // A row altered.
    let mut bad = excerpt.clone();
    for e in bad["entries"].as_array_mut().unwrap() {
        if let Some(r) = e.get_mut("row") {
            r["operator"] = "mallory".into();
        }
    }
    bare.write_json("altered.json", &bad);
    run(&[
        "audit",
        "verify-excerpt",
        "altered.json",
        "--key",
        "audit.pub",
    ])
    .code(1)
    .stdout_has("do not lead to the signed head");
    // A row dropped.
    let mut bad = excerpt.clone();
    bad["entries"].as_array_mut().unwrap().remove(1);
    bare.write_json("dropped.json", &bad);
    run(&[
        "audit",
        "verify-excerpt",
        "dropped.json",
        "--key",
        "audit.pub",
    ])
    .code(1)
    .stdout_has("a row was dropped or inserted");

    // The documented hash chain, recomputed by an independent implementation (Python's
    // hashlib and json, as docs/audit.md shows), reaches the head the checkpoint signed.
    let script = r#"
import base64, hashlib, json, sys
ex = json.load(open(sys.argv[1]))
prev = ex["prev_hash"]
sha = lambda b: hashlib.sha256(b).hexdigest()
for e in ex["entries"]:
    if "row" in e:
        r = e["row"]
        body = json.dumps([r["seq"], r["time"], r["operator"], r["action"], r["outcome"], r["details"]], separators=(",", ":"), ensure_ascii=False)
        obj, body = sha(r["object"].encode()), sha(body.encode())
    else:
        obj, body = e["link"]["object_hash"], e["link"]["body_hash"]
    content = sha((obj + body).encode())
    prev = sha((prev + content).encode())
payload = json.loads(base64.b64decode(ex["checkpoint"]["dsseEnvelope"]["payload"]))
print("OK" if payload["head"] == prev else "MISMATCH", payload["rows"])
"#;
    let py = external(
        "python3",
        &["-c", script, env.path("excerpt.json").to_str().unwrap()],
        env.work.path(),
    )
    .ok();
    assert!(py.stdout.starts_with("OK "), "{}", py.stdout);
}

#[test]
fn the_audit_key_may_keep_its_own_secret_in_an_owner_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    // The audit key has a passphrase of its own, not the signing keys'.
    Out::from(
        env.cmd()
            .env("STRONGROOM_PASSPHRASE", "the audit key's own passphrase")
            .args(["key", "generate", "--algorithm", "ed25519"])
            .args(["--label", "audit", "--purpose", "audit"])
            .output()
            .unwrap(),
    )
    .ok();
    let secret = env.file("audit.secret", b"the audit key's own passphrase\n");
    let set = ["audit", "key", "set", "audit"];
    let set = [&set[..], &["--secret-file", "audit.secret"]].concat();

    // Readable by others: refused, and nothing changes.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.run(&set)
        .code(2)
        .stderr_has("readable by its owner only (chmod 600)");
    env.run(&["audit", "checkpoint"])
        .code(3)
        .stderr_has("no audit key is set");

    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.run(&set).ok();
    // Checkpoints are signed with the file's secret; the signing keys keep theirs.
    env.run(&["audit", "checkpoint"])
        .ok()
        .stdout_has("checkpoint 1: row ");
    env.key("rel", "ed25519");
    env.file("app.bin", b"app");
    env.run(&["sign", "--key", "rel", "app.bin"]).ok();

    // A wrong secret in the file is said as such, and no checkpoint is written.
    std::fs::write(&secret, b"not the passphrase\n").unwrap();
    env.run(&["audit", "checkpoint"]).code(4);
    env.run(&["audit", "verify"])
        .ok()
        .stdout_has("1 checkpoint verified");
}

/// `audit list --since yesterday` and `--since zzz` listed nothing and exited 0; a time or an
/// action name that cannot be read is now refused (exit 2), and dates and offsets are read.
#[test]
fn a_since_or_action_that_cannot_be_read_is_refused() {
    let env = Env::new();
    env.add_operator("alice", "custodian");
    env.key("k", "ed25519");
    let all = rows(&env).len();
    assert!(all > 0);
    for bad in ["yesterday", "zzz", "2026-13-01"] {
        env.run(&["audit", "list", "--since", bad])
            .code(2)
            .stderr_has("is not a time");
    }
    env.run(&["audit", "list", "--action", "key.generat"])
        .code(2)
        .stderr_has("key.generate");
    let count = |args: &[&str]| {
        let mut a = vec!["audit", "list", "--json"];
        a.extend_from_slice(args);
        let out = env.run(&a).ok();
        serde_json::from_str::<serde_json::Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count(&["--since", "2000-01-01"]), all);
    assert_eq!(count(&["--since", "2000-01-01T01:00:00+01:00"]), all);
    assert_eq!(count(&["--since", "2999-01-01"]), 0);
    assert_eq!(count(&["--action", "key.generate"]), 1);
}

/// Compliance staff asked for filters by operator, outcome and time range, a limit and CSV
/// export; each filter gives what filtering the full list gives, and CSV reads back (with
/// Python's `csv` module) as the same rows.
#[test]
fn rows_are_filtered_by_operator_outcome_time_and_limit_and_export_as_csv() {
    let env = Env::new();
    env.add_operator("alice", "custodian");
    env.run_as(
        "alice",
        &["key", "generate", "--label", "k", "--algorithm", "ed25519"],
    )
    .ok();
    // alice is no release officer: a denied act is logged.
    env.file("app.bin", b"app");
    env.run_as("alice", &["sign", "--key", "k", "app.bin"])
        .code(8);
    let all = rows(&env);
    let list = |args: &[&str]| {
        let mut a = vec!["audit", "list", "--json"];
        a.extend_from_slice(args);
        let out = env.run(&a).ok();
        serde_json::from_str::<Vec<serde_json::Value>>(&out.stdout).unwrap()
    };
    let expect = |keep: &dyn Fn(&serde_json::Value) -> bool| -> Vec<serde_json::Value> {
        all.iter().filter(|r| keep(r)).cloned().collect()
    };
    let by_alice = expect(&|r| r["operator"] == "alice");
    assert!(!by_alice.is_empty() && by_alice.len() < all.len());
    assert_eq!(list(&["--by", "alice"]), by_alice);
    let denied = expect(&|r| r["outcome"] == "denied");
    assert!(!denied.is_empty());
    assert_eq!(list(&["--outcome", "denied"]), denied);
    assert_eq!(
        list(&["--by", "alice", "--outcome", "ok"]),
        expect(&|r| r["operator"] == "alice" && r["outcome"] == "ok")
    );
    assert_eq!(list(&["--limit", "2"]), all[all.len() - 2..]);
    assert_eq!(
        list(&["--until", "2000-01-01"]),
        Vec::<serde_json::Value>::new()
    );
    let today = &all[0]["time"].as_str().unwrap()[..10];
    assert_eq!(list(&["--since", today, "--until", today]).len(), all.len());

    env.run(&["audit", "list", "--by", "alcie"])
        .code(2)
        .stderr_has("did you mean \"alice\"");
    env.run(&["audit", "list", "--outcome", "refused"])
        .code(2)
        .stderr_has("ok, failed and denied");
    env.run(&["audit", "list", "--outcome", "faild"])
        .code(2)
        .stderr_has("(did you mean \"failed\"?)");
    env.run(&[
        "audit",
        "list",
        "--since",
        "2026-12-02",
        "--until",
        "2026-12-01",
    ])
    .code(2)
    .stderr_has("is after --until");
    env.run(&["audit", "list", "--limit", "0"]).code(2);

    env.run(&[
        "audit", "export", "--format", "csv", "--by", "alice", "-o", "a.csv",
    ])
    .ok();
    let py = "import csv, json, sys\n\
              rows = list(csv.DictReader(open(sys.argv[1], newline='')))\n\
              print(json.dumps([{**r, 'seq': int(r['seq']), 'details': json.loads(r['details'])} for r in rows]))";
    let out = std::process::Command::new("python3")
        .args(["-c", py])
        .arg(env.path("a.csv"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_csv: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_csv, by_alice);
}
