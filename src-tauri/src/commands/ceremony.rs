//! The Ceremony screen's commands: what a script will do, and running it with the second
//! custodian's consent and the secrets its steps need (typed in the screen before the run).

use secrecy::SecretString;
use tauri::State;

use super::{picked, Consent};
use crate::ipc::{Gui, IpcError};
use crate::state::AppState;
use strongroom_ops::ceremony::{CeremonyOutcome, CeremonyPlan, RunCeremony};

/// The steps of a ceremony script, with the role and quorum each needs (custodian).
#[tauri::command(async)]
pub fn ceremony_plan(state: State<'_, AppState>, script: String) -> Result<CeremonyPlan, IpcError> {
    let script = picked(&script)?;
    state.with(|s| s.ceremony_plan(&script))
}

/// Runs a ceremony script (custodian): `consent` is the other participant's, `passphrase` the
/// participants' custodian keys' (one passphrase for the keys this station holds), `pin` and
/// `so_pin` the token's, `new_pin` a token the ceremony initialises.
#[allow(clippy::too_many_arguments)]
#[tauri::command(async)]
pub fn run_ceremony(
    state: State<'_, AppState>,
    script: String,
    output: String,
    consent: Option<Consent>,
    passphrase: Option<SecretString>,
    pin: Option<SecretString>,
    so_pin: Option<SecretString>,
    new_pin: Option<SecretString>,
) -> Result<CeremonyOutcome, IpcError> {
    let req = RunCeremony {
        script: picked(&script)?,
        output: picked(&output)?,
    };
    let gui = Gui::new(None, passphrase)
        .with_new_secret(new_pin)
        .with_token_pins(pin, so_pin);
    state.with(|s| Consent::given(consent, s, |s| s.ceremony_run(&req, &gui)))
}
