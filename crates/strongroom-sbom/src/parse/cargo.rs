//! `Cargo.lock` (format versions 1 to 4): every `[[package]]`.
//!
//! Choice: packages without a `source` (workspace members and path dependencies) are listed
//! too, with [`Component::local`] set, so the SBOM is complete while a vulnerability matcher can
//! tell them from crates.io packages of the same name.

use serde::Deserialize;

use super::{line_of, utf8, Parsed};
use crate::component::Component;
use crate::error::SbomError;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
}

pub(crate) fn parse(bytes: &[u8], found_in: &str) -> Result<Parsed, SbomError> {
    let text = utf8(bytes, found_in)?;
    let lock: Lock = toml::from_str(text).map_err(|e| SbomError::Parse {
        path: found_in.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: format!("not a valid Cargo.lock: {}", e.message().trim()),
    })?;
    let mut out = Parsed::default();
    for p in lock.package {
        let mut c = Component::cargo(&p.name, &p.version, found_in);
        c.local = p.source.is_none();
        out.components.push(c);
    }
    Ok(out)
}
