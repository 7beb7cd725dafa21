//! Signing files: check every input, unlock the key once, hash all files in parallel, sign each,
//! then write every bundle all-or-nothing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use strongroom_core::artifact::{digests_needed, sign_artifacts, ArtifactForm};
use strongroom_core::digest::DigestSet;
use strongroom_store::fsutil::{write_all_atomic, Overwrite};

use crate::dto::SignedFile;
use crate::hashing::{check_files, hash_files};
use crate::{Callbacks, OpsError, Station};

/// The file extension of Sigstore bundles.
pub const BUNDLE_SUFFIX: &str = ".sigstore.json";

/// A request to sign files.
#[derive(Clone, Debug)]
pub struct SignRequest {
    /// Label or key id.
    pub key: String,
    pub files: Vec<PathBuf>,
    /// Where to write bundles; next to each file when `None`.
    pub out_dir: Option<PathBuf>,
    /// Replace bundles that already exist.
    pub force: bool,
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

impl Station {
    /// Signs every file with one key, writing `FILE.sigstore.json` for each.
    pub fn sign_files(
        &self,
        req: &SignRequest,
        cb: &dyn Callbacks,
    ) -> Result<Vec<SignedFile>, OpsError> {
        let sizes = check_files(&req.files)?;
        if let Some(d) = &req.out_dir {
            if !d.is_dir() {
                return Err(OpsError::MissingFile(d.clone()));
            }
        }
        let outputs: Vec<PathBuf> = req
            .files
            .iter()
            .map(|f| bundle_path(f, req.out_dir.as_deref()))
            .collect();
        let mut seen = HashSet::new();
        if let Some(dup) = outputs.iter().find(|o| !seen.insert(*o)) {
            return Err(OpsError::OutputClash(dup.clone()));
        }
        if !req.force {
            if let Some(existing) = outputs.iter().find(|o| o.exists()) {
                return Err(OpsError::OutputExists(existing.clone()));
            }
        }
        let rec = self.find_key(&req.key)?;
        let signer = self.unlock(&rec, cb)?;
        let digests = hash_files(&req.files, &sizes, &digests_needed(&*signer), cb)?;
        let form = ArtifactForm::for_signer(&*signer);
        let mut writes = Vec::with_capacity(req.files.len());
        let mut signed = Vec::with_capacity(req.files.len());
        let names: Vec<String> = req
            .files
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
        let bundles = sign_artifacts(&*signer, &batch)?;
        for (((file, set), out), bundle) in req.files.iter().zip(&digests).zip(outputs).zip(bundles)
        {
            signed.push(SignedFile {
                artifact: file.display().to_string(),
                bundle: out.display().to_string(),
                sha256: set.sha256().to_hex(),
                form: form.as_str().to_owned(),
            });
            writes.push((out, bundle.to_pretty_json().into_bytes()));
        }
        write_all_atomic(
            &writes,
            if req.force {
                Overwrite::Allow
            } else {
                Overwrite::Refuse
            },
        )?;
        Ok(signed)
    }
}
