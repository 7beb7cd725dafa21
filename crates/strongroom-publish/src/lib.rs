//! The connected side's publisher, `strongroom-publish`: a release bundle carried out of the
//! room is verified once more against the station's trust package, exactly as `strongroom
//! verify` does, and only then published to an OCI registry (`plan.rs` decides what, offline;
//! `registry.rs` pushes it). The only networked code of the project: the station's CLI and app
//! never link this crate (a test reads `cargo tree` to hold that).

pub mod credentials;
pub mod layout;
pub mod registry;
/// The plan is the bundle crate's, shared with the station (which shows it to the officer).
pub use strongroom_bundle::oci as plan;

use std::io::Read;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Serialize;
use strongroom_bundle::{Limits, Manifest, SafeZip};
use strongroom_ops::release::{verify_bundle, VerifyBundle};
use strongroom_ops::{Callbacks, SecretRequest};

use crate::plan::{ManifestPush, Plan, PlanError, Source};
use crate::registry::{BlobReader, Outcome, PublishError, Target};

/// A request to publish.
#[derive(Clone, Debug)]
pub struct Publish {
    pub bundle: PathBuf,
    /// The station's trust package the bundle must verify against.
    pub trust: PathBuf,
    /// A registry, or (with `to_layout`) unused.
    pub target: Target,
    /// Write an OCI image layout here instead of pushing to a registry.
    pub to_layout: Option<PathBuf>,
    /// The released files, when the bundle does not carry them.
    pub artifacts_dir: Option<PathBuf>,
    /// Plain HTTP (loopback registries only).
    pub plain_http: bool,
    /// PEM certificates of a private CA the registry's certificate chains to.
    pub ca_file: Option<PathBuf>,
    /// List what would be pushed; push nothing.
    pub dry_run: bool,
}

/// What was (or would be) published.
#[derive(Clone, Debug, Serialize)]
pub struct Published {
    pub bundle: String,
    pub target: String,
    pub release: String,
    pub tag: String,
    /// The release index's digest: what `REGISTRY/REPOSITORY@DIGEST` names.
    pub digest: String,
    pub manifests: Vec<ManifestPush>,
    pub blobs: usize,
    pub dry_run: bool,
    /// `None` on a dry run.
    pub outcome: Option<Outcome>,
    /// What the person should know before relying on the result (an image published to a
    /// repository other than the one its signature names).
    pub warnings: Vec<String>,
}

/// Why nothing was published.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Ops(#[from] strongroom_ops::OpsError),
    #[error("{0} does not verify against the trust package, so it is not published:\n{1}")]
    NotVerified(String, String),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("{0}")]
    Usage(String),
}

/// No person to ask: a publish needs no secret.
struct Quiet;

impl Callbacks for Quiet {
    fn secret(&self, _: &SecretRequest) -> Option<SecretString> {
        None
    }
}

/// The bundle's files for the push.
struct BundleFiles {
    zip: SafeZip,
}

impl BlobReader for BundleFiles {
    fn open(&self, source: &Source) -> Result<Box<dyn Read + Send>, PublishError> {
        let local = |what: &str, e: &dyn std::fmt::Display| PublishError::Local {
            what: what.to_owned(),
            why: e.to_string(),
        };
        match source {
            Source::Bytes(b) => Ok(Box::new(std::io::Cursor::new(b.clone()))),
            Source::File(p) => {
                let shown = p.display().to_string();
                Ok(Box::new(
                    std::fs::File::open(p).map_err(|e| local(&shown, &e))?,
                ))
            }
            Source::ZipEntry(name) => {
                // Out of the zip into a private temporary file, streamed, then read from there.
                let mut tmp = tempfile::tempfile().map_err(|e| local(name, &e))?;
                self.zip
                    .copy_to(name, &mut tmp)
                    .map_err(|e| local(name, &e))?;
                use std::io::Seek;
                tmp.rewind().map_err(|e| local(name, &e))?;
                Ok(Box::new(tmp))
            }
        }
    }
}

/// `registry/repository` of a reference, without its tag.
fn repository_of(reference: &str) -> &str {
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => reference,
    }
}

/// Verifies, plans and (unless a dry run) publishes. `progress` hears one line per step.
pub fn publish(req: &Publish, progress: &registry::Progress) -> Result<Published, Refusal> {
    if req.to_layout.is_none() && req.plain_http && !req.target.is_loopback() {
        return Err(Refusal::Usage(format!(
            "plain HTTP is allowed only to a registry on this machine (localhost, 127.0.0.1, [::1]), not {}",
            req.target.registry
        )));
    }
    if strongroom_bundle::age::is_age(&req.bundle).map_err(strongroom_ops::OpsError::from)? {
        return Err(Refusal::Usage(format!(
            "{} is encrypted: open it with `strongroom release extract` first, then publish the plain bundle",
            req.bundle.display()
        )));
    }
    // Exactly the verification `strongroom verify --trust PACKAGE BUNDLE.zip` makes.
    let trust = strongroom_ops::trust::trust_for_verification(&req.trust, None)?;
    let report = verify_bundle(
        &VerifyBundle {
            bundle: req.bundle.clone(),
            artifacts_dir: req.artifacts_dir.clone(),
            ..Default::default()
        },
        &trust,
        &Quiet,
    )?;
    if !report.verified {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| c.outcome == strongroom_core::verify::Outcome::Fail)
            .map(|c| format!("  {}: {}", c.id, c.detail))
            .collect();
        return Err(Refusal::NotVerified(
            req.bundle.display().to_string(),
            failed.join("\n"),
        ));
    }
    progress(&format!(
        "{} verified against {}",
        req.bundle.display(),
        req.trust.display()
    ));
    let zip =
        SafeZip::open(&req.bundle, &Limits::default()).map_err(strongroom_ops::OpsError::from)?;
    let files = BundleFiles { zip };
    let (manifest, plan): (Manifest, Plan) =
        plan::plan_of_zip(&files.zip, req.artifacts_dir.as_deref())?;
    let index = plan
        .manifests
        .iter()
        .find(|m| m.artifact_type == plan::RELEASE_TYPE)
        .expect("a plan has its release index");
    let target = format!("{}/{}", req.target.registry, req.target.repository);
    let warnings = if req.to_layout.is_some() {
        Vec::new()
    } else {
        manifest
            .artifacts()
            .iter()
            .filter_map(|a| {
                let reference = &a.image.as_ref()?.reference;
                (repository_of(reference) != target).then(|| {
                    format!(
                        "the image {} is signed for {reference}, but goes to {target}: a containers-policy that matches the signed repository refuses it there; publish it to {}",
                        a.name,
                        repository_of(reference)
                    )
                })
            })
            .collect()
    };
    for w in &warnings {
        progress(&format!("warning: {w}"));
    }
    let mut published = Published {
        bundle: req.bundle.display().to_string(),
        target: match &req.to_layout {
            Some(dir) => format!("oci-layout:{}", dir.display()),
            None => target,
        },
        release: format!(
            "{}@{}",
            manifest.release().name(),
            manifest.release().version()
        ),
        tag: index.tag.clone().unwrap_or_default(),
        digest: index.digest.clone(),
        manifests: plan.manifests.clone(),
        blobs: plan.blobs.len(),
        dry_run: req.dry_run,
        outcome: None,
        warnings,
    };
    if req.dry_run {
        return Ok(published);
    }
    if let Some(dir) = &req.to_layout {
        published.outcome = Some(layout::write(dir, &plan, &files)?);
        return Ok(published);
    }
    // rustls's crypto: ring (a second install is refused and harmless). ring has no
    // post-quantum key exchange, which is why rustls marks it deprecated; registries speak
    // classic TLS, and ring spares the build aws-lc's C toolchain.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = match &req.ca_file {
        Some(p) => {
            Some(std::fs::read(p).map_err(|e| Refusal::Usage(format!("{}: {e}", p.display())))?)
        }
        None => None,
    };
    let auth = credentials::registry_auth(&req.target.registry)
        .map_err(|e| Refusal::Usage(e.to_string()))?;
    let client = registry::client(req.plain_http, ca);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Refusal::Usage(format!("no async runtime: {e}")))?;
    let outcome = runtime.block_on(registry::publish(
        &client,
        &req.target,
        &auth,
        &plan,
        &files,
        progress,
    ))?;
    published.outcome = Some(outcome);
    Ok(published)
}
