//! `release export`: copies a finished bundle to the folder that goes out of the room (removable
//! media), optionally age-encrypted to the receiving side, atomically and without overwriting.

use std::path::Path;
use strongroom_core::AuditEvent;
use strongroom_store::fsutil::Overwrite;

use serde::Serialize;
use strongroom_bundle::age::Recipient;

use crate::{Action, OpsError, Station};

/// What was written to the export folder.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Exported {
    pub path: String,
    /// SHA-256 of the file written (the ciphertext when encrypted).
    pub sha256: String,
    pub encrypted: bool,
}

impl Station {
    /// Writes `bundle` into `folder` under its own file name (plus `.age` when encrypted). The
    /// bundle must verify first, against the station's trust store, exactly as `verify` checks
    /// it: a damaged file, a random zip or a release short of its approvals is not carried out.
    pub fn release_export(
        &self,
        bundle: &Path,
        folder: &Path,
        encrypt_to: &[Recipient],
        replace: bool,
    ) -> Result<Exported, OpsError> {
        self.require(Action::ReleaseExport)?;
        let object = bundle.display().to_string();
        self.release_export_unrecorded(bundle, folder, encrypt_to, replace)
            .inspect_err(|e| self.record_failure(AuditEvent::ReleaseExport, &object, e))
    }

    fn release_export_unrecorded(
        &self,
        bundle: &Path,
        folder: &Path,
        encrypt_to: &[Recipient],
        replace: bool,
    ) -> Result<Exported, OpsError> {
        if !folder.is_dir() {
            return Err(OpsError::NotADirectory(folder.to_owned()));
        }
        let opened = super::open_bundle(bundle, None)?;
        let report = super::verify::verify_opened(
            &opened,
            &super::VerifyBundle {
                bundle: bundle.to_owned(),
                ..Default::default()
            },
            &crate::trust::VerificationTrust::station(self.trust_set()?),
            &crate::callbacks::Quiet,
        )?;
        drop(opened);
        if !report.verified {
            return Err(OpsError::ExportRefused {
                bundle: bundle.to_owned(),
                reasons: report
                    .checks
                    .iter()
                    .filter(|c| c.outcome == strongroom_core::verify::Outcome::Fail)
                    .map(|c| format!("{}: {}", c.id, c.detail))
                    .collect(),
            });
        }
        let name = bundle
            .file_name()
            .ok_or_else(|| OpsError::NotRegularFile(bundle.to_owned()))?;
        let mut out = folder.join(name);
        if !encrypt_to.is_empty() {
            out.as_mut_os_string().push(".age");
        }
        let overwrite = self.output_file(&out, replace)? == Overwrite::Allow;
        let written = if encrypt_to.is_empty() {
            strongroom_bundle::age::copy_file(bundle, &out, overwrite)?
        } else {
            strongroom_bundle::age::encrypt_file(bundle, &out, encrypt_to, overwrite)?
        };
        let exported = Exported {
            path: out.display().to_string(),
            sha256: written.sha256.to_hex(),
            encrypted: !encrypt_to.is_empty(),
        };
        self.record(
            AuditEvent::ReleaseExport,
            &bundle.display().to_string(),
            crate::AuditOutcome::Ok,
            serde_json::json!({"to": exported.path, "sha256": exported.sha256,
                "encrypted": exported.encrypted, "recipients": encrypt_to.len()}),
        )?;
        Ok(exported)
    }
}
