//! Hostile and malformed zips: each is refused by `SafeZip` with a specific error, before any
//! entry data is used (or, for lying sizes and bad data, as soon as reading shows it).

mod common;

use std::io::Write;
use std::path::Path;

use common::{build, build_with, put, End, Raw};
use strongroom_bundle::{BundleError, LimitKind, Limits, PathProblem, SafeZip, UnsafeEntry};

fn open(dir: &Path, bytes: &[u8]) -> Result<SafeZip, BundleError> {
    let p = put(dir, "t.zip", bytes);
    SafeZip::open(&p, &Limits::default())
}

fn unsafe_reason(r: Result<SafeZip, BundleError>) -> (String, UnsafeEntry) {
    match r {
        Err(BundleError::UnsafeEntry { entry, reason, .. }) => (entry, reason),
        other => panic!("expected an unsafe entry, got {other:?}"),
    }
}

#[test]
fn path_traversal_and_absolute_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("../evil", PathProblem::DotDotComponent),
        ("/abs", PathProblem::Absolute),
        ("a/../../b", PathProblem::DotDotComponent),
        ("C:\\x", PathProblem::Backslash),
        ("C:/x", PathProblem::DriveLetter),
        ("a\\..\\b", PathProblem::Backslash),
        ("./a", PathProblem::DotComponent),
        ("a//b", PathProblem::EmptyComponent),
        ("a\u{1}b", PathProblem::ControlCharacter),
    ];
    for (name, want) in cases {
        let zip = build(&[Raw::stored("ok.txt", b"fine"), Raw::stored(name, b"evil")]);
        let (entry, reason) = unsafe_reason(open(dir.path(), &zip));
        assert_eq!(entry, name);
        assert_eq!(reason, UnsafeEntry::Path(want), "{name:?}");
    }
}

#[test]
fn symlinks_and_special_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A symlink as the zip crate writes one.
    let p = dir.path().join("link.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("a.txt", opts).unwrap();
    w.write_all(b"a").unwrap();
    w.add_symlink("link", "/etc/passwd", opts).unwrap();
    w.finish().unwrap();
    let (entry, reason) = unsafe_reason(SafeZip::open(&p, &Limits::default()));
    assert_eq!((entry.as_str(), reason), ("link", UnsafeEntry::Symlink));

    // A FIFO.
    let mut fifo = Raw::stored("fifo", b"");
    fifo.external = 0o010644 << 16;
    let (_, reason) = unsafe_reason(open(dir.path(), &build(&[fifo])));
    assert_eq!(reason, UnsafeEntry::NotRegularFile { mode: 0o010644 });
}

#[test]
fn duplicate_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zip = build(&[Raw::stored("a", b"1"), Raw::stored("a", b"2")]);
    assert_eq!(
        unsafe_reason(open(dir.path(), &zip)).1,
        UnsafeEntry::Duplicate
    );

    let zip = build(&[
        Raw::stored("README.txt", b"1"),
        Raw::stored("readme.TXT", b"2"),
    ]);
    assert!(matches!(
        unsafe_reason(open(dir.path(), &zip)).1,
        UnsafeEntry::DuplicateIgnoringCase { .. }
    ));

    // A name that is both a file and a directory.
    let zip = build(&[Raw::stored("a", b"1"), Raw::stored("a/b", b"2")]);
    assert!(matches!(
        unsafe_reason(open(dir.path(), &zip)).1,
        UnsafeEntry::FileDirectoryConflict { .. }
    ));
    let mut d = Raw::stored("a/", b"");
    d.external = (0o040755 << 16) | 0x10;
    let zip = build(&[Raw::stored("a", b"1"), d]);
    assert!(matches!(
        unsafe_reason(open(dir.path(), &zip)).1,
        UnsafeEntry::FileDirectoryConflict { .. }
    ));
}

#[test]
fn plain_directory_entries_are_checked_then_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Raw::stored("docs/", b"");
    d.external = (0o040755 << 16) | 0x10;
    let z = open(dir.path(), &build(&[d, Raw::stored("docs/a.txt", b"text")])).unwrap();
    assert_eq!(z.names().collect::<Vec<_>>(), ["docs/a.txt"]);
    assert_eq!(z.directories(), ["docs"]);

    // A directory with data is not plain.
    let mut d = Raw::stored("docs/", b"data");
    d.external = 0o040755 << 16;
    assert_eq!(
        unsafe_reason(open(dir.path(), &build(&[d]))).1,
        UnsafeEntry::BadDirectory
    );
    // Nor is a directory-typed entry without the slash.
    let mut d = Raw::stored("docs", b"");
    d.external = 0o040755 << 16;
    assert_eq!(
        unsafe_reason(open(dir.path(), &build(&[d]))).1,
        UnsafeEntry::BadDirectory
    );
    // A traversal through a directory entry is refused like any other.
    let (_, reason) = unsafe_reason(open(dir.path(), &build(&[Raw::stored("../", b"")])));
    assert_eq!(reason, UnsafeEntry::Path(PathProblem::DotDotComponent));
}

#[test]
fn encrypted_entries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // ZipCrypto: general-purpose flag bit 0, patched in both headers.
    let mut e = Raw::stored("secret.txt", b"hidden");
    e.flags |= 1;
    assert!(matches!(
        open(dir.path(), &build(&[e])),
        Err(BundleError::EncryptedEntry { entry, .. }) if entry == "secret.txt"
    ));
    // AES (WinZip AE-2): method 99 and its extra field.
    let mut e = Raw::stored("aes.txt", b"hidden");
    e.method = 99;
    e.cd_extra = vec![0x01, 0x99, 7, 0, 2, 0, b'A', b'E', 3, 8, 0];
    assert!(matches!(
        open(dir.path(), &build(&[e])),
        Err(BundleError::EncryptedEntry { .. })
    ));
    // Encrypted only in the local header: still refused.
    let mut e = Raw::stored("sly.txt", b"hidden");
    e.local_name = None;
    let mut bytes = build(&[e]);
    bytes[6] |= 1; // local header flags
    assert!(matches!(
        open(dir.path(), &bytes),
        Err(BundleError::EncryptedEntry { .. })
    ));
}

#[test]
fn other_compression_methods_and_non_utf8_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Raw::stored("a.bz2", b"x");
    e.method = 12;
    assert!(matches!(
        open(dir.path(), &build(&[e])),
        Err(BundleError::UnsupportedCompression { method: 12, .. })
    ));

    let mut e = Raw::stored("x", b"x");
    e.name = vec![b'a', 0xff, b'b'];
    assert_eq!(
        unsafe_reason(open(dir.path(), &build(&[e]))).1,
        UnsafeEntry::NonUtf8Name
    );
    // Valid UTF-8 but not flagged as such: the name would be CP437 to other tools.
    let mut e = Raw::stored("é", b"x");
    e.flags = 0;
    assert_eq!(
        unsafe_reason(open(dir.path(), &build(&[e]))).1,
        UnsafeEntry::NonUtf8Name
    );
    // Flagged UTF-8 is fine.
    let z = open(dir.path(), &build(&[Raw::stored("é", b"x")])).unwrap();
    assert_eq!(z.names().collect::<Vec<_>>(), ["é"]);
}

#[test]
fn one_hundred_thousand_empty_entries_are_refused_by_count() {
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<Raw> = (0..100_000)
        .map(|i| Raw::stored(&format!("e{i}"), b""))
        .collect();
    let zip = build_with(
        &entries,
        &End {
            zip64: true,
            ..End::default()
        },
    );
    match open(dir.path(), &zip) {
        Err(BundleError::LimitExceeded {
            limit: LimitKind::Entries,
            actual: 100_000,
            allowed: 50_000,
            entry: None,
            ..
        }) => {}
        other => panic!("expected the entry limit, got {other:?}"),
    }
    // A classic end record can claim at most 65,535; a lying count is caught too.
    let zip = build_with(
        &entries[..10],
        &End {
            claimed_count: Some(60_000),
            ..End::default()
        },
    );
    assert!(matches!(
        open(dir.path(), &zip),
        Err(BundleError::LimitExceeded {
            limit: LimitKind::Entries,
            ..
        })
    ));
}

#[test]
fn a_zip_bomb_is_refused_by_ratio_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    // 64 MiB of zeros inflate from about 64 KiB: a ratio above 1000.
    let p = dir.path().join("bomb.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    w.start_file("zeros", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::copy(&mut std::io::repeat(0).take_bytes(64 << 20), &mut w).unwrap();
    w.finish().unwrap();
    match SafeZip::open(&p, &Limits::default()) {
        Err(BundleError::LimitExceeded {
            limit: LimitKind::Ratio,
            actual,
            allowed: 200,
            entry: Some(e),
            ..
        }) => {
            assert!(actual > 1000, "ratio {actual}");
            assert_eq!(e, "zeros");
        }
        other => panic!("expected the ratio limit, got {other:?}"),
    }
    // Size limits are checked on the declared sizes too.
    let small = Limits {
        max_entry_bytes: 1 << 20,
        max_ratio: 10_000,
        ..Limits::default()
    };
    assert!(matches!(
        SafeZip::open(&p, &small),
        Err(BundleError::LimitExceeded {
            limit: LimitKind::EntryBytes,
            ..
        })
    ));
    let small = Limits {
        max_total_bytes: 1 << 20,
        max_ratio: 10_000,
        ..Limits::default()
    };
    assert!(matches!(
        SafeZip::open(&p, &small),
        Err(BundleError::LimitExceeded {
            limit: LimitKind::TotalBytes,
            ..
        })
    ));
    // Raised for a trusted file, it opens and reads in full.
    let trusting = Limits {
        max_ratio: 10_000,
        ..Limits::default()
    };
    let z = SafeZip::open(&p, &trusting).unwrap();
    assert_eq!(z.hash("zeros").unwrap().1, 64 << 20);
}

trait TakeBytes: std::io::Read + Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self> {
        self.take(n)
    }
}
impl<R: std::io::Read> TakeBytes for R {}

#[test]
fn a_lying_central_directory_is_stopped_while_reading() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![7u8; 1 << 20];
    let mut e = Raw::deflated("liar", &big);
    e.usize = 1000; // declares 1000 bytes, inflates to 1 MiB; the local header agrees
    let z = open(dir.path(), &build(&[e])).unwrap();
    for r in [
        z.hash("liar").map(drop),
        z.read("liar", 1 << 30).map(drop),
        z.copy_to("liar", &mut std::io::sink()).map(drop),
    ] {
        assert!(
            matches!(
                r,
                Err(BundleError::LongerThanDeclared { declared: 1000, .. })
            ),
            "{r:?}"
        );
    }
    // Extraction fails the same way and leaves nothing behind.
    assert!(matches!(
        z.extract_to_fresh_tempdir_in(dir.path()),
        Err(BundleError::LongerThanDeclared { .. })
    ));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only t.zip"
    );

    // Declaring more than there is: truncated.
    let mut e = Raw::deflated("short", b"only this");
    e.usize = 100;
    let z = open(dir.path(), &build(&[e])).unwrap();
    assert!(matches!(
        z.hash("short"),
        Err(BundleError::Corrupt { reason, .. }) if reason.contains("truncated")
    ));

    // Right size, wrong CRC: altered data.
    let mut e = Raw::deflated("crc", b"some data");
    e.crc ^= 1;
    let z = open(dir.path(), &build(&[e])).unwrap();
    assert!(matches!(
        z.read("crc", 100),
        Err(BundleError::Corrupt { reason, .. }) if reason.contains("CRC")
    ));

    // The read cap is checked against the declared size before reading.
    let z = open(dir.path(), &build(&[Raw::stored("f", &[1u8; 100])])).unwrap();
    assert!(matches!(
        z.read("f", 99),
        Err(BundleError::LimitExceeded {
            limit: LimitKind::ReadCap,
            actual: 100,
            allowed: 99,
            ..
        })
    ));
    assert_eq!(z.read("f", 100).unwrap(), vec![1u8; 100]);
}

#[test]
fn local_headers_must_agree_with_the_central_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Raw::stored("good.txt", b"x");
    e.local_name = Some(b"evil.sh".to_vec());
    assert!(matches!(
        unsafe_reason(open(dir.path(), &build(&[e]))).1,
        UnsafeEntry::LocalHeaderMismatch { .. }
    ));
    // Sizes that differ between the headers.
    let e = Raw::stored("a.txt", b"abc");
    let mut bytes = build(&[e]);
    bytes[18] = 2; // local compressed size
    bytes[22] = 2; // local uncompressed size
    assert!(matches!(
        unsafe_reason(open(dir.path(), &bytes)).1,
        UnsafeEntry::LocalHeaderMismatch { .. }
    ));
    // A Unicode Path extra field that renames the entry for other tools.
    let mut e = Raw::stored("a.txt", b"x");
    let mut field = vec![0x75, 0x70, 0, 0, 1, 0, 0, 0, 0];
    field.extend_from_slice(b"../b.txt");
    field[2] = (field.len() - 4) as u8;
    e.cd_extra = field;
    assert_eq!(
        unsafe_reason(open(dir.path(), &build(&[e]))).1,
        UnsafeEntry::UnicodePathMismatch
    );
}

#[test]
fn overlapping_entries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Two central records sharing one local header (how non-recursive bombs multiply data).
    let mut second = Raw::stored("b", b"payload");
    second.offset_of = Some(0);
    let bytes = build(&[Raw::stored("a", b"payload"), second]);
    assert_eq!(
        unsafe_reason(open(dir.path(), &bytes)).1,
        UnsafeEntry::Overlapping
    );
    // Data running into the next entry.
    let mut first = Raw::stored("a", b"payload");
    first.csize = 20;
    first.usize = 20;
    let bytes = build(&[first, Raw::stored("c", b"more")]);
    assert_eq!(
        unsafe_reason(open(dir.path(), &bytes)).1,
        UnsafeEntry::Overlapping
    );
}

#[test]
fn truncated_and_foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = build(&[
        Raw::deflated("a.txt", &[5u8; 5000]),
        Raw::stored("b.txt", b"b"),
    ]);
    assert!(open(dir.path(), &good).is_ok());
    for cut in [good.len() / 2, good.len() - 1, 10] {
        assert!(
            matches!(
                open(dir.path(), &good[..cut]),
                Err(BundleError::Corrupt { .. })
            ),
            "cut at {cut}"
        );
    }
    assert!(matches!(
        open(
            dir.path(),
            b"this is plainly not a zip file, just some text"
        ),
        Err(BundleError::NotAZip { .. })
    ));
    assert!(matches!(
        open(dir.path(), b""),
        Err(BundleError::NotAZip { .. })
    ));
    // Trailing bytes after the end record.
    let trailing = build_with(
        &[Raw::stored("a", b"a")],
        &End {
            trailing: b"junk".to_vec(),
            ..End::default()
        },
    );
    assert!(matches!(
        open(dir.path(), &trailing),
        Err(BundleError::Corrupt { .. })
    ));
    // Bytes prepended before the first entry (the offsets no longer fit).
    let mut prepended = b"#!/bin/sh\nexit 0\n".to_vec();
    prepended.extend_from_slice(&good);
    assert!(matches!(
        open(dir.path(), &prepended),
        Err(BundleError::Corrupt { .. })
    ));
    // A directory is not a zip.
    assert!(matches!(
        SafeZip::open(dir.path(), &Limits::default()),
        Err(BundleError::NotAZip { .. })
    ));
}

#[test]
fn zip64_records_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Raw::deflated("a.txt", &[9u8; 10_000]);
    a.cd_zip64 = true;
    let b = Raw::stored("b.txt", b"bee");
    let bytes = build_with(
        &[a, b],
        &End {
            zip64: true,
            ..End::default()
        },
    );
    let z = open(dir.path(), &bytes).unwrap();
    assert_eq!(z.read("a.txt", 1 << 20).unwrap(), vec![9u8; 10_000]);
    assert_eq!(z.read("b.txt", 10).unwrap(), b"bee");

    // The zip crate's large-file entries (zip64 extra in the local header) read too.
    let p = dir.path().join("large.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    w.start_file(
        "big-flag",
        zip::write::SimpleFileOptions::default().large_file(true),
    )
    .unwrap();
    w.write_all(b"small content").unwrap();
    w.finish().unwrap();
    let z = SafeZip::open(&p, &Limits::default()).unwrap();
    assert_eq!(z.read("big-flag", 100).unwrap(), b"small content");
}

#[test]
fn extraction_stays_inside_a_fresh_directory() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = build(&[
        Raw::stored("README.txt", b"read me"),
        Raw::deflated("artifacts/app.tar.gz", &common::noise(70_000, 3)),
        Raw::stored("keys/k.pem", b"pem"),
    ]);
    let z = open(dir.path(), &bytes).unwrap();
    let out = z.extract_to_fresh_tempdir_in(dir.path()).unwrap();
    assert!(out.path().starts_with(dir.path()));
    assert_eq!(
        std::fs::read(out.path().join("README.txt")).unwrap(),
        b"read me"
    );
    assert_eq!(
        std::fs::read(out.path().join("artifacts/app.tar.gz")).unwrap(),
        common::noise(70_000, 3)
    );
    let mut all: Vec<String> = walk(out.path());
    all.sort();
    assert_eq!(all, ["README.txt", "artifacts/app.tar.gz", "keys/k.pem"]);
    let kept = out.path().to_owned();
    drop(out);
    assert!(!kept.exists());
}

fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(
                    e.path()
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out
}
