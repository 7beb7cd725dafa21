//! The whole keyless verification on every Sigstore conformance case
//! (`../shared/conformance/sigstore/`): each case without `_fail` verifies, each `_fail` case does
//! not, and the check that fails it is the one its README describes. Needs
//! `../shared/conformance/` beside the checkout (`scripts/test.sh` names it as not run without).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{case_root, production_root, sigstore_cases};
use strongroom_core::verify::Outcome;
use strongroom_core::{PublicKey, Timestamp};
use strongroom_sigstore::bundle::KeylessBundle;
use strongroom_sigstore::identity::{Expect, IdentityPolicy};
use strongroom_sigstore::verify::{artifact_digest, verify_keyless, VerifyPolicy};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn read(case: &Path, name: &str, default: &str) -> String {
    std::fs::read_to_string(case.join(name))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| default.to_owned())
}

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
            identity: Expect::Exact(read(case, "identity", IDENTITY)),
            issuer: Expect::Exact(read(case, "issuer", ISSUER)),
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
    let checks = verify_keyless(&bundle, &root, &artifact_digest(&artifact), &policy);
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
    let reasons: BTreeMap<&str, &str> = [
        ("bundle-empty-certificate-chain_fail", "bundle-format"),
        ("bundle-from-wrong-instance_fail", "tlog-entry"),
        ("bundle-invalid-base64-signature_fail", "bundle-format"),
        ("bundle-malformed-json_fail", "bundle-format"),
        ("bundle-negative-log-index_fail", "bundle-format"),
        ("bundle-unknown-version_fail", "bundle-format"),
        ("bundle-with-root-cert_fail", "bundle-format"),
        ("checkpoint-bad-keyhint_fail", "tlog-checkpoint"),
        ("checkpoint-wrong-roothash_fail", "tlog-checkpoint"),
        ("dsse-invalid-sig_fail", "signature"),
        ("dsse-mismatch-envelope_fail", "tlog-entry"),
        ("dsse-mismatch-sig_fail", "tlog-entry"),
        ("inclusion-proof-corrupted-hash_fail", "tlog-inclusion"),
        ("incorrect-public-key_fail", "tlog-entry"),
        ("integrated-time-in-future_fail", "certificate-validity"),
        ("intoto-expired-certificate_fail", "certificate-validity"),
        ("intoto-log-entry-mismatch_fail", "tlog-entry"),
        ("intoto-missing-inclusion-proof_fail", "tlog-inclusion"),
        (
            "intoto-set-outside-signing-cert-validity_fail",
            "certificate-validity",
        ),
        (
            "intoto-tsa-timestamp-outside-cert-validity_fail",
            "certificate-validity",
        ),
        ("invalid-checkpoint-signature_fail", "tlog-checkpoint"),
        ("invalid-ct-key_fail", "sct"),
        ("invalid-inclusion-proof_fail", "tlog-inclusion"),
        ("managed-key-no-key_fail", "signature"),
        ("managed-key-wrong-key_fail", "key"),
        ("message-digest-mismatch_fail", "artifact-digest"),
        (
            "rekor2-checkpoint-missing-log-signature_fail",
            "tlog-checkpoint",
        ),
        ("rekor2-checkpoint-missing-origin_fail", "tlog-checkpoint"),
        (
            "rekor2-checkpoint-missing-root-hash_fail",
            "tlog-checkpoint",
        ),
        ("rekor2-checkpoint-missing-size_fail", "tlog-checkpoint"),
        (
            "rekor2-checkpoint-no-matching-signature_fail",
            "tlog-checkpoint",
        ),
        ("rekor2-dsse-invalid-sig_fail", "signature"),
        ("rekor2-dsse-mismatch-envelope_fail", "tlog-entry"),
        ("rekor2-dsse-mismatch-sig_fail", "tlog-entry"),
        ("rekor2-no-inclusion-proof_fail", "tlog-inclusion"),
        ("rekor2-no-timestamp_fail", "thresholds"),
        (
            "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
            "timestamp",
        ),
        (
            "rekor2-timestamp-outside-tsa-cert-validity_fail",
            "timestamp",
        ),
        ("rekor2-timestamp-payload-mismatch_fail", "timestamp"),
        (
            "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
            "timestamp",
        ),
        (
            "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
            "timestamp",
        ),
        (
            "rekor2-timestamp-with-incorrect-time_fail",
            "certificate-validity",
        ),
        ("set-invalid-signature_fail", "tlog-set"),
        ("signature-mismatch_fail", "signature"),
        ("trust-root-tlog-missing-validity-start_fail", "trust-root"),
        ("wrong-hashedrekord-artifact_fail", "tlog-entry"),
        ("wrong-hashedrekord-cert-and-sig_fail", "tlog-entry"),
        ("wrong-hashedrekord-entry_fail", "tlog-entry"),
        ("wrong-material_fail", "artifact-digest"),
    ]
    .into_iter()
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
