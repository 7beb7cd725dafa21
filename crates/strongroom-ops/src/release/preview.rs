//! The release wizard's preview: everything `release create` would do short of asking for the
//! key's secret and signing — digests, SBOMs, scans, provenance and the policy's decision, with
//! its reasons — so the officer sees what would pass or fail before anything is signed.

use serde::Serialize;
use serde_json::Value;
use strongroom_core::HashAlg;

use super::create::{create_input, CreateRelease, Front};
use super::facts::{required_approvals, status_phrase};
use super::PolicyLine;
use crate::hashing::hash_files;
use crate::{Callbacks, OpsError, Station};

/// A file and its SHA-256.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HashedFile {
    pub path: String,
    /// The name it has in the release (the file name).
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// One artifact's SBOM.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PreviewSbom {
    pub artifact: String,
    pub format: crate::sbom::SbomFormat,
    pub components: u64,
    pub source: SbomSource,
}

/// Where an artifact's SBOM comes from.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SbomSource {
    /// Catalogued here from the artifact.
    Generated,
    /// A file the person gave.
    Imported,
}

/// One artifact's scan.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PreviewScan {
    pub artifact: String,
    pub report: crate::vulns::ScanReport,
}

/// What the policy would decide.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PolicyPreview {
    pub allowed: bool,
    /// `policy: message` for each denial, and the fix it names.
    pub deny: Vec<PolicyLine>,
    pub warn: Vec<PolicyLine>,
}

/// The signing key and how the trust store sees it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PreviewKey {
    pub label: String,
    pub key_id: String,
    pub backend: strongroom_store::Backend,
    /// For example `trusted signer for production` or `valid, key not trusted`.
    pub trust: String,
}

/// The preview of a release.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReleasePreview {
    pub artifacts: Vec<HashedFile>,
    pub sboms: Vec<PreviewSbom>,
    pub scans: Vec<PreviewScan>,
    /// The SLSA provenance v1 predicate that would be signed.
    pub provenance: Option<Value>,
    pub policy: PolicyPreview,
    pub key: PreviewKey,
    /// Distinct trusted approvers the stage needs after signing.
    pub approvals_required: u64,
}

impl Station {
    /// The wizard's first step for an image: read, every blob checked where it lies, and
    /// summarised (its manifest digest is the subject that will be signed). Nothing is kept.
    pub fn image_inspect(
        &self,
        spec: &crate::image::ImageSpec,
    ) -> Result<crate::image::ImageSummary, OpsError> {
        self.require(crate::Action::ReleaseCreate)?;
        crate::image::inspect(spec, self.home())
    }

    /// The wizard's first step: the size and SHA-256 of each file, with progress, as one who
    /// may create releases (a digest tells whether a file exists and what it holds, so it is
    /// not given to just anyone). Each name is checked as an artifact name, so a name no
    /// bundle can hold is refused here, not after the key is unlocked. Nothing is written.
    pub fn hash_artifacts(
        &self,
        paths: &[std::path::PathBuf],
        cb: &dyn Callbacks,
    ) -> Result<Vec<HashedFile>, OpsError> {
        self.require(crate::Action::ReleaseCreate)?;
        let sizes = crate::hashing::check_files(paths)?;
        for p in paths {
            super::artifact_name(p)?;
        }
        let digests = hash_files(paths, &sizes, &[], cb)?;
        Ok(paths
            .iter()
            .zip(sizes)
            .zip(digests)
            .map(|((p, size), d)| HashedFile {
                path: p.display().to_string(),
                name: p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                size,
                sha256: d.sha256().to_hex(),
            })
            .collect())
    }

    /// Runs `release create` up to and including the policy gate, without the key's secret and
    /// without writing anything but the `policy.decision` audit row. A denial is a result here,
    /// not an error.
    pub fn release_preview(
        &self,
        req: &CreateRelease,
        cb: &dyn Callbacks,
    ) -> Result<ReleasePreview, OpsError> {
        self.require(crate::Action::ReleaseCreate)?;
        let front: Front = self.front(req, cb)?;
        let key = self.lookup_key(&req.key)?;
        let extra: Vec<HashAlg> = key.public_key.algorithm().prehash().into_iter().collect();
        let digests = hash_files(&front.paths, &front.sizes, &extra, cb)?;
        let input = create_input(
            self,
            &front.trust,
            &front.release,
            &front.prepared,
            &digests,
            front.provenance.as_ref(),
            &key.key_id,
        )?;
        let decision = self.policy_decision(&input, &front.user_policies)?;
        let imported = matches!(req.sbom, super::SbomChoice::Files(_));
        Ok(ReleasePreview {
            artifacts: front
                .prepared
                .iter()
                .zip(&digests)
                .map(|(p, d)| HashedFile {
                    path: p.path.display().to_string(),
                    name: p.name.to_string(),
                    size: p.size,
                    sha256: d.sha256().to_hex(),
                })
                .collect(),
            sboms: front
                .prepared
                .iter()
                .filter_map(|p| {
                    p.sbom.as_ref().map(|s| PreviewSbom {
                        artifact: p.name.to_string(),
                        format: s.format,
                        components: s.components as u64,
                        source: if imported {
                            SbomSource::Imported
                        } else {
                            SbomSource::Generated
                        },
                    })
                })
                .collect(),
            scans: front
                .prepared
                .iter()
                .filter_map(|p| {
                    p.vulns.as_ref().map(|r| PreviewScan {
                        artifact: p.name.to_string(),
                        report: r.clone(),
                    })
                })
                .collect(),
            provenance: front.provenance.clone(),
            policy: PolicyPreview {
                allowed: decision.allowed(),
                deny: decision.deny.iter().map(PolicyLine::from).collect(),
                warn: decision.warn.iter().map(PolicyLine::from).collect(),
            },
            key: PreviewKey {
                label: key.label.clone(),
                key_id: key.key_id.to_string(),
                backend: key.backend,
                trust: input
                    .signatures
                    .first()
                    .map(status_phrase)
                    .unwrap_or_default(),
            },
            approvals_required: required_approvals(&front.trust, front.release.stage()),
        })
    }
}
