//! The RFC 3161 timestamps of the Sigstore conformance cases (`../shared/conformance/sigstore/`):
//! each is over the bundle's signature and signed by a timestamp authority of the case's trusted
//! root, valid at its time; and the signing certificate was valid then. Exactly the cases whose
//! README breaks a timestamp fail here. Needs `../shared/conformance/` beside the checkout
//! (`scripts/test.sh` names it as not run without).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{bytes, case_root, production_root, sigstore_cases};
use strongroom_sigstore::tsa::{verify_timestamp, TimestampError};
use strongroom_sigstore::x509::SigningCertificate;
use strongroom_sigstore::TrustedRoot;

fn timestamps(case: &Path, production: &TrustedRoot) -> Option<String> {
    let root = case_root(case, production)?;
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).ok()?).ok()?;
    let stamps = bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()?;
    let signature = match (
        bundle["messageSignature"]["signature"].as_str(),
        bundle["dsseEnvelope"]["signatures"][0]["sig"].as_str(),
    ) {
        (Some(s), _) | (None, Some(s)) => bytes(s),
        _ => return Some("no signature".into()),
    };
    let vm = &bundle["verificationMaterial"];
    let cert = vm["certificate"]["rawBytes"]
        .as_str()
        .or_else(|| vm["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
        .and_then(|c| SigningCertificate::from_der(&bytes(c)).ok());
    for t in stamps {
        let der = bytes(t["signedTimestamp"].as_str()?);
        let verified = match verify_timestamp(&der, &signature, &root.timestamp_authorities) {
            Ok(v) => v,
            Err(TimestampError::Imprint) => return Some("imprint".into()),
            Err(TimestampError::Untrusted { .. }) => return Some("untrusted".into()),
            Err(e) => return Some(e.to_string()),
        };
        if cert.as_ref().is_some_and(|c| !c.valid_at(verified.time)) {
            return Some("certificate not valid then".into());
        }
    }
    None
}

#[test]
fn timestamps_hold_except_where_the_case_broke_them() {
    let dir = sigstore_cases();
    let production = production_root();
    let mut failed = BTreeMap::new();
    let mut stamped = 0;
    for e in std::fs::read_dir(dir.join("bundle-verify")).unwrap() {
        let case = e.unwrap().path();
        if !case.is_dir() {
            continue;
        }
        if std::fs::read_to_string(case.join("bundle.sigstore.json"))
            .is_ok_and(|b| b.contains("rfc3161Timestamps"))
        {
            stamped += 1;
        }
        if let Some(why) = timestamps(&case, &production) {
            failed.insert(
                case.file_name().unwrap().to_string_lossy().into_owned(),
                why,
            );
        }
    }
    assert!(stamped >= 20, "{stamped}");
    // Each for its README's reason: a timestamp over other bytes, one outside the authority's
    // window or its certificate's validity, one by an authority the root does not hold (with or
    // without its certificate embedded), and two whose time falls outside the signing
    // certificate's validity.
    let expected: BTreeMap<String, String> = [
        (
            "intoto-tsa-timestamp-outside-cert-validity_fail",
            "certificate not valid then",
        ),
        (
            "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
            "untrusted",
        ),
        (
            "rekor2-timestamp-outside-tsa-cert-validity_fail",
            "untrusted",
        ),
        ("rekor2-timestamp-payload-mismatch_fail", "imprint"),
        (
            "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
            "untrusted",
        ),
        (
            "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
            "untrusted",
        ),
        (
            "rekor2-timestamp-with-incorrect-time_fail",
            "certificate not valid then",
        ),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(failed, expected);
}
