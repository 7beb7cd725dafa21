//! `verify BUNDLE.zip`: every signature against the trust set, key validity at signing time and
//! revocation, artifact bytes, manifest completeness, the approval threshold, the policy and the
//! audit excerpt — one line per check and an overall verdict.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;
use strongroom_bundle::{ArtifactRecord, Manifest, Role};
use strongroom_core::audit_chain::RowContent;
use strongroom_core::bundle::{CheckedDocument, Content};
use strongroom_core::digest::{Digest, DigestSet};
use strongroom_core::intoto::CheckedStatement;
use strongroom_core::intoto::ARTIFACT_SIGNATURE_PREDICATE;
use strongroom_core::verify::{verify_document, ArtifactFacts, Outcome};
use strongroom_policy::Fix;

use super::PolicyLine;
use strongroom_core::{HashAlg, KeyId, PublicKey, Purpose};
use strongroom_policy::{
    ArtifactFacts as PolicyArtifact, Phase, PolicyInput, ProvenanceFacts, ReleaseFacts, SbomFacts,
    SignatureFacts, SignatureKind, TrustSet, VulnFacts,
};

use super::facts::{key_check, required_approvals, signature_facts, status_phrase, vuln_facts};
use super::{
    key_hex, timestamp, ApprovalsLine, ArtifactLine, BundleReport, CheckLine, ReleaseLine,
    SignatureLine, MANIFEST_NAME, MANIFEST_SIGNATURE_PREDICATE,
};
use crate::attest::{CYCLONEDX_PREDICATE, SLSA_PROVENANCE_V1, SPDX_PREDICATE, VULNS_PREDICATE};
use crate::{Callbacks, OpsError, Progress, Station};

/// Largest JSON entry (signature bundle, SBOM, manifest) read from a bundle.
const MAX_JSON_ENTRY: u64 = 256 << 20;

/// A request to verify a release bundle.
#[derive(Debug, Default)]
pub struct VerifyBundle {
    pub bundle: PathBuf,
    /// A directory holding the artifacts, when the bundle does not carry them.
    pub artifacts_dir: Option<PathBuf>,
    /// Extra Rego modules (`--policy FILE.rego`).
    pub policies: Vec<PathBuf>,
    /// How to open an age-encrypted bundle.
    pub identity: Option<strongroom_bundle::age::Identity>,
}

/// Checks collected in order; passes of one kind are folded into one line when there are many.
#[derive(Default)]
struct Lines(Vec<(&'static str, Outcome, String, Option<Fix>)>);

impl Lines {
    fn push(&mut self, id: &'static str, outcome: Outcome, detail: impl Into<String>) {
        self.0.push((id, outcome, detail.into(), None));
    }

    /// A line that names what to do about it (each shell words the fix).
    fn push_fix(&mut self, id: &'static str, outcome: Outcome, detail: String, fix: Option<Fix>) {
        self.0.push((id, outcome, detail, fix));
    }

    fn verdict(&self) -> Outcome {
        match self.0.iter().map(|l| l.1).max() {
            Some(Outcome::Fail) => Outcome::Fail,
            Some(Outcome::Warn) => Outcome::Warn,
            _ => Outcome::Pass,
        }
    }

    /// Problems stay one per line; more than three passes of one check become one line.
    fn folded(self) -> Vec<CheckLine> {
        let mut order: Vec<&'static str> = Vec::new();
        let mut passes: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for (id, ..) in &self.0 {
            if !order.contains(id) {
                order.push(id);
            }
        }
        let mut out = Vec::new();
        for id in order {
            for (i, o, d, fix) in &self.0 {
                if *i != id {
                    continue;
                }
                if *o == Outcome::Pass {
                    passes.entry(id).or_default().push(d.clone());
                } else {
                    out.push(CheckLine {
                        fix: *fix,
                        ..line(id, *o, d.clone())
                    });
                }
            }
            if let Some(p) = passes.remove(id) {
                if p.len() <= 3 {
                    out.extend(p.into_iter().map(|d| line(id, Outcome::Pass, d)));
                } else {
                    out.push(line(
                        id,
                        Outcome::Pass,
                        format!("{} passed, for example: {}", p.len(), p[0]),
                    ));
                }
            }
        }
        out
    }
}

fn line(id: &str, o: Outcome, detail: String) -> CheckLine {
    CheckLine {
        id: id.to_owned(),
        outcome: o.as_str().to_owned(),
        detail,
        fix: None,
    }
}

/// One signed document of the bundle, waiting to be verified.
struct Work {
    path: String,
    role: Role,
    /// The artifact it is about.
    artifact: String,
    predicate_type: Option<String>,
}

impl Work {
    fn check_id(&self) -> &'static str {
        if self.role == Role::ArtifactSignature {
            "artifact-signature"
        } else {
            "attestation"
        }
    }
}

/// What verifying one document found out.
#[derive(Default)]
struct Done {
    lines: Vec<(&'static str, Outcome, String)>,
    /// The key that made a valid signature.
    key: Option<KeyId>,
    /// An attested SBOM: format, component count, the document.
    sbom: Option<(String, u64, Value)>,
    provenance: Option<ProvenanceFacts>,
    vulns: Option<VulnFacts>,
}

impl Station {
    /// Verifies a bundle against the station's trust store and records the verdict.
    pub fn release_verify(
        &self,
        req: &VerifyBundle,
        cb: &dyn Callbacks,
    ) -> Result<BundleReport, OpsError> {
        let object = req.bundle.display().to_string();
        self.require(crate::Action::ReleaseVerify)?;
        let trust = self.trust_set()?;
        match verify_bundle(req, &trust, "the station's trust store", cb) {
            Ok(report) => {
                let object = if report.manifest_sha256.is_empty() {
                    object
                } else {
                    super::manifest_object(&report.manifest_sha256)
                };
                let failed: Vec<String> = report
                    .checks
                    .iter()
                    .filter(|c| c.outcome == "fail")
                    .map(|c| format!("{}: {}", c.id, c.detail))
                    .collect();
                self.record_patiently(
                    "verify",
                    &object,
                    if report.verified {
                        crate::AuditOutcome::Ok
                    } else {
                        crate::AuditOutcome::Failed
                    },
                    serde_json::json!({"bundle": req.bundle.display().to_string(),
                        "bundle_sha256": report.bundle_sha256, "verdict": report.verdict,
                        "failed": failed}),
                )?;
                Ok(report)
            }
            Err(e) => {
                self.record_failure("verify", &object, &e);
                Err(e)
            }
        }
    }
}

/// Verifies a bundle against `trust`. `Ok` carries the report whatever its verdict; `Err`
/// means the file could not be opened as a bundle at all (not a zip, hostile, unreadable).
pub fn verify_bundle(
    req: &VerifyBundle,
    trust: &TrustSet,
    trust_source: &str,
    cb: &dyn Callbacks,
) -> Result<BundleReport, OpsError> {
    let opened = super::open_bundle(&req.bundle, req.identity.as_ref())?;
    verify_opened(&opened, req, trust, trust_source, cb)
}

/// [`verify_bundle`] on a bundle already opened (`req.identity` is not used).
pub(crate) fn verify_opened(
    opened: &super::Opened,
    req: &VerifyBundle,
    trust: &TrustSet,
    trust_source: &str,
    cb: &dyn Callbacks,
) -> Result<BundleReport, OpsError> {
    let zip: &strongroom_bundle::SafeZip = &opened.zip;
    let mut lines = Lines::default();
    let mut report = BundleReport {
        bundle: req.bundle.display().to_string(),
        bundle_sha256: opened.sha256.clone(),
        manifest_sha256: String::new(),
        release: None,
        artifacts: vec![],
        signatures: vec![],
        approvals: ApprovalsLine::default(),
        checks: vec![],
        verdict: String::new(),
        verified: false,
        trust_source: trust_source.to_owned(),
        checked_at: super::rfc3339(time::OffsetDateTime::now_utc()),
        tool: format!("strongroom {}", env!("CARGO_PKG_VERSION")),
        signature_facts: vec![],
    };
    if opened.encrypted {
        lines.push(
            "encryption",
            Outcome::Pass,
            "age-encrypted bundle decrypted",
        );
    }

    // The manifest, and that it lists exactly what the zip holds.
    let (manifest, manifest_bytes) = match strongroom_bundle::read_manifest(zip) {
        Ok(m) => m,
        Err(e) => {
            lines.push(
                "manifest",
                Outcome::Fail,
                format!("{e}: this is not a Strongroom release bundle, or its manifest was removed or altered"),
            );
            return Ok(finish(report, lines));
        }
    };
    let manifest_sha256 = HashAlg::Sha256.hash(&manifest_bytes).to_hex();
    report.manifest_sha256 = manifest_sha256.clone();
    let rel = manifest.release();
    let stage = rel.stage();
    report.release = Some(ReleaseLine {
        name: rel.name().to_owned(),
        version: rel.version().to_owned(),
        stage: stage.as_str().to_owned(),
        created: rel.created().to_owned(),
    });
    lines.push(
        "manifest",
        Outcome::Pass,
        format!(
            "{} {} for {stage}: {} artifact(s), {} listed entries",
            rel.name(),
            rel.version(),
            manifest.artifacts().len(),
            manifest.entries().len()
        ),
    );
    let problems = strongroom_bundle::check_completeness(&manifest, zip);
    let altered: BTreeSet<String> = problems.iter().map(|p| p.path().to_owned()).collect();
    if problems.is_empty() {
        lines.push(
            "manifest-complete",
            Outcome::Pass,
            format!(
                "all {} listed entries are present and unaltered; nothing unlisted was added",
                manifest.entries().len()
            ),
        );
    }
    for p in &problems {
        lines.push("manifest-complete", Outcome::Fail, p.to_string());
    }

    // Keys the bundle carries, by Sigstore key hint.
    let mut keys: BTreeMap<String, PublicKey> = BTreeMap::new();
    for e in manifest
        .entries()
        .iter()
        .filter(|e| e.role == Role::PublicKey)
    {
        if altered.contains(&e.path) {
            continue;
        }
        let parsed = zip
            .read(&e.path, 1 << 20)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                PublicKey::from_pem(&String::from_utf8_lossy(&b)).map_err(|e| e.to_string())
            });
        match parsed {
            Ok(k) => {
                let named = e.path.trim_start_matches("keys/").trim_end_matches(".pem");
                if key_hex(&k) != named {
                    lines.push(
                        "keys",
                        Outcome::Fail,
                        format!(
                            "{}: holds key {}, not the key its name says",
                            e.path,
                            key_hex(&k)
                        ),
                    );
                }
                keys.insert(k.key_id().to_string(), k);
            }
            Err(err) => lines.push("keys", Outcome::Fail, format!("{}: {err}", e.path)),
        }
    }

    // The audit excerpt first: the approvals count only when it records them.
    let excerpt = strongroom_bundle::audit_excerpt(zip)?
        .map(|bytes| super::audit_excerpt_check(&bytes, &manifest_sha256, trust));
    let recorded: &[RowContent] = excerpt.as_ref().map_or(&[], |e| &e.rows);

    // Manifest signatures: the creator's and the approvers'.
    let manifest_digest =
        Digest::from_hex(HashAlg::Sha256, &manifest_sha256).expect("hex we computed");
    let mut sig_facts: Vec<SignatureFacts> = Vec::new();
    for a in strongroom_bundle::approvals(zip)? {
        if let Some((fact, key)) =
            check_approval(&a, &manifest, &manifest_digest, trust, recorded, &mut lines)
        {
            keys.entry(key.key_id().to_string()).or_insert(key);
            sig_facts.push(fact);
        }
    }
    if !sig_facts.iter().any(|s| s.valid) {
        lines.push(
            "approval",
            Outcome::Fail,
            "no valid signature over the manifest: nothing vouches for this release",
        );
    }
    let signed_at = match sig_facts
        .iter()
        .find(|s| s.kind == SignatureKind::Release && s.valid)
    {
        Some(s) => timestamp(&s.signed_at)?,
        None => timestamp(rel.created())?,
    };

    // Artifact bytes, where present: in the bundle (checked by completeness) or in a directory.
    let key_algs: Vec<HashAlg> = keys
        .values()
        .filter_map(|k| k.algorithm().prehash())
        .collect();
    let mut present: BTreeMap<String, DigestSet> = BTreeMap::new();
    if let Some(dir) = &req.artifacts_dir {
        if !dir.is_dir() {
            return Err(OpsError::NotADirectory(dir.clone()));
        }
        let mut paths = Vec::new();
        let mut names = Vec::new();
        for a in manifest.artifacts() {
            let p = dir.join(a.name.as_str());
            if p.is_file() {
                paths.push(p);
                names.push(a.name.to_string());
            } else if !a.included {
                lines.push(
                    "artifact-digest",
                    Outcome::Warn,
                    format!(
                        "{}: not found in {}, so its bytes were not checked",
                        a.name,
                        dir.display()
                    ),
                );
            }
        }
        let sizes = crate::hashing::check_files(&paths)?;
        let sets = crate::hashing::hash_files(&paths, &sizes, &key_algs, cb)?;
        present.extend(names.into_iter().zip(sets));
    }
    for a in manifest.artifacts() {
        let in_bundle = strongroom_bundle::paths::layout::artifact(&a.name);
        let checked = match present.get(a.name.as_str()) {
            Some(set) => {
                let ok = set.sha256().to_hex() == a.sha256.to_hex() && set.len == a.size;
                if ok {
                    lines.push(
                        "artifact-digest",
                        Outcome::Pass,
                        format!("{}: the bytes match sha256:{}", a.name, a.sha256.to_hex()),
                    );
                } else {
                    lines.push("artifact-digest", Outcome::Fail, format!(
                        "{}: the file has sha256:{} ({} bytes) but the release lists sha256:{} ({} bytes): it is not the artifact that was released",
                        a.name, set.sha256().to_hex(), set.len, a.sha256.to_hex(), a.size));
                }
                Some(ok)
            }
            None if a.included => {
                let ok = !altered.contains(&in_bundle);
                if ok {
                    lines.push(
                        "artifact-digest",
                        Outcome::Pass,
                        format!(
                            "{}: carried in the bundle, bytes match sha256:{}",
                            a.name,
                            a.sha256.to_hex()
                        ),
                    );
                } else {
                    lines.push(
                        "artifact-digest",
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
                if req.artifacts_dir.is_none() {
                    lines.push_fix(
                        "artifact-digest",
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
        report.artifacts.push(ArtifactLine {
            name: a.name.to_string(),
            sha256: a.sha256.to_hex(),
            size: a.size,
            bytes_checked: checked,
        });
    }

    // Every signature and attestation, on all cores.
    let mut work = Vec::new();
    for e in manifest.entries() {
        if !matches!(e.role, Role::ArtifactSignature | Role::Attestation)
            || altered.contains(&e.path)
        {
            continue;
        }
        work.push(Work {
            path: e.path.clone(),
            role: e.role,
            artifact: e
                .subjects
                .first()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            predicate_type: e.predicate_type.clone(),
        });
    }
    let records: BTreeMap<&str, &ArtifactRecord> = manifest
        .artifacts()
        .iter()
        .map(|a| (a.name.as_str(), a))
        .collect();
    // Each worker inflates its own entries too: the reader is shared, without a shared cursor.
    // Progress in about 100 steps, so a bundle of many signatures cannot flood the window.
    let total = work.len() as u64;
    let step = (total / 100).max(1);
    let checked = std::sync::atomic::AtomicU64::new(0);
    let what = "signatures and attestations checked";
    cb.progress(Progress::Items {
        what: what.into(),
        done: 0,
        total,
    });
    let done = crate::util::par_map(&work, |w| {
        let result = match zip.read(&w.path, MAX_JSON_ENTRY) {
            Ok(bytes) => verify_one(w, &bytes, &keys, &records, &present),
            Err(e) => Done {
                lines: vec![(w.check_id(), Outcome::Fail, format!("{}: {e}", w.path))],
                ..Done::default()
            },
        };
        let n = checked.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n % step == 0 || n == total {
            cb.progress(Progress::Items {
                what: what.into(),
                done: n,
                total,
            });
        }
        result
    });
    cb.progress(Progress::ItemsFinish);
    let mut facts: BTreeMap<String, PolicyArtifact> = manifest
        .artifacts()
        .iter()
        .map(|a| {
            (
                a.name.to_string(),
                PolicyArtifact {
                    name: a.name.to_string(),
                    sha256: a.sha256.to_hex(),
                    size: a.size,
                    sbom: SbomFacts::default(),
                    provenance: ProvenanceFacts::default(),
                    vulnerabilities: VulnFacts::default(),
                },
            )
        })
        .collect();
    let mut signing_keys: BTreeSet<KeyId> = BTreeSet::new();
    let mut signed: BTreeSet<String> = BTreeSet::new();
    for (w, d) in work.iter().zip(done) {
        lines.0.extend(
            d.lines
                .into_iter()
                .map(|(id, o, detail)| (id, o, detail, None)),
        );
        let Some(key) = d.key else { continue };
        signing_keys.insert(key);
        let Some(f) = facts.get_mut(&w.artifact) else {
            continue;
        };
        if w.role == Role::ArtifactSignature {
            signed.insert(w.artifact.clone());
        }
        if let Some((format, n, predicate)) = d.sbom {
            f.sbom = SbomFacts {
                present: true,
                format: Some(format),
                components: Some(n),
            };
            // The raw SBOM must be the attested one.
            let raw = manifest.entries().iter().find(|e| {
                e.role == Role::Sbom
                    && e.subjects.first().map(|n| n.as_str()) == Some(w.artifact.as_str())
            });
            if let Some(raw) = raw {
                let same = !altered.contains(&raw.path)
                    && zip
                        .read(&raw.path, MAX_JSON_ENTRY)
                        .ok()
                        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                        .is_some_and(|v| v == predicate);
                if same {
                    lines.push(
                        "sbom-match",
                        Outcome::Pass,
                        format!("{}: the SBOM file is the attested one", raw.path),
                    );
                } else {
                    lines.push(
                        "sbom-match",
                        Outcome::Fail,
                        format!(
                            "{}: differs from the SBOM in the signed attestation",
                            raw.path
                        ),
                    );
                }
            }
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
                "artifact-signature",
                Outcome::Fail,
                format!("{}: no valid signature", a.name),
            );
        }
    }

    // The keys that signed artifacts and attestations: trusted signers, active when they signed.
    for kid in &signing_keys {
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

    // The approval threshold (the two-person rule) and the policy.
    let input = PolicyInput::new(
        Phase::Verify,
        ReleaseFacts {
            name: rel.name().to_owned(),
            version: rel.version().to_owned(),
            stage,
            created: rel.created().to_owned(),
        },
        facts.into_values().collect(),
        sig_facts.clone(),
    );
    let count = input.approvals;
    let required = required_approvals(trust, stage);
    report.approvals = ApprovalsLine {
        distinct_keys: count.distinct_keys,
        distinct_holders: count.distinct_holders,
        distinct_approvers: count.distinct_approvers,
        required,
    };
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
        lines.push("approval-threshold", o, detail);
    }
    report.signatures = sig_facts
        .iter()
        .map(|s| SignatureLine {
            kind: match s.kind {
                SignatureKind::Release => "release".to_owned(),
                SignatureKind::Approval => "approval".to_owned(),
            },
            key_id: s.keyid.clone(),
            key_name: s.key_name.clone(),
            operator: s.operator.clone().unwrap_or_default(),
            holder: s.holder.clone(),
            signed_at: s.signed_at.clone(),
            status: status_phrase(s),
        })
        .collect();
    report.signature_facts = sig_facts;
    let user = crate::trust::read_policy_files(&req.policies)?;
    match super::evaluate_policy(&input, trust, &user) {
        Ok(d) => {
            if d.deny.is_empty() {
                lines.push(
                    "policy",
                    Outcome::Pass,
                    format!("the {stage} policy allows this release"),
                );
            }
            for f in d.deny {
                let l = PolicyLine::from(&f);
                lines.push_fix("policy", Outcome::Fail, l.text, l.fix);
            }
            for f in d.warn {
                let l = PolicyLine::from(&f);
                lines.push_fix("policy", Outcome::Warn, l.text, l.fix);
            }
        }
        Err(e) => lines.push(
            "policy",
            Outcome::Fail,
            format!("the policy could not be evaluated: {e}"),
        ),
    }

    // The audit excerpt: this release's rows, in a chain the station signed.
    match excerpt {
        Some(e) => lines.push("audit-excerpt", e.outcome, e.detail),
        None => lines.push(
            "audit-excerpt",
            Outcome::Warn,
            "the bundle carries no audit excerpt, so no approval in it can be counted",
        ),
    }
    Ok(finish(report, lines))
}

fn finish(mut report: BundleReport, lines: Lines) -> BundleReport {
    let verdict = lines.verdict();
    report.verdict = verdict.as_str().to_owned();
    report.verified = verdict != Outcome::Fail;
    report.checks = lines.folded();
    report
}

/// Verifies one manifest signature; returns its facts and key when it could be read.
fn check_approval(
    a: &strongroom_bundle::Approval,
    manifest: &Manifest,
    manifest_digest: &Digest,
    trust: &TrustSet,
    recorded: &[RowContent],
    lines: &mut Lines,
) -> Option<(SignatureFacts, PublicKey)> {
    let stage = manifest.release().stage();
    let what = format!("approvals/{}", a.key_id_hex);
    let key = match PublicKey::from_pem(&String::from_utf8_lossy(&a.public_key_pem)) {
        Ok(k) => k,
        Err(e) => {
            lines.push("approval", Outcome::Fail, format!("{what}.pem: {e}"));
            return None;
        }
    };
    if key_hex(&key) != a.key_id_hex {
        lines.push("approval", Outcome::Fail, format!("{what}.pem holds key {}, not the key its name says: the files were swapped or edited", key_hex(&key)));
        return None;
    }
    let doc = match CheckedDocument::parse(&a.bundle) {
        Ok(d) => d,
        Err(e) => {
            lines.push(
                "approval",
                Outcome::Fail,
                format!("{what}.sigstore.json: {e}"),
            );
            return None;
        }
    };
    let facts = ArtifactFacts {
        name: MANIFEST_NAME.to_owned(),
        digests: DigestSet::from_digests(0, vec![manifest_digest.clone()]),
        streamed_signature: None,
    };
    let r = verify_document(&doc, &key, Some(&facts));
    if !r.passed() {
        let why: Vec<String> = r.failures().map(|c| c.detail.clone()).collect();
        lines.push(
            "approval",
            Outcome::Fail,
            format!(
                "{what}.sigstore.json does not verify over this manifest: {}",
                why.join("; ")
            ),
        );
        return Some((
            signature_facts(
                trust,
                &key.key_id(),
                SignatureKind::Approval,
                "",
                timestamp(manifest.release().created()).ok()?,
                false,
                stage,
            ),
            key,
        ));
    }
    let statement = match &doc.content {
        Content::Dsse(env) => CheckedStatement::parse(&env.payload).ok(),
        Content::MessageSignature { .. } => None,
    };
    let Some(st) =
        statement.filter(|st| st.statement().predicate_type == MANIFEST_SIGNATURE_PREDICATE)
    else {
        lines.push(
            "approval",
            Outcome::Fail,
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
        lines.push(
            "approval",
            Outcome::Fail,
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
    let signed_at = match p["signedAt"].as_str().map(timestamp) {
        Some(Ok(t)) => t,
        _ => {
            lines.push(
                "approval",
                Outcome::Fail,
                format!("{what}: the signature records no valid signing time"),
            );
            return None;
        }
    };
    let word = if kind == SignatureKind::Release {
        "release"
    } else {
        "approval"
    };
    let in_future = super::not_in_future(signed_at);
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
        lines.push(
            "approval",
            Outcome::Fail,
            format!("{word} signature by {who}: {why}; it does not count"),
        );
        return Some((fact, key));
    }
    // An approval counts only when the station's signed audit trail shows it: a
    // `release.approve` row by the key's holder, naming this key. The name the signer wrote
    // must be that holder too.
    let mut problem = None;
    if kind == SignatureKind::Approval {
        if let Some(holder) = fact.holder.clone() {
            let key_id = key.key_id().to_string();
            fact.recorded = recorded.iter().any(|row| {
                row.action == crate::operators::Action::ReleaseApprove.name()
                    && row.outcome == "ok"
                    && row.operator == holder
                    && serde_json::from_str::<serde_json::Value>(&row.details)
                        .is_ok_and(|d| d["key_id"] == key_id.as_str())
            });
            if operator != holder {
                problem = Some(format!(
                    "{word} signature by {who} names operator {operator:?}, but the trust store says the key is held by {holder}: it does not count"
                ));
            } else if !fact.recorded {
                problem = Some(format!(
                    "{word} signature by {who} (held by {holder}) is not in the audit excerpt: no release.approve row by {holder} with this key; it does not count"
                ));
            }
            if problem.is_some() {
                fact.recorded = false;
            }
        }
    }
    match problem {
        Some(p) => lines.push("approval", Outcome::Fail, p),
        None => lines.push(
            "approval",
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
        super::facts::purpose_of(kind),
        &format!("{word} by {}", fact.holder.as_deref().unwrap_or(&operator)),
    );
    lines.push(id, o, d);
    Some((fact, key))
}

/// Verifies one artifact signature or attestation against the key its hint names.
fn verify_one(
    w: &Work,
    bytes: &[u8],
    keys: &BTreeMap<String, PublicKey>,
    records: &BTreeMap<&str, &ArtifactRecord>,
    present: &BTreeMap<String, DigestSet>,
) -> Done {
    let mut d = Done::default();
    let id = w.check_id();
    let fail = |d: &mut Done, msg: String| d.lines.push((id, Outcome::Fail, msg));
    let doc = match CheckedDocument::parse(bytes) {
        Ok(doc) => doc,
        Err(e) => {
            fail(&mut d, format!("{}: {e}", w.path));
            return d;
        }
    };
    let Some(key) = doc.key_hint.as_ref().and_then(|h| keys.get(h)) else {
        fail(
            &mut d,
            format!(
                "{}: signed by key {}, which the bundle does not carry",
                w.path,
                doc.key_hint.as_deref().unwrap_or("(unnamed)")
            ),
        );
        return d;
    };
    let Some(record) = records.get(w.artifact.as_str()) else {
        fail(
            &mut d,
            format!(
                "{}: about {:?}, which is not an artifact of this release",
                w.path, w.artifact
            ),
        );
        return d;
    };
    let digests = match present.get(&w.artifact) {
        Some(set) => set.clone(),
        None => DigestSet::from_digests(
            record.size,
            vec![Digest::new(HashAlg::Sha256, record.sha256.0.to_vec()).expect("32 bytes")],
        ),
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
        fail(&mut d, format!("{}: {}", w.path, why.join("; ")));
        return d;
    }
    let statement = match &doc.content {
        Content::Dsse(env) => CheckedStatement::parse(&env.payload).ok(),
        Content::MessageSignature { .. } => None,
    };
    if w.role == Role::ArtifactSignature {
        // A DSSE artifact signature must say it is one: an attestation about the artifact,
        // signed for another purpose, is not its signature.
        if let Content::Dsse(_) = &doc.content {
            let pt = statement
                .as_ref()
                .map(|st| st.statement().predicate_type.clone());
            if pt.as_deref() != Some(ARTIFACT_SIGNATURE_PREDICATE) {
                fail(
                    &mut d,
                    format!(
                        "{}: a DSSE artifact signature must be a {ARTIFACT_SIGNATURE_PREDICATE} statement, not {}",
                        w.path,
                        pt.as_deref().unwrap_or("(no statement)")
                    ),
                );
                return d;
            }
        }
        d.lines.push((
            id,
            Outcome::Pass,
            format!("{}: valid {} signature", w.artifact, key.algorithm()),
        ));
        d.key = Some(key.key_id());
        return d;
    }
    let Some(st) = statement else {
        fail(
            &mut d,
            format!(
                "{}: an attestation must be a DSSE envelope carrying an in-toto statement",
                w.path
            ),
        );
        return d;
    };
    let st = st.statement();
    if w.predicate_type.as_deref() != Some(st.predicate_type.as_str()) {
        fail(
            &mut d,
            format!(
                "{}: attests {}, but the manifest lists it as {}",
                w.path,
                st.predicate_type,
                w.predicate_type.as_deref().unwrap_or("(none)")
            ),
        );
        return d;
    }
    match st.predicate_type.as_str() {
        SPDX_PREDICATE | CYCLONEDX_PREDICATE => {
            let (format, n) = sbom_summary(&st.predicate);
            d.sbom = Some((format, n, st.predicate.clone()));
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
    d.lines.push((
        id,
        Outcome::Pass,
        format!("{}: valid {} attestation", w.artifact, st.predicate_type),
    ));
    d.key = Some(key.key_id());
    d
}

/// `(format, component count)` of an attested SBOM.
fn sbom_summary(doc: &Value) -> (String, u64) {
    if doc.get("spdxVersion").is_some() {
        let n = doc["packages"].as_array().map_or(0, Vec::len);
        ("spdx-2.3".to_owned(), n as u64)
    } else {
        let n = doc["components"].as_array().map_or(0, Vec::len);
        ("cyclonedx-1.6".to_owned(), n as u64)
    }
}
