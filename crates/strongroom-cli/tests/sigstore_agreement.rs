//! An independent verifier agrees with ours: every Sigstore case of `../shared/conformance/` (the
//! client conformance suite's 70 cases, by artifact path, and the 33 third-party cases of
//! `third-party/cases.json`) through the real CLI and through sigstore-js (`@sigstore/verify`,
//! by `tests/interop/sigstore_keyless_verify.mjs`), both inside `unshare -n` (no network), with
//! the same trusted root, identity, issuer, key, artifact or digest, and thresholds.
//!
//! Wherever sigstore-js gives a verdict it must equal ours. The cases it cannot check (the script
//! exits 3) and those where it is known to be wrong are listed, with the reason, in
//! `tests/fixtures/sigstore/sigstore-js-unsupported.txt`; the list must be exactly those cases, and
//! on every case it lists our verdict must be the one the case expects. Our exit 2 (input we
//! cannot read) counts as "not verified". Needs `../shared/conformance/` beside the checkout and
//! the npm packages at the repo root (`scripts/setup-interop.sh`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const SCRIPT: &str = "tests/interop/sigstore_keyless_verify.mjs";
const FIXTURE: &str = "tests/fixtures/sigstore/sigstore-js-unsupported.txt";

fn conformance() -> PathBuf {
    let dir = repo_root().join("../shared/conformance");
    assert!(
        dir.join("sigstore/bundle-verify").is_dir() && dir.join("third-party/cases.json").is_file(),
        "the shared conformance data is not at {}: this test needs ../shared/conformance beside the checkout",
        dir.display()
    );
    dir
}

fn require_node() {
    let root = repo_root();
    assert!(
        root.join("node_modules/@sigstore/verify/package.json").is_file(),
        "{} has no node_modules/@sigstore/verify: run `bash scripts/setup-interop.sh` (the test command does)",
        root.display()
    );
    assert!(
        Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "node is not installed: run `bash scripts/setup-interop.sh`, which checks for it"
    );
    assert!(
        Command::new("unshare")
            .args(["-n", "true"])
            .status()
            .is_ok_and(|s| s.success()),
        "unshare -n must work here (the tests run as root): it proves no network is used"
    );
}

/// What one case asks: the same inputs go to both verifiers.
struct Case {
    id: String,
    expect_pass: bool,
    root: PathBuf,
    bundle: PathBuf,
    /// `(identity, issuer)`, or the managed key.
    signer: Result<(String, String), PathBuf>,
    /// A file, or `sha256:HEX`.
    target: Result<PathBuf, String>,
    /// `(tlog, sct, rfc3161 timestamps)`; `None`: each verifier's defaults.
    thresholds: Option<(u64, u64, u64)>,
}

fn suite_cases(dir: &Path) -> Vec<Case> {
    let suite = dir.join("sigstore");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(suite.join("bundle-verify"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    folders
        .into_iter()
        .map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let SuiteCase {
                artifact,
                root,
                signer,
            } = suite_case(&case, &suite);
            Case {
                expect_pass: !name.ends_with("_fail"),
                id: name,
                root,
                bundle: case.join("bundle.sigstore.json"),
                signer,
                target: Ok(artifact),
                thresholds: None,
            }
        })
        .collect()
}

fn third_party_cases(dir: &Path) -> Vec<Case> {
    let folder = dir.join("third-party");
    let cases: Value =
        serde_json::from_slice(&std::fs::read(folder.join("cases.json")).unwrap()).unwrap();
    cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let at = folder.join(c["dir"].as_str().unwrap());
            let t = &c["thresholds"];
            let n = |k: &str| t[k].as_u64().unwrap_or(0);
            Case {
                id: c["id"].as_str().unwrap().to_owned(),
                expect_pass: c["expect"] == "pass",
                root: at.join(c["trusted_root"].as_str().unwrap()),
                bundle: at.join(c["bundle"].as_str().unwrap()),
                signer: Ok((
                    c["identity"].as_str().unwrap().to_owned(),
                    c["issuer"].as_str().unwrap().to_owned(),
                )),
                target: match c["artifact_digest"].as_str() {
                    Some(d) => Err(d.to_owned()),
                    None => Ok(at.join(c["artifact"].as_str().unwrap())),
                },
                thresholds: Some((n("tlog"), n("sct"), n("rfc3161_timestamp"))),
            }
        })
        .collect()
}

/// Our CLI: the exit code and stderr.
fn ours(case: &Case) -> (i32, String) {
    let mut c = Command::new("unshare");
    c.arg("-n")
        .arg(env!("CARGO_BIN_EXE_strongroom"))
        .env_remove("STRONGROOM_HOME")
        .args(["verify", "--json", "--trusted-root"])
        .arg(&case.root)
        .arg("--bundle")
        .arg(&case.bundle);
    match &case.signer {
        Ok((identity, issuer)) => {
            c.args(["--certificate-identity", identity])
                .args(["--certificate-oidc-issuer", issuer]);
        }
        Err(key) => {
            c.arg("--key").arg(key);
        }
    }
    if let Some((tlog, sct, tsa)) = case.thresholds {
        c.args(["--tlog-threshold", &tlog.to_string()])
            .args(["--sct-threshold", &sct.to_string()])
            .args(["--timestamp-threshold", &tsa.to_string()]);
    }
    match &case.target {
        Ok(file) => c.arg(file),
        Err(digest) => c.arg(digest),
    };
    let o = Out::from(c.output().expect("unshare is in util-linux"));
    (o.code, o.stderr)
}

/// sigstore-js, through the script: the exit code and what it said.
fn sigstore_js(case: &Case) -> (i32, String) {
    let root = repo_root();
    let mut c = Command::new("unshare");
    c.arg("-n")
        .arg("node")
        .arg(root.join(SCRIPT))
        .current_dir(&root)
        .arg("--bundle")
        .arg(&case.bundle)
        .arg("--trusted-root")
        .arg(&case.root);
    match &case.signer {
        Ok((identity, issuer)) => {
            c.args(["--identity", identity]).args(["--issuer", issuer]);
        }
        Err(key) => {
            c.arg("--key").arg(key);
        }
    }
    if let Some((tlog, sct, tsa)) = case.thresholds {
        c.args(["--tlog-threshold", &tlog.to_string()])
            .args(["--ctlog-threshold", &sct.to_string()])
            .args(["--tsa-threshold", &tsa.to_string()]);
    }
    match &case.target {
        Ok(file) => c.arg("--artifact").arg(file),
        Err(digest) => c.args(["--digest", digest]),
    };
    let o = Out::from(c.output().expect("unshare is in util-linux"));
    (
        o.code,
        format!("{}{}", o.stdout, o.stderr).trim().to_owned(),
    )
}

#[test]
fn sigstore_js_reaches_our_verdict_on_every_case_it_can_check() {
    let dir = conformance();
    require_node();
    let suite = suite_cases(&dir);
    let third = third_party_cases(&dir);
    assert_eq!((suite.len(), third.len()), (70, 33));

    let fixture = std::fs::read_to_string(repo_root().join(FIXTURE)).unwrap();
    let listed: BTreeMap<&str, &str> = fixture
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            l.split_once(' ')
                .unwrap_or_else(|| panic!("{FIXTURE}: no reason on the line {l:?}"))
        })
        .collect();

    let mut ids = BTreeSet::new();
    let mut problems = Vec::new();
    // Cases sigstore-js did not check or got wrong, each with what the fixture must say first.
    let mut not_agreed: BTreeMap<String, &str> = BTreeMap::new();
    let mut agreed = [0usize; 2];
    for (set, cases) in [(0, &suite), (1, &third)] {
        for case in cases.iter() {
            assert!(ids.insert(case.id.clone()), "case id {} twice", case.id);
            let (code, stderr) = ours(case);
            let (js_code, js_says) = sigstore_js(case);
            let verified = match code {
                0 => true,
                1 | 2 => false,
                _ => {
                    problems.push(format!("{}: our CLI exited {code}: {stderr}", case.id));
                    continue;
                }
            };
            let id = case.id.as_str();
            match js_code {
                0 | 1 if (js_code == 0) == verified => agreed[set] += 1,
                0 => {
                    not_agreed.insert(case.id.clone(), "sigstore-js accepts:");
                }
                1 => {
                    not_agreed.insert(case.id.clone(), "sigstore-js rejects:");
                }
                3 => {
                    not_agreed.insert(case.id.clone(), "unsupported:");
                }
                _ => {
                    problems.push(format!("{id}: the script exited {js_code}: {js_says}"));
                    continue;
                }
            }
            if let Some(&want) = not_agreed.get(id) {
                match listed.get(id) {
                    None => problems.push(format!(
                        "{id}: sigstore-js exit {js_code}, ours exit {code}, and {FIXTURE} does not list it \
                         (`{want}` …): {js_says}"
                    )),
                    Some(reason) if !reason.starts_with(want) => problems.push(format!(
                        "{id}: {FIXTURE} says {reason:?}, but sigstore-js exit {js_code} with ours exit \
                         {code} means `{want}`: {js_says}"
                    )),
                    Some(_) => {}
                }
                // A case sigstore-js is listed as wrong on is only listed because we are right.
                if want != "unsupported:" && verified != case.expect_pass {
                    problems.push(format!(
                        "{id}: sigstore-js and our CLI disagree, and ours is not the verdict the case \
                         expects (expect {}): {stderr}",
                        if case.expect_pass { "pass" } else { "fail" }
                    ));
                }
            }
        }
    }
    for id in listed.keys() {
        if !not_agreed.contains_key(*id) {
            problems.push(format!(
                "{id} is listed in {FIXTURE}, but sigstore-js checked it and agreed (or there is no such case)"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!(
        "sigstore-js agreed on {} suite and {} third-party cases; {} listed in {FIXTURE}",
        agreed[0],
        agreed[1],
        not_agreed.len()
    );
}
