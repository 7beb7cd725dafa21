//! Path rules shared by the manifest, the writer and the untrusted-zip reader, the artifact name
//! type, and the layout of a bundle (which path has which role, and the unlisted entries).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{BundleError, PathProblem};

/// Longest entry path accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest path component (and artifact name) accepted, in bytes.
pub const MAX_COMPONENT_BYTES: usize = 255;

/// The manifest's own path. It never lists itself.
pub const MANIFEST_PATH: &str = "manifest.json";
/// The README's path.
pub const README_PATH: &str = "README.txt";
/// The audit excerpt's path (unlisted).
pub const AUDIT_EXCERPT_PATH: &str = "audit/excerpt.json";
/// The attestation kinds an `attestations/<x>.<kind>.sigstore.json` path may name.
pub const ATTESTATION_KINDS: &[&str] = &["sbom", "provenance", "vulns"];

/// Checks a relative, `/`-separated path: no absolute paths, drive letters, backslashes, `.` or
/// `..` components, empty components, or control characters; at most [`MAX_PATH_BYTES`] bytes
/// with components of at most [`MAX_COMPONENT_BYTES`].
pub fn check_path(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(PathProblem::TooLong);
    }
    if path.chars().any(char::is_control) {
        return Err(PathProblem::ControlCharacter);
    }
    if path.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    if path.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    let b = path.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err(PathProblem::DriveLetter);
    }
    for component in path.split('/') {
        match component {
            "" => return Err(PathProblem::EmptyComponent),
            "." => return Err(PathProblem::DotComponent),
            ".." => return Err(PathProblem::DotDotComponent),
            c if c.len() > MAX_COMPONENT_BYTES => return Err(PathProblem::ComponentTooLong),
            _ => {}
        }
    }
    Ok(())
}

/// The name of a released artifact: one path component, UTF-8, 1 to 255 bytes, without `/`,
/// `\`, NUL or control characters, and not `.` or `..`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ArtifactName(String);

/// As the quoted name, so that messages built with `{:?}` show `"app.tar.gz"`, not the type.
impl fmt::Debug for ArtifactName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl ArtifactName {
    /// Checks `name` against the naming rules.
    pub fn parse(name: &str) -> Result<ArtifactName, BundleError> {
        let bad = |reason: &str| BundleError::InvalidName {
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        if name.is_empty() {
            return Err(bad("it is empty"));
        }
        if name.len() > MAX_COMPONENT_BYTES {
            return Err(bad("it is longer than 255 bytes"));
        }
        if name.contains('/') || name.contains('\\') {
            return Err(bad("it contains a path separator"));
        }
        if name.chars().any(char::is_control) {
            return Err(bad("it contains NUL or a control character"));
        }
        if name == "." || name == ".." {
            return Err(bad("it is `.` or `..`"));
        }
        if let Err(p) = check_path(name) {
            return Err(bad(&p.to_string()));
        }
        Ok(ArtifactName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ArtifactName {
    type Error = BundleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ArtifactName::parse(&s)
    }
}

impl From<ArtifactName> for String {
    fn from(n: ArtifactName) -> String {
        n.0
    }
}

impl fmt::Display for ArtifactName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ArtifactName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The conventional path of each listed role.
pub mod layout {
    use super::ArtifactName;

    /// `artifacts/<name>`
    pub fn artifact(name: &ArtifactName) -> String {
        format!("artifacts/{name}")
    }
    /// `signatures/<name>.sigstore.json`
    pub fn artifact_signature(name: &ArtifactName) -> String {
        format!("signatures/{name}.sigstore.json")
    }
    /// `attestations/<name>.<kind>.sigstore.json`, `kind` one of
    /// [`super::ATTESTATION_KINDS`].
    pub fn attestation(name: &ArtifactName, kind: &str) -> String {
        format!("attestations/{name}.{kind}.sigstore.json")
    }
    /// `sboms/<name>.spdx.json`
    pub fn spdx_sbom(name: &ArtifactName) -> String {
        format!("sboms/{name}.spdx.json")
    }
    /// `sboms/<name>.cdx.json`
    pub fn cyclonedx_sbom(name: &ArtifactName) -> String {
        format!("sboms/{name}.cdx.json")
    }
    /// `keys/<keyid-hex>.pem`
    pub fn public_key(key_id_hex: &str) -> String {
        format!("keys/{key_id_hex}.pem")
    }
    /// `images/<name>/blobs/sha256/<hex>`
    pub fn image_blob(name: &ArtifactName, hex: &str) -> String {
        format!("images/{name}/blobs/sha256/{hex}")
    }
    /// `images/<name>/cosign.json`: the image's simple-signing payload.
    pub fn image_payload(name: &ArtifactName) -> String {
        format!("images/{name}/cosign.json")
    }
    /// `images/<name>/cosign.sig`: the payload's signature, base64.
    pub fn image_signature(name: &ArtifactName) -> String {
        format!("images/{name}/cosign.sig")
    }
    /// `approvals/<keyid-hex>.sigstore.json`
    pub fn approval_bundle(key_id_hex: &str) -> String {
        format!("approvals/{key_id_hex}.sigstore.json")
    }
    /// `approvals/<keyid-hex>.pem`
    pub fn approval_key(key_id_hex: &str) -> String {
        format!("approvals/{key_id_hex}.pem")
    }
}

/// `true` for a key id as used in file names: 64 lowercase hex digits (SHA-256 of the DER SPKI).
pub fn is_key_id_hex(s: &str) -> bool {
    strongroom_core::digest::is_sha256_hex(s)
}

/// What an unlisted entry of a bundle may be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unlisted {
    Manifest,
    ApprovalBundle(String),
    ApprovalKey(String),
    AuditExcerpt,
}

/// Classifies a path that may appear in a bundle without being listed; `None` for every other
/// path (which must then be listed).
pub(crate) fn classify_unlisted(path: &str) -> Option<Unlisted> {
    if path == MANIFEST_PATH {
        return Some(Unlisted::Manifest);
    }
    if path == AUDIT_EXCERPT_PATH {
        return Some(Unlisted::AuditExcerpt);
    }
    let rest = path.strip_prefix("approvals/")?;
    if let Some(id) = rest.strip_suffix(".sigstore.json") {
        return is_key_id_hex(id).then(|| Unlisted::ApprovalBundle(id.to_owned()));
    }
    if let Some(id) = rest.strip_suffix(".pem") {
        return is_key_id_hex(id).then(|| Unlisted::ApprovalKey(id.to_owned()));
    }
    None
}

/// `true` for paths that may never be listed in a manifest: the manifest itself, anything under
/// `approvals/` and the audit excerpt.
pub(crate) fn is_reserved_unlisted(path: &str) -> bool {
    path == MANIFEST_PATH || path == AUDIT_EXCERPT_PATH || path.starts_with("approvals/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_rules() {
        for ok in ["a", "a/b", "artifacts/app.tar.gz", "x/y:z", "é/ü"] {
            assert_eq!(check_path(ok), Ok(()), "{ok}");
        }
        let cases: &[(&str, PathProblem)] = &[
            ("", PathProblem::Empty),
            ("/abs", PathProblem::Absolute),
            ("C:\\x", PathProblem::Backslash),
            ("C:/x", PathProblem::DriveLetter),
            ("c:x", PathProblem::DriveLetter),
            ("a\\b", PathProblem::Backslash),
            ("../evil", PathProblem::DotDotComponent),
            ("a/../../b", PathProblem::DotDotComponent),
            ("./a", PathProblem::DotComponent),
            ("a//b", PathProblem::EmptyComponent),
            ("a/", PathProblem::EmptyComponent),
            ("a\0b", PathProblem::ControlCharacter),
            ("a\nb", PathProblem::ControlCharacter),
        ];
        for (p, want) in cases {
            assert_eq!(check_path(p).as_ref(), Err(want), "{p:?}");
        }
        assert_eq!(
            check_path(&"a".repeat(256)),
            Err(PathProblem::ComponentTooLong)
        );
        assert_eq!(
            check_path(&"a/".repeat(600)[..1100]),
            Err(PathProblem::TooLong)
        );
    }

    #[test]
    fn artifact_names() {
        for ok in ["app.tar.gz", "a", "ü-1.0", "app:1", &"n".repeat(255)] {
            assert_eq!(ArtifactName::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a\\b",
            "a\0",
            "tab\t",
            "C:",
            &"n".repeat(256),
        ] {
            assert!(
                matches!(
                    ArtifactName::parse(bad),
                    Err(BundleError::InvalidName { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn unlisted_classification() {
        let id = "ab".repeat(32);
        assert_eq!(
            classify_unlisted(&format!("approvals/{id}.sigstore.json")),
            Some(Unlisted::ApprovalBundle(id.clone()))
        );
        assert_eq!(
            classify_unlisted(&format!("approvals/{id}.pem")),
            Some(Unlisted::ApprovalKey(id.clone()))
        );
        assert_eq!(
            classify_unlisted("audit/excerpt.json"),
            Some(Unlisted::AuditExcerpt)
        );
        assert_eq!(classify_unlisted("manifest.json"), Some(Unlisted::Manifest));
        for no in [
            "approvals/x.pem",
            &format!("approvals/{}.pem", "AB".repeat(32)),
            &format!("approvals/{id}.json"),
            "audit/other.json",
            "README.txt",
        ] {
            assert_eq!(classify_unlisted(no), None, "{no}");
        }
    }

    #[test]
    fn a_name_in_a_message_is_the_quoted_name_not_the_type() {
        let n = ArtifactName::parse("app.tar.gz").unwrap();
        assert_eq!(format!("{n:?}"), "\"app.tar.gz\"");
    }
}
