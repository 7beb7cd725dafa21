//! The log entries of the Sigstore conformance cases (`../shared/conformance/sigstore/`) are
//! about their bundles: each canonicalized body names the bundle's signature, its certificate (or
//! key) and the artifact's digest or the envelope's payload. Exactly the cases whose README
//! mismatches an entry fail here. Needs `../shared/conformance/` beside the checkout
//! (`scripts/test.sh` names it as not run without).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{b64, sigstore_cases};
use strongroom_core::dsse::{Envelope, EnvelopeJson};
use strongroom_core::{HashAlg, PublicKey};
use strongroom_sigstore::entry::{check_entry_body, Signed};

fn entries(case: &Path) -> Option<String> {
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).ok()?).ok()?;
    let vm = &bundle["verificationMaterial"];
    let verifier = if let Ok(pem) = std::fs::read_to_string(case.join("key.pub")) {
        PublicKey::from_pem(&pem).ok()?.to_spki_der()
    } else {
        let c = vm["certificate"]["rawBytes"]
            .as_str()
            .or_else(|| vm["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())?;
        b64(c)?
    };
    let artifact = std::fs::read(case.join("artifact"))
        .or_else(|_| std::fs::read(case.join("../a.txt")))
        .ok()?;
    let digest = HashAlg::Sha256.hash(&artifact);
    let envelope;
    let signature;
    let signed = if let Some(env) = bundle.get("dsseEnvelope") {
        let json: EnvelopeJson = serde_json::from_value(env.clone()).ok()?;
        envelope = Envelope::from_json(&json).ok()?;
        Signed::Dsse(&envelope)
    } else {
        signature = b64(bundle["messageSignature"]["signature"].as_str()?)?;
        Signed::Message {
            signature: &signature,
            digest_alg: HashAlg::Sha256,
            digest: digest.as_bytes(),
        }
    };
    for e in vm["tlogEntries"].as_array()? {
        let body = b64(e["canonicalizedBody"].as_str()?)?;
        let kv = &e["kindVersion"];
        if let Err(why) = check_entry_body(
            &body,
            kv["kind"].as_str()?,
            kv["version"].as_str()?,
            &signed,
            &verifier,
        ) {
            return Some(why);
        }
    }
    None
}

#[test]
fn entries_name_their_bundles_except_where_the_case_broke_them() {
    let dir = sigstore_cases();
    let mut failed = BTreeMap::new();
    for e in std::fs::read_dir(dir.join("bundle-verify")).unwrap() {
        let case = e.unwrap().path();
        if case.is_dir() {
            if let Some(why) = entries(&case) {
                // The part of the entry that differs, in a word.
                let short = [
                    "kind",
                    "payload hash",
                    "signature",
                    "certificate",
                    "artifact digest",
                ]
                .into_iter()
                .find(|w| why.contains(&format!("entry's {w}")) || why.contains(&format!("no {w}")))
                .unwrap_or(&why)
                .to_owned();
                failed.insert(
                    case.file_name().unwrap().to_string_lossy().into_owned(),
                    short,
                );
            }
        }
    }
    // Each names what its README changed (a signature, an envelope, a certificate, an artifact
    // or a whole entry), or, for two cases made by editing the body itself, an entry that is no
    // longer a Rekor entry at all (they also fail for their README's reason earlier).
    let expected: BTreeMap<String, String> = [
        ("bundle-negative-log-index_fail", "kind"),
        ("bundle-unknown-version_fail", "kind"),
        ("dsse-invalid-sig_fail", "signature"),
        ("dsse-mismatch-envelope_fail", "payload hash"),
        ("dsse-mismatch-sig_fail", "signature"),
        ("incorrect-public-key_fail", "certificate"),
        ("intoto-log-entry-mismatch_fail", "signature"),
        ("rekor2-dsse-invalid-sig_fail", "signature"),
        ("rekor2-dsse-mismatch-envelope_fail", "signature"),
        ("rekor2-dsse-mismatch-sig_fail", "signature"),
        ("signature-mismatch_fail", "signature"),
        ("wrong-hashedrekord-artifact_fail", "signature"),
        ("wrong-hashedrekord-cert-and-sig_fail", "signature"),
        ("wrong-hashedrekord-entry_fail", "signature"),
        ("wrong-material_fail", "artifact digest"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(failed, expected);
}
