//! Strongroom's desktop app: opens the station named by `STRONGROOM_HOME` (or the default data
//! directory), registers the IPC commands and runs the one window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod ipc;
mod remedy;
mod state;

use commands::{audit, ceremony, keys, release, session, settings, trust};

/// When the process started, for the startup benchmark.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// The page calls this once it has drawn its first screen: milliseconds since the process
/// started (`docs/benchmarks.md`, cold start to an interactive window).
#[tauri::command]
fn app_ready() -> u64 {
    let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis() as u64);
    if std::env::var_os("STRONGROOM_STARTUP_LOG").is_some() {
        eprintln!("strongroom-app: interactive after {ms} ms");
    }
    ms
}

fn main() {
    // Started again as the policy evaluator (see strongroom_ops::sandbox)?
    if let Some(code) = strongroom_ops::sandbox::serve_if_child() {
        std::process::exit(code);
    }
    STARTED.get_or_init(std::time::Instant::now);
    let home = match std::env::var_os("STRONGROOM_HOME") {
        Some(h) if !h.is_empty() => std::path::PathBuf::from(h),
        _ => match strongroom_ops::Station::default_home() {
            Some(h) => h,
            None => {
                eprintln!(
                    "strongroom-app: no home directory to keep the station in; set STRONGROOM_HOME"
                );
                std::process::exit(2);
            }
        },
    };
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state::AppState::new(home))
        .invoke_handler(tauri::generate_handler![
            app_ready,
            session::session_info,
            ceremony::ceremony_plan,
            ceremony::run_ceremony,
            session::claim_station,
            session::login,
            session::logout,
            session::station_overview,
            keys::list_keys,
            keys::list_tokens,
            keys::generate_software_key,
            keys::generate_token_key,
            keys::init_token,
            keys::change_token_pin,
            keys::unlock_token,
            keys::export_public_key,
            keys::save_public_key,
            keys::retire_key,
            keys::rotate_key,
            keys::revoke_key,
            release::hash_files,
            release::image_inspect,
            release::release_preview,
            release::release_create,
            release::release_approve,
            release::release_export,
            release::verify_bundle,
            release::verify_keyless,
            release::save_report,
            trust::trust_list,
            trust::trust_import,
            trust::trust_root_import,
            trust::trust_root_remove,
            trust::trust_export,
            trust::trust_add,
            trust::trust_policy_add,
            trust::trust_policy_remove,
            audit::audit_list,
            audit::audit_verify,
            audit::audit_export,
            settings::get_settings,
            settings::allow_module,
            settings::disallow_module,
            settings::set_vulndb_max_age,
            settings::list_operators,
            settings::add_operator,
            settings::set_operator_disabled,
            settings::import_vulndb,
        ])
        .run(tauri::generate_context!())
        .expect("error while running tauri application");
}
