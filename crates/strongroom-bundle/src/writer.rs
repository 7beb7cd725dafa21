//! The deterministic, atomic zip writer: entries in sorted path order, each with the zip epoch
//! as its time (1980-01-01 00:00:00), Unix mode 0644, Deflate at level 6, no extra fields or
//! comments, so the same entries give byte-identical zips whatever order they were added in.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

use crate::atomic::write_atomic;
use crate::error::BundleError;
use crate::manifest::Sha256Digest;
use crate::paths::check_path;
use crate::reader::SafeZip;

/// The Deflate level every entry is written with. Changing it changes every bundle's bytes.
pub const DEFLATE_LEVEL: i64 = 6;

/// Entries at least this large are written with zip64 sizes. Decided from the input size alone
/// (so the output stays deterministic), with room for Deflate's growth on incompressible data.
const ZIP64_THRESHOLD: u64 = 0xF000_0000;

/// Where an entry's bytes come from.
#[derive(Clone)]
pub enum EntrySource {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A file, streamed when the bundle is written. It must not change meanwhile.
    File(PathBuf),
    /// An entry of an already-checked zip (for instance when an approval is added to a bundle),
    /// streamed and recompressed.
    Zip { zip: Arc<SafeZip>, name: String },
}

impl std::fmt::Debug for EntrySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntrySource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            EntrySource::File(p) => write!(f, "File({})", p.display()),
            EntrySource::Zip { zip, name } => {
                write!(f, "Zip({}!/{name})", zip.path().display())
            }
        }
    }
}

/// The bundle file that was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrittenBundle {
    /// SHA-256 of the whole zip file.
    pub sha256: Sha256Digest,
    /// Size of the zip file in bytes.
    pub size: u64,
}

/// Collects entries, then writes them as one zip with [`BundleWriter::write_atomic`].
#[derive(Debug, Default)]
pub struct BundleWriter {
    entries: BTreeMap<String, EntrySource>,
    /// Lower-cased paths, to refuse two paths that differ only in case.
    folded: BTreeMap<String, String>,
}

impl BundleWriter {
    pub fn new() -> BundleWriter {
        BundleWriter::default()
    }

    /// A writer holding every regular file of `zip` (its entries are read when the new bundle is
    /// written). Add or [`Self::remove`] entries, then write.
    pub fn from_zip(zip: Arc<SafeZip>) -> Result<BundleWriter, BundleError> {
        let mut w = BundleWriter::new();
        for name in zip.names() {
            w.add(
                name,
                EntrySource::Zip {
                    zip: Arc::clone(&zip),
                    name: name.to_owned(),
                },
            )?;
        }
        Ok(w)
    }

    /// Adds an entry. The path must pass the path rules, and no other entry may have the same
    /// path (also ignoring letter case).
    pub fn add(&mut self, path: &str, source: EntrySource) -> Result<(), BundleError> {
        check_path(path).map_err(|p| BundleError::InvalidEntryPath {
            path: path.to_owned(),
            reason: p.to_string(),
        })?;
        if let Some(other) = self.folded.get(&path.to_lowercase()) {
            return Err(BundleError::InvalidEntryPath {
                path: path.to_owned(),
                reason: if other == path {
                    "added twice".into()
                } else {
                    format!("differs from {other:?} only in letter case")
                },
            });
        }
        self.folded.insert(path.to_lowercase(), path.to_owned());
        self.entries.insert(path.to_owned(), source);
        Ok(())
    }

    /// Adds an entry from memory.
    pub fn add_bytes(&mut self, path: &str, bytes: Vec<u8>) -> Result<(), BundleError> {
        self.add(path, EntrySource::Bytes(bytes))
    }

    /// Adds an entry streamed from a file.
    pub fn add_file(&mut self, path: &str, file: impl Into<PathBuf>) -> Result<(), BundleError> {
        self.add(path, EntrySource::File(file.into()))
    }

    /// Removes an entry; returns its source if there was one.
    pub fn remove(&mut self, path: &str) -> Option<EntrySource> {
        let source = self.entries.remove(path)?;
        self.folded.remove(&path.to_lowercase());
        Some(source)
    }

    /// The entry paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Writes the zip to `out` atomically (temporary file in the same directory, fsync, rename,
    /// directory fsync). On any error nothing appears at `out` and no temporary file is left;
    /// an existing `out` is an error unless `overwrite`, and is untouched on failure.
    pub fn write_atomic(&self, out: &Path, overwrite: bool) -> Result<WrittenBundle, BundleError> {
        write_atomic(out, overwrite, |file| {
            self.write_to(file, out)?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| BundleError::io(out, e))?;
            let (sha256, size) =
                Sha256Digest::of_reader(&mut *file).map_err(|e| BundleError::io(out, e))?;
            Ok(WrittenBundle { sha256, size })
        })
    }

    /// Writes the zip into a new temporary file that has no name on disk, rewound to its start,
    /// for encrypting it: a crash leaves no plaintext anywhere. `shown` names it in messages.
    pub fn write_unnamed(&self, shown: &Path) -> Result<File, BundleError> {
        let mut file = tempfile::tempfile().map_err(|e| BundleError::io(shown, e))?;
        self.write_to(&mut file, shown)?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| BundleError::io(shown, e))?;
        Ok(file)
    }

    fn write_to(&self, file: &mut File, out: &Path) -> Result<(), BundleError> {
        let zip_err = |e: zip::result::ZipError| match e {
            zip::result::ZipError::Io(io) => BundleError::io(out, io),
            other => BundleError::io(out, std::io::Error::other(other)),
        };
        let mut zw = ZipWriter::new(BufWriter::with_capacity(256 * 1024, file));
        for (path, source) in &self.entries {
            let size = source_len(source)?;
            // Artifacts are stored as they are: they are mostly compressed already, and one that
            // deflates very well (an image of zeros) would otherwise exceed the ratio every
            // reader of untrusted zips enforces, so its own bundle would be refused.
            let method = if path.starts_with("artifacts/") || path.starts_with("images/") {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            let options = SimpleFileOptions::default()
                .compression_method(method)
                .compression_level((method == CompressionMethod::Deflated).then_some(DEFLATE_LEVEL))
                .last_modified_time(DateTime::default())
                .system(System::Unix)
                .unix_permissions(0o644)
                .large_file(size >= ZIP64_THRESHOLD);
            zw.start_file(path.as_str(), options).map_err(zip_err)?;
            match source {
                EntrySource::Bytes(b) => zw.write_all(b).map_err(|e| BundleError::io(out, e))?,
                EntrySource::File(p) => copy_file_exactly(p, size, &mut zw, out)?,
                EntrySource::Zip { zip, name } => {
                    zip.copy_to(name, &mut zw).map_err(|e| match e {
                        BundleError::Write { source, .. } => BundleError::io(out, source),
                        other => other,
                    })?;
                }
            }
        }
        let buffered = zw.finish().map_err(zip_err)?;
        buffered
            .into_inner()
            .map_err(|e| BundleError::io(out, e.into_error()))?;
        Ok(())
    }
}

/// The number of bytes a source will give.
fn source_len(source: &EntrySource) -> Result<u64, BundleError> {
    match source {
        EntrySource::Bytes(b) => Ok(b.len() as u64),
        EntrySource::File(p) => {
            let meta = std::fs::metadata(p).map_err(|e| BundleError::io(p, e))?;
            if !meta.is_file() {
                return Err(BundleError::io(
                    p,
                    std::io::Error::other("not a regular file"),
                ));
            }
            Ok(meta.len())
        }
        EntrySource::Zip { zip, name } => {
            zip.entry(name)
                .map(|e| e.size())
                .ok_or_else(|| BundleError::NoSuchEntry {
                    path: zip.path().to_owned(),
                    entry: name.clone(),
                })
        }
    }
}

/// Streams exactly `size` bytes of `path` into `w`; a file that grew or shrank is an error.
fn copy_file_exactly(
    path: &Path,
    size: u64,
    w: &mut impl Write,
    out: &Path,
) -> Result<(), BundleError> {
    let mut f = File::open(path).map_err(|e| BundleError::io(path, e))?;
    let mut limited = (&mut f).take(size);
    let mut buf = vec![0u8; 64 * 1024];
    let mut copied = 0u64;
    loop {
        let n = match limited.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(BundleError::io(path, e)),
        };
        w.write_all(&buf[..n])
            .map_err(|e| BundleError::io(out, e))?;
        copied += n as u64;
    }
    let mut one = [0u8; 1];
    let more = f.read(&mut one).map_err(|e| BundleError::io(path, e))?;
    if copied != size || more != 0 {
        return Err(BundleError::SourceChanged(path.to_owned()));
    }
    Ok(())
}
