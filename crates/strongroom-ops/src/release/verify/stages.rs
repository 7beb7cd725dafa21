//! The stages of release verification, each a pure function over what the edge (`mod.rs`) read
//! from the bundle: manifest, keys, approvals, artifacts, documents, signers, threshold, policy
//! and audit. No stage opens a file, starts a process or reports progress.

use std::collections::{BTreeMap, BTreeSet};
use strongroom_core::AuditEvent;

use serde_json::Value;
use strongroom_bundle::{ArtifactRecord, EntryRole, Manifest, Problem};
use strongroom_core::audit_chain::RowContent;
use strongroom_core::bundle::{CheckedDocument, Content};
use strongroom_core::digest::{Digest, DigestSet, HashAlg};
use strongroom_core::intoto::{CheckedStatement, ARTIFACT_SIGNATURE_PREDICATE};
use strongroom_core::verify::{verify_document, ArtifactFacts, CheckId, Outcome};
use strongroom_core::{KeyId, PublicKey, Purpose};
use strongroom_policy::{
    ArtifactFacts as PolicyArtifact, Decision, Fix, PolicyInput, ProvenanceFacts, SbomFacts,
    SignatureFacts, SignatureKind, Stage, Timestamp, TrustSet, VulnFacts,
};

use super::lines::Lines;
use crate::attest::{CYCLONEDX_PREDICATE, SLSA_PROVENANCE_V1, SPDX_PREDICATE, VULNS_PREDICATE};
use crate::release::facts::{key_check, purpose_of, signature_facts, vuln_facts};
use crate::release::{
    key_hex, timestamp, ApprovalsLine, ArtifactLine, ExcerptCheck, PolicyLine, ReleaseLine,
    MANIFEST_NAME, MANIFEST_SIGNATURE_PREDICATE,
};

/// The manifest stage: what the release is, and that the zip holds exactly what it lists.
/// Returns the paths that are missing, altered or unlisted, which no later stage trusts.
pub(crate) fn manifest(
    manifest: &Manifest,
    problems: &[Problem],
    lines: &mut Lines,
) -> (ReleaseLine, BTreeSet<String>) {
    let rel = manifest.release();
    let stage = rel.stage();
    lines.push(
        CheckId::Manifest,
        Outcome::Pass,
        format!(
            "{} {} for {stage}: {} artifact(s), {} listed entries",
            rel.name(),
            rel.version(),
            manifest.artifacts().len(),
            manifest.entries().len()
        ),
    );
    if problems.is_empty() {
        lines.push(
            CheckId::ManifestComplete,
            Outcome::Pass,
            format!(
                "all {} listed entries are present and unaltered; nothing unlisted was added",
                manifest.entries().len()
            ),
        );
    }
    for p in problems {
        lines.push(CheckId::ManifestComplete, Outcome::Fail, p.to_string());
    }
    let release = ReleaseLine {
        name: rel.name().to_owned(),
        version: rel.version().to_owned(),
        stage,
        created: rel.created().to_owned(),
    };
    (
        release,
        problems.iter().map(|p| p.path().to_owned()).collect(),
    )
}

/// The keys stage: the public keys the bundle carries (`keys/<hex>.pem`, as read), by key hint.
pub(crate) fn keys(
    pems: Vec<(String, Result<Vec<u8>, String>)>,
    lines: &mut Lines,
) -> BTreeMap<String, PublicKey> {
    let mut keys = BTreeMap::new();
    for (path, read) in pems {
        let parsed = read.and_then(|b| {
            PublicKey::from_pem(&String::from_utf8_lossy(&b)).map_err(|e| e.to_string())
        });
        match parsed {
            Ok(k) => {
                let named = path.trim_start_matches("keys/").trim_end_matches(".pem");
                if key_hex(&k) != named {
                    lines.push(
                        CheckId::Keys,
                        Outcome::Fail,
                        format!(
                            "{path}: holds key {}, not the key its name says",
                            key_hex(&k)
                        ),
                    );
                }
                keys.insert(k.key_id().to_string(), k);
            }
            Err(err) => lines.push(CheckId::Keys, Outcome::Fail, format!("{path}: {err}")),
        }
    }
    keys
}

/// The approvals stage: every signature over the manifest (the creator's and the approvers'),
/// counted only when the audit excerpt records it. Adds the keys it learnt to `keys` and
/// returns the signatures' facts and the release's signing time.
pub(crate) fn approvals(
    approvals: &[strongroom_bundle::Approval],
    manifest: &Manifest,
    manifest_digest: &Digest,
    trust: &TrustSet,
    recorded: &[RowContent],
    keys: &mut BTreeMap<String, PublicKey>,
    lines: &mut Lines,
) -> Result<(Vec<SignatureFacts>, Timestamp), crate::OpsError> {
    let mut facts = Vec::new();
    for a in approvals {
        if let Some((fact, key)) = approval(a, manifest, manifest_digest, trust, recorded, lines) {
            keys.entry(key.key_id().to_string()).or_insert(key);
            facts.push(fact);
        }
    }
    if !facts.iter().any(|s| s.valid) {
        lines.push(
            CheckId::Approval,
            Outcome::Fail,
            "no valid signature over the manifest: nothing vouches for this release",
        );
    }
    let signed_at = match facts
        .iter()
        .find(|s| s.kind == SignatureKind::Release && s.valid)
    {
        Some(s) => timestamp(&s.signed_at)?,
        None => timestamp(manifest.release().created())?,
    };
    Ok((facts, signed_at))
}

/// One manifest signature; its facts and key when it could be read.
fn approval(
    a: &strongroom_bundle::Approval,
    manifest: &Manifest,
    manifest_digest: &Digest,
    trust: &TrustSet,
    recorded: &[RowContent],
    lines: &mut Lines,
) -> Option<(SignatureFacts, PublicKey)> {
    let stage = manifest.release().stage();
    let what = format!("approvals/{}", a.key_id_hex);
    let fail =
        |lines: &mut Lines, detail: String| lines.push(CheckId::Approval, Outcome::Fail, detail);
    let (key, doc) = match signed_manifest(a, manifest_digest, &what) {
        Ok(read) => read,
        Err((why, key)) => {
            fail(lines, why);
            // A signature that does not verify is still a fact the policy is told about.
            let key = *key?;
            let created = timestamp(manifest.release().created()).ok()?;
            let fact = signature_facts(
                trust,
                &key.key_id(),
                SignatureKind::Approval,
                "",
                created,
                false,
                stage,
            );
            return Some((fact, key));
        }
    };
    let Some(st) =
        statement(&doc).filter(|st| st.statement().predicate_type == MANIFEST_SIGNATURE_PREDICATE)
    else {
        fail(
            lines,
            format!("{what}: not a release approval ({MANIFEST_SIGNATURE_PREDICATE} statement)"),
        );
        return None;
    };
    let p = &st.statement().predicate;
    let rel = manifest.release();
    let r = &p["release"];
    if r["name"] != rel.name()
        || r["version"] != rel.version()
        || r["stage"] != rel.stage().as_str()
    {
        fail(
            lines,
            format!(
                "{what}: approves {} {} for {}, not this release",
                r["name"], r["version"], r["stage"]
            ),
        );
        return None;
    }
    let kind = match p["kind"].as_str() {
        Some("release") => SignatureKind::Release,
        _ => SignatureKind::Approval,
    };
    let operator = p["operator"].as_str().unwrap_or("").to_owned();
    let Some(Ok(claimed)) = p["signedAt"].as_str().map(timestamp) else {
        fail(
            lines,
            format!("{what}: the signature records no valid signing time"),
        );
        return None;
    };
    let word = match kind {
        SignatureKind::Release => "release",
        SignatureKind::Approval => "approval",
    };
    let signed_at = match signing_time(&doc, trust, &key, claimed, word, lines) {
        Some(t) => t,
        None => {
            let fact =
                signature_facts(trust, &key.key_id(), kind, &operator, claimed, false, stage);
            return Some((fact, key));
        }
    };
    let in_future = crate::release::not_in_future(signed_at);
    let mut fact = signature_facts(
        trust,
        &key.key_id(),
        kind,
        &operator,
        signed_at,
        in_future.is_ok(),
        stage,
    );
    let who = fact.key_name.clone().unwrap_or_else(|| fact.keyid.clone());
    if let Err(why) = in_future {
        fail(
            lines,
            format!("{word} signature by {who}: {why}; it does not count"),
        );
        return Some((fact, key));
    }
    match recorded_approval(kind, &mut fact, &key, &operator, recorded) {
        Some(problem) => fail(lines, format!("{word} signature by {who} {problem}")),
        None => lines.push(
            CheckId::Approval,
            Outcome::Pass,
            format!(
                "{word} signature by {who} (held by {}, {signed_at}{})",
                fact.holder
                    .as_deref()
                    .unwrap_or("nobody the trust store knows"),
                if fact.recorded {
                    ", in the audit excerpt"
                } else {
                    ""
                }
            ),
        ),
    }
    let (id, o, d) = key_check(
        trust,
        &key.key_id(),
        signed_at,
        stage,
        purpose_of(kind),
        &format!("{word} by {}", fact.holder.as_deref().unwrap_or(&operator)),
    );
    lines.push(id, o, d);
    Some((fact, key))
}

/// Why an approval does not sign the manifest, and its key when the signature could be read.
type Unsigned = (String, Option<Box<PublicKey>>);

/// The key and signature of one approval, verified over the manifest's digest. On failure, why,
/// and the key when the signature was read but does not verify.
/// When a manifest signature was made, for the trust checks: the time a trusted timestamp
/// authority stamped it at, else the signer's claim. `None` (with a failed line) when the
/// signature must not count: a stamp that does not verify, a claim later than the stamp, or,
/// once the trust store trusts a timestamp authority, no stamp on a signature by a key that has
/// been revoked.
fn signing_time(
    doc: &CheckedDocument,
    trust: &TrustSet,
    key: &PublicKey,
    claimed: Timestamp,
    word: &str,
    lines: &mut Lines,
) -> Option<Timestamp> {
    use crate::tsa::StampCheck;
    let authorities = crate::tsa::trusted_authorities(trust);
    match crate::tsa::check_stamps(doc, &authorities) {
        StampCheck::Valid(v) => {
            // A clock's second and a stamp's second may differ by a little; a claim minutes
            // after the stamp is not an honest one.
            if claimed.unix_seconds() > v.time.unix_seconds() + 120 {
                lines.push(
                    CheckId::Timestamp,
                    Outcome::Fail,
                    format!("{word} signature claims {claimed}, after its timestamp {}: the claim is false; it does not count", v.time),
                );
                return None;
            }
            lines.push(
                CheckId::Timestamp,
                Outcome::Pass,
                format!(
                    "{word} signature timestamped at {} by {} (it claims {claimed})",
                    v.time, v.authority
                ),
            );
            Some(v.time)
        }
        StampCheck::Invalid(why) => {
            lines.push(
                CheckId::Timestamp,
                Outcome::Fail,
                format!("{word} signature's timestamp does not count: {why}; the signature does not count"),
            );
            None
        }
        StampCheck::None => {
            let revoked = trust.revocation(&key.key_id());
            if let (Some(r), false) = (revoked, authorities.is_empty()) {
                lines.push(
                    CheckId::Timestamp,
                    Outcome::Fail,
                    format!(
                        "{word} signature has no timestamp, and its key was revoked at {} ({}): only its signer's claim ({claimed}) says it came before; it does not count",
                        r.revoked_at, r.reason
                    ),
                );
                return None;
            }
            if !authorities.is_empty() {
                lines.push(
                    CheckId::Timestamp,
                    Outcome::Skip,
                    format!("{word} signature has no timestamp: its signing time {claimed} is its signer's claim"),
                );
            }
            Some(claimed)
        }
    }
}

fn signed_manifest(
    a: &strongroom_bundle::Approval,
    manifest_digest: &Digest,
    what: &str,
) -> Result<(PublicKey, CheckedDocument), Unsigned> {
    let key = PublicKey::from_pem(&String::from_utf8_lossy(&a.public_key_pem))
        .map_err(|e| (format!("{what}.pem: {e}"), None))?;
    if key_hex(&key) != a.key_id_hex {
        return Err((
            format!(
                "{what}.pem holds key {}, not the key its name says: the files were swapped or edited",
                key_hex(&key)
            ),
            None,
        ));
    }
    let doc = CheckedDocument::parse(&a.bundle)
        .map_err(|e| (format!("{what}.sigstore.json: {e}"), None))?;
    let facts = ArtifactFacts {
        name: MANIFEST_NAME.to_owned(),
        digests: DigestSet::from_digests(0, vec![manifest_digest.clone()]),
        streamed_signature: None,
    };
    let r = verify_document(&doc, &key, Some(&facts));
    if !r.passed() {
        let why: Vec<String> = r.failures().map(|c| c.detail.clone()).collect();
        return Err((
            format!(
                "{what}.sigstore.json does not verify over this manifest: {}",
                why.join("; ")
            ),
            Some(Box::new(key)),
        ));
    }
    Ok((key, doc))
}

/// An approval counts only when the station's signed audit trail shows it: a `release.approve`
/// row by the key's holder, naming this key. The name the signer wrote must be that holder too.
/// Sets `fact.recorded`; returns why the approval does not count, if it does not.
fn recorded_approval(
    kind: SignatureKind,
    fact: &mut SignatureFacts,
    key: &PublicKey,
    operator: &str,
    recorded: &[RowContent],
) -> Option<String> {
    if kind != SignatureKind::Approval {
        return None;
    }
    let holder = fact.holder.clone()?;
    let key_id = key.key_id().to_string();
    fact.recorded = recorded.iter().any(|row| {
        row.action == AuditEvent::ReleaseApprove.as_str()
            && row.outcome == "ok"
            && row.operator == holder
            && serde_json::from_str::<Value>(&row.details)
                .is_ok_and(|d| d["key_id"] == key_id.as_str())
    });
    let problem = if operator != holder {
        Some(format!(
            "names operator {operator:?}, but the trust store says the key is held by {holder}: it does not count"
        ))
    } else if !fact.recorded {
        Some(format!(
            "(held by {holder}) is not in the audit excerpt: no release.approve row by {holder} with this key; it does not count"
        ))
    } else {
        None
    };
    if problem.is_some() {
        fact.recorded = false;
    }
    problem
}

/// The artifacts the edge found in `--artifacts DIR`: their digests, and the ones it did not
/// find.
#[derive(Debug, Default)]
pub(crate) struct Present {
    /// Digests of each artifact found, by name.
    pub found: BTreeMap<String, DigestSet>,
    /// Names listed by the manifest, not carried in the bundle, and absent from the directory.
    pub missing: Vec<String>,
    /// The directory, for the report's words; `None` without `--artifacts`.
    pub dir: Option<String>,
}

/// The artifacts stage: each artifact's bytes against the manifest, where the bytes are at hand
/// (in `--artifacts DIR`, or carried in the bundle and checked by the manifest stage). An
/// artifact absent from the directory comes out as `missing` (a failure unless allowed).
pub(crate) fn artifacts(
    manifest: &Manifest,
    present: &Present,
    altered: &BTreeSet<String>,
    missing: Outcome,
    lines: &mut Lines,
) -> Vec<ArtifactLine> {
    for name in &present.missing {
        let dir = present.dir.as_deref().unwrap_or("the artifacts directory");
        let detail = if missing == Outcome::Fail {
            format!("{name}: not found in {dir}: every artifact must be there to check its bytes (--allow-missing lets it pass with a warning)")
        } else {
            format!("{name}: not found in {dir}, so its bytes were not checked")
        };
        lines.push(CheckId::ArtifactDigest, missing, detail);
    }
    let mut out = Vec::new();
    for a in manifest.artifacts() {
        let listed = a.sha256.to_hex();
        let checked = match present.found.get(a.name.as_str()) {
            Some(set) => {
                let ok = set.sha256().as_bytes() == a.sha256.0.as_slice() && set.len == a.size;
                if ok {
                    lines.push(
                        CheckId::ArtifactDigest,
                        Outcome::Pass,
                        format!("{}: the bytes match sha256:{listed}", a.name),
                    );
                } else {
                    lines.push(CheckId::ArtifactDigest, Outcome::Fail, format!(
                        "{}: the file has sha256:{} ({} bytes) but the release lists sha256:{listed} ({} bytes): it is not the artifact that was released",
                        a.name, set.sha256().to_hex(), set.len, a.size));
                }
                Some(ok)
            }
            None if a.included => {
                let in_bundle = strongroom_bundle::paths::layout::artifact(&a.name);
                let ok = !altered.contains(&in_bundle);
                if ok {
                    lines.push(
                        CheckId::ArtifactDigest,
                        Outcome::Pass,
                        format!(
                            "{}: carried in the bundle, bytes match sha256:{listed}",
                            a.name
                        ),
                    );
                } else {
                    lines.push(
                        CheckId::ArtifactDigest,
                        Outcome::Fail,
                        format!(
                            "{}: the copy in the bundle is not the released artifact",
                            a.name
                        ),
                    );
                }
                Some(ok)
            }
            None => {
                if present.dir.is_none() {
                    lines.push_fix(
                        CheckId::ArtifactDigest,
                        Outcome::Skip,
                        format!(
                            "{}: not carried in the bundle, so its bytes were not checked",
                            a.name
                        ),
                        Some(Fix::Artifacts),
                    );
                }
                None
            }
        };
        out.push(ArtifactLine {
            name: a.name.to_string(),
            sha256: listed,
            size: a.size,
            bytes_checked: checked,
        });
    }
    out
}

/// One signed document of the bundle, waiting to be verified.
#[derive(Debug)]
pub(crate) struct Work {
    pub path: String,
    pub role: EntryRole,
    /// The artifact it is about.
    pub artifact: String,
    pub predicate_type: Option<String>,
}

impl Work {
    /// The artifact signatures and attestations of `manifest`, except altered entries.
    pub fn list(manifest: &Manifest, altered: &BTreeSet<String>) -> Vec<Work> {
        manifest
            .entries()
            .iter()
            .filter(|e| {
                matches!(
                    e.role,
                    EntryRole::ArtifactSignature | EntryRole::Attestation
                ) && !altered.contains(&e.path)
            })
            .map(|e| Work {
                path: e.path.clone(),
                role: e.role,
                artifact: e
                    .subjects
                    .first()
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                predicate_type: e.predicate_type.clone(),
            })
            .collect()
    }

    fn check_id(&self) -> CheckId {
        if self.role == EntryRole::ArtifactSignature {
            CheckId::ArtifactSignature
        } else {
            CheckId::Attestation
        }
    }
}

/// What verifying one document found out.
#[derive(Debug, Default)]
pub(crate) struct Done {
    lines: Vec<(CheckId, Outcome, String)>,
    /// The key that made a valid signature.
    key: Option<KeyId>,
    /// An attested SBOM: format, component count, and the SHA-256 of its canonical JSON.
    sbom: Option<(String, u64, [u8; 32])>,
    provenance: Option<ProvenanceFacts>,
    vulns: Option<VulnFacts>,
}

impl Done {
    /// A document that could not be read from the bundle.
    pub fn unreadable(w: &Work, why: impl std::fmt::Display) -> Done {
        Done {
            lines: vec![(w.check_id(), Outcome::Fail, format!("{}: {why}", w.path))],
            ..Done::default()
        }
    }
}

/// SHA-256 over a JSON value's canonical form (keys sorted, no spaces), so that two documents
/// are compared by content without holding both.
pub(crate) fn json_digest(v: &Value) -> [u8; 32] {
    let bytes = serde_json::to_vec(v).expect("a JSON value serialises");
    let d = HashAlg::Sha256.hash(&bytes);
    d.as_bytes().try_into().expect("SHA-256 is 32 bytes")
}

/// The document stage, for one artifact signature or attestation: verified against the key its
/// hint names and the artifact's digests.
pub(crate) fn document(
    w: &Work,
    bytes: &[u8],
    keys: &BTreeMap<String, PublicKey>,
    records: &BTreeMap<&str, &ArtifactRecord>,
    present: &BTreeMap<String, DigestSet>,
) -> Done {
    let fail = |msg: String| Done {
        lines: vec![(w.check_id(), Outcome::Fail, msg)],
        ..Done::default()
    };
    let doc = match CheckedDocument::parse(bytes) {
        Ok(doc) => doc,
        Err(e) => return fail(format!("{}: {e}", w.path)),
    };
    let Some(key) = doc.key_hint.as_ref().and_then(|h| keys.get(h)) else {
        return fail(format!(
            "{}: signed by key {}, which the bundle does not carry",
            w.path,
            doc.key_hint.as_deref().unwrap_or("(unnamed)")
        ));
    };
    let Some(record) = records.get(w.artifact.as_str()) else {
        return fail(format!(
            "{}: about {:?}, which is not an artifact of this release",
            w.path, w.artifact
        ));
    };
    // Signatures and attestations are checked against what was released: the bytes at hand
    // when they are the released ones, else the manifest's digest (a swapped file is the
    // artifacts stage's failure alone, not a missing SBOM or scan as well).
    let digests = match present.get(&w.artifact) {
        Some(set) if set.sha256().as_bytes() == record.sha256.0.as_slice() => set.clone(),
        _ => listed_digests(record, &doc),
    };
    let facts = ArtifactFacts {
        name: w.artifact.clone(),
        digests,
        streamed_signature: None,
    };
    let r = verify_document(&doc, key, Some(&facts));
    if !r.passed() {
        let why: Vec<String> = r
            .failures()
            .map(|c| format!("{}: {}", c.id, c.detail))
            .collect();
        return fail(format!("{}: {}", w.path, why.join("; ")));
    }
    let statement = statement(&doc);
    let mut d = Done {
        key: Some(key.key_id()),
        ..Done::default()
    };
    if w.role == EntryRole::ArtifactSignature {
        // A DSSE artifact signature must say it is one: an attestation about the artifact,
        // signed for another purpose, is not its signature.
        if let Content::Dsse(_) = &doc.content {
            let pt = statement
                .as_ref()
                .map(|st| st.statement().predicate_type.clone());
            if pt.as_deref() != Some(ARTIFACT_SIGNATURE_PREDICATE) {
                return fail(format!(
                    "{}: a DSSE artifact signature must be a {ARTIFACT_SIGNATURE_PREDICATE} statement, not {}",
                    w.path,
                    pt.as_deref().unwrap_or("(no statement)")
                ));
            }
        }
        let detail = format!("{}: valid {} signature", w.artifact, key.algorithm());
        d.lines
            .push((CheckId::ArtifactSignature, Outcome::Pass, detail));
        return d;
    }
    let Some(st) = statement else {
        return fail(format!(
            "{}: an attestation must be a DSSE envelope carrying an in-toto statement",
            w.path
        ));
    };
    let st = st.statement();
    if w.predicate_type.as_deref() != Some(st.predicate_type.as_str()) {
        return fail(format!(
            "{}: attests {}, but the manifest lists it as {}",
            w.path,
            st.predicate_type,
            w.predicate_type.as_deref().unwrap_or("(none)")
        ));
    }
    match st.predicate_type.as_str() {
        SPDX_PREDICATE | CYCLONEDX_PREDICATE => {
            let (format, n) = sbom_summary(&st.predicate);
            d.sbom = Some((format, n, json_digest(&st.predicate)));
        }
        SLSA_PROVENANCE_V1 => {
            d.provenance = Some(ProvenanceFacts {
                present: true,
                builder_id: st.predicate["runDetails"]["builder"]["id"]
                    .as_str()
                    .map(str::to_owned),
            })
        }
        VULNS_PREDICATE => d.vulns = Some(vuln_facts(&st.predicate)),
        _ => {}
    }
    let detail = format!("{}: valid {} attestation", w.artifact, st.predicate_type);
    d.lines.push((CheckId::Attestation, Outcome::Pass, detail));
    d
}

/// What is known of an artifact whose bytes are not at hand: the SHA-256 the manifest lists and,
/// for a message signature over another digest (a P-384 key signs SHA-384), the digest the
/// signature names. The manifest vouches for the signature file that names it, so the signature
/// is checked over it; the bytes are checked only where they are at hand (`artifact-digest`).
fn listed_digests(record: &ArtifactRecord, doc: &CheckedDocument) -> DigestSet {
    let mut digests =
        vec![Digest::new(HashAlg::Sha256, record.sha256.0.to_vec()).expect("32 bytes")];
    if let Content::MessageSignature {
        digest: Some(claimed),
        ..
    } = &doc.content
    {
        if claimed.alg() != HashAlg::Sha256 {
            digests.push(claimed.clone());
        }
    }
    DigestSet::from_digests(record.size, digests)
}

/// The statement a DSSE document carries, if it is one.
fn statement(doc: &CheckedDocument) -> Option<CheckedStatement> {
    match &doc.content {
        Content::Dsse(env) => CheckedStatement::parse(&env.payload).ok(),
        Content::MessageSignature { .. } => None,
    }
}

/// `(format, component count)` of an attested SBOM, counted as `sbom validate` counts.
fn sbom_summary(doc: &Value) -> (String, u64) {
    let n = strongroom_sbom::count_components(doc).unwrap_or(0) as u64;
    if doc.get("spdxVersion").is_some() {
        ("spdx-2.3".to_owned(), n)
    } else {
        ("cyclonedx-1.6".to_owned(), n)
    }
}

/// What the documents stage learnt for the later stages.
pub(crate) struct Documents {
    /// Per artifact, what the policy is told about it.
    pub facts: BTreeMap<String, PolicyArtifact>,
    /// The keys that made valid artifact signatures and attestations.
    pub signing_keys: BTreeSet<KeyId>,
    /// Per artifact, the key whose signature over it verified.
    pub artifact_keys: BTreeMap<String, KeyId>,
}

/// The documents stage, folding each document's result: the lines, each artifact's facts, the
/// raw SBOM files against the attested ones (`raw_sboms`: the canonical digest of each `Sbom`
/// entry, `None` when unreadable), and a failure for each artifact no valid signature covers.
pub(crate) fn documents(
    manifest: &Manifest,
    work: &[Work],
    done: Vec<Done>,
    raw_sboms: &BTreeMap<String, Option<[u8; 32]>>,
    lines: &mut Lines,
) -> Documents {
    let mut facts: BTreeMap<String, PolicyArtifact> = manifest
        .artifacts()
        .iter()
        .map(|a| {
            let f = PolicyArtifact {
                name: a.name.to_string(),
                sha256: a.sha256.to_hex(),
                size: a.size,
                sbom: SbomFacts::default(),
                provenance: ProvenanceFacts::default(),
                vulnerabilities: VulnFacts::default(),
            };
            (a.name.to_string(), f)
        })
        .collect();
    let mut signing_keys = BTreeSet::new();
    let mut artifact_keys = BTreeMap::new();
    let mut signed: BTreeSet<String> = BTreeSet::new();
    for (w, d) in work.iter().zip(done) {
        for (id, o, detail) in d.lines {
            lines.push(id, o, detail);
        }
        let Some(key) = d.key else { continue };
        signing_keys.insert(key.clone());
        let Some(f) = facts.get_mut(&w.artifact) else {
            continue;
        };
        if w.role == EntryRole::ArtifactSignature {
            signed.insert(w.artifact.clone());
            artifact_keys.insert(w.artifact.clone(), key);
        }
        if let Some((format, n, attested)) = d.sbom {
            f.sbom = SbomFacts {
                present: true,
                format: Some(format),
                components: Some(n),
            };
            sbom_match(manifest, &w.artifact, &attested, raw_sboms, lines);
        }
        if let Some(p) = d.provenance {
            f.provenance = p;
        }
        if let Some(v) = d.vulns {
            f.vulnerabilities = v;
        }
    }
    for a in manifest.artifacts() {
        if !signed.contains(a.name.as_str()) {
            lines.push(
                CheckId::ArtifactSignature,
                Outcome::Fail,
                format!("{}: no valid signature", a.name),
            );
        }
    }
    Documents {
        facts,
        signing_keys,
        artifact_keys,
    }
}

/// What the image stage reads of one image artifact (the edge reads it from the bundle).
pub(crate) struct ImageInput<'a> {
    pub record: &'a ArtifactRecord,
    pub reference: &'a str,
    /// The carried artifact: the image manifest.
    pub manifest: Result<Vec<u8>, String>,
    pub payload: Result<Vec<u8>, String>,
    pub signature: Result<Vec<u8>, String>,
}

/// The image stage: every blob the manifest names is carried (the manifest stage checked each
/// one's digest), and the cosign signature verifies with the key that signed the artifact and
/// binds the manifest digest to the named reference.
pub(crate) fn images(
    manifest: &Manifest,
    inputs: Vec<ImageInput<'_>>,
    artifact_keys: &BTreeMap<String, KeyId>,
    keys: &BTreeMap<String, PublicKey>,
    altered: &BTreeSet<String>,
    lines: &mut Lines,
) {
    for i in inputs {
        let name = i.record.name.as_str();
        let mut fail = |why: String| {
            lines.push(
                CheckId::ImageSignature,
                Outcome::Fail,
                format!("{name}: {why}"),
            )
        };
        let image: Value = match i
            .manifest
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                fail(format!("its manifest cannot be read: {e}"));
                continue;
            }
        };
        let mut wanted: Vec<(String, u64)> = Vec::new();
        for d in image.get("config").into_iter().chain(
            image
                .get("layers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        ) {
            let hex = d
                .get("digest")
                .and_then(Value::as_str)
                .and_then(|d| d.strip_prefix("sha256:"))
                .unwrap_or_default();
            wanted.push((
                hex.to_owned(),
                d.get("size").and_then(Value::as_u64).unwrap_or(0),
            ));
        }
        if wanted.is_empty() {
            fail("its manifest names no config or layers".into());
            continue;
        }
        let missing: Vec<String> = wanted
            .iter()
            .filter(|(hex, size)| {
                let path = strongroom_bundle::paths::layout::image_blob(&i.record.name, hex);
                !manifest.entry(&path).is_some_and(|e| {
                    e.role == EntryRole::ImageBlob && e.size == *size && !altered.contains(&path)
                })
            })
            .map(|(hex, _)| format!("sha256:{hex}"))
            .collect();
        if !missing.is_empty() {
            fail(format!(
                "blobs its manifest names are missing or altered: {}",
                missing.join(", ")
            ));
            continue;
        }
        let Some(key) = artifact_keys
            .get(name)
            .and_then(|kid| keys.values().find(|k| k.key_id() == *kid))
        else {
            fail(
                "no verified artifact signature, so no key to check the image signature with"
                    .into(),
            );
            continue;
        };
        let (payload, sig) = match (i.payload, i.signature) {
            (Ok(p), Ok(s)) => (p, s),
            (Err(e), _) | (_, Err(e)) => {
                fail(format!("its cosign signature cannot be read: {e}"));
                continue;
            }
        };
        let claim = match strongroom_core::simplesigning::verify(
            key,
            &payload,
            &String::from_utf8_lossy(&sig),
        ) {
            Ok(c) => c,
            Err(e) => {
                fail(format!("cosign signature: {e}"));
                continue;
            }
        };
        let digest = format!("sha256:{}", i.record.sha256.to_hex());
        if claim.manifest_digest != digest {
            fail(format!(
                "its cosign signature is for {}, not this image's manifest {digest}",
                claim.manifest_digest
            ));
        } else if claim.docker_reference != i.reference {
            fail(format!(
                "its cosign signature names {}, not the release's reference {}",
                claim.docker_reference, i.reference
            ));
        } else {
            lines.push(
                CheckId::ImageSignature,
                Outcome::Pass,
                format!(
                    "{name}: {} blobs carried; the cosign signature by the release key binds {digest} to {}",
                    wanted.len(),
                    i.reference
                ),
            );
        }
    }
}

/// The raw SBOM file of `artifact`, if the bundle lists one, must be the attested one.
fn sbom_match(
    manifest: &Manifest,
    artifact: &str,
    attested: &[u8; 32],
    raw_sboms: &BTreeMap<String, Option<[u8; 32]>>,
    lines: &mut Lines,
) {
    let Some(raw) = manifest.entries().iter().find(|e| {
        e.role == EntryRole::Sbom && e.subjects.first().map(|n| n.as_str()) == Some(artifact)
    }) else {
        return;
    };
    if raw_sboms.get(&raw.path).copied().flatten().as_ref() == Some(attested) {
        lines.push(
            CheckId::SbomMatch,
            Outcome::Pass,
            format!("{}: the SBOM file is the attested one", raw.path),
        );
    } else {
        lines.push(
            CheckId::SbomMatch,
            Outcome::Fail,
            format!(
                "{}: differs from the SBOM in the signed attestation",
                raw.path
            ),
        );
    }
}

/// The signers stage: the keys that signed artifacts and attestations are trusted signers,
/// active when they signed.
pub(crate) fn signers(
    trust: &TrustSet,
    signing_keys: &BTreeSet<KeyId>,
    signed_at: Timestamp,
    stage: Stage,
    lines: &mut Lines,
) {
    for kid in signing_keys {
        let (id, o, d) = key_check(
            trust,
            kid,
            signed_at,
            stage,
            Purpose::Signer,
            "artifact signatures",
        );
        lines.push(id, o, d);
    }
}

/// The threshold stage: the two-person rule, distinct approvers against what the stage needs.
pub(crate) fn threshold(input: &PolicyInput, trust: &TrustSet, lines: &mut Lines) -> ApprovalsLine {
    let count = input.approvals;
    let required = crate::release::facts::required_approvals(trust, input.release.stage);
    if required > 0 || count.distinct_approvers > 0 {
        let detail = format!(
            "{} distinct approver(s), {required} required ({} key(s) held by {} person(s), as the trust store names the holders; a person counts once, whatever keys they hold)",
            count.distinct_approvers, count.distinct_keys, count.distinct_holders
        );
        let o = if count.distinct_approvers >= required {
            Outcome::Pass
        } else {
            Outcome::Fail
        };
        lines.push(CheckId::ApprovalThreshold, o, detail);
    }
    ApprovalsLine {
        distinct_keys: count.distinct_keys,
        distinct_holders: count.distinct_holders,
        distinct_approvers: count.distinct_approvers,
        required,
    }
}

/// The policy stage: the decision the edge had the sandboxed evaluator make.
pub(crate) fn policy<E: std::fmt::Display>(
    decision: Result<Decision, E>,
    stage: Stage,
    lines: &mut Lines,
) {
    match decision {
        Ok(d) => {
            if d.deny.is_empty() {
                lines.push(
                    CheckId::Policy,
                    Outcome::Pass,
                    format!("the {stage} policy allows this release"),
                );
            }
            for f in d.deny {
                let l = PolicyLine::from(&f);
                lines.push_fix(CheckId::Policy, Outcome::Fail, l.text, l.fix);
            }
            for f in d.warn {
                let l = PolicyLine::from(&f);
                lines.push_fix(CheckId::Policy, Outcome::Warn, l.text, l.fix);
            }
        }
        Err(e) => lines.push(
            CheckId::Policy,
            Outcome::Fail,
            format!("the policy could not be evaluated: {e}"),
        ),
    }
}

/// The audit stage: this release's rows, in a chain the station signed.
pub(crate) fn audit(excerpt: Option<ExcerptCheck>, lines: &mut Lines) {
    match excerpt {
        Some(e) => lines.push(CheckId::AuditExcerpt, e.outcome, e.detail),
        None => lines.push(
            CheckId::AuditExcerpt,
            Outcome::Warn,
            "the bundle carries no audit excerpt, so no approval in it can be counted",
        ),
    }
}

#[cfg(test)]
mod tests {
    //! The stages on hand-made inputs: no zip, no file, no process.
    use super::*;
    use strongroom_bundle::{ArtifactName, Release, Sha256Digest};
    use strongroom_core::{Algorithm, Signer, SoftwareKey};

    fn manifest(included: bool) -> Manifest {
        let release = Release::new(
            "app",
            "1.0.0",
            Stage::Test,
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap();
        let names = ["a.bin", "b.bin"].map(|n| ArtifactName::parse(n).unwrap());
        let artifacts = names
            .iter()
            .map(|n| ArtifactRecord {
                name: n.clone(),
                sha256: Sha256Digest::of_bytes(n.as_str().as_bytes()),
                size: n.as_str().len() as u64,
                included,
                image: None,
            })
            .collect();
        let carried = names
            .iter()
            .filter(|_| included)
            .map(|n| {
                let path = strongroom_bundle::paths::layout::artifact(n);
                strongroom_bundle::Entry::from_bytes(
                    &path,
                    EntryRole::Artifact,
                    "application/octet-stream",
                    n.as_str().as_bytes(),
                )
                .with_subjects([n.clone()])
            })
            .collect();
        Manifest::new(release, artifacts, carried).unwrap()
    }

    fn set_of(bytes: &[u8]) -> DigestSet {
        DigestSet::from_digests(bytes.len() as u64, vec![HashAlg::Sha256.hash(bytes)])
    }

    #[test]
    fn artifacts_compare_bytes_and_name_what_was_not_checked() {
        let m = manifest(false);
        let mut lines = Lines::default();
        let present = Present {
            found: [("a.bin".to_owned(), set_of(b"not a.bin"))].into(),
            missing: vec!["b.bin".to_owned()],
            dir: Some("/media/in".to_owned()),
        };
        let out = artifacts(&m, &present, &BTreeSet::new(), Outcome::Warn, &mut lines);
        assert_eq!(out[0].bytes_checked, Some(false));
        assert_eq!(out[1].bytes_checked, None);
        let got: Vec<Outcome> = lines
            .of(CheckId::ArtifactDigest)
            .iter()
            .map(|l| l.outcome)
            .collect();
        assert_eq!(got, [Outcome::Warn, Outcome::Fail]);

        let mut lines = Lines::default();
        let present = Present {
            found: [("a.bin".to_owned(), set_of(b"a.bin"))].into(),
            ..Present::default()
        };
        artifacts(&m, &present, &BTreeSet::new(), Outcome::Fail, &mut lines);
        let l = lines.of(CheckId::ArtifactDigest);
        assert_eq!((l[0].outcome, l[0].fix), (Outcome::Pass, None));
        assert_eq!(
            (l[1].outcome, l[1].fix),
            (Outcome::Skip, Some(Fix::Artifacts))
        );
    }

    #[test]
    fn carried_artifacts_fail_when_the_manifest_stage_found_them_altered() {
        let m = manifest(true);
        let altered: BTreeSet<String> = [strongroom_bundle::paths::layout::artifact(
            &m.artifacts()[1].name,
        )]
        .into();
        let mut lines = Lines::default();
        let out = artifacts(&m, &Present::default(), &altered, Outcome::Fail, &mut lines);
        assert_eq!(out[0].bytes_checked, Some(true));
        assert_eq!(out[1].bytes_checked, Some(false));
    }

    #[test]
    fn keys_under_the_wrong_name_or_unreadable_fail() {
        let k = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let pem = k.public_key().to_pem().into_bytes();
        let right = format!("keys/{}.pem", key_hex(k.public_key()));
        let mut lines = Lines::default();
        let keys = keys(
            vec![
                (right, Ok(pem.clone())),
                (format!("keys/{}.pem", "0".repeat(64)), Ok(pem)),
                ("keys/x.pem".to_owned(), Err("truncated".to_owned())),
            ],
            &mut lines,
        );
        assert_eq!(keys.len(), 1);
        let problems: Vec<&str> = lines
            .of(CheckId::Keys)
            .iter()
            .map(|l| l.detail.as_str())
            .collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("not the key its name says"));
        assert!(problems[1].ends_with("truncated"));
    }

    #[test]
    fn unsigned_artifacts_and_a_swapped_sbom_fail_the_documents_stage() {
        let m = manifest(false)
            .with_entry(
                strongroom_bundle::Entry::from_bytes(
                    "sboms/a.bin.spdx.json",
                    EntryRole::Sbom,
                    "application/spdx+json",
                    b"{}",
                )
                .with_subjects([ArtifactName::parse("a.bin").unwrap()]),
            )
            .unwrap();
        let work = vec![Work {
            path: "signatures/a.bin.sigstore.json".to_owned(),
            role: EntryRole::Attestation,
            artifact: "a.bin".to_owned(),
            predicate_type: Some(SPDX_PREDICATE.to_owned()),
        }];
        let attested = serde_json::json!({"spdxVersion": "SPDX-2.3", "packages": [{}, {}]});
        let done = vec![Done {
            lines: vec![(CheckId::Attestation, Outcome::Pass, "ok".to_owned())],
            key: Some(
                SoftwareKey::generate(Algorithm::Ed25519)
                    .unwrap()
                    .public_key()
                    .key_id(),
            ),
            sbom: Some(("spdx-2.3".to_owned(), 2, json_digest(&attested))),
            ..Done::default()
        }];
        let raw = [(
            "sboms/a.bin.spdx.json".to_owned(),
            Some(json_digest(&serde_json::json!({"spdxVersion": "SPDX-2.3"}))),
        )]
        .into();
        let mut lines = Lines::default();
        let docs = documents(&m, &work, done, &raw, &mut lines);
        assert_eq!(docs.facts["a.bin"].sbom.components, Some(2));
        assert_eq!(lines.of(CheckId::SbomMatch)[0].outcome, Outcome::Fail);
        let unsigned: Vec<&str> = lines
            .of(CheckId::ArtifactSignature)
            .iter()
            .map(|l| l.detail.as_str())
            .collect();
        assert_eq!(
            unsigned,
            ["a.bin: no valid signature", "b.bin: no valid signature"]
        );
    }

    #[test]
    fn json_digests_ignore_key_order_but_not_content() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":[1,2]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "b":[1,2], "a":1 }"#).unwrap();
        let c: Value = serde_json::from_str(r#"{"a":1,"b":[2,1]}"#).unwrap();
        assert_eq!(json_digest(&a), json_digest(&b));
        assert_ne!(json_digest(&a), json_digest(&c));
    }

    #[test]
    fn a_policy_that_cannot_be_evaluated_fails() {
        let mut lines = Lines::default();
        policy::<&str>(Err("out of memory"), Stage::Production, &mut lines);
        let l = lines.of(CheckId::Policy);
        assert_eq!(l[0].outcome, Outcome::Fail);
        assert!(l[0].detail.ends_with("out of memory"));
    }
}
