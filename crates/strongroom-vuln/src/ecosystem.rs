//! OSV ecosystem names: which version ordering applies, release suffixes, and how package
//! names are normalised for lookup.
//!
//! Name normalisation (the index key), per ecosystem:
//! - **PyPI**: PEP 503 (`re.sub(r"[-_.]+", "-", name).lower()`): `Foo.Bar_baz` → `foo-bar-baz`.
//! - **crates.io**: lower case with `_` read as `-`. crates.io refuses a new crate whose name
//!   differs from an existing one only by case or by `-`/`_`, so these keys never merge two
//!   real crates, and a lockfile's `Serde_JSON` still finds advisories for `serde_json`.
//! - **Debian**: lower case (Debian policy allows only lower-case package names).
//! - **npm, Go, Maven, others**: exact. npm still serves legacy mixed-case packages that are
//!   distinct from their lower-case namesakes (`JSONStream` ≠ `jsonstream`); Go module paths
//!   and Maven coordinates are case-sensitive.
//!
//! Release suffixes: an OSV ecosystem string may carry `:<suffix>` (`Debian:12`,
//! `Maven:https://maven.google.com`, `Alpine:v3.18`). The part before the first `:` chooses
//! the ecosystem (and its ordering); see [`EcosystemName::matches_package`] for the rule.

use std::fmt;

use crate::version::VersionOrdering;

/// A package ecosystem, named as OSV names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    CratesIo,
    Npm,
    Go,
    PyPI,
    Debian,
    Maven,
    /// Any other ecosystem (`NuGet`, `Alpine`, …), kept as written: matched by exact name and
    /// by `versions` lists and `SEMVER` ranges only, since we know no ordering for it.
    Other(String),
}

impl Ecosystem {
    /// The ecosystems whose version ordering is known.
    pub const KNOWN: [Ecosystem; 6] = [
        Ecosystem::CratesIo,
        Ecosystem::Npm,
        Ecosystem::Go,
        Ecosystem::PyPI,
        Ecosystem::Debian,
        Ecosystem::Maven,
    ];

    /// Parses a base ecosystem name (no suffix). Known names match case-insensitively
    /// (`pypi` → `PyPI`); anything else becomes [`Ecosystem::Other`].
    pub fn from_base(name: &str) -> Ecosystem {
        let name = name.trim();
        Ecosystem::KNOWN
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(name))
            .unwrap_or_else(|| Ecosystem::Other(name.to_owned()))
    }

    /// The OSV spelling (`crates.io`, `npm`, `Go`, `PyPI`, `Debian`, `Maven`).
    pub fn as_str(&self) -> &str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "Go",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Debian => "Debian",
            Ecosystem::Maven => "Maven",
            Ecosystem::Other(s) => s,
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, Ecosystem::Other(_))
    }

    /// The ordering of `ECOSYSTEM` ranges, or `None` for an unknown ecosystem (its `ECOSYSTEM`
    /// ranges cannot be evaluated; its `versions` lists and `SEMVER` ranges still can).
    pub fn ordering(&self) -> Option<VersionOrdering> {
        match self {
            Ecosystem::CratesIo | Ecosystem::Npm | Ecosystem::Go => Some(VersionOrdering::SemVer),
            Ecosystem::PyPI => Some(VersionOrdering::Pep440),
            Ecosystem::Debian => Some(VersionOrdering::Dpkg),
            Ecosystem::Maven => Some(VersionOrdering::Maven),
            Ecosystem::Other(_) => None,
        }
    }

    /// The lookup key of a package name in this ecosystem (see the module docs).
    pub fn normalize_name(&self, name: &str) -> String {
        let name = name.trim();
        match self {
            Ecosystem::PyPI => pep503(name),
            Ecosystem::CratesIo => name.to_ascii_lowercase().replace('_', "-"),
            Ecosystem::Debian => name.to_ascii_lowercase(),
            _ => name.to_owned(),
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// PEP 503 name normalisation: runs of `-`, `_`, `.` become one `-`; lower case.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

/// An OSV ecosystem string split into its ecosystem and optional `:<suffix>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EcosystemName {
    pub ecosystem: Ecosystem,
    /// The release/repository suffix (`12` of `Debian:12`), if any.
    pub suffix: Option<String>,
}

impl EcosystemName {
    pub fn parse(s: &str) -> EcosystemName {
        let s = s.trim();
        match s.split_once(':') {
            Some((base, suffix)) => EcosystemName {
                ecosystem: Ecosystem::from_base(base),
                suffix: Some(suffix.to_owned()).filter(|x| !x.is_empty()),
            },
            None => EcosystemName {
                ecosystem: Ecosystem::from_base(s),
                suffix: None,
            },
        }
    }

    /// Whether a record's `affected[].package.ecosystem` (`self`) applies to a package whose
    /// ecosystem is `package`. The base ecosystems must be equal. A package without a suffix
    /// (`Debian`) matches records of every release (`Debian`, `Debian:11`, `Debian:12`): the
    /// SBOM did not say which release, and missing an advisory is worse than an extra one. A
    /// package with a suffix (`Debian:12`) matches records with the same suffix and records
    /// without one.
    pub fn matches_package(&self, package: &EcosystemName) -> bool {
        self.ecosystem == package.ecosystem
            && match (&package.suffix, &self.suffix) {
                (None, _) | (Some(_), None) => true,
                (Some(p), Some(r)) => p == r,
            }
    }
}

impl fmt::Display for EcosystemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ecosystem.as_str())?;
        if let Some(s) = &self.suffix {
            write!(f, ":{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_suffixes() {
        assert_eq!(pep503("Foo.Bar__baz-"), "foo-bar-baz-");
        assert_eq!(Ecosystem::PyPI.normalize_name("PyYAML"), "pyyaml");
        assert_eq!(
            Ecosystem::CratesIo.normalize_name("Serde_JSON"),
            "serde-json"
        );
        assert_eq!(Ecosystem::Npm.normalize_name("JSONStream"), "JSONStream");
        assert_eq!(Ecosystem::from_base("pypi"), Ecosystem::PyPI);
        let rec = EcosystemName::parse("Debian:12");
        assert_eq!(rec.ecosystem, Ecosystem::Debian);
        assert!(rec.matches_package(&EcosystemName::parse("Debian")));
        assert!(rec.matches_package(&EcosystemName::parse("Debian:12")));
        assert!(!rec.matches_package(&EcosystemName::parse("Debian:11")));
        assert!(EcosystemName::parse("Debian").matches_package(&EcosystemName::parse("Debian:11")));
        let maven = EcosystemName::parse("Maven:https://maven.google.com");
        assert_eq!(maven.ecosystem, Ecosystem::Maven);
        assert_eq!(maven.suffix.as_deref(), Some("https://maven.google.com"));
    }
}
