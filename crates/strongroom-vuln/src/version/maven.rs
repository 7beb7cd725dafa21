//! Maven version ordering, the `ComparableVersion` algorithm of Maven 3.8.7 (maven-artifact,
//! as Debian ships it; checked against its bytecode and by the differential test).
//!
//! The version is lower-cased and split into items at `.` and `-` and at every switch between
//! digits and letters. A `-`, a switch from digits to letters, and a qualifier that ends the
//! version or is followed by digits (unless it starts a list) open a nested list, so
//! `1.0.jre == 1.0-jre` and `1.0.foo.0 < 1.0.foo`. Numbers compare
//! by value; qualifiers in the order `alpha < beta < milestone < rc = cr < snapshot <
//! "" = ga = final = release < sp`, unknown qualifiers after all of them, lexically;
//! `a1`/`b1`/`m1` mean `alpha-1`/`beta-1`/`milestone-1`. Trailing "null" items (`0`, `""`,
//! empty lists) are dropped, so `1.0.0 == 1`, `1-ga == 1`. Mixed kinds compare as Maven does:
//! number > list > qualifier. Only ASCII digits count as digits (Java's `Character.isDigit`
//! also accepts other Unicode digits; no real version uses them).

use std::cmp::Ordering;
use std::fmt;

use super::num::Num;
use crate::error::VersionError;

#[derive(Clone, Debug)]
enum Item {
    Int(Num),
    /// A qualifier after aliasing (`ga`/`final`/`release` → `""`, `cr` → `rc`).
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// `comparableQualifier("")`: the release position in [`QUALIFIERS`].
const RELEASE_INDEX: &str = "5";

/// `comparableQualifier`: a known qualifier's index, or `"7-<qualifier>"`; compared as strings.
fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let mut v = value;
    if followed_by_digit && v.len() == 1 {
        v = match v {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        };
    }
    let v = match v {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(v.to_owned())
}

fn parse_item(is_digit: bool, buf: &str) -> Item {
    if is_digit {
        Item::Int(Num::parse(buf).unwrap_or_else(Num::zero))
    } else {
        string_item(buf, false)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => n.is_zero(),
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `Item.compareTo(other)`, where `None` is Java's `null` (a missing item).
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(n), None) => {
                if n.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => a.cmp(b),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => comparable_qualifier(s).as_str().cmp(RELEASE_INDEX),
            (Item::Str(_), Some(Item::Int(_) | Item::List(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => {
                comparable_qualifier(a).cmp(&comparable_qualifier(b))
            }
            (Item::List(l), None) => l
                .iter()
                .map(|item| item.compare(None))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => compare_lists(a, b),
        }
    }
}

fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for k in 0..n {
        let result = match (a.get(k), b.get(k)) {
            (None, None) => Ordering::Equal,
            (None, Some(r)) => r.compare(None).reverse(),
            (Some(l), r) => l.compare(r),
        };
        if result != Ordering::Equal {
            return result;
        }
    }
    Ordering::Equal
}

/// `ListItem.normalize()`: drop null items from the end, stepping over non-null lists.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// A parsed Maven version. `Eq`/`Ord` are `ComparableVersion`'s (`1.0 == 1-ga == 1.0.0`).
#[derive(Clone, Debug)]
pub struct MavenVersion {
    items: Vec<Item>,
    text: String,
}

impl MavenVersion {
    /// Every string is a Maven version; only the empty string is refused (Maven accepts it as
    /// `""`, which equals `0`, but an empty version in a vulnerability record is a data error),
    /// and strings over [`super::MAX_VERSION_LEN`] bytes.
    pub fn parse(input: &str) -> Result<MavenVersion, VersionError> {
        if input.len() > super::MAX_VERSION_LEN {
            return Err(VersionError::TooLong { len: input.len() });
        }
        if input.trim().is_empty() {
            return Err(VersionError::Empty);
        }
        Ok(Self::parse_lenient(input))
    }

    /// `ComparableVersion.parseVersion`, for any string (the empty string is `0`). Callers
    /// bound the length: every `-` nests a list.
    fn parse_lenient(input: &str) -> MavenVersion {
        let version = input.to_lowercase();
        let chars: Vec<(usize, char)> = version.char_indices().collect();
        // Nested lists: `levels[k + 1]` becomes the last item of `levels[k]`.
        let mut levels: Vec<Vec<Item>> = vec![Vec::new()];
        let mut is_digit = false;
        let mut start = 0usize; // byte offset
        for &(i, c) in &chars {
            let list = levels.len() - 1;
            if c == '.' || c == '-' {
                if i == start {
                    levels[list].push(Item::Int(Num::zero()));
                } else {
                    levels[list].push(parse_item(is_digit, &version[start..i]));
                }
                start = i + 1;
                if c == '-' {
                    levels.push(Vec::new());
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    // A qualifier followed by a number (`rc1`): the qualifier opens a list of
                    // its own unless the current one is empty, and the number another.
                    if !levels[list].is_empty() {
                        levels.push(Vec::new());
                    }
                    let list = levels.len() - 1;
                    levels[list].push(string_item(&version[start..i], true));
                    start = i;
                    levels.push(Vec::new());
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    levels[list].push(parse_item(true, &version[start..i]));
                    start = i;
                    levels.push(Vec::new());
                }
                is_digit = false;
            }
        }
        if version.len() > start {
            // A trailing qualifier opens a list of its own unless the current one is empty.
            if !is_digit && !levels[levels.len() - 1].is_empty() {
                levels.push(Vec::new());
            }
            let list = levels.len() - 1;
            levels[list].push(parse_item(is_digit, &version[start..]));
        }
        // Normalise from the innermost list outwards, as the parser's stack pops.
        let mut inner: Option<Vec<Item>> = None;
        while let Some(mut list) = levels.pop() {
            if let Some(child) = inner.take() {
                list.push(Item::List(child));
            }
            normalize(&mut list);
            inner = Some(list);
        }
        MavenVersion {
            items: inner.unwrap_or_default(),
            text: input.to_owned(),
        }
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: &str, b: &str) -> Ordering {
        MavenVersion::parse_lenient(a).cmp(&MavenVersion::parse_lenient(b))
    }

    #[test]
    fn maven_documented_orderings() {
        let chain = [
            "1-alpha",
            "1-alpha-1",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-foo",
            "1-1",
            "1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        for (a, b) in [
            ("1", "1.0.0"),
            ("1-ga", "1"),
            ("1-final", "1"),
            ("1.0-cr1", "1.0-rc1"),
            ("1a1", "1-alpha-1"),
            ("1.0.RELEASE", "1"),
        ] {
            assert_eq!(c(a, b), Ordering::Equal, "{a} == {b}");
        }
        assert_eq!(c("1.0-SNAPSHOT", "1.0"), Ordering::Less);
        assert_eq!(c("2.0.0.Final", "2.0.0.CR2"), Ordering::Greater);
        assert_eq!(c("1.10", "1.9"), Ordering::Greater);
        assert_eq!(
            c("1.0.10000000000000000000", "1.0.9999999999"),
            Ordering::Greater
        );
    }
}
