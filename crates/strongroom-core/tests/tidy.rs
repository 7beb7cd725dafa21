//! Repository hygiene: every Rust module in the workspace opens with a `//!` line saying what it
//! is for (rust-analyzer's tidy rule).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy();
        if p.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | ".venv" | "gen") {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") && name != "build.rs" {
            out.push(p);
        }
    }
}

#[test]
fn every_module_has_a_doc_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for top in ["crates", "src-tauri"] {
        if root.join(top).is_dir() {
            rust_files(&root.join(top), &mut files);
        }
    }
    assert!(files.len() > 10, "found only {} files", files.len());
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a //! line: {missing:?}"
    );
}

/// The workspace crates a crate's `Cargo.toml` lists under `[dependencies]`.
fn workspace_deps(manifest: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(manifest).unwrap();
    let name = text
        .lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .map(|n| n.trim_end_matches('"').to_owned())
        .unwrap();
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps && line.starts_with("strongroom-") {
            let dep: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            deps.push(dep);
        }
    }
    deps.sort();
    (name, deps)
}

/// `docs/ARCHITECTURE.md` lists every crate edge ("Crate edges"), and only real ones: a crate
/// that gains a dependency on another fails here until the map shows it.
#[test]
fn the_architecture_map_shows_every_crate_edge() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let map = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    let section = map
        .split("## Crate edges")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("docs/ARCHITECTURE.md has a Crate edges section");
    let mut documented = std::collections::BTreeMap::new();
    for line in section.lines() {
        if let Some((name, deps)) = line.strip_prefix("- ").and_then(|l| l.split_once(": ")) {
            let mut deps: Vec<String> = deps
                .split(", ")
                .map(|d| d.split(' ').next().unwrap().to_owned())
                .filter(|d| d.starts_with("strongroom-"))
                .collect();
            deps.sort();
            documented.insert(name.to_owned(), deps);
        }
    }
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("Cargo.toml"))
        .collect();
    manifests.push(root.join("src-tauri/Cargo.toml"));
    let mut actual = std::collections::BTreeMap::new();
    for m in manifests {
        let (name, deps) = workspace_deps(&m);
        actual.insert(name, deps);
    }
    assert_eq!(
        documented, actual,
        "docs/ARCHITECTURE.md's Crate edges differ from Cargo.toml"
    );
}

/// Every module file is named in `docs/ARCHITECTURE.md`'s code map (or, below `src/`, its
/// folder is): a new module gets a line in the map.
#[test]
fn the_architecture_map_names_every_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let map = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    let mut srcs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .collect();
    srcs.push(root.join("src-tauri/src"));
    let mut missing = Vec::new();
    for src in srcs {
        // The crate's own row of the map: a file is named there, not in another crate's row.
        let krate = src.parent().unwrap().strip_prefix(&root).unwrap();
        let row = format!("| `{}/`", krate.display());
        let map = map
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("docs/ARCHITECTURE.md has no row {row}"));
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for f in files {
            let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if matches!(name.as_str(), "lib.rs" | "main.rs" | "mod.rs") || rel.starts_with("bin/") {
                continue;
            }
            let named = map.contains(&format!("`{name}`")) || map.contains(&format!("/{name}`"));
            let folder = rel.split_once('/').map(|(d, _)| d);
            let folder_named = folder.is_some_and(|d| {
                map.contains(&format!("`{d}/")) || map.contains(&format!("{d}/*.rs"))
            });
            if !named && !folder_named {
                missing.push(f.display().to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "modules docs/ARCHITECTURE.md does not name: {missing:?}"
    );
}

/// The published report schema and `docs/verify.md` name exactly the check ids the code has.
#[test]
fn the_report_schema_and_docs_name_every_check_id() {
    use strongroom_core::verify::CheckId;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("docs/schemas/verify-report.schema.json")).unwrap(),
    )
    .unwrap();
    let in_schema: Vec<&str> = schema["$defs"]["checkId"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let in_code: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(in_schema, in_code, "docs/schemas/verify-report.schema.json");
    let doc = std::fs::read_to_string(root.join("docs/verify.md")).unwrap();
    // The keyless checks (strongroom-sigstore's own ids, not yet in reports) come after.
    let doc = doc
        .split("\n## Keyless Sigstore bundles")
        .next()
        .unwrap_or_default();
    let mut documented: Vec<&str> = Vec::new();
    for id in doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
    {
        // `artifact-digest` has a row in both tables; the first counts for the order.
        if !documented.contains(&id) {
            documented.push(id);
        }
    }
    assert_eq!(documented, in_code, "docs/verify.md's tables, in order");
}
