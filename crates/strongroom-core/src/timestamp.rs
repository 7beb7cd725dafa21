//! Points in time as the station writes and compares them: RFC 3339 text in, UTC out. The one
//! place that formats a time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// An instant, parsed from RFC 3339 (any offset) and held in UTC. Ordered; printed as RFC 3339
/// UTC (`2026-11-22T10:00:00Z`, with fractional seconds only when there are some).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// Why a time could not be read.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[error("{value:?} is not an RFC 3339 time such as 2026-11-22T10:00:00Z ({reason})")]
pub struct TimestampError {
    pub value: String,
    pub reason: String,
}

impl Timestamp {
    /// Parses RFC 3339 (`2026-11-22T10:00:00Z`, `2026-11-22T11:00:00+01:00`, fractions allowed).
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(s.trim(), &Rfc3339)
            .map(|t| Timestamp(t.to_offset(UtcOffset::UTC)))
            .map_err(|e| TimestampError {
                value: s.to_owned(),
                reason: e.to_string(),
            })
    }

    /// Now, in UTC.
    pub fn now() -> Self {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// The same instant without its fraction of a second: what the station writes in manifests,
    /// key records and reports (`2026-11-21T22:06:30Z`).
    pub fn whole_seconds(self) -> Self {
        Timestamp(self.0.replace_nanosecond(0).expect("0 ns is valid"))
    }

    /// The instant as `time` holds it (UTC).
    pub fn to_offset_date_time(self) -> OffsetDateTime {
        self.0
    }

    /// Seconds since the Unix epoch (UTC).
    pub fn from_unix_seconds(secs: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(secs)
            .ok()
            .map(Timestamp)
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// RFC 3339 in UTC.
    pub fn to_rfc3339(&self) -> String {
        self.0
            .format(&Rfc3339)
            .expect("UTC times within RFC 3339's range always format")
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        Timestamp(t.to_offset(UtcOffset::UTC))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_into_utc_and_orders() {
        let a = Timestamp::parse("2026-11-22T11:00:00+01:00").unwrap();
        let b = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "2026-11-22T10:00:00Z");
        let c = Timestamp::parse("2026-11-22T10:00:00.5Z").unwrap();
        assert!(c > b);
        assert_eq!(c.to_string(), "2026-11-22T10:00:00.5Z");
        assert_eq!(Timestamp::from_unix_seconds(b.unix_seconds()).unwrap(), b);
        assert_eq!(c.whole_seconds(), b);
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        for bad in [
            "",
            "2026-11-22",
            "2026-11-22 10:00:00",
            "yesterday",
            "2026-13-01T00:00:00Z",
        ] {
            let e = Timestamp::parse(bad).unwrap_err();
            assert_eq!(e.value, bad);
        }
    }
}
