//! The crate's one error type, and the mapping from PKCS#11 return values to it.

use std::fmt;
use std::path::PathBuf;

use cryptoki::context::Function;
use cryptoki::error::{Error as CkError, RvError};

use crate::pin::PinError;
use crate::token::PinFlags;
use crate::uri::UriError;

/// Everything that can go wrong between Strongroom and a PKCS#11 token.
///
/// PKCS#11 failures carry the return value's spec name (`CKR_…`) and the function that returned it,
/// so a user can look them up in the token vendor's documentation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HsmError {
    #[error(
        "the PKCS#11 module {} is not on the module allowlist{}; allowed: {}",
        path.display(),
        if path.exists() { "" } else { " (and it does not exist)" },
        display_paths(allowed)
    )]
    ModuleNotAllowed {
        path: PathBuf,
        allowed: Vec<PathBuf>,
    },

    #[error("{} is not a PKCS#11 module: {reason}", path.display())]
    NotAModule {
        path: PathBuf,
        reason: crate::elf::NotAModule,
    },

    #[error("could not load the PKCS#11 module {}: {detail}", path.display())]
    ModuleLoad { path: PathBuf, detail: String },

    #[error(
        "no token {wanted} is present{}; tokens found: {}",
        suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default(),
        display_list(available)
    )]
    TokenNotFound {
        wanted: String,
        available: Vec<String>,
        /// The label present that the wanted one most likely mistypes.
        suggestion: Option<String>,
    },

    #[error("{count} tokens match {wanted}; select one by serial number")]
    AmbiguousToken { wanted: String, count: usize },

    #[error("the URI names token {uri_token:?} but this session is on token {session_token:?}")]
    TokenMismatch {
        uri_token: String,
        session_token: String,
    },

    #[error("PIN incorrect; {flags}")]
    PinIncorrect { flags: PinFlags },

    #[error("the user PIN of this token is locked; ask the token's security officer to unlock it")]
    PinLocked,

    #[error("the security officer's PIN is incorrect")]
    SoPinIncorrect,

    #[error("the security officer's PIN of this token is locked; only the token's vendor tools can reset it now")]
    SoPinLocked,

    #[error("the token label {label:?} is not usable: give 1 to 32 bytes of text")]
    InvalidTokenLabel { label: String },

    #[error("{}", slot_not_free(*slot, free))]
    SlotNotFree { slot: u64, free: Vec<u64> },

    #[error(transparent)]
    Pin(#[from] PinError),

    #[error(transparent)]
    Uri(#[from] UriError),

    #[error("the key label {label:?} is not usable: give 1 to 255 bytes of text")]
    InvalidLabel { label: String },

    #[error("the label {label:?} is already used by an object on this token; choose another")]
    LabelInUse { label: String },

    #[error("no private key on the token matches {wanted}")]
    KeyNotFound { wanted: String },

    #[error(
        "{} private keys on the token match {wanted}: {}; use a URI with the key's id",
        matches.len(),
        matches.join(", ")
    )]
    AmbiguousKey {
        wanted: String,
        matches: Vec<String>,
    },

    #[error("the token does not offer {mechanism}, which {alg} keys need")]
    MechanismUnsupported { alg: String, mechanism: String },

    #[error("key {label:?} cannot be used: {reason}")]
    UnsupportedKey { label: String, reason: String },

    #[error(
        "the token did not honour the key template for {label:?} ({attributes:?}); the key was deleted"
    )]
    TemplateNotHonoured {
        label: String,
        attributes: crate::keys::KeyAttributes,
    },

    #[error("this token cannot wrap {alg} private keys ({detail}), so a backup-able {alg} key cannot be made on it; make a never-extractable key, or use another algorithm (SoftHSM 2.6 cannot wrap Ed25519)")]
    NotWrappable { alg: String, detail: String },

    #[error("{key} cannot be backed up: it was generated {protection}; only keys generated backup-able (`key generate --backupable`) can be")]
    NotBackupable { key: String, protection: String },

    #[error("the token already holds an object with the label or CKA_ID of {key}; restore into a fresh token, or remove that object")]
    RestoreTargetTaken { key: String },

    #[error("the restored key is not the backed-up key ({reason}); it was deleted from the token")]
    RestoredKeyMismatch { reason: String },

    #[error("the token returned a signature that does not verify ({detail}); it may be faulty")]
    BadSignature { detail: String },

    #[error("the token was removed or its session closed ({rv} in {function}); insert it and open a new session")]
    TokenRemoved { rv: String, function: String },

    #[error("the token reported a device failure ({rv} in {function})")]
    Device { rv: String, function: String },

    #[error("PKCS#11 call {function} failed with {rv}")]
    Pkcs11 { rv: String, function: String },

    #[error("the token session has ended")]
    SessionClosed,
}

fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        "none".into()
    } else {
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `SlotNotFree`'s words; `u64::MAX` for "no slot was named".
fn slot_not_free(slot: u64, free: &[u64]) -> String {
    let free = if free.is_empty() {
        "none".to_owned()
    } else {
        free.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if slot == u64::MAX {
        format!("no slot holds an uninitialised token (free slots: {free})")
    } else {
        format!("slot {slot} holds no uninitialised token (free slots: {free})")
    }
}

fn display_list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The spec name of a PKCS#11 return value, e.g. `CKR_PIN_INCORRECT`.
pub(crate) fn rv_name(rv: &RvError) -> String {
    match rv {
        RvError::VendorDefined(code) => format!("CKR_VENDOR_DEFINED(0x{code:x})"),
        RvError::UnknownErrorCode(code) => format!("CKR_UNKNOWN(0x{code:x})"),
        other => {
            // The variants are the spec names in CamelCase: PinIncorrect -> CKR_PIN_INCORRECT.
            let camel = format!("{other:?}");
            let mut out = String::from("CKR");
            for c in camel.chars() {
                if c.is_ascii_uppercase() {
                    out.push('_');
                }
                out.push(c.to_ascii_uppercase());
            }
            out
        }
    }
}

fn function_name(f: &Function) -> String {
    format!("C_{f:?}")
}

impl HsmError {
    /// Maps a cryptoki error to the typed variant a caller can act on.
    pub(crate) fn from_ck(err: CkError) -> Self {
        match err {
            CkError::Pkcs11(rv, function) => {
                let (rv_s, function) = (rv_name(&rv), function_name(&function));
                match rv {
                    RvError::PinLocked => HsmError::PinLocked,
                    RvError::TokenNotPresent
                    | RvError::DeviceRemoved
                    | RvError::SessionHandleInvalid
                    | RvError::SessionClosed
                    | RvError::TokenNotRecognized => HsmError::TokenRemoved { rv: rv_s, function },
                    RvError::DeviceError
                    | RvError::DeviceMemory
                    | RvError::GeneralError
                    | RvError::FunctionFailed => HsmError::Device { rv: rv_s, function },
                    _ => HsmError::Pkcs11 { rv: rv_s, function },
                }
            }
            other => HsmError::Pkcs11 {
                rv: other.to_string(),
                function: "cryptoki".into(),
            },
        }
    }

    /// True when the token has gone away and a new session is needed.
    pub fn is_token_removed(&self) -> bool {
        matches!(self, HsmError::TokenRemoved { .. })
    }
}

impl From<CkError> for HsmError {
    fn from(err: CkError) -> Self {
        HsmError::from_ck(err)
    }
}

/// Short form used in lists: `label (id 0a1b…)`.
pub(crate) fn describe_object(label: &str, id: &[u8]) -> String {
    format!("{label:?} (id {})", hex::encode(id))
}

impl fmt::Display for PinFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.locked {
            f.write_str("the token reports the PIN is now locked")
        } else if self.final_try {
            f.write_str("the token reports ONE try left before the PIN locks")
        } else if self.count_low {
            f.write_str("the token reports few tries left before the PIN locks")
        } else {
            f.write_str("the token gives no warning about remaining tries")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rv_names_follow_the_spec() {
        assert_eq!(rv_name(&RvError::PinIncorrect), "CKR_PIN_INCORRECT");
        assert_eq!(rv_name(&RvError::TokenNotPresent), "CKR_TOKEN_NOT_PRESENT");
        assert_eq!(
            rv_name(&RvError::UserAlreadyLoggedIn),
            "CKR_USER_ALREADY_LOGGED_IN"
        );
        assert_eq!(
            rv_name(&RvError::VendorDefined(0x8000_0001)),
            "CKR_VENDOR_DEFINED(0x80000001)"
        );
    }

    #[test]
    fn removal_and_lock_map_to_their_variants() {
        let e = HsmError::from_ck(CkError::Pkcs11(RvError::DeviceRemoved, Function::Sign));
        assert!(e.is_token_removed());
        assert!(
            e.to_string().contains("CKR_DEVICE_REMOVED in C_Sign"),
            "{e}"
        );
        let e = HsmError::from_ck(CkError::Pkcs11(RvError::PinLocked, Function::Login));
        assert!(matches!(e, HsmError::PinLocked));
    }

    #[test]
    fn pin_incorrect_message_reports_the_flags() {
        let e = HsmError::PinIncorrect {
            flags: PinFlags {
                final_try: true,
                ..PinFlags::default()
            },
        };
        let s = e.to_string();
        assert!(
            s.contains("PIN incorrect") && s.contains("ONE try left"),
            "{s}"
        );
    }
}
