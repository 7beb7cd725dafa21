//! The raw rate of the signature verifications a keyless bundle holds, for
//! `scripts/bench-keyless.sh`: ECDSA P-256 and P-384 verifications (DER signatures, the same
//! RustCrypto code the checks call) on every core for a few seconds, as JSON. A public-good
//! bundle holds five: the Fulcio intermediate's P-384 signature on the certificate, and P-256
//! signatures by the CT log (SCT), the Rekor log (SET and checkpoint) and the signer.
//!
//!     cargo run --release -p strongroom-sigstore --example raw_signature_rate [SECONDS]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use der::{Decode as _, Encode as _};
use strongroom_core::{Algorithm, PublicKey, Signer as _, SoftwareKey};
use strongroom_sigstore::x509::{subject_public_key_info, SigningCertificate};
use strongroom_sigstore::TrustedRoot;

/// A P-256 signature by a fresh key.
fn p256() -> (PublicKey, Vec<u8>, Vec<u8>) {
    let key = SoftwareKey::generate(Algorithm::EcdsaP256).expect("a key");
    let message = b"a checkpoint, a signed entry timestamp, or an SCT's input".repeat(8);
    let sig = key.sign(&message).expect("a signature");
    (key.public_key().clone(), message, sig)
}

/// The P-384 signature the bundle carries: the Fulcio intermediate's on the certificate.
fn p384() -> (PublicKey, Vec<u8>, Vec<u8>) {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sigstore/keyless");
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("bundle.v3.sigstore")).unwrap()).unwrap();
    let leaf = strongroom_sigstore::bundle::decode_base64(
        bundle["verificationMaterial"]["certificate"]["rawBytes"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let root =
        TrustedRoot::from_bytes(&std::fs::read(dir.join("public-good-trusted_root.json")).unwrap())
            .unwrap();
    let ca = SigningCertificate::from_der(&leaf)
        .unwrap()
        .named_issuer(&root.certificate_authorities)
        .expect("the root names the certificate's issuer")
        .chain[0]
        .clone();
    let key = PublicKey::from_spki_der(&subject_public_key_info(&ca).unwrap()).unwrap();
    let cert = x509_cert::Certificate::from_der(&leaf).unwrap();
    let tbs = cert.tbs_certificate.to_der().unwrap();
    let sig = cert.signature.raw_bytes().to_vec();
    (key, tbs, sig)
}

fn rate((public, message, sig): (PublicKey, Vec<u8>, Vec<u8>), seconds: f64) -> f64 {
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
    let p256 = rate(p256(), seconds);
    let p384 = rate(p384(), seconds);
    // One bundle's five verifications, back to back.
    let bundle = 1.0 / (4.0 / p256 + 1.0 / p384);
    println!(
        "{{\"p256_per_s\": {p256:.0}, \"p384_per_s\": {p384:.0}, \"raw_bundles_per_s\": {bundle:.0}}}"
    );
}
