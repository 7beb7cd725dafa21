//! Debian package data: dpkg `status` databases (and distroless `status.d/` files) and the
//! `control` file of a `.deb`.

use super::{utf8, Parsed};
use crate::component::Component;
use crate::error::SbomError;

/// One deb822 paragraph: fields in order, with the line it starts on.
pub(crate) struct Paragraph {
    pub line: usize,
    pub fields: Vec<(String, String)>,
}

impl Paragraph {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses deb822 paragraphs (RFC 822-like fields, continuation lines start with a space/tab).
pub(crate) fn paragraphs(text: &str, found_in: &str) -> Result<Vec<Paragraph>, SbomError> {
    let mut out = Vec::new();
    let mut cur: Option<Paragraph> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if let Some(p) = cur.take() {
                out.push(p);
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match cur.as_mut().and_then(|p| p.fields.last_mut()) {
                // Continuation lines (descriptions, conffiles) are not needed; keep the first.
                Some(_) => continue,
                None => {
                    return Err(SbomError::Parse {
                        path: found_in.to_string(),
                        line: Some(i + 1),
                        message: "continuation line outside a field".into(),
                    })
                }
            }
        }
        let Some((k, v)) = line.split_once(':') else {
            return Err(SbomError::Parse {
                path: found_in.to_string(),
                line: Some(i + 1),
                message: format!("not a `Field: value` line: {:?}", truncate(line)),
            });
        };
        if k.is_empty() || k.contains(char::is_whitespace) {
            return Err(SbomError::Parse {
                path: found_in.to_string(),
                line: Some(i + 1),
                message: format!("bad field name: {:?}", truncate(line)),
            });
        }
        cur.get_or_insert_with(|| Paragraph {
            line: i + 1,
            fields: Vec::new(),
        })
        .fields
        .push((k.to_string(), v.trim().to_string()));
    }
    if let Some(p) = cur {
        out.push(p);
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

/// A component from a paragraph with `Package`, `Version` and optionally `Architecture`/`Source`.
pub(crate) fn component_of(p: &Paragraph, found_in: &str) -> Option<Component> {
    let name = p.get("Package")?;
    let version = p.get("Version")?;
    let arch = p.get("Architecture").unwrap_or("");
    let mut c = Component::debian(name, version, arch, found_in);
    c.source_package = p
        .get("Source")
        .and_then(|s| s.split_whitespace().next())
        .filter(|s| *s != name)
        .map(str::to_string);
    Some(c)
}

/// A dpkg status database. With `need_status`, only packages whose `Status` is
/// `install ok installed` count (removed packages that left config files do not).
pub(crate) fn parse_status(
    bytes: &[u8],
    found_in: &str,
    need_status: bool,
) -> Result<Parsed, SbomError> {
    let text = utf8(bytes, found_in)?;
    let mut out = Parsed::default();
    for p in paragraphs(text, found_in)? {
        if need_status {
            let status: Vec<&str> = p.get("Status").unwrap_or("").split_whitespace().collect();
            if status != ["install", "ok", "installed"] {
                continue;
            }
        }
        match component_of(&p, found_in) {
            Some(c) => out.components.push(c),
            None => out.warnings.push(format!(
                "{found_in}: line {}: paragraph without Package/Version; skipped",
                p.line
            )),
        }
    }
    Ok(out)
}

/// The `control` file of a binary package.
pub(crate) fn parse_control(bytes: &[u8], found_in: &str) -> Result<Component, SbomError> {
    let text = utf8(bytes, found_in)?;
    let paras = paragraphs(text, found_in)?;
    paras
        .first()
        .and_then(|p| component_of(p, found_in))
        .ok_or_else(|| SbomError::Parse {
            path: found_in.to_string(),
            line: None,
            message: "control file without `Package:` and `Version:`".into(),
        })
}
