//! Signing files: check every input, unlock the key once, hash all files in parallel, sign each,
//! then write every bundle all-or-nothing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use strongroom_core::AuditEvent;

use std::sync::mpsc;

use strongroom_core::artifact::{digests_needed, sign_artifacts, ArtifactForm};
use strongroom_core::bundle::BundleJson;
use strongroom_core::digest::DigestSet;
use strongroom_core::Signer;
use strongroom_store::fsutil::{Overwrite, StagedFiles};

use crate::dto::SignedFile;
use crate::hashing::{check_files, hash_many};
use crate::{Callbacks, OpsError, Progress, Station};

/// The file extension of Sigstore bundles.
pub const BUNDLE_SUFFIX: &str = ".sigstore.json";

/// A request to sign files.
#[derive(Clone, Debug)]
pub struct SignRequest {
    /// Label, key id or `pkcs11:` URI.
    pub key: String,
    pub files: Vec<PathBuf>,
    /// Container images: each signed as its manifest, with a cosign signature beside it (see
    /// [`crate::image::sign_outputs`]).
    pub images: Vec<crate::image::ImageSpec>,
    /// Where to write bundles; next to each file when `None`.
    pub out_dir: Option<PathBuf>,
    /// Replace bundles that already exist.
    pub force: bool,
    /// Accept `pin-value` in a `pkcs11:` key URI (it puts the PIN on the command line).
    pub allow_pin_in_uri: bool,
}

/// `FILE.sigstore.json`, next to the file or in `out_dir`.
pub fn bundle_path(file: &Path, out_dir: Option<&Path>) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(BUNDLE_SUFFIX);
    match out_dir {
        Some(d) => d.join(name),
        None => file.with_file_name(name),
    }
}

/// Files per pipeline chunk: big enough that a token signs a chunk in one round trip of its
/// session thread, small enough that hashing, signing and writing overlap.
const CHUNK: usize = 256;

impl Station {
    /// Signs every file with one key, writing `FILE.sigstore.json` for each. Hashing, signing and
    /// writing run as a pipeline over chunks of files; bundles are staged under temporary names
    /// and renamed into place only once every file is signed, so a failure writes nothing.
    pub fn sign_files(
        &self,
        req: &SignRequest,
        cb: &dyn Callbacks,
    ) -> Result<Vec<SignedFile>, OpsError> {
        self.require(crate::operators::Action::Sign)?;
        let key = crate::audit::key_for_log(&req.key);
        match self.sign_files_unrecorded(req, cb) {
            Ok(signed) => {
                let artifacts: Vec<_> = signed
                    .iter()
                    .map(|f| serde_json::json!({"artifact": f.artifact, "sha256": f.sha256, "bundle": f.bundle}))
                    .collect();
                self.record(
                    AuditEvent::Sign,
                    &key,
                    crate::AuditOutcome::Ok,
                    serde_json::json!({"files": signed.len(), "artifacts": artifacts}),
                )?;
                Ok(signed)
            }
            Err(e) => {
                self.record_failure(AuditEvent::Sign, &key, &e);
                Err(e)
            }
        }
    }

    fn sign_files_unrecorded(
        &self,
        req: &SignRequest,
        cb: &dyn Callbacks,
    ) -> Result<Vec<SignedFile>, OpsError> {
        if req.files.is_empty() && req.images.is_empty() {
            return Err(OpsError::NoFiles);
        }
        let sizes = if req.files.is_empty() {
            Vec::new()
        } else {
            check_files(&req.files)?
        };
        crate::hashing::refuse_pae_inputs(&req.files)?;
        let images = req
            .images
            .iter()
            .map(|spec| crate::image::stage(spec, self.home()))
            .collect::<Result<Vec<_>, _>>()?;
        let image_outputs: Vec<[PathBuf; 4]> = images
            .iter()
            .zip(&req.images)
            .map(|(i, spec)| {
                let dir = req
                    .out_dir
                    .clone()
                    .unwrap_or_else(|| crate::image::source_dir(spec));
                crate::image::sign_outputs(&i.name, &dir)
            })
            .collect();
        let outputs = planned_outputs(req, image_outputs.iter().flatten())?;
        if let Some(d) = &req.out_dir {
            self.output_dir(d)?;
        }
        let signer = self.signer_for(
            &req.key,
            strongroom_core::Purpose::Signer,
            req.allow_pin_in_uri,
            cb,
        )?;
        let signer: &dyn Signer = &*signer;
        let stamper = self.stamper(cb)?;
        // What a signing run killed here before left behind goes first (debris, never usable).
        let leftovers = crate::util::remove_leftovers_beside(&outputs);
        // The intent is recorded before any signature exists: a process killed while signing
        // leaves this row, saying which key was signing what, even if no `sign` row follows.
        self.record(
            AuditEvent::SignIntent,
            &crate::audit::key_for_log(&req.key),
            crate::AuditOutcome::Ok,
            serde_json::json!({
                "files": req.files.len(),
                "images": req.images.len(),
                "leftovers_removed": leftovers,
                "bundles": outputs.iter().map(|o| o.display().to_string()).collect::<Vec<_>>(),
            }),
        )?;
        let extra = digests_needed(signer);
        let form = ArtifactForm::for_signer(signer);
        let overwrite = if req.force {
            Overwrite::Allow
        } else {
            Overwrite::Refuse
        };
        let (image_staged, mut image_signed) =
            sign_image_outputs(signer, &images, &image_outputs, &extra, overwrite, cb)?;
        cb.progress(Progress::HashStart {
            files: req.files.len(),
            total_bytes: sizes.iter().sum(),
        });
        let result = std::thread::scope(|s| {
            let (digest_tx, digest_rx) = mpsc::sync_channel::<Result<Vec<DigestSet>, OpsError>>(2);
            let (bundle_tx, bundle_rx) = mpsc::sync_channel::<(usize, Vec<BundleJson>)>(2);
            s.spawn(|| {
                for chunk in req.files.chunks(CHUNK) {
                    let r = hash_many(chunk, &extra, cb);
                    let failed = r.is_err();
                    if digest_tx.send(r).is_err() || failed {
                        break;
                    }
                }
                drop(digest_tx);
            });
            let outputs = &outputs;
            let writer = s.spawn(move || -> Result<StagedFiles, OpsError> {
                let mut staged = StagedFiles::new(overwrite, outputs.len());
                for (first, bundles) in bundle_rx {
                    for (out, bundle) in outputs[first..].iter().zip(bundles) {
                        staged.stage(out.clone(), bundle.to_pretty_json().as_bytes())?;
                    }
                }
                Ok(staged)
            });
            // With a timestamp authority, chunks are stamped on a thread of their own while the
            // next chunk is signed (the TSA key has its own token session).
            let (stamp_tx, stamp_rx) =
                mpsc::sync_channel::<(usize, Vec<BundleJson>, strongroom_core::Timestamp)>(2);
            let stamping = stamper.as_ref().map(|st| {
                let bundle_tx = bundle_tx.clone();
                s.spawn(move || -> Result<(), OpsError> {
                    for (first, bundles, at) in stamp_rx {
                        let stamped = st.stamp_at(bundles, at)?;
                        if bundle_tx.send((first, stamped)).is_err() {
                            break;
                        }
                    }
                    Ok(())
                })
            });
            let mut signed = Vec::with_capacity(req.files.len());
            let mut first = 0;
            for digests in digest_rx {
                let digests = digests?;
                let names: Vec<String> = req.files[first..first + digests.len()]
                    .iter()
                    .map(|f| {
                        f.file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned()
                    })
                    .collect();
                let batch: Vec<(&str, &DigestSet)> =
                    names.iter().map(String::as_str).zip(&digests).collect();
                let bundles = sign_artifacts(signer, &batch)?;
                for (i, set) in digests.iter().enumerate() {
                    signed.push(SignedFile {
                        artifact: req.files[first + i].display().to_string(),
                        bundle: outputs[first + i].display().to_string(),
                        sha256: set.sha256().to_hex(),
                        form,
                    });
                }
                let sent = match &stamping {
                    Some(_) => stamp_tx.send((first, bundles, self.clock_now()?)).is_ok(),
                    None => bundle_tx.send((first, bundles)).is_ok(),
                };
                if !sent {
                    break; // The stamper or the writer failed; its error is returned below.
                }
                first += digests.len();
            }
            drop(stamp_tx);
            drop(bundle_tx);
            if let Some(t) = stamping {
                t.join().expect("the stamping thread does not panic")?;
            }
            let staged = writer.join().expect("the writer thread does not panic")?;
            debug_assert_eq!(signed.len(), req.files.len(), "every chunk was signed");
            staged.commit()?;
            image_staged.commit()?;
            signed.append(&mut image_signed);
            Ok(signed)
        });
        cb.progress(Progress::HashFinish);
        result
    }
}

/// Each image's manifest, its Sigstore bundle and its cosign signature, signed and staged (to
/// be committed with the files' bundles); what was signed, for the report.
fn sign_image_outputs(
    signer: &dyn Signer,
    images: &[crate::image::StagedImage],
    outputs: &[[PathBuf; 4]],
    extra: &[strongroom_core::HashAlg],
    overwrite: Overwrite,
    cb: &dyn Callbacks,
) -> Result<(StagedFiles, Vec<SignedFile>), OpsError> {
    let mut staged = StagedFiles::new(overwrite, images.len() * 4);
    if images.is_empty() {
        return Ok((staged, Vec::new()));
    }
    let paths: Vec<PathBuf> = images.iter().map(|i| i.manifest_path.clone()).collect();
    let digests = hash_many(&paths, extra, cb)?;
    let names: Vec<String> = outputs
        .iter()
        .map(|o| {
            o[0].file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let batch: Vec<(&str, &DigestSet)> = names.iter().map(String::as_str).zip(&digests).collect();
    let bundles = sign_artifacts(signer, &batch)?;
    let claims = crate::image::sign_claims(signer, &images.iter().collect::<Vec<_>>())?;
    let form = ArtifactForm::for_signer(signer);
    let mut signed = Vec::with_capacity(images.len());
    for ((((image, out), bundle), (payload, sig)), set) in images
        .iter()
        .zip(outputs)
        .zip(bundles)
        .zip(claims)
        .zip(&digests)
    {
        let manifest = std::fs::read(&image.manifest_path).map_err(|source| OpsError::Read {
            path: image.manifest_path.clone(),
            source,
        })?;
        staged.stage(out[0].clone(), &manifest)?;
        staged.stage(out[1].clone(), bundle.to_pretty_json().as_bytes())?;
        staged.stage(out[2].clone(), &payload)?;
        staged.stage(out[3].clone(), sig.as_bytes())?;
        signed.push(SignedFile {
            artifact: format!("{} ({})", image.reference, image.manifest_digest),
            bundle: out[1].display().to_string(),
            sha256: set.sha256().to_hex(),
            form,
        });
    }
    Ok((staged, signed))
}

/// Where each bundle goes (beside its file, or in `--out-dir`), and `also` (what images
/// write): refused when two land on one path, or when one exists and may not be replaced.
fn planned_outputs<'a>(
    req: &SignRequest,
    also: impl Iterator<Item = &'a PathBuf>,
) -> Result<Vec<PathBuf>, OpsError> {
    if let Some(d) = &req.out_dir {
        if d.exists() && !d.is_dir() {
            return Err(OpsError::NotADirectory(d.clone()));
        }
        if !d.is_dir() {
            return Err(OpsError::MissingFile(d.clone()));
        }
    }
    let outputs: Vec<PathBuf> = req
        .files
        .iter()
        .map(|f| bundle_path(f, req.out_dir.as_deref()))
        .chain(also.cloned())
        .collect();
    // Compare real locations, so `./dist/a` and `dist/a` (or a linked directory) clash.
    let mut seen = HashSet::new();
    for o in &outputs {
        let dir = o
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let real = dir
            .canonicalize()
            .unwrap_or_else(|_| dir.to_owned())
            .join(o.file_name().unwrap_or_default());
        if !seen.insert(real) {
            return Err(OpsError::OutputClash(o.clone()));
        }
    }
    if !req.force {
        if let Some(existing) = outputs.iter().find(|o| o.exists()) {
            return Err(OpsError::OutputExists(existing.clone()));
        }
    }
    Ok(outputs)
}
