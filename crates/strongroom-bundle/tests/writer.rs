//! The bundle writer: byte-identical output whatever the insertion order, atomic replacement
//! with nothing left behind on failure, and zips that an independent reader (Python's zipfile)
//! reads with the fixed metadata we promise.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{noise, sample_files, sample_manifest, sample_writer};
use strongroom_bundle::{BundleError, BundleWriter, EntrySource, Limits, SafeZip};

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn same_entries_in_any_order_give_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    std::fs::write(&big, noise(300_000, 7)).unwrap();

    let files = sample_files();
    let manifest = sample_manifest().to_bytes();
    let write = |order: &[usize], out: &str| {
        let mut w = BundleWriter::new();
        for &i in order {
            match i {
                5 => w.add_bytes("manifest.json", manifest.clone()).unwrap(),
                6 => w.add_file("artifacts/big.bin", &big).unwrap(),
                i => w.add_bytes(&files[i].0, files[i].1.clone()).unwrap(),
            }
        }
        let p = dir.path().join(out);
        let written = w.write_atomic(&p, false).unwrap();
        (std::fs::read(&p).unwrap(), written)
    };
    let (a, wa) = write(&[0, 1, 2, 3, 4, 5, 6], "a.zip");
    let (b, wb) = write(&[6, 5, 4, 3, 2, 1, 0], "b.zip");
    let (c, _) = write(&[3, 6, 0, 5, 1, 4, 2], "c.zip");
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(wa, wb);
    assert_eq!(wa.size, a.len() as u64);
    assert_eq!(wa.sha256, strongroom_bundle::Sha256Digest::of_bytes(&a));

    // Written again later: still identical (no clock in the output).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (d, _) = write(&[0, 1, 2, 3, 4, 5, 6], "d.zip");
    assert_eq!(a, d);
}

#[test]
fn the_layout_is_sorted_with_fixed_metadata_for_an_independent_reader() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bundle.zip");
    sample_writer().write_atomic(&p, false).unwrap();
    let script = r#"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None, "bad CRC"
assert z.comment == b"", z.comment
for i in z.infolist():
    assert i.date_time == (1980, 1, 1, 0, 0, 0), i.date_time
    assert i.external_attr >> 16 == 0o100644, oct(i.external_attr >> 16)
    # Artifacts are stored as they are; every other entry is deflated.
    want = zipfile.ZIP_STORED if i.filename.startswith("artifacts/") else zipfile.ZIP_DEFLATED
    assert i.compress_type == want, (i.filename, i.compress_type)
    assert i.extra == b"", i.extra
    assert i.comment == b""
    print(i.filename)
"#;
    let names = common::python(script, &[p.to_str().unwrap()]);
    let mut want: Vec<String> = sample_files().into_iter().map(|f| f.0).collect();
    want.push("manifest.json".into());
    want.sort();
    assert_eq!(names.lines().collect::<Vec<_>>(), want);

    // And our reader agrees.
    let z = SafeZip::open(&p, &Limits::default()).unwrap();
    assert_eq!(z.names().collect::<Vec<_>>(), want);
    for (path, bytes, _) in sample_files() {
        assert_eq!(z.read(&path, 1 << 20).unwrap(), bytes);
    }
}

#[test]
fn a_zip_from_another_writer_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("py.zip");
    let script = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("manifest.json", "{}")
    z.mkdir("keys")
    z.writestr("keys/k.pem", "pem")
    z.writestr("artifacts/ü.bin", bytes(range(256)) * 10)
"#;
    common::python(script, &[p.to_str().unwrap()]);
    let z = SafeZip::open(&p, &Limits::default()).unwrap();
    assert_eq!(
        z.names().collect::<Vec<_>>(),
        ["artifacts/ü.bin", "keys/k.pem", "manifest.json"]
    );
    assert_eq!(z.directories(), ["keys"]);
    let want: Vec<u8> = (0..=255u8).cycle().take(2560).collect();
    assert_eq!(z.read("artifacts/ü.bin", 10_000).unwrap(), want);
}

#[test]
fn a_failing_source_leaves_nothing_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.zip");

    let mut w = sample_writer();
    w.add_file("artifacts/missing.bin", dir.path().join("no-such-file"))
        .unwrap();
    assert!(matches!(
        w.write_atomic(&out, false),
        Err(BundleError::Io { path, .. }) if path.ends_with("no-such-file")
    ));
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));

    // An existing bundle is refused without overwrite, and survives a failed overwrite.
    std::fs::write(&out, b"previous bundle").unwrap();
    assert!(matches!(
        sample_writer().write_atomic(&out, false),
        Err(BundleError::OutputExists(_))
    ));
    assert!(w.write_atomic(&out, true).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), b"previous bundle");
    assert_eq!(listing(dir.path()), ["bundle.zip"]);

    // A destination directory that does not exist.
    let r = sample_writer().write_atomic(&dir.path().join("nodir/b.zip"), false);
    assert!(matches!(r, Err(BundleError::Io { .. })));

    // With overwrite, a good write replaces it.
    sample_writer().write_atomic(&out, true).unwrap();
    assert!(SafeZip::open(&out, &Limits::default()).is_ok());
    assert_eq!(listing(dir.path()), ["bundle.zip"]);
}

#[test]
fn a_source_that_changes_while_packing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The writer takes each file's size first and copies exactly that many bytes; a file that
    // yields more (or fewer) is refused. A /proc file stats as 0 bytes but has content, like a
    // file that grew after it was measured.
    let mut w = BundleWriter::new();
    w.add_bytes("a.txt", b"fine".to_vec()).unwrap();
    w.add_file("status", "/proc/self/status").unwrap();
    assert!(matches!(
        w.write_atomic(&dir.path().join("p.zip"), false),
        Err(BundleError::SourceChanged(p)) if p == Path::new("/proc/self/status")
    ));
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn paths_are_checked_when_added() {
    let mut w = BundleWriter::new();
    for bad in ["../x", "/abs", "a//b", "C:\\x", ""] {
        assert!(
            matches!(
                w.add_bytes(bad, vec![]),
                Err(BundleError::InvalidEntryPath { .. })
            ),
            "{bad:?}"
        );
    }
    w.add_bytes("README.txt", vec![]).unwrap();
    assert!(w.add_bytes("README.txt", vec![]).is_err());
    assert!(w.add_bytes("readme.txt", vec![]).is_err());
    assert!(w.remove("README.txt").is_some());
    w.add_bytes("readme.txt", vec![]).unwrap();
}

#[test]
fn a_bundle_is_rewritten_from_itself_with_one_more_entry() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.zip");
    sample_writer().write_atomic(&first, false).unwrap();
    let zip = Arc::new(SafeZip::open(&first, &Limits::default()).unwrap());

    let approval = format!("approvals/{}.sigstore.json", "ab".repeat(32));
    let mut w = BundleWriter::from_zip(Arc::clone(&zip)).unwrap();
    w.add(&approval, EntrySource::Bytes(b"{}".to_vec()))
        .unwrap();
    let second = dir.path().join("second.zip");
    w.write_atomic(&second, false).unwrap();

    // The same as writing everything from scratch.
    let mut fresh = sample_writer();
    fresh.add_bytes(&approval, b"{}".to_vec()).unwrap();
    let third = dir.path().join("third.zip");
    fresh.write_atomic(&third, false).unwrap();
    assert_eq!(
        std::fs::read(&second).unwrap(),
        std::fs::read(&third).unwrap()
    );

    // Rewriting in place (the approve flow) works while the old one is open.
    let mut w = BundleWriter::from_zip(Arc::clone(&zip)).unwrap();
    w.add_bytes(&approval, b"{}".to_vec()).unwrap();
    w.write_atomic(&first, true).unwrap();
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&third).unwrap()
    );
}
