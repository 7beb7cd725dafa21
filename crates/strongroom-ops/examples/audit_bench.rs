//! Benchmark of the audit log (`scripts/bench-audit.sh`, results in `docs/benchmarks.md`):
//!
//! - `appends DIR N`: N acts appended through the operations API (`Station::export_public_key`,
//!   a real act that writes one row, each its own immediate transaction with `synchronous=FULL`
//!   on the WAL), then N rows through `Store::append_audit` alone; prints rows per second.
//! - `fill DIR N`: claims a station at DIR (operator `bench`) and appends N rows through
//!   `Store::append_audit_batch`, 10,000 rows per transaction (the bench-only fast path: the
//!   rows are hashed and chained exactly like single appends), then times
//!   `Store::verify_audit_chain` in process.

use std::path::{Path, PathBuf};
use std::time::Instant;

use secrecy::SecretString;
use strongroom_core::Algorithm;
use strongroom_ops::{Callbacks, GenerateKey, SecretRequest, Station};
use strongroom_store::audit::NewAuditRow;
use strongroom_store::Store;

struct Pass;

impl Callbacks for Pass {
    fn secret(&self, _: &SecretRequest) -> Option<SecretString> {
        Some(SecretString::from("bench key passphrase"))
    }
}

fn claimed(dir: &Path) -> Station {
    let mut s = Station::open(dir).expect("open station");
    s.init_operator("bench", &[], &SecretString::from("bench passphrase"))
        .expect("claim station");
    s
}

fn appends(dir: PathBuf, n: u64) {
    let station = claimed(&dir);
    station
        .generate_software_key(
            &GenerateKey {
                label: "bench".into(),
                algorithm: Algorithm::Ed25519,
                purpose: strongroom_core::Purpose::Signer,
            },
            &Pass,
        )
        .expect("key");
    let t = Instant::now();
    for _ in 0..n {
        station.export_public_key("bench").expect("export");
    }
    let ops = t.elapsed().as_secs_f64();
    let store = Store::open(&dir).expect("store");
    let t = Instant::now();
    for i in 0..n {
        store
            .append_audit(&NewAuditRow {
                operator: "bench",
                action: "bench.append",
                object: &format!("object-{i}"),
                outcome: "ok",
                details: serde_json::json!({"i": i}),
            })
            .expect("append");
    }
    let raw = t.elapsed().as_secs_f64();
    println!(
        "ops_appends={n} ops_seconds={ops:.3} ops_rows_per_s={:.0}",
        n as f64 / ops
    );
    println!(
        "store_appends={n} store_seconds={raw:.3} store_rows_per_s={:.0}",
        n as f64 / raw
    );
}

fn fill(dir: PathBuf, n: u64) {
    drop(claimed(&dir));
    let store = Store::open(&dir).expect("store");
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        let batch = (n - done).min(10_000);
        let objects: Vec<String> = (done..done + batch)
            .map(|i| format!("{:064x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
            .collect();
        let rows: Vec<NewAuditRow<'_>> = objects
            .iter()
            .enumerate()
            .map(|(k, o)| NewAuditRow {
                operator: "bench",
                action: if k % 3 == 0 { "sign" } else { "verify" },
                object: o,
                outcome: "ok",
                details: serde_json::json!({"artifact": format!("dist/app-{}.tar.gz", done + k as u64), "sha256": o, "files": 1}),
            })
            .collect();
        store.append_audit_batch(&rows).expect("batch");
        done += batch;
    }
    let fill_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let report = store.verify_audit_chain().expect("verify");
    let verify_s = t.elapsed().as_secs_f64();
    assert!(report.problem.is_none(), "{:?}", report.problem);
    println!(
        "fill_rows={} fill_seconds={fill_s:.2} fill_rows_per_s={:.0}",
        report.rows,
        n as f64 / fill_s
    );
    println!(
        "verify_rows={} verify_seconds={verify_s:.3} verify_rows_per_s={:.0}",
        report.rows,
        report.rows as f64 / verify_s
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: audit_bench appends|fill DIR N";
    let (mode, dir, n) = match args.as_slice() {
        [_, m, d, n] => (m.as_str(), PathBuf::from(d), n.parse().expect("N")),
        _ => panic!("{usage}"),
    };
    match mode {
        "appends" => appends(dir, n),
        "fill" => fill(dir, n),
        _ => panic!("{usage}"),
    }
}
