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
        let sizes = check_files(&req.files)?;
        crate::hashing::refuse_pae_inputs(&req.files)?;
        let outputs = planned_outputs(req)?;
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
                if bundle_tx.send((first, bundles)).is_err() {
                    break; // The writer failed; its error is returned below.
                }
                first += digests.len();
            }
            drop(bundle_tx);
            let staged = writer.join().expect("the writer thread does not panic")?;
            debug_assert_eq!(signed.len(), req.files.len(), "every chunk was signed");
            staged.commit()?;
            Ok(signed)
        });
        cb.progress(Progress::HashFinish);
        result
    }
}

/// Where each bundle goes (beside its file, or in `--out-dir`): refused when two land on one
/// path, or when one exists and may not be replaced.
fn planned_outputs(req: &SignRequest) -> Result<Vec<PathBuf>, OpsError> {
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
