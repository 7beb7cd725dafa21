//! Bounded memory with hostile zips: a 200 MiB zip bomb and a central directory that lies about
//! an entry's size are refused (or read through by streaming, when trusted) while the process's
//! peak resident memory grows by far less than the data involved. The only test in this binary,
//! so no other test's allocations blur the measurement.

mod common;

use std::io::Write;

use common::{build, Raw};
use strongroom_bundle::{BundleError, LimitKind, Limits, SafeZip};

const BOMB_BYTES: u64 = 200 << 20;
const ALLOWED_GROWTH_KIB: u64 = 64 << 10;

fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn hostile_zips_are_handled_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();

    // 200 MiB of zeros, deflated by the zip crate: a ratio above 1000.
    let bomb = dir.path().join("bomb.zip");
    let mut w = zip::ZipWriter::new(std::io::BufWriter::new(
        std::fs::File::create(&bomb).unwrap(),
    ));
    w.start_file("zeros.bin", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::copy(
        &mut std::io::Read::take(std::io::repeat(0), BOMB_BYTES),
        &mut w,
    )
    .unwrap();
    w.finish().unwrap().flush().unwrap();

    // The same data behind a central directory (and local header) that declare 4 KiB.
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::copy(
        &mut std::io::Read::take(std::io::repeat(0), BOMB_BYTES),
        &mut enc,
    )
    .unwrap();
    let packed = enc.finish().unwrap();
    let liar = Raw {
        csize: packed.len() as u64,
        data: packed,
        method: 8,
        usize: 4096,
        ..Raw::stored("liar.bin", &[0u8; 4096])
    };
    let liar_path = common::put(dir.path(), "liar.zip", &build(&[liar]));

    // Reset the peak (Linux ≥ 4.0); fall back to comparing with the peak so far.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmHWM:");

    match SafeZip::open(&bomb, &Limits::default()) {
        Err(BundleError::LimitExceeded {
            limit: LimitKind::Ratio,
            actual,
            ..
        }) => assert!(actual > 1000, "ratio {actual}"),
        other => panic!("the bomb must be refused by ratio, got {other:?}"),
    }
    // Trusted, it streams through in full.
    let trusting = Limits {
        max_ratio: 100_000,
        ..Limits::default()
    };
    let z = SafeZip::open(&bomb, &trusting).unwrap();
    assert_eq!(z.hash("zeros.bin").unwrap().1, BOMB_BYTES);
    assert_eq!(
        z.copy_to("zeros.bin", &mut std::io::sink()).unwrap(),
        BOMB_BYTES
    );

    // The liar passes the structural checks (4 KiB is below the ratio floor) and is stopped at
    // its 4,097th byte by every way of reading it.
    let z = SafeZip::open(&liar_path, &Limits::default()).unwrap();
    let stopped = |r: Result<(), BundleError>| {
        assert!(
            matches!(
                r,
                Err(BundleError::LongerThanDeclared { declared: 4096, .. })
            ),
            "{r:?}"
        )
    };
    stopped(z.hash("liar.bin").map(drop));
    stopped(z.read("liar.bin", 1 << 40).map(drop));
    stopped(z.copy_to("liar.bin", &mut std::io::sink()).map(drop));
    stopped(z.extract_to_fresh_tempdir_in(dir.path()).map(drop));
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["bomb.zip", "liar.zip"]);

    let after = status_kib("VmHWM:");
    let growth = after.saturating_sub(before);
    eprintln!("VmHWM before {before} KiB, after {after} KiB, growth {growth} KiB");
    assert!(
        growth < ALLOWED_GROWTH_KIB,
        "peak memory grew by {growth} KiB while handling {} MiB of hostile data",
        BOMB_BYTES >> 20
    );
}
