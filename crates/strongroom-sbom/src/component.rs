//! What an SBOM lists: [`Component`]s of an [`Ecosystem`], each with its canonical purl and the
//! file it was found in.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::purl::{pep503_normalize, Purl};

/// A package ecosystem, named as OSV names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    Cargo,
    Npm,
    PyPI,
    Go,
    Debian,
    Maven,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 6] = [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
        Ecosystem::Debian,
        Ecosystem::Maven,
    ];

    /// The OSV ecosystem name (`crates.io`, `npm`, `PyPI`, `Go`, `Debian`, `Maven`).
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::Debian => "Debian",
            Ecosystem::Maven => "Maven",
        }
    }

    /// Parses an OSV ecosystem name; Debian's release suffix (`Debian:12`) is accepted.
    pub fn from_osv_name(name: &str) -> Option<Ecosystem> {
        let base = name.split(':').next().unwrap_or(name);
        Ecosystem::ALL.into_iter().find(|e| e.osv_name() == base)
    }

    /// The purl type (`cargo`, `npm`, `pypi`, `golang`, `deb`, `maven`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "golang",
            Ecosystem::Debian => "deb",
            Ecosystem::Maven => "maven",
        }
    }

    /// The ecosystem of a purl type.
    pub fn from_purl_type(ty: &str) -> Option<Ecosystem> {
        let ty = ty.to_ascii_lowercase();
        Ecosystem::ALL.into_iter().find(|e| e.purl_type() == ty)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// One package found in an artifact.
///
/// `name` is the package's own name as its ecosystem spells it: `@babel/core` for npm,
/// `groupId:artifactId` for Maven (as OSV names Maven packages), the module path for Go, the
/// binary package name for Debian, and the name as written for PyPI (the purl carries the PEP 503
/// form; compare PyPI names normalised).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Component {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// Canonical package URL (see [`crate::purl`]).
    pub purl: String,
    /// Where it was found, inside the artifact: archive layers are separated by `!/`, e.g.
    /// `app.tar.gz!/srv/Cargo.lock`.
    pub found_in: String,
    /// Declared licenses, as the metadata states them (not validated as SPDX expressions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// `true` when the package does not come from the ecosystem's public registry: a Cargo path
    /// or workspace package (no `source`), an npm workspace/`file:` package, a poetry directory
    /// package, a Go module replaced by a local directory. Vulnerability matching by name would be
    /// wrong for those; they are listed so the SBOM is complete.
    #[serde(default)]
    pub local: bool,
    /// Debian only: the source package (`Source:` field) when it differs from `name`. OSV's
    /// Debian advisories are keyed by source package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_package: Option<String>,
}

impl Component {
    fn base(ecosystem: Ecosystem, name: &str, version: &str, purl: Purl, found_in: &str) -> Self {
        Component {
            ecosystem,
            name: name.to_string(),
            version: version.to_string(),
            purl: purl.to_string(),
            found_in: found_in.to_string(),
            licenses: Vec::new(),
            local: false,
            source_package: None,
        }
    }

    /// A crates.io package: `pkg:cargo/name@version`.
    pub fn cargo(name: &str, version: &str, found_in: &str) -> Self {
        let purl = Purl::new("cargo", &[], name, version);
        Self::base(Ecosystem::Cargo, name, version, purl, found_in)
    }

    /// An npm package, scoped (`@scope/name`) or not: `pkg:npm/%40scope/name@version`.
    /// The purl is lower-cased, as the npm type requires.
    pub fn npm(name: &str, version: &str, found_in: &str) -> Self {
        let lower = name.to_lowercase();
        let purl = match lower.split_once('/') {
            Some((scope, n)) if scope.starts_with('@') => Purl::new("npm", &[scope], n, version),
            _ => Purl::new("npm", &[], &lower, version),
        };
        Self::base(Ecosystem::Npm, name, version, purl, found_in)
    }

    /// A PyPI distribution: `pkg:pypi/<PEP 503 name>@version`.
    pub fn pypi(name: &str, version: &str, found_in: &str) -> Self {
        let purl = Purl::new("pypi", &[], &pep503_normalize(name), version);
        Self::base(Ecosystem::PyPI, name, version, purl, found_in)
    }

    /// A Go module: `pkg:golang/<module path>@version`, the path split at its last `/` into
    /// namespace and name. Case is kept: Go module paths are case-sensitive.
    pub fn go(module: &str, version: &str, found_in: &str) -> Self {
        let segs: Vec<&str> = module.split('/').filter(|s| !s.is_empty()).collect();
        let (ns, name) = match segs.split_last() {
            Some((last, ns)) => (ns.to_vec(), *last),
            None => (Vec::new(), module),
        };
        let purl = Purl::new("golang", &ns, name, version);
        Self::base(Ecosystem::Go, module, version, purl, found_in)
    }

    /// A Debian binary package: `pkg:deb/debian/name@version?arch=amd64`.
    pub fn debian(name: &str, version: &str, arch: &str, found_in: &str) -> Self {
        let purl = Purl::new("deb", &["debian"], &name.to_lowercase(), version)
            .with_qualifier("arch", arch);
        Self::base(Ecosystem::Debian, name, version, purl, found_in)
    }

    /// A Maven artifact: `pkg:maven/group/artifact@version`; `name` becomes `group:artifact`.
    pub fn maven(group: &str, artifact: &str, version: &str, found_in: &str) -> Self {
        let purl = Purl::new("maven", &[group], artifact, version);
        let name = format!("{group}:{artifact}");
        Self::base(Ecosystem::Maven, &name, version, purl, found_in)
    }

    /// Builds a component from a purl of one of our ecosystems (used when reading SBOMs that
    /// other tools wrote). `None` for other purl types or a purl without a version.
    pub fn from_purl(purl: &Purl, found_in: &str) -> Option<Self> {
        let eco = Ecosystem::from_purl_type(&purl.ty)?;
        let version = purl.version.as_deref()?;
        let mut c = match eco {
            Ecosystem::Cargo => Self::cargo(&purl.name, version, found_in),
            Ecosystem::Npm => {
                let name = match purl.namespace.first() {
                    Some(scope) => format!("{scope}/{}", purl.name),
                    None => purl.name.clone(),
                };
                Self::npm(&name, version, found_in)
            }
            Ecosystem::PyPI => Self::pypi(&purl.name, version, found_in),
            Ecosystem::Go => {
                let mut path = purl.namespace.join("/");
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(&purl.name);
                Self::go(&path, version, found_in)
            }
            Ecosystem::Debian => {
                let arch = purl.qualifiers.get("arch").map_or("", |s| s.as_str());
                let mut c = Self::debian(&purl.name, version, arch, found_in);
                c.source_package = purl
                    .qualifiers
                    .get("upstream")
                    .map(|u| u.split_whitespace().next().unwrap_or(u).to_string());
                c
            }
            Ecosystem::Maven => {
                let group = purl.namespace.join(".");
                Self::maven(&group, &purl.name, version, found_in)
            }
        };
        // Keep the vendor's own purl when it carries more (e.g. a distro qualifier).
        c.purl = purl.to_string();
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls() {
        assert_eq!(
            Component::npm("@babel/core", "7.24.0", "x").purl,
            "pkg:npm/%40babel/core@7.24.0"
        );
        assert_eq!(
            Component::pypi("Zope.Interface", "6.0", "x").purl,
            "pkg:pypi/zope-interface@6.0"
        );
        assert_eq!(
            Component::go("github.com/pkg/errors", "v0.9.1", "x").purl,
            "pkg:golang/github.com/pkg/errors@v0.9.1"
        );
        assert_eq!(
            Component::debian("bash", "1:5.2-1+b1", "amd64", "x").purl,
            "pkg:deb/debian/bash@1:5.2-1%2Bb1?arch=amd64"
        );
        let m = Component::maven("org.apache.commons", "commons-lang3", "3.12.0", "x");
        assert_eq!(m.purl, "pkg:maven/org.apache.commons/commons-lang3@3.12.0");
        assert_eq!(m.name, "org.apache.commons:commons-lang3");
        assert_eq!(
            Ecosystem::from_osv_name("Debian:12"),
            Some(Ecosystem::Debian)
        );
    }
}
