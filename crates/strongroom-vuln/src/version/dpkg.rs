//! Debian version ordering, exactly as `dpkg --compare-versions` (dpkg's `verrevcmp`).
//!
//! `[epoch:]upstream[-revision]`: the epoch is a decimal number, the revision is what follows
//! the *last* hyphen. Upstream and revision are compared by alternating runs of non-digits
//! (where `~` sorts before everything, even the end of the string, letters before other
//! characters) and digits (compared numerically). Parsing refuses what dpkg refuses (empty,
//! embedded spaces, a bad epoch, an empty revision or upstream); what dpkg only warns about
//! (a version not starting with a digit, odd characters) is accepted and compared as dpkg does.

use std::cmp::Ordering;
use std::fmt;

use crate::error::VersionError;

/// A parsed Debian version. `Eq`/`Ord` are dpkg's: `1.0 == 1.00`, `1.0 == 0:1.0-0`.
#[derive(Clone, Debug)]
pub struct DpkgVersion {
    epoch: u32,
    upstream: String,
    revision: String,
}

impl DpkgVersion {
    pub fn parse(input: &str) -> Result<DpkgVersion, VersionError> {
        if input.len() > super::MAX_VERSION_LEN {
            return Err(VersionError::TooLong { len: input.len() });
        }
        let err = |reason: &'static str| VersionError::invalid("dpkg", input, reason);
        let s = input.trim_matches([' ', '\t']);
        if s.is_empty() {
            return Err(VersionError::Empty);
        }
        if s.contains([' ', '\t']) {
            return Err(err("version string has embedded spaces"));
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() {
                    return Err(err("epoch in version is empty"));
                }
                if !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("epoch in version is not number"));
                }
                let epoch: u32 = e
                    .parse()
                    .ok()
                    .filter(|&n| n <= i32::MAX as u32)
                    .ok_or_else(|| err("epoch in version is too big"))?;
                if rest.is_empty() {
                    return Err(err("nothing after colon in version number"));
                }
                (epoch, rest)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => {
                if r.is_empty() {
                    return Err(err("revision number is empty"));
                }
                (u, r)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(err("upstream version is empty"));
        }
        Ok(DpkgVersion {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

/// dpkg's `order()`: digits and the end are 0, letters their code, `~` below everything,
/// other characters after all letters.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let at = |s: &[u8], k: usize| s.get(k).copied();
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while at(a, i).is_some_and(|c| !c.is_ascii_digit())
            || at(b, j).is_some_and(|c| !c.is_ascii_digit())
        {
            let ac = order(at(a, i));
            let bc = order(at(b, j));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == Some(b'0') {
            i += 1;
        }
        while at(b, j) == Some(b'0') {
            j += 1;
        }
        while at(a, i).is_some_and(|c| c.is_ascii_digit())
            && at(b, j).is_some_and(|c| c.is_ascii_digit())
        {
            if first_diff == 0 {
                first_diff = i32::from(a[i]) - i32::from(b[j]);
            }
            i += 1;
            j += 1;
        }
        if at(a, i).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Greater;
        }
        if at(b, j).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DpkgVersion {}

impl fmt::Display for DpkgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: &str, b: &str) -> Ordering {
        DpkgVersion::parse(a)
            .unwrap()
            .cmp(&DpkgVersion::parse(b).unwrap())
    }

    #[test]
    fn tilde_and_epochs() {
        assert_eq!(c("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(c("1.0~~", "1.0~"), Ordering::Less);
        assert_eq!(c("1.0~", "1.0"), Ordering::Less);
        assert_eq!(c("1.0", "1.0+b1"), Ordering::Less);
        assert_eq!(c("1.0", "1.0a"), Ordering::Less);
        assert_eq!(c("1.0a", "1.0+"), Ordering::Less);
        assert_eq!(c("1:0.1", "2.0"), Ordering::Greater);
        assert_eq!(c("1.0", "1.00"), Ordering::Equal);
        assert_eq!(c("1.0", "0:1.0-0"), Ordering::Equal);
        assert_eq!(c("2.30-1", "2.30-1+deb12u1"), Ordering::Less);
        assert_eq!(c("1.2-3-4", "1.2-3-5"), Ordering::Less);
    }

    #[test]
    fn refuses_what_dpkg_refuses() {
        for bad in ["", "1:", ":1", "a:1", "1.0-", "1 0", "-1"] {
            assert!(DpkgVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}
