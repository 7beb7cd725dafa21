//! Importing an OSV `all.zip` (one JSON document per member) into the database: in one
//! transaction, bounded by [`Limits`], never extracting anything to disk. The zip is read by
//! `strongroom_bundle::SafeZip`, the one reader of untrusted zips (release bundles, OSV data,
//! jars).
//!
//! What is fatal (the database is left unchanged) and what is a per-record warning:
//! - fatal: not a zip; a damaged member (CRC or size mismatch, truncated data, local header
//!   disagreeing with the central directory); an unsafe name (`../x.json`, absolute, a
//!   backslash, a duplicate), a link, an encrypted member or an unsupported compression method
//!   (an OSV export as published holds none of these); any [`Limits`] bound crossed (too many
//!   entries, a zip bomb by declared or actual size or ratio, more than `max_bad_records`
//!   unusable members);
//! - per-record warning, member skipped: a member that is not JSON, a document without
//!   `id`/`modified`;
//! - per-record warning, record kept: a bad range or `affected[]` entry (dropped alone), an
//!   unknown ecosystem (kept; its `ECOSYSTEM` ranges are not evaluated).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use strongroom_bundle::{BundleError, SafeZip};
use time::OffsetDateTime;

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
    let (digest, _) = strongroom_bundle::Sha256Digest::of_reader(&mut *file)
        .map_err(|e| VulnError::io(path, e))?;
    Ok(digest.to_hex())
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
        let zip = SafeZip::from_file(file, path, &zip_limits(limits))
            .map_err(|e| from_zip(path, limits, e))?;
        let total = zip.len() as u64;
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
        for (i, entry) in zip.entries().iter().enumerate() {
            if i as u64 % PROGRESS_EVERY == 0 {
                progress(ImportProgress {
                    entries_done: i as u64,
                    entries_total: total,
                    bytes_read,
                });
            }
            let name = truncate(entry.name(), 200);
            let bytes = zip
                .read(entry.name(), limits.max_entry_bytes)
                .map_err(|e| from_zip(path, limits, e))?;
            bytes_read = bytes_read.saturating_add(bytes.len() as u64);
            if bytes_read > limits.max_total_bytes {
                return Err(VulnError::LimitExceeded {
                    file: path.to_owned(),
                    entry: Some(truncate(&name, 100)),
                    kind: LimitKind::TotalBytes,
                    limit: limits.max_total_bytes,
                    actual: bytes_read,
                });
            }
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

/// The SafeZip bounds of an import: the OSV [`Limits`] (members, sizes, ratio).
fn zip_limits(limits: &Limits) -> strongroom_bundle::Limits {
    strongroom_bundle::Limits {
        max_entries: limits.max_entries,
        max_entry_bytes: limits.max_entry_bytes,
        max_total_bytes: limits.max_total_bytes,
        max_ratio: limits.max_ratio,
        ratio_floor: limits.ratio_floor,
        ..strongroom_bundle::Limits::default()
    }
}

/// A SafeZip refusal in the importer's words: nothing was imported, and what to do.
fn from_zip(path: &Path, limits: &Limits, e: BundleError) -> VulnError {
    use strongroom_bundle::LimitKind as Z;
    let file = path.to_owned();
    match e {
        BundleError::Io { source, .. } => VulnError::io(path, source),
        BundleError::NotAZip { reason, .. } => VulnError::NotAZip { file, reason },
        BundleError::LimitExceeded {
            entry,
            limit,
            actual,
            allowed,
            ..
        } => {
            let kind = match limit {
                Z::Entries => LimitKind::Entries,
                Z::TotalBytes => LimitKind::TotalBytes,
                Z::Ratio => LimitKind::Ratio,
                _ => LimitKind::EntryBytes,
            };
            let limit = match kind {
                LimitKind::EntryBytes => limits.max_entry_bytes,
                _ => allowed,
            };
            VulnError::LimitExceeded {
                file,
                entry: entry.map(|e| truncate(&e, 100)),
                kind,
                limit,
                actual,
            }
        }
        BundleError::UnsafeEntry { entry, reason, .. } => VulnError::UnsafeEntry {
            file,
            entry: truncate(&entry, 100),
            reason: reason.to_string(),
        },
        BundleError::EncryptedEntry { entry, .. } => VulnError::UnsafeEntry {
            file,
            entry: truncate(&entry, 100),
            reason: "encrypted".into(),
        },
        BundleError::UnsupportedCompression { entry, method, .. } => VulnError::UnsafeEntry {
            file,
            entry: truncate(&entry, 100),
            reason: format!("unsupported compression method {method}"),
        },
        // Damage to the archive's structure (no entry named): not a readable zip.
        BundleError::Corrupt {
            entry: None,
            reason,
            ..
        } => VulnError::NotAZip { file, reason },
        BundleError::Corrupt {
            entry: Some(entry),
            reason,
            ..
        } => VulnError::CorruptEntry {
            file,
            entry: truncate(&entry, 100),
            reason,
        },
        BundleError::LongerThanDeclared {
            entry, declared, ..
        } => VulnError::CorruptEntry {
            file,
            entry: truncate(&entry, 100),
            reason: format!("inflates to more than the {declared} bytes it declares"),
        },
        other => VulnError::CorruptEntry {
            file,
            entry: String::new(),
            reason: other.to_string(),
        },
    }
}

/// Microseconds since the Unix epoch: the ordering key of `modified`. Every date `time` can
/// represent (years ±9999) fits; real records carry dates as odd as `0001-01-01T00:00:00Z`.
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
