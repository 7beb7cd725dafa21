//! `catalog`: the entry point that turns a file or a directory into a [`Catalog`].
//!
//! Subject digests: a file's is the SHA-256 of its bytes. A directory's is the SHA-256 of a
//! manifest listing every regular file under it, sorted by relative path (bytewise, `/`
//! separators), one line each in `sha256sum` form: `<hex sha256>  <relative path>\n`. Symbolic
//! links and special files are not part of it (they are reported as warnings). A file name with
//! a control character or bytes that are not UTF-8 is refused: a newline in a name could make
//! one tree's manifest read as another's. So
//! `(cd DIR && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum) | sha256sum`
//! reproduces it.

use std::fs;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use strongroom_core::digest::hash_reader;

use crate::component::{Component, Ecosystem};
use crate::error::SbomError;
use crate::image;
use crate::limits::{Budget, Limits};
use crate::walk::{Container, Hashing, Walker};

/// Whether the subject is one file or a directory tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubjectKind {
    File,
    Directory,
}

/// What was catalogued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// File or directory name (last path component).
    pub name: String,
    /// Lower-case hex SHA-256 (see the module docs for directories).
    pub sha256: String,
    /// Bytes: the file's size, or the sum of the directory's regular files.
    pub size: u64,
    pub kind: SubjectKind,
}

/// The result of cataloguing one artifact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub subject: Subject,
    /// For a container image (OCI layout or image tarball): `sha256:<hex>` of its manifest, the
    /// digest registries name it by. `None` for other artifacts, and for legacy docker-save
    /// archives that carry no registry manifest.
    pub image_manifest_digest: Option<String>,
    /// Sorted by purl then `found_in`, one entry per (purl, found_in).
    pub components: Vec<Component>,
    /// Things skipped or doubtful, one sentence each, naming the file.
    pub warnings: Vec<String>,
}

impl Catalog {
    /// The digest that names the subject: the image manifest digest for an image, else
    /// `sha256:<hex>` of the file or directory manifest.
    pub fn subject_digest(&self) -> String {
        self.image_manifest_digest
            .clone()
            .unwrap_or_else(|| format!("sha256:{}", self.subject.sha256))
    }
}

fn io_err(path: &str) -> impl Fn(std::io::Error) -> SbomError + '_ {
    move |e| SbomError::Io {
        path: path.to_string(),
        source: e,
    }
}

/// Catalogues a file (lockfile, package, archive, image tarball) or a directory (source tree,
/// unpacked file system, OCI image layout), offline and within `limits`.
pub fn catalog(path: &Path, limits: &Limits) -> Result<Catalog, SbomError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let meta = fs::metadata(path).map_err(io_err(&name))?;
    let budget = Budget::new(limits.clone());
    let mut w = Walker::new(&budget);
    let subject = if meta.is_dir() {
        catalog_dir(&mut w, path, &name)?
    } else if meta.is_file() {
        let file = fs::File::open(path).map_err(io_err(&name))?;
        let set = hash_reader(file, &[], &mut |_| {}, None).map_err(io_err(&name))?;
        w.scan_file(path, &name, &name, true)?;
        Subject {
            name: name.clone(),
            sha256: set.sha256().to_hex(),
            size: set.len,
            kind: SubjectKind::File,
        }
    } else {
        return Err(SbomError::Unsupported {
            path: name,
            message: "not a regular file or directory".into(),
        });
    };
    if let Some(t) = budget.take_trip() {
        return Err(t);
    }
    let image_manifest_digest = w
        .images
        .iter()
        .find(|i| i.path == name)
        .and_then(|i| i.manifest_digest.clone());
    let mut warnings = std::mem::take(&mut w.warnings);
    let has_deb = w
        .components
        .iter()
        .any(|c| c.ecosystem == Ecosystem::Debian);
    for (at, id) in &w.os_ids {
        if has_deb && id != "debian" {
            warnings.push(format!(
                "{at}: the distribution is {id:?}, but dpkg packages are labelled Debian (pkg:deb/debian)"
            ));
        }
    }
    Ok(Catalog {
        subject,
        image_manifest_digest,
        components: normalize(std::mem::take(&mut w.components)),
        warnings,
    })
}

/// Sorts by (purl, found_in) and merges duplicates.
pub(crate) fn normalize(mut v: Vec<Component>) -> Vec<Component> {
    v.sort_by(|a, b| (&a.purl, &a.found_in).cmp(&(&b.purl, &b.found_in)));
    let mut out: Vec<Component> = Vec::with_capacity(v.len());
    for c in v {
        match out.last_mut() {
            Some(last) if last.purl == c.purl && last.found_in == c.found_in => {
                for l in c.licenses {
                    if !last.licenses.contains(&l) {
                        last.licenses.push(l);
                    }
                }
                last.local |= c.local;
            }
            _ => out.push(c),
        }
    }
    out
}

/// Lists the regular files under `root` (sorted by relative path), warning about links and
/// special files, within the entry budget.
fn list_dir(
    w: &mut Walker<'_>,
    root: &Path,
    name: &str,
) -> Result<Vec<(String, PathBuf)>, SbomError> {
    let mut files = Vec::new();
    let mut stack = vec![(String::new(), root.to_path_buf())];
    while let Some((rel, dir)) = stack.pop() {
        let shown = if rel.is_empty() {
            name.to_string()
        } else {
            format!("{name}/{rel}")
        };
        let rd = fs::read_dir(&dir).map_err(io_err(&shown))?;
        for entry in rd {
            let entry = entry.map_err(io_err(&shown))?;
            w.budget.add_entries(1, &shown)?;
            let raw = entry.file_name();
            let fname = match raw.to_str() {
                Some(f) if !f.chars().any(char::is_control) => f.to_owned(),
                Some(f) => {
                    return Err(SbomError::AmbiguousName {
                        path: format!("{shown}/{}", f.escape_debug()),
                        what: "a control character (such as a newline)",
                    })
                }
                None => {
                    return Err(SbomError::AmbiguousName {
                        path: format!("{shown}/{}", raw.to_string_lossy()),
                        what: "bytes that are not UTF-8",
                    })
                }
            };
            let child_rel = if rel.is_empty() {
                fname
            } else {
                format!("{rel}/{fname}")
            };
            let ft = entry.file_type().map_err(io_err(&shown))?;
            if ft.is_symlink() {
                w.warn(format!("{name}/{child_rel}: symbolic link; not followed"));
            } else if ft.is_dir() {
                stack.push((child_rel, entry.path()));
            } else if ft.is_file() {
                files.push((child_rel, entry.path()));
            } else {
                w.warn(format!("{name}/{child_rel}: special file; skipped"));
            }
        }
    }
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(files)
}

fn catalog_dir(w: &mut Walker<'_>, root: &Path, name: &str) -> Result<Subject, SbomError> {
    let files = list_dir(w, root, name)?;
    let mut manifest = Sha256::new();
    let mut size = 0u64;
    for (rel, fs_path) in &files {
        let shown = format!("{name}/{rel}");
        let f = fs::File::open(fs_path).map_err(io_err(&shown))?;
        let set = hash_reader(f, &[], &mut |_| {}, None).map_err(io_err(&shown))?;
        size += set.len;
        manifest.update(format!("{}  {rel}\n", set.sha256().to_hex()).as_bytes());
    }
    if image::is_oci_layout(root) {
        scan_oci_dir(w, root, name)?;
    } else {
        for (rel, fs_path) in &files {
            let shown = format!("{name}/{rel}");
            let res = w.scan_file(fs_path, &shown, rel, false);
            match res {
                Err(e) if e.is_recoverable() && !w.budget.tripped() => {
                    w.warn(format!("{e}; skipped"))
                }
                other => other?,
            }
        }
    }
    Ok(Subject {
        name: name.to_string(),
        sha256: hex::encode(manifest.finalize()),
        size,
        kind: SubjectKind::Directory,
    })
}

fn read_small(path: &Path, shown: &str, max: u64) -> Result<Vec<u8>, SbomError> {
    let f = fs::File::open(path).map_err(io_err(shown))?;
    let mut v = Vec::new();
    f.take(max.saturating_add(1))
        .read_to_end(&mut v)
        .map_err(io_err(shown))?;
    if v.len() as u64 > max {
        return Err(SbomError::Image {
            path: shown.to_string(),
            message: format!("larger than {max} bytes"),
        });
    }
    Ok(v)
}

/// An OCI image layout directory: `index.json` → manifest → layers, each scanned and checked
/// against its digest.
fn scan_oci_dir(w: &mut Walker<'_>, root: &Path, name: &str) -> Result<(), SbomError> {
    let max = w.budget.limits.max_lockfile_bytes;
    let index = read_small(&root.join("index.json"), &format!("{name}/index.json"), max)?;
    let mut get = |hex: &str| {
        read_small(
            &root.join("blobs/sha256").join(hex),
            &format!("{name}/blobs/sha256/{hex}"),
            max,
        )
    };
    let plan = image::plan_from_index(name, &index, &mut get)?;
    w.warnings.extend(plan.warnings.iter().cloned());
    let start = w.components.len();
    let mut keys = Vec::new();
    for d in &plan.layer_digests {
        let hex = image::parse_digest(d).unwrap_or_default().to_string();
        let key = format!("{name}/blobs/sha256/{hex}");
        let fs_path = root.join("blobs/sha256").join(&hex);
        let f = fs::File::open(&fs_path).map_err(|e| SbomError::Image {
            path: key.clone(),
            message: format!("layer blob missing: {e}"),
        })?;
        let size = f.metadata().map_err(io_err(&key))?.len();
        let mut h = Hashing {
            inner: BufReader::new(f),
            hasher: Sha256::new(),
        };
        let mut head = vec![0u8; 512];
        let n = read_up_to(&mut h, &mut head).map_err(io_err(&key))?;
        head.truncate(n);
        match Container::sniff(&head) {
            Some(c @ (Container::Tar | Container::Gzip | Container::Zstd | Container::Xz)) => {
                w.scanned.push(key.clone());
                let mut chained = std::io::Cursor::new(head).chain(&mut h);
                let res = w.scan_container(&key, c, &mut chained, Some(size), 1);
                match res {
                    Err(e) if e.is_recoverable() && !w.budget.tripped() => {
                        w.warn(format!("{e}; layer skipped"))
                    }
                    other => other?,
                }
            }
            _ => w.warn(format!(
                "{key}: layer is not a tar, tar+gzip or tar+zstd stream; skipped"
            )),
        }
        std::io::copy(&mut h, &mut std::io::sink()).map_err(io_err(&key))?;
        image::check_digest(&key, &hex, h.hasher)?;
        keys.push(key);
    }
    w.squash(start, &keys);
    w.add_image(name, plan.manifest_digest);
    Ok(())
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}
