//! The Trust screen: trusted keys, revocations, policy modules, and signed trust packages.

use secrecy::SecretString;
use strongroom_core::Purpose;
use strongroom_ops::trust::{
    parse_stages, TrustAdd, TrustExport, TrustExported, TrustImported, TrustListing,
    TrustPolicyInfo, TrustedKeyInfo,
};
use strongroom_ops::trust_roots::TrustRootInfo;
use tauri::State;

use super::{picked, Consent};
use crate::ipc::{Gui, IpcError};
use crate::state::AppState;

#[tauri::command(async)]
pub fn trust_list(state: State<'_, AppState>) -> Result<TrustListing, IpcError> {
    state.with(|s| s.trust_list())
}

#[tauri::command(async)]
pub fn trust_import(state: State<'_, AppState>, path: String) -> Result<TrustImported, IpcError> {
    let path = picked(&path)?;
    state.with(|s| s.trust_import(&path))
}

/// Signs the station's trust into a package with `key` (the custodian's own). With a custodian
/// quorum above 1 the package is partial: the other custodians countersign it before any
/// station imports it.
#[tauri::command(async)]
pub async fn trust_export(
    state: State<'_, AppState>,
    key: String,
    output: String,
    secret: Option<SecretString>,
    overwrite: bool,
) -> Result<TrustExported, IpcError> {
    let req = TrustExport {
        keys: vec![key],
        output: picked(&output)?,
        force: overwrite,
        allow_pin_in_uri: false,
        partial: true,
    };
    state
        .work(move |s| s.trust_export(&req, &Gui::new(None, secret)))
        .await
}

/// Trusts the PEM public key at `pem_path` for `purpose`, held by `holder`, for `stages`
/// (empty: every stage); an approver, custodian or audit key needs a custodian's `consent`
/// when the station has a quorum.
#[tauri::command(async)]
pub fn trust_add(
    state: State<'_, AppState>,
    pem_path: String,
    name: String,
    purpose: Purpose,
    holder: String,
    stages: Vec<String>,
    consent: Option<Consent>,
) -> Result<TrustedKeyInfo, IpcError> {
    let req = TrustAdd {
        pem_path: picked(&pem_path)?,
        name,
        stages: parse_stages(&stages.join(","))?,
        purpose,
        holder,
        not_before: None,
        not_after: None,
    };
    state.with(|s| Consent::given(consent, s, |s| s.trust_add(&req)))
}

#[tauri::command(async)]
pub fn trust_policy_add(
    state: State<'_, AppState>,
    path: String,
    consent: Option<Consent>,
) -> Result<TrustPolicyInfo, IpcError> {
    let path = picked(&path)?;
    state.with(|s| Consent::given(consent, s, |s| s.trust_policy_add(&path)))
}

#[tauri::command(async)]
pub fn trust_policy_remove(
    state: State<'_, AppState>,
    name: String,
    consent: Option<Consent>,
) -> Result<TrustPolicyInfo, IpcError> {
    state.with(|s| Consent::given(consent, s, |s| s.trust_policy_remove(&name)))
}

/// Trusts the Sigstore trusted root at `path` under `name` (the custodian quorum consents, as
/// for a policy change).
#[tauri::command(async)]
pub fn trust_root_import(
    state: State<'_, AppState>,
    path: String,
    name: String,
    consent: Option<Consent>,
) -> Result<TrustRootInfo, IpcError> {
    let path = picked(&path)?;
    state.with(|s| Consent::given(consent, s, |s| s.trust_root_import(&name, &path)))
}

#[tauri::command(async)]
pub fn trust_root_remove(
    state: State<'_, AppState>,
    name: String,
    consent: Option<Consent>,
) -> Result<TrustRootInfo, IpcError> {
    state.with(|s| Consent::given(consent, s, |s| s.trust_root_remove(&name)))
}
