//! The Keys screen: the inventory, tokens and slots (and their PINs), key generation and public
//! key export.

use std::path::PathBuf;

use secrecy::SecretString;
use strongroom_ops::dto::KeyInfo;
use strongroom_ops::{
    GenerateKey, GenerateTokenKey, InitToken, ModuleTokens, RotateKey, Rotated, TokenTarget,
};
use tauri::State;

use super::picked;
use crate::ipc::{Gui, IpcError};
use crate::state::AppState;

fn algorithm(name: &str) -> Result<strongroom_core::Algorithm, IpcError> {
    Ok(strongroom_ops::parse_algorithm(name)?)
}

#[tauri::command(async)]
pub fn list_keys(state: State<'_, AppState>) -> Result<Vec<KeyInfo>, IpcError> {
    state.with(|s| s.list_keys())
}

#[tauri::command(async)]
pub fn list_tokens(state: State<'_, AppState>) -> Result<Vec<ModuleTokens>, IpcError> {
    state.with(|s| s.list_tokens(None))
}

#[tauri::command(async)]
pub async fn generate_software_key(
    state: State<'_, AppState>,
    label: String,
    algorithm: String,
    purpose: strongroom_core::Purpose,
    passphrase: SecretString,
) -> Result<KeyInfo, IpcError> {
    let req = GenerateKey {
        label,
        algorithm: self::algorithm(&algorithm)?,
        purpose,
    };
    state
        .work(move |s| s.generate_software_key(&req, &Gui::new(None, Some(passphrase))))
        .await
}

/// A Tauri command's arguments are its IPC fields, one each.
#[allow(clippy::too_many_arguments)]
#[tauri::command(async)]
pub async fn generate_token_key(
    state: State<'_, AppState>,
    token: String,
    module: Option<String>,
    label: String,
    algorithm: String,
    purpose: strongroom_core::Purpose,
    backupable: Option<bool>,
    pin: SecretString,
) -> Result<KeyInfo, IpcError> {
    let req = GenerateTokenKey {
        target: TokenTarget::label(&token, module.as_deref().map(PathBuf::from)),
        algorithm: self::algorithm(&algorithm)?,
        label,
        purpose,
        protection: if backupable == Some(true) {
            strongroom_ops::KeyProtection::Backupable
        } else {
            strongroom_ops::KeyProtection::NeverExtractable
        },
    };
    state
        .work(move |s| s.generate_token_key(&req, &Gui::new(None, Some(pin))))
        .await
}

/// Initialises the token of a free slot (custodian): `so_pin` becomes its security officer's
/// PIN and `pin` its user PIN (the dialog asked for each twice).
#[tauri::command(async)]
pub async fn init_token(
    state: State<'_, AppState>,
    label: String,
    module: Option<String>,
    slot: Option<u64>,
    so_pin: SecretString,
    pin: SecretString,
) -> Result<strongroom_ops::TokenInfo, IpcError> {
    let req = InitToken {
        module: module.as_deref().map(PathBuf::from),
        slot,
        label,
    };
    state
        .work(move |s| {
            s.token_init(
                &req,
                &Gui::new(None, Some(so_pin)).with_new_secret(Some(pin)),
            )
        })
        .await
}

/// Changes a token's user PIN (custodian): `pin` the current one, `new_pin` the new one.
#[tauri::command(async)]
pub async fn change_token_pin(
    state: State<'_, AppState>,
    token: String,
    module: Option<String>,
    pin: SecretString,
    new_pin: SecretString,
) -> Result<(), IpcError> {
    let target = TokenTarget::label(&token, module.as_deref().map(PathBuf::from));
    state
        .work(move |s| {
            s.token_change_pin(
                &target,
                &Gui::new(None, Some(pin)).with_new_secret(Some(new_pin)),
            )
        })
        .await
}

/// Sets a new user PIN on a token as its security officer (custodian): the way out of a locked
/// or forgotten PIN.
#[tauri::command(async)]
pub async fn unlock_token(
    state: State<'_, AppState>,
    token: String,
    module: Option<String>,
    so_pin: SecretString,
    new_pin: SecretString,
) -> Result<(), IpcError> {
    let target = TokenTarget::label(&token, module.as_deref().map(PathBuf::from));
    state
        .work(move |s| {
            s.token_unlock(
                &target,
                &Gui::new(None, Some(so_pin)).with_new_secret(Some(new_pin)),
            )
        })
        .await
}

/// The public key as PEM SubjectPublicKeyInfo.
#[tauri::command(async)]
pub fn export_public_key(state: State<'_, AppState>, key: String) -> Result<String, IpcError> {
    state.with(|s| s.export_public_key(&key))
}

/// Writes the public key PEM to `path` (over an existing file only with `overwrite`, once the
/// person confirmed it); returns the path.
#[tauri::command(async)]
pub fn save_public_key(
    state: State<'_, AppState>,
    key: String,
    path: String,
    overwrite: bool,
) -> Result<String, IpcError> {
    let path = picked(&path)?;
    state.with(|s| s.save_public_key(&key, &path, overwrite))?;
    Ok(path.display().to_string())
}

/// Retires a key (custodian): it signs nothing more; earlier signatures still verify.
#[tauri::command(async)]
pub fn retire_key(state: State<'_, AppState>, key: String) -> Result<KeyInfo, IpcError> {
    state.with(|s| s.retire_key(&key))
}

/// Rotates a key (custodian): a successor beside it, vouched for by the old key in a statement
/// written with the new public key to the picked folder; the old key is retired. `secret`
/// unlocks the old key (passphrase or PIN); `new_passphrase` seals a new software key;
/// `carry_trust` trusts the new key as the old one is trusted, in the same act.
#[tauri::command(async)]
pub async fn rotate_key(
    state: State<'_, AppState>,
    key: String,
    new_label: String,
    out_dir: String,
    secret: SecretString,
    new_passphrase: Option<SecretString>,
    carry_trust: bool,
) -> Result<Rotated, IpcError> {
    let req = RotateKey {
        key,
        new_label,
        out_dir: picked(&out_dir)?,
        carry_trust,
    };
    state
        .work(move |s| {
            s.rotate_key(
                &req,
                &Gui::new(None, Some(secret)).with_new_secret(new_passphrase),
            )
        })
        .await
}

/// Revokes a key (custodian) with a reason for the audit log.
#[tauri::command(async)]
pub fn revoke_key(
    state: State<'_, AppState>,
    key: String,
    reason: String,
) -> Result<KeyInfo, IpcError> {
    state.with(|s| s.revoke_key(&key, &reason).map(|r| r.key))
}
