//! `verify BUNDLE.zip`: every signature against the trust set, key validity at signing time and
//! revocation, artifact bytes, manifest completeness, the approval threshold, the policy and the
//! audit excerpt — one line per check and an overall verdict.

mod lines;
mod stages;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use strongroom_core::AuditEvent;

use serde_json::Value;
use strongroom_bundle::{ArtifactRecord, EntryRole, Manifest, SafeZip};
use strongroom_core::audit_chain::RowContent;
use strongroom_core::digest::DigestSet;
use strongroom_core::verify::{CheckId, Outcome};
use strongroom_core::{HashAlg, PublicKey};
use strongroom_policy::{Phase, PolicyInput, ReleaseFacts, TrustSet};

use lines::Lines;
use stages::Work;

use super::{ApprovalsLine, BundleReport, CheckedBy, EvidenceLine, SignatureLine};
use crate::trust::VerificationTrust;
use crate::{Callbacks, OpsError, Progress, Station};

/// Largest JSON entry (signature bundle, SBOM, manifest) read from a bundle.
pub(crate) const MAX_JSON_ENTRY: u64 = 256 << 20;

/// A request to verify a release bundle.
#[derive(Debug, Default)]
pub struct VerifyBundle {
    pub bundle: PathBuf,
    /// A directory holding the artifacts, when the bundle does not carry them.
    pub artifacts_dir: Option<PathBuf>,
    /// With `artifacts_dir`: an artifact absent from it warns instead of failing.
    pub allow_missing: bool,
    /// Extra Rego modules (`--policy FILE.rego`).
    pub policies: Vec<PathBuf>,
    /// How to open an age-encrypted bundle.
    pub identity: Option<strongroom_bundle::age::Identity>,
}

impl Station {
    /// Verifies a bundle against the station's trust store and records the verdict.
    pub fn release_verify(
        &self,
        req: &VerifyBundle,
        cb: &dyn Callbacks,
    ) -> Result<BundleReport, OpsError> {
        let object = req.bundle.display().to_string();
        self.require(crate::Action::ReleaseVerify)?;
        let trust = VerificationTrust::station(self.trust_set()?);
        match verify_bundle(req, &trust, cb) {
            Ok(mut report) => {
                report.checked_by = Some(CheckedBy {
                    operator: self.operator.clone(),
                    station: self.store.station_id()?,
                });
                let object = if report.manifest_sha256.is_empty() {
                    object
                } else {
                    super::manifest_object(&report.manifest_sha256)
                };
                let failed: Vec<String> = report
                    .checks
                    .iter()
                    .filter(|c| c.outcome == Outcome::Fail)
                    .map(|c| format!("{}: {}", c.id, c.detail))
                    .collect();
                self.record_patiently(
                    AuditEvent::Verify,
                    &object,
                    if report.verified {
                        crate::AuditOutcome::Ok
                    } else {
                        crate::AuditOutcome::Failed
                    },
                    serde_json::json!({"bundle": req.bundle.display().to_string(),
                        "bundle_sha256": report.bundle_sha256, "verdict": report.verdict,
                        "failed": failed}),
                )?;
                Ok(report)
            }
            Err(e) => {
                self.record_failure(AuditEvent::Verify, &object, &e);
                Err(e)
            }
        }
    }
}

/// Verifies a bundle against `trust`. `Ok` carries the report whatever its verdict; `Err`
/// means the file could not be opened as a bundle at all (not a zip, hostile, unreadable).
pub fn verify_bundle(
    req: &VerifyBundle,
    trust: &VerificationTrust,
    cb: &dyn Callbacks,
) -> Result<BundleReport, OpsError> {
    let opened = super::open_bundle(&req.bundle, req.identity.as_ref())?;
    verify_opened(&opened, req, trust, cb)
}

/// [`verify_bundle`] on a bundle already opened (`req.identity` is not used). The edge of the
/// pipeline: it reads what the stages need from the zip and the artifacts directory, reports
/// progress, and has the sandbox evaluate the policy; the stages (`stages.rs`) decide.
pub(crate) fn verify_opened(
    opened: &super::Opened,
    req: &VerifyBundle,
    verification: &VerificationTrust,
    cb: &dyn Callbacks,
) -> Result<BundleReport, OpsError> {
    let trust: &TrustSet = &verification.set;
    let zip: &SafeZip = &opened.zip;
    let mut lines = Lines::default();
    let mut report = BundleReport {
        bundle: req.bundle.display().to_string(),
        bundle_sha256: opened.sha256.clone(),
        manifest_sha256: String::new(),
        release: None,
        artifacts: vec![],
        signatures: vec![],
        approvals: ApprovalsLine::default(),
        checks: vec![],
        verdict: Outcome::Fail,
        verified: false,
        trust_source: verification.source.clone(),
        trust_package: verification.package.clone(),
        checked_by: None,
        evidence: vec![],
        checked_at: super::rfc3339(time::OffsetDateTime::now_utc()),
        tool: format!("strongroom {}", env!("CARGO_PKG_VERSION")),
        signature_facts: vec![],
        inputs: vec![],
    };
    if opened.encrypted {
        lines.push(
            CheckId::Encryption,
            Outcome::Pass,
            "age-encrypted bundle decrypted",
        );
    }
    let (manifest, manifest_bytes) = match strongroom_bundle::read_manifest(zip) {
        Ok(m) => m,
        Err(e) => {
            lines.push(
                CheckId::Manifest,
                Outcome::Fail,
                format!("{e}: this is not a Strongroom release bundle, or its manifest was removed or altered"),
            );
            return Ok(finish(report, lines));
        }
    };
    let manifest_digest = HashAlg::Sha256.hash(&manifest_bytes);
    report.manifest_sha256 = manifest_digest.to_hex();
    let problems = strongroom_bundle::check_completeness(&manifest, zip);
    let (release, altered) = stages::manifest(&manifest, &problems, &mut lines);
    let stage = release.stage;
    report.release = Some(release);
    let mut keys = stages::keys(read_keys(zip, &manifest, &altered), &mut lines);
    // The audit excerpt first: the approvals count only when it records them.
    let excerpt = strongroom_bundle::audit_excerpt(zip)?
        .map(|bytes| super::audit_excerpt_check(&bytes, &report.manifest_sha256, trust));
    let recorded: &[RowContent] = excerpt.as_ref().map_or(&[], |e| &e.rows);
    let (sig_facts, signed_at) = stages::approvals(
        &strongroom_bundle::approvals(zip)?,
        &manifest,
        &manifest_digest,
        trust,
        recorded,
        &mut keys,
        &mut lines,
    )?;
    let key_algs: Vec<HashAlg> = keys
        .values()
        .filter_map(|k| k.algorithm().prehash())
        .collect();
    let mut present = hash_artifacts(req.artifacts_dir.as_deref(), &manifest, &key_algs, cb)?;
    hash_carried(zip, &manifest, &altered, &key_algs, &mut present)?;
    let missing = if req.allow_missing {
        Outcome::Warn
    } else {
        Outcome::Fail
    };
    report.artifacts = stages::artifacts(&manifest, &present, &altered, missing, &mut lines);
    let work = Work::list(&manifest, &altered);
    let done = verify_documents(zip, &manifest, &work, &keys, &present.found, cb);
    let raw_sboms = read_raw_sboms(zip, &manifest, &altered);
    let docs = stages::documents(&manifest, &work, done, &raw_sboms, &mut lines);
    stages::images(
        &manifest,
        read_images(zip, &manifest),
        &docs.artifact_keys,
        &keys,
        &altered,
        &mut lines,
    );
    stages::signers(trust, &docs.signing_keys, signed_at, stage, &mut lines);
    let rel = manifest.release();
    let input = PolicyInput::new(
        Phase::Verify,
        ReleaseFacts {
            name: rel.name().to_owned(),
            version: rel.version().to_owned(),
            stage,
            created: rel.created().to_owned(),
        },
        docs.facts.into_values().collect(),
        sig_facts.clone(),
    );
    report.approvals = stages::threshold(&input, trust, &mut lines);
    report.evidence = input.artifacts.iter().map(EvidenceLine::from).collect();
    report.inputs = manifest
        .entries()
        .iter()
        .filter(|e| {
            matches!(
                e.role,
                EntryRole::Attestation | EntryRole::ArtifactSignature
            )
        })
        .map(|e| (e.path.clone(), e.sha256.to_hex()))
        .collect();
    report.signatures = sig_facts.iter().map(SignatureLine::from).collect();
    report.signature_facts = sig_facts;
    let user = crate::trust::read_policy_files(&req.policies)?;
    stages::policy(
        super::evaluate_policy(&input, trust, &user),
        stage,
        &mut lines,
    );
    stages::audit(excerpt, &mut lines);
    Ok(finish(report, lines))
}

fn finish(mut report: BundleReport, lines: Lines) -> BundleReport {
    let verdict = lines.verdict();
    report.verdict = verdict;
    report.verified = verdict != Outcome::Fail;
    report.checks = lines.folded();
    report
}

/// The public keys the bundle carries, as read (the keys stage parses them).
fn read_keys(
    zip: &SafeZip,
    manifest: &Manifest,
    altered: &BTreeSet<String>,
) -> Vec<(String, Result<Vec<u8>, String>)> {
    manifest
        .entries()
        .iter()
        .filter(|e| e.role == EntryRole::PublicKey && !altered.contains(&e.path))
        .map(|e| {
            (
                e.path.clone(),
                zip.read(&e.path, 1 << 20).map_err(|e| e.to_string()),
            )
        })
        .collect()
}

/// What the image stage needs of each image artifact, read from the bundle (small entries).
fn read_images<'a>(zip: &SafeZip, manifest: &'a Manifest) -> Vec<stages::ImageInput<'a>> {
    use strongroom_bundle::paths::layout;
    let read = |path: String| zip.read(&path, 4 << 20).map_err(|e| format!("{path}: {e}"));
    manifest
        .artifacts()
        .iter()
        .filter_map(|a| {
            let image = a.image.as_ref()?;
            Some(stages::ImageInput {
                record: a,
                reference: &image.reference,
                manifest: read(layout::artifact(&a.name)),
                payload: read(layout::image_payload(&a.name)),
                signature: read(layout::image_signature(&a.name)),
            })
        })
        .collect()
}

/// Hashes the artifacts found in `dir` with every algorithm the bundle's keys need.
fn hash_artifacts(
    dir: Option<&Path>,
    manifest: &Manifest,
    key_algs: &[HashAlg],
    cb: &dyn Callbacks,
) -> Result<stages::Present, OpsError> {
    let Some(dir) = dir else {
        return Ok(stages::Present::default());
    };
    if !dir.is_dir() {
        return Err(OpsError::NotADirectory(dir.to_owned()));
    }
    let mut present = stages::Present {
        dir: Some(dir.display().to_string()),
        ..Default::default()
    };
    let mut paths = Vec::new();
    let mut names = Vec::new();
    for a in manifest.artifacts() {
        let p = dir.join(a.name.as_str());
        if p.is_file() {
            paths.push(p);
            names.push(a.name.to_string());
        } else if !a.included {
            present.missing.push(a.name.to_string());
        }
    }
    // None found is a finding (every artifact missing), not an empty request.
    if paths.is_empty() {
        return Ok(present);
    }
    let sizes = crate::hashing::check_files(&paths)?;
    let sets = crate::hashing::hash_files(&paths, &sizes, key_algs, cb)?;
    present.found.extend(names.into_iter().zip(sets));
    Ok(present)
}

/// The artifacts the bundle carries, hashed with the algorithms a key signs over when that is
/// not SHA-256 alone (a P-384 key signs SHA-384): their SHA-256 was checked with the manifest,
/// but the signature needs the other digest too. Altered entries are left to the manifest stage.
fn hash_carried(
    zip: &SafeZip,
    manifest: &Manifest,
    altered: &BTreeSet<String>,
    key_algs: &[HashAlg],
    present: &mut stages::Present,
) -> Result<(), OpsError> {
    if key_algs.iter().all(|a| *a == HashAlg::Sha256) {
        return Ok(());
    }
    for a in manifest.artifacts() {
        let path = strongroom_bundle::paths::layout::artifact(&a.name);
        if !a.included || altered.contains(&path) || present.found.contains_key(a.name.as_str()) {
            continue;
        }
        present
            .found
            .insert(a.name.to_string(), zip.digests(&path, key_algs)?);
    }
    Ok(())
}

/// Every signature and attestation, on all cores: each worker inflates its own entries (the
/// reader is shared, without a shared cursor) and runs the document stage on them. Progress in
/// about 100 steps, so a bundle of many signatures cannot flood the window.
fn verify_documents(
    zip: &SafeZip,
    manifest: &Manifest,
    work: &[Work],
    keys: &BTreeMap<String, PublicKey>,
    present: &BTreeMap<String, DigestSet>,
    cb: &dyn Callbacks,
) -> Vec<stages::Done> {
    let records: BTreeMap<&str, &ArtifactRecord> = manifest
        .artifacts()
        .iter()
        .map(|a| (a.name.as_str(), a))
        .collect();
    let total = work.len() as u64;
    let step = (total / 100).max(1);
    let checked = AtomicU64::new(0);
    let what = "signatures and attestations checked";
    cb.progress(Progress::Items {
        what: what.into(),
        done: 0,
        total,
    });
    let done = crate::util::par_map(work, |w| {
        let result = match zip.read(&w.path, MAX_JSON_ENTRY) {
            Ok(bytes) => stages::document(w, &bytes, keys, &records, present),
            Err(e) => stages::Done::unreadable(w, e),
        };
        let n = checked.fetch_add(1, Ordering::Relaxed) + 1;
        if n % step == 0 || n == total {
            cb.progress(Progress::Items {
                what: what.into(),
                done: n,
                total,
            });
        }
        result
    });
    cb.progress(Progress::ItemsFinish);
    done
}

/// The canonical digest of each raw SBOM file the bundle lists (`None`: unreadable or not
/// JSON), read one at a time so that no two large SBOMs are held at once.
fn read_raw_sboms(
    zip: &SafeZip,
    manifest: &Manifest,
    altered: &BTreeSet<String>,
) -> BTreeMap<String, Option<[u8; 32]>> {
    manifest
        .entries()
        .iter()
        .filter(|e| e.role == EntryRole::Sbom && !altered.contains(&e.path))
        .map(|e| {
            let digest = zip
                .read(&e.path, MAX_JSON_ENTRY)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .map(|v| stages::json_digest(&v));
            (e.path.clone(), digest)
        })
        .collect()
}
