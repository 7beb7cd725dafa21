//! One byte flipped in each part of real keyless bundles: the certificate, the signature, the
//! inclusion proof, the checkpoint's signature, an embedded SCT and an RFC 3161 timestamp. Each
//! is caught, by the check whose id is asserted, and the untouched bundle verifies. Uses the
//! fixtures in `tests/fixtures/sigstore/keyless/` (no `../shared/` needed).

use std::path::PathBuf;

use base64::Engine as _;
use der::Decode as _;
use serde_json::Value;
use strongroom_core::verify::Outcome;
use strongroom_core::{Digest, HashAlg, Timestamp};
use strongroom_sigstore::bundle::KeylessBundle;
use strongroom_sigstore::identity::{Expect, IdentityPolicy};
use strongroom_sigstore::verify::{artifact_digests, verify_keyless, VerifyPolicy};
use strongroom_sigstore::TrustedRoot;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn fixture(name: &str) -> Vec<u8> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sigstore/keyless");
    std::fs::read(dir.join(name)).unwrap()
}

/// A case: the bundle's JSON, its root, the artifact's digests and who signed.
struct Case {
    bundle: Value,
    root: TrustedRoot,
    artifact: Vec<Digest>,
    identity: &'static str,
    issuer: &'static str,
    tlog: usize,
    sct: usize,
    timestamps: usize,
}

/// The public-good blob signature: certificate with SCTs, hashedrekord entry, inclusion proof
/// and checkpoint.
fn public_good() -> Case {
    Case {
        bundle: serde_json::from_slice(&fixture("bundle.v3.sigstore")).unwrap(),
        root: TrustedRoot::from_bytes(&fixture("public-good-trusted_root.json")).unwrap(),
        artifact: artifact_digests(&fixture("artifact.txt")),
        identity: "appu@google.com",
        issuer: "https://accounts.google.com",
        tlog: 1,
        sct: 1,
        timestamps: 0,
    }
}

/// GitHub's instance: a DSSE attestation whose time comes from one RFC 3161 timestamp.
fn github() -> Case {
    Case {
        bundle: serde_json::from_slice(&fixture("github-private-attestation.sigstore.json"))
            .unwrap(),
        root: TrustedRoot::from_bytes(&fixture("github-instance-trusted_root.json")).unwrap(),
        artifact: vec![Digest::from_hex(
            HashAlg::Sha256,
            "caa015ef69e9bc31a41322d6c71563ed9600c75bb988e4d639b1edc578580551",
        )
        .unwrap()],
        identity: "https://github.com/neverendingsupport/slsa-attestations/.github/workflows/attest.yml@9f6d9dc1bfc02986955721eb15f89ad618f1cedb",
        issuer: "https://token.actions.githubusercontent.com",
        tlog: 0,
        sct: 0,
        timestamps: 1,
    }
}

/// The ids of the checks that fail (empty: verified).
fn failures(case: &Case, bundle: &Value) -> Vec<&'static str> {
    let bundle = KeylessBundle::from_value(bundle).expect("a flipped byte still parses");
    let policy = VerifyPolicy {
        identity: Some(IdentityPolicy {
            identity: Expect::Exact(case.identity.into()),
            issuer: Expect::Exact(case.issuer.into()),
            source_repository: None,
            source_ref: None,
            workflow: None,
        }),
        key: None,
        tlog_threshold: case.tlog,
        sct_threshold: case.sct,
        timestamp_threshold: case.timestamps,
        now: Timestamp::now(),
    };
    let mut failed: Vec<&'static str> =
        verify_keyless(&bundle, &case.root, &case.artifact, &policy)
            .into_iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .map(|c| c.id.as_str())
            .collect();
    failed.sort_unstable();
    failed.dedup();
    failed
}

/// The bundle with one byte of the base64 field at `path` flipped at `at(len)`.
fn flipped(bundle: &Value, path: &[&str], at: impl Fn(&[u8]) -> usize) -> Value {
    let mut v = bundle.clone();
    let mut slot = &mut v;
    for p in path {
        slot = match p.parse::<usize>() {
            Ok(i) => &mut slot[i],
            Err(_) => &mut slot[*p],
        };
    }
    let mut bytes = B64.decode(slot.as_str().unwrap()).unwrap();
    let i = at(&bytes);
    bytes[i] ^= 0x01;
    *slot = Value::String(B64.encode(bytes));
    v
}

fn assert_caught(case: &Case, tampered: &Value, id: &str, what: &str) {
    let failed = failures(case, tampered);
    assert!(
        failed.contains(&id),
        "{what}: expected {id} to fail, failed {failed:?}"
    );
}

#[test]
fn the_untouched_bundles_verify() {
    for case in [public_good(), github()] {
        assert_eq!(failures(&case, &case.bundle), Vec::<&str>::new());
    }
}

#[test]
fn a_flipped_byte_in_the_certificate_is_caught_by_its_chain() {
    let case = public_good();
    // Inside the issuer's signature, at the end of the DER.
    let t = flipped(
        &case.bundle,
        &["verificationMaterial", "certificate", "rawBytes"],
        |b| b.len() - 8,
    );
    assert_caught(&case, &t, "certificate-chain", "certificate");
}

#[test]
fn a_flipped_byte_in_the_signature_is_caught() {
    let case = public_good();
    let t = flipped(&case.bundle, &["messageSignature", "signature"], |b| {
        b.len() - 4
    });
    assert_caught(&case, &t, "signature", "message signature");
    let case = github();
    let t = flipped(
        &case.bundle,
        &["dsseEnvelope", "signatures", "0", "sig"],
        |b| b.len() - 4,
    );
    assert_caught(&case, &t, "signature", "envelope signature");
}

#[test]
fn a_flipped_byte_in_the_inclusion_proof_is_caught() {
    let case = public_good();
    let t = flipped(
        &case.bundle,
        &[
            "verificationMaterial",
            "tlogEntries",
            "0",
            "inclusionProof",
            "hashes",
            "0",
        ],
        |_| 7,
    );
    assert_caught(&case, &t, "tlog-inclusion", "inclusion proof hash");
}

#[test]
fn a_flipped_byte_in_the_checkpoint_signature_is_caught() {
    let case = public_good();
    let mut t = case.bundle.clone();
    let note = &mut t["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
        ["envelope"];
    let text = note.as_str().unwrap().to_owned();
    // The signature line: "— NAME BASE64(key hint ‖ signature)".
    let (head, sig_line) = text.trim_end().rsplit_once('\n').unwrap();
    let (name, sig) = sig_line.rsplit_once(' ').unwrap();
    let mut bytes = B64.decode(sig).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    *note = Value::String(format!("{head}\n{name} {}\n", B64.encode(bytes)));
    assert_caught(&case, &t, "tlog-checkpoint", "checkpoint signature");
}

#[test]
fn a_flipped_byte_in_an_embedded_sct_is_caught() {
    let case = public_good();
    let t = flipped(
        &case.bundle,
        &["verificationMaterial", "certificate", "rawBytes"],
        |der| {
            // The last byte of the SCT list extension's value: inside the last SCT's signature.
            let cert = x509_cert::Certificate::from_der(der).unwrap();
            let sct_oid = const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
            let ext = cert
                .tbs_certificate
                .extensions
                .unwrap()
                .into_iter()
                .find(|e| e.extn_id == sct_oid)
                .expect("the certificate embeds SCTs");
            let value = ext.extn_value.as_bytes();
            let start = der.windows(value.len()).position(|w| w == value).unwrap();
            start + value.len() - 2
        },
    );
    assert_caught(&case, &t, "sct", "embedded SCT");
}

#[test]
fn a_flipped_byte_in_a_timestamp_is_caught() {
    let case = github();
    let t = flipped(
        &case.bundle,
        &[
            "verificationMaterial",
            "timestampVerificationData",
            "rfc3161Timestamps",
            "0",
            "signedTimestamp",
        ],
        |b| b.len() - 6,
    );
    assert_caught(&case, &t, "timestamp", "RFC 3161 timestamp");
}
