//! Verification of one signed document against one public key and (optionally) the artifact's
//! digests, as a list of named checks with an overall verdict.

use std::fmt;

use crate::bundle::{CheckedDocument, Content, DocumentKind};
use crate::digest::{DigestSet, HashAlg};
use crate::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use crate::intoto::CheckedStatement;
use crate::keys::{Algorithm, PublicKey, VerifyError};

/// The outcome of one check. Ordered by severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Outcome {
    /// Not applicable, or not possible offline; never fails the verdict.
    Skip,
    Pass,
    /// Worth a human's attention; does not fail the verdict.
    Warn,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Skip => "skip",
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
        }
    }

    /// The verdict a report with this overall outcome gets, in capitals.
    pub fn verdict_word(self) -> &'static str {
        match self {
            Outcome::Pass | Outcome::Skip => "VERIFIED",
            Outcome::Warn => "VERIFIED WITH WARNINGS",
            Outcome::Fail => "NOT VERIFIED",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a check is about: the stable identifiers of the `--json` report, each documented in
/// `docs/verify.md` and listed in `docs/schemas/verify-report.schema.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum CheckId {
    // One signed document against one key.
    /// The document parsed as a Sigstore bundle or DSSE envelope.
    Format,
    /// The key hint names the key verifying it.
    KeyHint,
    /// The signature over the artifact digest or the DSSE payload.
    Signature,
    /// The artifact's bytes against the digest that was signed or listed.
    ArtifactDigest,
    /// The DSSE signature's key id.
    Keyid,
    /// The DSSE payload is an in-toto Statement v1.
    Statement,
    /// The DSSE payload type.
    PayloadType,
    /// The statement's subject names the artifact and its digest.
    Subject,
    /// The statement's predicate type is the one expected.
    PredicateType,
    /// Transparency-log entries (not checked offline).
    TransparencyLog,
    /// A certificate in the bundle (keyless; not checked offline yet).
    Certificate,
    // A release bundle.
    /// An age-encrypted bundle was decrypted.
    Encryption,
    /// The release manifest was read.
    Manifest,
    /// The zip holds exactly the manifest's entries, unaltered.
    ManifestComplete,
    /// The public keys the bundle carries.
    Keys,
    /// A signature over the manifest: the creator's or an approver's.
    Approval,
    /// An artifact's signature.
    ArtifactSignature,
    /// An attestation about an artifact (SBOM, provenance, vulnerabilities).
    Attestation,
    /// The raw SBOM file is the attested one.
    SbomMatch,
    /// A container image: its blobs are carried, and its cosign signature binds its manifest
    /// digest to the reference named, by the key that signed the artifact.
    ImageSignature,
    /// A signing key is in the trust store, for this purpose and stage.
    KeyTrust,
    /// A signing key's revocation.
    Revocation,
    /// A signing key's validity window at the signing time.
    KeyValidity,
    /// An RFC 3161 timestamp over a manifest signature, by a timestamp authority the trust store
    /// trusts: it, not the signer's claim, dates the signature for `revocation` and `key-validity`.
    Timestamp,
    /// The two-person rule: distinct approvers against the stage's threshold.
    ApprovalThreshold,
    /// The stage's policy.
    Policy,
    /// The audit excerpt: this release's rows, in a chain the station signed.
    AuditExcerpt,
}

impl CheckId {
    /// Every check id, in the order `docs/verify.md` lists them.
    pub const ALL: [CheckId; 27] = [
        CheckId::Format,
        CheckId::KeyHint,
        CheckId::Signature,
        CheckId::ArtifactDigest,
        CheckId::Keyid,
        CheckId::Statement,
        CheckId::PayloadType,
        CheckId::Subject,
        CheckId::PredicateType,
        CheckId::TransparencyLog,
        CheckId::Certificate,
        CheckId::Encryption,
        CheckId::Manifest,
        CheckId::ManifestComplete,
        CheckId::Keys,
        CheckId::Approval,
        CheckId::ArtifactSignature,
        CheckId::Attestation,
        CheckId::SbomMatch,
        CheckId::ImageSignature,
        CheckId::KeyTrust,
        CheckId::Revocation,
        CheckId::KeyValidity,
        CheckId::Timestamp,
        CheckId::ApprovalThreshold,
        CheckId::Policy,
        CheckId::AuditExcerpt,
    ];

    /// The identifier as the report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Format => "format",
            CheckId::KeyHint => "key-hint",
            CheckId::Signature => "signature",
            CheckId::ArtifactDigest => "artifact-digest",
            CheckId::Keyid => "keyid",
            CheckId::Statement => "statement",
            CheckId::PayloadType => "payload-type",
            CheckId::Subject => "subject",
            CheckId::PredicateType => "predicate-type",
            CheckId::TransparencyLog => "transparency-log",
            CheckId::Certificate => "certificate",
            CheckId::Encryption => "encryption",
            CheckId::Manifest => "manifest",
            CheckId::ManifestComplete => "manifest-complete",
            CheckId::Keys => "keys",
            CheckId::Approval => "approval",
            CheckId::ArtifactSignature => "artifact-signature",
            CheckId::Attestation => "attestation",
            CheckId::SbomMatch => "sbom-match",
            CheckId::ImageSignature => "image-signature",
            CheckId::KeyTrust => "key-trust",
            CheckId::Revocation => "revocation",
            CheckId::KeyValidity => "key-validity",
            CheckId::Timestamp => "timestamp",
            CheckId::ApprovalThreshold => "approval-threshold",
            CheckId::Policy => "policy",
            CheckId::AuditExcerpt => "audit-excerpt",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One named check and why it came out as it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub id: CheckId,
    pub outcome: Outcome,
    pub detail: String,
}

/// All checks of one verification, in the order they ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn push(&mut self, id: CheckId, outcome: Outcome, detail: impl Into<String>) {
        self.checks.push(Check {
            id,
            outcome,
            detail: detail.into(),
        });
    }

    /// `Fail` if any check failed, else `Warn` if any warned, else `Pass`.
    pub fn verdict(&self) -> Outcome {
        match self.checks.iter().map(|c| c.outcome).max() {
            Some(Outcome::Fail) => Outcome::Fail,
            Some(Outcome::Warn) => Outcome::Warn,
            _ => Outcome::Pass,
        }
    }

    pub fn passed(&self) -> bool {
        self.verdict() != Outcome::Fail && self.checks.iter().any(|c| c.outcome == Outcome::Pass)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Fail)
    }
}

/// What the caller learnt by streaming the artifact once.
#[derive(Debug)]
pub struct ArtifactFacts {
    /// The artifact's file name, for matching statement subjects and reporting.
    pub name: String,
    pub digests: DigestSet,
    /// For pure-Ed25519 message signatures: the result of the streamed verification.
    pub streamed_signature: Option<Result<(), VerifyError>>,
}

/// The digests the artifact must be hashed with to verify `doc` with `key` (SHA-256 is always
/// computed as well).
pub fn required_digests(doc: &CheckedDocument, key: &PublicKey) -> Vec<HashAlg> {
    let mut algs = vec![HashAlg::Sha256];
    if let Content::MessageSignature { digest, .. } = &doc.content {
        algs.extend(digest.as_ref().map(|d| d.alg()));
        algs.extend(key.algorithm().prehash());
    }
    algs.sort();
    algs.dedup();
    algs
}

/// True when `doc` is a pure-Ed25519 signature over the artifact bytes, which can only be checked
/// by streaming the artifact through [`PublicKey::ed25519_stream`].
pub fn needs_streamed_signature(doc: &CheckedDocument, key: &PublicKey) -> bool {
    matches!(doc.content, Content::MessageSignature { .. }) && key.algorithm() == Algorithm::Ed25519
}

/// Runs every check of `doc` against `key` and, when given, the artifact.
pub fn verify_document(
    doc: &CheckedDocument,
    key: &PublicKey,
    artifact: Option<&ArtifactFacts>,
) -> Report {
    let mut r = Report::default();
    r.push(CheckId::Format, Outcome::Pass, doc.describe());
    check_hint(&mut r, doc, key);
    match &doc.content {
        Content::MessageSignature { digest, signature } => {
            verify_message(&mut r, digest.as_ref(), signature, key, artifact)
        }
        Content::Dsse(env) => verify_dsse(&mut r, doc, env, key, artifact),
    }
    if doc.tlog_entries > 0 {
        r.push(
            CheckId::TransparencyLog,
            Outcome::Warn,
            format!(
                "{} transparency-log entr{} not checked: verification is offline, trust rests on the key alone",
                doc.tlog_entries,
                if doc.tlog_entries == 1 { "y" } else { "ies" }
            ),
        );
    }
    if doc.has_certificate {
        r.push(
            CheckId::Certificate,
            Outcome::Warn,
            "the bundle carries a certificate, which was not validated; the signature was checked against the given key",
        );
    }
    r
}

fn check_hint(r: &mut Report, doc: &CheckedDocument, key: &PublicKey) {
    let id = key.key_id();
    match &doc.key_hint {
        Some(h) if h == id.as_str() => {
            r.push(CheckId::KeyHint, Outcome::Pass, format!("key id {id}"))
        }
        Some(h) => r.push(
            CheckId::KeyHint,
            Outcome::Warn,
            format!("the bundle names key {h}, but the given key is {id}"),
        ),
        None if doc.kind == DocumentKind::DsseEnvelope
            || doc.kind == DocumentKind::CosignLegacy => {}
        None => r.push(CheckId::KeyHint, Outcome::Skip, "the bundle names no key"),
    }
}

fn verify_message(
    r: &mut Report,
    claimed: Option<&crate::Digest>,
    signature: &[u8],
    key: &PublicKey,
    artifact: Option<&ArtifactFacts>,
) {
    let Some(art) = artifact else {
        r.push(
            CheckId::Signature,
            Outcome::Fail,
            "a messageSignature covers the artifact's bytes: give the artifact to verify it",
        );
        return;
    };
    match claimed {
        Some(d) => match art.digests.get(d.alg()) {
            Some(actual) if actual == d => r.push(
                CheckId::ArtifactDigest,
                Outcome::Pass,
                format!("{} matches {}", art.name, d),
            ),
            Some(actual) => r.push(
                CheckId::ArtifactDigest,
                Outcome::Fail,
                format!(
                    "{} has {actual}, but the bundle was made for {d}: the file is not the one that was signed",
                    art.name
                ),
            ),
            None => r.push(
                CheckId::ArtifactDigest,
                Outcome::Fail,
                format!("the artifact was not hashed with {}", d.alg()),
            ),
        },
        None => r.push(
            CheckId::ArtifactDigest,
            Outcome::Skip,
            "the bundle records no digest; the signature alone binds the artifact",
        ),
    }
    let result = match key.algorithm().prehash() {
        None => art
            .streamed_signature
            .clone()
            .unwrap_or(Err(VerifyError::NeedsMessage(key.algorithm()))),
        Some(natural) => {
            let alg = claimed.map_or(natural, |d| d.alg());
            match art.digests.get(alg) {
                Some(d) => key.verify_prehashed(d, signature),
                None => Err(VerifyError::Malformed(format!(
                    "the artifact was not hashed with {alg}"
                ))),
            }
        }
    };
    push_signature(r, result, key, &art.name);
}

fn push_signature(r: &mut Report, result: Result<(), VerifyError>, key: &PublicKey, what: &str) {
    match result {
        Ok(()) => r.push(
            CheckId::Signature,
            Outcome::Pass,
            format!("valid {} signature over {what}", key.algorithm()),
        ),
        Err(e) => r.push(
            CheckId::Signature,
            Outcome::Fail,
            format!("{e}: wrong key, or {what} or the signature was altered"),
        ),
    }
}

fn verify_dsse(
    r: &mut Report,
    doc: &CheckedDocument,
    env: &Envelope,
    key: &PublicKey,
    artifact: Option<&ArtifactFacts>,
) {
    // A bare envelope may carry several signatures: the one by this key must verify.
    let mut result = Err(VerifyError::Mismatch);
    for (i, s) in env.signatures.iter().enumerate() {
        if let Some(kid) = &s.keyid {
            if doc.kind != DocumentKind::DsseEnvelope
                && doc.key_hint.as_ref().is_some_and(|h| h != kid)
            {
                r.push(
                    CheckId::Keyid,
                    Outcome::Warn,
                    format!("the envelope's keyid {kid} differs from the bundle's key hint"),
                );
            }
        }
        result = env.verify_signature(i, key);
        if result.is_ok() {
            break;
        }
    }
    let signed = result.is_ok();
    push_signature(r, result, key, "the DSSE envelope");
    if !signed {
        r.push(
            CheckId::Statement,
            Outcome::Skip,
            "not read: its signature did not verify",
        );
        return;
    }
    if env.payload_type != INTOTO_PAYLOAD_TYPE {
        r.push(
            CheckId::PayloadType,
            Outcome::Fail,
            format!(
                "payload type {:?} is not {INTOTO_PAYLOAD_TYPE}: no artifact subject to check",
                env.payload_type
            ),
        );
        return;
    }
    let st = match CheckedStatement::parse(&env.payload) {
        Ok(st) => st,
        Err(e) => {
            r.push(CheckId::Statement, Outcome::Fail, e.to_string());
            return;
        }
    };
    r.push(
        CheckId::Statement,
        Outcome::Pass,
        format!(
            "in-toto statement, predicate {}, {} subject(s)",
            st.statement().predicate_type,
            st.statement().subject.len()
        ),
    );
    match artifact {
        None => r.push(
            CheckId::Subject,
            Outcome::Fail,
            "no artifact given: a statement proves nothing until the file's digest is found among its subjects",
        ),
        Some(art) => match st.subject_for(art.digests.sha256()) {
            Some(s) if s.name.is_empty() => r.push(
                CheckId::Subject,
                Outcome::Pass,
                format!(
                    "{} matches an unnamed subject by digest ({})",
                    art.name,
                    art.digests.sha256()
                ),
            ),
            Some(s) if s.name == art.name => r.push(
                CheckId::Subject,
                Outcome::Pass,
                format!("{} is subject {:?} ({})", art.name, s.name, art.digests.sha256()),
            ),
            Some(s) => r.push(
                CheckId::Subject,
                Outcome::Pass,
                format!(
                    "{} matches subject {:?} by digest ({}); the names differ",
                    art.name,
                    s.name,
                    art.digests.sha256()
                ),
            ),
            None => r.push(
                CheckId::Subject,
                Outcome::Fail,
                format!(
                    "{} ({}) is not a subject of the statement: the file is not the one that was attested",
                    art.name,
                    art.digests.sha256()
                ),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::BundleJson;
    use crate::digest::hash_reader;
    use crate::intoto::{Statement, Subject, ARTIFACT_SIGNATURE_PREDICATE};
    use crate::signer::{Signer, SoftwareKey};

    fn facts(name: &str, data: &[u8], key: &PublicKey, doc: &CheckedDocument) -> ArtifactFacts {
        let mut stream = if needs_streamed_signature(doc, key) {
            match &doc.content {
                Content::MessageSignature { signature, .. } => key.ed25519_stream(signature).ok(),
                _ => None,
            }
        } else {
            None
        };
        let mut obs = |c: &[u8]| {
            if let Some(s) = stream.as_mut() {
                s.update(c)
            }
        };
        let digests = hash_reader(
            data,
            &required_digests(doc, key),
            &mut |_| {},
            Some(&mut obs),
        )
        .unwrap();
        ArtifactFacts {
            name: name.into(),
            digests,
            streamed_signature: stream.map(|s| s.finish()),
        }
    }

    fn ecdsa_bundle(k: &SoftwareKey, data: &[u8]) -> CheckedDocument {
        let d = HashAlg::Sha256.hash(data);
        let sig = k.sign_prehashed(&d).unwrap();
        let json = BundleJson::message_signature(k.public_key(), &d, &sig).to_pretty_json();
        CheckedDocument::parse(json.as_bytes()).unwrap()
    }

    fn dsse_bundle(k: &SoftwareKey, name: &str, data: &[u8]) -> CheckedDocument {
        let d = HashAlg::Sha256.hash(data);
        let st = Statement::new(
            vec![Subject::new(name, &[&d])],
            ARTIFACT_SIGNATURE_PREDICATE,
            serde_json::json!({}),
        );
        let env = Envelope::sign(k, INTOTO_PAYLOAD_TYPE, st.to_json_bytes()).unwrap();
        let json = BundleJson::dsse(k.public_key(), &env).to_pretty_json();
        CheckedDocument::parse(json.as_bytes()).unwrap()
    }

    fn outcome(r: &Report, id: &str) -> Outcome {
        r.checks
            .iter()
            .find(|c| c.id.as_str() == id)
            .map(|c| c.outcome)
            .unwrap()
    }

    #[test]
    fn message_signature_pass_and_fail() {
        let k = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let doc = ecdsa_bundle(&k, b"data");
        let r = verify_document(
            &doc,
            k.public_key(),
            Some(&facts("f", b"data", k.public_key(), &doc)),
        );
        assert!(r.passed(), "{r:?}");
        let r = verify_document(
            &doc,
            k.public_key(),
            Some(&facts("f", b"dat4", k.public_key(), &doc)),
        );
        assert_eq!(outcome(&r, "artifact-digest"), Outcome::Fail);
        assert_eq!(outcome(&r, "signature"), Outcome::Fail);
        let other = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let r = verify_document(
            &doc,
            other.public_key(),
            Some(&facts("f", b"data", other.public_key(), &doc)),
        );
        assert_eq!(outcome(&r, "signature"), Outcome::Fail);
        assert_eq!(outcome(&r, "key-hint"), Outcome::Warn);
        assert!(!r.passed());
        let r = verify_document(&doc, k.public_key(), None);
        assert!(!r.passed());
    }

    #[test]
    fn dsse_pass_and_subject_fail() {
        let k = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let doc = dsse_bundle(&k, "a.bin", b"data");
        let r = verify_document(
            &doc,
            k.public_key(),
            Some(&facts("a.bin", b"data", k.public_key(), &doc)),
        );
        assert!(r.passed(), "{r:?}");
        assert_eq!(r.verdict(), Outcome::Pass);
        let r = verify_document(
            &doc,
            k.public_key(),
            Some(&facts("a.bin", b"other", k.public_key(), &doc)),
        );
        assert_eq!(outcome(&r, "signature"), Outcome::Pass);
        assert_eq!(outcome(&r, "subject"), Outcome::Fail);
        assert!(!r.passed());
    }

    #[test]
    fn ed25519_message_signature_is_streamed() {
        let k = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let data = vec![42u8; 3 << 20];
        let sig = k.sign(&data).unwrap();
        let d = HashAlg::Sha256.hash(&data);
        let json = BundleJson::message_signature(k.public_key(), &d, &sig).to_pretty_json();
        let doc = CheckedDocument::parse(json.as_bytes()).unwrap();
        let r = verify_document(
            &doc,
            k.public_key(),
            Some(&facts("f", &data, k.public_key(), &doc)),
        );
        assert!(r.passed(), "{r:?}");
        let mut bad = data.clone();
        bad[5] ^= 1;
        let r = verify_document(
            &doc,
            k.public_key(),
            Some(&facts("f", &bad, k.public_key(), &doc)),
        );
        assert_eq!(outcome(&r, "signature"), Outcome::Fail);
    }

    #[test]
    fn check_ids_serialise_as_their_report_names() {
        for id in CheckId::ALL {
            assert_eq!(
                serde_json::to_value(id).unwrap(),
                serde_json::Value::String(id.as_str().to_owned())
            );
        }
        let mut names: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(
            names.len(),
            CheckId::ALL.len(),
            "two check ids share a name"
        );
    }
}
