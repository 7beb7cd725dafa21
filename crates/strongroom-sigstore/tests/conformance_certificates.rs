//! The signing certificates of the Sigstore conformance cases (`../shared/conformance/sigstore/`):
//! each reads, names the suite's identity and issuer (or the case's own), and was issued by a
//! certificate authority of the case's trusted root at the time its log integrated the entry,
//! with an embedded SCT that a CT log of the root signed.
//! Exactly the cases whose README breaks the certificate fail here. Cases timed only by a TSA
//! (Rekor v2) are left to the timestamp checks. Needs `../shared/conformance/` beside the
//! checkout (`scripts/test.sh` names it as not run without).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{bytes, case_root, production_root, read_or, sigstore_cases, IDENTITY, ISSUER};
use strongroom_core::Timestamp;
use strongroom_sigstore::identity::{Expect, IdentityPolicy};
use strongroom_sigstore::sct::check_embedded_scts;
use strongroom_sigstore::x509::{is_self_issued, subject_public_key_info, SigningCertificate};
use strongroom_sigstore::TrustedRoot;

/// `None` when the certificate holds (or the case has none to check here), else why not.
fn certificate(case: &Path, production: &TrustedRoot) -> Option<String> {
    if case.join("key.pub").exists() {
        return None;
    }
    let root = case_root(case, production)?;
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).ok()?).ok()?;
    let vm = &bundle["verificationMaterial"];
    let der = match (
        vm["certificate"]["rawBytes"].as_str(),
        vm["x509CertificateChain"]["certificates"].as_array(),
    ) {
        (Some(c), _) => bytes(c),
        (None, Some(chain)) => match chain.first().and_then(|c| c["rawBytes"].as_str()) {
            Some(c) => bytes(c),
            None => return Some("no certificate".into()),
        },
        (None, None) => return Some("no certificate".into()),
    };
    let chain = vm["x509CertificateChain"]["certificates"].as_array();
    if chain
        .into_iter()
        .flatten()
        .any(|c| is_self_issued(&bytes(c["rawBytes"].as_str().unwrap_or_default())).unwrap_or(true))
    {
        return Some("root in chain".into());
    }
    let cert = match SigningCertificate::from_der(&der) {
        Ok(c) => c,
        Err(_) => return Some("unreadable".into()),
    };
    let policy = IdentityPolicy {
        identity: Expect::Exact(read_or(case, "identity", IDENTITY)),
        issuer: Expect::Exact(read_or(case, "issuer", ISSUER)),
        source_repository: None,
        source_ref: None,
        workflow: None,
    };
    if let Some(f) = policy.check(&cert).into_iter().find(|f| !f.passed) {
        return Some(format!("{} mismatch", f.what));
    }
    let time = vm["tlogEntries"].as_array()?.iter().find_map(|e| {
        e["integratedTime"]
            .as_str()?
            .parse::<i64>()
            .ok()
            .filter(|t| *t > 0)
    })?;
    let at = Timestamp::from_unix_seconds(time).unwrap();
    if let Err(e) = cert.check_signing_leaf(at) {
        return Some(if e.to_string().contains(", not at ") {
            "expired at integration".into()
        } else {
            format!("not a signing certificate: {e}")
        });
    }
    let Ok(ca) = cert.issued_by(&root.certificate_authorities, at) else {
        return Some("untrusted".into());
    };
    let issuer_key = subject_public_key_info(&ca.chain[0]).unwrap();
    let scts = check_embedded_scts(&cert, &issuer_key, &root.ctlogs).unwrap();
    if !scts.iter().any(|f| f.verified) {
        return Some("sct".into());
    }
    None
}

#[test]
fn certificates_hold_except_where_the_case_broke_them() {
    let dir = sigstore_cases();
    let production = production_root();
    let mut failed = BTreeMap::new();
    for e in std::fs::read_dir(dir.join("bundle-verify")).unwrap() {
        let case = e.unwrap().path();
        if case.is_dir() {
            if let Some(why) = certificate(&case, &production) {
                failed.insert(
                    case.file_name().unwrap().to_string_lossy().into_owned(),
                    why,
                );
            }
        }
    }
    // Each fails for its README's reason: no certificate, a root carried in the bundle, a
    // certificate from another instance, a certificate not valid when the log took the entry
    // (expired, a SET outside its validity, a time in the future), an SCT from a CT key the root
    // does not hold (`invalid-ct-key_fail`, no README), or a managed-key bundle checked without
    // its key.
    let expected: BTreeMap<String, String> = [
        ("bundle-empty-certificate-chain_fail", "no certificate"),
        ("bundle-from-wrong-instance_fail", "untrusted"),
        ("bundle-with-root-cert_fail", "root in chain"),
        ("integrated-time-in-future_fail", "expired at integration"),
        ("intoto-expired-certificate_fail", "expired at integration"),
        (
            "intoto-set-outside-signing-cert-validity_fail",
            "expired at integration",
        ),
        ("invalid-ct-key_fail", "sct"),
        ("managed-key-no-key_fail", "no certificate"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(failed, expected);
}
