//! Verifying one signed document (Sigstore bundle, DSSE envelope or cosign bundle) against a
//! public key and, optionally, the artifact.

use std::io::Read;
use std::path::{Path, PathBuf};
use strongroom_core::AuditEvent;

use strongroom_core::bundle::{CheckedDocument, Content};
use strongroom_core::intoto::{CheckedStatement, ARTIFACT_SIGNATURE_PREDICATE};
use strongroom_core::verify::{
    needs_streamed_signature, required_digests, verify_document, ArtifactFacts, CheckId, Outcome,
    Report,
};

use crate::attest::{PredicateKind, CYCLONEDX_PREDICATE, SLSA_PROVENANCE_V1, VULNS_PREDICATE};
use strongroom_core::PublicKey;

use crate::hashing::{check_file, hash_file};
use crate::{Callbacks, OpsError, Progress};

/// Largest signed document read (a DSSE envelope may embed a large SBOM).
pub const MAX_DOCUMENT_BYTES: u64 = 256 << 20;
/// Largest public-key file read.
const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

/// A request to verify one document.
#[derive(Clone, Debug)]
pub struct VerifyRequest {
    pub document: PathBuf,
    pub key: PublicKey,
    pub artifact: Option<PathBuf>,
    /// For attestations: the predicate type that must be attested (`sbom`, `provenance`,
    /// `vulns` or `custom:URI`).
    pub expect_type: Option<crate::attest::PredicateKind>,
}

pub(crate) fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, OpsError> {
    let size = check_file(path)?;
    if size > limit {
        return Err(OpsError::TooLarge {
            path: path.to_owned(),
            size,
            limit,
        });
    }
    let mut buf = Vec::with_capacity(size as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut buf))
        .map_err(|source| OpsError::Read {
            path: path.to_owned(),
            source,
        })?;
    Ok(buf)
}

/// Reads a PEM SubjectPublicKeyInfo file.
pub fn load_public_key_file(path: &Path) -> Result<PublicKey, OpsError> {
    let bytes = read_capped(path, MAX_KEY_FILE_BYTES)?;
    let text = String::from_utf8_lossy(&bytes);
    PublicKey::from_pem(&text).map_err(|source| OpsError::PublicKeyFile {
        path: path.to_owned(),
        source,
    })
}

/// How a public key is compared out of band: its algorithm and key id, in the base64 form the CLI
/// and Sigstore bundles show and the hex form bundle file names use.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyFingerprint {
    #[cfg_attr(
        feature = "ts",
        ts(type = r#""ed25519" | "ecdsa-p256" | "ecdsa-p384" | `rsa-${number}`"#)
    )]
    pub algorithm: strongroom_core::Algorithm,
    pub key_id: String,
    pub key_id_hex: String,
}

/// The fingerprint of a PEM public key file (`key fingerprint`): needs no station.
pub fn key_fingerprint(path: &Path) -> Result<KeyFingerprint, OpsError> {
    let key = load_public_key_file(path)?;
    Ok(KeyFingerprint {
        algorithm: key.algorithm(),
        key_id: key.key_id().to_string(),
        key_id_hex: key.key_id().to_hex(),
    })
}

/// Verifies `req.document` with `req.key`. `Ok` carries the report whatever its verdict; `Err`
/// means the inputs could not be read or parsed at all.
pub fn verify_signature(req: &VerifyRequest, cb: &dyn Callbacks) -> Result<Report, OpsError> {
    let bytes = read_capped(&req.document, MAX_DOCUMENT_BYTES)?;
    let doc = CheckedDocument::parse(&bytes).map_err(|source| OpsError::Bundle {
        path: req.document.clone(),
        source,
    })?;
    let facts = match &req.artifact {
        None => None,
        Some(path) => {
            let size = check_file(path)?;
            let mut stream = match (&doc.content, needs_streamed_signature(&doc, &req.key)) {
                (Content::MessageSignature { signature, .. }, true) => {
                    Some(req.key.ed25519_stream(signature))
                }
                _ => None,
            };
            let mut feed = |chunk: &[u8]| {
                if let Some(Ok(s)) = stream.as_mut() {
                    s.update(chunk);
                }
            };
            cb.progress(Progress::HashStart {
                files: 1,
                total_bytes: size,
            });
            let digests = hash_file(path, &required_digests(&doc, &req.key), cb, Some(&mut feed))?;
            cb.progress(Progress::HashFinish);
            Some(ArtifactFacts {
                name: path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                digests,
                streamed_signature: stream.map(|s| s.and_then(|s| s.finish())),
            })
        }
    };
    let mut report = verify_document(&doc, &req.key, facts.as_ref());
    match (&req.expect_type, &doc.content) {
        (Some(kind), _) => check_predicate_type(&mut report, &doc, kind),
        // Without --type a DSSE statement must be a plain artifact signature: an SBOM, scan or
        // provenance attestation by the same key does not mean "this key signed these bytes".
        (None, Content::Dsse(_)) => check_predicate_type(
            &mut report,
            &doc,
            &PredicateKind::Custom(ARTIFACT_SIGNATURE_PREDICATE.to_owned()),
        ),
        (None, Content::MessageSignature { .. }) => {}
    }
    Ok(report)
}

impl crate::Station {
    /// [`verify_signature`] by a logged-in operator (any role), recorded in the audit log as
    /// `verify` with its verdict. Verifying with a public-key file needs no station: call
    /// [`verify_signature`] directly.
    pub fn verify_signature(
        &self,
        req: &VerifyRequest,
        cb: &dyn Callbacks,
    ) -> Result<Report, OpsError> {
        self.require(crate::operators::Action::Verify)?;
        let key_id = req.key.key_id().to_string();
        match verify_signature(req, cb) {
            Ok(report) => {
                self.record(
                    AuditEvent::Verify,
                    &key_id,
                    if report.passed() {
                        crate::AuditOutcome::Ok
                    } else {
                        crate::AuditOutcome::Failed
                    },
                    serde_json::json!({
                        "document": req.document.display().to_string(),
                        "artifact": req.artifact.as_ref().map(|a| a.display().to_string()),
                        "verdict": report.verdict().to_string(),
                    }),
                )?;
                Ok(report)
            }
            Err(e) => {
                self.record_failure(AuditEvent::Verify, &key_id, &e);
                Err(e)
            }
        }
    }
}

/// Adds a `predicate-type` check: the signed statement's predicate type must be the expected one.
fn check_predicate_type(report: &mut Report, doc: &CheckedDocument, kind: &PredicateKind) {
    let signed = report
        .checks
        .iter()
        .any(|c| c.id == CheckId::Signature && c.outcome == Outcome::Pass);
    let statement = match (&doc.content, signed) {
        (Content::Dsse(env), true) => CheckedStatement::parse(&env.payload).ok(),
        _ => None,
    };
    let Some(st) = statement else {
        report.push(
            CheckId::PredicateType,
            Outcome::Fail,
            "not an attestation with a verified in-toto statement",
        );
        return;
    };
    let got = &st.statement().predicate_type;
    let ok = match kind {
        PredicateKind::Sbom => {
            got.starts_with("https://spdx.dev/Document") || got.starts_with(CYCLONEDX_PREDICATE)
        }
        PredicateKind::Provenance => got == SLSA_PROVENANCE_V1,
        PredicateKind::Vulns => got == VULNS_PREDICATE,
        PredicateKind::Custom(uri) => got == uri,
    };
    if ok {
        report.push(
            CheckId::PredicateType,
            Outcome::Pass,
            format!("predicate type {got}"),
        );
    } else if matches!(kind, PredicateKind::Custom(uri) if uri == ARTIFACT_SIGNATURE_PREDICATE) {
        report.push(
            CheckId::PredicateType,
            Outcome::Fail,
            format!("this is an attestation of type {got}, not an artifact signature: verify it with --type"),
        );
    } else {
        report.push(
            CheckId::PredicateType,
            Outcome::Fail,
            format!("predicate type {got} is not a {kind} attestation"),
        );
    }
}

/// Where a verification `--key` comes from.
#[derive(Debug)]
pub enum KeySource {
    /// A key of this station's inventory: the shell logs the operator in, and the verification
    /// is recorded.
    Inventory(Box<crate::Station>, String),
    /// A PEM public key file: no station, no account.
    File(PublicKey),
}

/// Resolves `key` for verification: a key of the inventory (label or key id) when the station
/// under `home` has one by that name, else a PEM file. The inventory wins, so a file planted in
/// the working directory cannot stand in for a trusted key. Neither is
/// [`OpsError::VerificationKeyNotFound`].
pub fn verification_key_source(home: &Path, key: &str) -> Result<KeySource, OpsError> {
    let is_ref = strongroom_core::keyref::KeyRef::parse(key)
        .is_ok_and(|r| !matches!(r, strongroom_core::keyref::KeyRef::Pkcs11Uri(_)));
    if is_ref && strongroom_store::Store::exists(home) {
        let station = crate::Station::open(home)?;
        if station.has_key(key)? {
            return Ok(KeySource::Inventory(Box::new(station), key.to_owned()));
        }
    }
    let path = Path::new(key);
    if path.exists() {
        return Ok(KeySource::File(load_public_key_file(path)?));
    }
    Err(OpsError::VerificationKeyNotFound {
        key: key.to_owned(),
        home: home.to_owned(),
    })
}
