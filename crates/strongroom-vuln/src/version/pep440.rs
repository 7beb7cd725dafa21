//! PEP 440 version parsing, normalisation and ordering (PyPI), as Python's `packaging.version`.
//!
//! The grammar is the permissive one of PEP 440's appendix (`VERSION_PATTERN` in `packaging`):
//! any case, an optional `v`, `-`/`_`/`.` separators, spelling variants (`alpha`, `c`, `pre`,
//! `preview`, `rev`, `r`, `1.0-1`), implicit numbers (`1.0a` = `1.0a0`), epochs (`1!2.0`) and
//! local versions (`+ubuntu.1`). Invalid versions (`0.2.0-n653`, `2019-09-12` is valid,
//! `0.3m1` is not) are an error: packaging ≥ 22 refuses them too and the old `LegacyVersion`
//! fallback is gone. An OSV range with such a bound cannot be evaluated; its `versions` list
//! still can.

use std::cmp::Ordering;
use std::fmt;

use super::num::Num;
use crate::error::VersionError;

/// Pre-release kind; the derive order is PEP 440's (`a` < `b` < `rc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PreKind {
    Alpha,
    Beta,
    Rc,
}

/// One local-version segment: letters sort below numbers (`+abc` < `+1`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Local {
    Str(String),
    Num(Num),
}

/// A parsed PEP 440 version. `Eq`/`Ord` are PEP 440's: `1.0 == 1.0.0`, `1.0a1 == 1.0.0a1`.
#[derive(Clone, Debug)]
pub struct Pep440Version {
    epoch: Num,
    release: Vec<Num>,
    pre: Option<(PreKind, Num)>,
    post: Option<Num>,
    dev: Option<Num>,
    local: Option<Vec<Local>>,
}

/// One way to match an optional `[-_.]? LABEL [-_.]? [0-9]*` segment: its value and the
/// position after it.
type Cand<T> = (T, Num, usize);

fn is_sep(b: u8) -> bool {
    matches!(b, b'-' | b'_' | b'.')
}

/// Digits at `pos` (maximal), as a number and the position after them.
fn digits_at(s: &[u8], pos: usize) -> Option<(Num, usize)> {
    let mut end = pos;
    while end < s.len() && s[end].is_ascii_digit() {
        end += 1;
    }
    // The slice is ASCII digits, so it is valid UTF-8.
    let n = Num::parse(std::str::from_utf8(&s[pos..end]).ok()?)?;
    Some((n, end))
}

/// Every way the reference regex can match `[-_.]? LABEL [-_.]? [0-9]*` at `pos`, in the
/// order its backtracking tries them (greedy first). A missing number is 0.
fn labelled<T: Copy>(s: &[u8], pos: usize, labels: &[(&str, T)]) -> Vec<Cand<T>> {
    let mut out = Vec::new();
    let starts: &[usize] = if pos < s.len() && is_sep(s[pos]) {
        &[1, 0]
    } else {
        &[0]
    };
    for &skip in starts {
        let p = pos + skip;
        for &(label, value) in labels {
            if !s[p.min(s.len())..].starts_with(label.as_bytes()) {
                continue;
            }
            let q = p + label.len();
            let mut tails: Vec<usize> = Vec::new();
            if q < s.len() && is_sep(s[q]) {
                tails.push(q + 1);
            }
            tails.push(q);
            for t in tails {
                if let Some((n, e)) = digits_at(s, t) {
                    out.push((value, n, e));
                }
                out.push((value, Num::zero(), t));
            }
        }
    }
    out
}

const PRE_LABELS: &[(&str, PreKind)] = &[
    ("alpha", PreKind::Alpha),
    ("a", PreKind::Alpha),
    ("beta", PreKind::Beta),
    ("b", PreKind::Beta),
    ("preview", PreKind::Rc),
    ("pre", PreKind::Rc),
    ("c", PreKind::Rc),
    ("rc", PreKind::Rc),
];
const POST_LABELS: &[(&str, ())] = &[("post", ()), ("rev", ()), ("r", ())];
const DEV_LABELS: &[(&str, ())] = &[("dev", ())];

/// Local version `+ [a-z0-9]+ ([-_.][a-z0-9]+)*` running to the end of `s`.
fn local_at(s: &str, pos: usize) -> Option<Option<Vec<Local>>> {
    if pos == s.len() {
        return Some(None);
    }
    let rest = s[pos..].strip_prefix('+')?;
    let mut parts = Vec::new();
    for part in rest.split(['-', '_', '.']) {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        parts.push(match Num::parse(part) {
            Some(n) => Local::Num(n),
            None => Local::Str(part.to_owned()),
        });
    }
    Some(Some(parts))
}

impl Pep440Version {
    pub fn parse(input: &str) -> Result<Pep440Version, VersionError> {
        if input.len() > super::MAX_VERSION_LEN {
            return Err(VersionError::TooLong { len: input.len() });
        }
        let err = |reason: &'static str| VersionError::invalid("PEP 440", input, reason);
        let lower = input.trim().to_ascii_lowercase();
        if lower.is_empty() {
            return Err(VersionError::Empty);
        }
        let s = lower.as_bytes();
        let mut pos = usize::from(s[0] == b'v');
        // Epoch or first release number.
        let (first, p) = digits_at(s, pos).ok_or_else(|| err("expected a release number"))?;
        pos = p;
        let (epoch, first) = if s.get(pos) == Some(&b'!') {
            let (n, p) = digits_at(s, pos + 1).ok_or_else(|| err("expected a release number"))?;
            pos = p;
            (first, n)
        } else {
            (Num::zero(), first)
        };
        let mut release = vec![first];
        while s.get(pos) == Some(&b'.') {
            match digits_at(s, pos + 1) {
                Some((n, p)) => {
                    release.push(n);
                    pos = p;
                }
                None => break,
            }
        }
        // pre? post? dev? local? — tried in the reference regex's backtracking order.
        let mut pres: Vec<Option<Cand<PreKind>>> =
            labelled(s, pos, PRE_LABELS).into_iter().map(Some).collect();
        pres.push(None);
        for pre in pres {
            let p1 = pre.as_ref().map_or(pos, |c| c.2);
            let mut posts: Vec<Option<(Num, usize)>> = Vec::new();
            if s.get(p1) == Some(&b'-') {
                if let Some(d) = digits_at(s, p1 + 1) {
                    posts.push(Some(d));
                }
            }
            posts.extend(
                labelled(s, p1, POST_LABELS)
                    .into_iter()
                    .map(|(_, n, e)| Some((n, e))),
            );
            posts.push(None);
            for post in posts {
                let p2 = post.as_ref().map_or(p1, |c| c.1);
                let mut devs: Vec<Option<(Num, usize)>> = labelled(s, p2, DEV_LABELS)
                    .into_iter()
                    .map(|(_, n, e)| Some((n, e)))
                    .collect();
                devs.push(None);
                for dev in devs {
                    let p3 = dev.as_ref().map_or(p2, |c| c.1);
                    if let Some(local) = local_at(&lower, p3) {
                        return Ok(Pep440Version {
                            epoch,
                            release,
                            pre: pre.map(|(k, n, _)| (k, n)),
                            post: post.map(|(n, _)| n),
                            dev: dev.map(|(n, _)| n),
                            local,
                        });
                    }
                }
            }
        }
        Err(err("not a PEP 440 version"))
    }

    /// True for pre-releases and development releases.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The normalised form (`1.0.0a1`, `1!2.0.post1`, `1.0+ubuntu.1`), as `str(Version(...))`.
    pub fn normalized(&self) -> String {
        let mut out = String::new();
        if !self.epoch.is_zero() {
            out.push_str(self.epoch.as_str());
            out.push('!');
        }
        let rel: Vec<&str> = self.release.iter().map(Num::as_str).collect();
        out.push_str(&rel.join("."));
        if let Some((k, n)) = &self.pre {
            out.push_str(match k {
                PreKind::Alpha => "a",
                PreKind::Beta => "b",
                PreKind::Rc => "rc",
            });
            out.push_str(n.as_str());
        }
        if let Some(n) = &self.post {
            out.push_str(".post");
            out.push_str(n.as_str());
        }
        if let Some(n) = &self.dev {
            out.push_str(".dev");
            out.push_str(n.as_str());
        }
        if let Some(local) = &self.local {
            let parts: Vec<&str> = local
                .iter()
                .map(|l| match l {
                    Local::Str(s) => s.as_str(),
                    Local::Num(n) => n.as_str(),
                })
                .collect();
            out.push('+');
            out.push_str(&parts.join("."));
        }
        out
    }

    /// A string equal for two versions exactly when PEP 440 says they are equal: the
    /// normalised form with trailing zero release numbers dropped (`1.0.0a1` → `1a1`).
    pub fn canonical(&self) -> String {
        let mut v = self.clone();
        let keep = v.release_key().len().max(1);
        v.release.truncate(keep);
        v.normalized()
    }

    /// Release numbers without trailing zeros (`1.0.0` → `[1]`).
    fn release_key(&self) -> &[Num] {
        let mut end = self.release.len();
        while end > 0 && self.release[end - 1].is_zero() {
            end -= 1;
        }
        &self.release[..end]
    }
}

/// `Infinity`/`NegativeInfinity` sentinels of packaging's `_cmpkey`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    NegInf,
    Val(T),
    Inf,
}

impl Pep440Version {
    #[allow(clippy::type_complexity)]
    fn key(
        &self,
    ) -> (
        &Num,
        &[Num],
        Bound<(PreKind, &Num)>,
        Bound<&Num>,
        Bound<&Num>,
        Bound<&[Local]>,
    ) {
        let pre = match (&self.pre, &self.post, &self.dev) {
            (None, None, Some(_)) => Bound::NegInf,
            (None, _, _) => Bound::Inf,
            (Some((k, n)), _, _) => Bound::Val((*k, n)),
        };
        let post = self.post.as_ref().map_or(Bound::NegInf, Bound::Val);
        let dev = self.dev.as_ref().map_or(Bound::Inf, Bound::Val);
        let local = self.local.as_deref().map_or(Bound::NegInf, Bound::Val);
        (&self.epoch, self.release_key(), pre, post, dev, local)
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Pep440Version {
        Pep440Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn normalisation() {
        for (raw, norm) in [
            ("1.0a1", "1.0a1"),
            ("1.0.0a1", "1.0.0a1"),
            ("1.0-alpha.1", "1.0a1"),
            ("1.0c1", "1.0rc1"),
            ("1.0preview2", "1.0rc2"),
            ("1.0-1", "1.0.post1"),
            ("1.0.rev", "1.0.post0"),
            ("1.0-r4", "1.0.post4"),
            ("1!2.0", "1!2.0"),
            ("v1.0.DEV", "1.0.dev0"),
            ("1.0+Ubuntu-1_2", "1.0+ubuntu.1.2"),
            ("  01.002  ", "1.2"),
            ("1.0a.", "1.0a0"),
            ("1.0a.post1", "1.0a0.post1"),
        ] {
            assert_eq!(v(raw).normalized(), norm, "{raw}");
        }
    }

    #[test]
    fn canonical_is_an_equality_key() {
        assert_eq!(v("1.0.0a1").canonical(), v("1.0a1").canonical());
        assert_eq!(v("1.0").canonical(), "1");
        assert_eq!(v("0.0").canonical(), "0");
        assert_eq!(
            v("1!01.0.post02+Ubuntu-01").canonical(),
            "1!1.post2+ubuntu.1"
        );
        assert_ne!(v("1.0+a").canonical(), v("1.0").canonical());
    }

    #[test]
    fn ordering() {
        assert_eq!(v("1.0a1"), v("1.0.0a1"));
        assert_eq!(v("1.0"), v("1.0.0.0"));
        let chain = [
            "1.0.dev0",
            "1.0a0.dev1",
            "1.0a1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+abc",
            "1.0+1",
            "1.0.post1.dev0",
            "1.0.post1",
            "1.1",
            "1!0.1",
        ];
        for w in chain.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn invalid() {
        for bad in [
            "",
            "0.2.0-n653",
            "0.3m1",
            "1.0-",
            "1..0",
            "1.0+",
            "1.0+a..b",
            "abc",
            "1.0 x",
        ] {
            assert!(Pep440Version::parse(bad).is_err(), "{bad}");
        }
    }
}
