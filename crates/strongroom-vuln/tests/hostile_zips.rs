//! Hostile and damaged zips, built in the tests: zip bombs (declared and lying headers), path
//! traversal names, encrypted and non-JSON members, records missing required fields, 100,000
//! empty entries, a file damaged half-way. Each ends in a clear error or per-record warnings,
//! and a failed import leaves the database exactly as it was.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{build_stored_zip, build_zip};
use strongroom_vuln::{LimitKind, Limits, PackageRef, VulnDb, VulnError};

fn record(id: &str, name: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "modified": "2024-01-01T00:00:00Z",
        "summary": format!("test advisory {id}"),
        "affected": [{
            "package": {"ecosystem": "crates.io", "name": name},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]
        }]
    }))
    .unwrap()
}

struct Fixture {
    dir: tempfile::TempDir,
    db: VulnDb,
}

impl Fixture {
    /// A database that already holds three records from an earlier import.
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut db = VulnDb::open(&dir.path().join("vulns.db")).unwrap();
        let (a, b, c) = (
            record("OLD-1", "alpha"),
            record("OLD-2", "beta"),
            record("OLD-3", "gamma"),
        );
        let zip = build_zip(&[("OLD-1.json", &a), ("OLD-2.json", &b), ("OLD-3.json", &c)]);
        let path = dir.path().join("old.zip");
        std::fs::write(&path, zip).unwrap();
        db.import_zip(&path, &Limits::default(), &mut |_| {})
            .unwrap();
        Fixture { dir, db }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Rows of every table: what "unchanged" means.
    fn counts(&self) -> (u64, u64, u64) {
        let db_path = self.db.path().to_owned();
        let conn = rusqlite::Connection::open(db_path).unwrap();
        let n = |t: &str| -> u64 {
            conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap() as u64
        };
        (n("records"), n("affected"), n("imports"))
    }

    fn import(
        &mut self,
        path: &Path,
        limits: &Limits,
    ) -> Result<strongroom_vuln::ImportReport, VulnError> {
        self.db.import_zip(path, limits, &mut |_| {})
    }
}

fn assert_limit(err: &VulnError, want: LimitKind) {
    match err {
        VulnError::LimitExceeded { kind, .. } => assert_eq!(*kind, want, "{err}"),
        other => panic!("expected a {want:?} limit error, got {other}"),
    }
}

#[test]
fn zip_bomb_by_ratio_is_refused_and_changes_nothing() {
    let mut fx = Fixture::new();
    let before = fx.counts();
    // 24 MiB of spaces (valid JSON whitespace around a record) deflate ~1000:1.
    let mut bomb = vec![b' '; 24 << 20];
    bomb.extend_from_slice(&record("BOMB-1", "bomb"));
    let zip = build_zip(&[
        ("A.json", &record("NEW-1", "delta")),
        ("BOMB-1.json", &bomb),
    ]);
    let ratio = bomb.len() as f64 / zip.len() as f64;
    assert!(ratio > 500.0, "test bomb ratio only {ratio}");
    let path = fx.write("bomb.zip", &zip);
    let err = fx.import(&path, &Limits::default()).unwrap_err();
    assert_limit(&err, LimitKind::Ratio);
    assert!(err.to_string().contains("BOMB-1.json"), "{err}");
    assert_eq!(fx.counts(), before);
    // A bigger member is refused by its size before anything is decompressed.
    let err = fx
        .import(&path, &Limits::default().with_max_entry_bytes(1 << 20))
        .unwrap_err();
    assert_limit(&err, LimitKind::EntryBytes);
    assert_eq!(fx.counts(), before);
}

/// Rewrites a member's declared uncompressed size in both its local and central headers.
fn patch_declared_size(zip: &mut [u8], declared: u32) {
    let mut i = 0;
    while i + 30 <= zip.len() {
        match &zip[i..i + 4] {
            [0x50, 0x4b, 0x03, 0x04] => {
                zip[i + 22..i + 26].copy_from_slice(&declared.to_le_bytes());
                i += 30;
            }
            [0x50, 0x4b, 0x01, 0x02] => {
                zip[i + 24..i + 28].copy_from_slice(&declared.to_le_bytes());
                i += 46;
            }
            _ => i += 1,
        }
    }
}

#[test]
fn lying_header_is_caught_by_the_bytes_actually_read() {
    let mut fx = Fixture::new();
    let before = fx.counts();
    let mut body = vec![b' '; 8 << 20];
    body.extend_from_slice(&record("LIAR-1", "liar"));
    let mut zip = build_zip(&[("LIAR-1.json", &body)]);
    // Declares 100 bytes: passes every declared-size and ratio check.
    patch_declared_size(&mut zip, 100);
    let path = fx.write("liar.zip", &zip);
    let err = fx.import(&path, &Limits::default()).unwrap_err();
    eprintln!("lying header: {err}");
    assert!(
        matches!(
            err,
            VulnError::LimitExceeded { .. } | VulnError::CorruptEntry { .. }
        ),
        "{err}"
    );
    assert_eq!(fx.counts(), before);
    // With a small per-entry cap, reading stops at the cap whatever the header says.
    let err = fx
        .import(&path, &Limits::default().with_max_entry_bytes(4096))
        .unwrap_err();
    assert!(
        matches!(
            err,
            VulnError::LimitExceeded { .. } | VulnError::CorruptEntry { .. }
        ),
        "{err}"
    );
    assert_eq!(fx.counts(), before);
}

/// An OSV export as published holds plain `ID.json` members. A climbing, absolute or encrypted
/// member marks a crafted archive: SafeZip (the one reader of untrusted zips) refuses the whole
/// file at open, naming the member, and nothing is imported.
#[test]
fn path_traversal_and_encrypted_members_refuse_the_whole_file() {
    let mut fx = Fixture::new();
    let before = fx.counts();
    let good = record("GOOD-1", "good");
    let evil = record("EVIL-1", "evil");
    for (bad, why) in [("../EVIL-1.json", ".."), ("/etc/EVIL-1.json", "absolute")] {
        let zip = build_stored_zip(&[("GOOD-1.json", &good), (bad, &evil)]);
        let path = fx.write("evil.zip", &zip);
        let err = fx.import(&path, &Limits::default()).unwrap_err();
        assert!(
            matches!(&err, VulnError::UnsafeEntry { entry, .. } if entry == bad),
            "{why}: {err:?}"
        );
        assert!(err.to_string().contains("nothing was imported"), "{err}");
        assert_eq!(fx.counts(), before);
    }
    let mut zip = build_stored_zip(&[("GOOD-1.json", &good), ("ENC-3.json", &evil)]);
    // Set the "encrypted" flag on the last member (local header and central directory).
    let name = b"ENC-3.json";
    let mut i = 0;
    while i + 46 <= zip.len() {
        if zip[i..i + 4] == [0x50, 0x4b, 0x03, 0x04] && zip[i + 30..].starts_with(name) {
            zip[i + 6] |= 1;
        }
        if zip[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] && zip[i + 46..].starts_with(name) {
            zip[i + 8] |= 1;
        }
        i += 1;
    }
    let path = fx.write("enc.zip", &zip);
    let err = fx.import(&path, &Limits::default()).unwrap_err();
    assert!(
        matches!(&err, VulnError::UnsafeEntry { entry, reason, .. } if entry == "ENC-3.json" && reason == "encrypted"),
        "{err:?}"
    );
    assert_eq!(fx.counts(), before);
    assert!(fx.db.record_json("GOOD-1").unwrap().is_none());
}

#[test]
fn non_json_and_incomplete_records_become_warnings() {
    let mut fx = Fixture::new();
    let deep = "[".repeat(100_000);
    let members: Vec<(&str, Vec<u8>)> = vec![
        ("notes.txt", b"this is not an advisory".to_vec()),
        ("binary.json", vec![0xff, 0xfe, 0x00, 0x01, 0x80]),
        ("empty.json", Vec::new()),
        ("array.json", b"[1, 2, 3]".to_vec()),
        ("deep.json", deep.into_bytes()),
        ("no-id.json", br#"{"modified": "2024-01-01T00:00:00Z", "affected": []}"#.to_vec()),
        ("no-modified.json", br#"{"id": "X-1", "affected": []}"#.to_vec()),
        ("bad-modified.json", br#"{"id": "X-2", "modified": "yesterday"}"#.to_vec()),
        ("bad-affected.json", br#"{"id": "X-3", "modified": "2024-01-01T00:00:00Z", "affected": {"a": 1}}"#.to_vec()),
        // Usable records with bad parts: the part is dropped, the record kept.
        (
            "bad-ranges.json",
            serde_json::to_vec(&serde_json::json!({
                "id": "X-4", "modified": "2024-01-01T00:00:00Z",
                "affected": [
                    {"package": {"ecosystem": "crates.io"}},
                    {"package": {"ecosystem": "crates.io", "name": "partial"},
                     "versions": ["0.3.0", 7],
                     "ranges": [
                        {"type": "SEMVER", "events": [{"fixed": "1.0.0"}]},
                        {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "not.a.version"}]},
                        {"type": "WEIRD", "events": [{"introduced": "0"}]},
                        {"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1.0.0"}]},
                        {"type": "SEMVER", "events": [{"introduced": "0.5.0"}, {"fixed": "0.6.0"}]}
                     ]}
                ]
            }))
            .unwrap(),
        ),
        ("GOOD-2.json", record("GOOD-2", "fine")),
    ];
    let refs: Vec<(&str, &[u8])> = members.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let path = fx.write("junk.zip", &build_zip(&refs));
    let report = fx.import(&path, &Limits::default()).unwrap();
    assert_eq!(report.records_total, 11);
    assert_eq!(report.imported, 2, "{report:#?}");
    assert_eq!(report.rejected, 9, "{report:#?}");
    let w = report.warnings.join("\n");
    for needle in [
        "notes.txt",
        "binary.json",
        "empty member",
        "array.json",
        "deep.json",
        "missing or empty \"id\"",
        "X-1: missing \"modified\"",
        "X-2: \"modified\" is not an RFC 3339 timestamp",
        "X-3: \"affected\" is not a list",
        "X-4: affected[0].package lacks",
        "no \"introduced\" event",
        "SEMVER range cannot be evaluated",
        "unknown range type \"WEIRD\"",
        "exactly one of",
    ] {
        assert!(w.contains(needle), "missing warning {needle:?} in:\n{w}");
    }
    let scan = |v: &str| {
        fx.db
            .scan(&[PackageRef {
                ecosystem: "crates.io".into(),
                name: "partial".into(),
                version: v.into(),
                purl: None,
                found_in: None,
            }])
            .unwrap()
            .len()
    };
    // The kept range [0.5.0, 0.6.0) and the versions list still match.
    assert_eq!(
        (scan("0.3.0"), scan("0.5.1"), scan("0.4.0"), scan("2.0.0")),
        (1, 1, 0, 0)
    );
}

#[test]
fn hundred_thousand_empty_entries_are_refused_quickly() {
    let mut fx = Fixture::new();
    let before = fx.counts();
    let names: Vec<String> = (0..100_000).map(|i| format!("{i}.json")).collect();
    let refs: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let path = fx.write("empties.zip", &build_stored_zip(&refs));

    // An entry bound below the count: refused from the end-of-central-directory record,
    // before the central directory is parsed.
    let start = Instant::now();
    let err = fx
        .import(&path, &Limits::default().with_max_entries(50_000))
        .unwrap_err();
    assert_limit(&err, LimitKind::Entries);
    assert!(
        start.elapsed().as_millis() < 500,
        "took {:?}",
        start.elapsed()
    );

    // Default limits: every member is unusable, and the import stops at max_bad_records.
    let start = Instant::now();
    let err = fx.import(&path, &Limits::default()).unwrap_err();
    assert_limit(&err, LimitKind::BadRecords);
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    assert_eq!(fx.counts(), before);
}

#[test]
fn damage_half_way_rolls_back_the_whole_import() {
    let mut fx = Fixture::new();
    let before = fx.counts();
    let records: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| {
            (
                format!("MID-{i}.json"),
                record(&format!("MID-{i}"), &format!("mid{i}")),
            )
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = records
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let mut zip = build_stored_zip(&refs);
    // Damage the data of member 30 (stored, so its JSON is in the clear): its CRC fails.
    let needle = b"\"MID-30\"";
    let at = zip.windows(needle.len()).position(|w| w == needle).unwrap();
    zip[at + 2] = b'X';
    let path = fx.write("damaged.zip", &zip);
    let err = fx.import(&path, &Limits::default()).unwrap_err();
    assert!(matches!(err, VulnError::CorruptEntry { .. }), "{err}");
    assert!(err.to_string().contains("MID-30.json"), "{err}");
    assert_eq!(
        fx.counts(),
        before,
        "members 0..30 were read, yet nothing may remain"
    );
    assert!(fx.db.record_json("MID-1").unwrap().is_none());

    // Not a zip at all.
    let path = fx.write("not.zip", b"PK\x03\x04 but nothing else");
    let err = fx.import(&path, &Limits::default()).unwrap_err();
    assert!(matches!(err, VulnError::NotAZip { .. }), "{err:?}");
    // Truncated in the middle: the central directory is gone.
    let path = fx.write("truncated.zip", &zip[..zip.len() / 2]);
    assert!(fx.import(&path, &Limits::default()).is_err());
    assert_eq!(fx.counts(), before);
}
