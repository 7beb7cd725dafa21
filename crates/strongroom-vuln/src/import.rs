//! Importing an OSV `all.zip` (one JSON document per member) into the database: in one
//! transaction, bounded by [`Limits`], never extracting anything to disk.
//!
//! What is fatal (the database is left unchanged) and what is a per-record warning:
//! - fatal: not a zip; a damaged member (CRC or size mismatch, truncated data); any [`Limits`]
//!   bound crossed (too many entries, a zip bomb by declared or actual size or ratio, more
//!   than `max_bad_records` unusable members);
//! - per-record warning, member skipped: an unsafe name (`../x.json`, absolute), an encrypted
//!   member or an unsupported compression method, a member that is not JSON, a document
//!   without `id`/`modified`;
//! - per-record warning, record kept: a bad range or `affected[]` entry (dropped alone), an
//!   unknown ecosystem (kept; its `ECOSYSTEM` ranges are not evaluated).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use zip::result::ZipError;

use crate::db::{format_time, VulnDb};
use crate::error::{truncate, LimitKind, VulnError};
use crate::limits::Limits;
use crate::osv::{check_record, CheckedRecord};

/// Progress of an import, reported every few hundred members and at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportProgress {
    pub entries_done: u64,
    pub entries_total: u64,
    pub bytes_read: u64,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportReport {
    pub file: PathBuf,
    /// SHA-256 of the zip file, hex.
    pub sha256: String,
    /// Members that could hold a record (directories excluded).
    pub records_total: usize,
    /// Records new to the database.
    pub imported: usize,
    /// Records that replaced an older version (newer `modified`).
    pub updated: usize,
    /// Records already present with the same or a newer `modified`.
    pub unchanged: usize,
    /// Records carrying `withdrawn`: not stored, and removed if an older copy was.
    pub skipped_withdrawn: usize,
    /// Members that could not be used at all (each has a warning).
    pub rejected: usize,
    /// Per-record problems, at most [`Limits::max_warnings`] (then a count of the rest).
    pub warnings: Vec<String>,
    /// Records per ecosystem as written (`crates.io`, `Debian:12`).
    pub ecosystems: BTreeMap<String, usize>,
    /// Ecosystems with no known version ordering; their records are kept.
    pub unknown_ecosystems: Vec<String>,
    /// The newest `modified` of any record in the file.
    pub newest_modified: Option<OffsetDateTime>,
}

/// Progress is reported every this many members.
const PROGRESS_EVERY: u64 = 256;

struct Warnings {
    kept: Vec<String>,
    dropped: usize,
    max: usize,
}

impl Warnings {
    fn push(&mut self, w: String) {
        if self.kept.len() < self.max {
            self.kept.push(w);
        } else {
            self.dropped += 1;
        }
    }
    fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.kept
                .push(format!("… and {} more warnings not shown", self.dropped));
        }
        self.kept
    }
}

/// Reads the end-of-central-directory record (zip64 aware) and checks the entry count and
/// central directory size before anything is parsed. Returns `Ok(())` when the record cannot
/// be found: the zip reader then reports the file as not a zip.
fn precheck(file: &mut File, path: &Path, limits: &Limits) -> Result<(), VulnError> {
    let io = |e| VulnError::io(path, e);
    let len = file.seek(SeekFrom::End(0)).map_err(io)?;
    let tail_len = len.min(22 + 65_535);
    file.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail).map_err(io)?;
    let Some(pos) = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
    else {
        return Ok(());
    };
    let u16_at = |b: &[u8], i: usize| u64::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u32_at =
        |b: &[u8], i: usize| u64::from(u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]));
    let mut entries = u16_at(&tail, pos + 10);
    let mut cd_size = u32_at(&tail, pos + 12);
    // Zip64: the locator sits just before the classic record.
    if (entries == 0xFFFF || cd_size == 0xFFFF_FFFF) && pos >= 20 {
        let loc = pos - 20;
        if tail[loc..loc + 4] == [0x50, 0x4b, 0x06, 0x07] {
            let mut off = [0u8; 8];
            off.copy_from_slice(&tail[loc + 8..loc + 16]);
            let eocd64 = u64::from_le_bytes(off);
            let mut rec = [0u8; 56];
            if eocd64.checked_add(56).is_some_and(|end| end <= len)
                && file.seek(SeekFrom::Start(eocd64)).is_ok()
                && file.read_exact(&mut rec).is_ok()
                && rec[..4] == [0x50, 0x4b, 0x06, 0x06]
            {
                let u64_at = |i: usize| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&rec[i..i + 8]);
                    u64::from_le_bytes(b)
                };
                entries = u64_at(32);
                cd_size = u64_at(40);
            }
        }
    }
    let limit = |kind, limit, actual| VulnError::LimitExceeded {
        file: path.to_owned(),
        entry: None,
        kind,
        limit,
        actual,
    };
    if entries > limits.max_entries {
        return Err(limit(LimitKind::Entries, limits.max_entries, entries));
    }
    if cd_size > limits.max_central_directory_bytes {
        return Err(limit(
            LimitKind::CentralDirectory,
            limits.max_central_directory_bytes,
            cd_size,
        ));
    }
    Ok(())
}

fn sha256_file(file: &mut File, path: &Path) -> Result<String, VulnError> {
    file.seek(SeekFrom::Start(0))
        .map_err(|e| VulnError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| VulnError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Counters and the open transaction of one import.
struct Run<'a> {
    tx: Transaction<'a>,
    report: ImportReport,
    warnings: Warnings,
    unknown: BTreeSet<String>,
    base_ecosystems: BTreeSet<String>,
}

impl VulnDb {
    /// Imports an OSV `all.zip` (see the module docs for what is fatal and what is a warning).
    /// Runs in one transaction: on error the database is unchanged.
    pub fn import_zip(
        &mut self,
        path: &Path,
        limits: &Limits,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, VulnError> {
        let mut file = File::open(path).map_err(|e| VulnError::io(path, e))?;
        let sha256 = sha256_file(&mut file, path)?;
        precheck(&mut file, path, limits)?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| VulnError::io(path, e))?;
        let mut archive =
            zip::ZipArchive::new(BufReader::new(file)).map_err(|e| VulnError::NotAZip {
                file: path.to_owned(),
                reason: e.to_string(),
            })?;
        let total = archive.len() as u64;
        if total > limits.max_entries {
            return Err(VulnError::LimitExceeded {
                file: path.to_owned(),
                entry: None,
                kind: LimitKind::Entries,
                limit: limits.max_entries,
                actual: total,
            });
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut run = Run {
            tx,
            report: ImportReport {
                file: path.to_owned(),
                sha256,
                records_total: 0,
                imported: 0,
                updated: 0,
                unchanged: 0,
                skipped_withdrawn: 0,
                rejected: 0,
                warnings: Vec::new(),
                ecosystems: BTreeMap::new(),
                unknown_ecosystems: Vec::new(),
                newest_modified: None,
            },
            warnings: Warnings {
                kept: Vec::new(),
                dropped: 0,
                max: limits.max_warnings,
            },
            unknown: BTreeSet::new(),
            base_ecosystems: BTreeSet::new(),
        };
        let mut bytes_read = 0u64;
        for i in 0..archive.len() {
            if i as u64 % PROGRESS_EVERY == 0 {
                progress(ImportProgress {
                    entries_done: i as u64,
                    entries_total: total,
                    bytes_read,
                });
            }
            let member = read_member(&mut archive, i, path, limits, &mut bytes_read)?;
            let (name, bytes) = match member {
                Member::Dir => continue,
                Member::Skip(name, why) => {
                    run.report.records_total += 1;
                    run.reject(format!("member {name:?}: {why}; skipped"), limits, path)?;
                    continue;
                }
                Member::Data(name, bytes) => (name, bytes),
            };
            run.report.records_total += 1;
            let doc: serde_json::Value = match serde_json::from_slice(&bytes) {
                Ok(d) => d,
                Err(e) => {
                    let why = if bytes.is_empty() {
                        "empty member".to_owned()
                    } else {
                        format!("not JSON ({e})")
                    };
                    run.reject(format!("member {name:?}: {why}; skipped"), limits, path)?;
                    continue;
                }
            };
            let record = match check_record(&doc) {
                Ok(r) => r,
                Err(why) => {
                    run.reject(format!("member {name:?}: {why}; skipped"), limits, path)?;
                    continue;
                }
            };
            drop(doc);
            // JSON text is UTF-8 (serde_json checked it), so this does not fail in practice.
            let raw = match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(_) => {
                    run.reject(format!("member {name:?}: not UTF-8; skipped"), limits, path)?;
                    continue;
                }
            };
            run.store(record, &raw)?;
        }
        progress(ImportProgress {
            entries_done: total,
            entries_total: total,
            bytes_read,
        });
        run.finish()
    }
}

enum Member {
    Dir,
    Skip(String, String),
    Data(String, Vec<u8>),
}

/// Reads member `i` within the limits. Damage and limit crossings are errors; members we
/// refuse to read (unsafe name, encrypted, unsupported method) are `Skip`.
fn read_member<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    i: usize,
    path: &Path,
    limits: &Limits,
    bytes_read: &mut u64,
) -> Result<Member, VulnError> {
    let corrupt = |entry: String, reason: String| VulnError::CorruptEntry {
        file: path.to_owned(),
        entry,
        reason,
    };
    let exceeded = |entry: &str, kind, limit, actual| VulnError::LimitExceeded {
        file: path.to_owned(),
        entry: Some(truncate(entry, 100)),
        kind,
        limit,
        actual,
    };
    // Metadata first: it is available even for members we will not decompress.
    let (name, is_dir, enclosed, encrypted, size, csize) = match archive.by_index_raw(i) {
        Ok(f) => {
            let (name, safe) = match f.name() {
                Ok(n) => (truncate(&n, 200), safe_member_name(&n)),
                Err(_) => (format!("#{i}"), false),
            };
            (
                name,
                f.is_dir(),
                safe && f.enclosed_name().is_some(),
                f.encrypted(),
                f.size(),
                f.compressed_size(),
            )
        }
        Err(e) => return Err(corrupt(format!("#{i}"), e.to_string())),
    };
    if is_dir {
        return Ok(Member::Dir);
    }
    if !enclosed {
        return Ok(Member::Skip(
            name,
            "unsafe member name (absolute or climbing out with ..)".to_owned(),
        ));
    }
    if encrypted {
        return Ok(Member::Skip(name, "encrypted member".to_owned()));
    }
    if size > limits.max_entry_bytes {
        return Err(exceeded(
            &name,
            LimitKind::EntryBytes,
            limits.max_entry_bytes,
            size,
        ));
    }
    if size > limits.ratio_floor && size / csize.max(1) > limits.max_ratio {
        return Err(exceeded(
            &name,
            LimitKind::Ratio,
            limits.max_ratio,
            size / csize.max(1),
        ));
    }
    if bytes_read.saturating_add(size) > limits.max_total_bytes {
        return Err(exceeded(
            &name,
            LimitKind::TotalBytes,
            limits.max_total_bytes,
            bytes_read.saturating_add(size),
        ));
    }
    let mut f = match archive.by_index(i) {
        Ok(f) => f,
        Err(ZipError::UnsupportedArchive(why)) => {
            return Ok(Member::Skip(name, format!("unsupported: {why}")))
        }
        Err(ZipError::CompressionMethodNotSupported(m)) => {
            return Ok(Member::Skip(
                name,
                format!("unsupported compression method {m}"),
            ))
        }
        Err(ZipError::InvalidPassword) => {
            return Ok(Member::Skip(name, "encrypted member".to_owned()))
        }
        Err(e) => return Err(corrupt(name, e.to_string())),
    };
    let mut buf = Vec::with_capacity(size.min(1 << 20) as usize);
    let cap = limits.max_entry_bytes.saturating_add(1);
    if let Err(e) = (&mut f).take(cap).read_to_end(&mut buf) {
        return Err(corrupt(name, e.to_string()));
    }
    let actual = buf.len() as u64;
    *bytes_read = bytes_read.saturating_add(actual);
    if actual > limits.max_entry_bytes {
        return Err(exceeded(
            &name,
            LimitKind::EntryBytes,
            limits.max_entry_bytes,
            actual,
        ));
    }
    if actual != size {
        return Err(corrupt(
            name,
            format!("{actual} bytes decompressed but the header declares {size}"),
        ));
    }
    if actual > limits.ratio_floor && actual / csize.max(1) > limits.max_ratio {
        return Err(exceeded(
            &name,
            LimitKind::Ratio,
            limits.max_ratio,
            actual / csize.max(1),
        ));
    }
    if *bytes_read > limits.max_total_bytes {
        return Err(exceeded(
            &name,
            LimitKind::TotalBytes,
            limits.max_total_bytes,
            *bytes_read,
        ));
    }
    Ok(Member::Data(name, buf))
}

/// Microseconds since the Unix epoch: the ordering key of `modified`. Every date `time` can
/// represent (years ±9999) fits; real records carry dates as odd as `0001-01-01T00:00:00Z`.
/// Member names of an OSV export are `ID.json`; we never write members to disk, but a name
/// that is absolute, climbs with `..`, or carries a drive letter, a backslash or a control
/// character marks a crafted archive, and its member is not trusted.
fn safe_member_name(name: &str) -> bool {
    !(name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.chars().any(char::is_control)
        || name.as_bytes().get(1) == Some(&b':')
        || name.split('/').any(|c| c == ".."))
}

fn unix_us(t: OffsetDateTime) -> Result<i64, VulnError> {
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1000))
        .map_err(|_| VulnError::Timestamp(format!("{t} is out of range")))
}

impl Run<'_> {
    fn reject(&mut self, warning: String, limits: &Limits, path: &Path) -> Result<(), VulnError> {
        self.report.rejected += 1;
        self.warnings.push(warning);
        if self.report.rejected as u64 > limits.max_bad_records {
            return Err(VulnError::LimitExceeded {
                file: path.to_owned(),
                entry: None,
                kind: LimitKind::BadRecords,
                limit: limits.max_bad_records,
                actual: self.report.rejected as u64,
            });
        }
        Ok(())
    }

    fn store(&mut self, rec: CheckedRecord, raw: &str) -> Result<(), VulnError> {
        let modified_us = match unix_us(rec.modified) {
            Ok(ns) => ns,
            Err(e) => {
                self.report.rejected += 1;
                self.warnings.push(format!("{}: {e}; skipped", rec.id));
                return Ok(());
            }
        };
        if self.report.newest_modified.is_none_or(|n| rec.modified > n) {
            self.report.newest_modified = Some(rec.modified);
        }
        for w in &rec.warnings {
            self.warnings.push(w.clone());
        }
        let existing: Option<i64> = self
            .tx
            .prepare_cached("SELECT modified_us FROM records WHERE id = ?1")?
            .query_row([&rec.id], |r| r.get(0))
            .optional()?;
        if rec.withdrawn {
            self.report.skipped_withdrawn += 1;
            if existing.is_some_and(|old| modified_us >= old) {
                self.delete(&rec.id)?;
            }
            return Ok(());
        }
        // Ecosystem bookkeeping for every record present in the file.
        let mut seen = BTreeSet::new();
        for a in &rec.affected {
            if seen.insert(a.ecosystem_raw.as_str()) {
                *self
                    .report
                    .ecosystems
                    .entry(a.ecosystem_raw.clone())
                    .or_default() += 1;
            }
            self.base_ecosystems
                .insert(a.ecosystem.ecosystem.as_str().to_owned());
            if !a.ecosystem.ecosystem.is_known() {
                self.unknown
                    .insert(a.ecosystem.ecosystem.as_str().to_owned());
            }
        }
        match existing {
            Some(old) if modified_us <= old => {
                self.report.unchanged += 1;
                return Ok(());
            }
            Some(_) => {
                self.delete(&rec.id)?;
                self.report.updated += 1;
            }
            None => self.report.imported += 1,
        }
        let aliases = serde_json::to_string(&rec.aliases).unwrap_or_else(|_| "[]".into());
        self.tx
            .prepare_cached(
                "INSERT INTO records (id, modified, modified_us, summary, aliases)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                rec.id,
                format_time(rec.modified)?,
                modified_us,
                rec.summary,
                aliases
            ])?;
        self.tx
            .prepare_cached("INSERT INTO record_json (id, raw) VALUES (?1, ?2)")?
            .execute(params![rec.id, raw])?;
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO affected (record_id, idx, ecosystem, base_ecosystem, name, norm_name,
                                   purl, spec, severity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for (idx, a) in rec.affected.iter().enumerate() {
            let spec = serde_json::to_string(&a.spec).unwrap_or_else(|_| "{}".into());
            let severity = a
                .severity
                .as_ref()
                .and_then(|s| serde_json::to_string(s).ok());
            insert.execute(params![
                rec.id,
                idx as i64,
                a.ecosystem_raw,
                a.ecosystem.ecosystem.as_str(),
                a.name,
                a.ecosystem.ecosystem.normalize_name(&a.name),
                a.purl,
                spec,
                severity
            ])?;
        }
        Ok(())
    }

    fn delete(&mut self, id: &str) -> Result<(), VulnError> {
        self.tx
            .prepare_cached("DELETE FROM affected WHERE record_id = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM records WHERE id = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM record_json WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    fn finish(mut self) -> Result<ImportReport, VulnError> {
        for u in &self.unknown {
            self.warnings.push(format!(
                "ecosystem {u:?} has no known version ordering: its records are kept and \
                 matched by their versions lists and SEMVER ranges only"
            ));
        }
        self.report.unknown_ecosystems = self.unknown.iter().cloned().collect();
        self.report.warnings = std::mem::replace(
            &mut self.warnings,
            Warnings {
                kept: Vec::new(),
                dropped: 0,
                max: 0,
            },
        )
        .finish();
        let ecosystems: Vec<&String> = self.base_ecosystems.iter().collect();
        let ecosystems_json = serde_json::to_string(&ecosystems).unwrap_or_else(|_| "[]".into());
        let newest = self.report.newest_modified.map(format_time).transpose()?;
        let now = format_time(OffsetDateTime::now_utc())?;
        let file = self.report.file.display().to_string();
        // A newer file of the same ecosystems supersedes the older import's row.
        self.tx.execute(
            "DELETE FROM imports WHERE ecosystems = ?1 AND sha256 <> ?2",
            params![ecosystems_json, self.report.sha256],
        )?;
        self.tx.execute(
            "INSERT INTO imports (file, sha256, ecosystems, records_total, newest_modified, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (sha256) DO UPDATE SET file = excluded.file,
                 imported_at = excluded.imported_at, records_total = excluded.records_total,
                 newest_modified = excluded.newest_modified, ecosystems = excluded.ecosystems",
            params![
                file,
                self.report.sha256,
                ecosystems_json,
                self.report.records_total as i64,
                newest,
                now
            ],
        )?;
        self.tx.commit()?;
        Ok(self.report)
    }
}
