//! `release approve`: another officer signs the same manifest (M-of-N). The bundle must verify
//! as it stands (apart from the approvals it is still collecting) before anyone adds a name to it.

use std::path::PathBuf;
use strongroom_core::verify::{CheckId, Outcome};
use strongroom_core::AuditEvent;

use strongroom_bundle::paths::{layout, AUDIT_EXCERPT_PATH};
use strongroom_bundle::{BundleWriter, EntrySource};
use strongroom_policy::SignatureKind;

use super::facts::signature_facts;
use super::{key_hex, manifest_statement, sign_manifest, timestamp};
use crate::{Callbacks, OpsError, Station};

/// A request to approve a release bundle.
#[derive(Debug)]
pub struct ApproveRelease {
    pub bundle: PathBuf,
    /// Label, key id or `pkcs11:` URI of the approver's key.
    pub key: String,
    /// Where to write the approved bundle; the bundle itself (replaced atomically) when `None`.
    pub output: Option<PathBuf>,
    /// How to open an age-encrypted bundle.
    pub identity: Option<strongroom_bundle::age::Identity>,
    /// Encrypt the approved bundle (approving does not keep the original's recipients).
    pub encrypt_to: Vec<strongroom_bundle::age::Recipient>,
    pub allow_pin_in_uri: bool,
}

/// What `release approve` did.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Approved {
    pub bundle: String,
    pub bundle_sha256: String,
    pub manifest_sha256: String,
    pub key_id: String,
    pub operator: String,
    /// Distinct approvers now, and how many the stage requires.
    pub distinct_approvers: u64,
    pub required: u64,
}

/// Checks whose failure does not stop an approval: the ones approvals are there to satisfy.
const COLLECTING: &[CheckId] = &[
    CheckId::ApprovalThreshold,
    CheckId::Policy,
    CheckId::AuditExcerpt,
];

impl Station {
    /// A second person at this station's keyboard approves, with their own login for this one
    /// act (the app's approval step): the session stays the release officer's, who must be one
    /// who may create releases. A wrong passphrase is refused as any login is.
    pub fn release_approve_as(
        &self,
        operator: &str,
        passphrase: &secrecy::SecretString,
        req: &ApproveRelease,
        cb: &dyn Callbacks,
    ) -> Result<Approved, OpsError> {
        self.check(crate::Action::ReleaseCreate)?;
        let mut second = self.reopen()?;
        second.login(operator, passphrase)?;
        second.release_approve(req, cb)
    }

    /// Adds this operator's signature over the bundle's manifest.
    pub fn release_approve(
        &self,
        req: &ApproveRelease,
        cb: &dyn Callbacks,
    ) -> Result<Approved, OpsError> {
        let object = req.bundle.display().to_string();
        self.require(crate::Action::ReleaseApprove)?;
        // Two approvals of one bundle at once take turns: the second reads the first's result.
        let _lock = if req.bundle.is_file() {
            Some(strongroom_store::fsutil::lock_exclusive(&req.bundle)?)
        } else {
            None
        };
        self.release_approve_unrecorded(req, cb)
            .inspect_err(|e| self.record_failure(AuditEvent::ReleaseApprove, &object, e))
    }

    fn release_approve_unrecorded(
        &self,
        req: &ApproveRelease,
        cb: &dyn Callbacks,
    ) -> Result<Approved, OpsError> {
        let verification = crate::trust::VerificationTrust::station(self.trust_set()?);
        let trust = &verification.set;
        let opened = super::open_bundle(&req.bundle, req.identity.as_ref())?;
        let check = super::verify::verify_opened(
            &opened,
            &super::VerifyBundle {
                bundle: req.bundle.clone(),
                ..Default::default()
            },
            &verification,
            cb,
        )?;
        refuse_unless_approvable(&check, &req.bundle)?;
        let (manifest, _) = strongroom_bundle::read_manifest(&opened.zip)?;
        let manifest_sha256 = check.manifest_sha256.clone();

        let signer = self.signer_for(
            &req.key,
            strongroom_core::Purpose::Approver,
            req.allow_pin_in_uri,
            cb,
        )?;
        let key = signer.public_key();
        let hex = key_hex(key);
        let holder = self.approver_holder(trust, key, &req.key, &check, cb)?;
        let signed_at = super::rfc3339(time::OffsetDateTime::now_utc());
        let statement = manifest_statement(
            &manifest_sha256,
            manifest.release(),
            "approval",
            &self.operator,
            &signed_at,
        );
        let stamper = self.stamper(cb)?;
        let (sig_json, pem) =
            sign_manifest(&*signer, &statement, stamper.as_ref().map(|s| (self, s)))?;

        // Every entry as it was, the new approval, and a fresh audit excerpt.
        let mut w = BundleWriter::from_zip(opened.zip.clone())?;
        w.remove(AUDIT_EXCERPT_PATH);
        w.add(&layout::approval_bundle(&hex), EntrySource::Bytes(sig_json))?;
        w.add(&layout::approval_key(&hex), EntrySource::Bytes(pem))?;
        let object = super::manifest_object(&manifest_sha256);
        self.record(
            AuditEvent::ReleaseApprove,
            &object,
            crate::AuditOutcome::Ok,
            serde_json::json!({
                "release": format!("{}@{}", manifest.release().name(), manifest.release().version()),
                "stage": manifest.release().stage().as_str(),
                "key": crate::audit::key_for_log(&req.key),
                "key_id": key.key_id().to_string(),
                "kind": "approval",
            }),
        )?;
        self.attach_audit_excerpt(&mut w, &object, cb)?;
        let out = req.output.clone().unwrap_or_else(|| req.bundle.clone());
        let written = super::write_bundle(&w, &out, req.output.is_none(), &req.encrypt_to)?;
        self.record(
            AuditEvent::BundleExport,
            &object,
            crate::AuditOutcome::Ok,
            serde_json::json!({"bundle": out.display().to_string(), "bundle_sha256": written,
                "encrypted": !req.encrypt_to.is_empty()}),
        )?;
        let stage = manifest.release().stage();
        let mut signatures = check.signature_facts.clone();
        let mut fact = signature_facts(
            trust,
            &key.key_id(),
            SignatureKind::Approval,
            &self.operator,
            timestamp(&signed_at)?,
            true,
            stage,
        );
        // Its release.approve row is in the excerpt just attached.
        fact.recorded = holder.as_deref() == Some(self.operator.as_str());
        signatures.push(fact);
        let count = strongroom_policy::ApprovalFacts::count(stage, &signatures);
        Ok(Approved {
            bundle: out.display().to_string(),
            bundle_sha256: written,
            manifest_sha256,
            key_id: key.key_id().to_string(),
            operator: self.operator.clone(),
            distinct_approvers: count.distinct_approvers,
            required: check.approvals.required,
        })
    }

    /// Who holds the approving key, as the trust store says; refuses a key that signed this
    /// release already or that another person holds, and says when the approval will not count
    /// here or when this person signed already.
    fn approver_holder(
        &self,
        trust: &strongroom_policy::TrustSet,
        key: &strongroom_core::PublicKey,
        key_name: &str,
        check: &super::BundleReport,
        cb: &dyn Callbacks,
    ) -> Result<Option<String>, OpsError> {
        if check
            .signature_facts
            .iter()
            .any(|s| s.keyid == key.key_id().to_string())
        {
            return Err(OpsError::AlreadyApproved {
                key: crate::audit::key_for_log(key_name),
            });
        }
        let holder = trust
            .key(&key.key_id())
            .filter(|k| k.purpose() == strongroom_core::Purpose::Approver)
            .map(|k| k.holder().to_owned());
        match &holder {
            None => cb.notice(&format!(
                "this station does not trust {} as an approver key, so its approval will not count here until a custodian trusts it (with its holder)",
                crate::audit::key_for_log(key_name)
            )),
            Some(h) if h != &self.operator => {
                return Err(OpsError::BadInput(format!(
                    "{} is held by {h}, not by {}: each approver approves with their own key",
                    crate::audit::key_for_log(key_name),
                    self.operator
                )))
            }
            Some(_) => {}
        }
        if check
            .signature_facts
            .iter()
            .any(|s| s.holder.as_deref() == Some(self.operator.as_str()))
        {
            cb.notice(&format!(
                "{} has already signed this release: the two-person rule counts one person once, whatever the key",
                self.operator
            ));
        }
        Ok(holder)
    }
}

/// Refuses a bundle that fails any check an approval cannot cure (all but the threshold, the
/// policy and the audit excerpt, which approvals are there to satisfy).
fn refuse_unless_approvable(
    check: &super::BundleReport,
    bundle: &std::path::Path,
) -> Result<(), OpsError> {
    let blocking: Vec<String> = check
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail && !COLLECTING.contains(&c.id))
        .map(|c| format!("{}: {}", c.id, c.detail))
        .collect();
    if blocking.is_empty() {
        Ok(())
    } else {
        Err(OpsError::BundleRejected {
            bundle: bundle.to_owned(),
            reasons: blocking,
        })
    }
}
