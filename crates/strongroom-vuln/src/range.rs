//! Whether a version is affected by one `affected[]` entry: the OSV schema's `IsVulnerable`
//! evaluation (docs/schema.md, "Evaluation"), plus human-readable range text.
//!
//! - A version listed in `versions` is affected: string equality as the schema says, and for
//!   PyPI also PEP 440 equality (canonical forms computed at import), so `1.0` matches a
//!   listed `1.0.0`. Other ecosystems list versions exactly as published, and so do SBOMs.
//! - Each `SEMVER` range (SemVer precedence, whatever the ecosystem) and each `ECOSYSTEM`
//!   range (the ecosystem's ordering) is evaluated on its events *sorted by version*
//!   (`introduced: "0"` first; ties keep their written order): `introduced` sets affected
//!   when `v >= introduced`, `fixed` clears it when `v >= fixed`, `last_affected` clears it
//!   when `v > last_affected`; the range only applies below some `limit` (`*` = infinity,
//!   none = no bound).
//! - `GIT` ranges cannot be evaluated without the repository and are skipped *alone*: the
//!   other ranges and the `versions` list of the same entry are still used (osv-scanner once
//!   skipped the whole entry).
//! - A range whose ordering is unknown (an `ECOSYSTEM` range of an unknown ecosystem), or
//!   under which the package version does not parse, is skipped.

use std::cmp::Ordering;

use crate::ecosystem::Ecosystem;
use crate::osv::{Event, EventKind, MatchSpec, Range, RangeKind};
use crate::version::{ParsedVersion, VersionOrdering};

/// A package version parsed once under each ordering a record may need.
pub(crate) struct Candidate<'a> {
    pub raw: &'a str,
    pub ecosystem: &'a Ecosystem,
    eco: Option<Option<ParsedVersion>>,
    semver: Option<Option<ParsedVersion>>,
    pep440_key: Option<Option<String>>,
}

impl<'a> Candidate<'a> {
    pub(crate) fn new(raw: &'a str, ecosystem: &'a Ecosystem) -> Self {
        Candidate {
            raw: raw.trim(),
            ecosystem,
            eco: None,
            semver: None,
            pep440_key: None,
        }
    }

    fn parsed(&mut self, ordering: VersionOrdering) -> Option<&ParsedVersion> {
        let raw = self.raw;
        let slot = if ordering == VersionOrdering::SemVer
            && self.ecosystem.ordering() != Some(VersionOrdering::SemVer)
        {
            &mut self.semver
        } else {
            &mut self.eco
        };
        slot.get_or_insert_with(|| ordering.parse(raw).ok())
            .as_ref()
    }
}

/// Why an entry matched, for the finding.
#[derive(Default)]
pub(crate) struct MatchInfo {
    pub listed: bool,
    pub ranges: Vec<usize>,
}

/// Evaluates one entry; `None` when the version is not affected.
pub(crate) fn affected_by(spec: &MatchSpec, cand: &mut Candidate<'_>) -> Option<MatchInfo> {
    let mut info = MatchInfo::default();
    let eco_ordering = cand.ecosystem.ordering();
    info.listed = spec.versions.iter().any(|l| l == cand.raw);
    if !info.listed && !spec.keys.is_empty() {
        let raw = cand.raw;
        let key = cand.pep440_key.get_or_insert_with(|| {
            crate::version::Pep440Version::parse(raw)
                .ok()
                .map(|v| v.canonical())
        });
        if let Some(key) = key {
            info.listed = spec.keys.iter().any(|k| k == key);
        }
    }
    for (i, range) in spec.ranges.iter().enumerate() {
        let ordering = match range.kind {
            RangeKind::Semver => VersionOrdering::SemVer,
            RangeKind::Ecosystem => match eco_ordering {
                Some(o) => o,
                None => continue,
            },
            RangeKind::Git => continue,
        };
        let Some(v) = cand.parsed(ordering).cloned() else {
            continue;
        };
        if range_includes(range, ordering, &v) == Some(true) {
            info.ranges.push(i);
        }
    }
    (info.listed || !info.ranges.is_empty()).then_some(info)
}

/// A parsed event bound: `Min` for `introduced: "0"`, `Max` for a `*` limit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bound {
    Min,
    At(ParsedVersion),
    Max,
}

fn parse_events(range: &Range, ordering: VersionOrdering) -> Option<Vec<(EventKind, Bound)>> {
    range
        .events
        .iter()
        .map(|Event(kind, v)| {
            let bound = match kind {
                EventKind::Introduced if v == "0" => Bound::Min,
                EventKind::Limit if v.contains('*') => Bound::Max,
                _ => Bound::At(ordering.parse(v).ok()?),
            };
            Some((*kind, bound))
        })
        .collect()
}

/// The schema's `IncludedInRanges` for one range; `None` if an event does not parse.
fn range_includes(range: &Range, ordering: VersionOrdering, v: &ParsedVersion) -> Option<bool> {
    let mut events = parse_events(range, ordering)?;
    let v = Bound::At(v.clone());
    // BeforeLimits.
    let limits: Vec<&Bound> = events
        .iter()
        .filter(|(k, _)| *k == EventKind::Limit)
        .map(|(_, b)| b)
        .collect();
    if !limits.is_empty() && !limits.iter().any(|l| v < **l) {
        return Some(false);
    }
    events.sort_by(|a, b| a.1.cmp(&b.1)); // stable
    let mut vulnerable = false;
    for (kind, bound) in &events {
        match kind {
            EventKind::Introduced if v >= *bound => vulnerable = true,
            EventKind::Fixed if v >= *bound => vulnerable = false,
            EventKind::LastAffected if v > *bound => vulnerable = false,
            _ => {}
        }
    }
    Some(vulnerable)
}

/// Human-readable form of a range: `ECOSYSTEM: <1.26.17 || >=2.0.0, <2.0.6`.
pub(crate) fn describe(range: &Range, ecosystem: &Ecosystem) -> String {
    let ordering = match range.kind {
        RangeKind::Semver => Some(VersionOrdering::SemVer),
        RangeKind::Ecosystem => ecosystem.ordering(),
        RangeKind::Git => None,
    };
    let mut events: Vec<&Event> = range.events.iter().collect();
    if let Some(ord) = ordering {
        let key = |e: &Event| match (&e.0, e.1.as_str()) {
            (EventKind::Introduced, "0") => Bound::Min,
            (EventKind::Limit, s) if s.contains('*') => Bound::Max,
            (_, s) => ord.parse(s).map(Bound::At).unwrap_or(Bound::Max),
        };
        events.sort_by(|a, b| key(a).cmp(&key(b)).then(Ordering::Equal));
    }
    let mut intervals: Vec<String> = Vec::new();
    let mut open: Option<String> = None;
    let mut limits = Vec::new();
    for Event(kind, v) in events {
        match kind {
            EventKind::Introduced => {
                if let Some(o) = open.take() {
                    intervals.push(o);
                }
                open = Some(if v == "0" {
                    String::new()
                } else {
                    format!(">={v}")
                });
            }
            EventKind::Fixed | EventKind::LastAffected => {
                let op = if *kind == EventKind::Fixed { "<" } else { "<=" };
                let lower = open.take().unwrap_or_default();
                intervals.push(if lower.is_empty() {
                    format!("{op}{v}")
                } else {
                    format!("{lower}, {op}{v}")
                });
            }
            EventKind::Limit => limits.push(v.as_str()),
        }
    }
    if let Some(o) = open {
        intervals.push(if o.is_empty() {
            "all versions".to_owned()
        } else {
            o
        });
    }
    let mut out = format!("{}: {}", range.kind.as_str(), intervals.join(" || "));
    if !limits.is_empty() && !limits.iter().all(|l| l.contains('*')) {
        out.push_str(&format!(" (limit {})", limits.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: RangeKind, ev: &[(EventKind, &str)]) -> Range {
        Range {
            kind,
            events: ev.iter().map(|(k, v)| Event(*k, (*v).to_owned())).collect(),
        }
    }

    fn hit(spec: &MatchSpec, eco: &Ecosystem, v: &str) -> bool {
        affected_by(spec, &mut Candidate::new(v, eco)).is_some()
    }

    use EventKind::*;

    #[test]
    fn unsorted_events_and_git_first() {
        let spec = MatchSpec {
            keys: vec![],
            versions: vec![],
            ranges: vec![
                range(
                    RangeKind::Git,
                    &[(Introduced, "0"), (Fixed, "644124ecd0b6")],
                ),
                range(
                    RangeKind::Ecosystem,
                    &[
                        (Introduced, "2.0.0"),
                        (Fixed, "2.0.6"),
                        (Introduced, "0"),
                        (Fixed, "1.26.17"),
                    ],
                ),
            ],
        };
        let py = Ecosystem::PyPI;
        assert!(hit(&spec, &py, "1.26.16"));
        assert!(!hit(&spec, &py, "1.26.17"));
        assert!(hit(&spec, &py, "2.0.5"));
        assert!(!hit(&spec, &py, "2.0.6"));
        assert!(hit(&spec, &py, "0.1"));
        assert_eq!(
            describe(&spec.ranges[1], &py),
            "ECOSYSTEM: <1.26.17 || >=2.0.0, <2.0.6"
        );
    }

    #[test]
    fn last_affected_and_limit() {
        let cargo = Ecosystem::CratesIo;
        let spec = MatchSpec {
            keys: vec![],
            versions: vec![],
            ranges: vec![range(
                RangeKind::Semver,
                &[(Introduced, "1.0.0"), (LastAffected, "1.2.0")],
            )],
        };
        assert!(hit(&spec, &cargo, "1.2.0"));
        assert!(!hit(&spec, &cargo, "1.2.1"));
        assert!(!hit(&spec, &cargo, "0.9.0"));
        let limited = MatchSpec {
            keys: vec![],
            versions: vec![],
            ranges: vec![range(
                RangeKind::Semver,
                &[(Introduced, "0"), (Limit, "2.0.0")],
            )],
        };
        assert!(hit(&limited, &cargo, "1.9.9"));
        assert!(!hit(&limited, &cargo, "2.0.0"));
        let star = MatchSpec {
            keys: vec![],
            versions: vec![],
            ranges: vec![range(RangeKind::Semver, &[(Introduced, "0"), (Limit, "*")])],
        };
        assert!(hit(&star, &cargo, "99.0.0"));
    }

    #[test]
    fn versions_list_and_unknown_ecosystem() {
        let other = Ecosystem::Other("NuGet".into());
        let spec = MatchSpec {
            versions: vec!["1.0".into()],
            ranges: vec![range(RangeKind::Ecosystem, &[(Introduced, "0")])],
            keys: vec![],
        };
        assert!(hit(&spec, &other, "1.0"));
        assert!(!hit(&spec, &other, "1.1"));
        let py = MatchSpec {
            versions: vec!["1.0.0".into()],
            ranges: vec![],
            keys: vec!["1".into()],
        };
        assert!(hit(&py, &Ecosystem::PyPI, "1.0"));
    }
}
