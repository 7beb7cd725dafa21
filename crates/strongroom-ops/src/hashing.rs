//! Hashing input files: checking them first, then streaming several at once, one per core, each
//! in constant memory.

use std::fs::File;
use std::path::{Path, PathBuf};

use strongroom_core::digest::{hash_reader, ChunkObserver, DigestSet};
use strongroom_core::intoto::Subject;
use strongroom_core::HashAlg;

use crate::{Callbacks, OpsError, Progress};

/// Checks that `path` names an existing regular file and returns its size.
pub fn check_file(path: &Path) -> Result<u64, OpsError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => OpsError::MissingFile(path.to_owned()),
        _ => OpsError::Read {
            path: path.to_owned(),
            source: e,
        },
    })?;
    if meta.is_dir() {
        return Err(OpsError::IsDirectory(path.to_owned()));
    }
    if !meta.is_file() {
        return Err(OpsError::NotRegularFile(path.to_owned()));
    }
    Ok(meta.len())
}

/// Checks every input before any work starts, so a bad name fails fast and nothing is written.
pub fn check_files(paths: &[PathBuf]) -> Result<Vec<u64>, OpsError> {
    if paths.is_empty() {
        return Err(OpsError::NoFiles);
    }
    paths.iter().map(|p| check_file(p)).collect()
}

/// Refuses files to be signed whose bytes are another signature's message, so that signing
/// them would carry the key's signature into another domain:
/// - a DSSE pre-authentication encoding (`DSSEv1 `): an ECDSA or RSA signature over such a
///   file's digest would also be a valid DSSE signature over the envelope it encodes (a trust
///   package, a checkpoint, an approval);
/// - a cosign simple-signing payload (a container image claim): the signature over the file
///   would also be an image signature that skopeo and containers-policy accept. Payloads
///   larger than containers/image reads (4 MiB) cannot be one.
pub fn refuse_pae_inputs(paths: &[PathBuf]) -> Result<(), OpsError> {
    const MAX_PAYLOAD: u64 = 4 << 20;
    let read_err = |p: &PathBuf| {
        let p = p.clone();
        move |source| OpsError::Read { path: p, source }
    };
    for p in paths {
        // The first bytes decide; a whole file is read only when it may be a payload.
        let mut head = Vec::with_capacity(64);
        std::fs::File::open(p)
            .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 64), &mut head))
            .map_err(read_err(p))?;
        if head.starts_with(strongroom_core::dsse::PAE_PREFIX) {
            return Err(OpsError::BadInput(format!(
                "{}: the file begins as a DSSE pre-authentication encoding (\"DSSEv1 \"); a signature over it would also sign the envelope it encodes, so Strongroom refuses to sign it (every signature has one purpose)",
                p.display()
            )));
        }
        let may_be_json = head
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_none_or(|b| *b == b'{');
        let small = std::fs::metadata(p).map_err(read_err(p))?.len() <= MAX_PAYLOAD;
        if may_be_json && small {
            let whole = std::fs::read(p).map_err(read_err(p))?;
            if strongroom_core::simplesigning::Claim::parse(&whole).is_ok() {
                return Err(OpsError::BadInput(format!(
                    "{}: the file is a container image signature payload (cosign simple signing); a signature over it would also be an image signature, so Strongroom refuses to sign it as a file (sign the image with --image; every signature has one purpose)",
                    p.display()
                )));
            }
        }
    }
    Ok(())
}

/// In-toto subjects for already-checked artifacts: each file's name and SHA-256.
pub fn subjects(
    artifacts: &[PathBuf],
    sizes: &[u64],
    cb: &dyn Callbacks,
) -> Result<Vec<Subject>, OpsError> {
    let digests = hash_files(artifacts, sizes, &[], cb)?;
    Ok(artifacts
        .iter()
        .zip(&digests)
        .map(|(a, d)| {
            Subject::new(
                a.file_name().unwrap_or_default().to_string_lossy(),
                &[d.sha256()],
            )
        })
        .collect())
}

/// Hashes one file with SHA-256 plus `extra`, reporting progress.
pub fn hash_file(
    path: &Path,
    extra: &[HashAlg],
    cb: &dyn Callbacks,
    observer: Option<ChunkObserver<'_>>,
) -> Result<DigestSet, OpsError> {
    let read_err = |e| OpsError::Read {
        path: path.to_owned(),
        source: e,
    };
    let file = File::open(path).map_err(read_err)?;
    let set = hash_reader(
        file,
        extra,
        &mut |n| cb.progress(Progress::Hashed { bytes: n }),
        observer,
    )
    .map_err(read_err)?;
    cb.progress(Progress::HashFileDone {
        path: path.to_owned(),
    });
    Ok(set)
}

/// Hashes all `paths` (already checked), several at once on all cores, reporting the start and
/// end of the work. Results are in input order. The first failure stops the rest and is returned.
pub fn hash_files(
    paths: &[PathBuf],
    sizes: &[u64],
    extra: &[HashAlg],
    cb: &dyn Callbacks,
) -> Result<Vec<DigestSet>, OpsError> {
    cb.progress(Progress::HashStart {
        files: paths.len(),
        total_bytes: sizes.iter().sum(),
    });
    let out = hash_many(paths, extra, cb);
    cb.progress(Progress::HashFinish);
    out
}

/// [`hash_files`] without the start and finish events, for callers that hash in chunks.
pub fn hash_many(
    paths: &[PathBuf],
    extra: &[HashAlg],
    cb: &dyn Callbacks,
) -> Result<Vec<DigestSet>, OpsError> {
    use rayon::prelude::*;
    // In order; the first error stops the files not yet started.
    paths
        .par_iter()
        .map(|path| hash_file(path, extra, cb, None))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct Count(AtomicU64);
    impl Callbacks for Count {
        fn secret(&self, _: &crate::SecretRequest) -> Option<SecretString> {
            None
        }
        fn progress(&self, e: Progress) {
            if let Progress::Hashed { bytes } = e {
                self.0.fetch_add(bytes, Ordering::Relaxed);
            }
        }
    }

    #[test]
    fn hashes_in_order_and_reports_progress() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..5)
            .map(|i| {
                let p = dir.path().join(format!("f{i}"));
                std::fs::write(&p, vec![i as u8; 1000 * (i + 1)]).unwrap();
                p
            })
            .collect();
        let sizes = check_files(&paths).unwrap();
        let cb = Count(AtomicU64::new(0));
        let sets = hash_files(&paths, &sizes, &[], &cb).unwrap();
        for (i, s) in sets.iter().enumerate() {
            assert_eq!(
                s.sha256(),
                &HashAlg::Sha256.hash(&vec![i as u8; 1000 * (i + 1)])
            );
        }
        assert_eq!(cb.0.load(Ordering::Relaxed), sizes.iter().sum::<u64>());
    }

    #[test]
    fn input_errors_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(check_files(&[]), Err(OpsError::NoFiles)));
        assert!(matches!(
            check_files(&[dir.path().join("missing")]),
            Err(OpsError::MissingFile(_))
        ));
        assert!(matches!(
            check_files(&[dir.path().to_owned()]),
            Err(OpsError::IsDirectory(_))
        ));
    }
}
