//! Version orderings of the package ecosystems, each a total order usable for range checks.
//!
//! | ordering | ecosystems | module |
//! |---|---|---|
//! | SemVer 2.0.0 precedence | crates.io, npm, Go, OSV `SEMVER` ranges | [`semver`] |
//! | PEP 440 | PyPI | [`pep440`] |
//! | dpkg | Debian | [`dpkg`] |
//! | Maven `ComparableVersion` | Maven | [`maven`] |
//!
//! Each parser refuses what its reference refuses ([`VersionError`]); a parsed version of one
//! ordering is totally ordered against the others of the same ordering.

pub mod dpkg;
pub mod maven;
pub mod num;
pub mod pep440;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;

pub use self::dpkg::DpkgVersion;
pub use self::maven::MavenVersion;
pub use self::pep440::Pep440Version;
pub use self::semver::SemVer;
use crate::error::VersionError;

/// Longest version string any ordering accepts. Real versions stay under 100 bytes; the
/// bound keeps parsing linear and Maven's nested item lists shallow on hostile input.
pub const MAX_VERSION_LEN: usize = 512;

/// Which version ordering to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VersionOrdering {
    /// SemVer 2.0.0 precedence; a leading `v` is accepted (Go).
    SemVer,
    /// PEP 440 (Python's `packaging.version`).
    Pep440,
    /// Debian's dpkg.
    Dpkg,
    /// Maven's `ComparableVersion`.
    Maven,
}

impl VersionOrdering {
    /// Parses `version` under this ordering.
    pub fn parse(self, version: &str) -> Result<ParsedVersion, VersionError> {
        if version.len() > MAX_VERSION_LEN {
            return Err(VersionError::TooLong { len: version.len() });
        }
        Ok(match self {
            VersionOrdering::SemVer => ParsedVersion::SemVer(SemVer::parse(version)?),
            VersionOrdering::Pep440 => ParsedVersion::Pep440(Pep440Version::parse(version)?),
            VersionOrdering::Dpkg => ParsedVersion::Dpkg(DpkgVersion::parse(version)?),
            VersionOrdering::Maven => ParsedVersion::Maven(MavenVersion::parse(version)?),
        })
    }

    /// Compares two version strings; an error names the first one that does not parse.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(self.parse(a)?.cmp(&self.parse(b)?))
    }

    pub fn name(self) -> &'static str {
        match self {
            VersionOrdering::SemVer => "SemVer",
            VersionOrdering::Pep440 => "PEP 440",
            VersionOrdering::Dpkg => "dpkg",
            VersionOrdering::Maven => "Maven",
        }
    }
}

/// A version parsed under one [`VersionOrdering`].
///
/// Versions of the same ordering compare by that ordering. Versions of different orderings
/// never meet in practice; they compare by ordering kind first so that `Ord` stays total.
#[derive(Clone, Debug)]
pub enum ParsedVersion {
    SemVer(SemVer),
    Pep440(Pep440Version),
    Dpkg(DpkgVersion),
    Maven(MavenVersion),
}

impl ParsedVersion {
    fn rank(&self) -> u8 {
        match self {
            ParsedVersion::SemVer(_) => 0,
            ParsedVersion::Pep440(_) => 1,
            ParsedVersion::Dpkg(_) => 2,
            ParsedVersion::Maven(_) => 3,
        }
    }
}

impl Ord for ParsedVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (ParsedVersion::SemVer(a), ParsedVersion::SemVer(b)) => a.cmp(b),
            (ParsedVersion::Pep440(a), ParsedVersion::Pep440(b)) => a.cmp(b),
            (ParsedVersion::Dpkg(a), ParsedVersion::Dpkg(b)) => a.cmp(b),
            (ParsedVersion::Maven(a), ParsedVersion::Maven(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for ParsedVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ParsedVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ParsedVersion {}

impl fmt::Display for ParsedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParsedVersion::SemVer(v) => v.fmt(f),
            ParsedVersion::Pep440(v) => v.fmt(f),
            ParsedVersion::Dpkg(v) => v.fmt(f),
            ParsedVersion::Maven(v) => v.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_lengths_are_refused_not_crashed() {
        let deep = "1-".repeat(100_000);
        for ord in [
            VersionOrdering::SemVer,
            VersionOrdering::Pep440,
            VersionOrdering::Dpkg,
            VersionOrdering::Maven,
        ] {
            assert!(matches!(
                ord.parse(&deep),
                Err(VersionError::TooLong { .. })
            ));
            assert!(ord.parse("").is_err());
        }
        // At the bound, Maven's nesting stays shallow enough to compare and drop.
        let at_bound = "1-".repeat(MAX_VERSION_LEN / 2);
        let a = VersionOrdering::Maven.parse(&at_bound).unwrap();
        let b = VersionOrdering::Maven
            .parse(&format!("{}2", &at_bound[..MAX_VERSION_LEN - 2]))
            .unwrap();
        assert_eq!(a.cmp(&b), Ordering::Less);
    }
}
