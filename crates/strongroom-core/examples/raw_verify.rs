//! Benchmark peer for `scripts/bench-release.sh`: the raw signature-verification rate of the
//! crypto library (RustCrypto's p256 / ed25519-dalek through `PublicKey`), with nothing else —
//! no JSON, no zip, no hashing of payloads — on all cores, as bundle verification runs.
//!
//!     cargo run --release -p strongroom-core --example raw_verify -- ecdsa-p256 20000

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use strongroom_core::keys::Algorithm;
use strongroom_core::signer::SoftwareKey;
use strongroom_core::Signer;

fn main() {
    let mut args = std::env::args().skip(1);
    let alg = match args.next().as_deref() {
        Some("ed25519") => Algorithm::Ed25519,
        _ => Algorithm::EcdsaP256,
    };
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let key = SoftwareKey::generate(alg).expect("key generation");
    // Messages the size of a DSSE PAE over a small statement.
    let messages: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("DSSEv1 28 application/vnd.in-toto+json 512 {i:0>480}").into_bytes())
        .collect();
    let sigs: Vec<Vec<u8>> = messages
        .iter()
        .map(|m| key.sign(m).expect("sign"))
        .collect();
    let public = key.public_key().clone();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                public
                    .verify(&messages[i], &sigs[i])
                    .expect("valid signature");
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    println!("{alg} {n} {threads} {secs:.4} {:.0}", n as f64 / secs);
}
