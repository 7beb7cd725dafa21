//! Scripted key ceremonies (`ceremony run SCRIPT.toml`): each step is one of the station's own
//! operations (initialise a token, generate a key, back it up, export its public key, sign the
//! trust package, make a checkpoint), run only when the operator holds the step's role and the
//! quorum it names has consented; each step's facts are recorded; the record is an in-toto
//! statement signed by every participant's custodian key, with a printable sheet that has a
//! line to sign for every step. `ceremony verify` checks a record with the participants' keys.
//! Record format and checks: `strongroom_core::ceremony`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use strongroom_core::ceremony::{
    self, CeremonyPredicate, Participant, StepKey, StepOutput, StepRecord,
};
use strongroom_core::dsse::{Envelope, EnvelopeJson};
use strongroom_core::{AuditEvent, PublicKey, Purpose, Signer};
use strongroom_store::fsutil::{write_all_atomic, Overwrite};

use crate::backup::BackupKeyRequest;
use crate::dto::KeyInfo;
use crate::operators::{Action, Role};
use crate::tokens::{GenerateTokenKey, InitToken, TokenTarget};
use crate::trust::TrustExport;
use crate::verify::read_capped;
use crate::{Callbacks, OpsError, Station};

/// Largest script read.
const MAX_SCRIPT_BYTES: u64 = 256 << 10;
/// Largest record read.
const MAX_RECORD_BYTES: u64 = 4 << 20;

/// A ceremony script.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub name: String,
    /// Who signs the record, each with their custodian key (inventory label or key id).
    pub participants: Vec<ScriptParticipant>,
    #[serde(rename = "step")]
    pub steps: Vec<ScriptStep>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptParticipant {
    pub operator: String,
    pub key: String,
}

/// One step: what it does, the role it needs and how many custodians must consent.
#[derive(Clone, Debug, Deserialize)]
pub struct ScriptStep {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default = "custodian")]
    pub role: String,
    #[serde(default = "one")]
    pub quorum: u8,
    #[serde(flatten)]
    pub act: Act,
}

fn custodian() -> String {
    "custodian".into()
}

fn one() -> u8 {
    1
}

fn signer_purpose() -> String {
    "signer".into()
}

/// The acts a step can be. Paths are relative to the ceremony's output folder.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "act", rename_all = "kebab-case")]
pub enum Act {
    InitToken {
        label: String,
        #[serde(default)]
        module: Option<PathBuf>,
        #[serde(default)]
        slot: Option<u64>,
    },
    GenerateKey {
        token: String,
        algorithm: String,
        label: String,
        #[serde(default = "signer_purpose")]
        purpose: String,
        #[serde(default)]
        backupable: bool,
    },
    BackupKey {
        key: String,
        shares: u8,
        threshold: u8,
        #[serde(default)]
        custodians: Vec<String>,
        output: PathBuf,
    },
    ExportPublicKey {
        key: String,
        output: PathBuf,
    },
    SignTrustPackage {
        output: PathBuf,
    },
    Checkpoint {},
}

impl Act {
    /// The paths the act writes, relative to the output folder.
    fn paths(&self) -> Vec<&Path> {
        match self {
            Act::BackupKey { output, .. }
            | Act::ExportPublicKey { output, .. }
            | Act::SignTrustPackage { output } => vec![output.as_path()],
            Act::InitToken { .. } | Act::GenerateKey { .. } | Act::Checkpoint {} => Vec::new(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Act::InitToken { .. } => "init-token",
            Act::GenerateKey { .. } => "generate-key",
            Act::BackupKey { .. } => "backup-key",
            Act::ExportPublicKey { .. } => "export-public-key",
            Act::SignTrustPackage { .. } => "sign-trust-package",
            Act::Checkpoint {} => "checkpoint",
        }
    }
}

/// A request to run a ceremony.
#[derive(Clone, Debug)]
pub struct RunCeremony {
    pub script: PathBuf,
    /// Folder for everything the steps write, the record and the sheet.
    pub output: PathBuf,
}

/// What a ceremony did.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CeremonyOutcome {
    pub name: String,
    pub record: String,
    pub sheet: String,
    pub steps: Vec<StepRecord>,
}

/// What a script will do, before it runs: for the app to show who must act at each step.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CeremonyPlan {
    pub name: String,
    pub script_sha256: String,
    pub participants: Vec<PlanParticipant>,
    pub steps: Vec<PlanStep>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlanParticipant {
    pub operator: String,
    pub key: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlanStep {
    pub number: usize,
    pub title: String,
    pub act: String,
    pub role: String,
    pub quorum: u8,
}

/// Reads a script: its bytes' SHA-256 and its steps.
fn read_script(path: &Path) -> Result<(Script, String), OpsError> {
    let bytes = read_capped(path, MAX_SCRIPT_BYTES)?;
    let sha256 = strongroom_bundle::Sha256Digest::of_bytes(&bytes).to_hex();
    let script: Script = toml::from_str(&String::from_utf8_lossy(&bytes)).map_err(|e| {
        OpsError::BadInput(format!("{}: not a ceremony script: {e}", path.display()))
    })?;
    if script.steps.is_empty() || script.participants.is_empty() {
        return Err(OpsError::BadInput(format!(
            "{}: a ceremony needs at least one step and one participant",
            path.display()
        )));
    }
    Ok((script, sha256))
}

fn step_title(step: &ScriptStep) -> String {
    step.title
        .clone()
        .unwrap_or_else(|| step.act.name().to_owned())
}

/// A record checked.
#[derive(Clone, Debug, Serialize)]
pub struct CeremonyVerified {
    pub name: String,
    pub participants: Vec<Participant>,
    pub steps: Vec<StepRecord>,
}

fn sha256_file(path: &Path) -> Result<String, OpsError> {
    Ok(strongroom_bundle::Sha256Digest::of_file(path)?.0.to_hex())
}

fn output(path: &Path) -> Result<StepOutput, OpsError> {
    Ok(StepOutput {
        name: path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        sha256: sha256_file(path)?,
    })
}

fn key_facts(info: &KeyInfo) -> StepKey {
    StepKey {
        label: info.label.clone(),
        key_id: info.key_id.clone(),
        algorithm: info.algorithm.to_string(),
        attributes: info
            .attributes
            .as_ref()
            .map(|a| {
                a.cka
                    .named()
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), *v))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn token_serial(info: &KeyInfo) -> Option<String> {
    info.attributes.as_ref().map(|a| a.token_serial.clone())
}

/// A step's facts before the chain links them.
struct Done {
    token_serial: Option<String>,
    key: Option<StepKey>,
    outputs: Vec<StepOutput>,
}

impl Station {
    /// What a ceremony script will do, step by step, without doing it.
    pub fn ceremony_plan(&self, script: &Path) -> Result<CeremonyPlan, OpsError> {
        self.require(Action::CeremonyRun)?;
        let (s, script_sha256) = read_script(script)?;
        Ok(CeremonyPlan {
            name: s.name.clone(),
            script_sha256,
            participants: s
                .participants
                .iter()
                .map(|p| PlanParticipant {
                    operator: p.operator.clone(),
                    key: p.key.clone(),
                })
                .collect(),
            steps: s
                .steps
                .iter()
                .enumerate()
                .map(|(i, st)| PlanStep {
                    number: i + 1,
                    title: step_title(st),
                    act: st.act.name().to_owned(),
                    role: st.role.clone(),
                    quorum: st.quorum,
                })
                .collect(),
        })
    }

    /// Runs a ceremony script step by step, then writes its signed record and its sheet.
    pub fn ceremony_run(
        &self,
        req: &RunCeremony,
        cb: &dyn Callbacks,
    ) -> Result<CeremonyOutcome, OpsError> {
        self.require(Action::CeremonyRun)?;
        let (script, script_sha256) = read_script(&req.script)?;
        self.output_dir(&req.output)?;
        if !req.output.is_dir() {
            return Err(OpsError::NotADirectory(req.output.clone()));
        }
        let slug: String = script
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let record_path = req.output.join(format!("{slug}.ceremony.json"));
        let sheet_path = req.output.join(format!("{slug}.ceremony.html"));
        for p in [&record_path, &sheet_path] {
            if p.symlink_metadata().is_ok() {
                return Err(OpsError::OutputExists(p.clone()));
            }
        }
        // Who is here: the operator and the custodians who consented, for every step.
        let consent = self
            .cosigners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut present = vec![self.operator.clone()];
        for c in &consent {
            if !present.contains(&c.name) {
                present.push(c.name.clone());
            }
        }
        for step in &script.steps {
            for p in step.act.paths() {
                if p.is_absolute()
                    || p.components()
                        .any(|c| !matches!(c, std::path::Component::Normal(_)))
                {
                    return Err(OpsError::BadInput(format!(
                        "{}: step {} writes to {}: give a path inside the output folder (no leading /, no ..)",
                        req.script.display(),
                        step.act.name(),
                        p.display()
                    )));
                }
            }
        }
        for p in &script.participants {
            if !present.contains(&p.operator) {
                return Err(OpsError::BadInput(format!(
                    "participant {} is not here: they must consent (--cosigner {}) or run the ceremony",
                    p.operator, p.operator
                )));
            }
            let rec = self.lookup_key(&p.key)?;
            crate::keys::check_purpose(&rec, Purpose::Custodian)?;
        }
        let mut steps = Vec::new();
        for (i, step) in script.steps.iter().enumerate() {
            let title = step_title(step);
            let role: Role = step.role.parse()?;
            if !self.roles().contains(&role) {
                return Err(OpsError::BadInput(format!(
                    "step {} ({title}) needs the {} role, which {} does not hold; nothing more was done",
                    i + 1,
                    step.role,
                    self.operator
                )));
            }
            if present.len() < usize::from(step.quorum) {
                return Err(OpsError::QuorumRequired {
                    action: format!("ceremony step {} ({title})", i + 1),
                    quorum: u32::from(step.quorum),
                    consenting: present.clone(),
                });
            }
            cb.notice(&format!(
                "step {} of {}: {title}",
                i + 1,
                script.steps.len()
            ));
            // Consent is consumed by each act: it stands for the whole ceremony.
            *self.cosigners.lock().unwrap_or_else(|e| e.into_inner()) = consent.clone();
            let done = match self.ceremony_step(&step.act, &script, &req.output, cb) {
                Ok(d) => d,
                Err(e) => {
                    self.cosigners
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .clear();
                    let e = OpsError::CeremonyStep {
                        step: i + 1,
                        title: title.clone(),
                        cause: Box::new(e),
                    };
                    self.record_failure(AuditEvent::CeremonyRun, &script.name, &e);
                    return Err(e);
                }
            };
            steps.push(StepRecord {
                number: 0,
                act: step.act.name().to_owned(),
                title,
                role: step.role.clone(),
                quorum: step.quorum,
                operator: self.operator.clone(),
                consenting: present.clone(),
                time: self.clock_now()?.to_rfc3339(),
                token_serial: done.token_serial,
                key: done.key,
                outputs: done.outputs,
                previous: String::new(),
            });
        }
        self.cosigners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        ceremony::chain(&mut steps);
        let mut signers: Vec<Box<dyn Signer>> = Vec::new();
        let mut participants = Vec::new();
        for p in &script.participants {
            let s = self.signer_for(&p.key, Purpose::Custodian, false, cb)?;
            participants.push(Participant {
                operator: p.operator.clone(),
                key_id: s.public_key().key_id().to_string(),
            });
            signers.push(s);
        }
        let predicate = CeremonyPredicate {
            name: script.name.clone(),
            script_sha256,
            participants,
            steps,
        };
        let script_name = req
            .script
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let statement = ceremony::statement(&predicate, &script_name);
        let refs: Vec<&dyn Signer> = signers.iter().map(|s| &**s as &dyn Signer).collect();
        let envelope = ceremony::sign(&statement, &refs)?;
        let mut record = serde_json::to_string_pretty(&envelope).expect("plain data serialises");
        record.push('\n');
        let sheet = crate::ceremony_sheet::html(&predicate, &script_name);
        write_all_atomic(
            &[
                (record_path.clone(), record.clone().into_bytes()),
                (sheet_path.clone(), sheet.into_bytes()),
            ],
            Overwrite::Refuse,
        )?;
        self.record(
            AuditEvent::CeremonyRun,
            &script.name,
            crate::AuditOutcome::Ok,
            serde_json::json!({"script_sha256": predicate.script_sha256,
                "steps": predicate.steps.len(),
                "record": record_path.display().to_string(),
                "record_sha256": strongroom_bundle::Sha256Digest::of_bytes(record.as_bytes()).to_hex(),
                "participants": predicate.participants.iter().map(|p| &p.operator).collect::<Vec<_>>()}),
        )?;
        Ok(CeremonyOutcome {
            name: script.name,
            record: record_path.display().to_string(),
            sheet: sheet_path.display().to_string(),
            steps: predicate.steps,
        })
    }

    fn ceremony_step(
        &self,
        act: &Act,
        script: &Script,
        out: &Path,
        cb: &dyn Callbacks,
    ) -> Result<Done, OpsError> {
        let none = || Done {
            token_serial: None,
            key: None,
            outputs: Vec::new(),
        };
        Ok(match act {
            Act::InitToken {
                label,
                module,
                slot,
            } => {
                let info = self.token_init(
                    &InitToken {
                        module: module.clone(),
                        slot: *slot,
                        label: label.clone(),
                    },
                    cb,
                )?;
                Done {
                    token_serial: Some(info.serial),
                    ..none()
                }
            }
            Act::GenerateKey {
                token,
                algorithm,
                label,
                purpose,
                backupable,
            } => {
                let info = self.generate_token_key(
                    &GenerateTokenKey {
                        target: TokenTarget::label(token, None),
                        algorithm: crate::keys::parse_algorithm(algorithm)?,
                        label: label.clone(),
                        purpose: purpose
                            .parse()
                            .map_err(|e| OpsError::BadInput(format!("purpose {purpose:?}: {e}")))?,
                        protection: if *backupable {
                            crate::KeyProtection::Backupable
                        } else {
                            crate::KeyProtection::NeverExtractable
                        },
                    },
                    cb,
                )?;
                Done {
                    token_serial: token_serial(&info),
                    key: Some(key_facts(&info)),
                    outputs: Vec::new(),
                }
            }
            Act::BackupKey {
                key,
                shares,
                threshold,
                custodians,
                output: dir,
            } => {
                let dir = out.join(dir);
                std::fs::create_dir_all(&dir).map_err(|source| OpsError::Read {
                    path: dir.clone(),
                    source,
                })?;
                let b = self.backup_key(
                    &BackupKeyRequest {
                        key: key.clone(),
                        shares: *shares,
                        threshold: *threshold,
                        custodians: custodians.clone(),
                        output: dir,
                    },
                    cb,
                )?;
                let mut outputs = vec![output(Path::new(&b.backup_file))?];
                for f in &b.share_files {
                    outputs.push(output(Path::new(f))?);
                }
                Done {
                    token_serial: token_serial(&b.key),
                    key: Some(key_facts(&b.key)),
                    outputs,
                }
            }
            Act::ExportPublicKey { key, output: file } => {
                let path = out.join(file);
                self.save_public_key(key, &path, false)?;
                let info = self.show_key(key)?;
                Done {
                    token_serial: token_serial(&info),
                    key: Some(key_facts(&info)),
                    outputs: vec![output(&path)?],
                }
            }
            Act::SignTrustPackage { output: file } => {
                let path = out.join(file);
                self.trust_export(
                    &TrustExport {
                        keys: script.participants.iter().map(|p| p.key.clone()).collect(),
                        output: path.clone(),
                        force: false,
                        allow_pin_in_uri: false,
                        partial: false,
                    },
                    cb,
                )?;
                Done {
                    outputs: vec![output(&path)?],
                    ..none()
                }
            }
            Act::Checkpoint {} => {
                self.audit_checkpoint(None, cb)?;
                none()
            }
        })
    }
}

/// Checks a ceremony record (a DSSE envelope) with every participant's public key: each must
/// have signed it, and its steps must be whole and in order. Needs no station.
pub fn ceremony_verify(record: &Path, keys: &[PathBuf]) -> Result<CeremonyVerified, OpsError> {
    if keys.is_empty() {
        return Err(OpsError::BadInput(
            "give every participant's public key (--key PEM, once each)".into(),
        ));
    }
    let bytes = read_capped(record, MAX_RECORD_BYTES)?;
    let json: EnvelopeJson = serde_json::from_slice(&bytes).map_err(|e| {
        OpsError::BadInput(format!("{}: not a DSSE envelope: {e}", record.display()))
    })?;
    let env = Envelope::from_json(&json).map_err(|e| {
        OpsError::BadInput(format!("{}: not a DSSE envelope: {e}", record.display()))
    })?;
    let keys: Vec<PublicKey> = keys
        .iter()
        .map(|k| crate::verify::load_public_key_file(k))
        .collect::<Result<_, _>>()?;
    let p = ceremony::verify(&env, &keys).map_err(|e| OpsError::CeremonyRejected(e.to_string()))?;
    Ok(CeremonyVerified {
        name: p.name,
        participants: p.participants,
        steps: p.steps,
    })
}
