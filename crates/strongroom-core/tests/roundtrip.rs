//! Property tests: sign then verify round-trips for both software key types, and any single-bit
//! change to the artifact or the signature is caught.

use proptest::prelude::*;
use strongroom_core::artifact::{digests_needed, sign_artifact};
use strongroom_core::bundle::{BundleJson, CheckedDocument};
use strongroom_core::digest::hash_reader;
use strongroom_core::verify::{verify_document, ArtifactFacts};
use strongroom_core::{Algorithm, Signer, SoftwareKey};

fn facts(data: &[u8], signer: &SoftwareKey) -> ArtifactFacts {
    ArtifactFacts {
        name: "artifact".into(),
        digests: hash_reader(data, &digests_needed(signer), &mut |_| {}, None).unwrap(),
        streamed_signature: None,
    }
}

fn bundle(signer: &SoftwareKey, data: &[u8]) -> BundleJson {
    sign_artifact(signer, "artifact", &facts(data, signer).digests).unwrap()
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::Ed25519), Just(Algorithm::EcdsaP256)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sign_then_verify(alg in algorithm(), data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let key = SoftwareKey::generate(alg).unwrap();
        let json = bundle(&key, &data).to_pretty_json();
        let doc = CheckedDocument::parse(json.as_bytes()).unwrap();
        let report = verify_document(&doc, key.public_key(), Some(&facts(&data, &key)));
        prop_assert!(report.passed(), "{:?}", report);
    }

    #[test]
    fn any_bit_flip_in_the_artifact_fails(
        alg in algorithm(),
        data in proptest::collection::vec(any::<u8>(), 1..2048),
        bit in any::<proptest::sample::Index>(),
    ) {
        let key = SoftwareKey::generate(alg).unwrap();
        let doc = CheckedDocument::parse(bundle(&key, &data).to_pretty_json().as_bytes()).unwrap();
        let mut tampered = data.clone();
        let i = bit.index(data.len() * 8);
        tampered[i / 8] ^= 1 << (i % 8);
        let report = verify_document(&doc, key.public_key(), Some(&facts(&tampered, &key)));
        prop_assert!(!report.passed());
    }

    #[test]
    fn any_bit_flip_in_the_signature_fails(
        alg in algorithm(),
        data in proptest::collection::vec(any::<u8>(), 0..512),
        bit in any::<proptest::sample::Index>(),
    ) {
        let key = SoftwareKey::generate(alg).unwrap();
        let mut v = serde_json::to_value(bundle(&key, &data)).unwrap();
        let field = if alg == Algorithm::Ed25519 {
            &mut v["dsseEnvelope"]["signatures"][0]["sig"]
        } else {
            &mut v["messageSignature"]["signature"]
        };
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut sig = b64.decode(field.as_str().unwrap()).unwrap();
        let i = bit.index(sig.len() * 8);
        sig[i / 8] ^= 1 << (i % 8);
        *field = b64.encode(&sig).into();
        let doc = CheckedDocument::parse(v.to_string().as_bytes()).unwrap();
        let report = verify_document(&doc, key.public_key(), Some(&facts(&data, &key)));
        prop_assert!(!report.passed());
    }
}
