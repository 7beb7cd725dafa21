//! Parsers for the manifests, lockfiles and package metadata files we recognise, and the rules
//! that recognise them by path.
//!
//! Every parser takes the whole file as bytes (the walker bounds its size by
//! `Limits::max_lockfile_bytes`) and returns components plus per-line warnings.

use crate::component::Component;
use crate::error::SbomError;

pub(crate) mod cargo;
pub(crate) mod debian;
pub(crate) mod golang;
pub(crate) mod maven;
pub(crate) mod npm;
pub(crate) mod python;

/// A file we know how to read for package data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetaKind {
    CargoLock,
    NpmLock,
    Requirements,
    PoetryLock,
    GoMod,
    /// `var/lib/dpkg/status`: paragraphs, only `Status: install ok installed` counted.
    DpkgStatus,
    /// `var/lib/dpkg/status.d/<pkg>` (distroless images): one paragraph, no `Status:`.
    DpkgStatusD,
    PomProperties,
    /// `*.dist-info/METADATA` or `*.egg-info/PKG-INFO`.
    PythonMetadata,
    /// `etc/os-release`: read only to warn when dpkg data is not Debian's.
    OsRelease,
}

/// What a parser found.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub components: Vec<Component>,
    pub warnings: Vec<String>,
    /// For [`MetaKind::OsRelease`]: the `ID=` value.
    pub os_id: Option<String>,
}

/// Recognises a metadata file by its path inside an archive or directory (`/`-separated, no
/// leading `./` or `/`).
pub(crate) fn classify(path: &str) -> Option<MetaKind> {
    let base = path.rsplit('/').next().unwrap_or(path);
    let parent = path
        .rsplit_once('/')
        .map(|(p, _)| p.rsplit('/').next().unwrap_or(p))
        .unwrap_or("");
    match base {
        "Cargo.lock" => return Some(MetaKind::CargoLock),
        "package-lock.json" | "npm-shrinkwrap.json" => return Some(MetaKind::NpmLock),
        "poetry.lock" => return Some(MetaKind::PoetryLock),
        "go.mod" => return Some(MetaKind::GoMod),
        "pom.properties" if path.contains("META-INF/maven/") => {
            return Some(MetaKind::PomProperties)
        }
        "METADATA" if parent.ends_with(".dist-info") => return Some(MetaKind::PythonMetadata),
        "PKG-INFO" if parent.ends_with(".egg-info") => return Some(MetaKind::PythonMetadata),
        "os-release" if path == "etc/os-release" || path.ends_with("/etc/os-release") => {
            return Some(MetaKind::OsRelease)
        }
        "os-release" if path == "usr/lib/os-release" || path.ends_with("/usr/lib/os-release") => {
            return Some(MetaKind::OsRelease)
        }
        _ => {}
    }
    if base.starts_with("requirements") && base.ends_with(".txt") {
        return Some(MetaKind::Requirements);
    }
    if path == "var/lib/dpkg/status" || path.ends_with("/var/lib/dpkg/status") {
        return Some(MetaKind::DpkgStatus);
    }
    if parent == "status.d"
        && (path.starts_with("var/lib/dpkg/status.d/") || path.contains("/var/lib/dpkg/status.d/"))
        && !base.contains('.')
    {
        return Some(MetaKind::DpkgStatusD);
    }
    None
}

/// Recognises a metadata file given directly to `catalog` (no archive context), by file name.
pub(crate) fn classify_top(file_name: &str) -> Option<MetaKind> {
    match file_name {
        "status" | "dpkg-status" => Some(MetaKind::DpkgStatus),
        "METADATA" | "PKG-INFO" => Some(MetaKind::PythonMetadata),
        "pom.properties" => Some(MetaKind::PomProperties),
        other => classify(other),
    }
}

/// Text of a metadata file, or a parse error naming it.
pub(crate) fn utf8<'a>(bytes: &'a [u8], path: &str) -> Result<&'a str, SbomError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        SbomError::Parse {
            path: path.to_string(),
            line: Some(line),
            message: "not UTF-8 text (binary data?)".into(),
        }
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub(crate) fn parse(kind: MetaKind, bytes: &[u8], found_in: &str) -> Result<Parsed, SbomError> {
    match kind {
        MetaKind::CargoLock => cargo::parse(bytes, found_in),
        MetaKind::NpmLock => npm::parse(bytes, found_in),
        MetaKind::Requirements => python::parse_requirements(bytes, found_in),
        MetaKind::PoetryLock => python::parse_poetry(bytes, found_in),
        MetaKind::GoMod => golang::parse(bytes, found_in),
        MetaKind::DpkgStatus => debian::parse_status(bytes, found_in, true),
        MetaKind::DpkgStatusD => debian::parse_status(bytes, found_in, false),
        MetaKind::PomProperties => maven::parse(bytes, found_in),
        MetaKind::PythonMetadata => python::parse_metadata(bytes, found_in),
        MetaKind::OsRelease => {
            let text = utf8(bytes, found_in)?;
            let id = text.lines().find_map(|l| {
                l.strip_prefix("ID=")
                    .map(|v| v.trim().trim_matches('"').trim_matches('\'').to_string())
            });
            Ok(Parsed {
                os_id: id,
                ..Parsed::default()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        assert_eq!(classify("srv/Cargo.lock"), Some(MetaKind::CargoLock));
        assert_eq!(classify("var/lib/dpkg/status"), Some(MetaKind::DpkgStatus));
        assert_eq!(classify("var/lib/dpkg/status-old"), None);
        assert_eq!(
            classify("var/lib/dpkg/status.d/libc6"),
            Some(MetaKind::DpkgStatusD)
        );
        assert_eq!(classify("var/lib/dpkg/status.d/libc6.md5sums"), None);
        assert_eq!(
            classify("META-INF/maven/org.x/y/pom.properties"),
            Some(MetaKind::PomProperties)
        );
        assert_eq!(
            classify("usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA"),
            Some(MetaKind::PythonMetadata)
        );
        assert_eq!(
            classify("a/requirements-dev.txt"),
            Some(MetaKind::Requirements)
        );
        assert_eq!(classify("a/notes.txt"), None);
    }
}
