//! Arbitrary-length decimal numbers compared by value, shared by every version ordering.

use std::cmp::Ordering;

/// A non-negative decimal number of any length, kept as its digits without leading zeros
/// (`"0"` for zero). Comparing by length, then lexically, is comparing by value, so version
/// components such as `20240101123456789012` never overflow.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Num(String);

impl Num {
    /// Builds a number from ASCII digits (leading zeros allowed). `None` if `digits` is empty
    /// or holds anything but `0-9`.
    pub fn parse(digits: &str) -> Option<Num> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = digits.trim_start_matches('0');
        Some(Num(if trimmed.is_empty() {
            "0".to_owned()
        } else {
            trimmed.to_owned()
        }))
    }

    pub fn zero() -> Num {
        Num("0".to_owned())
    }

    pub fn is_zero(&self) -> bool {
        self.0 == "0"
    }

    /// The digits, without leading zeros.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_by_value() {
        let n = |s| Num::parse(s).unwrap();
        assert_eq!(n("007"), n("7"));
        assert!(n("10") > n("9"));
        assert!(n("123456789012345678901234567890") > n("99999999999999999999"));
        assert!(n("000").is_zero());
        assert!(Num::parse("").is_none());
        assert!(Num::parse("1a").is_none());
    }
}
