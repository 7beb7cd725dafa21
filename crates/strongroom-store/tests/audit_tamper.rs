//! Tampering with the audit log behind its back, with the plain `sqlite3` shell on the database
//! file: the triggers refuse edits and deletions; with the triggers dropped, every edit, deletion
//! and insertion is caught by `verify_audit_chain`, which names the row.

use std::path::Path;
use std::process::Command;

use strongroom_store::audit::{AuditFilter, ChainProblem, NewAuditRow};
use strongroom_store::Store;

fn store_with_rows(n: usize) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for i in 0..n {
        store
            .append_audit(&NewAuditRow {
                operator: "alice",
                action: if i % 2 == 0 { "sign" } else { "key.generate" },
                object: &format!("sha256:{i:064x}"),
                outcome: "ok",
                details: serde_json::json!({"n": i}),
            })
            .unwrap();
    }
    (dir, store)
}

/// Runs SQL with the sqlite3 shell; returns (success, stderr).
fn sqlite3(home: &Path, sql: &str) -> (bool, String) {
    let out = Command::new("sqlite3")
        .arg(home.join("strongroom.db"))
        .arg(sql)
        .output()
        .expect("sqlite3 is installed by scripts/install-deps.sh");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_intact_chain_verifies_and_rows_are_listed() {
    let (_dir, store) = store_with_rows(6);
    let report = store.verify_audit_chain().unwrap();
    assert_eq!(report.rows, 6);
    assert_eq!(report.problem, None);
    let all = AuditFilter::default();
    let rows = store.audit_rows(&all).unwrap();
    assert_eq!(report.head.as_deref(), Some(rows[5].hash.as_str()));
    assert_eq!(rows[1].prev_hash, rows[0].hash);
    let only = |f: AuditFilter| store.audit_rows(&f).unwrap();
    let seqs = |f: AuditFilter| only(f).iter().map(|r| r.seq).collect::<Vec<_>>();
    let sign = AuditFilter {
        action: Some("sign"),
        ..all
    };
    assert_eq!(seqs(sign), [1, 3, 5]);
    let later = AuditFilter {
        since: Some("2999-01-01T00:00:00Z"),
        ..all
    };
    assert!(only(later).is_empty());
    let earlier = AuditFilter {
        until: Some("2000-01-01T00:00:00Z"),
        ..all
    };
    assert!(only(earlier).is_empty());
    let now_ish = AuditFilter {
        since: Some("2000-01-01T00:00:00Z"),
        until: Some("2999-01-01T00:00:00Z"),
        ..all
    };
    assert_eq!(only(now_ish).len(), 6);
    // The latest N, still oldest first; the limit applies after the other filters.
    let latest = AuditFilter {
        limit: Some(2),
        ..all
    };
    assert_eq!(seqs(latest), [5, 6]);
    assert_eq!(
        seqs(AuditFilter {
            limit: Some(2),
            ..sign
        }),
        [3, 5]
    );
    let by_bob = AuditFilter {
        operator: Some("bob"),
        ..all
    };
    assert!(only(by_bob).is_empty());
    let by_alice_failed = AuditFilter {
        operator: Some("alice"),
        outcome: Some("failed"),
        ..all
    };
    assert!(only(by_alice_failed).is_empty());
    assert_eq!(store.audit_operators().unwrap(), ["alice"]);
}

#[test]
fn rows_are_filtered_by_operator_and_outcome() {
    let (_dir, store) = store_with_rows(2);
    for (operator, outcome) in [("bob", "denied"), ("carol", "failed"), ("bob", "ok")] {
        store
            .append_audit(&NewAuditRow {
                operator,
                action: "login.failed",
                object: operator,
                outcome,
                details: serde_json::json!({}),
            })
            .unwrap();
    }
    let seqs = |f: AuditFilter| {
        store
            .audit_rows(&f)
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect::<Vec<_>>()
    };
    let bob = AuditFilter {
        operator: Some("bob"),
        ..AuditFilter::default()
    };
    assert_eq!(seqs(bob), [3, 5]);
    assert_eq!(
        seqs(AuditFilter {
            outcome: Some("denied"),
            ..bob
        }),
        [3]
    );
    assert_eq!(
        seqs(AuditFilter {
            outcome: Some("failed"),
            ..AuditFilter::default()
        }),
        [4]
    );
    assert_eq!(store.audit_operators().unwrap(), ["alice", "bob", "carol"]);
}

#[test]
fn triggers_refuse_update_and_delete() {
    let (dir, store) = store_with_rows(3);
    drop(store);
    let (ok, err) = sqlite3(
        dir.path(),
        "UPDATE audit_log SET outcome = 'denied' WHERE seq = 2;",
    );
    assert!(!ok && err.contains("append-only"), "{err}");
    let (ok, err) = sqlite3(dir.path(), "DELETE FROM audit_log WHERE seq = 2;");
    assert!(!ok && err.contains("append-only"), "{err}");
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.verify_audit_chain().unwrap().problem, None);
}

#[test]
fn an_edited_row_is_named() {
    let (dir, store) = store_with_rows(6);
    drop(store);
    let (ok, err) = sqlite3(
        dir.path(),
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET operator = 'mallory' WHERE seq = 3;",
    );
    assert!(ok, "{err}");
    let report = Store::open(dir.path())
        .unwrap()
        .verify_audit_chain()
        .unwrap();
    assert_eq!(report.problem, Some(ChainProblem::Edited { seq: 3 }));
    assert!(report
        .problem
        .unwrap()
        .to_string()
        .contains("row 3 was edited"));
}

#[test]
fn a_deleted_row_is_named() {
    let (dir, store) = store_with_rows(6);
    drop(store);
    let (ok, err) = sqlite3(
        dir.path(),
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 4;",
    );
    assert!(ok, "{err}");
    let report = Store::open(dir.path())
        .unwrap()
        .verify_audit_chain()
        .unwrap();
    assert_eq!(
        report.problem,
        Some(ChainProblem::Missing {
            expected_seq: 4,
            found_seq: 5
        })
    );
}

#[test]
fn an_inserted_row_is_named_even_with_a_correct_own_hash() {
    let (dir, store) = store_with_rows(4);
    drop(store);
    // A forged row 5 whose own hash is computed exactly as ours (object and body hashes, the
    // content hash of the two, then SHA-256 of `prev_hash || content_hash`), but which links
    // to genesis.
    let prev = "0".repeat(64);
    let body = serde_json::json!([5, "2026-01-01T00:00:00Z", "mallory", "sign", "ok", "{}"]);
    let sha = |b: &[u8]| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b));
    let content = sha(format!("{}{}", sha(b"x"), sha(body.to_string().as_bytes())).as_bytes());
    let hash = sha(format!("{prev}{content}").as_bytes());
    let (ok, err) = sqlite3(
        dir.path(),
        &format!("INSERT INTO audit_log (seq, time, operator, action, object, outcome, details, prev_hash, hash) VALUES (5, '2026-01-01T00:00:00Z', 'mallory', 'sign', 'x', 'ok', '{{}}', '{prev}', '{hash}');"),
    );
    assert!(ok, "{err}");
    let report = Store::open(dir.path())
        .unwrap()
        .verify_audit_chain()
        .unwrap();
    assert_eq!(report.problem, Some(ChainProblem::BrokenLink { seq: 5 }));
    // A plain copy of an earlier row at the end fails its own hash.
    let (ok, err) = sqlite3(
        dir.path(),
        "INSERT INTO audit_log (seq, time, operator, action, object, outcome, details, prev_hash, hash) SELECT 6, time, operator, action, object, outcome, details, prev_hash, hash FROM audit_log WHERE seq = 2;",
    );
    assert!(ok, "{err}");
    let report = Store::open(dir.path())
        .unwrap()
        .verify_audit_chain()
        .unwrap();
    assert_eq!(
        report.problem,
        Some(ChainProblem::BrokenLink { seq: 5 }),
        "the first problem is reported"
    );
}
