//! Hostile input: truncated and garbage files, oversized lockfiles, zip and gzip bombs, nested
//! archive bombs, links and path traversal. Each gives a clear error or warning, quickly.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::*;
use strongroom_sbom::{catalog, LimitKind, Limits, SbomError};

fn limits() -> Limits {
    Limits::default()
}

/// Peak resident memory of this test process (VmHWM), in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024
}

fn quick<T>(f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t.elapsed()
    );
    out
}

#[test]
fn truncated_tar_gz_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let filler: Vec<u8> = (0..300_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let cargo = std::fs::read(data("lockfiles/cargo-v4/Cargo.lock")).unwrap();
    let tgz = gzip(&tar_files(&[
        ("srv/Cargo.lock", &cargo),
        ("blob.bin", &filler),
    ]));
    let p = dir.path().join("app.tar.gz");
    std::fs::write(&p, &tgz[..tgz.len() / 2]).unwrap();
    let err = quick(|| catalog(&p, &limits())).unwrap_err();
    assert!(matches!(err, SbomError::Corrupt { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("app.tar.gz"), "{msg}");
    assert!(
        msg.contains("unexpected end") || msg.contains("ends inside"),
        "{msg}"
    );
}

#[test]
fn garbage_named_cargo_lock_is_a_parse_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("Cargo.lock");
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&p, &junk).unwrap();
    let err = catalog(&p, &limits()).unwrap_err();
    assert!(matches!(err, SbomError::Parse { .. }), "{err:?}");
    assert!(err.to_string().starts_with("Cargo.lock: line"), "{err}");

    // Valid UTF-8 but not TOML: the TOML error line is reported.
    std::fs::write(&p, "[[package]]\nname = \"a\"\nversion = \n").unwrap();
    let err = catalog(&p, &limits()).unwrap_err().to_string();
    assert!(
        err.starts_with("Cargo.lock: line 3: not a valid Cargo.lock"),
        "{err}"
    );

    // Inside an archive the same file is a warning and the rest is catalogued.
    let good = std::fs::read(data("lockfiles/cargo-v1/Cargo.lock")).unwrap();
    let t = dir.path().join("mixed.tar");
    std::fs::write(
        &t,
        tar_files(&[("a/Cargo.lock", &junk), ("b/Cargo.lock", &good)]),
    )
    .unwrap();
    let cat = catalog(&t, &limits()).unwrap();
    assert_eq!(cat.components.len(), 3);
    assert!(cat
        .warnings
        .iter()
        .any(|w| w.starts_with("mixed.tar!/a/Cargo.lock: line")));
}

#[test]
fn oversized_lockfile_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("package-lock.json");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(100 << 20).unwrap();
    let err = quick(|| catalog(&p, &limits())).unwrap_err();
    assert!(
        matches!(
            err,
            SbomError::LimitExceeded {
                limit: LimitKind::LockfileBytes,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("max_lockfile_bytes"), "{err}");

    // In an archive: skipped with a warning.
    let mut l = limits();
    l.max_lockfile_bytes = 1000;
    let big = vec![b' '; 5000];
    let t = dir.path().join("x.tar");
    std::fs::write(&t, tar_files(&[("go.mod", &big)])).unwrap();
    let cat = catalog(&t, &l).unwrap();
    assert!(cat
        .warnings
        .iter()
        .any(|w| w.contains("x.tar!/go.mod") && w.contains("skipped")));
}

#[test]
fn zip_bomb_by_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 32 << 20];
    let bomb = zip_bytes(&[("lib/inner.jar", &zeros)]);
    assert!(bomb.len() < 100_000);
    let p = dir.path().join("bomb.zip");
    std::fs::write(&p, &bomb).unwrap();
    let mut l = limits();
    l.max_ratio = 100;
    let err = quick(|| catalog(&p, &l)).unwrap_err();
    assert!(
        matches!(
            err,
            SbomError::LimitExceeded {
                limit: LimitKind::Ratio,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("bomb.zip!/lib/inner.jar"),
        "{err}"
    );
}

#[test]
fn gzip_bomb_stops_at_a_limit_with_bounded_memory() {
    // 2 GiB of zeros as 256 concatenated gzip members of 8 MiB each (~2 MiB on disk).
    let dir = tempfile::tempdir().unwrap();
    let member = gzip(&vec![0u8; 8 << 20]);
    let p = dir.path().join("layer.tar.gz");
    let mut f = std::fs::File::create(&p).unwrap();
    // A tar header claiming a 2 GiB file, whose data is the zeros: skipping it means inflating.
    let mut h = tar::Header::new_gnu();
    h.set_path("big.bin").unwrap();
    h.set_size(2 << 30);
    h.set_mode(0o644);
    h.set_cksum();
    let mut first = gzip(h.as_bytes());
    first.extend_from_slice(&member);
    f.write_all(&first).unwrap();
    for _ in 0..255 {
        f.write_all(&member).unwrap();
    }
    drop(f);
    let before = peak_rss_mib();
    let err = quick(|| catalog(&p, &limits())).unwrap_err();
    assert!(matches!(err, SbomError::LimitExceeded { .. }), "{err:?}");
    eprintln!("gzip bomb: {err}");
    let after = peak_rss_mib();
    assert!(
        after < before + 256,
        "peak RSS grew from {before} to {after} MiB"
    );
}

#[test]
fn nested_zip_depth_bomb() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = zip_bytes(&[("Cargo.lock", b"version = 3\n")]);
    for i in 0..10 {
        let name = format!("level{i}.zip");
        z = zip_bytes(&[(name.as_str(), &z)]);
    }
    let p = dir.path().join("nest.zip");
    std::fs::write(&p, &z).unwrap();
    let err = quick(|| catalog(&p, &limits())).unwrap_err();
    assert!(
        matches!(
            err,
            SbomError::LimitExceeded {
                limit: LimitKind::Depth,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("nested more than 4 levels"),
        "{err}"
    );
}

#[test]
fn links_and_traversal_are_skipped_with_warnings_and_unsafe_zips_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(data("lockfiles/cargo-v1/Cargo.lock")).unwrap();
    let t = tar_bytes(&[
        TarItem::Symlink("srv/Cargo.lock", "/etc/shadow"),
        TarItem::RawName("../../etc/Cargo.lock", &good),
        TarItem::RawName("/abs/Cargo.lock", &good),
        TarItem::File("ok/Cargo.lock", &good),
    ]);
    let p = dir.path().join("evil.tar");
    std::fs::write(&p, t).unwrap();
    let cat = catalog(&p, &limits()).unwrap();
    assert_eq!(cat.components.len(), 3);
    assert!(cat
        .components
        .iter()
        .all(|c| c.found_in == "evil.tar!/ok/Cargo.lock"));
    let w = cat.warnings.join("\n");
    assert!(
        w.contains("evil.tar!/srv/Cargo.lock: symbolic link to \"/etc/shadow\"; not followed"),
        "{w}"
    );
    assert!(
        w.contains("evil.tar!/../../etc/Cargo.lock: absolute path or `..`"),
        "{w}"
    );
    assert!(
        w.contains("evil.tar!//abs/Cargo.lock: absolute path or `..`"),
        "{w}"
    );

    // In a zip, SafeZip (the one reader of untrusted zips) refuses the whole archive, naming
    // the entry: on its own it is an error, nested it is a warning and the rest goes on.
    let z = zip_bytes(&[("../x/Cargo.lock", &good), ("fine/Cargo.lock", &good)]);
    let p = dir.path().join("evil.zip");
    std::fs::write(&p, &z).unwrap();
    let err = catalog(&p, &limits()).unwrap_err();
    assert!(
        err.to_string().contains("evil.zip")
            && err.to_string().contains("../x/Cargo.lock")
            && err.to_string().contains("path traversal"),
        "{err}"
    );
    let t = tar_files(&[("lib/evil.jar", &z), ("ok/Cargo.lock", &good)]);
    let p = dir.path().join("outer.tar");
    std::fs::write(&p, t).unwrap();
    let cat = catalog(&p, &limits()).unwrap();
    assert_eq!(cat.components.len(), 3);
    assert!(
        cat.warnings
            .iter()
            .any(|w| w.contains("outer.tar!/lib/evil.jar") && w.contains("path traversal")),
        "{:?}",
        cat.warnings
    );
}

#[test]
fn garbage_archives_and_entry_counts() {
    let dir = tempfile::tempdir().unwrap();
    let junk: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(40503) >> 7) as u8)
        .collect();
    for name in ["x.tar.gz", "x.zip", "x.deb", "x.tar", "x.jar"] {
        let p = dir.path().join(name);
        let mut bytes = match name {
            "x.tar.gz" => vec![0x1f, 0x8b, 8, 0],
            "x.zip" | "x.jar" => b"PK\x03\x04".to_vec(),
            "x.deb" => b"!<arch>\n".to_vec(),
            _ => Vec::new(),
        };
        bytes.extend_from_slice(&junk);
        std::fs::write(&p, bytes).unwrap();
        let err = quick(|| catalog(&p, &limits())).unwrap_err();
        assert!(
            matches!(
                err,
                SbomError::Corrupt { .. } | SbomError::Unsupported { .. }
            ),
            "{name}: {err:?}"
        );
        assert!(err.to_string().starts_with(name), "{err}");
    }
    // Too many entries.
    let names: Vec<String> = (0..300).map(|i| format!("f{i}")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let p = dir.path().join("many.tar");
    std::fs::write(&p, tar_files(&files)).unwrap();
    let mut l = limits();
    l.max_entries = 100;
    let err = catalog(&p, &l).unwrap_err();
    assert!(
        matches!(
            err,
            SbomError::LimitExceeded {
                limit: LimitKind::Entries,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn corrupt_nested_member_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(data("lockfiles/cargo-v1/Cargo.lock")).unwrap();
    let mut broken_jar = jar("g", "a", "1", &[]);
    broken_jar.truncate(broken_jar.len() / 2);
    let p = dir.path().join("app.tar");
    std::fs::write(
        &p,
        tar_files(&[("lib/broken.jar", &broken_jar), ("Cargo.lock", &good)]),
    )
    .unwrap();
    let cat = catalog(&p, &limits()).unwrap();
    assert_eq!(cat.components.len(), 3);
    assert!(cat
        .warnings
        .iter()
        .any(|w| w.starts_with("app.tar!/lib/broken.jar: corrupt or truncated zip archive")));
}

#[test]
fn a_file_name_that_would_make_a_directory_digest_ambiguous_is_refused() {
    use sha2::{Digest, Sha256};
    let hex = |b: &[u8]| hex::encode(Sha256::digest(b));
    let dir = tempfile::tempdir().unwrap();
    // Tree two: files x and y. Tree one: a single file whose name holds a newline and y's line,
    // so that its manifest line would read as the two lines of tree two.
    let two = dir.path().join("two");
    std::fs::create_dir(&two).unwrap();
    std::fs::write(two.join("x"), b"C").unwrap();
    std::fs::write(two.join("y"), b"D").unwrap();
    let one = dir.path().join("one");
    std::fs::create_dir(&one).unwrap();
    std::fs::write(one.join(format!("x\n{}  y", hex(b"D"))), b"C").unwrap();

    let listed = catalog(&two, &limits()).unwrap();
    assert_eq!(
        listed.subject.sha256,
        hex(format!("{}  x\n{}  y\n", hex(b"C"), hex(b"D")).as_bytes())
    );
    let e = catalog(&one, &limits()).unwrap_err();
    assert!(matches!(e, SbomError::AmbiguousName { .. }), "{e}");
    assert!(e.to_string().contains("control character"), "{e}");
    assert!(!e.is_recoverable());

    // Names that are not UTF-8 would collide once made readable: refused too.
    let three = dir.path().join("three");
    std::fs::create_dir(&three).unwrap();
    let raw = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"caf\xe9");
    std::fs::write(three.join(raw), b"C").unwrap();
    let e = catalog(&three, &limits()).unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");
}

/// Jars carry case-only twins (`META-INF/LICENSE` and `META-INF/license`). A release bundle
/// refuses them (they would collide when extracted on a case-insensitive disk); the cataloguer,
/// which extracts nothing, reads such a jar.
#[test]
fn a_jar_with_names_equal_but_for_case_is_catalogued() {
    let dir = tempfile::tempdir().unwrap();
    let good = b"version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\n";
    let z = zip_bytes(&[
        ("META-INF/LICENSE", b"MIT"),
        ("META-INF/license", b"mit"),
        ("Cargo.lock", good),
    ]);
    let p = dir.path().join("twins.jar");
    std::fs::write(&p, z).unwrap();
    let cat = catalog(&p, &limits()).unwrap();
    assert_eq!(cat.components.len(), 1, "{:?}", cat.warnings);
}
