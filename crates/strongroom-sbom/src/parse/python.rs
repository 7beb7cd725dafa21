//! Python: `requirements*.txt` pins, `poetry.lock`, and core metadata (`*.dist-info/METADATA`
//! in wheels and site-packages, `*.egg-info/PKG-INFO`).
//!
//! requirements: only exact pins (`name==1.2` or `name===1.2`, with optional extras, markers and
//! `--hash` options) are components. Unpinned requirements, `-r`/`-c` includes, editables, URLs
//! and paths are skipped with a warning naming the line: an SBOM must not guess versions.

use serde::Deserialize;

use super::{line_of, utf8, Parsed};
use crate::component::Component;
use crate::error::SbomError;

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

pub(crate) fn parse_requirements(bytes: &[u8], found_in: &str) -> Result<Parsed, SbomError> {
    let text = utf8(bytes, found_in)?;
    let mut out = Parsed::default();
    // Join `\` continuations, remembering the first line of each logical line.
    let mut logical: Vec<(usize, String)> = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (start, mut acc) = cur.take().unwrap_or((i + 1, String::new()));
        if let Some(stripped) = raw.strip_suffix('\\') {
            acc.push_str(stripped);
            acc.push(' ');
            cur = Some((start, acc));
        } else {
            acc.push_str(raw);
            logical.push((start, acc));
        }
    }
    if let Some(c) = cur {
        logical.push(c);
    }
    for (line_no, line) in logical {
        let warn = |out: &mut Parsed, what: &str| {
            out.warnings
                .push(format!("{found_in}: line {line_no}: {what}; skipped"));
        };
        // A comment starts at `#` at the start or after whitespace.
        let mut body = line.as_str();
        if let Some(i) = body
            .char_indices()
            .find(|&(i, c)| c == '#' && (i == 0 || body[..i].ends_with(char::is_whitespace)))
            .map(|(i, _)| i)
        {
            body = &body[..i];
        }
        let body = body.trim();
        if body.is_empty() {
            continue;
        }
        if let Some(opt) = body.strip_prefix('-') {
            let name = opt.split([' ', '=', '\t']).next().unwrap_or(opt);
            match name {
                "r" | "-requirement" | "c" | "-constraint" => warn(
                    &mut out,
                    &format!("include `{body}` is not followed (catalog that file too)"),
                ),
                "e" | "-editable" => warn(&mut out, &format!("editable install `{body}`")),
                _ => {}
            }
            continue;
        }
        if body.contains("://") || body.starts_with('.') || body.starts_with('/') {
            warn(&mut out, &format!("URL or path requirement `{body}`"));
            continue;
        }
        // Drop environment markers and per-requirement options.
        let req = body.split(';').next().unwrap_or(body);
        let req = match req.find(" --").or_else(|| req.find("\t--")) {
            Some(i) => &req[..i],
            None => req,
        }
        .trim();
        let name_end = req.find(|c: char| !is_name_char(c)).unwrap_or(req.len());
        let name = &req[..name_end];
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            warn(&mut out, &format!("not a requirement: `{body}`"));
            continue;
        }
        let mut rest = req[name_end..].trim_start();
        if rest.starts_with('[') {
            match rest.find(']') {
                Some(i) => rest = rest[i + 1..].trim_start(),
                None => {
                    warn(&mut out, &format!("unclosed extras in `{body}`"));
                    continue;
                }
            }
        }
        if rest.starts_with('@') {
            warn(&mut out, &format!("direct reference `{body}`"));
            continue;
        }
        let version = rest
            .strip_prefix("===")
            .or_else(|| rest.strip_prefix("=="))
            .map(str::trim);
        match version {
            Some(v) if !v.is_empty() && !v.contains(['*', ',', ' ', '<', '>', '!', '~', '=']) => {
                out.components.push(Component::pypi(name, v, found_in));
            }
            _ => warn(&mut out, &format!("`{body}` is not pinned with `==`")),
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPackage>,
}

#[derive(Deserialize)]
struct PoetryPackage {
    name: String,
    version: String,
    source: Option<PoetrySource>,
}

#[derive(Deserialize)]
struct PoetrySource {
    #[serde(rename = "type")]
    ty: Option<String>,
}

pub(crate) fn parse_poetry(bytes: &[u8], found_in: &str) -> Result<Parsed, SbomError> {
    let text = utf8(bytes, found_in)?;
    let lock: PoetryLock = toml::from_str(text).map_err(|e| SbomError::Parse {
        path: found_in.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: format!("not a valid poetry.lock: {}", e.message().trim()),
    })?;
    let mut out = Parsed::default();
    for p in lock.package {
        let mut c = Component::pypi(&p.name, &p.version, found_in);
        c.local = p
            .source
            .and_then(|s| s.ty)
            .is_some_and(|t| t == "directory" || t == "file");
        out.components.push(c);
    }
    Ok(out)
}

/// Python core metadata (RFC 822 style headers up to the first blank line).
pub(crate) fn parse_metadata(bytes: &[u8], found_in: &str) -> Result<Parsed, SbomError> {
    let text = utf8(bytes, found_in)?;
    let mut name = None;
    let mut version = None;
    let mut license_expr = None;
    let mut license = None;
    let mut last_key = String::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if last_key == "License" {
                // A multi-line License field is license text, not a name.
                license = None;
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        last_key = k.to_string();
        match k {
            "Name" => name = Some(v.to_string()),
            "Version" => version = Some(v.to_string()),
            "License-Expression" => license_expr = Some(v.to_string()),
            "License" if !v.is_empty() && v != "UNKNOWN" && v.len() <= 100 => {
                license = Some(v.to_string())
            }
            _ => {}
        }
    }
    let (Some(name), Some(version)) = (name, version) else {
        return Err(SbomError::Parse {
            path: found_in.to_string(),
            line: None,
            message: "Python metadata without `Name:` and `Version:`".into(),
        });
    };
    let mut c = Component::pypi(&name, &version, found_in);
    c.licenses = license_expr.or(license).into_iter().collect();
    Ok(Parsed {
        components: vec![c],
        ..Parsed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_forms() {
        let src = b"# c\nZope.Interface==5.4.0\nruamel_yaml == 0.17.21 ; python_version>'3'\n\
            requests[socks]==2.31.0 \\\n  --hash=sha256:abc\n-r base.txt\nflask>=2\n\
            -e git+https://x/y#egg=z\nurllib3===1.26.18  # pinned\nbad==1.*\n";
        let p = parse_requirements(src, "r.txt").unwrap();
        let got: Vec<_> = p.components.iter().map(|c| c.purl.as_str()).collect();
        assert_eq!(
            got,
            [
                "pkg:pypi/zope-interface@5.4.0",
                "pkg:pypi/ruamel-yaml@0.17.21",
                "pkg:pypi/requests@2.31.0",
                "pkg:pypi/urllib3@1.26.18"
            ]
        );
        assert_eq!(p.warnings.len(), 4, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("line 6"), "{:?}", p.warnings);
    }
}
