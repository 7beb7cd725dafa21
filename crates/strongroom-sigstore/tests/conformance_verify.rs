//! The whole keyless verification on every Sigstore conformance case
//! (`../shared/conformance/sigstore/`): each case without `_fail` verifies, each `_fail` case does
//! not, and the check that fails it is the one its README describes. Needs
//! `../shared/conformance/` beside the checkout (`scripts/test.sh` names it as not run without).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{case_root, production_root, read_or, sigstore_cases, IDENTITY, ISSUER};
use strongroom_core::verify::Outcome;
use strongroom_core::{PublicKey, Timestamp};
use strongroom_sigstore::bundle::KeylessBundle;
use strongroom_sigstore::identity::{Expect, IdentityPolicy};
use strongroom_sigstore::verify::{artifact_digests, verify_keyless, VerifyPolicy};

/// The ids of the checks that failed (`bundle-format` or `trust-root` when nothing could be
/// read), empty when the case verifies.
fn failures(case: &Path, production: &strongroom_sigstore::TrustedRoot) -> Vec<String> {
    let Some(root) = case_root(case, production) else {
        return vec!["trust-root".into()];
    };
    let bytes = std::fs::read(case.join("bundle.sigstore.json")).unwrap();
    let Ok(bundle) = KeylessBundle::from_bytes(&bytes) else {
        return vec!["bundle-format".into()];
    };
    let artifact = std::fs::read(case.join("artifact"))
        .or_else(|_| std::fs::read(case.join("../a.txt")))
        .unwrap();
    let key = match std::fs::read_to_string(case.join("key.pub")) {
        Ok(pem) => match PublicKey::from_pem(&pem) {
            Ok(k) => Some(k),
            // The given key cannot be the signer's.
            Err(_) => return vec!["key".into()],
        },
        Err(_) => None,
    };
    let policy = VerifyPolicy {
        identity: key.is_none().then(|| IdentityPolicy {
            identity: Expect::Exact(read_or(case, "identity", IDENTITY)),
            issuer: Expect::Exact(read_or(case, "issuer", ISSUER)),
            source_repository: None,
            source_ref: None,
            workflow: None,
        }),
        key,
        tlog_threshold: 1,
        sct_threshold: 1,
        timestamp_threshold: 0,
        now: Timestamp::now(),
    };
    let checks = verify_keyless(&bundle, &root, &artifact_digests(&artifact), &policy);
    let mut failed: Vec<String> = checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .map(|c| c.id.as_str().to_owned())
        .collect();
    failed.sort();
    failed.dedup();
    failed
}

#[test]
fn every_case_gives_its_verdict_for_its_reason() {
    let dir = sigstore_cases();
    let production = production_root();
    let mut got = BTreeMap::new();
    for e in std::fs::read_dir(dir.join("bundle-verify")).unwrap() {
        let case = e.unwrap().path();
        if case.is_dir() {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            got.insert(name, failures(&case, &production).join(" "));
        }
    }
    let wrong: Vec<String> = got
        .iter()
        .filter(|(name, failed)| name.ends_with("_fail") == failed.is_empty())
        .map(|(n, f)| format!("{n}: [{f}]"))
        .collect();
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    // The check each `_fail` case's README describes must be among those that failed (a case
    // may fail others too: without a verified time, the certificate cannot be judged either).
    let reasons_text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/sigstore/conformance-reasons.txt"),
    )
    .unwrap();
    let reasons: BTreeMap<&str, &str> = reasons_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .collect();
    let fail_cases: Vec<&String> = got.keys().filter(|n| n.ends_with("_fail")).collect();
    assert_eq!(
        fail_cases.len(),
        reasons.len(),
        "a _fail case has no reason listed here"
    );
    for name in fail_cases {
        let failed = &got[name];
        let want = reasons[name.as_str()];
        assert!(
            failed.split(' ').any(|f| f == want),
            "{name} failed on [{failed}], not on {want} as its README says"
        );
    }
    assert_eq!(got.len(), 70);
}
