//! A key's purpose: the one kind of signature it makes. The key inventory, the trust store and
//! every signing operation share this vocabulary, so that a signature made for one purpose is
//! never accepted for another (`docs/security.md`, "Every signature has one domain").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a key signs. A key has exactly one purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Purpose {
    /// Releases: artifact signatures, attestations and the creator's signature over the
    /// release manifest (`sign`, `attest`, `release create`).
    Signer,
    /// Approvals of releases (`release approve`): the second person of the two-person rule.
    Approver,
    /// Trust packages: its signatures let another station import keys and policy.
    Custodian,
    /// Audit checkpoints: signed heads of the station's audit log.
    Audit,
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [
        Purpose::Signer,
        Purpose::Approver,
        Purpose::Custodian,
        Purpose::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Signer => "signer",
            Purpose::Approver => "approver",
            Purpose::Custodian => "custodian",
            Purpose::Audit => "audit",
        }
    }

    /// `a signer key`, `an approver key`: the name with its article, for sentences.
    pub fn a_key(self) -> &'static str {
        match self {
            Purpose::Signer => "a signer key",
            Purpose::Approver => "an approver key",
            Purpose::Custodian => "a custodian key",
            Purpose::Audit => "an audit key",
        }
    }

    /// What a key of this purpose signs, in words.
    pub fn signs(self) -> &'static str {
        match self {
            Purpose::Signer => "releases, artifacts and attestations",
            Purpose::Approver => "release approvals",
            Purpose::Custodian => "trust packages",
            Purpose::Audit => "audit checkpoints",
        }
    }

    /// Purposes whose keys decide whom other stations trust or what the audit trail proves:
    /// they belong on a token of their own, apart from the keys that sign releases.
    pub fn guards_trust(self) -> bool {
        matches!(self, Purpose::Custodian | Purpose::Audit)
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a purpose.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown purpose {0:?} (expected signer, approver, custodian or audit)")]
pub struct UnknownPurpose(pub String);

impl FromStr for Purpose {
    type Err = UnknownPurpose;
    fn from_str(s: &str) -> Result<Self, UnknownPurpose> {
        Purpose::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| UnknownPurpose(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_others_are_refused() {
        for p in Purpose::ALL {
            assert_eq!(p.as_str().parse::<Purpose>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert_eq!(
            "signer,approver".parse::<Purpose>(),
            Err(UnknownPurpose("signer,approver".into()))
        );
    }
}
