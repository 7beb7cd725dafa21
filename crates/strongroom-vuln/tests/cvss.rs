//! CVSS v3.x base scores against published scores (table in `fixtures/cvss_vectors.txt`) and
//! the score → level mapping.

use strongroom_vuln::{cvss3_base_score, Level};

#[test]
fn base_scores_match_published_vectors() {
    let table = include_str!("fixtures/cvss_vectors.txt");
    let mut n = 0;
    for line in table.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (vector, score) = line.split_once(' ').unwrap();
        let want: f64 = score.parse().unwrap();
        let got = cvss3_base_score(vector).unwrap_or_else(|e| panic!("{vector}: {e}"));
        assert!(
            (got - want).abs() < 1e-9,
            "{vector}: got {got}, published {want}"
        );
        n += 1;
    }
    assert!(n >= 20, "only {n} vectors checked");
}

#[test]
fn levels_follow_the_cvss_bands() {
    for (score, level) in [
        (10.0, Level::Critical),
        (9.0, Level::Critical),
        (8.9, Level::High),
        (7.0, Level::High),
        (6.9, Level::Medium),
        (4.0, Level::Medium),
        (3.9, Level::Low),
        (0.1, Level::Low),
        (0.0, Level::None),
    ] {
        assert_eq!(Level::from_score(score), level, "{score}");
    }
    assert_eq!(Level::from_label("MODERATE"), Some(Level::Medium));
    assert_eq!(Level::from_label("CRITICAL"), Some(Level::Critical));
    assert_eq!(Level::from_label("whatever"), None);
}

#[test]
fn malformed_vectors_are_errors_not_panics() {
    for bad in [
        "",
        "CVSS:3.1/",
        "CVSS:3.1/AV:N",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/\u{0}",
    ] {
        assert!(cvss3_base_score(bad).is_err(), "{bad:?}");
    }
}
