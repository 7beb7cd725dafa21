//! Severity of a finding: the CVSS v3.x base score computed from its vector (FIRST CVSS 3.1
//! specification, §7.1 and Appendix A), a qualitative level, and the fallbacks used when a
//! record has no CVSS v3 vector (GHSA's `database_specific.severity`, Ubuntu priorities).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Qualitative severity (CVSS v3.1 §5: None 0.0, Low 0.1–3.9, Medium 4.0–6.9, High 7.0–8.9,
/// Critical 9.0–10.0), or `Unknown` when the record has a severity we cannot score (a CVSS v4
/// vector alone, an unknown scheme). The order is `Unknown < None < Low < Medium < High <
/// Critical`, so `level >= Level::High` is a threshold test that `Unknown` never passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Level {
    Unknown,
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    /// The level of a CVSS base score.
    pub fn from_score(score: f64) -> Level {
        if score >= 9.0 {
            Level::Critical
        } else if score >= 7.0 {
            Level::High
        } else if score >= 4.0 {
            Level::Medium
        } else if score > 0.0 {
            Level::Low
        } else {
            Level::None
        }
    }

    /// GHSA `database_specific.severity` (`CRITICAL`, `HIGH`, `MODERATE`, `LOW`) and Ubuntu
    /// priorities (`critical`, `high`, `medium`, `low`, `negligible`), case-insensitively.
    pub fn from_label(label: &str) -> Option<Level> {
        Some(match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Level::Critical,
            "high" | "important" => Level::High,
            "moderate" | "medium" => Level::Medium,
            "low" | "negligible" => Level::Low,
            "none" => Level::None,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Unknown => "unknown",
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The severity of a finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Severity {
    /// CVSS v3.x base score, computed from `vector` (never copied from the record).
    pub cvss_score: Option<f64>,
    /// The CVSS vector (v3.x when there is one, else v4.0).
    pub vector: Option<String>,
    pub level: Level,
}

/// A CVSS vector that cannot be scored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CvssError {
    #[error("not a CVSS v3.0/v3.1 vector (expected a CVSS:3.x/ prefix)")]
    NotV3,
    #[error("malformed metric {0:?}")]
    Malformed(String),
    #[error("metric {0} given twice")]
    Duplicate(String),
    #[error("base metric {0} missing")]
    Missing(&'static str),
}

/// Rounds up to one decimal as CVSS v3.1 Appendix A defines `Roundup` (exact, free of
/// floating-point artefacts). Also used for v3.0 vectors: it only differs from 3.0's naive
/// ceiling where that one was wrong by a float error.
fn roundup(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// The CVSS v3.x base score of `vector` (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H` → 9.8).
/// Temporal and environmental metrics may follow; they do not change the base score.
pub fn cvss3_base_score(vector: &str) -> Result<f64, CvssError> {
    let rest = vector
        .trim()
        .strip_prefix("CVSS:3.1/")
        .or_else(|| vector.trim().strip_prefix("CVSS:3.0/"))
        .ok_or(CvssError::NotV3)?;
    const BASE: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
    const OTHER: [&str; 14] = [
        "E", "RL", "RC", "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
    ];
    let mut base: [Option<&str>; 8] = [None; 8];
    let mut seen_other: Vec<&str> = Vec::new();
    for part in rest.split('/') {
        let (k, v) = part
            .split_once(':')
            .ok_or_else(|| CvssError::Malformed(crate::error::truncate(part, 20)))?;
        if let Some(i) = BASE.iter().position(|b| *b == k) {
            if base[i].replace(v).is_some() {
                return Err(CvssError::Duplicate(k.to_owned()));
            }
        } else if OTHER.contains(&k) {
            if seen_other.contains(&k) {
                return Err(CvssError::Duplicate(k.to_owned()));
            }
            seen_other.push(k);
        } else {
            return Err(CvssError::Malformed(crate::error::truncate(part, 20)));
        }
    }
    let get = |i: usize| base[i].ok_or(CvssError::Missing(BASE[i]));
    let bad =
        |k: &str, v: &str| CvssError::Malformed(format!("{k}:{}", crate::error::truncate(v, 8)));
    let scope_changed = match get(4)? {
        "U" => false,
        "C" => true,
        v => return Err(bad("S", v)),
    };
    let av = match get(0)? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        v => return Err(bad("AV", v)),
    };
    let ac = match get(1)? {
        "L" => 0.77,
        "H" => 0.44,
        v => return Err(bad("AC", v)),
    };
    let pr = match (get(2)?, scope_changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        (v, _) => return Err(bad("PR", v)),
    };
    let ui = match get(3)? {
        "N" => 0.85,
        "R" => 0.62,
        v => return Err(bad("UI", v)),
    };
    let cia = |i: usize| -> Result<f64, CvssError> {
        match get(i)? {
            "H" => Ok(0.56),
            "L" => Ok(0.22),
            "N" => Ok(0.0),
            v => Err(bad(BASE[i], v)),
        }
    };
    let (c, i, a) = (cia(5)?, cia(6)?, cia(7)?);
    let iss = 1.0 - ((1.0 - c) * (1.0 - i) * (1.0 - a));
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Ok(0.0);
    }
    Ok(if scope_changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundup_is_exact() {
        assert_eq!(roundup(4.000_000_000_000_001), 4.0);
        assert_eq!(roundup(4.0001), 4.1);
        assert_eq!(roundup(4.02), 4.1);
        assert_eq!(roundup(4.0), 4.0);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(cvss3_base_score("AV:N/AC:L"), Err(CvssError::NotV3));
        assert!(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H").is_err());
        assert!(cvss3_base_score("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(cvss3_base_score(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
        )
        .is_err());
    }
}
