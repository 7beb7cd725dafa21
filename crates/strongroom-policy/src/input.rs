//! The input document policies judge: typed facts about one release (its artifacts, SBOMs,
//! provenance, vulnerabilities, signatures and approvals), serialised to the JSON shape that
//! `docs/policy.md` documents and Rego rules read as `input`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use strongroom_core::KeyId;

use crate::{KeyRole, KeyStatus, Stage, Timestamp};

/// When the policy runs: before anything is signed (`release create`) or on a finished bundle
/// (`verify`). Approvals are only demanded at `verify`: they come after creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Create,
    Verify,
}

/// The whole input document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInput {
    pub phase: Phase,
    pub release: ReleaseFacts,
    pub artifacts: Vec<ArtifactFacts>,
    pub signatures: Vec<SignatureFacts>,
    pub approvals: ApprovalFacts,
}

impl PolicyInput {
    /// Builds the document, counting approvals from `signatures` (see [`ApprovalFacts::count`]).
    pub fn new(
        phase: Phase,
        release: ReleaseFacts,
        artifacts: Vec<ArtifactFacts>,
        signatures: Vec<SignatureFacts>,
    ) -> Self {
        let approvals = ApprovalFacts::count(release.stage, &signatures);
        PolicyInput {
            phase,
            release,
            artifacts,
            signatures,
            approvals,
        }
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("the input document always serialises")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseFacts {
    pub name: String,
    pub version: String,
    pub stage: Stage,
    /// RFC 3339, as the manifest states it.
    pub created: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactFacts {
    pub name: String,
    /// Lowercase hex.
    pub sha256: String,
    pub size: u64,
    pub sbom: SbomFacts,
    pub provenance: ProvenanceFacts,
    pub vulnerabilities: VulnFacts,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbomFacts {
    pub present: bool,
    /// `spdx-2.3`, `cyclonedx-1.6`, …
    pub format: Option<String>,
    pub components: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenanceFacts {
    pub present: bool,
    /// SLSA `runDetails.builder.id`.
    pub builder_id: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnFacts {
    pub scanned: bool,
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    /// Findings without a usable severity.
    pub unrated: u64,
    /// The ids of all findings (every severity).
    pub ids: Vec<String>,
}

/// Which signature over the manifest this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureKind {
    /// Made by `release create`.
    Release,
    /// Added by `release approve`.
    Approval,
}

/// One signature over the release manifest, with what the trust store says of its key at the
/// moment it signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureFacts {
    pub keyid: String,
    /// The key's name in the trust store; `null` for an unknown key.
    pub key_name: Option<String>,
    pub kind: SignatureKind,
    /// The operator who made it, as the signature records it.
    pub operator: Option<String>,
    /// RFC 3339: the moment the signature claims.
    pub signed_at: String,
    /// The signature verifies over the manifest with this key.
    pub valid: bool,
    /// The key is in the trust store.
    pub trusted: bool,
    pub roles: Vec<KeyRole>,
    /// The key's stages; empty means every stage.
    pub stages: Vec<Stage>,
    /// Known, inside its validity window and not revoked at `signed_at`.
    pub active_at_signing: bool,
    /// Revoked at any time (before or after signing).
    pub revoked: bool,
    /// Revoked at or before `signed_at`: the signature does not count.
    pub revoked_before_signing: bool,
    /// Why the key was not active when it signed, in words (not yet valid, expired, revoked,
    /// unknown); empty when it was.
    #[serde(default)]
    pub key_problems: Vec<String>,
}

impl SignatureFacts {
    /// The facts of a signature by `key_id`, made (as it claims) at `signed_at`, that `valid`ly
    /// verifies or not, judged by the key's trust status at that moment (from
    /// [`crate::TrustSet::status`] with the same time).
    pub fn new(
        kind: SignatureKind,
        key_id: &KeyId,
        operator: Option<String>,
        signed_at: Timestamp,
        valid: bool,
        status: &KeyStatus,
    ) -> Self {
        SignatureFacts {
            keyid: key_id.to_string(),
            key_name: status.name.clone(),
            kind,
            operator,
            signed_at: signed_at.to_rfc3339(),
            valid,
            trusted: status.known,
            roles: status.roles.clone(),
            stages: status.stages.clone(),
            active_at_signing: status.active(),
            revoked: status.revoked.is_some(),
            revoked_before_signing: status.revoked_before(),
            key_problems: status.problems(signed_at, None, None),
        }
    }

    /// Valid, trusted, active when it signed, and allowed at `stage`.
    pub fn counts_at(&self, stage: Stage) -> bool {
        self.valid
            && self.trusted
            && self.active_at_signing
            && !self.revoked_before_signing
            && (self.stages.is_empty() || self.stages.contains(&stage))
    }

    /// Counts as an approval at `stage`: it counts, and its key holds the approver role. The
    /// release signature counts too when its key is an approver.
    pub fn approves_at(&self, stage: Stage) -> bool {
        self.counts_at(stage) && self.roles.contains(&KeyRole::Approver)
    }
}

/// The approval counts. Only signatures that approve (see [`SignatureFacts::approves_at`]) are
/// counted; `distinct_approvers` is the smaller of the distinct keys and the distinct operators,
/// so one person with two keys, or two people sharing a key, count once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalFacts {
    pub distinct_keys: u64,
    pub distinct_operators: u64,
    pub distinct_approvers: u64,
}

impl ApprovalFacts {
    /// Counts the approvals among `signatures` at `stage`. A signature that records no operator
    /// is counted as its own operator (by key id): the key is then the only identity known.
    pub fn count(stage: Stage, signatures: &[SignatureFacts]) -> Self {
        let approving: Vec<&SignatureFacts> =
            signatures.iter().filter(|s| s.approves_at(stage)).collect();
        let keys: BTreeSet<&str> = approving.iter().map(|s| s.keyid.as_str()).collect();
        let operators: BTreeSet<String> = approving
            .iter()
            .map(|s| match s.operator.as_deref().map(str::trim) {
                Some(op) if !op.is_empty() => format!("operator:{op}"),
                _ => format!("key:{}", s.keyid),
            })
            .collect();
        let (k, o) = (keys.len() as u64, operators.len() as u64);
        ApprovalFacts {
            distinct_keys: k,
            distinct_operators: o,
            distinct_approvers: k.min(o),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(
        keyid: &str,
        op: Option<&str>,
        kind: SignatureKind,
        roles: &[KeyRole],
    ) -> SignatureFacts {
        SignatureFacts {
            keyid: keyid.into(),
            key_name: Some(keyid.into()),
            kind,
            operator: op.map(Into::into),
            signed_at: "2026-11-22T10:00:00Z".into(),
            valid: true,
            trusted: true,
            roles: roles.to_vec(),
            stages: vec![],
            active_at_signing: true,
            revoked: false,
            revoked_before_signing: false,
            key_problems: vec![],
        }
    }

    #[test]
    fn approvals_count_distinct_keys_and_people() {
        use KeyRole::*;
        use SignatureKind::*;
        let p = Stage::Production;
        // Release signer without the approver role does not count; two approvers do.
        let mut s = vec![
            sig("k1", Some("alice"), Release, &[Signer]),
            sig("k2", Some("bob"), Approval, &[Approver]),
            sig("k3", Some("carol"), Approval, &[Approver]),
        ];
        assert_eq!(ApprovalFacts::count(p, &s).distinct_approvers, 2);
        // The same key twice counts once.
        s.push(sig("k3", Some("carol"), Approval, &[Approver]));
        assert_eq!(ApprovalFacts::count(p, &s).distinct_approvers, 2);
        // One person with two keys counts once.
        s[2].operator = Some("bob".into());
        s[3].operator = Some("bob".into());
        let c = ApprovalFacts::count(p, &s);
        assert_eq!(
            (c.distinct_keys, c.distinct_operators, c.distinct_approvers),
            (2, 1, 1)
        );
        // The release signature counts when its key is an approver.
        s[0].roles = vec![Signer, Approver];
        assert_eq!(ApprovalFacts::count(p, &s).distinct_approvers, 2);
        // Invalid, untrusted, inactive, revoked-before and wrong-stage signatures do not count.
        let mut bad = sig("k9", Some("dave"), Approval, &[Approver]);
        for f in [
            |s: &mut SignatureFacts| s.valid = false,
            |s: &mut SignatureFacts| s.trusted = false,
            |s: &mut SignatureFacts| s.active_at_signing = false,
            |s: &mut SignatureFacts| s.revoked_before_signing = true,
            |s: &mut SignatureFacts| s.stages = vec![Stage::Dev],
        ] {
            let mut one = bad.clone();
            f(&mut one);
            assert_eq!(ApprovalFacts::count(p, &[one]).distinct_approvers, 0);
        }
        bad.operator = None;
        assert_eq!(ApprovalFacts::count(p, &[bad]).distinct_approvers, 1);
    }
}
