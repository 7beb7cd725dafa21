//! Shared by the conformance tests: where the shared conformance data is (failing, saying so,
//! when it is not beside the checkout), base64 as Go clients read it, and each case's root.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use strongroom_sigstore::TrustedRoot;

/// `../shared/conformance/SUB` beside the checkout.
pub fn shared(sub: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance")
        .join(sub);
    assert!(
        dir.exists(),
        "the shared conformance data is not at {}: this test needs ../shared/conformance beside the checkout",
        dir.display()
    );
    dir
}

/// The Sigstore suite's folder (with `bundle-verify/` and the public-good root).
pub fn sigstore_cases() -> PathBuf {
    shared("sigstore/bundle-verify");
    shared("sigstore")
}

/// Base64 as the protobuf JSON mapping reads it in Go clients: line breaks are ignored (one
/// case's timestamp was wrapped by `base64` at 76 columns). `None` when it is not base64.
pub fn b64(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// The public-good trusted root the suite uses by default.
pub fn production_root() -> TrustedRoot {
    TrustedRoot::from_bytes(
        &std::fs::read(sigstore_cases().join("production-trusted_root.json")).unwrap(),
    )
    .unwrap()
}

/// The case's own trusted root, else `production`; `None` when the case's root is refused.
pub fn case_root(case: &Path, production: &TrustedRoot) -> Option<TrustedRoot> {
    match std::fs::read(case.join("trusted_root.json")) {
        Ok(bytes) => TrustedRoot::from_bytes(&bytes).ok(),
        Err(_) => Some(production.clone()),
    }
}

/// [`b64`], with bytes that are not base64 read as nothing (a comparison with them then fails).
pub fn bytes(s: &str) -> Vec<u8> {
    b64(s).unwrap_or_default()
}

/// The identity and issuer a case expects where it names none (the suite's README).
pub const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
pub const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The case's file `name`, trimmed, or `default` when it has none.
pub fn read_or(case: &Path, name: &str, default: &str) -> String {
    std::fs::read_to_string(case.join(name))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| default.to_owned())
}
