//! `release create`: hash, SBOM, scan, provenance, policy gate, sign, pack — in that order, so
//! nothing is signed that the policy refuses and nothing is written unless everything worked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use strongroom_core::AuditEvent;
use strongroom_core::Purpose;

use serde::Serialize;
use serde_json::Value;
use strongroom_bundle::manifest::media_types;
use strongroom_bundle::paths::layout;
use strongroom_bundle::{
    ArtifactName, ArtifactRecord, BundleWriter, Entry, EntryRole, EntrySource, KeyNote, Manifest,
    ReadmeInfo, Release, Sha256Digest,
};
use strongroom_core::artifact::{digests_needed, sign_artifacts};
use strongroom_core::bundle::BundleJson;
use strongroom_core::digest::DigestSet;
use strongroom_core::dsse::{pae, Envelope, INTOTO_PAYLOAD_TYPE};
use strongroom_core::intoto::{Statement, Subject};
use strongroom_core::Signer;
use strongroom_policy::{
    ArtifactFacts, Phase, PolicyInput, ProvenanceFacts, ReleaseFacts, SbomFacts, SignatureKind,
};

use super::facts::{required_approvals, signature_facts, vuln_facts};
use super::{
    artifact_name, key_hex, manifest_object, manifest_statement, release_time, sign_manifest,
    timestamp, MANIFEST_SIGNATURE_PREDICATE,
};
use crate::attest::{CYCLONEDX_PREDICATE, SLSA_PROVENANCE_V1, SPDX_PREDICATE, VULNS_PREDICATE};
use crate::hashing::{check_files, hash_files};
use crate::sbom::SbomFormat;
use crate::{Callbacks, OpsError, Station};

/// Where each artifact's SBOM comes from.
#[derive(Clone, Debug)]
pub enum SbomChoice {
    /// Catalogue every artifact offline (the default).
    Auto(SbomFormat),
    /// Given SBOM files: `(artifact name, file)`; the name may be omitted when there is one
    /// artifact.
    Files(Vec<(Option<String>, PathBuf)>),
    /// No SBOMs (a production policy refuses this).
    None,
}

/// Where the build metadata comes from: CI's file, or the same JSON filled in by hand (the app's
/// provenance form). Both are parsed by the same strict reader.
#[derive(Clone, Debug)]
pub enum BuildMetaSource {
    File(PathBuf),
    Json(Vec<u8>),
}

/// A request to create a release bundle.
#[derive(Debug)]
pub struct CreateRelease {
    pub name: String,
    pub version: String,
    pub stage: strongroom_core::Stage,
    /// Label, key id or `pkcs11:` URI of the release officer's key.
    pub key: String,
    pub artifacts: Vec<PathBuf>,
    /// Container images (`REFERENCE=SOURCE`), always carried in the bundle.
    pub images: Vec<crate::image::ImageSpec>,
    pub sbom: SbomChoice,
    /// CI's build metadata (`docs/build-meta.md`), made into SLSA provenance.
    pub provenance: Option<BuildMetaSource>,
    /// Scan each SBOM against the offline vulnerability database.
    pub scan: bool,
    /// Put the artifacts themselves into the bundle.
    pub include_artifacts: bool,
    /// Extra Rego modules (`--policy FILE.rego`).
    pub policies: Vec<PathBuf>,
    pub output: PathBuf,
    pub force: bool,
    pub encrypt_to: Vec<strongroom_bundle::age::Recipient>,
    pub allow_pin_in_uri: bool,
}

/// What `release create` wrote.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReleaseCreated {
    pub bundle: String,
    pub bundle_sha256: String,
    pub manifest_sha256: String,
    pub name: String,
    pub version: String,
    pub stage: strongroom_core::Stage,
    pub artifacts: usize,
    pub entries: usize,
    pub encrypted: bool,
    /// The policy's warnings (a deny stops creation), each with the fix it names; every one is
    /// also in the audit log's `policy.decision` row.
    pub policy_warnings: Vec<super::PolicyLine>,
    /// Approvals still needed before the bundle passes its stage's threshold.
    pub approvals_needed: u64,
    /// What `strongroom-publish` will push on the connected side, for the transfer form;
    /// `None` for an encrypted bundle (the same, once it is opened).
    pub publish: Option<PublishPreview>,
}

/// The registry form of a release, as `strongroom-publish` will push it: the release index
/// (tagged with the version) and each artifact's manifest, whose digests approvals do not
/// change, and how many Sigstore bundles refer to each.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PublishPreview {
    pub tag: String,
    pub index_digest: String,
    pub artifacts: Vec<PublishArtifact>,
    /// Manifests and blobs in all, with the release manifest's referrer (whose digest changes
    /// with each approval added).
    pub manifests: usize,
    pub blobs: usize,
}

/// One artifact as it will be published.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PublishArtifact {
    pub name: String,
    pub digest: String,
    /// Its Sigstore bundles (signature, SBOM, provenance, vulnerabilities), as referrers.
    pub referrers: usize,
}

/// The preview of a plain bundle file; `None` when it cannot be read as one (encrypted).
pub(crate) fn publish_preview(bundle: &Path) -> Option<PublishPreview> {
    let zip =
        strongroom_bundle::SafeZip::open(bundle, &strongroom_bundle::Limits::default()).ok()?;
    let plan = strongroom_bundle::oci::preview_of_zip(&zip).ok()?;
    let index = plan
        .manifests
        .iter()
        .find(|m| m.artifact_type == strongroom_bundle::oci::RELEASE_TYPE)?;
    // What the release index lists: each file artifact's manifest and each image's.
    let listed: Vec<String> = serde_json::from_slice::<serde_json::Value>(&index.bytes).ok()?
        ["manifests"]
        .as_array()?
        .iter()
        .filter_map(|d| d["digest"].as_str().map(str::to_owned))
        .collect();
    let artifacts = plan
        .manifests
        .iter()
        .filter(|m| listed.contains(&m.digest))
        .map(|m| PublishArtifact {
            name: m.what.clone(),
            digest: m.digest.clone(),
            referrers: plan
                .manifests
                .iter()
                .filter(|r| r.subject.as_deref() == Some(m.digest.as_str()))
                .count(),
        })
        .collect();
    Some(PublishPreview {
        tag: index.tag.clone().unwrap_or_default(),
        index_digest: index.digest.clone(),
        artifacts,
        manifests: plan.manifests.len(),
        blobs: plan.blobs.len(),
    })
}

/// One artifact on its way into the bundle.
pub(super) struct Prepared {
    pub(super) name: ArtifactName,
    pub(super) path: PathBuf,
    pub(super) size: u64,
    /// For an image, its staged form (`path` is then its manifest).
    pub(super) image: Option<std::sync::Arc<crate::image::StagedImage>>,
    pub(super) sbom: Option<PreparedSbom>,
    pub(super) vulns: Option<crate::vulns::ScanReport>,
}

pub(super) struct PreparedSbom {
    pub(super) format: SbomFormat,
    pub(super) document: Value,
    pub(super) components: usize,
}

impl Station {
    /// Where a release waits until it is approved and exported (the app's Sign screen):
    /// `<home>/releases/NAME-VERSION.strongroom.zip`, the folder made if needed. Characters
    /// other than letters, digits and `._-` become `_`.
    pub fn staged_release_path(&self, name: &str, version: &str) -> Result<PathBuf, OpsError> {
        let safe = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        let dir = self.home().join("releases");
        std::fs::create_dir_all(&dir).map_err(|source| OpsError::Read {
            path: dir.clone(),
            source,
        })?;
        Ok(dir.join(format!("{}-{}.strongroom.zip", safe(name), safe(version))))
    }

    /// Creates a release bundle; see the module documentation for the order of steps.
    pub fn release_create(
        &self,
        req: &CreateRelease,
        cb: &dyn Callbacks,
    ) -> Result<ReleaseCreated, OpsError> {
        let object = format!("release:{}@{}", req.name, req.version);
        self.require(crate::Action::ReleaseCreate)?;
        self.release_create_unrecorded(req, cb)
            .inspect_err(|e| self.record_failure(AuditEvent::ReleaseCreate, &object, e))
    }

    fn release_create_unrecorded(
        &self,
        req: &CreateRelease,
        cb: &dyn Callbacks,
    ) -> Result<ReleaseCreated, OpsError> {
        if req.output.exists() && !req.force {
            return Err(OpsError::OutputExists(req.output.clone()));
        }
        self.require_audit_key()?;
        let Front {
            stage,
            release,
            created,
            sizes,
            paths,
            prepared,
            provenance,
            user_policies,
            trust,
        } = self.front(req, cb)?;

        let signer = self.signer_for(&req.key, Purpose::Signer, req.allow_pin_in_uri, cb)?;
        let signer: &dyn Signer = &*signer;
        self.refuse_untrusted_signer(&trust, signer, &created, stage)?;
        let digests = hash_files(&paths, &sizes, &digests_needed(signer), cb)?;

        // The policy gate, before anything is signed.
        let input = create_input(
            self,
            &trust,
            &release,
            &prepared,
            &digests,
            provenance.as_ref(),
            &signer.public_key().key_id(),
        )?;
        let decision = self.policy_gate(&input, &user_policies)?;
        let warnings: Vec<super::PolicyLine> =
            decision.warn.iter().map(super::PolicyLine::from).collect();

        // Sign: artifact signatures in one batch, then every attestation in one batch.
        let batch: Vec<(&str, &DigestSet)> = prepared
            .iter()
            .map(|p| p.name.as_str())
            .zip(&digests)
            .collect();
        let stamper = self.stamper(cb)?;
        let mut artifact_bundles = sign_artifacts(signer, &batch)?;
        if let Some(s) = &stamper {
            artifact_bundles = s.stamp_bundles(self, artifact_bundles)?;
        }
        let image_signatures = sign_images(signer, &prepared)?;
        let statements = attestation_statements(&prepared, &digests, provenance.as_ref());
        let SignedStatements { payloads, sigs } = sign_statements(signer, &statements)?;
        let attestation_stamps = match &stamper {
            Some(s) => {
                let refs: Vec<&[u8]> = sigs.iter().map(Vec::as_slice).collect();
                s.stamp_signatures(&refs, self.clock_now()?)?
            }
            None => Vec::new(),
        };

        // Pack: every listed entry goes into both the zip and the manifest.
        let key = signer.public_key();
        let hex = key_hex(key);
        let note = KeyNote {
            key_id_hex: hex.clone(),
            algorithm: key.algorithm(),
        };
        let mut pack = Pack::default();
        let records = pack.artifacts(
            &prepared,
            &digests,
            &artifact_bundles,
            &note,
            req.include_artifacts,
        )?;
        pack.attestations(&statements, payloads, sigs, &attestation_stamps, key, &note)?;
        pack.images(&prepared, image_signatures)?;
        let pem = key.to_pem().into_bytes();
        let path = layout::public_key(&hex);
        pack.add(
            &path,
            EntryRole::PublicKey,
            media_types::PEM,
            pem,
            None,
            None,
        )?;
        let (mut writer, manifest) = pack.finish(&release, records)?;
        // The manifest, and the release officer's signature over it.
        let manifest_bytes = manifest.to_bytes();
        let manifest_sha256 = Sha256Digest::of_bytes(&manifest_bytes).to_hex();
        writer.add(super::MANIFEST_NAME, EntrySource::Bytes(manifest_bytes))?;
        let statement = manifest_statement(
            &manifest_sha256,
            &release,
            "release",
            &self.operator,
            &created,
        );
        let (sig_json, pem) =
            sign_manifest(signer, &statement, stamper.as_ref().map(|s| (self, s)))?;
        writer.add(&layout::approval_bundle(&hex), EntrySource::Bytes(sig_json))?;
        writer.add(&layout::approval_key(&hex), EntrySource::Bytes(pem))?;

        let object = manifest_object(&manifest_sha256);
        let details = serde_json::json!({
            "release": format!("{}@{}", release.name(), release.version()),
            "stage": stage.as_str(),
            "key": crate::audit::key_for_log(&req.key),
            "key_id": key.key_id().to_string(),
            "kind": "release",
            "artifacts": prepared.iter().zip(&digests)
                .map(|(p, d)| serde_json::json!({"name": p.name.as_str(), "sha256": d.sha256().to_hex()}))
                .collect::<Vec<_>>(),
            "policy_warnings": warnings.iter().map(|w| &w.text).collect::<Vec<_>>(),
        });
        let written = self.record_and_write(req, writer, &object, details, cb)?;
        let required = required_approvals(&trust, stage);
        Ok(ReleaseCreated {
            bundle: req.output.display().to_string(),
            bundle_sha256: written,
            manifest_sha256,
            name: release.name().to_owned(),
            version: release.version().to_owned(),
            stage,
            artifacts: prepared.len(),
            entries: manifest.entries().len(),
            encrypted: !req.encrypt_to.is_empty(),
            policy_warnings: warnings,
            approvals_needed: required.saturating_sub(input.approvals.distinct_approvers),
            publish: if req.encrypt_to.is_empty() {
                publish_preview(&req.output)
            } else {
                None
            },
        })
    }
    /// The checks verify makes of the release key, before anything is hashed or signed: a
    /// bundle signed by a key the trust store does not accept could never verify.
    fn refuse_untrusted_signer(
        &self,
        trust: &strongroom_policy::TrustSet,
        signer: &dyn Signer,
        created: &str,
        stage: strongroom_core::Stage,
    ) -> Result<(), OpsError> {
        let (_, outcome, detail) = super::facts::key_check(
            trust,
            &signer.public_key().key_id(),
            timestamp(created)?,
            stage,
            Purpose::Signer,
            &format!("release by {}", self.operator),
        );
        if outcome == strongroom_core::verify::Outcome::Fail {
            return Err(OpsError::SignerRejected { check: detail });
        }
        Ok(())
    }

    /// Records the create (before the bundle is written, so the bundle can carry the row in its
    /// audit excerpt), writes the bundle and records its export; the bundle's SHA-256.
    fn record_and_write(
        &self,
        req: &CreateRelease,
        mut writer: BundleWriter,
        object: &str,
        details: serde_json::Value,
        cb: &dyn Callbacks,
    ) -> Result<String, OpsError> {
        self.record(
            AuditEvent::ReleaseCreate,
            object,
            crate::AuditOutcome::Ok,
            details,
        )?;
        self.attach_audit_excerpt(&mut writer, object, cb)?;
        let written = super::write_bundle(&writer, &req.output, req.force, &req.encrypt_to)?;
        self.record(
            AuditEvent::BundleExport,
            object,
            crate::AuditOutcome::Ok,
            serde_json::json!({"bundle": req.output.display().to_string(),
                "bundle_sha256": written, "encrypted": !req.encrypt_to.is_empty()}),
        )?;
        Ok(written)
    }
}

/// Every attestation statement's payload, and its signature over the DSSE pre-authentication
/// encoding, in one batch.
fn sign_statements(
    signer: &dyn Signer,
    statements: &[(&ArtifactName, &'static str, Statement)],
) -> Result<SignedStatements, OpsError> {
    let payloads: Vec<Vec<u8>> = statements
        .iter()
        .map(|(_, _, s)| s.to_json_bytes())
        .collect();
    let paes: Vec<Vec<u8>> = payloads
        .iter()
        .map(|p| pae(INTOTO_PAYLOAD_TYPE, p))
        .collect();
    let sigs = signer.sign_batch(&paes.iter().map(Vec::as_slice).collect::<Vec<_>>())?;
    Ok(SignedStatements { payloads, sigs })
}

/// The attestations' payloads and their signatures, in the order of the statements.
struct SignedStatements {
    payloads: Vec<Vec<u8>>,
    sigs: Vec<Vec<u8>>,
}

/// The statements each artifact's attestations sign: its SBOM, the provenance and its scan.
fn attestation_statements<'a>(
    prepared: &'a [Prepared],
    digests: &[DigestSet],
    provenance: Option<&serde_json::Value>,
) -> Vec<(&'a ArtifactName, &'static str, Statement)> {
    let mut statements = Vec::new();
    for (p, d) in prepared.iter().zip(digests) {
        let subject = || vec![Subject::new(p.name.as_str(), &[d.sha256()])];
        if let Some(s) = &p.sbom {
            let pt = match s.format {
                SbomFormat::SpdxJson => SPDX_PREDICATE,
                SbomFormat::CycloneDxJson => CYCLONEDX_PREDICATE,
            };
            statements.push((
                &p.name,
                "sbom",
                Statement::new(subject(), pt, s.document.clone()),
            ));
        }
        if let Some(pred) = provenance {
            statements.push((
                &p.name,
                "provenance",
                Statement::new(subject(), SLSA_PROVENANCE_V1, pred.clone()),
            ));
        }
        if let Some(v) = &p.vulns {
            statements.push((
                &p.name,
                "vulns",
                Statement::new(subject(), VULNS_PREDICATE, v.predicate.clone()),
            ));
        }
    }
    statements
}

/// Each image's cosign signature, in the order of `prepared`.
fn sign_images(
    signer: &dyn Signer,
    prepared: &[Prepared],
) -> Result<Vec<(Vec<u8>, String)>, OpsError> {
    let images: Vec<&crate::image::StagedImage> =
        prepared.iter().filter_map(|p| p.image.as_deref()).collect();
    crate::image::sign_claims(signer, &images)
}

/// The zip and the manifest entries being built together.
#[derive(Default)]
struct Pack {
    writer: BundleWriter,
    entries: Vec<Entry>,
    /// Which key signed each signature and attestation, for the README.
    signed_by: BTreeMap<String, KeyNote>,
}

impl Pack {
    fn add(
        &mut self,
        path: &str,
        role: EntryRole,
        media_type: &str,
        bytes: Vec<u8>,
        subject: Option<&ArtifactName>,
        predicate_type: Option<&str>,
    ) -> Result<(), OpsError> {
        let mut entry =
            Entry::from_bytes(path, role, media_type, &bytes).with_subjects(subject.cloned());
        if let Some(pt) = predicate_type {
            entry = entry.with_predicate_type(pt);
        }
        self.writer.add(path, EntrySource::Bytes(bytes))?;
        self.entries.push(entry);
        Ok(())
    }

    /// Each artifact's record, signature and raw SBOM (and the artifact itself when the bundle
    /// carries it).
    fn artifacts(
        &mut self,
        prepared: &[Prepared],
        digests: &[DigestSet],
        bundles: &[BundleJson],
        note: &KeyNote,
        include_artifacts: bool,
    ) -> Result<Vec<ArtifactRecord>, OpsError> {
        let mut records = Vec::with_capacity(prepared.len());
        for ((p, d), b) in prepared.iter().zip(digests).zip(bundles) {
            let sha256 = Sha256Digest::of_set(d).0;
            let included = include_artifacts || p.image.is_some();
            records.push(ArtifactRecord {
                name: p.name.clone(),
                sha256,
                size: p.size,
                included,
                image: p.image.as_ref().map(|i| strongroom_bundle::ImageRecord {
                    reference: i.reference.clone(),
                    media_type: i.media_type.clone(),
                }),
            });
            if included {
                let path = layout::artifact(&p.name);
                self.writer.add(&path, EntrySource::File(p.path.clone()))?;
                self.entries.push(Entry {
                    path,
                    role: EntryRole::Artifact,
                    media_type: media_types::OCTET_STREAM.to_owned(),
                    sha256,
                    size: p.size,
                    subjects: vec![p.name.clone()],
                    predicate_type: None,
                });
            }
            let path = layout::artifact_signature(&p.name);
            self.signed_by.insert(path.clone(), note.clone());
            self.add(
                &path,
                EntryRole::ArtifactSignature,
                media_types::SIGSTORE_BUNDLE,
                b.to_pretty_json().into_bytes(),
                Some(&p.name),
                None,
            )?;
            if let Some(s) = &p.sbom {
                let (path, media) = match s.format {
                    SbomFormat::SpdxJson => (layout::spdx_sbom(&p.name), media_types::SPDX_JSON),
                    SbomFormat::CycloneDxJson => {
                        (layout::cyclonedx_sbom(&p.name), media_types::CYCLONEDX_JSON)
                    }
                };
                self.add(
                    &path,
                    EntryRole::Sbom,
                    media,
                    pretty(&s.document),
                    Some(&p.name),
                    None,
                )?;
            }
        }
        Ok(records)
    }

    /// Each image's blobs (from its staged layout) and its cosign signature.
    fn images(
        &mut self,
        prepared: &[Prepared],
        signatures: Vec<(Vec<u8>, String)>,
    ) -> Result<(), OpsError> {
        let images = prepared.iter().filter_map(|p| Some((p, p.image.as_ref()?)));
        for ((p, image), (payload, sig)) in images.zip(signatures) {
            for b in &image.blobs {
                let path = layout::image_blob(&p.name, &b.hex);
                self.writer.add(&path, EntrySource::File(b.path.clone()))?;
                self.entries.push(Entry {
                    path,
                    role: EntryRole::ImageBlob,
                    media_type: b.media_type.clone(),
                    sha256: Sha256Digest::from_hex(&b.hex).expect("checked when staged"),
                    size: b.size,
                    subjects: vec![p.name.clone()],
                    predicate_type: None,
                });
            }
            self.add(
                &layout::image_payload(&p.name),
                EntryRole::ImageSignature,
                strongroom_core::simplesigning::PAYLOAD_MEDIA_TYPE,
                payload,
                Some(&p.name),
                None,
            )?;
            self.add(
                &layout::image_signature(&p.name),
                EntryRole::ImageSignature,
                "text/plain",
                sig.into_bytes(),
                Some(&p.name),
                None,
            )?;
        }
        Ok(())
    }

    /// Each attestation, a DSSE envelope with its signature, as a Sigstore bundle.
    fn attestations(
        &mut self,
        statements: &[(&ArtifactName, &'static str, Statement)],
        payloads: Vec<Vec<u8>>,
        sigs: Vec<Vec<u8>>,
        stamps: &[Vec<u8>],
        key: &strongroom_core::PublicKey,
        note: &KeyNote,
    ) -> Result<(), OpsError> {
        for (i, (((name, kind, st), payload), sig)) in
            statements.iter().zip(payloads).zip(sigs).enumerate()
        {
            let env = Envelope::signed_by(key, INTOTO_PAYLOAD_TYPE, payload, sig);
            let stamp: Vec<Vec<u8>> = stamps.get(i).cloned().into_iter().collect();
            let path = layout::attestation(name, kind);
            self.signed_by.insert(path.clone(), note.clone());
            self.add(
                &path,
                EntryRole::Attestation,
                media_types::SIGSTORE_BUNDLE,
                BundleJson::dsse(key, &env)
                    .with_rfc3161_timestamps(&stamp)
                    .to_pretty_json()
                    .into_bytes(),
                Some(name),
                Some(&st.predicate_type),
            )?;
        }
        Ok(())
    }

    /// The manifest of everything packed, with the README that explains the bundle.
    fn finish(
        self,
        release: &Release,
        records: Vec<ArtifactRecord>,
    ) -> Result<(BundleWriter, Manifest), OpsError> {
        let Pack {
            mut writer,
            entries,
            signed_by,
        } = self;
        let draft = Manifest::new(release.clone(), records, entries)?;
        let readme = strongroom_bundle::readme_text(
            &draft,
            &ReadmeInfo {
                signed_by,
                approval_predicate_type: MANIFEST_SIGNATURE_PREDICATE.to_owned(),
            },
        )
        .into_bytes();
        let manifest = draft.with_entry(Entry::from_bytes(
            strongroom_bundle::paths::README_PATH,
            EntryRole::Readme,
            media_types::TEXT,
            &readme,
        ))?;
        writer.add(
            strongroom_bundle::paths::README_PATH,
            EntrySource::Bytes(readme),
        )?;
        Ok((writer, manifest))
    }
}

/// Everything `release create` works out before it needs a key: checked inputs, SBOMs, scans,
/// provenance, the extra policies and the trust. The wizard's preview stops after it.
pub(super) struct Front {
    pub(super) stage: strongroom_core::Stage,
    pub(super) release: Release,
    pub(super) created: String,
    pub(super) sizes: Vec<u64>,
    /// The files to hash: each artifact, and each image's manifest.
    pub(super) paths: Vec<PathBuf>,
    pub(super) prepared: Vec<Prepared>,
    pub(super) provenance: Option<Value>,
    pub(super) user_policies: Vec<strongroom_policy::PolicyModule>,
    pub(super) trust: strongroom_policy::TrustSet,
}

impl Station {
    /// Checks the request and does the keyless work: SBOMs, scans and provenance.
    pub(super) fn front(&self, req: &CreateRelease, cb: &dyn Callbacks) -> Result<Front, OpsError> {
        if req.artifacts.is_empty() && req.images.is_empty() {
            return Err(OpsError::NoFiles);
        }
        let release = Release::new(&req.name, &req.version, req.stage, release_time()?)?;
        let created = release.created().to_owned();
        if !req.artifacts.is_empty() {
            check_files(&req.artifacts)?;
        }
        crate::hashing::refuse_pae_inputs(&req.artifacts)?;
        let images = req
            .images
            .iter()
            .map(|spec| crate::image::stage(spec, self.home()).map(std::sync::Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let mut paths = req.artifacts.clone();
        paths.extend(images.iter().map(|i| i.manifest_path.clone()));
        let sizes = check_files(&paths)?;
        let mut prepared: Vec<Prepared> = Vec::with_capacity(paths.len());
        let mut images = images.into_iter();
        for (i, (path, size)) in paths.iter().zip(&sizes).enumerate() {
            let image = (i >= req.artifacts.len()).then(|| images.next()).flatten();
            let name = artifact_name(path)?;
            if prepared.iter().any(|p| p.name == name) {
                return Err(OpsError::BadInput(format!(
                    "two artifacts are named {name:?}: names must be unique within a release (an image is named after its reference's last component)"
                )));
            }
            prepared.push(Prepared {
                name,
                path: path.clone(),
                size: *size,
                image,
                sbom: None,
                vulns: None,
            });
        }
        let user_policies = crate::trust::read_policy_files(&req.policies)?;
        let trust = self.trust_set()?;

        // SBOMs, scans and provenance need no key: do them before asking for a PIN.
        attach_sboms(&mut prepared, &req.sbom, &created)?;
        if req.scan {
            if let Some(p) = prepared.iter().find(|p| p.sbom.is_none()) {
                return Err(OpsError::ScanNeedsSbom(p.name.to_string()));
            }
            // A scan of nothing would pass the policy's "scanned" rule: refuse before it.
            if self.vulndb_status()?.records == 0 {
                return Err(OpsError::EmptyVulnDb);
            }
            // One database session for every artifact (one open, one warning), with progress.
            let session = self.scan_session(cb)?;
            let total = prepared.len() as u64;
            let what = "artifacts scanned";
            for (i, p) in prepared.iter_mut().enumerate() {
                let sbom = p.sbom.as_ref().expect("checked above");
                p.vulns =
                    Some(session.scan_document(p.name.as_str(), &sbom.document, Some(&created))?);
                cb.progress(crate::Progress::Items {
                    what: what.into(),
                    done: i as u64 + 1,
                    total,
                });
            }
            cb.progress(crate::Progress::ItemsFinish);
        }
        let provenance = match &req.provenance {
            Some(source) => {
                let bytes = match source {
                    BuildMetaSource::File(path) => crate::verify::read_capped(path, 16 << 20)?,
                    BuildMetaSource::Json(bytes) => bytes.clone(),
                };
                let meta = strongroom_sbom::provenance::BuildMeta::parse(&bytes)?;
                Some(strongroom_sbom::provenance::to_slsa_predicate(&meta))
            }
            None => None,
        };

        Ok(Front {
            stage: req.stage,
            release,
            created,
            sizes,
            paths,
            prepared,
            provenance,
            user_policies,
            trust,
        })
    }
}

/// The policy input at creation time, for the release signed by `key_id`.
pub(super) fn create_input(
    station: &Station,
    trust: &strongroom_policy::TrustSet,
    release: &Release,
    prepared: &[Prepared],
    digests: &[DigestSet],
    provenance: Option<&Value>,
    key_id: &strongroom_core::keys::KeyId,
) -> Result<PolicyInput, OpsError> {
    let created = release.created().to_owned();
    let stage = release.stage();
    Ok(PolicyInput::new(
        Phase::Create,
        ReleaseFacts {
            name: release.name().to_owned(),
            version: release.version().to_owned(),
            stage,
            created: created.clone(),
        },
        prepared
            .iter()
            .zip(digests)
            .map(|(p, d)| artifact_facts(p, d, provenance))
            .collect(),
        vec![signature_facts(
            trust,
            key_id,
            SignatureKind::Release,
            &station.operator,
            timestamp(&created)?,
            true,
            stage,
        )],
    ))
}

/// The policy's view of one artifact.
fn artifact_facts(p: &Prepared, d: &DigestSet, provenance: Option<&Value>) -> ArtifactFacts {
    ArtifactFacts {
        name: p.name.to_string(),
        sha256: d.sha256().to_hex(),
        size: p.size,
        sbom: match &p.sbom {
            Some(s) => SbomFacts {
                present: true,
                format: Some(s.format.version_word().to_owned()),
                components: Some(s.components as u64),
            },
            None => SbomFacts::default(),
        },
        provenance: match provenance {
            Some(pred) => ProvenanceFacts {
                present: true,
                builder_id: pred["runDetails"]["builder"]["id"]
                    .as_str()
                    .map(str::to_owned),
            },
            None => ProvenanceFacts::default(),
        },
        vulnerabilities: p
            .vulns
            .as_ref()
            .map(|r| vuln_facts(&r.predicate))
            .unwrap_or_default(),
    }
}

/// Fills in each artifact's SBOM: catalogued offline, or read from the given files.
fn attach_sboms(
    prepared: &mut [Prepared],
    choice: &SbomChoice,
    created: &str,
) -> Result<(), OpsError> {
    match choice {
        SbomChoice::None => Ok(()),
        SbomChoice::Auto(format) => {
            for p in prepared.iter_mut() {
                // An image is catalogued from its layers, with its manifest digest as subject.
                let at = p.image.as_ref().map_or(&p.path, |i| &i.layout);
                let g = crate::sbom::generate_sbom_at(at, *format, created)?;
                p.sbom = Some(PreparedSbom {
                    format: *format,
                    document: g.document,
                    components: g.components,
                });
            }
            Ok(())
        }
        SbomChoice::Files(files) => {
            let mut by_name: BTreeMap<String, &PathBuf> = BTreeMap::new();
            for (name, file) in files {
                let name = match name {
                    Some(n) => n.clone(),
                    None if prepared.len() == 1 => prepared[0].name.to_string(),
                    None => {
                        return Err(OpsError::BadInput(format!(
                            "--sbom {}: with several artifacts, say which one it describes: --sbom NAME=FILE",
                            file.display()
                        )))
                    }
                };
                if !prepared.iter().any(|p| p.name.as_str() == name) {
                    return Err(OpsError::BadInput(format!(
                        "--sbom {name}={}: no artifact is named {name:?}",
                        file.display()
                    )));
                }
                if by_name.insert(name.clone(), file).is_some() {
                    return Err(OpsError::BadInput(format!(
                        "two SBOMs were given for {name}"
                    )));
                }
            }
            for p in prepared.iter_mut() {
                let Some(file) = by_name.get(p.name.as_str()) else {
                    continue;
                };
                let v = crate::sbom::validate_sbom(file)?;
                if !v.valid {
                    return Err(OpsError::BadInput(format!(
                        "{} is not a valid SBOM: {}",
                        file.display(),
                        v.problems.first().map_or("unknown problem", String::as_str)
                    )));
                }
                let bytes = crate::verify::read_capped(file, 256 << 20)?;
                let document: Value = serde_json::from_slice(&bytes).map_err(|e| {
                    OpsError::BadInput(format!("{}: not JSON ({e})", file.display()))
                })?;
                let format = if document.get("spdxVersion").is_some() {
                    SbomFormat::SpdxJson
                } else {
                    SbomFormat::CycloneDxJson
                };
                p.sbom = Some(PreparedSbom {
                    format,
                    document,
                    components: v.components.unwrap_or(0),
                });
            }
            Ok(())
        }
    }
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).expect("JSON values serialise");
    out.push(b'\n');
    out
}
