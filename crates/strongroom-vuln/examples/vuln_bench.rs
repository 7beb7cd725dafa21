//! Benchmark: imports the real OSV zips of `../shared/vulndb` (records/s), adds synthetic
//! records up to at least 100,000, then scans an SBOM-like list of 5,000 packages with the
//! indexed `scan` and with `scan_linear`, checks both agree, and prints times and the ratio.
//!
//! `cargo run --release -p strongroom-vuln --example vuln_bench [-- <vulndb dir> [records]]`

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use strongroom_vuln::{Limits, PackageRef, VulnDb};

/// SplitMix64, seeded: the same synthetic data on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ECOSYSTEMS: [&str; 3] = ["crates.io", "PyPI", "npm"];
/// Distinct synthetic package names per ecosystem.
const NAMES: u64 = 8_000;

fn synthetic_record(i: u64, rng: &mut Rng) -> Vec<u8> {
    let eco = ECOSYSTEMS[(i % 3) as usize];
    let name = format!("synth-pkg-{}", rng.below(NAMES));
    let (a, b) = (rng.below(5), rng.below(20));
    let range_type = if eco == "PyPI" { "ECOSYSTEM" } else { "SEMVER" };
    let doc = serde_json::json!({
        "id": format!("SYNTH-{i:07}"),
        "modified": "2026-01-01T00:00:00Z",
        "summary": format!("synthetic advisory {i}"),
        "aliases": [format!("CVE-2099-{i}")],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
        "affected": [{
            "package": {"ecosystem": eco, "name": name},
            "ranges": [{"type": range_type, "events": [
                {"introduced": format!("{a}.0.0")}, {"fixed": format!("{a}.{b}.0")},
                {"introduced": format!("{}.0.0", a + 1)}, {"fixed": format!("{}.1.3", a + 1)}
            ]}],
            "versions": [format!("{a}.0.0"), format!("{a}.1.0")]
        }]
    });
    serde_json::to_vec(&doc).unwrap()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let shared = args.get(1).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndb")
    });
    let target: u64 = args
        .get(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let mut db = VulnDb::open(&dir.path().join("bench.db"))?;
    let limits = Limits::default();

    for file in ["cargo/all.zip", "PyPI/all.zip"] {
        let path = shared.join(file);
        let t = Instant::now();
        let r = db.import_zip(&path, &limits, &mut |_| {})?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "import {file}: {} records ({} imported, {} withdrawn skipped) in {:.2} s = {:.0} records/s",
            r.records_total,
            r.imported,
            r.skipped_withdrawn,
            s,
            r.records_total as f64 / s
        );
    }

    let have = db.record_count()?;
    let synthetic = target.saturating_sub(have);
    let t = Instant::now();
    let mut rng = Rng(0x00be_7c4a);
    let zip_path = dir.path().join("synthetic.zip");
    {
        let mut w = zip::ZipWriter::new(std::io::BufWriter::new(std::fs::File::create(&zip_path)?));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..synthetic {
            w.start_file(format!("SYNTH-{i:07}.json"), opts)?;
            w.write_all(&synthetic_record(i, &mut rng))?;
        }
        w.finish()?;
    }
    println!(
        "built {synthetic} synthetic records in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = db.import_zip(&zip_path, &limits, &mut |_| {})?;
    let s = t.elapsed().as_secs_f64();
    println!(
        "import synthetic.zip: {} records in {:.2} s = {:.0} records/s",
        r.imported,
        s,
        r.imported as f64 / s
    );
    let total = db.record_count()?;
    println!("database: {total} records");

    // An SBOM-like list: mostly synthetic packages (some vulnerable), real crates and PyPI
    // projects, and packages no advisory names.
    let real = [
        ("crates.io", "time", "0.2.22"),
        ("crates.io", "smallvec", "1.6.0"),
        ("crates.io", "tokio", "1.8.0"),
        ("PyPI", "urllib3", "1.26.16"),
        ("PyPI", "Django", "3.2.0"),
        ("PyPI", "jinja2", "2.10"),
    ];
    let mut packages = Vec::with_capacity(5_000);
    for i in 0..5_000u64 {
        let p = match i % 10 {
            0 => {
                let (e, n, v) = real[(i / 10) as usize % real.len()];
                (e.to_owned(), n.to_owned(), v.to_owned())
            }
            1 | 2 => (
                ECOSYSTEMS[(i % 3) as usize].to_owned(),
                format!("unknown-package-{i}"),
                "1.0.0".to_owned(),
            ),
            _ => (
                ECOSYSTEMS[rng.below(3) as usize].to_owned(),
                format!("synth-pkg-{}", rng.below(NAMES)),
                format!("{}.{}.{}", rng.below(6), rng.below(20), rng.below(5)),
            ),
        };
        packages.push(PackageRef {
            ecosystem: p.0,
            name: p.1,
            version: p.2,
            purl: None,
            found_in: Some("bench".into()),
        });
    }

    let t = Instant::now();
    let indexed = db.scan(&packages)?;
    let scan_s = t.elapsed().as_secs_f64();
    let mut best = scan_s;
    for _ in 0..2 {
        let t = Instant::now();
        db.scan(&packages)?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let linear = db.scan_linear(&packages)?;
    let linear_s = t.elapsed().as_secs_f64();
    assert_eq!(indexed, linear, "scan and scan_linear disagree");
    println!(
        "scan of {} packages against {total} records: indexed {:.3} s (best of 3: {:.3} s), \
         linear {:.3} s, ratio {:.1}x, {} findings",
        packages.len(),
        scan_s,
        best,
        linear_s,
        linear_s / scan_s,
        indexed.len()
    );
    println!(
        "goals: indexed < 1 s: {}; >= 10x faster than linear: {}",
        if scan_s < 1.0 { "met" } else { "MISSED" },
        if linear_s / scan_s >= 10.0 {
            "met"
        } else {
            "MISSED"
        }
    );
    Ok(())
}
