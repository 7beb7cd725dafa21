//! From what a release holds to what the policy judges: vulnerability counts from a vulns
//! predicate, a signature's facts from the trust set's view of its key, and the key checks shown
//! in a verification report. The input document itself is `strongroom_policy::PolicyInput`.

use strongroom_core::verify::{CheckId, Outcome};
use strongroom_core::KeyId;
use strongroom_policy::{
    Purpose, SignatureFacts, SignatureKind, Stage, Timestamp, TrustSet, VulnFacts,
};

/// Counts the results of an in-toto vulns v0.2 predicate by their `level` severity entry
/// (results without one are unrated).
pub fn vuln_facts(predicate: &serde_json::Value) -> VulnFacts {
    let mut c = VulnFacts {
        scanned: true,
        ..Default::default()
    };
    for r in predicate["scanner"]["result"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(id) = r["id"].as_str() {
            c.ids.push(id.to_owned());
        }
        let level = r["severity"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["method"] == "level")
            .and_then(|s| s["score"].as_str())
            .unwrap_or("unknown");
        match level {
            "critical" => c.critical += 1,
            "high" => c.high += 1,
            "medium" => c.medium += 1,
            "low" => c.low += 1,
            "none" => {}
            _ => c.unrated += 1,
        }
    }
    c.ids.sort();
    c.ids.dedup();
    c
}

/// The purpose a manifest signature of this kind needs.
pub fn purpose_of(kind: SignatureKind) -> Purpose {
    match kind {
        SignatureKind::Release => Purpose::Signer,
        SignatureKind::Approval => Purpose::Approver,
    }
}

/// A manifest signature's facts, judged by the trust set at the moment it claims.
pub fn signature_facts(
    trust: &TrustSet,
    key: &KeyId,
    kind: SignatureKind,
    operator: &str,
    signed_at: Timestamp,
    valid: bool,
    stage: Stage,
) -> SignatureFacts {
    let status = trust.status(key, signed_at, Some(stage), Some(purpose_of(kind)));
    SignatureFacts::new(
        kind,
        key,
        (!operator.is_empty()).then(|| operator.to_owned()),
        signed_at,
        valid,
        &status,
    )
}

/// One report line on a key: trusted for `purpose` at `stage`, and active at `at`.
pub fn key_check(
    trust: &TrustSet,
    key: &KeyId,
    at: Timestamp,
    stage: Stage,
    purpose: Purpose,
    what: &str,
) -> (CheckId, Outcome, String) {
    let status = trust.status(key, at, Some(stage), Some(purpose));
    let name = status.name.clone().unwrap_or_else(|| key.to_string());
    if !status.known {
        return (
            CheckId::KeyTrust,
            Outcome::Fail,
            format!("{what}: key {key} is not in the trust store; trust it, or import a trust package that lists it"),
        );
    }
    let problems = status.problems(at, Some(stage), Some(purpose));
    if !problems.is_empty() {
        let id = if status.revoked_before() {
            CheckId::Revocation
        } else if status.expired || status.not_yet_valid {
            CheckId::KeyValidity
        } else {
            CheckId::KeyTrust
        };
        return (
            id,
            Outcome::Fail,
            format!(
                "{what}: key {name}, when it signed ({at}): {}",
                problems.join("; ")
            ),
        );
    }
    match &status.revoked {
        Some(r) => (
            CheckId::Revocation,
            Outcome::Warn,
            format!(
                "{what}: key {name} was revoked at {} ({}), after it signed at {at}: the signature stands, but the key signs nothing new",
                r.revoked_at, r.reason
            ),
        ),
        None => (
            CheckId::KeyTrust,
            Outcome::Pass,
            format!("{what}: {purpose} key {name} trusted for {stage}, active when it signed ({at})"),
        ),
    }
}

/// One phrase for a signature's standing, for the report's signature table.
pub fn status_phrase(s: &SignatureFacts) -> String {
    if !s.valid {
        return "INVALID signature".to_owned();
    }
    if !s.trusted {
        return "valid, key not trusted".to_owned();
    }
    if !s.key_problems.is_empty() {
        return format!("valid, but {}", s.key_problems.join("; "));
    }
    if s.revoked {
        return "valid; key revoked later".to_owned();
    }
    "valid, trusted".to_owned()
}

/// Approvals the stage demands: the trust policy's `min_approvers` (a number, or one per stage),
/// never below the built-in floor (2 for production). Mirrors `policies/lib.rego`.
pub fn required_approvals(trust: &TrustSet, stage: Stage) -> u64 {
    let data = strongroom_policy::rego::effective_data(trust.policy());
    let configured = match &data["min_approvers"] {
        serde_json::Value::Number(n) => n.as_u64(),
        v => v[stage.as_str()].as_u64(),
    }
    .unwrap_or(0);
    let floor = if stage == Stage::Production { 2 } else { 0 };
    configured.max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vuln_counts_by_level() {
        let p = json!({"scanner": {"result": [
            {"id": "A", "severity": [{"method": "level", "score": "critical"}]},
            {"id": "B", "severity": [{"method": "CVSSv3", "score": "5.0"}, {"method": "level", "score": "medium"}]},
            {"id": "C", "severity": [{"method": "level", "score": "unknown"}]},
        ]}});
        let c = vuln_facts(&p);
        assert_eq!((c.critical, c.medium, c.unrated), (1, 1, 1));
        assert_eq!(c.ids, vec!["A", "B", "C"]);
        assert!(c.scanned);
    }
}
