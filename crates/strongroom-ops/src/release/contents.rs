//! What a release bundle holds: listed without verifying it (`release show`), and its SBOMs and
//! attestations copied out of a bundle that verifies (`release extract`), for tools that read
//! them on their own (Dependency-Track, cosign, an auditor's scripts).

use std::path::{Path, PathBuf};

use serde::Serialize;
use strongroom_bundle::{EntryRole, Manifest, SafeZip};
use strongroom_core::verify::Outcome;
use strongroom_core::Stage;
use strongroom_store::fsutil::{write_all_atomic, Overwrite};

use super::verify::{verify_opened, MAX_JSON_ENTRY};
use super::{open_bundle, Identity, VerifyBundle};
use crate::trust::VerificationTrust;
use crate::{Callbacks, OpsError, Station};

/// A bundle's contents, as its manifest lists them. Nothing here is verified.
#[derive(Clone, Debug, Serialize)]
pub struct BundleContents {
    pub bundle: String,
    /// SHA-256 of the file as given (the ciphertext, when encrypted).
    pub sha256: String,
    pub encrypted: bool,
    /// `manifest:sha256:HEX`: how the audit log and `audit excerpt` name the release.
    pub manifest: String,
    pub name: String,
    pub version: String,
    pub stage: Stage,
    pub created: String,
    pub artifacts: Vec<ContentArtifact>,
    /// The public keys the bundle carries (`keys/HEX.pem`).
    pub keys: Vec<String>,
    /// Signatures over the manifest (`approvals/HEX.sigstore.json`): the creator's and each
    /// approver's.
    pub approvals: usize,
    pub audit_excerpt: bool,
}

/// One artifact and the documents about it.
#[derive(Clone, Debug, Serialize)]
pub struct ContentArtifact {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    /// Its bytes are in the bundle.
    pub included: bool,
    pub documents: Vec<ContentDocument>,
}

/// A listed document about an artifact.
#[derive(Clone, Debug, Serialize)]
pub struct ContentDocument {
    pub path: String,
    pub role: EntryRole,
    pub size: u64,
    /// The in-toto predicate type, for attestations.
    pub predicate_type: Option<String>,
}

/// Lists what `bundle` holds, from its manifest. Not a verification: the report says so, and
/// `verify` checks every signature and digest.
pub fn release_show(
    bundle: &Path,
    identity: Option<&Identity>,
) -> Result<BundleContents, OpsError> {
    let opened = open_bundle(bundle, identity)?;
    let (manifest, manifest_bytes) = read_manifest(&opened.zip)?;
    let release = manifest.release();
    let artifacts = manifest
        .artifacts()
        .iter()
        .map(|a| ContentArtifact {
            name: a.name.to_string(),
            sha256: a.sha256.to_hex(),
            size: a.size,
            included: a.included,
            documents: manifest
                .entries()
                .iter()
                .filter(|e| e.role != EntryRole::Artifact && e.subjects.contains(&a.name))
                .map(|e| ContentDocument {
                    path: e.path.clone(),
                    role: e.role,
                    size: e.size,
                    predicate_type: e.predicate_type.clone(),
                })
                .collect(),
        })
        .collect();
    let names: Vec<&str> = opened.zip.names().collect();
    Ok(BundleContents {
        bundle: bundle.display().to_string(),
        sha256: opened.sha256.clone(),
        encrypted: opened.encrypted,
        manifest: super::manifest_object(
            &strongroom_core::HashAlg::Sha256
                .hash(&manifest_bytes)
                .to_hex(),
        ),
        name: release.name().to_owned(),
        version: release.version().to_owned(),
        stage: release.stage(),
        created: release.created().to_owned(),
        artifacts,
        keys: manifest
            .entries()
            .iter()
            .filter(|e| e.role == EntryRole::PublicKey)
            .map(|e| e.path.clone())
            .collect(),
        approvals: names
            .iter()
            .filter(|n| n.starts_with("approvals/") && n.ends_with(".sigstore.json"))
            .count(),
        audit_excerpt: names.contains(&strongroom_bundle::paths::AUDIT_EXCERPT_PATH),
    })
}

fn read_manifest(zip: &SafeZip) -> Result<(Manifest, Vec<u8>), OpsError> {
    strongroom_bundle::read_manifest(zip).map_err(|e| {
        OpsError::BadInput(format!(
            "{}: {e}: this is not a Strongroom release bundle, or its manifest was removed or altered",
            zip.path().display()
        ))
    })
}

/// What `release extract` copies out, and where.
#[derive(Debug, Default)]
pub struct ExtractRelease {
    pub verify: VerifyBundle,
    /// The SBOMs (`NAME.spdx.json`, `NAME.cdx.json`) go here.
    pub sbom_dir: Option<PathBuf>,
    /// The signatures, attestations (Sigstore bundles) and the public keys that verify them go
    /// here.
    pub attestations_dir: Option<PathBuf>,
    /// Replace files of the same names.
    pub force: bool,
}

/// What was written.
#[derive(Clone, Debug, Serialize)]
pub struct Extracted {
    pub manifest: String,
    /// The verdict was VERIFIED WITH WARNINGS.
    pub warnings: bool,
    pub files: Vec<String>,
}

/// Verifies the bundle against `trust` exactly as `verify` does, then writes its SBOMs and
/// attestations, all-or-nothing, never over a file without `force`. A bundle that does not
/// verify gives nothing.
pub fn release_extract(
    req: &ExtractRelease,
    trust: &VerificationTrust,
    cb: &dyn Callbacks,
) -> Result<Extracted, OpsError> {
    if req.sbom_dir.is_none() && req.attestations_dir.is_none() {
        return Err(OpsError::BadInput(
            "say what to extract: --sbom DIR for the SBOMs, --attestations DIR for the signatures and attestations, or both".into(),
        ));
    }
    for dir in [&req.sbom_dir, &req.attestations_dir].into_iter().flatten() {
        if !dir.is_dir() {
            return Err(OpsError::NotADirectory(dir.clone()));
        }
    }
    let opened = open_bundle(&req.verify.bundle, req.verify.identity.as_ref())?;
    let report = verify_opened(&opened, &req.verify, trust, cb)?;
    if !report.verified {
        return Err(OpsError::ExtractRefused {
            bundle: req.verify.bundle.clone(),
            reasons: report
                .checks
                .iter()
                .filter(|c| c.outcome == Outcome::Fail)
                .map(|c| format!("{}: {}", c.id, c.detail))
                .collect(),
        });
    }
    let (manifest, _) = read_manifest(&opened.zip)?;
    let mut files = Vec::new();
    for e in manifest.entries() {
        let dir = match e.role {
            EntryRole::Sbom => &req.sbom_dir,
            EntryRole::Attestation | EntryRole::ArtifactSignature | EntryRole::PublicKey => {
                &req.attestations_dir
            }
            EntryRole::Readme
            | EntryRole::Artifact
            | EntryRole::ImageBlob
            | EntryRole::ImageSignature => &None,
        };
        let Some(dir) = dir else { continue };
        // The manifest's paths were checked when the bundle was read: `dir/name`, no deeper.
        let name = e.path.rsplit('/').next().unwrap_or(&e.path);
        let target = dir.join(name);
        if !req.force && target.symlink_metadata().is_ok() {
            return Err(OpsError::OutputExists(target));
        }
        files.push((target, opened.zip.read(&e.path, MAX_JSON_ENTRY)?));
    }
    let overwrite = if req.force {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    };
    write_all_atomic(&files, overwrite)?;
    Ok(Extracted {
        manifest: super::manifest_object(&report.manifest_sha256),
        warnings: report.verdict == Outcome::Warn,
        files: files
            .into_iter()
            .map(|(p, _)| p.display().to_string())
            .collect(),
    })
}

impl Station {
    /// [`release_extract`] against the station's trust store; the outputs are checked as every
    /// output a person names is (never inside the station).
    pub fn release_extract(
        &self,
        req: &ExtractRelease,
        cb: &dyn Callbacks,
    ) -> Result<Extracted, OpsError> {
        self.require(crate::Action::ReleaseVerify)?;
        for dir in [&req.sbom_dir, &req.attestations_dir].into_iter().flatten() {
            self.output_dir(dir)?;
        }
        release_extract(req, &VerificationTrust::station(self.trust_set()?), cb)
    }
}
