//! The Sigstore client conformance suite's 70 verification cases through the real CLI, each run
//! twice, with the artifact's path and with its digest as `sha256:HEX` (140 runs), every run
//! inside a network namespace with no interfaces (`unshare -n`) to show that nothing is fetched.
//! Each case gives its verdict, and each `_fail` case fails on the check its README describes
//! (`tests/fixtures/sigstore/conformance-reasons.txt`), never on a parse error of ours or
//! "unsupported". Needs `../shared/conformance/` beside the checkout (`scripts/test.sh` names it
//! as not run without).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn suite() -> PathBuf {
    let dir = repo_root().join("../shared/conformance/sigstore");
    assert!(
        dir.join("bundle-verify").is_dir(),
        "the shared conformance data is not at {}: this test needs ../shared/conformance beside the checkout",
        dir.display()
    );
    dir
}

/// One run: the exit code, the ids of the failed checks (from `--json`), and stderr.
fn run(case: &Path, suite: &Path, by_digest: bool) -> (i32, Vec<String>, String) {
    let SuiteCase {
        artifact,
        root,
        signer,
    } = suite_case(case, suite);
    let target = if by_digest {
        format!("sha256:{}", sha256_hex(&std::fs::read(&artifact).unwrap()))
    } else {
        artifact.to_str().unwrap().to_owned()
    };
    let mut c = Command::new("unshare");
    c.arg("-n")
        .arg(env!("CARGO_BIN_EXE_strongroom"))
        .env_remove("STRONGROOM_HOME")
        .args(["verify", "--json", "--trusted-root"])
        .arg(&root)
        .arg("--bundle")
        .arg(case.join("bundle.sigstore.json"));
    match &signer {
        Err(key) => {
            c.arg("--key").arg(key);
        }
        Ok((identity, issuer)) => {
            c.args(["--certificate-identity", identity])
                .args(["--certificate-oidc-issuer", issuer]);
        }
    }
    let out = c.arg(&target).output().expect("unshare is in util-linux");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failed = serde_json::from_str::<serde_json::Value>(&stdout)
        .ok()
        .and_then(|r| {
            r["checks"].as_array().map(|cs| {
                cs.iter()
                    .filter(|c| c["outcome"] == "fail")
                    .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
        })
        .unwrap_or_default();
    (
        out.status.code().unwrap_or(-1),
        failed,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_case_twice_through_the_cli_without_a_network() {
    let suite = suite();
    assert!(
        Command::new("unshare")
            .args(["-n", "true"])
            .status()
            .is_ok_and(|s| s.success()),
        "unshare -n must work here (the tests run as root): it proves no network is used"
    );
    let reasons_text = std::fs::read_to_string(
        repo_root().join("tests/fixtures/sigstore/conformance-reasons.txt"),
    )
    .unwrap();
    let reasons: BTreeMap<&str, &str> = reasons_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .collect();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(suite.join("bundle-verify"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 70);
    let mut wrong = Vec::new();
    let mut runs = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        for by_digest in [false, true] {
            runs += 1;
            let (code, failed, stderr) = run(case, &suite, by_digest);
            let how = if by_digest { "sha256:HEX" } else { "path" };
            if !name.ends_with("_fail") {
                if code != 0 {
                    wrong.push(format!("{name} ({how}): exit {code} {failed:?} {stderr}"));
                }
                continue;
            }
            let want = reasons[name.as_str()];
            let right = match want {
                // What cannot be read at all is an error naming it (exit 2), not a verdict.
                "trust-root" => code == 2 && stderr.contains("validFor"),
                "key" => code == 2 && stderr.contains("key.pub"),
                id => code == 1 && failed.iter().any(|f| f == id),
            };
            if !right {
                wrong.push(format!(
                    "{name} ({how}): exit {code}, failed {failed:?}, want {want}; {stderr}"
                ));
            }
        }
    }
    assert_eq!(runs, 140);
    assert!(
        wrong.is_empty(),
        "{} wrong runs:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
