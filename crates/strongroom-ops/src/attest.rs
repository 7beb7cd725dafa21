//! Attesting: a predicate (SBOM, SLSA provenance, vulnerability scan, or any custom type) wrapped
//! in an in-toto Statement v1 whose subjects are the artifacts, signed as a DSSE Sigstore bundle.

use std::path::PathBuf;
use strongroom_core::AuditEvent;

use strongroom_core::bundle::BundleJson;
use strongroom_core::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use strongroom_core::intoto::Statement;
use strongroom_store::fsutil::{write_atomic, Overwrite};

use crate::hashing::{check_files, subjects};
use crate::verify::read_capped;
use crate::{Callbacks, OpsError, Station};

/// SPDX documents as predicates (in-toto attestation predicate registry).
pub const SPDX_PREDICATE: &str = "https://spdx.dev/Document/v2.3";
/// CycloneDX BOMs as predicates.
pub const CYCLONEDX_PREDICATE: &str = "https://cyclonedx.org/bom";
/// SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// in-toto vulnerability scan results.
pub const VULNS_PREDICATE: &str = "https://in-toto.io/attestation/vulns/v0.2";

/// Largest predicate file read.
const MAX_PREDICATE_BYTES: u64 = 256 << 20;

/// What kind of predicate `--type` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PredicateKind {
    /// An SPDX 2.3 or CycloneDX document; the type URI follows the document.
    Sbom,
    Provenance,
    Vulns,
    /// Any predicate type URI.
    Custom(String),
}

impl std::str::FromStr for PredicateKind {
    type Err = OpsError;
    fn from_str(s: &str) -> Result<Self, OpsError> {
        match s {
            "sbom" => Ok(PredicateKind::Sbom),
            "provenance" | "slsaprovenance1" => Ok(PredicateKind::Provenance),
            "vulns" => Ok(PredicateKind::Vulns),
            // What `key rotate` writes; a name so that checking one needs no URI typed.
            "key-rotation" => Ok(PredicateKind::Custom(
                crate::rotate::KEY_ROTATION_PREDICATE.to_owned(),
            )),
            _ => match s.strip_prefix("custom:") {
                Some(uri) if uri.contains(':') => Ok(PredicateKind::Custom(uri.to_owned())),
                _ => Err(OpsError::BadInput(format!(
                    "unknown attestation type {s:?}: use sbom, provenance, vulns, key-rotation or custom:URI"
                ))),
            },
        }
    }
}

impl std::fmt::Display for PredicateKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PredicateKind::Custom(uri) => write!(f, "custom:{uri}"),
            other => f.write_str(other.word()),
        }
    }
}

impl PredicateKind {
    /// A short word for file names.
    fn word(&self) -> &'static str {
        match self {
            PredicateKind::Sbom => "sbom",
            PredicateKind::Provenance => "provenance",
            PredicateKind::Vulns => "vulns",
            PredicateKind::Custom(_) => "attestation",
        }
    }

    /// The predicate type URI for `predicate`, after checking it has the shape the type needs.
    pub fn predicate_type(&self, predicate: &serde_json::Value) -> Result<String, OpsError> {
        let bad = |m: &str| Err(OpsError::BadInput(m.to_owned()));
        match self {
            PredicateKind::Sbom => {
                if predicate.get("spdxVersion").is_some() {
                    Ok(SPDX_PREDICATE.to_owned())
                } else if predicate.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX") {
                    Ok(CYCLONEDX_PREDICATE.to_owned())
                } else {
                    bad("the predicate is neither an SPDX document (spdxVersion) nor a CycloneDX BOM (bomFormat)")
                }
            }
            PredicateKind::Provenance => {
                let bd = &predicate["buildDefinition"];
                if bd["buildType"].as_str().is_none_or(str::is_empty) {
                    return bad("SLSA provenance needs buildDefinition.buildType");
                }
                if bd["externalParameters"]
                    .as_object()
                    .is_none_or(|o| o.is_empty())
                {
                    return bad(
                        "SLSA provenance needs a non-empty buildDefinition.externalParameters",
                    );
                }
                if predicate["runDetails"]["builder"]["id"]
                    .as_str()
                    .is_none_or(str::is_empty)
                {
                    return bad("SLSA provenance needs runDetails.builder.id");
                }
                Ok(SLSA_PROVENANCE_V1.to_owned())
            }
            PredicateKind::Vulns => Ok(VULNS_PREDICATE.to_owned()),
            PredicateKind::Custom(uri) if uri.starts_with(RESERVED_PREDICATES) => {
                Err(OpsError::BadInput(format!(
                    "{uri}: predicate types under {RESERVED_PREDICATES} are Strongroom's own (artifact signatures, release approvals, key rotations); `attest` never signs them, so that an attestation cannot pass for one of those"
                )))
            }
            PredicateKind::Custom(uri) => Ok(uri.clone()),
        }
    }
}

/// The namespace of the predicate types Strongroom gives a meaning of its own; `attest` refuses
/// them.
pub const RESERVED_PREDICATES: &str = "https://strongroom.dev/";

/// A request to attest artifacts.
#[derive(Clone, Debug)]
pub struct AttestRequest {
    /// Label, key id or `pkcs11:` URI.
    pub key: String,
    pub kind: PredicateKind,
    /// The predicate: a JSON object in a file.
    pub predicate: PathBuf,
    pub artifacts: Vec<PathBuf>,
    /// Where to write the bundle; default `FIRST_ARTIFACT.<kind>.sigstore.json`.
    pub output: Option<PathBuf>,
    pub force: bool,
    pub allow_pin_in_uri: bool,
}

/// What was written.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Attested {
    pub bundle: String,
    pub predicate_type: String,
    /// `name` and `sha256` of each subject.
    pub subjects: Vec<(String, String)>,
}

/// A predicate read from a file, with the subjects' SHA-256 when the file was a statement.
pub struct PredicateFile {
    pub predicate: serde_json::Value,
    pub statement_subjects: Option<Vec<String>>,
}

/// Reads a JSON predicate, which must be an object. An unsigned in-toto statement (as
/// `strongroom provenance` writes) gives its predicate and the SHA-256 of its subjects.
pub fn read_predicate(path: &std::path::Path) -> Result<PredicateFile, OpsError> {
    let bytes = read_capped(path, MAX_PREDICATE_BYTES)?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| OpsError::BadInput(format!("{}: not valid JSON ({e})", path.display())))?;
    if !v.is_object() {
        return Err(OpsError::BadInput(format!(
            "{}: a predicate must be a JSON object",
            path.display()
        )));
    }
    if !v["_type"]
        .as_str()
        .is_some_and(|t| t.starts_with("https://in-toto.io/Statement/"))
    {
        return Ok(PredicateFile {
            predicate: v,
            statement_subjects: None,
        });
    }
    let st = strongroom_core::intoto::CheckedStatement::parse(&bytes)
        .map_err(|e| OpsError::BadInput(format!("{}: {e}", path.display())))?;
    if !st.statement().predicate.is_object() {
        return Err(OpsError::BadInput(format!(
            "{}: the statement has no predicate object",
            path.display()
        )));
    }
    let mut subjects: Vec<String> = st
        .statement()
        .subject
        .iter()
        .filter_map(|s| s.digest.get("sha256").map(|h| h.to_ascii_lowercase()))
        .collect();
    subjects.sort();
    Ok(PredicateFile {
        predicate: st.statement().predicate.clone(),
        statement_subjects: Some(subjects),
    })
}

impl Station {
    /// Signs `predicate` about the artifacts as one DSSE bundle.
    pub fn attest(&self, req: &AttestRequest, cb: &dyn Callbacks) -> Result<Attested, OpsError> {
        self.require(crate::operators::Action::Attest)?;
        let key = crate::audit::key_for_log(&req.key);
        match self.attest_unrecorded(req, cb) {
            Ok(done) => {
                self.record(
                    AuditEvent::Attest,
                    &key,
                    crate::AuditOutcome::Ok,
                    serde_json::json!({"predicate_type": done.predicate_type, "subjects": done.subjects, "bundle": done.bundle}),
                )?;
                Ok(done)
            }
            Err(e) => {
                self.record_failure(AuditEvent::Attest, &key, &e);
                Err(e)
            }
        }
    }

    fn attest_unrecorded(
        &self,
        req: &AttestRequest,
        cb: &dyn Callbacks,
    ) -> Result<Attested, OpsError> {
        let sizes = check_files(&req.artifacts)?;
        let PredicateFile {
            predicate,
            statement_subjects,
        } = read_predicate(&req.predicate)?;
        let predicate_type = req.kind.predicate_type(&predicate)?;
        let output = req.output.clone().unwrap_or_else(|| {
            let first = &req.artifacts[0];
            let mut name = first.file_name().unwrap_or_default().to_os_string();
            name.push(format!(".{}.sigstore.json", req.kind.word()));
            first.with_file_name(name)
        });
        if output.exists() && !req.force {
            return Err(OpsError::OutputExists(output));
        }
        let signer = self.signer_for(
            &req.key,
            strongroom_core::Purpose::Signer,
            req.allow_pin_in_uri,
            cb,
        )?;
        let subjects = subjects(&req.artifacts, &sizes, cb)?;
        if let Some(expected) = statement_subjects {
            let mut given: Vec<String> = subjects
                .iter()
                .map(|s| s.digest["sha256"].clone())
                .collect();
            given.sort();
            if given != expected {
                return Err(OpsError::BadInput(format!(
                    "{} is a statement about other files than the artifacts given: its subjects' digests differ",
                    req.predicate.display()
                )));
            }
        }
        let statement = Statement::new(subjects, predicate_type.clone(), predicate);
        let envelope = Envelope::sign(&*signer, INTOTO_PAYLOAD_TYPE, statement.to_json_bytes())?;
        let mut bundle = BundleJson::dsse(signer.public_key(), &envelope);
        if let Some(stamper) = self.stamper(cb)? {
            bundle = stamper.stamp_one(self, bundle)?;
        }
        let json = bundle.to_pretty_json();
        write_atomic(
            &output,
            if req.force {
                Overwrite::Allow
            } else {
                Overwrite::Refuse
            },
            |f| std::io::Write::write_all(f, json.as_bytes()),
        )?;
        Ok(Attested {
            bundle: output.display().to_string(),
            predicate_type,
            subjects: statement
                .subject
                .iter()
                .map(|s| (s.name.clone(), s.digest["sha256"].clone()))
                .collect(),
        })
    }
}
