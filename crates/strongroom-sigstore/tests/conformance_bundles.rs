//! Every Sigstore conformance bundle (`../shared/conformance/sigstore/`) reads, in each version
//! and media type spelling, except the cases whose README says the bundle itself is broken
//! (malformed JSON, an unknown version, a negative log index, a signature that is not base64, an
//! empty certificate chain), each refused for that reason. Needs `../shared/conformance/` beside
//! the checkout (`scripts/test.sh` names it as not run without).

mod common;

use std::collections::BTreeMap;

use common::sigstore_cases;
use strongroom_sigstore::bundle::{BundleError, KeylessBundle};

#[test]
fn bundles_read_except_where_the_case_broke_them() {
    let dir = sigstore_cases();
    let mut failed = BTreeMap::new();
    let mut read = 0;
    for e in std::fs::read_dir(dir.join("bundle-verify")).unwrap() {
        let case = e.unwrap().path();
        if !case.is_dir() {
            continue;
        }
        let bytes = std::fs::read(case.join("bundle.sigstore.json")).unwrap();
        match KeylessBundle::from_bytes(&bytes) {
            Ok(_) => read += 1,
            Err(e) => {
                let why = match &e {
                    BundleError::Json(_) => "json".to_owned(),
                    BundleError::MediaType(_) => "version".to_owned(),
                    BundleError::Field(f) => f.clone(),
                    other => other.to_string(),
                };
                failed.insert(
                    case.file_name().unwrap().to_string_lossy().into_owned(),
                    why,
                );
            }
        }
    }
    let expected: BTreeMap<String, String> = [
        (
            "bundle-empty-certificate-chain_fail",
            "certificate chain is empty",
        ),
        (
            "bundle-invalid-base64-signature_fail",
            "signature is not base64",
        ),
        ("bundle-malformed-json_fail", "json"),
        (
            "bundle-negative-log-index_fail",
            "log index is negative (-1)",
        ),
        ("bundle-unknown-version_fail", "version"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(failed, expected);
    assert_eq!(read, 70 - expected.len());
}
