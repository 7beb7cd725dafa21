//! Logging in and out, claiming a new station, and the Station screen's overview.

use secrecy::SecretString;
use strongroom_ops::overview::{Overview, SessionInfo};
use strongroom_ops::Role;
use tauri::State;

use crate::ipc::IpcError;
use crate::state::AppState;

#[tauri::command(async)]
pub fn session_info(state: State<'_, AppState>) -> Result<SessionInfo, IpcError> {
    state.with(|s| s.session_info())
}

/// Creates the first operator (custodian, with `roles` besides) and logs them in.
#[tauri::command(async)]
pub fn claim_station(
    state: State<'_, AppState>,
    name: String,
    roles: Vec<Role>,
    passphrase: SecretString,
) -> Result<SessionInfo, IpcError> {
    state.with(|s| {
        s.init_operator(&name, &roles, &passphrase)?;
        s.login(&name, &passphrase)?;
        s.session_info()
    })
}

#[tauri::command(async)]
pub fn login(
    state: State<'_, AppState>,
    name: String,
    passphrase: SecretString,
) -> Result<SessionInfo, IpcError> {
    let mut station = state.open()?;
    station.login(&name, &passphrase)?;
    let info = station.session_info()?;
    state.replace(station)?;
    Ok(info)
}

#[tauri::command(async)]
pub fn logout(state: State<'_, AppState>) -> Result<SessionInfo, IpcError> {
    let station = state.open()?;
    let info = station.session_info()?;
    state.replace(station)?;
    Ok(info)
}

#[tauri::command(async)]
pub fn station_overview(state: State<'_, AppState>) -> Result<Overview, IpcError> {
    state.with(|s| s.overview(&crate::remedy::words))
}
