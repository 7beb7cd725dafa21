//! Names a person may mistype (key labels, roles, operators, tokens, actions): the nearest one
//! that exists, for "did you mean" in errors.

/// The one of `candidates` that `wanted` most likely mistypes: the same but for case, or within
/// two edits (one for names of four letters or fewer); `None` when nothing is that close.
pub fn did_you_mean(wanted: &str, candidates: &[impl AsRef<str>]) -> Option<String> {
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
pub fn did_you_mean_clause(wanted: &str, candidates: &[impl AsRef<str>]) -> String {
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
mod tests {
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
