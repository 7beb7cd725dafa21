//! A signed verification result (`verify BUNDLE.zip --summary-out FILE --key KEY`): an SLSA
//! verification summary (VSA v1) about a release's artifacts, as an in-toto statement in a DSSE
//! Sigstore bundle, so that the connected side can hand the room's verdict to admission
//! controllers and policy engines that read VSAs, and anyone can check it with the key alone.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::json;
use strongroom_core::bundle::BundleJson;
use strongroom_core::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use strongroom_core::intoto::{Statement, Subject};
use strongroom_core::{AuditEvent, Digest, HashAlg};
use strongroom_store::fsutil::write_atomic;

use super::BundleReport;
use crate::{Callbacks, OpsError, Station};

/// The predicate type of an SLSA verification summary.
pub const VSA_PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";

/// Where the summary goes and which key signs it.
#[derive(Clone, Debug)]
pub struct SummaryRequest {
    /// A `signer` key of the station: label, key id or `pkcs11:` URI.
    pub key: String,
    pub output: PathBuf,
    pub force: bool,
    pub allow_pin_in_uri: bool,
}

/// What was written.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryWritten {
    pub path: String,
    /// `PASSED` or `FAILED`, as the summary says.
    pub result: String,
    pub verified_levels: Vec<String>,
    pub subjects: usize,
    pub key_id: String,
}

/// The VSA predicate for `report`, made by the verifier `verifier_id`. `verifiedLevels` is what
/// the bundle shows and no more: SLSA Build L1 (provenance exists) when every artifact's signed
/// provenance verified, L0 otherwise, and `FAILED` when the bundle did not verify.
pub fn summary_predicate(report: &BundleReport, verifier_id: &str) -> serde_json::Value {
    let passed = report.verified;
    let all_built =
        !report.evidence.is_empty() && report.evidence.iter().all(|e| e.provenance.is_some());
    let levels = match (passed, all_built) {
        (false, _) => vec!["FAILED"],
        (true, true) => vec!["SLSA_BUILD_LEVEL_1"],
        (true, false) => vec!["SLSA_BUILD_LEVEL_0"],
    };
    let stage = report
        .release
        .as_ref()
        .map_or("unknown", |r| r.stage.as_str());
    let mut policy = json!({ "uri": format!("https://strongroom.dev/policy/{stage}") });
    if let Some(p) = &report.trust_package {
        policy["digest"] = json!({ "sha256": p.sha256 });
    }
    json!({
        "verifier": { "id": verifier_id },
        "timeVerified": report.checked_at,
        "resourceUri": format!("urn:strongroom:manifest:sha256:{}", report.manifest_sha256),
        "policy": policy,
        "inputAttestations": report.inputs.iter().map(|(path, sha256)| json!({
            "uri": path, "digest": { "sha256": sha256 },
        })).collect::<Vec<_>>(),
        "verificationResult": if passed { "PASSED" } else { "FAILED" },
        "verifiedLevels": levels,
        "slsaVersion": "1.0",
    })
}

impl Station {
    /// Everything [`Station::release_summary`] would refuse that is known before the bundle is
    /// verified (the role, the output file, the key's purpose), so that the verdict is never
    /// computed, logged and then lost to a refusal.
    pub fn release_summary_precheck(&self, req: &SummaryRequest) -> Result<(), OpsError> {
        self.require(crate::operators::Action::Attest)?;
        self.output_file(&req.output, req.force)?;
        self.precheck_key(&req.key, strongroom_core::Purpose::Signer)
    }

    /// Signs a verification summary of `report` with a `signer` key of this station and writes
    /// it (never over a file without `force`). Its subjects are the release's artifacts; the
    /// verifier is this station. Recorded as `attest`.
    pub fn release_summary(
        &self,
        report: &BundleReport,
        req: &SummaryRequest,
        cb: &dyn Callbacks,
    ) -> Result<SummaryWritten, OpsError> {
        self.require(crate::operators::Action::Attest)?;
        let key = crate::audit::key_for_log(&req.key);
        let done = self.release_summary_unrecorded(report, req, cb);
        match &done {
            Ok(w) => self.record(
                AuditEvent::Attest,
                &key,
                crate::AuditOutcome::Ok,
                json!({"predicate_type": VSA_PREDICATE_TYPE, "result": w.result,
                    "manifest": super::manifest_object(&report.manifest_sha256), "bundle": w.path}),
            )?,
            Err(e) => self.record_failure(AuditEvent::Attest, &key, e),
        }
        done
    }

    fn release_summary_unrecorded(
        &self,
        report: &BundleReport,
        req: &SummaryRequest,
        cb: &dyn Callbacks,
    ) -> Result<SummaryWritten, OpsError> {
        if report.release.is_none() || report.artifacts.is_empty() {
            return Err(OpsError::BadInput(format!(
                "{}: its manifest could not be read, so there are no artifacts to summarise; nothing was signed",
                report.bundle
            )));
        }
        let overwrite = self.output_file(&req.output, req.force)?;
        let signer = self.signer_for(
            &req.key,
            strongroom_core::Purpose::Signer,
            req.allow_pin_in_uri,
            cb,
        )?;
        let subjects = report
            .artifacts
            .iter()
            .map(|a| {
                let digest = Digest::from_hex(HashAlg::Sha256, &a.sha256).ok_or_else(|| {
                    OpsError::BadInput(format!("{}: not a SHA-256 digest", a.sha256))
                })?;
                Ok(Subject::new(a.name.clone(), &[&digest]))
            })
            .collect::<Result<Vec<_>, OpsError>>()?;
        let verifier = format!(
            "https://strongroom.dev/verifier/station/{}",
            self.store.station_id()?
        );
        let predicate = summary_predicate(report, &verifier);
        let statement = Statement::new(subjects, VSA_PREDICATE_TYPE, predicate.clone());
        let envelope = Envelope::sign(&*signer, INTOTO_PAYLOAD_TYPE, statement.to_json_bytes())?;
        let json = BundleJson::dsse(signer.public_key(), &envelope).to_pretty_json();
        write_atomic(&req.output, overwrite, |f| {
            std::io::Write::write_all(f, json.as_bytes())
        })?;
        Ok(SummaryWritten {
            path: req.output.display().to_string(),
            result: predicate["verificationResult"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            verified_levels: predicate["verifiedLevels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect(),
            subjects: report.artifacts.len(),
            key_id: signer.public_key().key_id().to_string(),
        })
    }
}
