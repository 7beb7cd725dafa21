//! Build-script helper: tells a binary which commit and build profile it was built from.
//!
//! The `strongroom` CLI and the desktop app call [`emit`] from their `build.rs`; the binary then
//! reads `env!("STRONGROOM_COMMIT")` and `env!("STRONGROOM_PROFILE")`. Nothing here reads the
//! clock or the build directory, so two builds of one commit get the same strings (a
//! reproducible build needs that; `docs/reproducible.md`).

use std::path::Path;
use std::process::Command;

/// Prints the `cargo:` lines that set `STRONGROOM_COMMIT` and `STRONGROOM_PROFILE` for the
/// crate being built.
///
/// The commit is `STRONGROOM_COMMIT` from the environment when set (a build from a source
/// archive, which has no `.git`), else `git rev-parse HEAD` in the crate's directory, else
/// `unknown`. The profile is Cargo's (`release` or `debug`).
pub fn emit() {
    println!("cargo:rerun-if-env-changed=STRONGROOM_COMMIT");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let commit = match std::env::var("STRONGROOM_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_owned(),
        _ => git_commit(Path::new(&dir)).unwrap_or_else(|| "unknown".into()),
    };
    println!("cargo:rustc-env=STRONGROOM_COMMIT={commit}");
    let profile = std::env::var("PROFILE").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=STRONGROOM_PROFILE={profile}");
}

/// The checked-out commit, and the files whose change means another one is checked out.
fn git_commit(dir: &Path) -> Option<String> {
    let commit = git(dir, &["rev-parse", "--verify", "HEAD"])?;
    // A new commit or checkout moves HEAD, the branch it names (a loose ref, or packed-refs
    // once git has packed it) and HEAD's reflog. Only files that exist are named: Cargo takes a
    // missing one as changed, and would run this again on every build.
    let branch = git(dir, &["symbolic-ref", "-q", "HEAD"]).unwrap_or_default();
    for what in ["HEAD", "logs/HEAD", "packed-refs", branch.as_str()] {
        if what.is_empty() {
            continue;
        }
        let path = git(
            dir,
            &["rev-parse", "--path-format=absolute", "--git-path", what],
        );
        if let Some(path) = path.filter(|p| Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    commit
        .chars()
        .all(|c| c.is_ascii_hexdigit())
        .then_some(commit)
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}
