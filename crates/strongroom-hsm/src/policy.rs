//! The module allowlist: which PKCS#11 shared libraries Strongroom agrees to load.
//!
//! Architecture invariant: loading a PKCS#11 module runs its code inside our process, with access
//! to every secret we hold. [`ModulePolicy::check`] is therefore called before any `dlopen`, and
//! compares canonical paths, so a symlink or `..` cannot smuggle another library past the list.

use std::path::{Path, PathBuf};

use crate::error::HsmError;

/// Where Debian/Ubuntu install SoftHSM2's module.
pub const SOFTHSM_PATHS: [&str; 2] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];

/// The set of module paths the user trusts. An empty policy allows nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModulePolicy {
    allowed: Vec<PathBuf>,
}

impl ModulePolicy {
    /// A policy allowing exactly `paths` (compared after canonicalisation).
    pub fn new(paths: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        ModulePolicy {
            allowed: paths.into_iter().map(Into::into).collect(),
        }
    }

    /// The paths as configured (not canonicalised).
    pub fn allowed(&self) -> &[PathBuf] {
        &self.allowed
    }

    /// Checks `path` against the allowlist without loading anything. Returns the canonical path,
    /// which is the one to load (so the file checked is the file loaded).
    pub fn check(&self, path: &Path) -> Result<PathBuf, HsmError> {
        let refuse = || HsmError::ModuleNotAllowed {
            path: path.to_path_buf(),
            allowed: self.allowed.clone(),
        };
        let wanted = path.canonicalize().map_err(|_| refuse())?;
        let ok = self
            .allowed
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .any(|p| p == wanted);
        if ok {
            Ok(wanted)
        } else {
            Err(refuse())
        }
    }
}

impl Default for ModulePolicy {
    /// SoftHSM2's module at its usual locations, where present, each file once (Debian's
    /// `/usr/lib/softhsm/libsofthsm2.so` is a link to the multiarch path).
    fn default() -> Self {
        let mut paths: Vec<PathBuf> = Vec::new();
        for p in SOFTHSM_PATHS
            .iter()
            .filter_map(|p| Path::new(p).canonicalize().ok())
        {
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
        ModulePolicy::new(paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_policy_allows_nothing() {
        let err = ModulePolicy::new(Vec::<PathBuf>::new())
            .check(Path::new("/bin/sh"))
            .unwrap_err();
        assert!(matches!(err, HsmError::ModuleNotAllowed { .. }));
        assert!(err.to_string().contains("allowed: none"), "{err}");
    }

    #[test]
    fn symlinks_and_dotdot_resolve_to_the_listed_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("libreal.so");
        std::fs::write(&real, b"not really a library").unwrap();
        let link = dir.path().join("liblink.so");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let policy = ModulePolicy::new([&real]);
        assert_eq!(policy.check(&link).unwrap(), real.canonicalize().unwrap());
        let dotted = dir.path().join("sub/../libreal.so");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(policy.check(&dotted).is_ok());
        let other = dir.path().join("libother.so");
        std::fs::write(&other, b"x").unwrap();
        assert!(policy.check(&other).is_err());
        let missing = dir.path().join("libmissing.so");
        let err = policy.check(&missing).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
