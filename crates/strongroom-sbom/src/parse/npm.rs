//! npm `package-lock.json` / `npm-shrinkwrap.json`: v1 (nested `dependencies`) and v2/v3
//! (`packages` keyed by `node_modules/…` paths).
//!
//! v2/v3: the root entry `""` and `link: true` entries are skipped (the link target has its own
//! entry); entries outside `node_modules/` are workspace packages and are marked local. The
//! package name is the entry's `name` (set for aliases) or the path after the last
//! `node_modules/`, so `node_modules/a/node_modules/@babel/core` is `@babel/core`.
//! v1: `npm:` alias versions resolve to the real package; `file:`/git versions are marked local.

use serde_json::{Map, Value};

use super::Parsed;
use crate::component::Component;
use crate::error::SbomError;

pub(crate) fn parse(bytes: &[u8], found_in: &str) -> Result<Parsed, SbomError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| SbomError::Parse {
        path: found_in.to_string(),
        line: Some(e.line()),
        message: format!("not valid JSON: {e}"),
    })?;
    let root = v.as_object().ok_or_else(|| SbomError::Parse {
        path: found_in.to_string(),
        line: None,
        message: "not a package-lock: top level is not an object".into(),
    })?;
    let mut out = Parsed::default();
    if let Some(packages) = root.get("packages").and_then(Value::as_object) {
        for (key, entry) in packages {
            if key.is_empty() {
                continue;
            }
            let Some(e) = entry.as_object() else {
                out.warnings.push(format!(
                    "{found_in}: packages[{key:?}] is not an object; skipped"
                ));
                continue;
            };
            if e.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let in_modules = key.rfind("node_modules/");
            let name = e
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| in_modules.map(|i| key[i + "node_modules/".len()..].to_string()))
                .unwrap_or_else(|| key.rsplit('/').next().unwrap_or(key).to_string());
            let Some(version) = e.get("version").and_then(Value::as_str) else {
                out.warnings.push(format!(
                    "{found_in}: packages[{key:?}] has no version; skipped"
                ));
                continue;
            };
            let mut c = Component::npm(&name, version, found_in);
            c.local = in_modules.is_none()
                || e.get("resolved")
                    .and_then(Value::as_str)
                    .is_some_and(|r| r.starts_with("file:"));
            c.licenses = licenses(e);
            out.components.push(c);
        }
    } else if let Some(deps) = root.get("dependencies").and_then(Value::as_object) {
        walk_v1(deps, found_in, &mut out);
    } else if root.get("lockfileVersion").is_none() {
        return Err(SbomError::Parse {
            path: found_in.to_string(),
            line: None,
            message: "not a package-lock: no `lockfileVersion`, `packages` or `dependencies`"
                .into(),
        });
    }
    Ok(out)
}

fn licenses(e: &Map<String, Value>) -> Vec<String> {
    match e.get("license") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(o)) => o
            .get("type")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn walk_v1(deps: &Map<String, Value>, found_in: &str, out: &mut Parsed) {
    for (name, entry) in deps {
        let Some(e) = entry.as_object() else { continue };
        if let Some(version) = e.get("version").and_then(Value::as_str) {
            let c = match version.strip_prefix("npm:") {
                Some(alias) => match alias.rfind('@') {
                    Some(i) if i > 0 => Component::npm(&alias[..i], &alias[i + 1..], found_in),
                    _ => Component::npm(name, alias, found_in),
                },
                None => {
                    let mut c = Component::npm(name, version, found_in);
                    c.local = version.contains(':');
                    c
                }
            };
            out.components.push(c);
        } else {
            out.warnings.push(format!(
                "{found_in}: dependency {name:?} has no version; skipped"
            ));
        }
        if let Some(nested) = e.get("dependencies").and_then(Value::as_object) {
            walk_v1(nested, found_in, out);
        }
    }
}
