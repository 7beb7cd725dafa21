//! Benchmark: catalogue a tar.gz holding lockfiles with 5,000 components in total, then write
//! and validate both SBOM formats; prints wall times and peak RSS (VmHWM).
//!
//! `cargo run --release -p strongroom-sbom --example sbom_bench` (or `bash scripts/bench-sbom.sh`)

use std::io::Write;
use std::time::Instant;

use strongroom_sbom::{
    catalog, to_cyclonedx_json, to_spdx_json, validate_value, DocumentInfo, Limits,
};

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn add(b: &mut tar::Builder<impl Write>, path: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, path, data).unwrap();
}

fn main() {
    let (n_cargo, n_npm, n_py) = (2000, 2000, 1000);
    let mut cargo = String::from("version = 4\n");
    for i in 0..n_cargo {
        cargo.push_str(&format!(
            "\n[[package]]\nname = \"crate-{i}\"\nversion = \"1.{i}.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{:064x}\"\n",
            i
        ));
    }
    let mut npm =
        String::from(r#"{"name":"bench","lockfileVersion":3,"packages":{"":{"name":"bench"}"#);
    for i in 0..n_npm {
        npm.push_str(&format!(
            r#","node_modules/@scope{}/pkg-{i}":{{"version":"2.{i}.1","license":"MIT"}}"#,
            i % 50
        ));
    }
    npm.push_str("}}");
    let mut req = String::new();
    for i in 0..n_py {
        req.push_str(&format!("Package_{i}==3.{i}\n"));
    }

    // BENCH_OUT=DIR keeps the archive there (scripts/bench-sbom.sh times the CLI on it too).
    let keep = std::env::var_os("BENCH_OUT").map(std::path::PathBuf::from);
    let dir = keep
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("sbom-bench-{}", std::process::id())));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.tar.gz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    let mut b = tar::Builder::new(gz);
    add(&mut b, "rust/Cargo.lock", cargo.as_bytes());
    add(&mut b, "web/package-lock.json", npm.as_bytes());
    add(&mut b, "py/requirements.txt", req.as_bytes());
    b.into_inner().unwrap().finish().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();

    let rss0 = peak_rss_kib();
    let t = Instant::now();
    let cat = catalog(&path, &Limits::default()).expect("catalog");
    let t_catalog = t.elapsed();
    assert_eq!(cat.components.len(), n_cargo + n_npm + n_py);

    let doc = DocumentInfo {
        name: "bench".into(),
        namespace: "https://strongroom.example/spdx/bench".into(),
        created: "2026-01-01T00:00:00Z".into(),
        tool: "strongroom-0.1.0".into(),
    };
    let t = Instant::now();
    let spdx = to_spdx_json(&cat, &doc);
    let cdx = to_cyclonedx_json(&cat, &doc);
    let t_write = t.elapsed();
    let t = Instant::now();
    validate_value(&spdx).expect("spdx valid");
    validate_value(&cdx).expect("cdx valid");
    let t_validate = t.elapsed();

    println!(
        "input: {size} bytes tar.gz, {} components",
        cat.components.len()
    );
    println!(
        "catalog:           {:>8.1} ms",
        t_catalog.as_secs_f64() * 1e3
    );
    println!("spdx+cyclonedx:    {:>8.1} ms", t_write.as_secs_f64() * 1e3);
    println!(
        "validate both:     {:>8.1} ms (includes schema compilation)",
        t_validate.as_secs_f64() * 1e3
    );
    println!(
        "peak RSS (VmHWM):  {:>8} KiB (before cataloguing: {rss0} KiB)",
        peak_rss_kib()
    );
    if keep.is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
}
