//! Matching packages against the database: [`VulnDb::scan`] looks each package up in the
//! `(ecosystem, normalised name)` index; [`VulnDb::scan_linear`] compares each package with
//! every stored entry (the baseline the benchmark measures the index against). Both return
//! the same findings, ordered by package (input order) then vulnerability id.

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use crate::db::VulnDb;
use crate::ecosystem::EcosystemName;
use crate::error::VulnError;
use crate::osv::{EventKind, MatchSpec, RangeKind};
use crate::range::{affected_by, describe, Candidate};
use crate::severity::Severity;
use crate::version::ParsedVersion;

/// A package to check, as an SBOM names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PackageRef {
    /// OSV ecosystem name: `crates.io`, `PyPI`, `npm`, `Go`, `Debian` (or `Debian:12`),
    /// `Maven`, or any other OSV ecosystem.
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
    /// Where the package was found (a lockfile, an image layer), for the report.
    pub found_in: Option<String>,
}

/// One vulnerability affecting one package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Finding {
    pub id: String,
    pub aliases: Vec<String>,
    /// The record's summary, or the first line of its details.
    pub summary: Option<String>,
    pub severity: Option<Severity>,
    pub package: PackageRef,
    /// Why the version is affected: the matching ranges (`ECOSYSTEM: <1.26.17 || >=2.0.0,
    /// <2.0.6`) and/or `listed in affected versions`.
    pub affected_ranges: String,
    /// Every `fixed` version of the matching entries, in the ecosystem's order.
    pub fixed_versions: Vec<String>,
}

/// One stored `affected[]` row.
struct Row {
    record_id: String,
    idx: i64,
    ecosystem: String,
    spec: String,
    severity: Option<String>,
}

/// A package prepared for matching.
struct Prepared<'a> {
    pkg: &'a PackageRef,
    eco: EcosystemName,
    norm: String,
}

fn prepare(packages: &[PackageRef]) -> Vec<Prepared<'_>> {
    packages
        .iter()
        .map(|pkg| {
            let eco = EcosystemName::parse(&pkg.ecosystem);
            let norm = eco.ecosystem.normalize_name(&pkg.name);
            Prepared { pkg, eco, norm }
        })
        .collect()
}

/// Findings under construction, keyed by (package index, record id).
#[derive(Default)]
struct Findings(BTreeMap<(usize, String), Finding>);

impl Findings {
    /// Evaluates one stored row for one package and records a finding if it matches.
    fn consider(&mut self, index: usize, p: &Prepared<'_>, row: &Row) {
        let record_eco = EcosystemName::parse(&row.ecosystem);
        if !record_eco.matches_package(&p.eco) {
            return;
        }
        let Ok(spec) = serde_json::from_str::<MatchSpec>(&row.spec) else {
            return;
        };
        let mut cand = Candidate::new(&p.pkg.version, &p.eco.ecosystem);
        let Some(info) = affected_by(&spec, &mut cand) else {
            return;
        };
        let mut why: Vec<String> = info
            .ranges
            .iter()
            .map(|&i| describe(&spec.ranges[i], &p.eco.ecosystem))
            .collect();
        if info.listed {
            why.push("listed in affected versions".to_owned());
        }
        let fixed: Vec<String> = spec
            .ranges
            .iter()
            .filter(|r| r.kind != RangeKind::Git)
            .flat_map(|r| r.events.iter())
            .filter(|e| e.0 == EventKind::Fixed)
            .map(|e| e.1.clone())
            .collect();
        let severity: Option<Severity> = row
            .severity
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok());
        let key = (index, row.record_id.clone());
        let finding = self.0.entry(key).or_insert_with(|| Finding {
            id: row.record_id.clone(),
            aliases: Vec::new(),
            summary: None,
            severity: severity.clone(),
            package: p.pkg.clone(),
            affected_ranges: String::new(),
            fixed_versions: Vec::new(),
        });
        for w in why {
            if !finding.affected_ranges.split("; ").any(|x| x == w) {
                if !finding.affected_ranges.is_empty() {
                    finding.affected_ranges.push_str("; ");
                }
                finding.affected_ranges.push_str(&w);
            }
        }
        for f in fixed {
            if !finding.fixed_versions.contains(&f) {
                finding.fixed_versions.push(f);
            }
        }
        // Several entries of one record: keep the most severe.
        if let Some(s) = severity {
            if finding
                .severity
                .as_ref()
                .is_none_or(|old| s.level > old.level)
            {
                finding.severity = Some(s);
            }
        }
    }

    /// Sorts fixed versions and fills in each record's summary and aliases.
    fn finish(self, db: &VulnDb, packages: &[Prepared<'_>]) -> Result<Vec<Finding>, VulnError> {
        let mut stmt = db
            .conn
            .prepare_cached("SELECT summary, aliases FROM records WHERE id = ?1")?;
        let mut out = Vec::with_capacity(self.0.len());
        for ((index, id), mut f) in self.0 {
            if let Some((summary, aliases)) = stmt
                .query_row([&id], |r| {
                    Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?
            {
                f.summary = summary;
                f.aliases = serde_json::from_str(&aliases).unwrap_or_default();
            }
            if let Some(ord) = packages[index].eco.ecosystem.ordering() {
                let mut keyed: Vec<(Option<ParsedVersion>, String)> = f
                    .fixed_versions
                    .drain(..)
                    .map(|v| (ord.parse(&v).ok(), v))
                    .collect();
                keyed.sort_by(|a, b| match (&a.0, &b.0) {
                    (Some(x), Some(y)) => x.cmp(y).then_with(|| a.1.cmp(&b.1)),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => a.1.cmp(&b.1),
                });
                f.fixed_versions = keyed.into_iter().map(|(_, v)| v).collect();
            }
            out.push(f);
        }
        Ok(out)
    }
}

const ROW_COLUMNS: &str = "record_id, idx, ecosystem, spec, severity";

fn row_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        record_id: r.get(0)?,
        idx: r.get(1)?,
        ecosystem: r.get(2)?,
        spec: r.get(3)?,
        severity: r.get(4)?,
    })
}

/// Rows of one package in a fixed order, so both scans merge entries identically.
fn sort_rows(rows: &mut [&Row]) {
    rows.sort_by(|a, b| a.record_id.cmp(&b.record_id).then(a.idx.cmp(&b.idx)));
}

impl VulnDb {
    /// Findings for `packages`, one per (package, vulnerability), using the index on
    /// `(ecosystem, normalised name)`: a few lookups per package whatever the database size.
    pub fn scan(&self, packages: &[PackageRef]) -> Result<Vec<Finding>, VulnError> {
        let prepared = prepare(packages);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM affected WHERE base_ecosystem = ?1 AND norm_name = ?2"
        ))?;
        let mut findings = Findings::default();
        for (index, p) in prepared.iter().enumerate() {
            let rows: Vec<Row> = stmt
                .query_map([p.eco.ecosystem.as_str(), p.norm.as_str()], row_from)?
                .collect::<Result<_, _>>()?;
            let mut refs: Vec<&Row> = rows.iter().collect();
            sort_rows(&mut refs);
            for row in refs {
                findings.consider(index, p, row);
            }
        }
        findings.finish(self, &prepared)
    }

    /// Same result as [`VulnDb::scan`], by loading every stored entry and comparing each
    /// package with each entry: O(packages × entries). For benchmarks and cross-checks.
    pub fn scan_linear(&self, packages: &[PackageRef]) -> Result<Vec<Finding>, VulnError> {
        let prepared = prepare(packages);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS}, base_ecosystem, norm_name FROM affected"
        ))?;
        let all: Vec<(Row, String, String)> = stmt
            .query_map([], |r| Ok((row_from(r)?, r.get(5)?, r.get(6)?)))?
            .collect::<Result<_, _>>()?;
        let mut findings = Findings::default();
        for (index, p) in prepared.iter().enumerate() {
            let base = p.eco.ecosystem.as_str();
            let mut hits: Vec<&Row> = all
                .iter()
                .filter(|(_, row_base, row_norm)| row_norm == &p.norm && row_base == base)
                .map(|(row, _, _)| row)
                .collect();
            sort_rows(&mut hits);
            for row in hits {
                findings.consider(index, p, row);
            }
        }
        findings.finish(self, &prepared)
    }
}
