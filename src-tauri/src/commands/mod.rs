//! The IPC commands: each takes the state, calls the operations API and maps its error to
//! `{code, message, remedy, pin}`. Nothing here decides anything the CLI would decide
//! differently.

pub mod audit;
pub mod ceremony;
pub mod keys;
pub mod release;
pub mod session;
pub mod settings;
pub mod trust;

use std::path::PathBuf;

use secrecy::SecretString;
use strongroom_ops::{OpsError, Station};

use crate::ipc::IpcError;

/// A second custodian's consent to one act, typed in the same dialog: their name and
/// passphrase. The passphrase is checked (and zeroized) by the operations layer.
#[derive(serde::Deserialize)]
pub struct Consent {
    pub name: String,
    pub passphrase: SecretString,
}

impl Consent {
    /// Runs `op` with the consent given (if any); an unused consent is forgotten either way.
    pub(crate) fn given<T>(
        consent: Option<Consent>,
        station: &mut Station,
        op: impl FnOnce(&mut Station) -> Result<T, OpsError>,
    ) -> Result<T, OpsError> {
        let result = match consent {
            Some(c) => station
                .add_cosigner(&c.name, &c.passphrase)
                .and_then(|()| op(station)),
            None => op(station),
        };
        station.clear_cosigners();
        result
    }
}

/// A path the person typed, dropped or picked: absolute, or it is refused (a relative path
/// would be resolved against wherever the app happened to start).
pub(crate) fn picked(path: &str) -> Result<PathBuf, IpcError> {
    let p = PathBuf::from(path.trim());
    if path.trim().is_empty() {
        return Err(IpcError::usage(
            "no path given",
            "drop a file on the window, use Browse…, or type a full path",
        ));
    }
    if !p.is_absolute() {
        return Err(IpcError::usage(
            format!("{path:?} is not a full path"),
            "give a path that starts with /",
        ));
    }
    Ok(p)
}

pub(crate) fn picked_all(paths: &[String]) -> Result<Vec<PathBuf>, IpcError> {
    paths.iter().map(|p| picked(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_paths_are_accepted() {
        assert_eq!(picked(" /tmp/a.zip ").unwrap(), PathBuf::from("/tmp/a.zip"));
        let e = picked("a.zip").unwrap_err();
        assert_eq!(e.code, strongroom_ops::ErrorKind::Usage);
        assert!(e.message.contains("not a full path"));
        assert_eq!(
            picked("  ").unwrap_err().code,
            strongroom_ops::ErrorKind::Usage
        );
        assert!(picked_all(&["/a".into(), "b".into()]).is_err());
    }
}
