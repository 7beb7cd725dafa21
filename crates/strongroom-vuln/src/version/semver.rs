//! SemVer 2.0.0 precedence (crates.io, npm, Go modules, and OSV `SEMVER` ranges).
//!
//! Parsing is strict SemVer 2.0.0 (no leading zeros in numeric identifiers), with two
//! allowances: surrounding whitespace and one leading `v` (Go module versions such as
//! `v1.2.3`, Go pseudo-versions `v0.0.0-20191109021931-daa7c04131f5`, and node-semver's
//! accepted `v1.2.3`). Build metadata (`+incompatible`, `+build.5`) is kept but ignored by the
//! ordering, as SemVer precedence (§11) requires; this is `semver::Version::cmp_precedence`,
//! not `Ord` of the `semver` crate.

use std::cmp::Ordering;
use std::fmt;

use super::num::Num;
use crate::error::VersionError;

/// One pre-release identifier: numeric identifiers sort below alphanumeric ones.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ident {
    Num(Num),
    Alpha(String),
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => a.cmp(b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A parsed SemVer 2.0.0 version. `Ord`/`Eq` are SemVer *precedence*: `1.0.0+a == 1.0.0+b`.
#[derive(Clone, Debug)]
pub struct SemVer {
    major: Num,
    minor: Num,
    patch: Num,
    pre: Vec<Ident>,
    build: String,
    text: String,
}

impl SemVer {
    pub fn parse(input: &str) -> Result<SemVer, VersionError> {
        if input.len() > super::MAX_VERSION_LEN {
            return Err(VersionError::TooLong { len: input.len() });
        }
        let err = |reason: &'static str| VersionError::invalid("SemVer", input, reason);
        let s = input.trim();
        if s.is_empty() {
            return Err(VersionError::Empty);
        }
        let s = s.strip_prefix('v').unwrap_or(s);
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => {
                if b.is_empty()
                    || b.split('.').any(|id| {
                        id.is_empty() || !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                    })
                {
                    return Err(err("bad build metadata"));
                }
                (r, b)
            }
            None => (s, ""),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let mut parts = core.split('.');
        let mut number = || -> Result<Num, VersionError> {
            let p = parts
                .next()
                .ok_or_else(|| err("expected MAJOR.MINOR.PATCH"))?;
            if p.len() > 1 && p.starts_with('0') {
                return Err(err("leading zero in a numeric identifier"));
            }
            Num::parse(p).ok_or_else(|| err("expected MAJOR.MINOR.PATCH"))
        };
        let major = number()?;
        let minor = number()?;
        let patch = number()?;
        if parts.next().is_some() {
            return Err(err("expected MAJOR.MINOR.PATCH"));
        }
        let mut pre_ids = Vec::new();
        if let Some(pre) = pre {
            for id in pre.split('.') {
                if id.is_empty() {
                    return Err(err("empty pre-release identifier"));
                }
                if !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
                    return Err(err("invalid character in pre-release"));
                }
                if id.bytes().all(|c| c.is_ascii_digit()) {
                    if id.len() > 1 && id.starts_with('0') {
                        return Err(err("leading zero in a numeric pre-release identifier"));
                    }
                    pre_ids.push(Ident::Num(Num::parse(id).ok_or_else(|| err("bad number"))?));
                } else {
                    pre_ids.push(Ident::Alpha(id.to_owned()));
                }
            }
        }
        Ok(SemVer {
            major,
            minor,
            patch,
            pre: pre_ids,
            build: build.to_owned(),
            text: input.trim().to_owned(),
        })
    }

    /// True for versions with a pre-release part (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// Build metadata, ignored by the ordering (`incompatible` for Go's `+incompatible`).
    pub fn build(&self) -> &str {
        &self.build
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then_with(|| self.minor.cmp(&other.minor))
            .then_with(|| self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVer {}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: &str, b: &str) -> Ordering {
        SemVer::parse(a).unwrap().cmp(&SemVer::parse(b).unwrap())
    }

    #[test]
    fn spec_examples() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn build_metadata_ignored_and_go_forms() {
        assert_eq!(c("1.0.0+a", "1.0.0+b"), Ordering::Equal);
        assert_eq!(c("v2.0.0+incompatible", "2.0.0"), Ordering::Equal);
        assert_eq!(
            c("v0.0.0-20191109021931-daa7c04131f5", "0.0.0"),
            Ordering::Less
        );
        assert_eq!(c("0.2.1-0", "0.2.1"), Ordering::Less);
        assert_eq!(c("0.0.0-0", "0.0.0"), Ordering::Less);
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "1",
            "1.2",
            "01.2.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "1.2.3.4",
            "a.b.c",
            "1.2.3-a..b",
        ] {
            assert!(SemVer::parse(bad).is_err(), "{bad}");
        }
    }
}
