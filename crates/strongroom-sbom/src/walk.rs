//! The walker: streams files, directories and nested archives (tar, gzip, xz, zstd, zip, ar/deb),
//! recognises metadata files by path and hands them to the parsers, under [`crate::Limits`].
//!
//! Architecture invariant: nothing is extracted to disk and nothing is followed: symlinks and
//! hard links are reported and skipped, entries with absolute paths or `..` are skipped. The only
//! whole-entry buffers are metadata files (≤ `max_lockfile_bytes`), zips nested in a stream
//! (≤ `max_buffered_bytes` in total at once) and small OCI blobs of an image tarball (≤ 64 MiB).

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::component::Component;
use crate::error::{LimitKind, SbomError};
use crate::image::{self, ImageProbe};
use crate::limits::{Budget, Counting, Metered};
use crate::parse::{self, debian, MetaKind};
use crate::tarstream::{ArStream, EntryKind, TarStream};

/// An archive or compression format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Container {
    Tar,
    Gzip,
    Xz,
    Zstd,
    Bzip2,
    Zip,
    /// `ar` archive: a `.deb`.
    Deb,
}

impl Container {
    pub fn by_name(name: &str) -> Option<Container> {
        let n = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
        let ends = |s: &str| n.ends_with(s);
        Some(if ends(".tar") {
            Container::Tar
        } else if ends(".tgz") || ends(".gz") {
            Container::Gzip
        } else if ends(".txz") || ends(".xz") {
            Container::Xz
        } else if ends(".tzst") || ends(".zst") {
            Container::Zstd
        } else if ends(".bz2") || ends(".tbz2") {
            Container::Bzip2
        } else if [".zip", ".jar", ".war", ".ear", ".whl", ".aar", ".egg"]
            .iter()
            .any(|e| ends(e))
        {
            Container::Zip
        } else if ends(".deb") || ends(".udeb") {
            Container::Deb
        } else {
            return None;
        })
    }

    /// Recognises a format by its first bytes.
    pub fn sniff(head: &[u8]) -> Option<Container> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Container::Gzip)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Container::Xz)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Container::Zstd)
        } else if head.starts_with(b"BZh") {
            Some(Container::Bzip2)
        } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Some(Container::Zip)
        } else if head.starts_with(b"!<arch>\n") {
            Some(Container::Deb)
        } else if head.len() >= 262 && &head[257..262] == b"ustar" {
            Some(Container::Tar)
        } else {
            None
        }
    }

    fn label(self) -> &'static str {
        match self {
            Container::Tar => "tar archive",
            Container::Gzip => "gzip stream",
            Container::Xz => "xz stream",
            Container::Zstd => "zstd stream",
            Container::Bzip2 => "bzip2 stream",
            Container::Zip => "zip archive",
            Container::Deb => "Debian package (ar archive)",
        }
    }
}

/// Reads up to 512 bytes for sniffing and returns them with a reader that replays them.
fn peek(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; 512];
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok(head)
}

/// Normalises an archive entry path: strips `./` and leading `/`-free forms; `None` for an
/// absolute path or one with a `..` component.
pub(crate) fn safe_rel(raw: &str) -> Option<String> {
    if raw.starts_with('/') || raw.starts_with('\\') {
        return None;
    }
    let mut parts = Vec::new();
    for p in raw.split('/') {
        match p {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Hashes what passes through it (an OCI blob being scanned).
pub(crate) struct Hashing<R> {
    pub inner: R,
    pub hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Where an image was found and the digest that names it.
#[derive(Debug)]
pub(crate) struct ImageFound {
    pub path: String,
    pub manifest_digest: Option<String>,
}

pub(crate) struct Walker<'b> {
    pub budget: &'b Budget,
    pub components: Vec<Component>,
    pub warnings: Vec<String>,
    /// `found_in` paths of every file handled (metadata or archive), for image layer squashing.
    pub scanned: Vec<String>,
    /// `found_in` paths of overlay whiteout entries (`.wh.*`).
    pub whiteouts: Vec<String>,
    /// `ID=` of each os-release file seen, with where.
    pub os_ids: Vec<(String, String)>,
    pub images: Vec<ImageFound>,
}

impl<'b> Walker<'b> {
    pub fn new(budget: &'b Budget) -> Self {
        Walker {
            budget,
            components: Vec::new(),
            warnings: Vec::new(),
            scanned: Vec::new(),
            whiteouts: Vec::new(),
            os_ids: Vec::new(),
            images: Vec::new(),
        }
    }

    pub fn warn(&mut self, w: String) {
        self.warnings.push(w);
    }

    /// Turns a recoverable error about one nested file into a warning; hard errors (limits,
    /// image integrity) go on up.
    fn soft(&mut self, r: Result<(), SbomError>) -> Result<(), SbomError> {
        if let Some(t) = self.budget.take_trip() {
            return Err(t);
        }
        match r {
            Err(e) if e.is_recoverable() => {
                self.warnings.push(format!("{e}; skipped"));
                Ok(())
            }
            other => other,
        }
    }

    fn check_depth(&self, path: &str, depth: u32) -> Result<(), SbomError> {
        if depth > self.budget.limits.max_depth {
            return Err(SbomError::LimitExceeded {
                path: path.to_string(),
                limit: LimitKind::Depth,
                detail: format!(
                    "archives nested more than {} levels deep: nested-archive bomb?",
                    self.budget.limits.max_depth
                ),
            });
        }
        Ok(())
    }

    /// Reads a metadata file into memory. `Ok(None)` (with a warning) when it is too large and
    /// `top` is false.
    fn read_meta(
        &mut self,
        path: &str,
        r: &mut dyn Read,
        size: Option<u64>,
        top: bool,
    ) -> Result<Option<Vec<u8>>, SbomError> {
        let max = self.budget.limits.max_lockfile_bytes;
        let too_big = |n: String| SbomError::LimitExceeded {
            path: path.to_string(),
            limit: LimitKind::LockfileBytes,
            detail: format!("{n} bytes, more than {max}"),
        };
        if let Some(s) = size.filter(|&s| s > max) {
            if top {
                return Err(too_big(s.to_string()));
            }
            self.warn(format!("{}; skipped", too_big(s.to_string())));
            return Ok(None);
        }
        let mut buf = Vec::new();
        r.take(max.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| self.budget.io_error(path, "file", e))?;
        if buf.len() as u64 > max {
            if top {
                return Err(too_big("more than".to_string()));
            }
            self.warn(format!("{}; skipped", too_big("over".to_string())));
            return Ok(None);
        }
        Ok(Some(buf))
    }

    /// Parses a metadata file and records what it holds.
    pub fn handle_meta(
        &mut self,
        kind: MetaKind,
        path: &str,
        r: &mut dyn Read,
        size: Option<u64>,
        top: bool,
    ) -> Result<(), SbomError> {
        self.scanned.push(path.to_string());
        let Some(bytes) = self.read_meta(path, r, size, top)? else {
            return Ok(());
        };
        let parsed = parse::parse(kind, &bytes, path)?;
        drop(bytes);
        let max = self.budget.limits.max_components;
        let total = (self.components.len() + parsed.components.len()) as u64;
        if total > max {
            return Err(SbomError::LimitExceeded {
                path: path.to_string(),
                limit: LimitKind::Components,
                detail: format!("{total} components, more than {max}"),
            });
        }
        self.components.extend(parsed.components);
        self.warnings.extend(parsed.warnings);
        if let Some(id) = parsed.os_id {
            self.os_ids.push((path.to_string(), id));
        }
        Ok(())
    }

    /// Scans one entry of an archive or directory: a metadata file, a nested archive, or
    /// nothing. `rel` is its path inside its immediate container; `depth` the nesting level of
    /// that container (an archive found here is at `depth + 1`).
    pub fn scan_entry(
        &mut self,
        path: &str,
        rel: &str,
        r: &mut dyn Read,
        size: Option<u64>,
        depth: u32,
        sniff: bool,
    ) -> Result<(), SbomError> {
        if let Some(kind) = parse::classify(rel) {
            return self.handle_meta(kind, path, r, size, false);
        }
        let by_name = Container::by_name(rel);
        if by_name.is_none() && !sniff {
            return Ok(());
        }
        let head = peek(r).map_err(|e| self.budget.io_error(path, "file", e))?;
        let Some(c) = Container::sniff(&head).or(by_name) else {
            return Ok(());
        };
        self.scanned.push(path.to_string());
        let mut chained = Cursor::new(head).chain(r);
        self.scan_container(path, c, &mut chained, size, depth + 1)
    }

    /// Scans an archive or compressed stream at nesting level `depth`.
    pub fn scan_container(
        &mut self,
        path: &str,
        c: Container,
        r: &mut dyn Read,
        size: Option<u64>,
        depth: u32,
    ) -> Result<(), SbomError> {
        self.check_depth(path, depth)?;
        let budget = self.budget;
        match c {
            Container::Tar => self.scan_tar(path, r, depth),
            Container::Gzip | Container::Xz | Container::Zstd => {
                let counter = Cell::new(0u64);
                let mut dec = decoder(c, r, &counter, budget, path)?;
                let head = peek(&mut dec).map_err(|e| budget.io_error(path, c.label(), e))?;
                match Container::sniff(&head) {
                    Some(Container::Tar) => {
                        let mut chained = Cursor::new(head).chain(dec);
                        self.scan_tar(path, &mut chained, depth)
                    }
                    Some(inner @ (Container::Zip | Container::Deb)) => {
                        let mut chained = Cursor::new(head).chain(dec);
                        self.scan_container(path, inner, &mut chained, None, depth)
                    }
                    _ => Ok(()),
                }
            }
            Container::Bzip2 => Err(SbomError::Unsupported {
                path: path.to_string(),
                message: "bzip2 streams are not read".into(),
            }),
            Container::Zip => self.spool_zip(path, r, size, depth),
            Container::Deb => self.scan_deb(path, r, depth),
        }
    }

    /// A zip inside a stream needs random access: spool it to a nameless temporary file (gone
    /// with the process), within the buffer budget, and read it with SafeZip.
    fn spool_zip(
        &mut self,
        path: &str,
        r: &mut dyn Read,
        size: Option<u64>,
        depth: u32,
    ) -> Result<(), SbomError> {
        let budget = self.budget;
        let avail = budget.available_buffer().min(budget.limits.max_entry_bytes);
        let skip = |w: &mut Self| {
            w.warn(format!(
                "{path}: nested zip larger than the {} bytes allowed (max_buffered_bytes, max_entry_bytes); skipped",
                avail
            ));
            Ok(())
        };
        if size.is_some_and(|s| s > avail) {
            return skip(self);
        }
        let io = |e| budget.io_error(path, "zip archive", e);
        let mut spool = tempfile::tempfile().map_err(io)?;
        let n = io::copy(&mut r.take(avail.saturating_add(1)), &mut spool).map_err(io)?;
        if n > avail {
            return skip(self);
        }
        spool.rewind().map_err(io)?;
        budget.reserve_buffer(n);
        let res = self.scan_zip(path, spool, depth);
        budget.release_buffer(n);
        res
    }

    /// Scans a tar stream at nesting level `depth`; detects docker-save / OCI image tarballs.
    pub fn scan_tar(&mut self, path: &str, r: &mut dyn Read, depth: u32) -> Result<(), SbomError> {
        let budget = self.budget;
        let start = self.components.len();
        let mut probe = ImageProbe::default();
        let mut ts = TarStream::new(r);
        loop {
            let entry = match ts.next_entry() {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(e) => return Err(budget.io_error(path, "tar archive", e)),
            };
            budget.add_entries(1, path)?;
            let Some(rel) = safe_rel(&entry.path) else {
                self.warn(format!(
                    "{path}!/{}: absolute path or `..` in an archive entry; skipped",
                    entry.path
                ));
                continue;
            };
            match entry.kind {
                EntryKind::File => {}
                EntryKind::Symlink => {
                    self.warn(format!(
                        "{path}!/{rel}: symbolic link to {:?}; not followed",
                        entry.link
                    ));
                    continue;
                }
                EntryKind::Hardlink => {
                    self.warn(format!(
                        "{path}!/{rel}: hard link to {:?}; not followed",
                        entry.link
                    ));
                    continue;
                }
                EntryKind::Dir | EntryKind::Other(_) => continue,
            }
            if rel.is_empty() {
                continue;
            }
            let child = format!("{path}!/{rel}");
            let base = rel.rsplit('/').next().unwrap_or(&rel);
            if base.starts_with(".wh.") {
                self.whiteouts.push(child);
                continue;
            }
            if image::is_root_meta(&rel) && entry.size <= image::SMALL_BLOB {
                let mut v = Vec::new();
                ts.data()
                    .read_to_end(&mut v)
                    .map_err(|e| budget.io_error(&child, "tar archive", e))?;
                probe.add_root_meta(&rel, v);
                continue;
            }
            if let Some(hex) = image::blob_hex(&rel) {
                let hex = hex.to_string();
                let res = self.scan_blob(
                    &child,
                    &rel,
                    &hex,
                    &mut ts.data(),
                    entry.size,
                    depth,
                    &mut probe,
                );
                self.soft(res)?;
                continue;
            }
            let res = self.scan_entry(&child, &rel, &mut ts.data(), Some(entry.size), depth, true);
            self.soft(res)?;
        }
        if probe.is_image() {
            self.finish_image_tar(path, probe, start)?;
        }
        Ok(())
    }

    /// An OCI blob inside an image tarball: scanned like any entry, hashed on the way, checked
    /// against its name; small ones are kept for the image's manifest lookup.
    #[allow(clippy::too_many_arguments)]
    fn scan_blob(
        &mut self,
        child: &str,
        rel: &str,
        hex: &str,
        data: &mut dyn Read,
        size: u64,
        depth: u32,
        probe: &mut ImageProbe,
    ) -> Result<(), SbomError> {
        let budget = self.budget;
        let mut h = Hashing {
            inner: data,
            hasher: Sha256::new(),
        };
        if size <= image::SMALL_BLOB && probe.can_keep(size) {
            let mut v = Vec::new();
            h.read_to_end(&mut v)
                .map_err(|e| budget.io_error(child, "tar archive", e))?;
            image::check_digest(child, hex, h.hasher)?;
            let res = self.scan_entry(child, rel, &mut &v[..], Some(size), depth, true);
            probe.keep_blob(hex, v);
            return res;
        }
        let res = self.scan_entry(child, rel, &mut h, Some(size), depth, true);
        if let Some(t) = budget.take_trip() {
            return Err(t);
        }
        io::copy(&mut h, &mut io::sink()).map_err(|e| budget.io_error(child, "tar archive", e))?;
        image::check_digest(child, hex, h.hasher)?;
        res
    }

    fn finish_image_tar(
        &mut self,
        path: &str,
        probe: ImageProbe,
        start: usize,
    ) -> Result<(), SbomError> {
        let plan = probe.plan(path)?;
        self.warnings.extend(plan.warnings.iter().cloned());
        let keys: Vec<String> = plan
            .layer_paths
            .iter()
            .map(|l| format!("{path}!/{l}"))
            .collect();
        for k in &keys {
            if !self.scanned.iter().any(|s| s == k) {
                self.warn(format!("{k}: image layer not found in the archive"));
            }
        }
        self.squash(start, &keys);
        self.images.push(ImageFound {
            path: path.to_string(),
            manifest_digest: plan.manifest_digest,
        });
        Ok(())
    }

    /// Keeps, for each file path of an image's merged file system, only what its topmost layer
    /// holds, and drops what a later layer whites out.
    pub fn squash(&mut self, start: usize, keys: &[String]) {
        let layer_of = |found_in: &str| -> Option<(usize, String)> {
            keys.iter().enumerate().rev().find_map(|(i, k)| {
                let rest = found_in.strip_prefix(k.as_str())?.strip_prefix("!/")?;
                Some((i, rest.split("!/").next().unwrap_or(rest).to_string()))
            })
        };
        let n = keys.len();
        let mut touched: Vec<Vec<String>> = vec![Vec::new(); n];
        let mut deleted: Vec<Vec<String>> = vec![Vec::new(); n];
        let mut opaque: Vec<Vec<String>> = vec![Vec::new(); n];
        for s in &self.scanned {
            if let Some((i, p)) = layer_of(s) {
                touched[i].push(p);
            }
        }
        for w in &self.whiteouts {
            if let Some((i, p)) = layer_of(w) {
                let (dir, base) = p.rsplit_once('/').unwrap_or(("", &p));
                if base == ".wh..wh..opq" {
                    opaque[i].push(dir.to_string());
                } else if let Some(name) = base.strip_prefix(".wh.") {
                    deleted[i].push(if dir.is_empty() {
                        name.to_string()
                    } else {
                        format!("{dir}/{name}")
                    });
                }
            }
        }
        let under = |p: &str, d: &str| d.is_empty() || p.starts_with(&format!("{d}/"));
        let mut kept = Vec::new();
        let mut hidden = 0usize;
        for c in self.components.drain(start..) {
            let keep = match layer_of(&c.found_in) {
                None => true,
                Some((i, p)) => !(i + 1..n).any(|j| {
                    touched[j].contains(&p)
                        || deleted[j].iter().any(|d| p == *d || under(&p, d))
                        || opaque[j].iter().any(|d| under(&p, d))
                }),
            };
            if keep {
                kept.push(c);
            } else {
                hidden += 1;
            }
        }
        if hidden > 0 {
            self.warnings.push(format!(
                "{hidden} component(s) from files that a later image layer replaced or deleted were left out"
            ));
        }
        self.components.extend(kept);
    }

    /// Scans a zip archive (jar, war, ear, wheel, zip) at nesting level `depth`, read by
    /// SafeZip (the one reader of untrusted zips): an archive with an unsafe name, a link, an
    /// encrypted member or a lying header is refused whole. Entries are recognised by name only.
    pub fn scan_zip(&mut self, path: &str, file: File, depth: u32) -> Result<(), SbomError> {
        let budget = self.budget;
        let limits = &budget.limits;
        let zip = strongroom_bundle::SafeZip::from_file(file, Path::new(path), &zip_limits(limits))
            .map_err(|e| zip_error(budget, path, e))?;
        budget.add_entries(zip.len() as u64, path)?;
        for entry in zip.entries() {
            let (rel, size, csize) = (entry.name(), entry.size(), entry.compressed_size());
            let child = format!("{path}!/{rel}");
            if parse::classify(rel).is_none() && Container::by_name(rel).is_none() {
                continue;
            }
            if size > limits.max_entry_bytes {
                self.warn(format!(
                    "{child}: {} ({size} bytes declared); skipped",
                    LimitKind::EntryBytes
                ));
                continue;
            }
            let f = match zip.reader(rel) {
                Ok(f) => f,
                Err(e) => {
                    let e = zip_error(budget, path, e);
                    self.soft(Err(e))?;
                    continue;
                }
            };
            let mut m = Metered::new(f, budget, &child, size).with_compressed_size(csize);
            let res = self.scan_entry(&child, rel, &mut m, Some(size), depth, false);
            self.soft(res)?;
        }
        Ok(())
    }

    /// Scans a `.deb`: the `control` file of `control.tar.*` gives the package; `data.tar.*` is
    /// scanned as a nested archive.
    pub fn scan_deb(&mut self, path: &str, r: &mut dyn Read, depth: u32) -> Result<(), SbomError> {
        let budget = self.budget;
        let mut ar = ArStream::new(r);
        let mut found_control = false;
        loop {
            let (name, size) = match ar.next_member() {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => return Err(budget.io_error(path, "Debian package (ar archive)", e)),
            };
            budget.add_entries(1, path)?;
            let child = format!("{path}!/{name}");
            if name.starts_with("control.tar") {
                let c = self.deb_control(path, &child, &name, &mut ar.data())?;
                self.components.push(c);
                found_control = true;
            } else if name.starts_with("data.tar") {
                let res = self.scan_entry(&child, &name, &mut ar.data(), Some(size), depth, true);
                self.soft(res)?;
            }
        }
        if !found_control {
            return Err(SbomError::Corrupt {
                path: path.to_string(),
                format: "Debian package (ar archive)",
                message: "no control.tar member".into(),
            });
        }
        Ok(())
    }

    fn deb_control(
        &mut self,
        deb: &str,
        child: &str,
        member: &str,
        r: &mut dyn Read,
    ) -> Result<Component, SbomError> {
        let budget = self.budget;
        let counter = Cell::new(0u64);
        let mut reader: Box<dyn Read + '_> = match Container::by_name(member) {
            Some(c @ (Container::Gzip | Container::Xz | Container::Zstd)) => {
                decoder(c, r, &counter, budget, child)?
            }
            Some(Container::Tar) => Box::new(r),
            _ => {
                return Err(SbomError::Unsupported {
                    path: child.to_string(),
                    message: format!("control member compression of {member}"),
                })
            }
        };
        let mut ts = TarStream::new(&mut reader);
        while let Some(e) = ts
            .next_entry()
            .map_err(|e| budget.io_error(child, "tar archive", e))?
        {
            if e.kind == EntryKind::File && safe_rel(&e.path).as_deref() == Some("control") {
                self.scanned.push(deb.to_string());
                let bytes = self
                    .read_meta(
                        &format!("{child}!/control"),
                        &mut ts.data(),
                        Some(e.size),
                        true,
                    )?
                    .unwrap_or_default();
                return debian::parse_control(&bytes, deb);
            }
        }
        Err(SbomError::Corrupt {
            path: child.to_string(),
            format: "Debian package (ar archive)",
            message: "control.tar has no ./control file".into(),
        })
    }

    /// Scans a file on disk found at `path` (display form); `top` for the subject itself.
    pub fn scan_file(
        &mut self,
        fs_path: &Path,
        path: &str,
        rel: &str,
        top: bool,
    ) -> Result<(), SbomError> {
        let io_err = |e| SbomError::Io {
            path: path.to_string(),
            source: e,
        };
        let kind = if top {
            parse::classify_top(rel)
        } else {
            parse::classify(rel)
        };
        let mut file = File::open(fs_path).map_err(io_err)?;
        let size = file.metadata().map_err(io_err)?.len();
        if let Some(kind) = kind {
            return self.handle_meta(kind, path, &mut file, Some(size), top);
        }
        let by_name = Container::by_name(rel);
        let c = if top {
            let head = peek(&mut file).map_err(io_err)?;
            file.rewind().map_err(io_err)?;
            Container::sniff(&head).or(by_name)
        } else {
            by_name
        };
        let Some(c) = c else {
            if top {
                self.warn(format!(
                    "{path}: not a lockfile, package or archive this cataloguer reads"
                ));
            }
            return Ok(());
        };
        self.scanned.push(path.to_string());
        let depth = 1;
        if c == Container::Zip {
            self.check_depth(path, depth)?;
            return self.scan_zip(path, file, depth);
        }
        let mut br = BufReader::new(file);
        self.scan_container(path, c, &mut br, Some(size), depth)
    }

    /// Adds image post-processing results for an OCI layout directory.
    pub fn add_image(&mut self, path: &str, digest: Option<String>) {
        self.images.push(ImageFound {
            path: path.to_string(),
            manifest_digest: digest,
        });
    }
}

/// A metered decompressor over `r`.
pub(crate) fn decoder<'a>(
    c: Container,
    r: &'a mut dyn Read,
    counter: &'a Cell<u64>,
    budget: &'a Budget,
    path: &'a str,
) -> Result<Box<dyn Read + 'a>, SbomError> {
    let counted = Counting {
        inner: BufReader::new(r),
        count: counter,
    };
    // A decompressed stream is a whole archive, not an entry: only the run total and the ratio
    // bound it (entries inside are bounded one by one where they are read).
    let max = u64::MAX;
    Ok(match c {
        Container::Gzip => Box::new(
            Metered::new(
                flate2::read::MultiGzDecoder::new(counted),
                budget,
                path,
                max,
            )
            .with_ratio_counter(counter),
        ),
        Container::Xz => Box::new(
            Metered::new(
                lzma_rust2::XzReader::new_mem_limit(counted, true, 64 * 1024),
                budget,
                path,
                max,
            )
            .with_ratio_counter(counter),
        ),
        Container::Zstd => {
            let dec = ruzstd::decoding::StreamingDecoder::new(counted).map_err(|e| {
                SbomError::Corrupt {
                    path: path.to_string(),
                    format: "zstd stream",
                    message: e.to_string(),
                }
            })?;
            Box::new(Metered::new(dec, budget, path, max).with_ratio_counter(counter))
        }
        other => {
            return Err(SbomError::Unsupported {
                path: path.to_string(),
                message: format!("{} is not a compression", other.label()),
            })
        }
    })
}

/// SafeZip's bounds for cataloguing: the entry count and ratio of the SBOM [`Limits`]; sizes are
/// metered as they are read (an oversized entry is skipped, not fatal); names are never
/// extracted, so case-only twins (common in jars) pass.
fn zip_limits(limits: &crate::Limits) -> strongroom_bundle::Limits {
    strongroom_bundle::Limits {
        max_entries: limits.max_entries,
        max_entry_bytes: u64::MAX,
        max_total_bytes: u64::MAX,
        max_ratio: limits.max_ratio,
        ratio_floor: crate::limits::RATIO_FLOOR,
        fold_case: false,
    }
}

/// A SafeZip refusal as an SBOM error: limits stay limits (fatal); the rest is a damaged or
/// unsafe archive, recoverable when it is nested (the walk goes on with a warning).
fn zip_error(budget: &Budget, path: &str, e: strongroom_bundle::BundleError) -> SbomError {
    use strongroom_bundle::{BundleError as B, LimitKind as Z};
    if let Some(t) = budget.take_trip() {
        return t;
    }
    match e {
        B::Io { source, .. } => budget.io_error(path, "zip archive", source),
        B::LimitExceeded {
            entry,
            limit,
            actual,
            allowed,
            ..
        } => {
            let kind = match limit {
                Z::Entries => LimitKind::Entries,
                Z::Ratio => LimitKind::Ratio,
                Z::TotalBytes => LimitKind::TotalBytes,
                _ => LimitKind::EntryBytes,
            };
            let what = match limit {
                Z::Ratio => {
                    format!("zip entry declares more than {allowed}:1 ({actual}:1): zip bomb?")
                }
                _ => format!("{actual} > {allowed}"),
            };
            SbomError::LimitExceeded {
                path: match entry {
                    Some(e) => format!("{path}!/{e}"),
                    None => path.to_string(),
                },
                limit: kind,
                detail: what,
            }
        }
        B::EncryptedEntry { .. } | B::UnsupportedCompression { .. } => SbomError::Unsupported {
            path: path.to_string(),
            message: strip_path(&e.to_string(), path),
        },
        other => SbomError::Corrupt {
            path: path.to_string(),
            format: "zip archive",
            message: strip_path(&other.to_string(), path),
        },
    }
}

/// SafeZip's messages start with the archive's path, which the SBOM error already names.
fn strip_path(message: &str, path: &str) -> String {
    message
        .strip_prefix(path)
        .map(|m| m.trim_start_matches(':').trim_start())
        .unwrap_or(message)
        .to_owned()
}
