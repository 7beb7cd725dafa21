//! Small concurrency helpers shared by the operations.

pub(crate) use strongroom_core::names::{did_you_mean, did_you_mean_clause};

/// `f` over `items` on all cores (rayon's pool), results in the order of `items`.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    items.par_iter().map(f).collect()
}

/// Removes what killed runs left beside `outputs` (each distinct directory once; see
/// `strongroom_store::fsutil::remove_leftovers`). Returns how many files went.
pub(crate) fn remove_leftovers_beside(outputs: &[std::path::PathBuf]) -> usize {
    let mut dirs: Vec<&std::path::Path> = outputs
        .iter()
        .map(|o| match o.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs.into_iter()
        .map(strongroom_store::fsutil::remove_leftovers)
        .sum()
}

/// Removes what killed runs left in `home` and the directories directly in it.
pub(crate) fn remove_leftovers_within(home: &std::path::Path) -> usize {
    let subdirs = std::fs::read_dir(home)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path());
    std::iter::once(home.to_path_buf())
        .chain(subdirs)
        .map(|d| strongroom_store::fsutil::remove_leftovers(&d))
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order() {
        let v: Vec<u32> = (0..1000).collect();
        let out = super::par_map(&v, |x| x * 2);
        assert_eq!(out, v.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(super::par_map(&[] as &[u32], |x| *x).is_empty());
    }
}
