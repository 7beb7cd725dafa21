//! The Audit screen: rows, chain verification and export.

use strongroom_ops::{AuditRow, ChainReport};
use tauri::State;

use super::picked;
use crate::ipc::IpcError;
use crate::state::AppState;

#[tauri::command(async)]
pub fn audit_list(
    state: State<'_, AppState>,
    action: Option<String>,
    since: Option<String>,
) -> Result<Vec<AuditRow>, IpcError> {
    let blank = |o: Option<String>| o.filter(|s| !s.trim().is_empty());
    let query = strongroom_ops::AuditQuery {
        since: blank(since),
        ..strongroom_ops::AuditQuery::action(blank(action).as_deref())
    };
    state.with(|s| s.audit_list(&query))
}

#[tauri::command(async)]
pub async fn audit_verify(state: State<'_, AppState>) -> Result<ChainReport, IpcError> {
    state.work(|s| s.audit_verify()).await
}

/// Writes every row as JSON Lines; returns the path. An existing file is replaced only with
/// `overwrite` (the person confirmed it).
#[tauri::command(async)]
pub fn audit_export(
    state: State<'_, AppState>,
    path: String,
    overwrite: bool,
) -> Result<String, IpcError> {
    let path = picked(&path)?;
    state.with(|s| s.audit_export(&path, overwrite))?;
    Ok(path.display().to_string())
}
