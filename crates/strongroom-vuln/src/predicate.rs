//! The in-toto vulnerability-scan predicate, `https://in-toto.io/attestation/vulns/v0.2`
//! (in-toto/attestation `spec/predicates/vulns_02.md`), built from scan findings.
//!
//! Shape (all timestamps RFC 3339 UTC):
//! ```json
//! {"scanner": {"uri": "…", "version": "…",
//!              "db": {"uri": "…", "version": "sha256:…,sha256:…", "lastUpdate": "…"},
//!              "result": [{"id": "RUSTSEC-2020-0071",
//!                          "severity": [{"method": "CVSSv3", "score": "6.2"},
//!                                       {"method": "level", "score": "medium"}],
//!                          "annotations": [{"package": {…}, "affectedRanges": "…", …}]}]},
//!  "metadata": {"scanStartedOn": "…", "scanFinishedOn": "…"}}
//! ```
//! `scanner.uri`, `scanner.db.lastUpdate`, `scanner.result` (empty = nothing found),
//! `result[].id`, `result[].severity[].method`/`score` and both `metadata` times are required
//! by the spec; `scanner.version`, `db.uri` and `db.version` are optional and omitted when
//! absent. One result per vulnerability id; each affected package is one annotation. The
//! `CVSSv3` entry carries the base score we computed from the vector (never a copied number),
//! the `level` entry the qualitative severity (always present, `unknown` if none).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::db::{format_time, VulnDb};
use crate::error::VulnError;
use crate::scan::Finding;
use crate::severity::Level;

/// The predicate type URI.
pub const VULNS_PREDICATE_TYPE: &str = "https://in-toto.io/attestation/vulns/v0.2";

/// The vulnerability database a scan used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbInfo {
    pub uri: Option<String>,
    /// The imported files' digests (`sha256:<hex>,…`, sorted).
    pub version: Option<String>,
    /// When the data was last updated: the newest `modified` of the imported files.
    pub last_update: OffsetDateTime,
}

/// The scanner that produced the findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScannerInfo {
    pub uri: String,
    pub version: Option<String>,
    pub db: DbInfo,
}

/// When the scan ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanTime {
    pub started_on: OffsetDateTime,
    pub finished_on: OffsetDateTime,
}

impl VulnDb {
    /// [`DbInfo`] of this database: its imports' sha256 digests and newest `modified` date
    /// (the Unix epoch when nothing was imported).
    pub fn db_info(&self, uri: Option<String>) -> Result<DbInfo, VulnError> {
        let status = self.status()?;
        let mut digests: Vec<String> = status
            .imports
            .iter()
            .map(|i| format!("sha256:{}", i.sha256))
            .collect();
        digests.sort();
        Ok(DbInfo {
            uri,
            version: (!digests.is_empty()).then(|| digests.join(",")),
            last_update: status.newest_modified.unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
    }
}

fn package_annotation(f: &Finding) -> Value {
    let mut pkg = Map::new();
    pkg.insert("name".into(), json!(f.package.name));
    pkg.insert("ecosystem".into(), json!(f.package.ecosystem));
    pkg.insert("version".into(), json!(f.package.version));
    if let Some(p) = &f.package.purl {
        pkg.insert("purl".into(), json!(p));
    }
    if let Some(p) = &f.package.found_in {
        pkg.insert("foundIn".into(), json!(p));
    }
    let mut a = Map::new();
    a.insert("package".into(), Value::Object(pkg));
    a.insert("affectedRanges".into(), json!(f.affected_ranges));
    a.insert("fixedVersions".into(), json!(f.fixed_versions));
    Value::Object(a)
}

/// Builds the predicate (the `predicate` object of an in-toto Statement whose
/// `predicateType` is [`VULNS_PREDICATE_TYPE`]).
pub fn to_vulns_predicate(
    findings: &[Finding],
    scanner: &ScannerInfo,
    scan_time: &ScanTime,
) -> Result<Value, VulnError> {
    // Group by vulnerability id, keeping first-seen order.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let g = groups.entry(&f.id).or_default();
        if g.is_empty() {
            order.push(&f.id);
        }
        g.push(f);
    }
    let mut result = Vec::new();
    for id in order {
        let group = &groups[id];
        // The most severe package-level severity of the group.
        let sev = group
            .iter()
            .filter_map(|f| f.severity.as_ref())
            .max_by(|a, b| {
                a.level.cmp(&b.level).then(
                    a.cvss_score
                        .unwrap_or(-1.0)
                        .total_cmp(&b.cvss_score.unwrap_or(-1.0)),
                )
            });
        let mut severity = Vec::new();
        if let Some(score) = sev.and_then(|s| s.cvss_score) {
            severity.push(json!({"method": "CVSSv3", "score": format!("{score:.1}")}));
        }
        severity.push(json!({
            "method": "level",
            "score": sev.map_or(Level::Unknown, |s| s.level).as_str(),
        }));
        let first = group[0];
        let mut entry = Map::new();
        entry.insert("id".into(), json!(id));
        entry.insert("severity".into(), Value::Array(severity));
        let mut info = Map::new();
        if !first.aliases.is_empty() {
            info.insert("aliases".into(), json!(first.aliases));
        }
        if let Some(s) = &first.summary {
            info.insert("summary".into(), json!(s));
        }
        if let Some(v) = sev.and_then(|s| s.vector.as_ref()) {
            info.insert("vector".into(), json!(v));
        }
        let mut annotations: Vec<Value> = Vec::new();
        if !info.is_empty() {
            annotations.push(Value::Object(info));
        }
        annotations.extend(group.iter().map(|f| package_annotation(f)));
        entry.insert("annotations".into(), Value::Array(annotations));
        result.push(Value::Object(entry));
    }
    let mut db = Map::new();
    if let Some(u) = &scanner.db.uri {
        db.insert("uri".into(), json!(u));
    }
    if let Some(v) = &scanner.db.version {
        db.insert("version".into(), json!(v));
    }
    db.insert(
        "lastUpdate".into(),
        json!(format_time(scanner.db.last_update)?),
    );
    let mut sc = Map::new();
    sc.insert("uri".into(), json!(scanner.uri));
    if let Some(v) = &scanner.version {
        sc.insert("version".into(), json!(v));
    }
    sc.insert("db".into(), Value::Object(db));
    sc.insert("result".into(), Value::Array(result));
    Ok(json!({
        "scanner": Value::Object(sc),
        "metadata": {
            "scanStartedOn": format_time(scan_time.started_on)?,
            "scanFinishedOn": format_time(scan_time.finished_on)?,
        }
    }))
}
