//! The log proofs of every Sigstore conformance case (`../shared/conformance/sigstore/`): each
//! entry's signed entry timestamp verifies with its log's key, its inclusion proof leads to the root its checkpoint names, and the checkpoint is signed
//! by the entry's log in the case's trusted root. Exactly the cases whose README says their proof
//! or checkpoint is broken fail here, each for that reason; every other case's proofs hold. Needs
//! `../shared/conformance/` beside the checkout (`scripts/test.sh` names it as not run without).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{bytes, case_root, production_root, sigstore_cases};
use strongroom_core::Timestamp;
use strongroom_sigstore::checkpoint::{Checkpoint, CheckpointError};
use strongroom_sigstore::merkle::{leaf_hash, root_from_inclusion_proof};
use strongroom_sigstore::rekor::{verify_set, PromisedEntry};
use strongroom_sigstore::tsa::verify_timestamp;
use strongroom_sigstore::TrustedRoot;

/// The time the entry's log vouches for: its integrated time (Rekor v1), else the first
/// timestamp a timestamp authority of the root signed over the bundle's signature (Rekor v2).
fn verified_time(
    bundle: &serde_json::Value,
    entry: &serde_json::Value,
    root: &TrustedRoot,
) -> Option<Timestamp> {
    if let Some(t) = entry["integratedTime"]
        .as_str()
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|t| *t > 0)
    {
        return Timestamp::from_unix_seconds(t);
    }
    let sig = bundle["messageSignature"]["signature"]
        .as_str()
        .or_else(|| bundle["dsseEnvelope"]["signatures"][0]["sig"].as_str())?;
    let sig = bytes(sig);
    bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()?
        .iter()
        .filter_map(|t| {
            let der: String = t["signedTimestamp"]
                .as_str()?
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            verify_timestamp(&bytes(&der), &sig, &root.timestamp_authorities).ok()
        })
        .map(|v| v.time)
        .next()
}

/// The first failure of one case's log proofs, as a short reason; `None` when they hold (or
/// there are none).
fn log_proofs(case: &Path, production: &TrustedRoot) -> Option<String> {
    let Some(root) = case_root(case, production) else {
        return Some("root".into());
    };
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).ok()?).ok()?;
    for e in bundle["verificationMaterial"]["tlogEntries"].as_array()? {
        let log_id = bytes(e["logId"]["keyId"].as_str()?);
        let Some(log) = root.tlog(&log_id) else {
            return Some("unknown log".into());
        };
        if let Some(set) = e["inclusionPromise"]["signedEntryTimestamp"].as_str() {
            let entry = PromisedEntry {
                body_base64: e["canonicalizedBody"].as_str()?,
                integrated_time: e["integratedTime"].as_str()?.parse().ok()?,
                log_index: e["logIndex"].as_str()?.parse().ok()?,
                log_id: &log_id,
            };
            if verify_set(&entry, &bytes(set), log).is_err() {
                return Some("set".into());
            }
        }
        let Some(proof) = e.get("inclusionProof") else {
            continue;
        };
        let body = bytes(e["canonicalizedBody"].as_str()?);
        let index: u64 = proof["logIndex"].as_str()?.parse().ok()?;
        let size: u64 = proof["treeSize"].as_str()?.parse().ok()?;
        let hashes: Vec<[u8; 32]> = proof["hashes"]
            .as_array()?
            .iter()
            .map(|h| bytes(h.as_str().unwrap()).try_into().unwrap())
            .collect();
        let proof_root: [u8; 32] = bytes(proof["rootHash"].as_str()?).try_into().ok()?;
        if root_from_inclusion_proof(index, size, leaf_hash(&body), &hashes) != Some(proof_root) {
            return Some("inclusion".into());
        }
        // v0.1 bundles may prove inclusion without a checkpoint (their SET vouches instead).
        let Some(note) = proof["checkpoint"]["envelope"].as_str() else {
            continue;
        };
        let c = match Checkpoint::parse(note) {
            Ok(c) => c,
            Err(_) => return Some("checkpoint malformed".into()),
        };
        let Some(at) = verified_time(&bundle, e, &root) else {
            return Some("no time".into());
        };
        match c.verify(log, at) {
            Ok(()) => {}
            Err(CheckpointError::NoLogSignature { .. }) => return Some("no log signature".into()),
            Err(CheckpointError::BadSignature { .. }) => {
                return Some("checkpoint signature".into())
            }
            Err(e) => return Some(e.to_string()),
        }
        if (c.size, c.root_hash) != (size, proof_root) {
            return Some("checkpoint root".into());
        }
    }
    None
}

#[test]
fn log_proofs_hold_except_where_the_case_broke_them() {
    let dir = sigstore_cases();
    let production = production_root();
    let mut failed = BTreeMap::new();
    let mut checked = 0;
    for e in std::fs::read_dir(dir.join("bundle-verify")).unwrap() {
        let case = e.unwrap().path();
        if !case.is_dir() {
            continue;
        }
        checked += 1;
        if let Some(why) = log_proofs(&case, &production) {
            failed.insert(
                case.file_name().unwrap().to_string_lossy().into_owned(),
                why,
            );
        }
    }
    assert_eq!(checked, 70);
    // The cases whose README names a broken promise, proof or checkpoint, each failing for that
    // reason; one from a log the root does not know; and five whose entry was edited along with
    // what their README names (their body no longer matches what the log signed: they also fail
    // for their README's reason in later checks).
    let expected: BTreeMap<String, String> = [
        ("set-invalid-signature_fail", "set"),
        // Rekor v2 entries carry no time of their own: without a timestamp of the root's
        // authorities (none, or a broken one, as their READMEs say) the checkpoint's key
        // window cannot be judged.
        ("rekor2-no-timestamp_fail", "no time"),
        (
            "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
            "no time",
        ),
        ("rekor2-timestamp-outside-tsa-cert-validity_fail", "no time"),
        ("rekor2-timestamp-payload-mismatch_fail", "no time"),
        (
            "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
            "no time",
        ),
        (
            "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
            "no time",
        ),
        ("bundle-negative-log-index_fail", "set"),
        ("bundle-empty-certificate-chain_fail", "set"),
        ("bundle-invalid-base64-signature_fail", "set"),
        ("bundle-unknown-version_fail", "set"),
        ("incorrect-public-key_fail", "set"),
        ("bundle-from-wrong-instance_fail", "unknown log"),
        ("checkpoint-bad-keyhint_fail", "no log signature"),
        ("checkpoint-wrong-roothash_fail", "checkpoint root"),
        ("inclusion-proof-corrupted-hash_fail", "inclusion"),
        ("invalid-checkpoint-signature_fail", "checkpoint signature"),
        ("invalid-inclusion-proof_fail", "inclusion"),
        (
            "rekor2-checkpoint-missing-log-signature_fail",
            "checkpoint malformed",
        ),
        (
            "rekor2-checkpoint-missing-origin_fail",
            "checkpoint malformed",
        ),
        (
            "rekor2-checkpoint-missing-root-hash_fail",
            "checkpoint malformed",
        ),
        (
            "rekor2-checkpoint-missing-size_fail",
            "checkpoint malformed",
        ),
        (
            "rekor2-checkpoint-no-matching-signature_fail",
            "checkpoint signature",
        ),
        ("trust-root-tlog-missing-validity-start_fail", "root"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(failed, expected);
}
