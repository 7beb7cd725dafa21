//! Import semantics (replacement by `modified`, withdrawal, unknown ecosystems, release
//! suffixes) and matching of the lodash advisory GHSA-35jh-r3h4-6jhm from a zip built here,
//! plus the in-toto vulns v0.2 predicate of the findings.

mod common;

use serde_json::{json, Value};
use strongroom_vuln::{
    to_vulns_predicate, Level, Limits, PackageRef, ScanTime, ScannerInfo, VulnDb,
    VULNS_PREDICATE_TYPE,
};
use time::macros::datetime;

fn pkg(ecosystem: &str, name: &str, version: &str) -> PackageRef {
    PackageRef {
        ecosystem: ecosystem.into(),
        name: name.into(),
        version: version.into(),
        purl: Some(format!("pkg:npm/{name}@{version}")),
        found_in: Some("package-lock.json".into()),
    }
}

fn db_with(
    members: &[(&str, Vec<u8>)],
) -> (tempfile::TempDir, VulnDb, strongroom_vuln::ImportReport) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = VulnDb::open(&dir.path().join("v.db")).unwrap();
    let report = import(&dir, &mut db, "first.zip", members);
    (dir, db, report)
}

fn import(
    dir: &tempfile::TempDir,
    db: &mut VulnDb,
    file: &str,
    members: &[(&str, Vec<u8>)],
) -> strongroom_vuln::ImportReport {
    let refs: Vec<(&str, &[u8])> = members.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let path = dir.path().join(file);
    std::fs::write(&path, common::build_zip(&refs)).unwrap();
    db.import_zip(&path, &Limits::default(), &mut |_| {})
        .unwrap()
}

fn lodash() -> Vec<u8> {
    include_bytes!("fixtures/GHSA-35jh-r3h4-6jhm.json").to_vec()
}

#[test]
fn lodash_4_17_20_matches_ghsa_35jh_r3h4_6jhm() {
    let (_dir, db, report) = db_with(&[("GHSA-35jh-r3h4-6jhm.json", lodash())]);
    assert_eq!(report.imported, 1);
    assert_eq!(report.ecosystems.get("npm"), Some(&1));
    let found = db
        .scan(&[
            pkg("npm", "lodash", "4.17.20"),
            pkg("npm", "lodash", "4.17.21"),
            pkg("npm", "lodash-es", "4.17.15"),
            pkg("npm", "lodash.template", "4.5.0"),
            pkg("npm", "lodash.template", "4.5.1"),
            // npm names are case-sensitive: a different package.
            pkg("npm", "Lodash", "4.17.20"),
        ])
        .unwrap();
    let hits: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.package.name.as_str(), f.package.version.as_str()))
        .collect();
    assert_eq!(
        hits,
        [
            ("lodash", "4.17.20"),
            ("lodash-es", "4.17.15"),
            ("lodash.template", "4.5.0")
        ]
    );
    let f = &found[0];
    assert_eq!(f.id, "GHSA-35jh-r3h4-6jhm");
    assert_eq!(f.aliases, ["CVE-2021-23337"]);
    assert_eq!(f.summary.as_deref(), Some("Command Injection in lodash"));
    assert_eq!(f.affected_ranges, "ECOSYSTEM: <4.17.21");
    assert_eq!(f.fixed_versions, ["4.17.21"]);
    let sev = f.severity.as_ref().unwrap();
    assert_eq!((sev.cvss_score, sev.level), (Some(7.2), Level::High));
    assert_eq!(found[2].affected_ranges, "ECOSYSTEM: <=4.5.0");
    assert_eq!(
        found[0].package.found_in.as_deref(),
        Some("package-lock.json")
    );
}

#[test]
fn the_vulns_predicate_has_the_v0_2_shape() {
    let (_dir, db, _) = db_with(&[("GHSA-35jh-r3h4-6jhm.json", lodash())]);
    let found = db
        .scan(&[
            pkg("npm", "lodash", "4.17.20"),
            pkg("npm", "lodash-es", "4.17.15"),
        ])
        .unwrap();
    let info = db
        .db_info(Some(
            "https://osv-vulnerabilities.storage.googleapis.com".into(),
        ))
        .unwrap();
    let scanner = ScannerInfo {
        uri: "pkg:cargo/strongroom-vuln@0.1.0".into(),
        version: Some("0.1.0".into()),
        db: info.clone(),
    };
    let time = ScanTime {
        started_on: datetime!(2026-11-21 10:00:00 UTC),
        finished_on: datetime!(2026-11-21 10:00:01.5 UTC),
    };
    let p = to_vulns_predicate(&found, &scanner, &time).unwrap();
    assert_eq!(
        VULNS_PREDICATE_TYPE,
        "https://in-toto.io/attestation/vulns/v0.2"
    );
    assert_eq!(p["scanner"]["uri"], "pkg:cargo/strongroom-vuln@0.1.0");
    assert_eq!(p["scanner"]["db"]["lastUpdate"], "2024-03-01T18:24:47Z");
    assert!(p["scanner"]["db"]["version"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(p["metadata"]["scanStartedOn"], "2026-11-21T10:00:00Z");
    assert_eq!(p["metadata"]["scanFinishedOn"], "2026-11-21T10:00:01.5Z");
    let result = p["scanner"]["result"].as_array().unwrap();
    assert_eq!(result.len(), 1, "one result per vulnerability id");
    assert_eq!(result[0]["id"], "GHSA-35jh-r3h4-6jhm");
    assert_eq!(
        result[0]["severity"],
        json!([{"method": "CVSSv3", "score": "7.2"}, {"method": "level", "score": "high"}])
    );
    let annotations = result[0]["annotations"].as_array().unwrap();
    assert_eq!(
        annotations[0]["vector"],
        "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"
    );
    let packages: Vec<&Value> = annotations[1..]
        .iter()
        .map(|a| &a["package"]["name"])
        .collect();
    assert_eq!(packages, [&json!("lodash"), &json!("lodash-es")]);
    assert_eq!(annotations[1]["fixedVersions"], json!(["4.17.21"]));
    // No findings: an empty result list, which the spec reads as "nothing found".
    let empty = to_vulns_predicate(&[], &scanner, &time).unwrap();
    assert_eq!(empty["scanner"]["result"], json!([]));
}

fn rec(id: &str, modified: &str, fixed: &str, extra: Value) -> Vec<u8> {
    let mut v = json!({
        "id": id,
        "modified": modified,
        "affected": [{
            "package": {"ecosystem": "crates.io", "name": "demo"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }]
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn newer_modified_replaces_older_is_kept_withdrawn_removes() {
    let (dir, mut db, _) = db_with(&[(
        "R-1.json",
        rec("R-1", "2024-01-01T00:00:00Z", "1.0.0", json!({})),
    )]);
    let scan = |db: &VulnDb, v: &str| db.scan(&[pkg("crates.io", "demo", v)]).unwrap().len();
    assert_eq!((scan(&db, "0.9.0"), scan(&db, "1.5.0")), (1, 0));

    // An older copy does not replace the stored one.
    let r = import(
        &dir,
        &mut db,
        "older.zip",
        &[(
            "R-1.json",
            rec("R-1", "2023-01-01T00:00:00Z", "2.0.0", json!({})),
        )],
    );
    assert_eq!((r.imported, r.updated, r.unchanged), (0, 0, 1));
    assert_eq!(scan(&db, "1.5.0"), 0);

    // A newer one does, with fractional seconds compared as times, not as text.
    let r = import(
        &dir,
        &mut db,
        "newer.zip",
        &[(
            "R-1.json",
            rec("R-1", "2024-01-01T00:00:00.5Z", "2.0.0", json!({})),
        )],
    );
    assert_eq!((r.imported, r.updated, r.unchanged), (0, 1, 0));
    assert_eq!(scan(&db, "1.5.0"), 1);
    assert_eq!(db.record_count().unwrap(), 1);

    // Withdrawn: skipped, and the stored copy removed.
    let r = import(
        &dir,
        &mut db,
        "withdrawn.zip",
        &[(
            "R-1.json",
            rec(
                "R-1",
                "2024-02-01T00:00:00Z",
                "2.0.0",
                json!({"withdrawn": "2024-02-01T00:00:00Z"}),
            ),
        )],
    );
    assert_eq!(r.skipped_withdrawn, 1);
    assert_eq!(db.record_count().unwrap(), 0);
    assert_eq!(scan(&db, "1.5.0"), 0);
}

#[test]
fn unknown_ecosystems_are_kept_and_debian_releases_match_by_suffix() {
    let nuget = serde_json::to_vec(&json!({
        "id": "N-1", "modified": "2024-01-01T00:00:00Z",
        "affected": [{
            "package": {"ecosystem": "NuGet", "name": "Newtonsoft.Json"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "13.0.1"}]}],
            "versions": ["12.0.3"]
        }, {
            "package": {"ecosystem": "NuGet", "name": "Other.Lib"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.2.0"}]}]
        }]
    }))
    .unwrap();
    let debian = |id: &str, eco: &str, fixed: &str| {
        serde_json::to_vec(&json!({
            "id": id, "modified": "2024-01-01T00:00:00Z",
            "affected": [{
                "package": {"ecosystem": eco, "name": "openssl"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
            }]
        }))
        .unwrap()
    };
    let (_dir, db, report) = db_with(&[
        ("N-1.json", nuget),
        (
            "D-11.json",
            debian("DSA-11", "Debian:11", "1.1.1w-0+deb11u1"),
        ),
        (
            "D-12.json",
            debian("DSA-12", "Debian:12", "3.0.11-1~deb12u2"),
        ),
    ]);
    assert_eq!(report.imported, 3);
    assert_eq!(report.unknown_ecosystems, ["NuGet"]);
    assert!(
        report.warnings.iter().any(|w| w.contains("\"NuGet\"")),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.ecosystems.get("Debian:12"), Some(&1));

    let ids = |p: PackageRef| -> Vec<String> {
        db.scan(&[p]).unwrap().into_iter().map(|f| f.id).collect()
    };
    // Unknown ecosystem: the versions list and SEMVER ranges work, ECOSYSTEM ranges cannot.
    assert_eq!(ids(pkg("NuGet", "Newtonsoft.Json", "12.0.3")), ["N-1"]);
    assert!(ids(pkg("NuGet", "Newtonsoft.Json", "12.0.2")).is_empty());
    assert_eq!(ids(pkg("NuGet", "Other.Lib", "1.1.0")), ["N-1"]);
    // Debian: dpkg ordering with `~`; a release suffix on the package narrows the match.
    assert_eq!(
        ids(pkg("Debian", "openssl", "3.0.11-1~deb12u1")),
        ["DSA-12"]
    );
    assert!(ids(pkg("Debian", "openssl", "3.0.11-1~deb12u2")).is_empty());
    assert_eq!(
        ids(pkg("Debian", "openssl", "1.1.1n-0+deb11u5")),
        ["DSA-11", "DSA-12"]
    );
    assert_eq!(
        ids(pkg("Debian:11", "openssl", "1.1.1n-0+deb11u5")),
        ["DSA-11"]
    );
    assert!(ids(pkg("Debian:11", "openssl", "1.1.1w-0+deb11u1")).is_empty());
    let status = db.status().unwrap();
    assert_eq!(status.ecosystems.get("NuGet"), Some(&1));
    assert_eq!(status.ecosystems.get("Debian:11"), Some(&1));
}
