//! What crosses the IPC boundary besides the operations' own results: the error shape
//! (`{code, message, remedy, pin, exists}`), progress events, and the callbacks that turn the
//! operations' progress into events on a `Channel`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::Serialize;
use strongroom_ops::{Callbacks, OpsError, Progress, SecretRequest};
use tauri::ipc::Channel;

/// An error as the web view receives it: the promise rejects with this object.
#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct IpcError {
    /// Stable machine-readable code.
    pub code: strongroom_ops::ErrorKind,
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub remedy: Option<String>,
    /// After a refused PIN: what the token says about the tries left.
    pub pin: Option<strongroom_ops::PinFlags>,
    /// When an output file was not replaced: its path. The page asks the person, then calls
    /// again with `overwrite: true`.
    pub exists: Option<String>,
}

impl From<OpsError> for IpcError {
    fn from(e: OpsError) -> Self {
        IpcError {
            code: e.kind(),
            message: e.to_string(),
            remedy: e.remedy().map(|r| crate::remedy::words(&r)),
            pin: e.pin_flags(),
            exists: e.existing_output().map(|p| p.display().to_string()),
        }
    }
}

impl IpcError {
    /// A failure of the app itself (a worker panicked, a lock was poisoned).
    pub fn internal(what: impl std::fmt::Display) -> Self {
        IpcError {
            code: strongroom_ops::ErrorKind::Internal,
            message: format!("internal error: {what}"),
            remedy: Some("restart Strongroom; nothing was written by the failed step".into()),
            pin: None,
            exists: None,
        }
    }

    pub fn usage(message: impl Into<String>, remedy: impl Into<String>) -> Self {
        IpcError {
            code: strongroom_ops::ErrorKind::Usage,
            message: message.into(),
            remedy: Some(remedy.into()),
            pin: None,
            exists: None,
        }
    }
}

/// Progress of long work, sent over the command's `Channel`.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ProgressEvent {
    HashStart {
        files: u64,
        total_bytes: u64,
    },
    /// Bytes hashed since the previous event (events are at most ~20 per second).
    Hashed {
        bytes: u64,
    },
    HashFileDone {
        path: String,
    },
    HashFinish,
    Items {
        what: String,
        done: u64,
        total: u64,
    },
    ItemsFinish,
    /// Something the person should know before the work goes on.
    Notice {
        message: String,
    },
}

/// Minimum spacing of `Hashed` events: the page redraws its bar no more often than this.
const HASHED_EVERY: Duration = Duration::from_millis(50);

/// The app's side of [`Callbacks`]: progress to a `Channel`, and the secret the web view sent
/// with this call (it is dropped, and zeroized, when the command ends).
pub struct Gui {
    channel: Option<Channel<ProgressEvent>>,
    secret: Option<SecretString>,
    /// For a call that unlocks one key and makes another (rotation): the new key's passphrase.
    new_secret: Option<SecretString>,
    /// For a call that needs a token PIN and a key passphrase (a ceremony): the token's PINs.
    pin: Option<SecretString>,
    so_pin: Option<SecretString>,
    pending: Mutex<(u64, Instant)>,
}

impl Gui {
    pub fn new(channel: Option<Channel<ProgressEvent>>, secret: Option<SecretString>) -> Self {
        Gui {
            channel,
            secret,
            new_secret: None,
            pin: None,
            so_pin: None,
            pending: Mutex::new((0, Instant::now())),
        }
    }

    /// Gives a new software key its own passphrase, apart from the secret that unlocks the old
    /// key; without this, the one secret answers every request.
    pub fn with_new_secret(mut self, secret: Option<SecretString>) -> Self {
        self.new_secret = secret;
        self
    }

    /// Gives token PINs their own sources, apart from the key passphrase in `secret`: the
    /// user PIN for `TokenPin`, the security officer's for `SoPin` and `NewSoPin`.
    pub fn with_token_pins(
        mut self,
        pin: Option<SecretString>,
        so_pin: Option<SecretString>,
    ) -> Self {
        self.pin = pin;
        self.so_pin = so_pin;
        self
    }

    fn send(&self, event: ProgressEvent) {
        if let Some(c) = &self.channel {
            // The window may have gone; the work goes on regardless.
            let _ = c.send(event);
        }
    }

    fn flush_hashed(&self) {
        let bytes = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut p.0)
        };
        if bytes > 0 {
            self.send(ProgressEvent::Hashed { bytes });
        }
    }
}

impl Callbacks for Gui {
    fn secret(&self, request: &SecretRequest) -> Option<SecretString> {
        // The dialog asked for the secrets this call needs before the call was made.
        match request {
            SecretRequest::NewKeyPassphrase { .. } | SecretRequest::NewTokenPin { .. }
                if self.new_secret.is_some() =>
            {
                self.new_secret.clone()
            }
            SecretRequest::TokenPin { .. } if self.pin.is_some() => self.pin.clone(),
            SecretRequest::SoPin { .. } | SecretRequest::NewSoPin { .. }
                if self.so_pin.is_some() =>
            {
                self.so_pin.clone()
            }
            _ => self.secret.clone(),
        }
    }

    fn progress(&self, event: Progress) {
        let event = match event {
            Progress::HashStart { files, total_bytes } => ProgressEvent::HashStart {
                files: files as u64,
                total_bytes,
            },
            Progress::Hashed { bytes } => {
                let due = {
                    let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                    p.0 += bytes;
                    if p.1.elapsed() >= HASHED_EVERY {
                        p.1 = Instant::now();
                        Some(std::mem::take(&mut p.0))
                    } else {
                        None
                    }
                };
                match due {
                    Some(bytes) => ProgressEvent::Hashed { bytes },
                    None => return,
                }
            }
            Progress::HashFileDone { path } => {
                self.flush_hashed();
                ProgressEvent::HashFileDone {
                    path: path.display().to_string(),
                }
            }
            Progress::HashFinish => {
                self.flush_hashed();
                ProgressEvent::HashFinish
            }
            Progress::Items { what, done, total } => ProgressEvent::Items { what, done, total },
            Progress::ItemsFinish => ProgressEvent::ItemsFinish,
        };
        self.send(event);
    }

    fn notice(&self, message: &str) {
        self.send(ProgressEvent::Notice {
            message: message.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn a_rotation_gets_the_old_and_the_new_secret_apart() {
        use secrecy::ExposeSecret;
        let gui = Gui::new(None, Some("old-pin".into())).with_new_secret(Some("new-pass".into()));
        let ask = |r: SecretRequest| gui.secret(&r).unwrap().expose_secret().to_owned();
        assert_eq!(
            ask(SecretRequest::TokenPin { token: "t".into() }),
            "old-pin"
        );
        assert_eq!(
            ask(SecretRequest::KeyPassphrase { label: "k".into() }),
            "old-pin"
        );
        assert_eq!(
            ask(SecretRequest::NewKeyPassphrase { label: "n".into() }),
            "new-pass"
        );
        // Without a separate one, a new key takes the one secret (plain key generation).
        let gui = Gui::new(None, Some("only".into()));
        let got = gui.secret(&SecretRequest::NewKeyPassphrase { label: "n".into() });
        assert_eq!(got.unwrap().expose_secret(), "only");
    }

    #[test]
    fn errors_keep_their_kind_and_remedy() {
        let e = IpcError::from(OpsError::MissingFile("/no/such".into()));
        assert_eq!(e.code, strongroom_ops::ErrorKind::NotFound);
        assert_eq!(e.message, "/no/such: no such file");
        assert!(e.remedy.unwrap().contains("check the path"));
        assert!(e.pin.is_none());
    }

    #[test]
    fn remedies_are_in_the_apps_words() {
        let e = IpcError::from(OpsError::OutputExists("/media/usb/r.zip".into()));
        assert_eq!(e.code, strongroom_ops::ErrorKind::Usage);
        let remedy = e.remedy.unwrap();
        assert!(
            remedy.contains("choose another file name or folder"),
            "{remedy}"
        );
        assert!(!remedy.contains("--force"), "{remedy}");
    }

    #[test]
    fn a_refused_pin_carries_the_tokens_flags() {
        let flags = strongroom_ops::PinFlags {
            count_low: true,
            final_try: true,
            ..Default::default()
        };
        let e = IpcError::from(OpsError::Hsm(strongroom_hsm_error(flags)));
        assert_eq!(e.code, strongroom_ops::ErrorKind::Auth);
        let pin = e.pin.expect("pin flags");
        assert!(pin.final_try && pin.count_low && !pin.locked);
        let json = serde_json::to_value(IpcError::from(OpsError::Hsm(strongroom_hsm_error(flags))))
            .unwrap();
        assert_eq!(json["pin"]["final_try"], true);
    }

    fn strongroom_hsm_error(flags: strongroom_ops::PinFlags) -> strongroom_ops::HsmError {
        strongroom_ops::HsmError::PinIncorrect { flags }
    }

    #[test]
    fn hashing_progress_is_batched_but_no_byte_is_lost() {
        let seen: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let sink = seen.clone();
        let channel = Channel::new(move |body| {
            if let tauri::ipc::InvokeResponseBody::Json(s) = body {
                sink.lock().unwrap().push(serde_json::from_str(&s).unwrap());
            }
            Ok(())
        });
        let gui = Gui::new(Some(channel), None);
        gui.progress(Progress::HashStart {
            files: 1,
            total_bytes: 10_000 * 4096,
        });
        for _ in 0..10_000 {
            gui.progress(Progress::Hashed { bytes: 4096 });
        }
        gui.progress(Progress::HashFinish);
        let seen = seen.lock().unwrap();
        let hashed: Vec<u64> = seen
            .iter()
            .filter(|e| e["kind"] == "hashed")
            .map(|e| e["bytes"].as_u64().unwrap())
            .collect();
        assert!(
            hashed.len() < 100,
            "{} events for 10,000 reports",
            hashed.len()
        );
        assert_eq!(hashed.iter().sum::<u64>(), 10_000 * 4096);
        assert_eq!(seen.last().unwrap()["kind"], "hash_finish");
    }

    #[test]
    fn the_secret_is_handed_to_every_request_of_the_call() {
        use secrecy::ExposeSecret;
        let gui = Gui::new(None, Some(SecretString::from("123456")));
        for r in [
            SecretRequest::TokenPin { token: "t".into() },
            SecretRequest::KeyPassphrase { label: "k".into() },
        ] {
            assert_eq!(gui.secret(&r).unwrap().expose_secret(), "123456");
        }
        assert!(Gui::new(None, None)
            .secret(&SecretRequest::TokenPin { token: "t".into() })
            .is_none());
    }
}
