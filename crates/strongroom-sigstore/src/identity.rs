//! Who a keyless signature must come from, as cosign's flags spell it: the certificate identity
//! (a subject alternative name) and the OIDC issuer, each exact or a regular expression, and for
//! CI identities the source repository, ref and workflow. Regular expressions must match the
//! whole value (cosign searches within it, so `github.com/org/` there also matches
//! `evil.example/github.com/org/x`): a policy says exactly what it admits.

use regex::Regex;

use crate::x509::SigningCertificate;

/// A value the policy requires: exactly this, or matching this whole-string regular expression.
#[derive(Clone, Debug)]
pub enum Expect {
    Exact(String),
    Matches(Regex),
}

impl Expect {
    /// `pattern` as a regular expression that must match the whole value.
    pub fn regex(pattern: &str) -> Result<Expect, regex::Error> {
        // Compiled alone first, so that `a)|(.*` cannot close the anchoring group.
        Regex::new(pattern)?;
        Ok(Expect::Matches(Regex::new(&format!("^(?:{pattern})$"))?))
    }

    pub fn admits(&self, value: &str) -> bool {
        match self {
            Expect::Exact(s) => s == value,
            Expect::Matches(r) => r.is_match(value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Expect::Exact(s) => format!("{s:?}"),
            Expect::Matches(r) => {
                let p = r.as_str();
                let inner = p
                    .strip_prefix("^(?:")
                    .and_then(|p| p.strip_suffix(")$"))
                    .unwrap_or(p);
                format!("a match of /{inner}/")
            }
        }
    }
}

/// What a keyless signature's certificate must say.
#[derive(Clone, Debug)]
pub struct IdentityPolicy {
    pub identity: Expect,
    pub issuer: Expect,
    pub source_repository: Option<Expect>,
    pub source_ref: Option<Expect>,
    pub workflow: Option<Expect>,
}

/// The finding of one part of the policy: passed, or why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityFinding {
    /// `identity`, `issuer`, `source-repository`, `source-ref` or `workflow`.
    pub what: &'static str,
    pub passed: bool,
    pub detail: String,
}

impl IdentityPolicy {
    /// Checks every part of the policy against `cert`; every part gets a finding.
    pub fn check(&self, cert: &SigningCertificate) -> Vec<IdentityFinding> {
        let mut out = Vec::new();
        // Only URIs and email addresses are identities; other names are never matched.
        let sans: Vec<&str> = cert
            .sans
            .iter()
            .filter(|s| !matches!(s, crate::x509::San::Other(_)))
            .map(|s| s.as_str())
            .collect();
        let matched = sans.iter().find(|s| self.identity.admits(s));
        out.push(IdentityFinding {
            what: "identity",
            passed: matched.is_some(),
            detail: match matched {
                Some(s) => format!("signed by {s}"),
                None => format!(
                    "the certificate names {}, not {}",
                    if sans.is_empty() {
                        "no identity".to_owned()
                    } else {
                        sans.join(", ")
                    },
                    self.identity.describe()
                ),
            },
        });
        out.push(claim("issuer", cert.issuer.as_deref(), Some(&self.issuer)));
        for (what, value, expect) in [
            (
                "source-repository",
                cert.ci.source_repository.as_deref(),
                &self.source_repository,
            ),
            (
                "source-ref",
                cert.ci.source_ref.as_deref(),
                &self.source_ref,
            ),
            ("workflow", cert.ci.workflow.as_deref(), &self.workflow),
        ] {
            if expect.is_some() {
                out.push(claim(what, value, expect.as_ref()));
            }
        }
        out
    }
}

fn claim(what: &'static str, value: Option<&str>, expect: Option<&Expect>) -> IdentityFinding {
    let expect = expect.expect("only asked parts are checked");
    match value {
        Some(v) if expect.admits(v) => IdentityFinding {
            what,
            passed: true,
            detail: format!("{what} {v}"),
        },
        Some(v) => IdentityFinding {
            what,
            passed: false,
            detail: format!(
                "the certificate's {what} is {v:?}, not {}",
                expect.describe()
            ),
        },
        None => IdentityFinding {
            what,
            passed: false,
            detail: format!(
                "the certificate names no {what}; {} was required",
                expect.describe()
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_expressions_match_whole_values_only() {
        let e = Expect::regex("https://github.com/org/.*").unwrap();
        assert!(e.admits("https://github.com/org/repo/.github/workflows/r.yml@refs/heads/main"));
        assert!(!e.admits("https://evil.example/https://github.com/org/x"));
        let alt = Expect::regex("a|b").unwrap();
        assert!(alt.admits("a") && alt.admits("b") && !alt.admits("ab"));
        assert!(Expect::regex("(").is_err());
        // A pattern cannot break out of its anchors.
        assert!(Expect::regex("a)|(.*").is_err());
        assert_eq!(Expect::Exact("x".into()).describe(), "\"x\"");
        assert_eq!(e.describe(), "a match of /https://github.com/org/.*/");
    }
}
