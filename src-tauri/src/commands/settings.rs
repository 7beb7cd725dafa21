//! The Settings screen: PKCS#11 module allowlist, vulnerability data, operators.

use secrecy::SecretString;
use serde::Serialize;
use strongroom_ops::vulns::ImportSummary;
use strongroom_ops::{OperatorInfo, Role};
use tauri::ipc::Channel;
use tauri::State;

use super::{picked, Consent};
use crate::ipc::{Gui, IpcError, ProgressEvent};
use crate::state::AppState;

/// The settings a custodian can see and change here.
#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Settings {
    /// The data directory (from `STRONGROOM_HOME`, or the default).
    pub home: String,
    pub modules: Vec<String>,
    pub vulndb_max_age_days: u32,
    /// Which build this is: the same words as `strongroom --version`.
    pub build: BuildInfo,
}

/// The app's version, the commit it was built from and its build profile (`strongroom-build`).
#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct BuildInfo {
    pub version: String,
    pub commit: String,
    /// `release` or `debug`.
    pub profile: String,
}

impl BuildInfo {
    fn this() -> Self {
        BuildInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            commit: env!("STRONGROOM_COMMIT").into(),
            profile: env!("STRONGROOM_PROFILE").into(),
        }
    }
}

fn paths(v: Vec<std::path::PathBuf>) -> Vec<String> {
    v.iter().map(|p| p.display().to_string()).collect()
}

#[tauri::command(async)]
pub fn get_settings(state: State<'_, AppState>) -> Result<Settings, IpcError> {
    state.with(|s| {
        Ok(Settings {
            home: s.home().display().to_string(),
            modules: paths(s.allowed_modules()?),
            vulndb_max_age_days: s.vulndb_max_age_days()?,
            build: BuildInfo::this(),
        })
    })
}

#[tauri::command(async)]
pub fn allow_module(state: State<'_, AppState>, path: String) -> Result<Vec<String>, IpcError> {
    let path = picked(&path)?;
    state.with(|s| s.allow_module(&path)).map(paths)
}

#[tauri::command(async)]
pub fn disallow_module(state: State<'_, AppState>, path: String) -> Result<Vec<String>, IpcError> {
    let path = picked(&path)?;
    state.with(|s| s.disallow_module(&path)).map(paths)
}

#[tauri::command(async)]
pub fn set_vulndb_max_age(state: State<'_, AppState>, days: u32) -> Result<Settings, IpcError> {
    state.with(|s| s.set_vulndb_max_age_days(days))?;
    get_settings(state)
}

#[tauri::command(async)]
pub fn list_operators(state: State<'_, AppState>) -> Result<Vec<OperatorInfo>, IpcError> {
    state.with(|s| s.list_operators())
}

#[tauri::command(async)]
pub fn add_operator(
    state: State<'_, AppState>,
    name: String,
    roles: Vec<Role>,
    passphrase: SecretString,
    consent: Option<Consent>,
) -> Result<OperatorInfo, IpcError> {
    state.with(|s| Consent::given(consent, s, |s| s.add_operator(&name, &roles, &passphrase)))
}

#[tauri::command(async)]
pub fn set_operator_disabled(
    state: State<'_, AppState>,
    name: String,
    disabled: bool,
    consent: Option<Consent>,
) -> Result<OperatorInfo, IpcError> {
    state.with(|s| Consent::given(consent, s, |s| s.set_operator_disabled(&name, disabled)))
}

#[tauri::command(async)]
pub async fn import_vulndb(
    state: State<'_, AppState>,
    path: String,
    on_progress: Channel<ProgressEvent>,
) -> Result<Vec<ImportSummary>, IpcError> {
    let path = picked(&path)?;
    state
        .work(move |s| s.import_vulndb(&[path], &Gui::new(Some(on_progress), None)))
        .await
}
