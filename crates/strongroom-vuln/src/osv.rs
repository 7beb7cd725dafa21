//! Checked OSV records (ossf/osv-schema): untrusted JSON becomes [`CheckedRecord`] at the
//! import boundary, or a reason why it cannot be used. Nothing past this module sees raw JSON
//! except the stored copy kept for display.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::ecosystem::EcosystemName;
use crate::error::truncate;
use crate::severity::{cvss3_base_score, Level, Severity};

/// OSV range type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RangeKind {
    #[serde(rename = "S")]
    Semver,
    #[serde(rename = "E")]
    Ecosystem,
    #[serde(rename = "G")]
    Git,
}

impl RangeKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RangeKind::Semver => "SEMVER",
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::Git => "GIT",
        }
    }
}

/// OSV event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum EventKind {
    #[serde(rename = "i")]
    Introduced,
    #[serde(rename = "f")]
    Fixed,
    #[serde(rename = "l")]
    LastAffected,
    #[serde(rename = "m")]
    Limit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Event(pub EventKind, pub String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Range {
    #[serde(rename = "t")]
    pub kind: RangeKind,
    #[serde(rename = "e")]
    pub events: Vec<Event>,
}

/// What matching needs of one `affected[]` entry, stored compactly as JSON in the database.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MatchSpec {
    #[serde(rename = "v", default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// PyPI only: the PEP 440 canonical form of each valid listed version, so that `1.0`
    /// matches a listed `1.0.0` without parsing the list at scan time.
    #[serde(rename = "k", default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
}

/// One usable `affected[]` entry.
#[derive(Clone, Debug)]
pub(crate) struct CheckedAffected {
    /// The ecosystem string as written (`Debian:12`).
    pub ecosystem_raw: String,
    pub ecosystem: EcosystemName,
    pub name: String,
    pub purl: Option<String>,
    pub spec: MatchSpec,
    pub severity: Option<Severity>,
}

/// A usable OSV record.
#[derive(Clone, Debug)]
pub(crate) struct CheckedRecord {
    pub id: String,
    pub modified: OffsetDateTime,
    pub withdrawn: bool,
    pub summary: Option<String>,
    pub aliases: Vec<String>,
    pub affected: Vec<CheckedAffected>,
    /// Problems that did not make the record unusable (a dropped range, a bad entry).
    pub warnings: Vec<String>,
}

/// Longest `id` accepted (real ones are < 40 characters).
const MAX_ID_LEN: usize = 256;
/// Per-record warnings kept; more are summarised.
const MAX_RECORD_WARNINGS: usize = 10;

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

/// Parses an RFC 3339 timestamp as OSV writes them (`2023-10-10T14:28:19.389317Z`).
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).ok()
}

/// Checks one OSV document. `Err` is the reason the record cannot be used at all.
pub(crate) fn check_record(doc: &Value) -> Result<CheckedRecord, String> {
    let obj = doc.as_object().ok_or("not a JSON object")?;
    let id = str_field(obj, "id")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("missing or empty \"id\"")?;
    if id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(format!("unusable \"id\" {:?}", truncate(id, 40)));
    }
    let modified_raw =
        str_field(obj, "modified").ok_or_else(|| format!("{id}: missing \"modified\""))?;
    let modified = parse_time(modified_raw).ok_or_else(|| {
        format!(
            "{id}: \"modified\" is not an RFC 3339 timestamp: {:?}",
            truncate(modified_raw, 40)
        )
    })?;
    let withdrawn = obj.get("withdrawn").is_some_and(|w| !w.is_null());
    let mut warnings = Vec::new();
    let summary = str_field(obj, "summary")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            str_field(obj, "details").and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
        })
        .map(|s| truncate(s, 200));
    let aliases = match obj.get("aliases") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| truncate(s, 100))
            .collect(),
        Some(_) => {
            warnings.push(format!("{id}: \"aliases\" is not a list; ignored"));
            Vec::new()
        }
    };
    let record_severity = obj.get("severity");
    let db_severity = obj
        .get("database_specific")
        .and_then(|d| d.get("severity"))
        .and_then(Value::as_str);
    let affected_raw = match obj.get("affected") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => return Err(format!("{id}: \"affected\" is not a list")),
    };
    let mut affected = Vec::new();
    for (ai, entry) in affected_raw.iter().enumerate() {
        match check_affected(id, ai, entry, record_severity, db_severity, &mut warnings) {
            Ok(Some(a)) => affected.push(a),
            Ok(None) => {}
            Err(w) => warnings.push(w),
        }
    }
    if warnings.len() > MAX_RECORD_WARNINGS {
        let more = warnings.len() - MAX_RECORD_WARNINGS;
        warnings.truncate(MAX_RECORD_WARNINGS);
        warnings.push(format!("{id}: {more} more problems in this record"));
    }
    Ok(CheckedRecord {
        id: id.to_owned(),
        modified,
        withdrawn,
        summary,
        aliases,
        affected,
        warnings,
    })
}

/// Checks one `affected[]` entry: `Ok(None)` for an entry without a package (a GIT-only
/// entry, which cannot be matched by name), `Err` for an unusable one.
fn check_affected(
    id: &str,
    ai: usize,
    entry: &Value,
    record_severity: Option<&Value>,
    db_severity: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<Option<CheckedAffected>, String> {
    let obj = entry
        .as_object()
        .ok_or_else(|| format!("{id}: affected[{ai}] is not an object; skipped"))?;
    let Some(package) = obj.get("package") else {
        return Ok(None);
    };
    let (eco_raw, name) = match (
        package.get("ecosystem").and_then(Value::as_str),
        package.get("name").and_then(Value::as_str),
    ) {
        (Some(e), Some(n)) if !e.trim().is_empty() && !n.trim().is_empty() => (e.trim(), n.trim()),
        _ => {
            return Err(format!(
                "{id}: affected[{ai}].package lacks \"ecosystem\" or \"name\"; skipped"
            ))
        }
    };
    let ecosystem = EcosystemName::parse(eco_raw);
    let purl = package
        .get("purl")
        .and_then(Value::as_str)
        .map(|p| truncate(p, 500));
    let mut spec = MatchSpec::default();
    match obj.get("versions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(vs)) => {
            for v in vs {
                match v.as_str() {
                    Some(s) if !s.trim().is_empty() => spec.versions.push(s.trim().to_owned()),
                    _ => warnings.push(format!(
                        "{id}: affected[{ai}].versions holds a non-string or empty entry; ignored"
                    )),
                }
            }
        }
        Some(_) => warnings.push(format!(
            "{id}: affected[{ai}].versions is not a list; ignored"
        )),
    }
    match obj.get("ranges") {
        None | Some(Value::Null) => {}
        Some(Value::Array(ranges)) => {
            for (ri, r) in ranges.iter().enumerate() {
                match check_range(r, &ecosystem) {
                    Ok(range) => spec.ranges.push(range),
                    Err(why) => {
                        warnings.push(format!("{id}: affected[{ai}].ranges[{ri}] dropped: {why}"))
                    }
                }
            }
        }
        Some(_) => warnings.push(format!(
            "{id}: affected[{ai}].ranges is not a list; ignored"
        )),
    }
    if ecosystem.ecosystem == crate::ecosystem::Ecosystem::PyPI {
        spec.keys = spec
            .versions
            .iter()
            .filter_map(|v| crate::version::Pep440Version::parse(v).ok())
            .map(|v| v.canonical())
            .collect();
    }
    let severity = resolve_severity(obj.get("severity"), record_severity, db_severity, obj);
    Ok(Some(CheckedAffected {
        ecosystem_raw: eco_raw.to_owned(),
        ecosystem,
        name: name.to_owned(),
        purl,
        spec,
        severity,
    }))
}

/// Checks one range: a known type, well-formed events, at least one `introduced`, and (for
/// `SEMVER`, and `ECOSYSTEM` of an ecosystem whose ordering we know) versions that parse.
fn check_range(r: &Value, ecosystem: &EcosystemName) -> Result<Range, String> {
    let obj = r.as_object().ok_or("not an object")?;
    let kind = match obj.get("type").and_then(Value::as_str) {
        Some("SEMVER") => RangeKind::Semver,
        Some("ECOSYSTEM") => RangeKind::Ecosystem,
        Some("GIT") => RangeKind::Git,
        Some(other) => return Err(format!("unknown range type {:?}", truncate(other, 20))),
        None => return Err("missing \"type\"".to_owned()),
    };
    let events_raw = obj
        .get("events")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
        .ok_or("missing or empty \"events\"")?;
    let mut events = Vec::with_capacity(events_raw.len());
    for e in events_raw {
        let eo = e.as_object().filter(|o| o.len() == 1).ok_or(
            "an event must be an object with exactly one of introduced/fixed/last_affected/limit",
        )?;
        let (k, v) = eo.iter().next().ok_or("empty event")?;
        let kind = match k.as_str() {
            "introduced" => EventKind::Introduced,
            "fixed" => EventKind::Fixed,
            "last_affected" => EventKind::LastAffected,
            "limit" => EventKind::Limit,
            other => return Err(format!("unknown event {:?}", truncate(other, 20))),
        };
        let v = v
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or("an event version must be a non-empty string")?;
        events.push(Event(kind, v.to_owned()));
    }
    if !events.iter().any(|e| e.0 == EventKind::Introduced) {
        return Err("no \"introduced\" event".to_owned());
    }
    let ordering = match kind {
        RangeKind::Semver => Some(crate::version::VersionOrdering::SemVer),
        RangeKind::Ecosystem => ecosystem.ecosystem.ordering(),
        RangeKind::Git => None,
    };
    if let Some(ordering) = ordering {
        for Event(k, v) in &events {
            let special = (*k == EventKind::Introduced && v == "0")
                || (*k == EventKind::Limit && v.contains('*'));
            if !special {
                if let Err(e) = ordering.parse(v) {
                    return Err(format!("{} range cannot be evaluated: {e}", kind.as_str()));
                }
            }
        }
    }
    Ok(Range { kind, events })
}

/// The severity of one affected package: a CVSS v3 vector (package level, then record
/// level, then RustSec's `affected[].database_specific.cvss`), else GHSA's
/// `database_specific.severity`, else an Ubuntu priority; a CVSS v4 vector alone gives
/// `Unknown` with the vector kept.
fn resolve_severity(
    affected_sev: Option<&Value>,
    record_sev: Option<&Value>,
    db_severity: Option<&str>,
    affected: &Map<String, Value>,
) -> Option<Severity> {
    let entries = |v: Option<&Value>| -> Vec<(String, String)> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| {
                        Some((
                            s.get("type")?.as_str()?.to_owned(),
                            s.get("score")?.as_str()?.trim().to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    // Package-level severity replaces the record's (the schema forbids both).
    let mut list = entries(affected_sev);
    if list.is_empty() {
        list = entries(record_sev);
    }
    let mut v3: Vec<String> = list
        .iter()
        .filter(|(t, _)| t == "CVSS_V3")
        .map(|(_, s)| s.clone())
        .collect();
    if let Some(c) = affected
        .get("database_specific")
        .and_then(|d| d.get("cvss"))
        .and_then(Value::as_str)
    {
        v3.push(c.trim().to_owned());
    }
    for vector in &v3 {
        if let Ok(score) = cvss3_base_score(vector) {
            return Some(Severity {
                cvss_score: Some(score),
                vector: Some(truncate(vector, 200)),
                level: Level::from_score(score),
            });
        }
    }
    let v4 = list
        .iter()
        .find(|(t, _)| t == "CVSS_V4")
        .map(|(_, s)| truncate(s, 200));
    let level = db_severity.and_then(Level::from_label).or_else(|| {
        list.iter()
            .find(|(t, _)| t == "Ubuntu")
            .and_then(|(_, s)| Level::from_label(s))
    });
    match (level, v4, list.is_empty() && v3.is_empty()) {
        (Some(level), vector, _) => Some(Severity {
            cvss_score: None,
            vector,
            level,
        }),
        (None, vector, false) => Some(Severity {
            cvss_score: None,
            vector,
            level: Level::Unknown,
        }),
        (None, _, true) => None,
    }
}
