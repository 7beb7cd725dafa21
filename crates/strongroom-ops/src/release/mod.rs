//! Releases: `release create` runs the whole chain (hash, SBOM, scan, provenance, policy gate,
//! sign, pack) into one attestation bundle; `release approve` adds another officer's signature
//! over the same manifest; `verify BUNDLE.zip` checks everything a bundle claims. The container
//! itself (manifest, zip, age) is `strongroom-bundle`; the trust set and Rego policies are
//! `strongroom-policy`.

mod approve;
mod contents;
mod create;
mod export;
mod facts;
pub mod html;
mod preview;
mod summary;
mod verify;

use std::path::Path;

use serde::Serialize;
use strongroom_bundle::{BundleWriter, Limits, Release, SafeZip};
use strongroom_core::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use strongroom_core::intoto::{Statement, Subject};
use strongroom_core::{HashAlg, PublicKey, Signer};
use strongroom_policy::{Decision, PolicyInput, PolicyModule, TrustSet};

use crate::{Callbacks, OpsError, Station};

pub use approve::{ApproveRelease, Approved};
pub use contents::{
    release_extract, release_show, BundleContents, ContentArtifact, ContentDocument,
    ExtractRelease, Extracted,
};
pub use create::{BuildMetaSource, CreateRelease, ReleaseCreated, SbomChoice};
pub use export::Exported;
pub use preview::{
    HashedFile, PolicyPreview, PreviewKey, PreviewSbom, PreviewScan, ReleasePreview,
};
pub use strongroom_bundle::age::{Identity, Recipient};
pub use summary::{summary_predicate, SummaryRequest, SummaryWritten, VSA_PREDICATE_TYPE};

/// Whether `path` is age-encrypted (read from its first line); an unreadable file is not.
pub fn is_encrypted(path: &Path) -> bool {
    strongroom_bundle::age::is_age(path).unwrap_or(false)
}

/// An `age1…` X25519 recipient as a person typed it; a bad one is an [`OpsError`] with a remedy
/// (the CLI's `--encrypt-to`, the app's export and create screens).
pub fn parse_recipient(s: &str) -> Result<Recipient, OpsError> {
    Ok(Recipient::parse_x25519(s)?)
}
pub use verify::{verify_bundle, VerifyBundle};

/// The predicate type of a signature over a release manifest (the creator's and approvers').
pub const MANIFEST_SIGNATURE_PREDICATE: &str =
    "https://strongroom.dev/attestation/release-approval/v1";

/// The subject name of a manifest signature.
pub const MANIFEST_NAME: &str = strongroom_bundle::paths::MANIFEST_PATH;

/// Lowercase hex SHA-256 of a key's DER SPKI: how a bundle names keys and approvals.
pub fn key_hex(key: &PublicKey) -> String {
    key.key_id().to_hex()
}

/// The audit-log object of a release: its manifest digest.
pub(crate) fn manifest_object(manifest_sha256: &str) -> String {
    format!("manifest:sha256:{manifest_sha256}")
}

/// The creation time of a release: `SOURCE_DATE_EPOCH` when set (the reproducible-builds
/// convention, which makes two runs byte-identical), else now.
pub(crate) fn release_time() -> Result<time::OffsetDateTime, OpsError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => {
            let secs: i64 = s.trim().parse().map_err(|_| {
                OpsError::BadInput(format!(
                    "SOURCE_DATE_EPOCH={s:?} is not a number of seconds since 1970"
                ))
            })?;
            time::OffsetDateTime::from_unix_timestamp(secs)
                .map_err(|_| OpsError::BadInput(format!("SOURCE_DATE_EPOCH={s} is out of range")))
        }
        Err(_) => Ok(time::OffsetDateTime::now_utc()),
    }
}

/// RFC 3339 UTC, whole seconds.
pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    strongroom_core::Timestamp::from(t)
        .whole_seconds()
        .to_rfc3339()
}

pub(crate) fn timestamp(s: &str) -> Result<strongroom_policy::Timestamp, OpsError> {
    strongroom_policy::Timestamp::parse(s).map_err(|e| OpsError::BadInput(e.to_string()))
}

/// The statement a manifest signature signs.
pub(crate) fn manifest_statement(
    manifest_sha256: &str,
    release: &Release,
    kind: &str,
    operator: &str,
    signed_at: &str,
) -> Statement {
    let digest = strongroom_core::Digest::from_hex(HashAlg::Sha256, manifest_sha256)
        .expect("a SHA-256 we computed");
    Statement::new(
        vec![Subject::new(MANIFEST_NAME, &[&digest])],
        MANIFEST_SIGNATURE_PREDICATE,
        serde_json::json!({
            "kind": kind,
            "release": {"name": release.name(), "version": release.version(),
                "stage": release.stage().as_str()},
            "operator": operator,
            "signedAt": signed_at,
        }),
    )
}

/// Signs a manifest statement: the Sigstore bundle JSON (stamped by the station's timestamp
/// authority, when it has one), and the signer's public key PEM.
pub(crate) fn sign_manifest(
    signer: &dyn Signer,
    statement: &Statement,
    stamp: Option<(&crate::Station, &crate::tsa::Stamper)>,
) -> Result<(Vec<u8>, Vec<u8>), OpsError> {
    let env = Envelope::sign(signer, INTOTO_PAYLOAD_TYPE, statement.to_json_bytes())?;
    let mut bundle = strongroom_core::bundle::BundleJson::dsse(signer.public_key(), &env);
    if let Some((station, stamper)) = stamp {
        bundle = stamper.stamp_one(station, bundle)?;
    }
    Ok((
        bundle.to_pretty_json().into_bytes(),
        signer.public_key().to_pem().into_bytes(),
    ))
}

/// Evaluates the stage's policy, the trust policy's modules and the user's own.
pub(crate) fn evaluate_policy(
    input: &PolicyInput,
    trust: &TrustSet,
    user: &[PolicyModule],
) -> Result<Decision, OpsError> {
    crate::sandbox::evaluate(&input.to_value(), input.release.stage, trust.policy(), user)
}

/// A bundle opened for reading: decrypted to a private temp file first when age-encrypted.
pub(crate) struct Opened {
    pub zip: std::sync::Arc<SafeZip>,
    /// SHA-256 of the file as given (the ciphertext, when encrypted).
    pub sha256: String,
    pub encrypted: bool,
}

/// Whether `path` is a release bundle (a zip, or an age file), from its first bytes.
pub fn looks_like_bundle(path: &Path) -> Result<bool, OpsError> {
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|source| OpsError::Read {
            path: path.to_owned(),
            source,
        })?;
    Ok(&head[..n] == b"PK\x03\x04" || strongroom_bundle::age::is_age(path)?)
}

/// Whether `path` is an OCI image layout folder (it has `oci-layout` and `index.json`), which
/// `verify` reads as the release published into it.
pub fn is_oci_layout(path: &Path) -> bool {
    path.join("oci-layout").is_file() && path.join("index.json").is_file()
}

pub(crate) fn open_bundle(path: &Path, identity: Option<&Identity>) -> Result<Opened, OpsError> {
    if path.is_dir() && is_oci_layout(path) {
        // A release carried in as an OCI layout: its entries, found by digest, put back
        // into a zip that is verified like any bundle.
        let (file, index) = strongroom_bundle::oci::bundle_from_layout(path).map_err(|e| {
            OpsError::BadInput(format!(
                "{}: not a Strongroom release in an OCI layout: {e}",
                path.display()
            ))
        })?;
        let zip = SafeZip::from_file(file, path, &Limits::default())?;
        return Ok(Opened {
            zip: std::sync::Arc::new(zip),
            sha256: index.trim_start_matches("sha256:").to_owned(),
            encrypted: false,
        });
    }
    if !path.is_file() {
        return Err(OpsError::MissingFile(path.to_owned()));
    }
    let (sha, _) = strongroom_bundle::Sha256Digest::of_file(path)?;
    if strongroom_bundle::age::is_age(path)? {
        let identity = identity.ok_or_else(|| OpsError::EncryptedBundle(path.to_owned()))?;
        let plain = strongroom_bundle::age::decrypt_to_temp(path, identity)?;
        let zip = SafeZip::from_file(plain, path, &Limits::default())?;
        return Ok(Opened {
            zip: std::sync::Arc::new(zip),
            sha256: sha.to_hex(),
            encrypted: true,
        });
    }
    Ok(Opened {
        zip: std::sync::Arc::new(SafeZip::open(path, &Limits::default())?),
        sha256: sha.to_hex(),
        encrypted: false,
    })
}

/// Writes the bundle atomically; with recipients, writes the zip into a temporary file with no
/// name on disk and age-encrypts it into place, so the plaintext never touches the medium `out`
/// is on (nor survives a crash). Returns the SHA-256 of what was written.
pub(crate) fn write_bundle(
    w: &BundleWriter,
    out: &Path,
    overwrite: bool,
    encrypt_to: &[Recipient],
) -> Result<String, OpsError> {
    crate::util::remove_leftovers_beside(std::slice::from_ref(&out.to_path_buf()));
    if encrypt_to.is_empty() {
        return Ok(w.write_atomic(out, overwrite)?.sha256.to_hex());
    }
    let mut plain = w.write_unnamed(out)?;
    let written =
        strongroom_bundle::age::encrypt_from(&mut plain, out, out, encrypt_to, overwrite)?;
    Ok(written.sha256.to_hex())
}

impl Station {
    /// Saves a verification report where the person chose, as one who may verify bundles, and
    /// over an existing file only when `replace` (see [`Station::output_file`]).
    /// `None` (nothing verified in this session) is refused after the login check.
    pub fn save_report(
        &self,
        report: Option<&BundleReport>,
        path: &Path,
        format: ReportFormat,
        replace: bool,
    ) -> Result<(), OpsError> {
        self.require(crate::Action::ReleaseVerify)?;
        let report = report.ok_or_else(|| {
            OpsError::BadInput(
                "no bundle has been verified in this session yet: verify one first".into(),
            )
        })?;
        let overwrite = self.output_file(path, replace)?;
        report.write(path, format, overwrite)
    }

    /// Runs the policy at `release create` (recorded as `policy.decision`): a denial stops the
    /// release before anything is signed.
    pub(crate) fn policy_gate(
        &self,
        input: &PolicyInput,
        user: &[PolicyModule],
    ) -> Result<Decision, OpsError> {
        let decision = self.policy_decision(input, user)?;
        if !decision.allowed() {
            return Err(OpsError::PolicyDenied {
                stage: input.release.stage.as_str().to_owned(),
                reasons: decision
                    .deny
                    .iter()
                    .map(|f| PolicyLine::from(f).text)
                    .collect(),
                fixes: decision.deny.iter().filter_map(|f| f.fix).collect(),
            });
        }
        Ok(decision)
    }

    /// Refuses a release when the station has no audit key: every bundle carries a checkpoint,
    /// so that the connected side witnesses the audit log and approvals can be proven. Checked
    /// before anything is signed.
    pub(crate) fn require_audit_key(&self) -> Result<(), OpsError> {
        match self
            .store
            .setting::<String>(strongroom_store::settings::AUDIT_KEY)?
        {
            Some(_) => Ok(()),
            None => Err(OpsError::NoAuditKey),
        }
    }

    /// Adds `audit/excerpt.json`: the release's rows, linked to a checkpoint signed now with the
    /// station's audit key.
    pub(crate) fn attach_audit_excerpt(
        &self,
        w: &mut BundleWriter,
        object: &str,
        cb: &dyn Callbacks,
    ) -> Result<(), OpsError> {
        if self.audit_checkpoint_now(cb)?.is_none() {
            return Err(OpsError::NoAuditKey);
        }
        let excerpt = self.audit_excerpt(&[object])?;
        let mut bytes = serde_json::to_vec_pretty(&excerpt).expect("excerpts serialise");
        bytes.push(b'\n');
        w.add(
            strongroom_bundle::paths::AUDIT_EXCERPT_PATH,
            strongroom_bundle::EntrySource::Bytes(bytes),
        )?;
        Ok(())
    }
}

/// A verification report on a whole bundle (JSON output, HTML page, GUI).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BundleReport {
    pub bundle: String,
    pub bundle_sha256: String,
    pub manifest_sha256: String,
    pub release: Option<ReleaseLine>,
    pub artifacts: Vec<ArtifactLine>,
    pub signatures: Vec<SignatureLine>,
    pub approvals: ApprovalsLine,
    pub checks: Vec<CheckLine>,
    /// `pass`, `warn` or `fail` (never `skip`).
    pub verdict: strongroom_core::verify::Outcome,
    pub verified: bool,
    pub trust_source: String,
    /// The trust package named for this verification (`--trust`), with its digest and signers.
    pub trust_package: Option<crate::trust::TrustPackageLine>,
    /// Who checked, on which station (absent when no station was used).
    pub checked_by: Option<CheckedBy>,
    /// What each artifact's verified SBOM, scan and provenance say.
    pub evidence: Vec<EvidenceLine>,
    pub checked_at: String,
    pub tool: String,
    /// The bundle's signatures and attestations as listed: (path, SHA-256), for a summary's
    /// `inputAttestations`.
    #[serde(skip)]
    pub(crate) inputs: Vec<(String, String)>,
    /// The manifest signatures as the policy saw them.
    #[serde(skip)]
    pub(crate) signature_facts: Vec<strongroom_policy::SignatureFacts>,
}

/// The operator who ran a verification, and the station it ran on.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CheckedBy {
    pub operator: String,
    /// The station's id (`operator init` made it).
    pub station: String,
}

/// One artifact's evidence, from the documents whose signatures verified: what a compliance
/// officer files beside the verdict. `None` where the bundle holds no such document.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EvidenceLine {
    pub artifact: String,
    pub sbom: Option<SbomEvidence>,
    pub scan: Option<ScanEvidence>,
    pub provenance: Option<ProvenanceEvidence>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SbomEvidence {
    /// `spdx-2.3`, `cyclonedx-1.6`, …
    pub format: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub components: Option<u64>,
}

/// Findings by severity, and their ids.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ScanEvidence {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub critical: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub high: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub medium: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub low: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unrated: u64,
    pub ids: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProvenanceEvidence {
    /// SLSA `runDetails.builder.id`.
    pub builder_id: Option<String>,
}

impl From<&strongroom_policy::ArtifactFacts> for EvidenceLine {
    fn from(a: &strongroom_policy::ArtifactFacts) -> Self {
        let v = &a.vulnerabilities;
        EvidenceLine {
            artifact: a.name.clone(),
            sbom: a.sbom.present.then(|| SbomEvidence {
                format: a.sbom.format.clone(),
                components: a.sbom.components,
            }),
            scan: v.scanned.then(|| ScanEvidence {
                critical: v.critical,
                high: v.high,
                medium: v.medium,
                low: v.low,
                unrated: v.unrated,
                ids: v.ids.clone(),
            }),
            provenance: a.provenance.present.then(|| ProvenanceEvidence {
                builder_id: a.provenance.builder_id.clone(),
            }),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReleaseLine {
    pub name: String,
    pub version: String,
    pub stage: strongroom_core::Stage,
    pub created: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ArtifactLine {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    /// `Some(true)` the bytes were present and match, `Some(false)` they differ, `None` absent.
    pub bytes_checked: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SignatureLine {
    pub kind: strongroom_policy::SignatureKind,
    pub key_id: String,
    pub key_name: Option<String>,
    /// The operator name the signature itself records (not trusted).
    pub operator: String,
    /// Who holds the key, as the trust store names them: the person the signature counts as.
    pub holder: Option<String>,
    pub signed_at: String,
    /// One phrase: `valid, trusted`, `valid, but revoked at …`, …
    pub status: String,
}

impl From<&strongroom_policy::SignatureFacts> for SignatureLine {
    fn from(s: &strongroom_policy::SignatureFacts) -> Self {
        SignatureLine {
            kind: s.kind,
            key_id: s.keyid.clone(),
            key_name: s.key_name.clone(),
            operator: s.operator.clone().unwrap_or_default(),
            holder: s.holder.clone(),
            signed_at: s.signed_at.clone(),
            status: facts::status_phrase(s),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ApprovalsLine {
    pub distinct_keys: u64,
    /// Distinct holders of the approving keys, as the trust store names them.
    pub distinct_holders: u64,
    /// People who approved: distinct holders.
    pub distinct_approvers: u64,
    pub required: u64,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CheckLine {
    pub id: strongroom_core::verify::CheckId,
    pub outcome: strongroom_core::verify::Outcome,
    pub detail: String,
    /// What to do about it, when the check names it (each shell words it for itself).
    pub fix: Option<strongroom_policy::Fix>,
}

/// A policy finding as the shells show it: `policy: message`, and the remedy the rule named
/// (the CLI words it with its `fix_hint`, the app with its own wizard steps).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PolicyLine {
    pub text: String,
    pub fix: Option<strongroom_policy::Fix>,
}

impl From<&strongroom_policy::Finding> for PolicyLine {
    fn from(f: &strongroom_policy::Finding) -> Self {
        PolicyLine {
            text: format!("{}: {}", f.policy, f.message),
            fix: f.fix,
        }
    }
}

/// How a saved report is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// A self-contained printable page.
    Html,
    /// The report as `verify --json` prints it.
    Json,
}

impl BundleReport {
    /// Writes the report to `path` atomically (replacing an older report there).
    pub fn save(&self, path: &Path, format: ReportFormat) -> Result<(), OpsError> {
        self.write(path, format, strongroom_store::fsutil::Overwrite::Allow)
    }

    fn write(
        &self,
        path: &Path,
        format: ReportFormat,
        overwrite: strongroom_store::fsutil::Overwrite,
    ) -> Result<(), OpsError> {
        let bytes = match format {
            ReportFormat::Html => self.to_html().into_bytes(),
            ReportFormat::Json => {
                let mut v = serde_json::to_vec_pretty(self).expect("a report serialises");
                v.push(b'\n');
                v
            }
        };
        strongroom_store::fsutil::write_atomic(path, overwrite, |f| {
            std::io::Write::write_all(f, &bytes)
        })?;
        Ok(())
    }

    /// The printable HTML page.
    pub fn to_html(&self) -> String {
        html::render(self)
    }
}

/// The file name of `path` as an artifact name in the bundle.
pub(crate) fn artifact_name(path: &Path) -> Result<strongroom_bundle::ArtifactName, OpsError> {
    let name = path
        .file_name()
        .ok_or_else(|| OpsError::BadInput(format!("{}: not a file name", path.display())))?;
    let name = name.to_str().ok_or_else(|| {
        OpsError::BadInput(format!(
            "{}: artifact names must be UTF-8 to be listed in a manifest",
            path.display()
        ))
    })?;
    let parsed = strongroom_bundle::ArtifactName::parse(name)?;
    // The longest entry a bundle derives from the name: `attestations/<name>.<kind>.sigstore.json`.
    let longest_suffix = strongroom_bundle::paths::ATTESTATION_KINDS
        .iter()
        .map(|k| format!(".{k}.sigstore.json").len())
        .max()
        .unwrap_or(0);
    let most = strongroom_bundle::paths::MAX_COMPONENT_BYTES - longest_suffix;
    if name.len() > most {
        return Err(OpsError::ArtifactNameTooLong {
            name: name.to_owned(),
            most,
        });
    }
    Ok(parsed)
}

/// How far in the future a signed time may lie before verification refuses it: the clocks of an
/// air-gapped station and a verifier are set by hand, so allow for a few minutes of drift.
pub const CLOCK_SKEW_SECS: i64 = 300;

/// Refuses a time a signature claims when it lies after the verifier's clock (beyond
/// [`CLOCK_SKEW_SECS`]): nothing signed now can have been signed later.
pub(crate) fn not_in_future(at: strongroom_policy::Timestamp) -> Result<(), String> {
    let now = crate::trust::now();
    if at.unix_seconds() > now.unix_seconds() + CLOCK_SKEW_SECS {
        return Err(format!(
            "it claims to be signed at {at}, later than this verifier's clock ({now}, allowing {} minutes)",
            CLOCK_SKEW_SECS / 60
        ));
    }
    Ok(())
}

/// What the bundle's audit excerpt proves: its report line, and the rows about the release's
/// manifest that a checkpoint by a trusted audit key vouches for (empty unless it passed).
pub(crate) struct ExcerptCheck {
    pub outcome: strongroom_core::verify::Outcome,
    pub detail: String,
    pub rows: Vec<strongroom_core::audit_chain::RowContent>,
}

/// The report line on a bundle's audit excerpt: its rows must lead to a checkpoint signed by a
/// key the trust set trusts for the audit purpose, active when it signed and not signed in the
/// future; it must show every row about this manifest in full; and it must include this
/// release's signing.
pub(crate) fn audit_excerpt_check(
    bytes: &[u8],
    manifest_sha256: &str,
    trust: &TrustSet,
) -> ExcerptCheck {
    use strongroom_core::audit_chain::{verify_excerpt, AuditExcerpt, Checkpoint};
    use strongroom_core::verify::Outcome;
    let done = |outcome, detail: String| ExcerptCheck {
        outcome,
        detail,
        rows: Vec::new(),
    };
    let excerpt: AuditExcerpt = match serde_json::from_slice(bytes) {
        Ok(e) => e,
        Err(e) => {
            return done(
                Outcome::Fail,
                format!("audit/excerpt.json is unreadable: {e}"),
            )
        }
    };
    let hint = Checkpoint::key_hint(&excerpt.checkpoint);
    let Some(trusted) = hint
        .as_deref()
        .and_then(strongroom_core::KeyId::parse)
        .and_then(|id| trust.key(&id))
    else {
        return done(
            Outcome::Warn,
            format!(
                "the audit checkpoint is signed by key {}, which the trust store does not know: trust the station's audit key (purpose audit) to check the excerpt and the approvals it records",
                hint.as_deref().unwrap_or("(unnamed)")
            ),
        );
    };
    let object = manifest_object(manifest_sha256);
    let r = match verify_excerpt(&excerpt, trusted.public_key(), &[&object]) {
        Ok(r) => r,
        Err(e) => {
            return done(
                Outcome::Fail,
                format!("the audit excerpt does not prove its rows: {e}"),
            )
        }
    };
    let signed_at = match strongroom_policy::Timestamp::parse(&r.checkpoint.time) {
        Ok(t) => t,
        Err(e) => {
            return done(
                Outcome::Fail,
                format!("the audit checkpoint's time is unreadable: {e}"),
            )
        }
    };
    let status = trust.status(
        trusted.key_id(),
        signed_at,
        None,
        Some(strongroom_core::Purpose::Audit),
    );
    if !status.acceptable() {
        return done(
            Outcome::Fail,
            format!(
                "the audit checkpoint's key {} {}",
                trusted.name(),
                status
                    .problems(signed_at, None, Some(strongroom_core::Purpose::Audit))
                    .join("; ")
            ),
        );
    }
    if let Err(why) = not_in_future(signed_at) {
        return done(Outcome::Fail, format!("the audit checkpoint: {why}"));
    }
    let rows: Vec<_> = r
        .rows
        .into_iter()
        .filter(|row| row.object == object)
        .collect();
    if rows.is_empty() {
        return done(
            Outcome::Warn,
            format!(
                "the audit excerpt verifies but records nothing about this manifest (checkpoint by {})",
                trusted.name()
            ),
        );
    }
    let actions: Vec<&str> = rows.iter().map(|row| row.action.as_str()).collect();
    ExcerptCheck {
        outcome: Outcome::Pass,
        detail: format!(
            "{} audit row(s) about this release ({}) lead to checkpoint {} of {} rows signed by {}, and no row about it is hidden",
            rows.len(),
            actions.join(", "),
            r.checkpoint.head.get(..12).unwrap_or(&r.checkpoint.head),
            r.checkpoint.rows,
            trusted.name()
        ),
        rows,
    }
}
