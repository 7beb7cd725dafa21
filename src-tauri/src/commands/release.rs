//! The Sign wizard and the Verify screen: hashing, the release preview, creating, approving
//! and exporting a bundle, verifying one and saving the report.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;
use strongroom_ops::keyless::KeylessReport;
use strongroom_ops::release::{
    ApproveRelease, Approved, BuildMetaSource, BundleReport, CreateRelease, Exported, HashedFile,
    ReleaseCreated, ReleasePreview, ReportFormat, SbomChoice, VerifyBundle,
};
use strongroom_ops::sbom::SbomFormat;
use tauri::ipc::Channel;
use tauri::State;

use super::{picked, picked_all};
use crate::ipc::{Gui, IpcError, ProgressEvent};
use crate::state::AppState;

/// Where each artifact's SBOM comes from.
#[derive(Debug, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum SbomForm {
    Auto { format: SbomFormatName },
    Files { files: Vec<SbomFile> },
    None,
}

#[derive(Clone, Copy, Debug, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum SbomFormatName {
    Spdx,
    Cyclonedx,
}

#[derive(Debug, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SbomFile {
    /// The artifact's file name; may be null when the release has one artifact.
    pub artifact: Option<String>,
    pub path: String,
}

/// Where the build metadata comes from.
#[derive(Debug, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ProvenanceForm {
    None,
    File {
        path: String,
    },
    /// The fields of `docs/build-meta.md`, typed into the wizard's form.
    Form {
        #[ts(type = "Record<string, unknown>")]
        meta: serde_json::Value,
    },
}

/// The wizard's answers.
#[derive(Debug, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReleaseForm {
    pub name: String,
    pub version: String,
    pub stage: strongroom_core::Stage,
    pub key: String,
    pub artifacts: Vec<String>,
    pub images: Vec<strongroom_ops::image::ImageSpec>,
    pub sbom: SbomForm,
    pub provenance: ProvenanceForm,
    pub scan: bool,
    pub include_artifacts: bool,
    pub policies: Vec<String>,
}

impl ReleaseForm {
    fn into_request(self, output: PathBuf) -> Result<CreateRelease, IpcError> {
        let sbom = match self.sbom {
            SbomForm::Auto { format } => SbomChoice::Auto(match format {
                SbomFormatName::Spdx => SbomFormat::SpdxJson,
                SbomFormatName::Cyclonedx => SbomFormat::CycloneDxJson,
            }),
            SbomForm::Files { files } => SbomChoice::Files(
                files
                    .into_iter()
                    .map(|f| Ok((f.artifact, picked(&f.path)?)))
                    .collect::<Result<_, IpcError>>()?,
            ),
            SbomForm::None => SbomChoice::None,
        };
        let provenance = match self.provenance {
            ProvenanceForm::None => None,
            ProvenanceForm::File { path } => Some(BuildMetaSource::File(picked(&path)?)),
            ProvenanceForm::Form { meta } => Some(BuildMetaSource::Json(
                serde_json::to_vec(&meta).map_err(IpcError::internal)?,
            )),
        };
        Ok(CreateRelease {
            name: self.name,
            version: self.version,
            stage: self.stage,
            key: self.key,
            artifacts: picked_all(&self.artifacts)?,
            images: self.images,
            sbom,
            provenance,
            scan: self.scan,
            include_artifacts: self.include_artifacts,
            policies: picked_all(&self.policies)?,
            output,
            force: false,
            encrypt_to: Vec::new(),
            allow_pin_in_uri: false,
        })
    }
}

/// SHA-256 of each file, with progress, for one who may create releases; nothing is written.
#[tauri::command(async)]
pub async fn hash_files(
    state: State<'_, AppState>,
    paths: Vec<String>,
    on_progress: Channel<ProgressEvent>,
) -> Result<Vec<HashedFile>, IpcError> {
    let paths = picked_all(&paths)?;
    state
        .work(move |s| s.hash_artifacts(&paths, &Gui::new(Some(on_progress), None)))
        .await
}

/// An image the wizard is given, read and checked: its manifest digest and size; nothing is
/// kept.
#[tauri::command(async)]
pub async fn image_inspect(
    state: State<'_, AppState>,
    image: strongroom_ops::image::ImageSpec,
) -> Result<strongroom_ops::image::ImageSummary, IpcError> {
    picked(image.source.trim())?;
    state.work(move |s| s.image_inspect(&image)).await
}

#[tauri::command(async)]
pub async fn release_preview(
    state: State<'_, AppState>,
    req: ReleaseForm,
    on_progress: Channel<ProgressEvent>,
) -> Result<ReleasePreview, IpcError> {
    let req = req.into_request(PathBuf::new())?;
    state
        .work(move |s| s.release_preview(&req, &Gui::new(Some(on_progress), None)))
        .await
}

/// Signs the release into the station's staging folder (`<home>/releases/`).
#[tauri::command(async)]
pub async fn release_create(
    state: State<'_, AppState>,
    req: ReleaseForm,
    secret: Option<SecretString>,
    on_progress: Channel<ProgressEvent>,
) -> Result<ReleaseCreated, IpcError> {
    let output = state.with(|s| s.staged_release_path(&req.name, &req.version))?;
    let req = req.into_request(output)?;
    state
        .work(move |s| s.release_create(&req, &Gui::new(Some(on_progress), secret)))
        .await
}

/// A second operator signs in for this one call and countersigns the bundle's manifest.
#[tauri::command(async)]
#[allow(clippy::too_many_arguments)]
pub async fn release_approve(
    state: State<'_, AppState>,
    bundle: String,
    key: String,
    operator: String,
    operator_passphrase: SecretString,
    secret: Option<SecretString>,
    on_progress: Channel<ProgressEvent>,
) -> Result<Approved, IpcError> {
    let req = ApproveRelease {
        bundle: picked(&bundle)?,
        key,
        output: None,
        identity: None,
        encrypt_to: Vec::new(),
        allow_pin_in_uri: false,
    };
    state
        .work(move |s| {
            s.release_approve_as(
                &operator,
                &operator_passphrase,
                &req,
                &Gui::new(Some(on_progress), secret),
            )
        })
        .await
}

/// Copies the bundle to the folder going out of the room, optionally age-encrypted.
#[tauri::command(async)]
pub fn release_export(
    state: State<'_, AppState>,
    bundle: String,
    folder: String,
    encrypt_to: Vec<String>,
    overwrite: bool,
) -> Result<Exported, IpcError> {
    let bundle = picked(&bundle)?;
    let folder = picked(&folder)?;
    let recipients = encrypt_to
        .iter()
        .filter(|r| !r.trim().is_empty())
        .map(|r| strongroom_bundle_recipient(r))
        .collect::<Result<Vec<_>, _>>()?;
    state.with(|s| s.release_export(&bundle, &folder, &recipients, overwrite))
}

fn strongroom_bundle_recipient(r: &str) -> Result<strongroom_ops::release::Recipient, IpcError> {
    Ok(strongroom_ops::release::parse_recipient(r)?)
}

/// Verifies a bundle against the station's trust; keeps the report for [`save_report`].
#[tauri::command(async)]
pub async fn verify_bundle(
    state: State<'_, AppState>,
    bundle: String,
    artifacts_dir: Option<String>,
    policies: Vec<String>,
    passphrase: Option<SecretString>,
    identity_file: Option<String>,
    on_progress: Channel<ProgressEvent>,
) -> Result<BundleReport, IpcError> {
    let identity_file = identity_file.filter(|f| !f.trim().is_empty());
    let identity = match (passphrase, identity_file) {
        (Some(_), Some(_)) => {
            return Err(IpcError::usage(
                "both a passphrase and an identity file were given for the bundle",
                "give one: the passphrase for a bundle encrypted with a passphrase, the identity file for one encrypted to recipients",
            ))
        }
        (Some(p), None) => Some(strongroom_ops::release::Identity::Passphrase(p)),
        (None, Some(f)) => Some(strongroom_ops::release::Identity::File(picked(&f)?)),
        (None, None) => None,
    };
    let req = VerifyBundle {
        bundle: picked(&bundle)?,
        artifacts_dir: match artifacts_dir.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => Some(picked(d)?),
            _ => None,
        },
        // The app verifies strictly: an artifact absent from the folder fails.
        allow_missing: false,
        policies: picked_all(&policies)?,
        identity,
    };
    let report = state
        .work(move |s| s.release_verify(&req, &Gui::new(Some(on_progress), None)))
        .await?;
    state.keep_report(report.clone())?;
    Ok(report)
}

/// What the Verify screen's keyless form sends: the evidence file, the trusted root (a full
/// path, or the name of a root the trust store holds), the artifact (a full path or
/// `sha256:HEX`), and who must have signed.
#[derive(serde::Deserialize)]
pub struct KeylessForm {
    pub bundle: String,
    pub trusted_root: String,
    pub artifact: String,
    pub identity: String,
    pub identity_regexp: bool,
    pub issuer: String,
    pub issuer_regexp: bool,
    pub repository: Option<String>,
    pub git_ref: Option<String>,
    pub workflow: Option<String>,
}

/// Verifies keyless Sigstore evidence (a bundle, gh's JSON lines, a PEP 740 attestation or
/// PyPI provenance) offline, as `strongroom verify --trusted-root` does.
#[tauri::command(async)]
pub async fn verify_keyless(
    state: State<'_, AppState>,
    form: KeylessForm,
) -> Result<KeylessReport, IpcError> {
    use strongroom_ops::keyless::{
        KeylessArtifact, KeylessRequest, Match, RootSource, ThresholdOverrides,
    };
    let given = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Match::Exact(s.to_owned()))
    };
    let matching = |text: &str, regexp: bool| {
        let text = text.trim().to_owned();
        (!text.is_empty()).then_some(if regexp {
            Match::Regexp(text)
        } else {
            Match::Exact(text)
        })
    };
    let root = form.trusted_root.trim().to_owned();
    let root_file = if root.starts_with('/') {
        Some(picked(&root)?)
    } else {
        None
    };
    let artifact = match form.artifact.trim() {
        a if a.starts_with("sha256:") => KeylessArtifact::parse(a)?,
        a => KeylessArtifact::File(picked(a)?),
    };
    let bundle = picked(&form.bundle)?;
    let identity = matching(&form.identity, form.identity_regexp);
    let issuer = matching(&form.issuer, form.issuer_regexp);
    let (source_repository, source_ref, workflow) = (
        given(&form.repository),
        given(&form.git_ref),
        given(&form.workflow),
    );
    state
        .work(move |s| {
            let trusted_root = match root_file {
                Some(f) => RootSource::File(f),
                None => RootSource::Stored(s.trust_root_json(&root)?),
            };
            s.verify_keyless(&KeylessRequest {
                bundle,
                trusted_root,
                artifact,
                identity,
                issuer,
                source_repository,
                source_ref,
                workflow,
                key: None,
                thresholds: ThresholdOverrides::default(),
            })
        })
        .await
}

/// Writes the last verification report as `html` or `json` (over an existing file only with
/// `overwrite`, once the person confirmed it); returns the path. Needs a login that may verify.
#[tauri::command(async)]
pub fn save_report(
    state: State<'_, AppState>,
    path: String,
    format: String,
    overwrite: bool,
) -> Result<String, IpcError> {
    let path = picked(&path)?;
    let format = match format.as_str() {
        "html" => ReportFormat::Html,
        "json" => ReportFormat::Json,
        other => {
            return Err(IpcError::usage(
                format!("unknown report format {other:?}"),
                "choose html or json",
            ))
        }
    };
    let report = state.last_report()?;
    state.with(|s| s.save_report(report.as_ref(), &path, format, overwrite))?;
    Ok(path.display().to_string())
}
