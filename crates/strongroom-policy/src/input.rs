//! The input document policies judge: typed facts about one release (its artifacts, SBOMs,
//! provenance, vulnerabilities, signatures and approvals), serialised to the JSON shape that
//! `docs/policy.md` documents and Rego rules read as `input`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use strongroom_core::KeyId;

use crate::{KeyStatus, Purpose, Stage, Timestamp};

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
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SignatureKind {
    /// Made by `release create`.
    Release,
    /// Added by `release approve`.
    Approval,
}

impl SignatureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureKind::Release => "release",
            SignatureKind::Approval => "approval",
        }
    }
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
    /// The key's purpose in the trust store (`signer`, `approver`, …); `null` for an unknown key.
    pub purpose: Option<Purpose>,
    /// Who holds the key, as the trust store records it: approvals are counted by holder.
    pub holder: Option<String>,
    /// The station's signed audit excerpt records this signature: a `release.approve` row by the
    /// key's holder with this key. An approval that the audit trail does not show does not
    /// count.
    #[serde(default)]
    pub recorded: bool,
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
            purpose: status.purpose,
            holder: status.holder.clone(),
            recorded: false,
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

    /// Counts as an approval at `stage`: an approval signature that counts, by a key trusted
    /// for the approver purpose, with a holder, and recorded in the audit excerpt.
    pub fn approves_at(&self, stage: Stage) -> bool {
        self.kind == SignatureKind::Approval
            && self.counts_at(stage)
            && self.purpose == Some(Purpose::Approver)
            && self.holder.is_some()
            && self.recorded
    }
}

/// The approval counts. Only signatures that approve (see [`SignatureFacts::approves_at`]) are
/// counted, and people are counted by the holder the trust store names for each key, never by
/// a name the signer wrote: one person with two keys counts once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalFacts {
    pub distinct_keys: u64,
    pub distinct_holders: u64,
    /// Distinct holders of approving keys: the people who approved.
    pub distinct_approvers: u64,
}

impl ApprovalFacts {
    /// Counts the approvals among `signatures` at `stage`.
    pub fn count(stage: Stage, signatures: &[SignatureFacts]) -> Self {
        let approving: Vec<&SignatureFacts> =
            signatures.iter().filter(|s| s.approves_at(stage)).collect();
        let keys: BTreeSet<&str> = approving.iter().map(|s| s.keyid.as_str()).collect();
        let holders: BTreeSet<&str> = approving
            .iter()
            .filter_map(|s| s.holder.as_deref())
            .collect();
        ApprovalFacts {
            distinct_keys: keys.len() as u64,
            distinct_holders: holders.len() as u64,
            distinct_approvers: holders.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(keyid: &str, holder: &str, kind: SignatureKind, purpose: Purpose) -> SignatureFacts {
        SignatureFacts {
            keyid: keyid.into(),
            key_name: Some(keyid.into()),
            kind,
            operator: Some(holder.into()),
            signed_at: "2026-11-22T10:00:00Z".into(),
            valid: true,
            trusted: true,
            purpose: Some(purpose),
            holder: Some(holder.into()),
            recorded: true,
            stages: vec![],
            active_at_signing: true,
            revoked: false,
            revoked_before_signing: false,
            key_problems: vec![],
        }
    }

    #[test]
    fn approvals_count_people_by_holder() {
        use Purpose::*;
        use SignatureKind::*;
        let p = Stage::Production;
        // The release signature is not an approval; two approvers are.
        let mut s = vec![
            sig("k1", "alice", Release, Signer),
            sig("k2", "bob", Approval, Approver),
            sig("k3", "carol", Approval, Approver),
        ];
        assert_eq!(ApprovalFacts::count(p, &s).distinct_approvers, 2);
        // The same key twice counts once.
        s.push(sig("k3", "carol", Approval, Approver));
        assert_eq!(ApprovalFacts::count(p, &s).distinct_approvers, 2);
        // One holder with two keys counts once, whatever name the signature wrote.
        s[2].holder = Some("bob".into());
        s[3].holder = Some("bob".into());
        s[3].operator = Some("carol".into());
        let c = ApprovalFacts::count(p, &s);
        assert_eq!(
            (c.distinct_keys, c.distinct_holders, c.distinct_approvers),
            (2, 1, 1)
        );
        // Invalid, untrusted, inactive, revoked-before, wrong-stage, wrong-purpose, unrecorded
        // or holderless signatures do not count.
        let good = sig("k9", "dave", Approval, Approver);
        assert_eq!(
            ApprovalFacts::count(p, std::slice::from_ref(&good)).distinct_approvers,
            1
        );
        for f in [
            |s: &mut SignatureFacts| s.valid = false,
            |s: &mut SignatureFacts| s.trusted = false,
            |s: &mut SignatureFacts| s.active_at_signing = false,
            |s: &mut SignatureFacts| s.revoked_before_signing = true,
            |s: &mut SignatureFacts| s.stages = vec![Stage::Dev],
            |s: &mut SignatureFacts| s.purpose = Some(Purpose::Signer),
            |s: &mut SignatureFacts| s.recorded = false,
            |s: &mut SignatureFacts| s.holder = None,
            |s: &mut SignatureFacts| s.kind = SignatureKind::Release,
        ] {
            let mut one = good.clone();
            f(&mut one);
            assert_eq!(ApprovalFacts::count(p, &[one]).distinct_approvers, 0);
        }
    }
}
