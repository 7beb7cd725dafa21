//! `go.mod`: `require` lines and blocks (indirect ones included), with `replace` applied.
//!
//! A replacement by another module version becomes that module; a replacement by a local
//! directory keeps the required module and version and marks it local. The main module itself
//! is the subject, not a component.

use std::collections::HashMap;

use super::{utf8, Parsed};
use crate::component::Component;
use crate::error::SbomError;

/// Splits a go.mod line into tokens: bare words, "quoted" and `raw` strings; `//` ends the line.
fn tokens(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if line[i..].starts_with("//") {
            break;
        } else if c == '"' || c == '`' {
            chars.next();
            let mut s = String::new();
            let mut closed = false;
            while let Some((_, d)) = chars.next() {
                if d == c {
                    closed = true;
                    break;
                }
                if d == '\\' && c == '"' {
                    if let Some((_, e)) = chars.next() {
                        s.push(e);
                    }
                    continue;
                }
                s.push(d);
            }
            if !closed {
                return None;
            }
            out.push(s);
        } else {
            let mut s = String::new();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_whitespace() || line[j..].starts_with("//") {
                    break;
                }
                s.push(d);
                chars.next();
            }
            out.push(s);
        }
    }
    Some(out)
}

struct Replace {
    new_path: String,
    new_version: Option<String>,
}

pub(crate) fn parse(bytes: &[u8], found_in: &str) -> Result<Parsed, SbomError> {
    let text = utf8(bytes, found_in)?;
    let err = |line: usize, message: String| SbomError::Parse {
        path: found_in.to_string(),
        line: Some(line),
        message,
    };
    let mut requires: Vec<(usize, String, String)> = Vec::new();
    let mut replaces: HashMap<(String, Option<String>), Replace> = HashMap::new();
    let mut block: Option<String> = None;
    let mut out = Parsed::default();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let toks = tokens(raw).ok_or_else(|| err(n, "unterminated string".into()))?;
        if toks.is_empty() {
            continue;
        }
        let (verb, args): (String, &[String]) = match &block {
            Some(b) => {
                if toks[0] == ")" {
                    block = None;
                    continue;
                }
                (b.clone(), &toks[..])
            }
            None => {
                if toks.len() == 2 && toks[1] == "(" {
                    block = Some(toks[0].clone());
                    continue;
                }
                (toks[0].clone(), &toks[1..])
            }
        };
        match verb.as_str() {
            "require" => match args {
                [path, version, ..] => requires.push((n, path.clone(), version.clone())),
                _ => return Err(err(n, format!("bad require line: {raw:?}"))),
            },
            "replace" => {
                let arrow = args
                    .iter()
                    .position(|t| t == "=>")
                    .ok_or_else(|| err(n, format!("replace without `=>`: {raw:?}")))?;
                let (old, new) = (&args[..arrow], &args[arrow + 1..]);
                let (old_path, old_ver) = match old {
                    [p] => (p.clone(), None),
                    [p, v] => (p.clone(), Some(v.clone())),
                    _ => return Err(err(n, format!("bad replace line: {raw:?}"))),
                };
                let rep = match new {
                    [p] => Replace {
                        new_path: p.clone(),
                        new_version: None,
                    },
                    [p, v] => Replace {
                        new_path: p.clone(),
                        new_version: Some(v.clone()),
                    },
                    _ => return Err(err(n, format!("bad replace line: {raw:?}"))),
                };
                replaces.insert((old_path, old_ver), rep);
            }
            "module" | "go" | "toolchain" | "exclude" | "retract" | "godebug" | "tool"
            | "ignore" => {}
            other => out.warnings.push(format!(
                "{found_in}: line {n}: unknown directive `{other}`; ignored"
            )),
        }
    }
    if block.is_some() {
        return Err(err(text.lines().count(), "unclosed `(` block".into()));
    }
    for (_, path, version) in requires {
        let rep = replaces
            .get(&(path.clone(), Some(version.clone())))
            .or_else(|| replaces.get(&(path.clone(), None)));
        let c = match rep {
            Some(Replace {
                new_path,
                new_version: Some(v),
            }) => Component::go(new_path, v, found_in),
            Some(Replace {
                new_version: None, ..
            }) => {
                let mut c = Component::go(&path, &version, found_in);
                c.local = true;
                c
            }
            None => Component::go(&path, &version, found_in),
        };
        out.components.push(c);
    }
    Ok(out)
}
