//! Safe import of untrusted zips: [`SafeZip::open`] checks the whole central directory (and every
//! local header) against [`Limits`] and the path rules before any entry is read, and every read
//! stops as soon as an entry yields more bytes than it declared, so memory and disk stay bounded
//! whatever the zip claims.
//!
//! This is our own reader of the zip structures (APPNOTE 6.3.10), not the `zip` crate's: it
//! refuses by entry count before parsing a single record, compares each local header with its
//! central record (so streaming extractors cannot be shown other content), and detects
//! overlapping entries. Inflation is `flate2`'s.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{BundleError, LimitKind, PathProblem, UnsafeEntry};
use crate::manifest::Sha256Digest;
use crate::paths::{check_path, MAX_PATH_BYTES};

/// Resource bounds for reading an untrusted zip. The defaults suit release bundles; raise them
/// for a file you trust.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most entries (files and directories) in the central directory. Default 50,000.
    pub max_entries: u64,
    /// Largest declared uncompressed size of one entry. Default 16 GiB.
    pub max_entry_bytes: u64,
    /// Largest sum of declared uncompressed sizes. Default 64 GiB.
    pub max_total_bytes: u64,
    /// Largest uncompressed/compressed ratio of one entry. Default 200.
    pub max_ratio: u64,
    /// Entries of at most this many uncompressed bytes are not ratio-checked, so small, very
    /// compressible JSON files pass. Default 64 KiB.
    pub ratio_floor: u64,
    /// Refuse names equal but for case (`A.txt` and `a.txt`) and names that are a file and,
    /// ignoring case, a directory: they would overwrite each other when extracted on a
    /// case-insensitive file system. Default `true`. A reader that never extracts (the SBOM
    /// cataloguer reading jars, where such twins occur) turns it off; exact duplicates and
    /// exact file/directory conflicts are refused either way.
    pub fold_case: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 50_000,
            max_entry_bytes: 16 << 30,
            max_total_bytes: 64 << 30,
            max_ratio: 200,
            ratio_floor: 64 << 10,
            fold_case: true,
        }
    }
}

const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;
const EOCD_LEN: usize = 22;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;

const FLAG_ENCRYPTED: u16 = 1;
const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
const FLAG_UTF8: u16 = 1 << 11;
const FLAG_MASKED_HEADERS: u16 = 1 << 13;

const EXTRA_ZIP64: u16 = 0x0001;
const EXTRA_AES: u16 = 0x9901;
const EXTRA_UNICODE_PATH: u16 = 0x7075;

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;
const DOS_DIRECTORY: u32 = 0x10;

/// How an entry's data is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Stored,
    Deflated,
}

/// One regular file of a checked zip.
#[derive(Clone, Debug)]
pub struct EntryInfo {
    name: String,
    size: u64,
    compressed_size: u64,
    method: Method,
    crc32: u32,
    data_start: u64,
}

impl EntryInfo {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The uncompressed size the central directory declares (reads enforce it).
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn compressed_size(&self) -> u64 {
        self.compressed_size
    }
    pub fn method(&self) -> Method {
        self.method
    }
}

/// A zip whose structure has been checked. Reads take `&self` (positioned reads), so one
/// `SafeZip` can be shared between threads.
#[derive(Debug)]
pub struct SafeZip {
    path: PathBuf,
    file: File,
    /// Regular files, sorted by name.
    entries: Vec<EntryInfo>,
    /// Plain directory entries: checked, then ignored.
    directories: Vec<String>,
}

/// A central-directory record before the per-archive checks.
struct RawEntry {
    name: String,
    is_dir: bool,
    size: u64,
    compressed_size: u64,
    method: Method,
    crc32: u32,
    flags: u16,
    local_offset: u64,
}

impl SafeZip {
    /// Opens `path` and checks its whole structure; no entry data is read.
    ///
    /// Refused: more than `limits.max_entries` entries (before any record is parsed), declared
    /// sizes or ratios over the limits, absolute paths, drive letters, backslashes, `.`/`..` or
    /// empty components, control characters, non-UTF-8 names, symbolic links and other
    /// non-regular files, duplicate names (also when letter case is ignored), a name used as
    /// both file and directory, encrypted entries, compression other than stored or deflate,
    /// local headers that disagree with the central directory, overlapping entries, multi-disk
    /// archives, and data before the first entry or after the end record. Directory entries
    /// (`name/`, no data) are accepted and ignored.
    pub fn open(path: &Path, limits: &Limits) -> Result<SafeZip, BundleError> {
        let file = File::open(path).map_err(|e| BundleError::io(path, e))?;
        SafeZip::from_file(file, path, limits)
    }

    /// [`SafeZip::open`] on a file already open (a decrypted bundle that has no name on disk);
    /// `path` names it in messages.
    pub fn from_file(file: File, path: &Path, limits: &Limits) -> Result<SafeZip, BundleError> {
        let meta = file.metadata().map_err(|e| BundleError::io(path, e))?;
        if !meta.is_file() {
            return Err(BundleError::NotAZip {
                path: path.to_owned(),
                reason: "not a regular file".into(),
            });
        }
        let mut zip = SafeZip {
            path: path.to_owned(),
            file,
            entries: Vec::new(),
            directories: Vec::new(),
        };
        zip.load(meta.len(), limits)?;
        Ok(zip)
    }

    /// The zip's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The names of the regular files, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The regular files, sorted by name.
    pub fn entries(&self) -> &[EntryInfo] {
        &self.entries
    }

    /// The ignored directory entries (without their trailing `/`), sorted.
    pub fn directories(&self) -> &[String] {
        &self.directories
    }

    /// The number of regular files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The regular file called `name`.
    pub fn entry(&self, name: &str) -> Option<&EntryInfo> {
        self.entries
            .binary_search_by(|e| e.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.entries[i])
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    /// A reader of the entry's uncompressed bytes that fails once more bytes come out than the
    /// entry declares, or at the end when fewer came out or the CRC-32 differs.
    pub fn reader(&self, name: &str) -> Result<EntryReader<'_>, BundleError> {
        let entry = self.entry(name).ok_or_else(|| BundleError::NoSuchEntry {
            path: self.path.clone(),
            entry: name.to_owned(),
        })?;
        let raw = PosReader {
            file: &self.file,
            pos: entry.data_start,
        }
        .take(entry.compressed_size);
        let inner = match entry.method {
            Method::Stored => Inner::Stored(raw),
            Method::Deflated => Inner::Deflated(Box::new(flate2::read::DeflateDecoder::new(raw))),
        };
        Ok(EntryReader {
            zip: self,
            entry,
            inner,
            produced: 0,
            crc: flate2::Crc::new(),
            done: false,
        })
    }

    /// Reads a whole entry into memory, refusing entries that declare more than `max_read`
    /// bytes.
    pub fn read(&self, name: &str, max_read: u64) -> Result<Vec<u8>, BundleError> {
        let mut r = self.reader(name)?;
        let size = r.entry.size;
        if size > max_read {
            return Err(BundleError::LimitExceeded {
                path: self.path.clone(),
                entry: Some(name.to_owned()),
                limit: LimitKind::ReadCap,
                actual: size,
                allowed: max_read,
            });
        }
        let mut out = Vec::with_capacity(size as usize);
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = r.read_checked(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    /// Streams an entry into `out`; returns the number of bytes written.
    pub fn copy_to(&self, name: &str, out: &mut dyn Write) -> Result<u64, BundleError> {
        let mut r = self.reader(name)?;
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0u64;
        loop {
            let n = r.read_checked(&mut buf)?;
            if n == 0 {
                return Ok(total);
            }
            out.write_all(&buf[..n])
                .map_err(|source| BundleError::Write {
                    entry: name.to_owned(),
                    source,
                })?;
            total += n as u64;
        }
    }

    /// SHA-256 and length of an entry, by streaming.
    pub fn hash(&self, name: &str) -> Result<(Sha256Digest, u64), BundleError> {
        let set = self.digests(name, &[])?;
        Ok(Sha256Digest::of_set(&set))
    }

    /// SHA-256 and every algorithm of `extra` over an entry, in one streaming pass (core's one
    /// hasher); the reader's checks (declared size, inflation) hold as for any read.
    pub fn digests(
        &self,
        name: &str,
        extra: &[strongroom_core::HashAlg],
    ) -> Result<strongroom_core::digest::DigestSet, BundleError> {
        let mut r = self.reader(name)?;
        let mut failure = None;
        let set = strongroom_core::digest::hash_reader(
            ReadChecked {
                reader: &mut r,
                failure: &mut failure,
            },
            extra,
            &mut |_| {},
            None,
        );
        match (set, failure) {
            (_, Some(e)) => Err(e),
            (Ok(set), None) => Ok(set),
            (Err(e), None) => Err(BundleError::io(&self.path, e)),
        }
    }

    /// Extracts every regular file into a fresh temporary directory (removed when the returned
    /// handle drops). Nothing is written outside it: names were checked at open, directories
    /// are created only from checked names, and files are created with `create_new`, which
    /// never follows a link.
    pub fn extract_to_fresh_tempdir(&self) -> Result<tempfile::TempDir, BundleError> {
        let dir = tempfile::Builder::new()
            .prefix("strongroom-bundle-")
            .tempdir()
            .map_err(|e| BundleError::io(std::env::temp_dir(), e))?;
        self.extract_into(&dir)?;
        Ok(dir)
    }

    /// As [`Self::extract_to_fresh_tempdir`], with the temporary directory made inside
    /// `parent`.
    pub fn extract_to_fresh_tempdir_in(
        &self,
        parent: &Path,
    ) -> Result<tempfile::TempDir, BundleError> {
        let dir = tempfile::Builder::new()
            .prefix("strongroom-bundle-")
            .tempdir_in(parent)
            .map_err(|e| BundleError::io(parent, e))?;
        self.extract_into(&dir)?;
        Ok(dir)
    }

    fn extract_into(&self, dir: &tempfile::TempDir) -> Result<(), BundleError> {
        for e in &self.entries {
            let mut dest = dir.path().to_path_buf();
            for c in e.name.split('/') {
                dest.push(c);
            }
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|err| BundleError::io(parent, err))?;
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&dest)
                .map_err(|err| BundleError::io(&dest, err))?;
            self.copy_to(&e.name, &mut f).map_err(|err| match err {
                BundleError::Write { source, .. } => BundleError::io(&dest, source),
                other => other,
            })?;
            f.sync_all().map_err(|err| BundleError::io(&dest, err))?;
        }
        Ok(())
    }

    fn corrupt(&self, entry: Option<&str>, reason: impl Into<String>) -> BundleError {
        BundleError::Corrupt {
            path: self.path.clone(),
            entry: entry.map(str::to_owned),
            reason: reason.into(),
        }
    }

    fn unsafe_entry(&self, entry: &str, reason: UnsafeEntry) -> BundleError {
        BundleError::UnsafeEntry {
            path: self.path.clone(),
            entry: entry.to_owned(),
            reason,
        }
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), BundleError> {
        read_exact_at(&self.file, buf, offset).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                self.corrupt(
                    None,
                    format!("truncated: a record at offset {offset} runs past the end of the file"),
                )
            } else {
                BundleError::io(&self.path, e)
            }
        })
    }

    fn load(&mut self, file_len: u64, limits: &Limits) -> Result<(), BundleError> {
        let eocd = self.find_end(file_len)?;
        if eocd.count > limits.max_entries {
            return Err(BundleError::LimitExceeded {
                path: self.path.clone(),
                entry: None,
                limit: LimitKind::Entries,
                actual: eocd.count,
                allowed: limits.max_entries,
            });
        }
        if eocd.cd_offset.checked_add(eocd.cd_size) != Some(eocd.cd_end) {
            return Err(self.corrupt(
                None,
                "the central directory is not where the end record says (data before the first entry, or a damaged end record)",
            ));
        }
        if eocd.cd_size < eocd.count.saturating_mul(CENTRAL_LEN as u64) {
            return Err(self.corrupt(
                None,
                "the central directory is too small for its entry count",
            ));
        }

        let raw = self.read_central_directory(&eocd, limits)?;
        let mut files: Vec<RawEntry> = Vec::with_capacity(raw.len());
        let mut dirs: Vec<String> = Vec::new();
        for r in raw {
            if r.is_dir {
                dirs.push(r.name);
            } else {
                files.push(r);
            }
        }
        self.check_names(&mut files, &mut dirs, limits.fold_case)?;
        self.check_local_headers(files, eocd.cd_offset)?;
        self.directories = dirs;
        Ok(())
    }

    fn find_end(&self, file_len: u64) -> Result<EndRecord, BundleError> {
        if file_len < EOCD_LEN as u64 {
            return Err(self.not_a_zip_or_truncated(file_len, "too short to be a zip"));
        }
        let tail_len = file_len.min((EOCD_LEN + 0xFFFF) as u64) as usize;
        let tail_start = file_len - tail_len as u64;
        let mut tail = vec![0u8; tail_len];
        self.read_at(tail_start, &mut tail)?;
        // The last end record whose comment reaches exactly the end of the file.
        let found = (0..=tail_len - EOCD_LEN).rev().find(|&i| {
            le32(&tail[i..]) == EOCD_SIG
                && usize::from(le16(&tail[i + 20..])) == tail_len - i - EOCD_LEN
        });
        let Some(i) = found else {
            let any = (0..=tail_len - EOCD_LEN).any(|i| le32(&tail[i..]) == EOCD_SIG);
            return Err(if any {
                self.corrupt(
                    None,
                    "the end-of-central-directory record does not end the file (trailing data)",
                )
            } else {
                self.not_a_zip_or_truncated(file_len, "no end-of-central-directory record")
            });
        };
        let e = &tail[i..];
        let eocd_pos = tail_start + i as u64;
        let disk = le16(&e[4..]);
        let cd_disk = le16(&e[6..]);
        let count_disk = le16(&e[8..]);
        let count = le16(&e[10..]);
        let cd_size = le32(&e[12..]);
        let cd_offset = le32(&e[16..]);
        if disk != 0 || cd_disk != 0 || count_disk != count {
            return Err(self.corrupt(None, "multi-disk (split) archives are not supported"));
        }
        let saturated = count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF;
        let locator_pos = eocd_pos.checked_sub(20);
        let mut locator = [0u8; 20];
        let has_locator = match locator_pos {
            Some(p) => {
                self.read_at(p, &mut locator)?;
                le32(&locator) == ZIP64_LOCATOR_SIG
            }
            None => false,
        };
        if !has_locator {
            if saturated {
                return Err(self.corrupt(
                    None,
                    "the end record needs a zip64 record, which is missing",
                ));
            }
            return Ok(EndRecord {
                count: count.into(),
                cd_size: cd_size.into(),
                cd_offset: cd_offset.into(),
                cd_end: eocd_pos,
            });
        }
        let locator_pos = locator_pos.expect("has_locator");
        if le32(&locator[4..]) != 0 || le32(&locator[16..]) > 1 {
            return Err(self.corrupt(None, "multi-disk (split) archives are not supported"));
        }
        let z_pos = le64(&locator[8..]);
        let mut z = [0u8; 56];
        if z_pos.checked_add(56).is_none_or(|end| end > locator_pos) {
            return Err(self.corrupt(None, "the zip64 end record is not before its locator"));
        }
        self.read_at(z_pos, &mut z)?;
        if le32(&z) != ZIP64_EOCD_SIG {
            return Err(self.corrupt(None, "no zip64 end record where the locator points"));
        }
        if le64(&z[4..]).checked_add(12 + z_pos) != Some(locator_pos) {
            return Err(self.corrupt(None, "the zip64 end record does not reach its locator"));
        }
        let (z_disk, z_cd_disk) = (le32(&z[16..]), le32(&z[20..]));
        let (z_count_disk, z_count) = (le64(&z[24..]), le64(&z[32..]));
        let (z_cd_size, z_cd_offset) = (le64(&z[40..]), le64(&z[48..]));
        if z_disk != 0 || z_cd_disk != 0 || z_count_disk != z_count {
            return Err(self.corrupt(None, "multi-disk (split) archives are not supported"));
        }
        let agrees = |short: u64, sat: u64, long: u64| short == sat || short == long;
        if !agrees(count.into(), 0xFFFF, z_count)
            || !agrees(cd_size.into(), 0xFFFF_FFFF, z_cd_size)
            || !agrees(cd_offset.into(), 0xFFFF_FFFF, z_cd_offset)
        {
            return Err(self.corrupt(None, "the zip64 end record disagrees with the end record"));
        }
        Ok(EndRecord {
            count: z_count,
            cd_size: z_cd_size,
            cd_offset: z_cd_offset,
            cd_end: z_pos,
        })
    }

    fn not_a_zip_or_truncated(&self, file_len: u64, what: &str) -> BundleError {
        let mut head = [0u8; 4];
        let looks_like_zip = file_len >= 4
            && read_exact_at(&self.file, &mut head, 0).is_ok()
            && le32(&head) == LOCAL_SIG;
        if looks_like_zip {
            self.corrupt(None, format!("truncated: {what}"))
        } else {
            BundleError::NotAZip {
                path: self.path.clone(),
                reason: what.to_owned(),
            }
        }
    }

    fn read_central_directory(
        &self,
        eocd: &EndRecord,
        limits: &Limits,
    ) -> Result<Vec<RawEntry>, BundleError> {
        let mut cd = BufReader::with_capacity(
            CHUNK,
            PosReader {
                file: &self.file,
                pos: eocd.cd_offset,
            }
            .take(eocd.cd_size),
        );
        let eof = |e: io::Error| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                self.corrupt(None, "the central directory is shorter than its entries")
            } else {
                BundleError::io(&self.path, e)
            }
        };
        let mut out = Vec::with_capacity(eocd.count.min(limits.max_entries) as usize);
        let mut total: u64 = 0;
        let mut fixed = [0u8; CENTRAL_LEN];
        for _ in 0..eocd.count {
            cd.read_exact(&mut fixed).map_err(eof)?;
            if le32(&fixed) != CENTRAL_SIG {
                return Err(self.corrupt(None, "a central directory record has a bad signature"));
            }
            let made_by_host = fixed[5];
            let flags = le16(&fixed[8..]);
            let method = le16(&fixed[10..]);
            let crc32 = le32(&fixed[16..]);
            let csize32 = le32(&fixed[20..]);
            let usize32 = le32(&fixed[24..]);
            let name_len = usize::from(le16(&fixed[28..]));
            let extra_len = usize::from(le16(&fixed[30..]));
            let comment_len = u64::from(le16(&fixed[32..]));
            let disk16 = le16(&fixed[34..]);
            let external = le32(&fixed[38..]);
            let offset32 = le32(&fixed[42..]);
            let mut name_raw = vec![0u8; name_len];
            cd.read_exact(&mut name_raw).map_err(eof)?;
            let mut extra = vec![0u8; extra_len];
            cd.read_exact(&mut extra).map_err(eof)?;
            skip(&mut cd, comment_len).map_err(eof)?;

            // The name first, so every later error can say which entry.
            let name = match std::str::from_utf8(&name_raw) {
                Ok(s) if s.is_ascii() || flags & FLAG_UTF8 != 0 => s.to_owned(),
                _ => {
                    return Err(self.unsafe_entry(
                        &String::from_utf8_lossy(&name_raw),
                        UnsafeEntry::NonUtf8Name,
                    ))
                }
            };
            if name_len > MAX_PATH_BYTES + 1 {
                return Err(self.unsafe_entry(&name, UnsafeEntry::Path(PathProblem::TooLong)));
            }
            let (is_dir, bare) = match name.strip_suffix('/') {
                Some(b) => (true, b),
                None => (false, name.as_str()),
            };
            check_path(bare).map_err(|p| self.unsafe_entry(&name, UnsafeEntry::Path(p)))?;

            if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS) != 0
                || method == 99
            {
                return Err(BundleError::EncryptedEntry {
                    path: self.path.clone(),
                    entry: name,
                });
            }
            let method = match method {
                0 => Method::Stored,
                8 => Method::Deflated,
                m => {
                    return Err(BundleError::UnsupportedCompression {
                        path: self.path.clone(),
                        entry: name,
                        method: m,
                    })
                }
            };

            // File type: the Unix mode in the high half of the external attributes (whatever
            // the host byte says, to be safe), and the DOS directory bit.
            let mode = external >> 16;
            let ftype = mode & S_IFMT;
            match ftype {
                0 | S_IFREG | S_IFDIR => {}
                S_IFLNK => return Err(self.unsafe_entry(&name, UnsafeEntry::Symlink)),
                _ => return Err(self.unsafe_entry(&name, UnsafeEntry::NotRegularFile { mode })),
            }
            let dos_dir = made_by_host != 3 && external & DOS_DIRECTORY != 0;
            let marked_dir = ftype == S_IFDIR || dos_dir;
            if (marked_dir && !is_dir) || (is_dir && ftype == S_IFREG) {
                return Err(self.unsafe_entry(&name, UnsafeEntry::BadDirectory));
            }

            let z64 = Zip64Needs {
                size: usize32 == 0xFFFF_FFFF,
                csize: csize32 == 0xFFFF_FFFF,
                offset: offset32 == 0xFFFF_FFFF,
                disk: disk16 == 0xFFFF,
            };
            let ext = parse_extra(&extra, z64).map_err(|why| self.corrupt(Some(&name), why))?;
            if ext.aes {
                return Err(BundleError::EncryptedEntry {
                    path: self.path.clone(),
                    entry: name,
                });
            }
            if ext
                .unicode_path
                .as_deref()
                .is_some_and(|u| u != name_raw.as_slice())
            {
                return Err(self.unsafe_entry(&name, UnsafeEntry::UnicodePathMismatch));
            }
            let size = ext.size.unwrap_or(usize32.into());
            let compressed_size = ext.csize.unwrap_or(csize32.into());
            let local_offset = ext.offset.unwrap_or(offset32.into());
            if ext.disk.unwrap_or(disk16.into()) != 0 {
                return Err(self.corrupt(Some(&name), "the entry starts on another disk"));
            }
            if is_dir && size != 0 {
                return Err(self.unsafe_entry(&name, UnsafeEntry::BadDirectory));
            }
            if method == Method::Stored && size != compressed_size {
                return Err(self.corrupt(
                    Some(&name),
                    format!("stored entry declares {size} bytes but holds {compressed_size}"),
                ));
            }

            // Limits, from the declared sizes.
            let limit = |limit, actual, allowed| BundleError::LimitExceeded {
                path: self.path.clone(),
                entry: Some(name.clone()),
                limit,
                actual,
                allowed,
            };
            if size > limits.max_entry_bytes {
                return Err(limit(LimitKind::EntryBytes, size, limits.max_entry_bytes));
            }
            total = total.saturating_add(size);
            if total > limits.max_total_bytes {
                return Err(limit(LimitKind::TotalBytes, total, limits.max_total_bytes));
            }
            if size > limits.ratio_floor
                && u128::from(size) > u128::from(compressed_size) * u128::from(limits.max_ratio)
            {
                let ratio = size / compressed_size.max(1);
                return Err(limit(LimitKind::Ratio, ratio, limits.max_ratio));
            }
            out.push(RawEntry {
                name: if is_dir { bare.to_owned() } else { name },
                is_dir,
                size,
                compressed_size,
                method,
                crc32,
                flags,
                local_offset,
            });
        }
        if cd.fill_buf().map_err(eof)?.is_empty() {
            Ok(out)
        } else {
            Err(self.corrupt(
                None,
                "the central directory holds more than its entry count",
            ))
        }
    }

    /// Duplicates (exact and ignoring case) and names used both as file and directory.
    fn check_names(
        &self,
        files: &mut [RawEntry],
        dirs: &mut [String],
        fold_case: bool,
    ) -> Result<(), BundleError> {
        let fold = |s: &str| {
            if fold_case {
                s.to_lowercase()
            } else {
                s.to_owned()
            }
        };
        files.sort_by(|a, b| a.name.cmp(&b.name));
        for w in files.windows(2) {
            if w[0].name == w[1].name {
                return Err(self.unsafe_entry(&w[1].name, UnsafeEntry::Duplicate));
            }
        }
        dirs.sort();
        for w in dirs.windows(2) {
            if w[0] == w[1] {
                return Err(self.unsafe_entry(&format!("{}/", w[1]), UnsafeEntry::Duplicate));
            }
        }
        let mut folded: BTreeMap<String, &str> = BTreeMap::new();
        for f in files.iter() {
            if let Some(other) = folded.insert(fold(&f.name), &f.name) {
                return Err(self.unsafe_entry(
                    &f.name,
                    UnsafeEntry::DuplicateIgnoringCase {
                        other: other.to_owned(),
                    },
                ));
            }
        }
        // Every ancestor directory of a file, case-folded; no file may be one of them.
        let mut ancestors: BTreeMap<String, &str> = BTreeMap::new();
        for f in files.iter() {
            let lower = fold(&f.name);
            let mut at = 0;
            while let Some(i) = lower[at..].find('/') {
                ancestors
                    .entry(lower[..at + i].to_owned())
                    .or_insert(&f.name);
                at += i + 1;
            }
        }
        for d in dirs.iter() {
            let lower = fold(d);
            if let Some(file) = folded.get(&lower) {
                return Err(self.unsafe_entry(
                    file,
                    UnsafeEntry::FileDirectoryConflict {
                        other: format!("{d}/"),
                    },
                ));
            }
        }
        for (lower, name) in &folded {
            if let Some(child) = ancestors.get(lower) {
                return Err(self.unsafe_entry(
                    name,
                    UnsafeEntry::FileDirectoryConflict {
                        other: (*child).to_owned(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// Reads every local header, compares it with the central record, and places each entry's
    /// data between its header and the next entry (no overlaps, nothing in the central
    /// directory).
    fn check_local_headers(
        &mut self,
        mut files: Vec<RawEntry>,
        cd_offset: u64,
    ) -> Result<(), BundleError> {
        files.sort_by_key(|f| f.local_offset);
        let mut entries = Vec::with_capacity(files.len());
        let mut fixed = [0u8; LOCAL_LEN];
        for i in 0..files.len() {
            let f = &files[i];
            let limit = files.get(i + 1).map_or(cd_offset, |n| n.local_offset);
            let name = f.name.as_str();
            let mismatch = |detail: &str| {
                self.unsafe_entry(
                    name,
                    UnsafeEntry::LocalHeaderMismatch {
                        detail: detail.to_owned(),
                    },
                )
            };
            if f.local_offset
                .checked_add(LOCAL_LEN as u64)
                .is_none_or(|end| end > limit)
            {
                return Err(self.unsafe_entry(name, UnsafeEntry::Overlapping));
            }
            self.read_at(f.local_offset, &mut fixed)?;
            if le32(&fixed) != LOCAL_SIG {
                return Err(self.corrupt(
                    Some(name),
                    "no local header where the central directory points",
                ));
            }
            let flags = le16(&fixed[6..]);
            let method = le16(&fixed[8..]);
            let crc32 = le32(&fixed[14..]);
            let csize32 = le32(&fixed[18..]);
            let usize32 = le32(&fixed[22..]);
            let name_len = u64::from(le16(&fixed[26..]));
            let extra_len = u64::from(le16(&fixed[28..]));
            let header_end = f.local_offset + LOCAL_LEN as u64 + name_len + extra_len;
            if header_end > limit {
                return Err(self.unsafe_entry(name, UnsafeEntry::Overlapping));
            }
            if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 || method == 99 {
                return Err(BundleError::EncryptedEntry {
                    path: self.path.clone(),
                    entry: name.to_owned(),
                });
            }
            let want_method = match f.method {
                Method::Stored => 0,
                Method::Deflated => 8,
            };
            if method != want_method {
                return Err(mismatch("compression method"));
            }
            if flags & FLAG_DATA_DESCRIPTOR != f.flags & FLAG_DATA_DESCRIPTOR {
                return Err(mismatch("data-descriptor flag"));
            }
            let mut var = vec![0u8; (name_len + extra_len) as usize];
            self.read_at(f.local_offset + LOCAL_LEN as u64, &mut var)?;
            let (lname, lextra) = var.split_at(name_len as usize);
            if lname != name.as_bytes() {
                return Err(mismatch("file name"));
            }
            // A local zip64 field holds both sizes whenever it is needed for either.
            let local_z64 = flags & FLAG_DATA_DESCRIPTOR == 0
                && (usize32 == 0xFFFF_FFFF || csize32 == 0xFFFF_FFFF);
            let ext = parse_extra(
                lextra,
                Zip64Needs {
                    size: local_z64,
                    csize: local_z64,
                    offset: false,
                    disk: false,
                },
            )
            .map_err(|why| self.corrupt(Some(name), format!("local header: {why}")))?;
            if ext.aes {
                return Err(BundleError::EncryptedEntry {
                    path: self.path.clone(),
                    entry: name.to_owned(),
                });
            }
            if ext.unicode_path.as_deref().is_some_and(|u| u != lname) {
                return Err(self.unsafe_entry(name, UnsafeEntry::UnicodePathMismatch));
            }
            if flags & FLAG_DATA_DESCRIPTOR == 0 {
                let size = ext.size.unwrap_or(usize32.into());
                let csize = ext.csize.unwrap_or(csize32.into());
                if crc32 != f.crc32 || size != f.size || csize != f.compressed_size {
                    return Err(mismatch("CRC-32 or sizes"));
                }
            }
            if header_end
                .checked_add(f.compressed_size)
                .is_none_or(|end| end > limit)
            {
                return Err(self.unsafe_entry(name, UnsafeEntry::Overlapping));
            }
            entries.push(EntryInfo {
                name: f.name.clone(),
                size: f.size,
                compressed_size: f.compressed_size,
                method: f.method,
                crc32: f.crc32,
                data_start: header_end,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        self.entries = entries;
        Ok(())
    }
}

struct EndRecord {
    count: u64,
    cd_size: u64,
    cd_offset: u64,
    /// Where the central directory must end: the zip64 end record, or the end record.
    cd_end: u64,
}

/// Which central-directory fields were saturated and must come from the zip64 extra field.
#[derive(Clone, Copy)]
struct Zip64Needs {
    size: bool,
    csize: bool,
    offset: bool,
    disk: bool,
}

#[derive(Default)]
struct Extra {
    size: Option<u64>,
    csize: Option<u64>,
    offset: Option<u64>,
    disk: Option<u64>,
    aes: bool,
    unicode_path: Option<Vec<u8>>,
}

fn parse_extra(mut extra: &[u8], needs: Zip64Needs) -> Result<Extra, String> {
    let mut out = Extra::default();
    let mut seen_zip64 = false;
    while extra.len() >= 4 {
        let id = le16(extra);
        let len = usize::from(le16(&extra[2..]));
        let Some(data) = extra.get(4..4 + len) else {
            // Some tools pad the extra field; a truncated last field carries nothing we read.
            break;
        };
        match id {
            EXTRA_ZIP64 => {
                if seen_zip64 {
                    return Err("two zip64 extra fields".into());
                }
                seen_zip64 = true;
                let mut d = data;
                let mut take8 = |want: bool| -> Result<Option<u64>, String> {
                    if !want {
                        return Ok(None);
                    }
                    if d.len() < 8 {
                        return Err("zip64 extra field too short".into());
                    }
                    let v = le64(d);
                    d = &d[8..];
                    Ok(Some(v))
                };
                out.size = take8(needs.size)?;
                out.csize = take8(needs.csize)?;
                out.offset = take8(needs.offset)?;
                if needs.disk {
                    if d.len() < 4 {
                        return Err("zip64 extra field too short".into());
                    }
                    out.disk = Some(le32(d).into());
                }
            }
            EXTRA_AES => out.aes = true,
            EXTRA_UNICODE_PATH => {
                if data.len() < 5 {
                    return Err("Unicode Path extra field too short".into());
                }
                out.unicode_path = Some(data[5..].to_vec());
            }
            _ => {}
        }
        extra = &extra[4 + len..];
    }
    if (needs.size && out.size.is_none())
        || (needs.csize && out.csize.is_none())
        || (needs.offset && out.offset.is_none())
        || (needs.disk && out.disk.is_none())
    {
        return Err("a size or offset needs a zip64 extra field, which is missing".into());
    }
    Ok(out)
}

/// Read buffer size for entries.
const CHUNK: usize = 64 * 1024;

enum Inner<'a> {
    Stored(io::Take<PosReader<'a>>),
    Deflated(Box<flate2::read::DeflateDecoder<io::Take<PosReader<'a>>>>),
}

/// The bytes of one entry, checked against the central directory as they come out.
pub struct EntryReader<'a> {
    zip: &'a SafeZip,
    entry: &'a EntryInfo,
    inner: Inner<'a>,
    produced: u64,
    crc: flate2::Crc,
    done: bool,
}

impl std::fmt::Debug for EntryReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryReader")
            .field("entry", &self.entry.name)
            .field("produced", &self.produced)
            .finish()
    }
}

/// An [`EntryReader`] as an `io::Read`, keeping the reader's own error (which an `io::Error`
/// would flatten) for the caller.
struct ReadChecked<'r, 'z> {
    reader: &'r mut EntryReader<'z>,
    failure: &'r mut Option<BundleError>,
}

impl Read for ReadChecked<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read_checked(buf).map_err(|e| {
            let shown = io::Error::other(e.to_string());
            *self.failure = Some(e);
            shown
        })
    }
}

impl EntryReader<'_> {
    /// The entry being read.
    pub fn entry(&self) -> &EntryInfo {
        self.entry
    }

    /// Reads the next bytes; `Ok(0)` only at the checked end of the entry.
    pub fn read_checked(&mut self, buf: &mut [u8]) -> Result<usize, BundleError> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let remaining = self.entry.size - self.produced;
        // Ask for one byte more than is left, to notice an entry that does not stop.
        let want = buf
            .len()
            .min(usize::try_from(remaining.saturating_add(1)).unwrap_or(usize::MAX));
        let result = loop {
            let r = match &mut self.inner {
                Inner::Stored(r) => r.read(&mut buf[..want]),
                Inner::Deflated(r) => r.read(&mut buf[..want]),
            };
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let name = &self.entry.name;
        let n = result.map_err(|e| match e.kind() {
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => self
                .zip
                .corrupt(Some(name), format!("bad deflate data: {e}")),
            io::ErrorKind::UnexpectedEof => self.zip.corrupt(Some(name), "truncated deflate data"),
            _ => BundleError::io(&self.zip.path, e),
        })?;
        if n == 0 {
            self.done = true;
            if self.produced != self.entry.size {
                return Err(self.zip.corrupt(
                    Some(name),
                    format!(
                        "truncated: {} of the {} declared bytes",
                        self.produced, self.entry.size
                    ),
                ));
            }
            if self.crc.sum() != self.entry.crc32 {
                return Err(self
                    .zip
                    .corrupt(Some(name), "CRC-32 mismatch: the data was altered"));
            }
            return Ok(0);
        }
        if n as u64 > remaining {
            self.done = true;
            return Err(BundleError::LongerThanDeclared {
                path: self.zip.path.clone(),
                entry: name.clone(),
                declared: self.entry.size,
            });
        }
        self.produced += n as u64;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

impl Read for EntryReader<'_> {
    /// Errors are [`io::ErrorKind::InvalidData`] wrapping the [`BundleError`].
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_checked(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

/// A reader at a position of a shared file, by positioned reads (no shared cursor).
struct PosReader<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for PosReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = read_at(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match read_at(file, buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn skip(r: &mut impl Read, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), &mut io::sink())?;
    if copied == n {
        Ok(())
    } else {
        Err(io::ErrorKind::UnexpectedEof.into())
    }
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}
