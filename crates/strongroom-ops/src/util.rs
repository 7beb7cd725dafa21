//! Small concurrency helpers shared by the operations.

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

/// The one of `candidates` that `wanted` most likely mistypes: the same but for case, or within
/// two edits (one for names of four letters or fewer); `None` when nothing is that close.
pub(crate) fn did_you_mean(wanted: &str, candidates: &[impl AsRef<str>]) -> Option<String> {
    let limit = if wanted.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .iter()
        .map(|c| {
            let c = c.as_ref();
            let d = if c.eq_ignore_ascii_case(wanted) {
                0
            } else {
                edit_distance(wanted, c)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_owned())
}

/// `" (did you mean \"x\"?)"` when [`did_you_mean`] finds one, else nothing: for the end of an
/// error's first clause.
pub(crate) fn did_you_mean_clause(wanted: &str, candidates: &[impl AsRef<str>]) -> String {
    did_you_mean(wanted, candidates)
        .map(|c| format!(" (did you mean {c:?}?)"))
        .unwrap_or_default()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod suggestion_tests {
    use super::*;

    #[test]
    fn a_near_name_is_suggested_and_a_far_one_is_not() {
        let names = ["release-2026".to_owned(), "audit".to_owned()];
        assert_eq!(
            did_you_mean("release-2025", &names).as_deref(),
            Some("release-2026")
        );
        assert_eq!(did_you_mean("Audit", &names).as_deref(), Some("audit"));
        assert_eq!(did_you_mean("backup", &names), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
