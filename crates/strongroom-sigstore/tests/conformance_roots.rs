//! Every trusted root the shared conformance data carries (the public-good root, each case's own
//! root, GitHub's JSON lines) reads, and the one the Sigstore suite marks as broken is refused for
//! the reason its README gives. Needs `../shared/conformance/` beside the checkout: without it
//! this test fails saying so, and `scripts/test.sh` lists it as not run.

mod common;

use std::path::{Path, PathBuf};

use strongroom_sigstore::TrustedRoot;

/// Every `trusted_root.json*` under `dir`, sorted.
fn roots(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(roots(&p));
        } else if p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("trusted_root.json"))
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn every_carried_root_reads_and_the_broken_one_is_refused() {
    let dir = common::shared("");
    let production = TrustedRoot::from_bytes(
        &std::fs::read(dir.join("sigstore/production-trusted_root.json")).unwrap(),
    )
    .unwrap();
    assert!(!production.tlogs.is_empty() && !production.ctlogs.is_empty());
    assert!(!production.certificate_authorities.is_empty());
    assert!(!production.timestamp_authorities.is_empty());
    let all = roots(&dir);
    assert!(all.len() >= 10, "{all:?}");
    let broken = "trust-root-tlog-missing-validity-start_fail";
    for path in &all {
        let read = TrustedRoot::from_bytes(&std::fs::read(path).unwrap());
        if path.to_string_lossy().contains(broken) {
            let e = read.unwrap_err();
            assert!(e.to_string().contains("validFor has no start"), "{e}");
        } else {
            let root = read.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                !root.certificate_authorities.is_empty(),
                "{}",
                path.display()
            );
        }
    }
    // GitHub's own instance: JSON lines, and no logs at all (timestamps carry the time).
    let gh = TrustedRoot::from_bytes(
        &std::fs::read(
            dir.join("third-party/gh-attestation-github-instance-private/trusted_root.jsonl"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(gh.certificate_authorities.len() >= 2);
    assert!(!gh.timestamp_authorities.is_empty());
}
