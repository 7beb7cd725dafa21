//! Offline vulnerability use cases: importing OSV `all.zip` files into the station's vulnerability
//! database, its status and staleness, and scanning an SBOM or artifact against it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use strongroom_core::AuditEvent;

use serde::Serialize;
use strongroom_vuln::{
    to_vulns_predicate, Finding, ImportReport, Level, Limits, PackageRef, ScanTime, ScannerInfo,
    VulnDb,
};

use crate::hashing::check_file;
use crate::operators::Action;
use crate::verify::read_capped;
use crate::{Callbacks, OpsError, Progress, Station};

/// Setting: the age (days) past which the vulnerability snapshot is reported as stale.
pub const MAX_AGE_SETTING: &str = "vulndb.max_age_days";
/// Default staleness threshold.
pub const DEFAULT_MAX_AGE_DAYS: u32 = 30;
/// Largest SBOM read for a scan.
const MAX_SBOM_BYTES: u64 = 256 << 20;

/// A summary of one import, for people and `--json`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImportSummary {
    pub file: String,
    pub sha256: String,
    pub records_total: usize,
    pub imported: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped_withdrawn: usize,
    pub rejected: usize,
    pub ecosystems: BTreeMap<String, usize>,
    pub unknown_ecosystems: Vec<String>,
    pub newest_modified: Option<String>,
    pub warnings: Vec<String>,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    strongroom_core::Timestamp::from(t).to_rfc3339()
}

impl From<&ImportReport> for ImportSummary {
    fn from(r: &ImportReport) -> Self {
        ImportSummary {
            file: r.file.display().to_string(),
            sha256: r.sha256.clone(),
            records_total: r.records_total,
            imported: r.imported,
            updated: r.updated,
            unchanged: r.unchanged,
            skipped_withdrawn: r.skipped_withdrawn,
            rejected: r.rejected,
            ecosystems: r.ecosystems.clone(),
            unknown_ecosystems: r.unknown_ecosystems.clone(),
            newest_modified: r.newest_modified.map(rfc3339),
            warnings: r.warnings.clone(),
        }
    }
}

/// The vulnerability database's state.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VulnStatus {
    pub records: u64,
    pub ecosystems: BTreeMap<String, u64>,
    /// Newest `modified` of any record: the snapshot's date.
    pub snapshot: Option<String>,
    pub snapshot_age_days: Option<f64>,
    pub max_age_days: u32,
    /// No data, or older than `max_age_days`: a warning, never a failure.
    pub stale: bool,
    /// Every import, newest first.
    pub imports: Vec<VulnImport>,
}

/// One `vulndb import` of an OSV file.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VulnImport {
    /// The file as it was named.
    pub file: String,
    pub sha256: String,
    /// RFC 3339.
    pub imported_at: String,
}

/// What a scan found.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ScanReport {
    pub input: String,
    /// Components looked up (registry packages; local path/workspace packages are skipped).
    pub components: usize,
    pub findings: Vec<Finding>,
    /// Findings per severity level.
    pub counts: BTreeMap<String, usize>,
    /// The `--fail-on` threshold was reached.
    pub failed: bool,
    /// A warning about the database (stale, empty), if any.
    pub database_warning: Option<String>,
    /// The in-toto vulns predicate of this result.
    #[serde(skip)]
    pub predicate: serde_json::Value,
}

/// A request to scan.
#[derive(Clone, Debug)]
pub struct ScanRequest {
    /// An SBOM (SPDX or CycloneDX JSON, ours or another tool's) or an artifact to catalogue.
    pub input: PathBuf,
    /// Fail when a finding is at or above this level, or has no rating.
    pub fail_on: Option<Level>,
}

/// Parses `critical|high|medium|low`.
pub fn parse_level(s: &str) -> Result<Level, OpsError> {
    match s {
        "critical" => Ok(Level::Critical),
        "high" => Ok(Level::High),
        "medium" => Ok(Level::Medium),
        "low" => Ok(Level::Low),
        other => Err(OpsError::BadInput(format!(
            "unknown severity {other:?}: use critical, high, medium or low"
        ))),
    }
}

impl Station {
    fn vulndb(&self) -> Result<VulnDb, OpsError> {
        Ok(VulnDb::open(&self.home().join("vulndb.sqlite"))?)
    }

    /// Imports OSV `all.zip` files; each file is one transaction (all of it or none of it).
    pub fn import_vulndb(
        &self,
        files: &[PathBuf],
        cb: &dyn Callbacks,
    ) -> Result<Vec<ImportSummary>, OpsError> {
        self.require(Action::VulndbImport)?;
        if files.is_empty() {
            return Err(OpsError::NoFiles);
        }
        for f in files {
            check_file(f)?;
        }
        let mut db = self.vulndb()?;
        let mut out = Vec::new();
        for f in files {
            let what = format!("importing {}", f.display());
            let report = db.import_zip(f, &Limits::default(), &mut |p| {
                cb.progress(Progress::Items {
                    what: what.clone(),
                    done: p.entries_done,
                    total: p.entries_total,
                })
            });
            cb.progress(Progress::ItemsFinish);
            let report = report.map_err(OpsError::from).inspect_err(|e| {
                self.record_failure(AuditEvent::VulndbImport, &f.display().to_string(), e)
            })?;
            self.record(
                AuditEvent::VulndbImport,
                &format!("sha256:{}", report.sha256),
                crate::AuditOutcome::Ok,
                serde_json::json!({"file": f.display().to_string(), "records": report.records_total, "imported": report.imported, "updated": report.updated}),
            )?;
            out.push(ImportSummary::from(&report));
        }
        Ok(out)
    }

    /// The staleness threshold in days.
    pub fn vulndb_max_age_days(&self) -> Result<u32, OpsError> {
        self.require(Action::VulndbStatus)?;
        Ok(self
            .store
            .setting::<u32>(MAX_AGE_SETTING)?
            .unwrap_or(DEFAULT_MAX_AGE_DAYS))
    }

    pub fn set_vulndb_max_age_days(&self, days: u32) -> Result<(), OpsError> {
        self.require(Action::VulndbConfigure)?;
        self.act(
            AuditEvent::VulndbConfigure,
            MAX_AGE_SETTING,
            vec![strongroom_store::state::Change::Setting {
                key: MAX_AGE_SETTING.to_owned(),
                value: Some(days.into()),
            }],
            serde_json::json!({"max_age_days": days}),
        )
        .inspect_err(|e| self.record_failure(AuditEvent::VulndbConfigure, MAX_AGE_SETTING, e))?;
        Ok(())
    }

    /// Records per ecosystem, snapshot date and age, and whether it is stale.
    pub fn vulndb_status(&self) -> Result<VulnStatus, OpsError> {
        self.require(Action::VulndbStatus)?;
        let status = self.vulndb()?.status()?;
        let max_age_days = self.vulndb_max_age_days()?;
        Ok(VulnStatus {
            records: status.records,
            ecosystems: status.ecosystems.clone(),
            snapshot: status.newest_modified.map(rfc3339),
            snapshot_age_days: status
                .snapshot_age
                .map(|d| (d.as_seconds_f64() / 86_400.0 * 10.0).round() / 10.0),
            max_age_days,
            stale: status.is_stale(time::Duration::days(max_age_days.into())),
            imports: status
                .imports
                .iter()
                .map(|i| VulnImport {
                    file: i.file.clone(),
                    sha256: i.sha256.clone(),
                    imported_at: rfc3339(i.imported_at),
                })
                .collect(),
        })
    }

    /// Scans an SBOM or an artifact against the imported data.
    pub fn scan(&self, req: &ScanRequest, cb: &dyn Callbacks) -> Result<ScanReport, OpsError> {
        self.require(Action::Scan)?;
        let packages = packages_of(&req.input)?;
        self.scan_session(cb)?.scan_packages(
            &req.input.display().to_string(),
            packages,
            req.fail_on,
            None,
        )
    }

    /// The database opened once, with its state, for any number of scans: a release scans
    /// every artifact with one session (one open, one status, one warning), not one each.
    pub(crate) fn scan_session(&self, cb: &dyn Callbacks) -> Result<ScanSession, OpsError> {
        let status = self.vulndb_status()?;
        let warning = if status.records == 0 {
            Some("the vulnerability database is empty: import OSV all.zip files with `strongroom vulndb import`".to_owned())
        } else if status.stale {
            Some(format!(
                "the vulnerability snapshot is {} days old (threshold {} days): import newer OSV data",
                status.snapshot_age_days.unwrap_or_default(),
                status.max_age_days
            ))
        } else {
            None
        };
        if let Some(w) = &warning {
            cb.notice(w);
        }
        let db = self.vulndb()?;
        let db_info = db.db_info(None)?;
        Ok(ScanSession {
            db,
            db_info,
            warning,
        })
    }
}

/// An open vulnerability database and what a scan reports about it (see
/// [`Station::scan_session`]).
pub(crate) struct ScanSession {
    db: VulnDb,
    db_info: strongroom_vuln::DbInfo,
    warning: Option<String>,
}

impl ScanSession {
    /// Scans an SBOM document already in memory (a release's, named `label`). `at` fixes the
    /// predicate's scan times (RFC 3339) for reproducible releases.
    pub(crate) fn scan_document(
        &self,
        label: &str,
        document: &serde_json::Value,
        at: Option<&str>,
    ) -> Result<ScanReport, OpsError> {
        let at = at
            .map(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map_err(|e| OpsError::BadInput(format!("{t:?}: not an RFC 3339 time ({e})")))
            })
            .transpose()?;
        let packages = registry_packages(strongroom_sbom::components_from_sbom(document)?);
        self.scan_packages(label, packages, None, at)
    }

    fn scan_packages(
        &self,
        input: &str,
        packages: Vec<PackageRef>,
        fail_on: Option<Level>,
        at: Option<time::OffsetDateTime>,
    ) -> Result<ScanReport, OpsError> {
        let started = at.unwrap_or_else(time::OffsetDateTime::now_utc);
        let findings = self.db.scan(&packages)?;
        let mut counts = BTreeMap::new();
        for f in &findings {
            let level = f.severity.as_ref().map_or(Level::Unknown, |s| s.level);
            *counts.entry(level.to_string()).or_insert(0) += 1;
        }
        // An advisory without a usable rating (many Debian ones) is not evidence of low risk:
        // it meets any threshold.
        let failed = fail_on.is_some_and(|t| {
            findings.iter().any(|f| {
                f.severity
                    .as_ref()
                    .is_none_or(|s| s.level == Level::Unknown || s.level >= t)
            })
        });
        let predicate = to_vulns_predicate(
            &findings,
            &ScannerInfo {
                uri: "https://strongroom.dev/scanner".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
                db: self.db_info.clone(),
            },
            &ScanTime {
                started_on: started,
                finished_on: at.unwrap_or_else(time::OffsetDateTime::now_utc),
            },
        )?;
        Ok(ScanReport {
            input: input.to_owned(),
            components: packages.len(),
            findings,
            counts,
            failed,
            database_warning: self.warning.clone(),
            predicate,
        })
    }
}

/// The registry packages of an SBOM file, or of an artifact catalogued on the spot.
fn packages_of(input: &Path) -> Result<Vec<PackageRef>, OpsError> {
    if !input.exists() {
        return Err(OpsError::MissingFile(input.to_owned()));
    }
    let components = match sbom_document(input)? {
        Some(doc) => strongroom_sbom::components_from_sbom(&doc)?,
        None => strongroom_sbom::catalog(input, &strongroom_sbom::Limits::default())?.components,
    };
    Ok(registry_packages(components))
}

/// The components worth looking up: registry packages (local path/workspace ones are skipped).
fn registry_packages(components: Vec<strongroom_sbom::Component>) -> Vec<PackageRef> {
    components
        .into_iter()
        .filter(|c| !c.local)
        .map(|c| PackageRef {
            ecosystem: c.ecosystem.osv_name().to_owned(),
            // OSV keys Debian advisories by source package.
            name: c.source_package.clone().unwrap_or(c.name),
            version: c.version,
            purl: Some(c.purl),
            found_in: Some(c.found_in),
        })
        .collect()
}

/// The file as an SBOM document, when it is one (SPDX or CycloneDX JSON).
fn sbom_document(input: &Path) -> Result<Option<serde_json::Value>, OpsError> {
    if input.is_dir() || input.extension().is_none_or(|e| e != "json") {
        return Ok(None);
    }
    let bytes = read_capped(input, MAX_SBOM_BYTES)?;
    let doc: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Ok(None),
    };
    let is_sbom = doc.get("spdxVersion").is_some()
        || doc.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX");
    Ok(is_sbom.then_some(doc))
}
