//! Package URLs (purl, ECMA-427 / package-url/purl-spec): building canonical strings and parsing
//! the ones other tools write.
//!
//! Percent-encoding follows the specification's "Character encoding" rules: every byte of the
//! UTF-8 form is encoded except the unreserved set `A-Z a-z 0-9 . - _ ~` and the colon `:`, which
//! "shall not be percent-encoded, whether used as a separator or otherwise" (so a Debian epoch
//! version reads `1:2.3-4`, as `packageurl-python` writes it). Namespace segments are encoded one
//! by one and joined with `/`; qualifiers are sorted by key. The parser accepts either form.

use std::collections::BTreeMap;
use std::fmt;

/// Percent-encodes one purl component (a namespace segment, the name, version or a qualifier value).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
pub fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// PEP 503 name normalisation: lower case, and every run of `-`, `_`, `.` becomes one `-`.
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// A parsed package URL. Fields hold decoded values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purl {
    /// Lower-case type (`cargo`, `npm`, `pypi`, `golang`, `deb`, `maven`, …).
    pub ty: String,
    /// Namespace segments, decoded (`["@babel"]`, `["github.com", "pkg"]`).
    pub namespace: Vec<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: Option<String>,
}

/// Why a string is not a package URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid purl {purl:?}: {reason}")]
pub struct PurlError {
    pub purl: String,
    pub reason: &'static str,
}

impl Purl {
    /// A purl with no qualifiers or subpath.
    pub fn new(ty: &str, namespace: &[&str], name: &str, version: &str) -> Purl {
        Purl {
            ty: ty.to_ascii_lowercase(),
            namespace: namespace
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.to_string())
                .collect(),
            name: name.to_string(),
            version: (!version.is_empty()).then(|| version.to_string()),
            qualifiers: BTreeMap::new(),
            subpath: None,
        }
    }

    /// Adds a qualifier; empty values are dropped, as the specification requires.
    pub fn with_qualifier(mut self, key: &str, value: &str) -> Purl {
        if !value.is_empty() {
            self.qualifiers
                .insert(key.to_ascii_lowercase(), value.to_string());
        }
        self
    }

    /// Parses a purl string, following the specification's parsing algorithm.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        let err = |reason| PurlError {
            purl: s.to_string(),
            reason,
        };
        let rest = s
            .strip_prefix("pkg:")
            .or_else(|| s.strip_prefix("PKG:"))
            .ok_or_else(|| err("does not start with `pkg:`"))?;
        let rest = rest.trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, sp)) => {
                let segs: Vec<String> = sp
                    .split('/')
                    .filter(|x| !x.is_empty() && *x != "." && *x != "..")
                    .map(|x| decode(x).ok_or_else(|| err("bad escape in subpath")))
                    .collect::<Result<_, _>>()?;
                (r, (!segs.is_empty()).then(|| segs.join("/")))
            }
            None => (rest, None),
        };
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => {
                let mut map = BTreeMap::new();
                for pair in q.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair
                        .split_once('=')
                        .ok_or_else(|| err("qualifier without `=`"))?;
                    let v = decode(v).ok_or_else(|| err("bad escape in qualifier"))?;
                    if !v.is_empty() {
                        map.insert(k.to_ascii_lowercase(), v);
                    }
                }
                (r, map)
            }
            None => (rest, BTreeMap::new()),
        };
        let (ty, rest) = rest.split_once('/').ok_or_else(|| err("no type"))?;
        if ty.is_empty()
            || !ty
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
        {
            return Err(err("bad type"));
        }
        let rest = rest.trim_end_matches('/');
        let (path, version) = match rest.rfind('@') {
            Some(i) => (
                &rest[..i],
                Some(decode(&rest[i + 1..]).ok_or_else(|| err("bad escape in version"))?),
            ),
            None => (rest, None),
        };
        let mut segs: Vec<String> = path
            .split('/')
            .filter(|x| !x.is_empty())
            .map(|x| decode(x).ok_or_else(|| err("bad escape in name")))
            .collect::<Result<_, _>>()?;
        let name = segs.pop().ok_or_else(|| err("no name"))?;
        Ok(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace: segs,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
            subpath,
        })
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        for seg in &self.namespace {
            write!(f, "{}/", encode(seg))?;
        }
        f.write_str(&encode(&self.name))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        let mut sep = '?';
        for (k, v) in &self.qualifiers {
            write!(f, "{sep}{k}={}", encode(v))?;
            sep = '&';
        }
        if let Some(sp) = &self.subpath {
            let segs: Vec<String> = sp.split('/').map(encode).collect();
            write!(f, "#{}", segs.join("/"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_per_spec() {
        assert_eq!(encode("1:2.3+dfsg-4~b1"), "1:2.3%2Bdfsg-4~b1");
        assert_eq!(encode("@babel"), "%40babel");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn pep503() {
        assert_eq!(pep503_normalize("Zope.Interface"), "zope-interface");
        assert_eq!(pep503_normalize("ruamel_yaml"), "ruamel-yaml");
        assert_eq!(pep503_normalize("A__b-.-C"), "a-b-c");
    }

    #[test]
    fn round_trips() {
        for s in [
            "pkg:npm/%40babel/core@7.24.0",
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
            "pkg:golang/github.com/Azure/go-autorest/autorest@v0.11.29",
            "pkg:maven/org.apache.commons/commons-lang3@3.12.0",
            "pkg:pypi/zope-interface@6.0",
        ] {
            assert_eq!(Purl::parse(s).unwrap().to_string(), s);
        }
        let p = Purl::parse("pkg:deb/debian/bash@1%3A5.2-1?arch=amd64").unwrap();
        assert_eq!(p.version.as_deref(), Some("1:5.2-1"));
        assert_eq!(p.to_string(), "pkg:deb/debian/bash@1:5.2-1?arch=amd64");
        assert!(Purl::parse("npm/foo").is_err());
        assert!(Purl::parse("pkg:npm/%zz@1").is_err());
        assert!(Purl::parse("pkg:").is_err());
    }
}
