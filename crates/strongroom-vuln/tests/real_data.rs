//! Import and matching on the real OSV data in `../shared/vulndb` (RustSec and PyPA
//! advisories), with the facts its README documents.

mod common;

use std::path::Path;

use sha2::Digest as _;
use strongroom_vuln::{ImportReport, Level, Limits, PackageRef, VulnDb};

fn pkg(ecosystem: &str, name: &str, version: &str) -> PackageRef {
    PackageRef {
        ecosystem: ecosystem.into(),
        name: name.into(),
        version: version.into(),
        purl: None,
        found_in: Some("test".into()),
    }
}

fn import(db: &mut VulnDb, path: &Path) -> ImportReport {
    let mut calls = 0;
    let report = db
        .import_zip(path, &Limits::default(), &mut |_| calls += 1)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(calls >= 2, "progress was reported {calls} times");
    report
}

fn both() -> (tempfile::TempDir, VulnDb, ImportReport, ImportReport) {
    let data = common::shared_vulndb();
    let dir = tempfile::tempdir().unwrap();
    let mut db = VulnDb::open(&dir.path().join("vulns.db")).unwrap();
    let cargo = import(&mut db, &data.join("cargo/all.zip"));
    let pypi = import(&mut db, &data.join("PyPI/all.zip"));
    (dir, db, cargo, pypi)
}

#[test]
fn import_counts_match_the_readme() {
    let (_dir, db, cargo, pypi) = both();
    eprintln!(
        "cargo: {} records, {} imported, {} withdrawn, {} rejected, {} warnings",
        cargo.records_total,
        cargo.imported,
        cargo.skipped_withdrawn,
        cargo.rejected,
        cargo.warnings.len()
    );
    eprintln!(
        "PyPI: {} records, {} imported, {} withdrawn, {} rejected, {} warnings: {:#?}",
        pypi.records_total,
        pypi.imported,
        pypi.skipped_withdrawn,
        pypi.rejected,
        pypi.warnings.len(),
        pypi.warnings
    );
    assert_eq!(cargo.records_total, 1206);
    assert_eq!(pypi.records_total, 2661);
    // Withdrawn advisories are skipped: 13 in RustSec, 10 in PyPA.
    assert_eq!(cargo.skipped_withdrawn, 13);
    assert_eq!(pypi.skipped_withdrawn, 10);
    assert_eq!(cargo.rejected, 0, "{:?}", cargo.warnings);
    assert_eq!(pypi.rejected, 0, "{:?}", pypi.warnings);
    assert_eq!(cargo.imported, 1206 - 13);
    assert_eq!(pypi.imported, 2661 - 10);
    assert_eq!(cargo.ecosystems.get("crates.io"), Some(&1193));
    assert_eq!(pypi.ecosystems.get("PyPI"), Some(&2651));
    assert!(cargo.unknown_ecosystems.is_empty() && pypi.unknown_ecosystems.is_empty());
    // Two PyPA ranges have bounds that are not PEP 440 (`0.2.0-n653`, `2019-09-12`):
    // the range is dropped with a warning, the record kept.
    assert!(
        pypi.warnings.iter().any(|w| w.contains("PYSEC-2021-371")),
        "{:?}",
        pypi.warnings
    );
    assert_eq!(db.record_count().unwrap(), 1193 + 2651);

    let data = common::shared_vulndb();
    let sha = |p: &str| hex::encode(sha2::Sha256::digest(std::fs::read(data.join(p)).unwrap()));
    assert_eq!(cargo.sha256, sha("cargo/all.zip"));
    assert_eq!(pypi.sha256, sha("PyPI/all.zip"));
    let newest = |r: &ImportReport| r.newest_modified.unwrap().date().to_string();
    assert_eq!(newest(&cargo), "2026-08-21");
    assert_eq!(newest(&pypi), "2024-10-10");

    let status = db.status().unwrap();
    assert_eq!(status.records, 3844);
    assert_eq!(status.ecosystems.get("crates.io"), Some(&1193));
    assert_eq!(status.ecosystems.get("PyPI"), Some(&2651));
    assert_eq!(status.imports.len(), 2);
    assert!(status.imports.iter().any(|i| i.sha256 == cargo.sha256));
    assert_eq!(status.newest_modified, cargo.newest_modified);
    let age = status.snapshot_age.unwrap();
    assert!(age > time::Duration::ZERO);
    assert!(!status.is_stale(age + time::Duration::days(1)));
    assert!(status.is_stale(age - time::Duration::hours(1)));
}

#[test]
fn time_0_2_22_is_affected_by_rustsec_2020_0071_and_0_2_23_is_not() {
    let (_dir, db, _, _) = both();
    let found = db
        .scan(&[
            pkg("crates.io", "time", "0.2.22"),
            pkg("crates.io", "time", "0.2.23"),
        ])
        .unwrap();
    let hit: Vec<_> = found
        .iter()
        .filter(|f| f.id == "RUSTSEC-2020-0071")
        .collect();
    assert_eq!(hit.len(), 1, "{found:#?}");
    let f = hit[0];
    assert_eq!(f.package.version, "0.2.22");
    assert!(f.aliases.contains(&"CVE-2020-26235".to_owned()));
    assert_eq!(
        f.summary.as_deref(),
        Some("Potential segfault in the time crate")
    );
    let sev = f.severity.as_ref().unwrap();
    assert_eq!(sev.cvss_score, Some(6.2));
    assert_eq!(sev.level, Level::Medium);
    assert!(
        f.fixed_versions.contains(&"0.2.23".to_owned()),
        "{:?}",
        f.fixed_versions
    );
    assert_eq!(f.fixed_versions.last().map(String::as_str), Some("0.2.23"));
    assert!(
        f.affected_ranges.starts_with("SEMVER: "),
        "{}",
        f.affected_ranges
    );
    assert!(
        f.affected_ranges.contains(">=0.2.7-0, <0.2.23"),
        "{}",
        f.affected_ranges
    );
    // Pre-release bounds: 0.2.1-0 .. 0.2.1 is affected, 0.2.1 itself is fixed.
    let pre = db
        .scan(&[
            pkg("crates.io", "time", "0.2.1-beta.1"),
            pkg("crates.io", "time", "0.2.1"),
            pkg("crates.io", "time", "0.1.44"),
        ])
        .unwrap();
    let ids = |v: &str| {
        pre.iter()
            .filter(|f| f.package.version == v && f.id == "RUSTSEC-2020-0071")
            .count()
    };
    assert_eq!(
        (ids("0.2.1-beta.1"), ids("0.2.1"), ids("0.1.44")),
        (1, 0, 1)
    );
}

#[test]
fn urllib3_1_26_16_is_affected_by_pysec_2023_192_and_1_26_17_is_not() {
    let (_dir, db, _, _) = both();
    let found = db
        .scan(&[
            pkg("PyPI", "urllib3", "1.26.16"),
            pkg("PyPI", "urllib3", "1.26.17"),
            // PEP 503 names and PEP 440 normalisation.
            pkg("pypi", "URLLib3", "1.26.16.0"),
            pkg("PyPI", "urllib3", "2.0.5"),
            pkg("PyPI", "urllib3", "2.0.6"),
        ])
        .unwrap();
    let versions: Vec<&str> = found
        .iter()
        .filter(|f| f.id == "PYSEC-2023-192")
        .map(|f| f.package.version.as_str())
        .collect();
    assert_eq!(versions, ["1.26.16", "1.26.16.0", "2.0.5"], "{found:#?}");
    let f = found
        .iter()
        .find(|f| f.id == "PYSEC-2023-192" && f.package.version == "1.26.16")
        .unwrap();
    // The GIT range listed first is skipped alone; the unsorted ECOSYSTEM range and the
    // versions list both match.
    assert_eq!(
        f.affected_ranges,
        "ECOSYSTEM: <1.26.17 || >=2.0.0, <2.0.6; listed in affected versions"
    );
    assert_eq!(f.fixed_versions, ["1.26.17", "2.0.6"]);
    assert_eq!(f.severity.as_ref().unwrap().cvss_score, Some(8.1));
    assert!(f.aliases.contains(&"CVE-2023-43804".to_owned()));
    assert!(f
        .summary
        .as_deref()
        .unwrap()
        .starts_with("urllib3 is a user-friendly"));
}

#[test]
fn reimport_is_idempotent_and_index_scan_equals_linear_scan() {
    let (_dir, mut db, cargo, _) = both();
    let data = common::shared_vulndb();
    let again = import(&mut db, &data.join("cargo/all.zip"));
    assert_eq!(again.imported, 0);
    assert_eq!(again.updated, 0);
    assert_eq!(again.unchanged, cargo.imported);
    assert_eq!(again.skipped_withdrawn, 13);
    assert_eq!(db.record_count().unwrap(), 3844);
    assert_eq!(
        db.status().unwrap().imports.len(),
        2,
        "the same file is one import"
    );

    // A sample of real packages at several versions, through both scan paths.
    let mut packages = Vec::new();
    for (eco, name) in [
        ("crates.io", "time"),
        ("crates.io", "smallvec"),
        ("crates.io", "tokio"),
        ("crates.io", "hyper"),
        ("crates.io", "openssl"),
        ("PyPI", "urllib3"),
        ("PyPI", "django"),
        ("PyPI", "Pillow"),
        ("PyPI", "requests"),
        ("PyPI", "jinja2"),
    ] {
        for v in [
            "0.1.0", "0.2.22", "1.0.0", "1.2.3", "2.0.0", "3.2.1", "4.0.0", "8.0.0",
        ] {
            packages.push(pkg(eco, name, v));
        }
    }
    let indexed = db.scan(&packages).unwrap();
    let linear = db.scan_linear(&packages).unwrap();
    assert!(indexed.len() > 50, "only {} findings", indexed.len());
    assert_eq!(indexed, linear);
}
