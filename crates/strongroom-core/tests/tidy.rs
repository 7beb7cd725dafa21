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
