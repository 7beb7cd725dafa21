//! Real keyless evidence other projects published (`../shared/conformance/third-party/`, 33
//! cases: GitHub artifact attestations on the public-good and GitHub's own instance, gh's JSON
//! lines, npm provenance with SHA-512 subjects and Rekor `intoto` 0.0.2, PyPI PEP 740
//! attestations and provenance, keyless blobs) through the real CLI inside `unshare -n`. Each
//! case gives its verdict with the thresholds `cases.json` names, and again with none given (the
//! defaults the root implies); each failing case fails on the check its `fails_because` names
//! (`tests/fixtures/sigstore/third-party-reasons.txt`), never on reading. Needs
//! `../shared/conformance/` beside the checkout (`scripts/test.sh` names it as not run without).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

fn folder() -> PathBuf {
    let dir = repo_root().join("../shared/conformance/third-party");
    assert!(
        dir.join("cases.json").is_file(),
        "the shared conformance data is not at {}: this test needs ../shared/conformance beside the checkout",
        dir.display()
    );
    dir
}

/// One run: the exit code, the report (`--json`), and stderr.
fn run(dir: &Path, case: &Value, thresholds: bool) -> (i32, Value, String) {
    let at = dir.join(case["dir"].as_str().unwrap());
    let target = match case["artifact_digest"].as_str() {
        Some(d) => d.to_owned(),
        None => at
            .join(case["artifact"].as_str().unwrap())
            .to_str()
            .unwrap()
            .to_owned(),
    };
    let mut c = Command::new("unshare");
    c.arg("-n")
        .arg(env!("CARGO_BIN_EXE_strongroom"))
        .env_remove("STRONGROOM_HOME")
        .args(["verify", "--json", "--trusted-root"])
        .arg(at.join(case["trusted_root"].as_str().unwrap()))
        .arg("--bundle")
        .arg(at.join(case["bundle"].as_str().unwrap()))
        .args(["--certificate-identity", case["identity"].as_str().unwrap()])
        .args([
            "--certificate-oidc-issuer",
            case["issuer"].as_str().unwrap(),
        ]);
    if thresholds {
        let t = &case["thresholds"];
        for (flag, key) in [
            ("--tlog-threshold", "tlog"),
            ("--sct-threshold", "sct"),
            ("--timestamp-threshold", "rfc3161_timestamp"),
        ] {
            c.arg(flag).arg(t[key].as_u64().unwrap_or(0).to_string());
        }
    }
    let out = c.arg(&target).output().expect("unshare is in util-linux");
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn every_third_party_case_gives_its_verdict_for_its_reason_without_a_network() {
    let dir = folder();
    let cases: Value =
        serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 33);
    let reasons_text = std::fs::read_to_string(
        repo_root().join("tests/fixtures/sigstore/third-party-reasons.txt"),
    )
    .unwrap();
    let reasons: BTreeMap<&str, &str> = reasons_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.rsplit_once(' '))
        .collect();
    let mut wrong = Vec::new();
    let (mut passing, mut failing) = (0, 0);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let pass = case["expect"] == "pass";
        for thresholds in [true, false] {
            let (code, report, stderr) = run(&dir, case, thresholds);
            let how = if thresholds {
                "thresholds given"
            } else {
                "default thresholds"
            };
            let failed = failed(&report);
            let right = if pass {
                code == 0 && report["verified"] == true
            } else {
                let want = reasons.get(id).copied().unwrap_or("(no reason listed)");
                code == 1
                    && failed.iter().any(|f| f == want)
                    && !failed.iter().any(|f| f == "bundle-format")
            };
            if !right {
                wrong.push(format!(
                    "{id} ({how}): exit {code}, failed {failed:?}; {stderr}"
                ));
            }
        }
        if pass {
            passing += 1;
        } else {
            failing += 1;
        }
    }
    assert_eq!((passing, failing), (15, 18));
    assert!(
        wrong.is_empty(),
        "{} wrong runs:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Each container is named as what it is, and a file of several bundles reports each.
#[test]
fn containers_are_read_as_they_come() {
    let dir = folder();
    let cases: Value =
        serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    let by_id = |id: &str| {
        cases["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    for (id, container, items) in [
        // One line of JSON lines is one bundle, and read as one.
        ("gh-instance-jsonl", "sigstore-bundle", 1),
        ("npm-2.1.0/jsonl-x2", "sigstore-bundle-jsonl", 2),
        ("npm-2.1.0/v0.1", "sigstore-bundle", 1),
        ("pypi-pa-0.0.19", "pep740-attestation", 1),
        ("pypi-pa-0.0.19/provenance-file", "pep740-provenance", 1),
    ] {
        let (code, report, stderr) = run(&dir, &by_id(id), true);
        assert_eq!(code, 0, "{id}: {stderr}");
        assert_eq!(report["container"], container, "{id}");
        assert_eq!(report["items"].as_array().unwrap().len(), items, "{id}");
    }
    // The provenance names its Trusted Publisher, and the signer is the workflow.
    let (_, report, _) = run(&dir, &by_id("pypi-pa-0.0.19/provenance-file"), true);
    assert_eq!(
        report["items"][0]["publisher"],
        "GitHub trailofbits/pypi-attestations release.yml"
    );
    assert_eq!(
        report["signer"]["source_repository"],
        "https://github.com/trailofbits/pypi-attestations"
    );
}
