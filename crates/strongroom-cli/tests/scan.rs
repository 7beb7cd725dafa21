//! Offline vulnerability scanning from the CLI, on the real OSV data in `../shared/vulndb`:
//! import, status, the reference cases, --fail-on, the signed vulns predicate, and a
//! hostile zip that must leave the database unchanged.

mod common;

use std::path::PathBuf;

use common::*;

fn shared_vulndb() -> PathBuf {
    let dir = repo_root().join("../shared/vulndb");
    assert!(
        dir.join("cargo/all.zip").exists(),
        "the shared OSV data is missing at {}",
        dir.display()
    );
    dir
}

fn imported() -> Env {
    let env = Env::new();
    let db = shared_vulndb();
    let out = env
        .run(&[
            "vulndb",
            "import",
            "--json",
            s(&db.join("cargo/all.zip")),
            s(&db.join("PyPI/all.zip")),
        ])
        .ok();
    let reports: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(reports[0]["records_total"], 1206);
    assert_eq!(reports[1]["records_total"], 2661);
    env
}

fn ids(env: &Env, lock: &str, req: &str) -> Vec<String> {
    let dir = env.path("app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Cargo.lock"), lock).unwrap();
    std::fs::write(dir.join("requirements.txt"), req).unwrap();
    let out = env.run(&["scan", "--json", s(&dir)]).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

fn cargo_lock(version: &str) -> String {
    format!("version = 3\n\n[[package]]\nname = \"time\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n")
}

#[test]
fn reference_cases_match_exactly() {
    let env = imported();
    let found = ids(&env, &cargo_lock("0.2.22"), "urllib3==1.26.16\n");
    assert!(found.contains(&"RUSTSEC-2020-0071".to_owned()), "{found:?}");
    assert!(found.contains(&"PYSEC-2023-192".to_owned()), "{found:?}");
    let found = ids(&env, &cargo_lock("0.2.23"), "urllib3==1.26.17\n");
    assert!(
        !found.contains(&"RUSTSEC-2020-0071".to_owned()),
        "{found:?}"
    );
    assert!(!found.contains(&"PYSEC-2023-192".to_owned()), "{found:?}");
}

#[test]
fn reimport_is_idempotent_and_status_reports_counts() {
    let env = imported();
    let db = shared_vulndb();
    let out = env
        .run(&["vulndb", "import", "--json", s(&db.join("cargo/all.zip"))])
        .ok();
    let r: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(r[0]["imported"], 0);
    assert_eq!(r[0]["updated"], 0);
    let st: serde_json::Value =
        serde_json::from_str(&env.run(&["vulndb", "status", "--json"]).ok().stdout).unwrap();
    assert_eq!(
        st["ecosystems"]["crates.io"].as_u64().unwrap()
            + st["ecosystems"]["PyPI"].as_u64().unwrap(),
        st["records"].as_u64().unwrap()
    );
    // Each import is an object with named fields (they were arrays of three strings).
    let first = &st["imports"][0];
    assert!(
        first["file"].as_str().unwrap().ends_with("all.zip"),
        "{first}"
    );
    assert_eq!(first["sha256"].as_str().unwrap().len(), 64, "{first}");
    assert!(
        first["imported_at"].as_str().unwrap().ends_with('Z'),
        "{first}"
    );
    // The data is from 2026-08 or earlier: past the default 30 days it warns, and never fails.
    let out = env.run(&["vulndb", "status"]).ok();
    // The text lists the imports too (only --json did).
    let sha = first["sha256"].as_str().unwrap();
    assert!(
        out.stdout.contains(&format!("sha256:{sha}")),
        "{}",
        out.stdout
    );
    assert_eq!(st["stale"], true);
    assert!(out.stderr.contains("older than 30 days"), "{}", out.stderr);
    env.run(&["vulndb", "max-age", "100000"]).ok();
    let st: serde_json::Value =
        serde_json::from_str(&env.run(&["vulndb", "status", "--json"]).ok().stdout).unwrap();
    assert_eq!(st["stale"], false);
}

#[test]
fn fail_on_thresholds_and_a_signed_vulns_predicate() {
    let env = imported();
    let dir = env.path("app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("requirements.txt"), "urllib3==1.26.16\n").unwrap();
    // PYSEC-2023-192 is high (CVSS 8.1).
    env.run(&["scan", s(&dir), "--fail-on", "critical"])
        .ok()
        .stdout_has("PYSEC-2023-192");
    env.run(&[
        "scan",
        s(&dir),
        "--fail-on",
        "high",
        "--predicate-out",
        "vulns.json",
    ])
    .code(1);
    env.run(&["scan", s(&dir), "--fail-on", "severe"])
        .code(2)
        .stderr_has("unknown severity");
    let key = env.key("k", "ecdsa-p256");
    let art = env.file("app.tar.gz", b"the release");
    env.run(&[
        "attest",
        "--key",
        "k",
        "--type",
        "vulns",
        "--predicate",
        "vulns.json",
        s(&art),
    ])
    .ok();
    let bundle = env.path("app.tar.gz.vulns.sigstore.json");
    env.run(&[
        "verify",
        "--key",
        s(&key),
        "--bundle",
        s(&bundle),
        "--type",
        "vulns",
        s(&art),
    ])
    .ok();
    sigstore_js(&bundle, &key, &art, env.work.path()).ok();
    python(
        "intoto_validate.py",
        &["--bundle", s(&bundle)],
        env.work.path(),
    )
    .ok();
}

#[test]
fn an_empty_database_warns_and_a_corrupt_zip_changes_nothing() {
    let env = Env::new();
    let dir = env.path("app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("requirements.txt"), "urllib3==1.26.16\n").unwrap();
    env.run(&["scan", s(&dir)])
        .ok()
        .stderr_has("vulnerability database is empty");
    let env = imported();
    let before = env.run(&["vulndb", "status", "--json"]).ok().stdout;
    // A real zip cut in half: the import fails and the database is unchanged.
    let zip = std::fs::read(shared_vulndb().join("PyPI/all.zip")).unwrap();
    let cut = env.file("cut.zip", &zip[..zip.len() / 2]);
    let out = env.run(&["vulndb", "import", s(&cut)]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("cut.zip"), "{}", out.stderr);
    let after = env.run(&["vulndb", "status", "--json"]).ok().stdout;
    assert_eq!(before, after);
}
