//! The raw rate of the signature verifications a keyless bundle holds, for
//! `scripts/bench-keyless.sh`: ECDSA P-256 and P-384 verifications (DER signatures, the same
//! RustCrypto code the checks call) on every core for a few seconds, as JSON. A public-good
//! bundle holds five: the Fulcio intermediate's P-384 signature on the certificate, and P-256
//! signatures by the CT log (SCT), the Rekor log (SET and checkpoint) and the signer.
//!
//!     cargo run --release -p strongroom-sigstore --example raw_signature_rate [SECONDS]

use std::time::{Duration, Instant};

use strongroom_core::{Algorithm, Signer as _, SoftwareKey};

fn rate(alg: Algorithm, seconds: f64) -> f64 {
    let key = SoftwareKey::generate(alg).expect("a key");
    let message = b"a checkpoint, a signed entry timestamp, or a TBS certificate".repeat(8);
    let sig = key.sign(&message).expect("a signature");
    let public = key.public_key().clone();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let done: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < until {
                        for _ in 0..16 {
                            public.verify(&message, &sig).expect("it verifies");
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    done as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let p256 = rate(Algorithm::EcdsaP256, seconds);
    let p384 = rate(Algorithm::EcdsaP384, seconds);
    // One bundle's five verifications, back to back.
    let bundle = 1.0 / (4.0 / p256 + 1.0 / p384);
    println!(
        "{{\"p256_per_s\": {p256:.0}, \"p384_per_s\": {p384:.0}, \"raw_bundles_per_s\": {bundle:.0}}}"
    );
}
