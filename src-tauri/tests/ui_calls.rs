//! The web UI's calls against the Rust commands they reach: read from both sides' sources, so a
//! renamed command or argument on either side fails here, not in a person's hands. Tauri drops
//! an argument it does not know and refuses a missing one only at run time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Tauri's default: a Rust argument `on_progress` is `onProgress` in JavaScript.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// One command's arguments as JavaScript names them: `(name, optional)`.
type Args = BTreeMap<String, bool>;

/// The registered commands (`generate_handler!` in main.rs) and their arguments, without the
/// ones Tauri fills in itself (state, app handle, window).
fn rust_commands() -> BTreeMap<String, Args> {
    let src = root().join("src-tauri/src");
    let main = read(&src.join("main.rs"));
    let list = main
        .split("generate_handler![")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("main.rs registers its commands with generate_handler!");
    let mut out = BTreeMap::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (file, name) = match entry.split_once("::") {
            Some((module, name)) => (src.join(format!("commands/{module}.rs")), name),
            None => (src.join("main.rs"), entry),
        };
        let text = read(&file);
        let sig = ["pub async fn ", "pub fn ", "async fn ", "fn "]
            .iter()
            .find_map(|p| text.split(&format!("{p}{name}(")).nth(1))
            .unwrap_or_else(|| panic!("no fn {name} in {}", file.display()));
        let params = sig.split(") ->").next().unwrap().split("{").next().unwrap();
        let mut args = Args::new();
        let mut depth = 0;
        let mut cur = String::new();
        for c in params.chars().chain([',']) {
            match c {
                '<' | '(' => depth += 1,
                '>' | ')' => depth -= 1,
                _ => {}
            }
            if c == ',' && depth == 0 {
                if let Some((n, ty)) = cur.split_once(':') {
                    let ty = ty.trim();
                    let injected = ["State<", "AppHandle", "Window", "WebviewWindow", "tauri::"]
                        .iter()
                        .any(|t| ty.starts_with(t));
                    if !injected {
                        args.insert(camel(n.trim()), ty.starts_with("Option<"));
                    }
                }
                cur.clear();
            } else {
                cur.push(c);
            }
        }
        out.insert(name.to_owned(), args);
    }
    out
}

/// The keys of a JavaScript object literal's top level (`{ a, b: x, ...c }`), with spreads
/// resolved from the calling function's parameter types.
fn literal_keys(literal: &str, signature: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in literal.chars().chain([',']) {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            let item = cur.trim();
            if let Some(spread) = item.strip_prefix("...") {
                let ty = signature
                    .split(&format!("{spread}: {{"))
                    .nth(1)
                    .and_then(|s| s.split('}').next())
                    .unwrap_or_else(|| panic!("cannot resolve ...{spread} in {signature}"));
                for field in ty.split(';') {
                    if let Some((k, _)) = field.split_once(':') {
                        keys.insert(k.trim().trim_end_matches('?').to_owned());
                    }
                }
            } else if !item.is_empty() {
                let key = item.split(':').next().unwrap().trim();
                keys.insert(key.to_owned());
            }
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    keys
}

/// Every `invoke<…>('command', {…})` of `ui/src/lib/backend/index.ts`, with its keys.
fn ui_calls() -> BTreeMap<String, BTreeSet<String>> {
    let text = read(&root().join("ui/src/lib/backend/index.ts"));
    let mut out = BTreeMap::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("invoke<").map(|i| from + i) {
        from = i + "invoke<".len();
        // The exported function's signature: from its `export const` to this call.
        let signature = text[..i].rsplit("export const").next().unwrap_or("");
        // `invoke<Type>('name'`: the type's closing `>` is followed at once by `('`; the
        // wrapper's own definition (`invoke<T>(cmd: string`) is not a call.
        let after = &text[from..];
        let mut depth = 1;
        let close = after
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '<' => depth += 1,
                    '>' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .expect("closed type argument")
            .0;
        let Some(call) = after[close + 1..].strip_prefix("('") else {
            continue;
        };
        let (name, tail) = call.split_once('\'').unwrap();
        let tail = tail.trim_start();
        let keys = if let Some(obj) = tail.strip_prefix(", {") {
            let mut depth = 1;
            let end = obj
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .expect("closed object literal")
                .0;
            literal_keys(&obj[..end], signature)
        } else {
            BTreeSet::new()
        };
        assert!(
            out.insert(name.to_owned(), keys).is_none(),
            "{name} is invoked twice"
        );
    }
    out
}

#[test]
fn every_ui_call_names_a_command_and_its_arguments_as_rust_declares_them() {
    let rust = rust_commands();
    let ui = ui_calls();
    assert!(
        rust.len() > 30 && ui.len() > 30,
        "parsed too little: {rust:?} {ui:?}"
    );
    let mut problems = Vec::new();
    for (name, keys) in &ui {
        let Some(args) = rust.get(name) else {
            problems.push(format!("the UI invokes {name}, which no Rust command is"));
            continue;
        };
        for k in keys {
            if !args.contains_key(k) {
                problems.push(format!(
                    "{name}: the UI passes {k}, which the command does not take"
                ));
            }
        }
        for (a, optional) in args {
            if !optional && !keys.contains(a) {
                problems.push(format!(
                    "{name}: the command needs {a}, which the UI does not pass"
                ));
            }
        }
    }
    for name in rust.keys() {
        if !ui.contains_key(name) {
            problems.push(format!(
                "the command {name} is registered but the UI never calls it"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_parsers_see_a_renamed_argument() {
    let keys = literal_keys(
        "...a, passphrase: a.passphrase ?? null, onProgress: channel(onProgress)",
        "(a: { bundle: string; identityFile?: string | null }, onProgress?: OnProgress) =>",
    );
    let want: BTreeSet<String> = ["bundle", "identityFile", "passphrase", "onProgress"]
        .map(String::from)
        .into();
    assert_eq!(keys, want);
    assert_eq!(camel("operator_passphrase"), "operatorPassphrase");
}
