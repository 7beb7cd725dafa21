//! Every check of a keyless (or managed-key) Sigstore bundle against a trusted root, at a stated
//! time, each reported under a stable id, never stopping at the first failure: what was signed,
//! by whom the certificate says, which authority issued it, which logs and timestamp authorities
//! vouch for when, and whether the artifact is the one signed.

use strongroom_core::intoto::CheckedStatement;
use strongroom_core::verify::Outcome;
use strongroom_core::{Digest, HashAlg, PublicKey, Timestamp};

use crate::bundle::{Content, KeylessBundle, LogEntry, Material};
use crate::checkpoint::Checkpoint;
use crate::entry::{check_entry_body, Signed};
use crate::identity::IdentityPolicy;
use crate::merkle::{leaf_hash, root_from_inclusion_proof};
use crate::rekor::{verify_set, PromisedEntry};
use crate::sct::check_embedded_scts;
use crate::trusted_root::TrustedRoot;
use crate::tsa::verify_timestamp;
use crate::x509::{is_self_issued, subject_public_key_info, SigningCertificate};

/// The stable id of each check of a keyless bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeylessCheck {
    /// The bundle's version and shape; no root certificate carried in it.
    BundleFormat,
    /// The certificate was issued by a certificate authority of the root.
    CertificateChain,
    /// The certificate is a signing leaf, valid at every verified time.
    CertificateValidity,
    /// An embedded SCT from a CT log of the root.
    Sct,
    /// The log entry names this bundle's signature, certificate and artifact or payload.
    TlogEntry,
    /// Rekor v1's signed entry timestamp.
    TlogSet,
    /// The inclusion proof leads to the checkpoint's root.
    TlogInclusion,
    /// The checkpoint is signed by the entry's log.
    TlogCheckpoint,
    /// The integrated time is not in the future.
    TlogTime,
    /// An RFC 3161 timestamp over the signature by an authority of the root.
    Timestamp,
    /// The signature verifies with the certificate's (or the given) key.
    Signature,
    /// The artifact is the one signed (the message digest, or a statement subject).
    ArtifactDigest,
    /// The certificate's identity (subject alternative name).
    Identity,
    /// The certificate's OIDC issuer.
    Issuer,
    /// The CI claims asked for (source repository, ref, workflow).
    CiClaims,
    /// Enough log entries, SCTs and timestamps verified.
    Thresholds,
}

impl KeylessCheck {
    /// Every check, in the order `docs/verify.md` lists them.
    pub const ALL: [KeylessCheck; 16] = [
        KeylessCheck::BundleFormat,
        KeylessCheck::CertificateChain,
        KeylessCheck::CertificateValidity,
        KeylessCheck::Sct,
        KeylessCheck::TlogEntry,
        KeylessCheck::TlogSet,
        KeylessCheck::TlogInclusion,
        KeylessCheck::TlogCheckpoint,
        KeylessCheck::TlogTime,
        KeylessCheck::Timestamp,
        KeylessCheck::Signature,
        KeylessCheck::ArtifactDigest,
        KeylessCheck::Identity,
        KeylessCheck::Issuer,
        KeylessCheck::CiClaims,
        KeylessCheck::Thresholds,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeylessCheck::BundleFormat => "bundle-format",
            KeylessCheck::CertificateChain => "certificate-chain",
            KeylessCheck::CertificateValidity => "certificate-validity",
            KeylessCheck::Sct => "sct",
            KeylessCheck::TlogEntry => "tlog-entry",
            KeylessCheck::TlogSet => "tlog-set",
            KeylessCheck::TlogInclusion => "tlog-inclusion",
            KeylessCheck::TlogCheckpoint => "tlog-checkpoint",
            KeylessCheck::TlogTime => "tlog-time",
            KeylessCheck::Timestamp => "timestamp",
            KeylessCheck::Signature => "signature",
            KeylessCheck::ArtifactDigest => "artifact-digest",
            KeylessCheck::Identity => "identity",
            KeylessCheck::Issuer => "issuer",
            KeylessCheck::CiClaims => "ci-claims",
            KeylessCheck::Thresholds => "thresholds",
        }
    }
}

/// One check's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub id: KeylessCheck,
    pub outcome: Outcome,
    pub detail: String,
}

/// Who must have signed, and how much evidence of when.
#[derive(Clone, Debug)]
pub struct VerifyPolicy {
    /// `None` for a managed-key bundle (checked with `key` instead).
    pub identity: Option<IdentityPolicy>,
    /// The key of a managed-key bundle.
    pub key: Option<PublicKey>,
    /// Log entries that must verify (Rekor), SCTs, and RFC 3161 timestamps.
    pub tlog_threshold: usize,
    pub sct_threshold: usize,
    pub timestamp_threshold: usize,
    /// The verifier's clock (an integrated time after it is refused).
    pub now: Timestamp,
}

/// Every check of `bundle` against `root` under `policy`, for the artifact given by its
/// digests (SHA-256 always; others where the bundle names them: see
/// [`crate::evidence::digest_algs`]).
pub fn verify_keyless(
    bundle: &KeylessBundle,
    root: &TrustedRoot,
    artifact: &[Digest],
    policy: &VerifyPolicy,
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let mut push = |id, ok: bool, detail: String| {
        out.push(CheckResult {
            id,
            outcome: if ok { Outcome::Pass } else { Outcome::Fail },
            detail,
        })
    };

    // What names the signer.
    let (cert, key) = match &bundle.material {
        Material::Certificate { leaf, rest } => {
            let root_carried = std::iter::once(leaf)
                .chain(rest)
                .any(|c| is_self_issued(c).unwrap_or(true));
            push(
                KeylessCheck::BundleFormat,
                !root_carried,
                if root_carried {
                    "the bundle carries a root certificate; trust comes from the trusted root alone"
                        .into()
                } else {
                    format!("{:?} bundle", bundle.version)
                },
            );
            match SigningCertificate::from_der(leaf) {
                Ok(c) => {
                    let k = c.public_key.clone();
                    (Some(c), Some(k))
                }
                Err(e) => {
                    push(KeylessCheck::CertificateChain, false, e.to_string());
                    (None, None)
                }
            }
        }
        Material::PublicKey { .. } => {
            push(
                KeylessCheck::BundleFormat,
                true,
                format!("{:?} bundle, managed key", bundle.version),
            );
            match &policy.key {
                Some(k) => (None, Some(k.clone())),
                None => {
                    push(
                        KeylessCheck::Signature,
                        false,
                        "the bundle is signed with a managed key and no key was given to check it"
                            .into(),
                    );
                    (None, None)
                }
            }
        }
    };
    let verifier_der = match (&cert, &key) {
        (Some(c), _) => c.der.clone(),
        (None, Some(k)) => k.to_spki_der(),
        (None, None) => Vec::new(),
    };

    // The signature itself, and the artifact.
    let signed = match &bundle.content {
        Content::Message {
            digest_alg,
            digest,
            signature,
        } => {
            let given = artifact.iter().find(|d| d.alg() == *digest_alg);
            let digest_matches =
                given.is_some_and(|a| digest.is_empty() || digest[..] == *a.as_bytes());
            push(
                KeylessCheck::ArtifactDigest,
                digest_matches,
                match given {
                    Some(a) if digest_matches => {
                        format!("the signed digest is the artifact's ({})", a.to_hex())
                    }
                    Some(_) => "the bundle's message digest is not the artifact's".into(),
                    None => format!(
                        "the bundle signs a {} digest and the artifact was given without one",
                        digest_alg.sigstore_name()
                    ),
                },
            );
            if let (Some(k), Some(a)) = (&key, given) {
                let ok = k.verify_prehashed(a, signature).is_ok();
                push(
                    KeylessCheck::Signature,
                    ok,
                    if ok {
                        "the signature over the artifact verifies".into()
                    } else {
                        "the signature does not verify over the artifact".into()
                    },
                );
            }
            Signed::Message {
                signature,
                digest_alg: *digest_alg,
                digest: given.map(|a| a.as_bytes()).unwrap_or(&[]),
            }
        }
        Content::Dsse(env) => {
            if let Some(k) = &key {
                let ok = env.signatures.len() == 1 && env.verify_signature(0, k).is_ok();
                push(
                    KeylessCheck::Signature,
                    ok,
                    if ok {
                        "the envelope's signature verifies".into()
                    } else {
                        "the envelope's signature does not verify (a bundle's envelope carries exactly one)".into()
                    },
                );
            }
            let subject = CheckedStatement::parse(&env.payload)
                .ok()
                .is_some_and(|st| {
                    st.statement()
                        .subject
                        .iter()
                        .any(|s| artifact.iter().any(|a| s.matches(a)))
                });
            push(
                KeylessCheck::ArtifactDigest,
                subject,
                if subject {
                    format!(
                        "a subject of the statement is the artifact ({})",
                        artifact
                            .iter()
                            .map(|a| format!("{}:{}", a.alg().intoto_name(), a.to_hex()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    "no subject of the envelope's statement is the artifact".into()
                },
            );
            Signed::Dsse(env)
        }
    };

    // When: each log entry and timestamp that verifies gives a time.
    let mut times: Vec<Timestamp> = Vec::new();
    let mut logs_ok = 0;
    for entry in &bundle.entries {
        if let Some(t) = check_entry(
            entry,
            bundle,
            root,
            &signed,
            &verifier_der,
            policy,
            &mut push,
        ) {
            logs_ok += 1;
            times.extend(t);
        }
    }
    let mut stamps_ok = 0;
    for der in &bundle.timestamps {
        match verify_timestamp(der, bundle.content.signature(), &root.timestamp_authorities) {
            Ok(v) => {
                stamps_ok += 1;
                times.push(v.time);
                push(
                    KeylessCheck::Timestamp,
                    true,
                    format!("{} stamped it at {}", v.authority, v.time),
                );
            }
            Err(e) => push(KeylessCheck::Timestamp, false, e.to_string()),
        }
    }
    // Rekor v2 entries carry no time: their checkpoints are judged at the timestamps' times.
    for entry in bundle
        .entries
        .iter()
        .filter(|e| e.integrated_time.is_none())
    {
        checkpoint_at_times(entry, root, &times, &mut push);
    }

    // The certificate: issued by the root's authority, a signing leaf, at every verified time.
    let mut scts_ok = 0;
    if let Some(c) = &cert {
        if times.is_empty() {
            push(
                KeylessCheck::CertificateValidity,
                false,
                "no log entry or timestamp verified, so no time at which to judge the certificate"
                    .into(),
            );
        }
        for at in &times {
            match c.check_signing_leaf(*at) {
                Ok(()) => push(
                    KeylessCheck::CertificateValidity,
                    true,
                    format!("a signing certificate valid at {at}"),
                ),
                Err(e) => push(KeylessCheck::CertificateValidity, false, e.to_string()),
            }
        }
        // Without a verified time the verdict has failed already (`certificate-validity`); the
        // chain and SCTs are still judged, at the certificate's own start, so the report names
        // everything wrong with it.
        let (at, when) = match times.first() {
            Some(t) => (*t, String::new()),
            None => (
                c.not_before,
                " (judged at the certificate's own start: no verified time)".to_owned(),
            ),
        };
        let issuer = match c.issued_by(&root.certificate_authorities, at) {
            Ok(ca) => {
                push(
                    KeylessCheck::CertificateChain,
                    true,
                    format!("issued by {}{when}", ca.uri),
                );
                Some(ca)
            }
            Err(e) => {
                push(KeylessCheck::CertificateChain, false, e.to_string());
                c.named_issuer(&root.certificate_authorities)
            }
        };
        // SCTs name the issuer's key; with a broken chain, the authority the certificate names.
        if let Some(ca) = issuer {
            let issuer_key = subject_public_key_info(&ca.chain[0]).unwrap_or_default();
            match check_embedded_scts(c, &issuer_key, &root.ctlogs) {
                Ok(findings) => {
                    // One log's promise counts once, however many SCTs it gave.
                    let mut logs_seen = std::collections::BTreeSet::new();
                    for f in findings {
                        if f.verified && logs_seen.insert(f.log.clone()) {
                            scts_ok += 1;
                        }
                        push(KeylessCheck::Sct, f.verified, f.detail);
                    }
                }
                Err(e) => push(KeylessCheck::Sct, false, e.to_string()),
            }
        }
        if let Some(identity) = &policy.identity {
            for f in identity.check(c) {
                let id = match f.what {
                    "identity" => KeylessCheck::Identity,
                    "issuer" => KeylessCheck::Issuer,
                    _ => KeylessCheck::CiClaims,
                };
                push(id, f.passed, f.detail);
            }
        }
    }

    let sct_needed = if cert.is_some() {
        policy.sct_threshold
    } else {
        0
    };
    let enough = logs_ok >= policy.tlog_threshold
        && scts_ok >= sct_needed
        && stamps_ok >= policy.timestamp_threshold
        && !times.is_empty();
    push(
        KeylessCheck::Thresholds,
        enough,
        format!(
            "{logs_ok} of {} log entries, {scts_ok} of {sct_needed} SCTs, {stamps_ok} of {} timestamps verified{}",
            policy.tlog_threshold,
            policy.timestamp_threshold,
            if times.is_empty() { "; no verified time" } else { "" }
        ),
    );
    out
}

/// The checks of one log entry; the times it vouches for when it holds (none for Rekor v2,
/// whose checkpoint is judged at the timestamps' times), `None` when it does not.
#[allow(clippy::too_many_arguments)]
fn check_entry(
    entry: &LogEntry,
    bundle: &KeylessBundle,
    root: &TrustedRoot,
    signed: &Signed<'_>,
    verifier: &[u8],
    policy: &VerifyPolicy,
    push: &mut impl FnMut(KeylessCheck, bool, String),
) -> Option<Vec<Timestamp>> {
    let mut ok = true;
    match check_entry_body(&entry.body, &entry.kind, &entry.version, signed, verifier) {
        Ok(()) => push(
            KeylessCheck::TlogEntry,
            true,
            format!(
                "{} {} entry {} names this bundle",
                entry.kind, entry.version, entry.log_index
            ),
        ),
        Err(e) => {
            ok = false;
            push(KeylessCheck::TlogEntry, false, e);
        }
    }
    let logs: Vec<_> = root.tlogs_with_id(&entry.log_id).collect();
    if logs.is_empty() {
        push(
            KeylessCheck::TlogEntry,
            false,
            "the entry's log is not in the trusted root".into(),
        );
        return None;
    }
    let mut times = Vec::new();
    // From v0.2 on, a bundle proves inclusion itself; a promise (SET) alone is not enough.
    if entry.proof.is_none() && bundle.version >= crate::bundle::BundleVersion::V02 {
        ok = false;
        push(
            KeylessCheck::TlogInclusion,
            false,
            format!(
                "a {:?} bundle's log entry must carry an inclusion proof",
                bundle.version
            ),
        );
    }
    if let Some(t) = entry.integrated_time {
        let at = Timestamp::from_unix_seconds(t)?;
        if at > policy.now {
            {
                ok = false;
                push(
                    KeylessCheck::TlogTime,
                    false,
                    format!("the log integrated the entry at {at}, in the future"),
                );
            };
        } else {
            push(KeylessCheck::TlogTime, true, format!("integrated at {at}"));
        }
        match &entry.set {
            Some(set) => {
                let promised = PromisedEntry {
                    body_base64: &entry.body_base64,
                    integrated_time: t,
                    log_index: entry.log_index as i64,
                    log_id: &entry.log_id,
                };
                let errors: Vec<String> = logs
                    .iter()
                    .filter_map(|l| verify_set(&promised, set, l).err().map(|e| e.to_string()))
                    .collect();
                if errors.len() < logs.len() {
                    push(
                        KeylessCheck::TlogSet,
                        true,
                        "the log promised to include the entry".into(),
                    );
                    times.push(at);
                } else {
                    {
                        ok = false;
                        push(KeylessCheck::TlogSet, false, errors.join("; "));
                    };
                }
            }
            None if bundle.version == crate::bundle::BundleVersion::V01 => {
                {
                    ok = false;
                    push(
                        KeylessCheck::TlogSet,
                        false,
                        "a v0.1 bundle's entry must carry a signed entry timestamp".into(),
                    );
                };
            }
            None => {}
        }
        if let Some(p) = &entry.proof {
            if !inclusion(entry, p, &logs, at, push) {
                ok = false;
            } else {
                times.push(at);
            }
        }
    } else if entry.proof.is_none() {
        {
            ok = false;
            push(
                KeylessCheck::TlogInclusion,
                false,
                "the entry has no time and no inclusion proof".into(),
            );
        };
    }
    if entry.integrated_time.is_none() {
        if let Some(p) = &entry.proof {
            let root_ok = root_from_inclusion_proof(
                p.log_index,
                p.tree_size,
                leaf_hash(&entry.body),
                &p.hashes,
            ) == Some(p.root_hash);
            if root_ok {
                push(
                    KeylessCheck::TlogInclusion,
                    true,
                    format!(
                        "entry {} is in the tree of {} leaves",
                        p.log_index, p.tree_size
                    ),
                );
            } else {
                {
                    ok = false;
                    push(
                        KeylessCheck::TlogInclusion,
                        false,
                        "the inclusion proof does not lead to its root".into(),
                    );
                };
            }
        }
    }
    if ok {
        times.dedup();
        Some(times)
    } else {
        None
    }
}

/// A Rekor v1 inclusion proof and its checkpoint, judged at the integrated time.
fn inclusion(
    entry: &LogEntry,
    p: &crate::bundle::InclusionProof,
    logs: &[&crate::trusted_root::TransparencyLog],
    at: Timestamp,
    push: &mut impl FnMut(KeylessCheck, bool, String),
) -> bool {
    if root_from_inclusion_proof(p.log_index, p.tree_size, leaf_hash(&entry.body), &p.hashes)
        != Some(p.root_hash)
    {
        push(
            KeylessCheck::TlogInclusion,
            false,
            "the inclusion proof does not lead to its root".into(),
        );
        return false;
    }
    push(
        KeylessCheck::TlogInclusion,
        true,
        format!(
            "entry {} is in the tree of {} leaves",
            p.log_index, p.tree_size
        ),
    );
    match &p.checkpoint {
        Some(note) => checkpoint_holds(note, p, logs, at, push),
        None => true,
    }
}

fn checkpoint_holds(
    note: &str,
    p: &crate::bundle::InclusionProof,
    logs: &[&crate::trusted_root::TransparencyLog],
    at: Timestamp,
    push: &mut impl FnMut(KeylessCheck, bool, String),
) -> bool {
    let c = match Checkpoint::parse(note) {
        Ok(c) => c,
        Err(e) => {
            push(KeylessCheck::TlogCheckpoint, false, e.to_string());
            return false;
        }
    };
    let errors: Vec<String> = logs
        .iter()
        .filter_map(|l| c.verify(l, at).err().map(|e| e.to_string()))
        .collect();
    if errors.len() == logs.len() {
        push(KeylessCheck::TlogCheckpoint, false, errors.join("; "));
        return false;
    }
    if (c.size, c.root_hash) != (p.tree_size, p.root_hash) {
        push(
            KeylessCheck::TlogCheckpoint,
            false,
            "the checkpoint is of another tree than the inclusion proof's".into(),
        );
        return false;
    }
    push(
        KeylessCheck::TlogCheckpoint,
        true,
        format!("signed by the log for a tree of {} leaves", c.size),
    );
    true
}

/// A Rekor v2 entry's checkpoint, at the first verified time (its log signs no time itself).
fn checkpoint_at_times(
    entry: &LogEntry,
    root: &TrustedRoot,
    times: &[Timestamp],
    push: &mut impl FnMut(KeylessCheck, bool, String),
) {
    let Some(p) = &entry.proof else { return };
    let Some(note) = &p.checkpoint else {
        push(
            KeylessCheck::TlogCheckpoint,
            false,
            "a Rekor v2 entry's proof must carry a checkpoint".into(),
        );
        return;
    };
    let logs: Vec<_> = root.tlogs_with_id(&entry.log_id).collect();
    match times.first() {
        Some(at) if !logs.is_empty() => {
            checkpoint_holds(note, p, &logs, *at, push);
        }
        Some(_) => {}
        None => push(
            KeylessCheck::TlogCheckpoint,
            false,
            "a Rekor v2 entry carries no time: a timestamp of the root's authorities must give one"
                .into(),
        ),
    }
}

/// Whether every check passed (the verdict).
pub fn verified(checks: &[CheckResult]) -> bool {
    !checks.is_empty() && checks.iter().all(|c| c.outcome != Outcome::Fail)
}

/// The digests of `bytes` a bundle may name (SHA-256, SHA-384 and SHA-512).
pub fn artifact_digests(bytes: &[u8]) -> Vec<Digest> {
    [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512]
        .into_iter()
        .map(|a| a.hash(bytes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::KeylessCheck;

    /// `docs/verify.md` lists every keyless check, in order.
    #[test]
    fn the_docs_list_every_check() {
        let doc = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/verify.md"),
        )
        .unwrap();
        let section = doc.split("\n## Keyless Sigstore bundles").nth(1).unwrap();
        let table = section
            .split("\n\n")
            .find(|t| t.contains("| id |"))
            .unwrap();
        let listed: Vec<&str> = table
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let ids: Vec<&str> = KeylessCheck::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, ids);
    }
}
