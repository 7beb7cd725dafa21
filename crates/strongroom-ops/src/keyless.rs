//! `verify` of bundles other clients made with Sigstore's keyless flow (or a managed key
//! logged in Rekor), offline, against a trusted root carried in as a file: the edge that reads
//! the files and the artifact, over `strongroom-sigstore`'s checks. Needs no station.

use std::path::PathBuf;

use serde::Serialize;
use strongroom_core::verify::Outcome;
use strongroom_core::{Digest, HashAlg, Timestamp};
use strongroom_sigstore::bundle::KeylessBundle;
use strongroom_sigstore::identity::{Expect, IdentityPolicy};
use strongroom_sigstore::verify::{verify_keyless, VerifyPolicy};
use strongroom_sigstore::TrustedRoot;

use crate::verify::read_capped;
use crate::OpsError;

/// The artifact a bundle is checked against.
#[derive(Clone, Debug)]
pub enum KeylessArtifact {
    /// A file, hashed here.
    File(PathBuf),
    /// A digest given as `sha256:HEX`.
    Digest(Digest),
}

impl KeylessArtifact {
    /// A `sha256:HEX` argument, or a path.
    pub fn parse(arg: &str) -> Result<KeylessArtifact, OpsError> {
        match arg.strip_prefix("sha256:") {
            Some(hex) => Digest::from_hex(HashAlg::Sha256, hex)
                .map(KeylessArtifact::Digest)
                .ok_or_else(|| {
                    OpsError::BadInput(format!(
                        "{arg}: a digest is sha256: and 64 hexadecimal digits"
                    ))
                }),
            None => Ok(KeylessArtifact::File(PathBuf::from(arg))),
        }
    }
}

/// One value of the identity policy: exact, or a whole-string regular expression.
#[derive(Clone, Debug)]
pub enum Match {
    Exact(String),
    Regexp(String),
}

/// A request to verify a keyless (or managed-key) bundle.
#[derive(Clone, Debug)]
pub struct KeylessRequest {
    pub bundle: PathBuf,
    pub trusted_root: PathBuf,
    pub artifact: KeylessArtifact,
    /// Required for a certificate; absent with `key`.
    pub identity: Option<Match>,
    pub issuer: Option<Match>,
    pub source_repository: Option<Match>,
    pub source_ref: Option<Match>,
    pub workflow: Option<Match>,
    /// A managed key (PEM file) instead of a certificate identity.
    pub key: Option<PathBuf>,
}

/// One check's line in the report.
#[derive(Clone, Debug, Serialize)]
pub struct KeylessLine {
    pub id: &'static str,
    pub outcome: Outcome,
    pub detail: String,
}

/// The verdict on a keyless bundle.
#[derive(Clone, Debug, Serialize)]
pub struct KeylessReport {
    pub bundle: String,
    pub artifact_sha256: String,
    pub verified: bool,
    pub checks: Vec<KeylessLine>,
}

/// Largest trusted root and bundle read.
const MAX_FILE: u64 = 8 << 20;

fn expect(m: &Match) -> Result<Expect, OpsError> {
    match m {
        Match::Exact(s) => Ok(Expect::Exact(s.clone())),
        Match::Regexp(r) => Expect::regex(r)
            .map_err(|e| OpsError::BadInput(format!("{r:?} is not a regular expression: {e}"))),
    }
}

/// Verifies `req.bundle` offline against `req.trusted_root`. `Ok` carries the report whatever
/// its verdict; `Err` is for what could not be read (a missing file, a root that is not one, a
/// policy that is not one).
pub fn verify_keyless_bundle(req: &KeylessRequest) -> Result<KeylessReport, OpsError> {
    let root_bytes = read_capped(&req.trusted_root, MAX_FILE)?;
    let root = TrustedRoot::from_bytes(&root_bytes)
        .map_err(|e| OpsError::BadInput(format!("{}: {e}", req.trusted_root.display())))?;
    let key = match &req.key {
        Some(path) => Some(crate::verify::load_public_key_file(path)?),
        None => None,
    };
    let identity = match (&req.identity, &req.issuer, &key) {
        (Some(i), Some(s), _) => Some(IdentityPolicy {
            identity: expect(i)?,
            issuer: expect(s)?,
            source_repository: req.source_repository.as_ref().map(expect).transpose()?,
            source_ref: req.source_ref.as_ref().map(expect).transpose()?,
            workflow: req.workflow.as_ref().map(expect).transpose()?,
        }),
        (_, _, Some(_)) => None,
        _ => {
            return Err(OpsError::BadInput(
                "say who must have signed: a certificate identity and an OIDC issuer (exact or as regular expressions), or a managed key".into(),
            ))
        }
    };
    let artifact = match &req.artifact {
        KeylessArtifact::Digest(d) => d.clone(),
        KeylessArtifact::File(path) => {
            crate::hashing::check_file(path)?;
            let file = std::fs::File::open(path).map_err(|source| OpsError::Read {
                path: path.clone(),
                source,
            })?;
            strongroom_core::digest::hash_reader(file, &[], &mut |_| {}, None)
                .map_err(|source| OpsError::Read {
                    path: path.clone(),
                    source,
                })?
                .sha256()
                .clone()
        }
    };
    let bundle_bytes = read_capped(&req.bundle, MAX_FILE)?;
    let report = |checks: Vec<KeylessLine>| KeylessReport {
        bundle: req.bundle.display().to_string(),
        artifact_sha256: artifact.to_hex(),
        verified: !checks.is_empty() && checks.iter().all(|c| c.outcome != Outcome::Fail),
        checks,
    };
    let bundle = match KeylessBundle::from_bytes(&bundle_bytes) {
        Ok(b) => b,
        Err(e) => {
            return Ok(report(vec![KeylessLine {
                id: "bundle-format",
                outcome: Outcome::Fail,
                detail: e.to_string(),
            }]))
        }
    };
    let policy = VerifyPolicy {
        identity,
        key: key.clone(),
        tlog_threshold: 1,
        sct_threshold: 1,
        timestamp_threshold: 0,
        now: Timestamp::now(),
    };
    let checks = verify_keyless(&bundle, &root, &artifact, &policy)
        .into_iter()
        .map(|c| KeylessLine {
            id: c.id.as_str(),
            outcome: c.outcome,
            detail: c.detail,
        })
        .collect();
    Ok(report(checks))
}
