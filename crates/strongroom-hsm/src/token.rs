//! Tokens: what a slot's token reports about itself (labels, PIN flags, the mechanisms Strongroom
//! uses), and finding a token by label or serial, never by slot number.

use std::fmt;

use cryptoki::context::Pkcs11;
use cryptoki::mechanism::MechanismType;
use cryptoki::slot::Slot;
use serde::Serialize;
use strongroom_core::Algorithm;

use crate::error::HsmError;
use crate::uri::Pkcs11Uri;

/// The mechanisms Strongroom can use, by their spec names without the `CKM_` prefix.
const USABLE_MECHANISMS: [(MechanismType, &str); 12] = [
    (
        MechanismType::ECC_EDWARDS_KEY_PAIR_GEN,
        "EC_EDWARDS_KEY_PAIR_GEN",
    ),
    (MechanismType::EDDSA, "EDDSA"),
    (MechanismType::ECC_KEY_PAIR_GEN, "EC_KEY_PAIR_GEN"),
    (MechanismType::ECDSA, "ECDSA"),
    (MechanismType::ECDSA_SHA256, "ECDSA_SHA256"),
    (MechanismType::ECDSA_SHA384, "ECDSA_SHA384"),
    (
        MechanismType::RSA_PKCS_KEY_PAIR_GEN,
        "RSA_PKCS_KEY_PAIR_GEN",
    ),
    (MechanismType::RSA_PKCS_PSS, "RSA_PKCS_PSS"),
    (MechanismType::RSA_PKCS, "RSA_PKCS"),
    (MechanismType::SHA256_RSA_PKCS_PSS, "SHA256_RSA_PKCS_PSS"),
    (MechanismType::SHA256_RSA_PKCS, "SHA256_RSA_PKCS"),
    // Key backups (RFC 5649 key wrap with padding).
    (MechanismType::AES_KEY_WRAP_PAD, "AES_KEY_WRAP_PAD"),
];

/// What the token says about its user PIN (`CKF_USER_PIN_*` flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PinFlags {
    /// At least one wrong PIN was entered since the last success (`CKF_USER_PIN_COUNT_LOW`).
    pub count_low: bool,
    /// One more wrong PIN locks the token (`CKF_USER_PIN_FINAL_TRY`).
    pub final_try: bool,
    /// The PIN is locked (`CKF_USER_PIN_LOCKED`).
    pub locked: bool,
    /// The PIN must be changed before use (`CKF_USER_PIN_TO_BE_CHANGED`).
    pub to_be_changed: bool,
}

/// One token, as listed for a person choosing where to keep a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TokenInfo {
    /// Informational only: slot ids change between runs. Select tokens by label or serial.
    pub slot_id: u64,
    pub label: String,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub login_required: bool,
    pub user_pin_initialized: bool,
    /// The PIN is entered on the device (PIN pad), not given by us.
    pub protected_authentication_path: bool,
    pub user_pin: PinFlags,
    /// Which of the mechanisms Strongroom uses the token offers, e.g. `EDDSA`, `ECDSA`.
    pub mechanisms: Vec<String>,
    /// The key algorithms Strongroom can generate and sign with on this token, e.g. `ed25519`.
    #[cfg_attr(
        feature = "ts",
        ts(type = r#"Array<"ed25519" | "ecdsa-p256" | "ecdsa-p384" | `rsa-${number}`>"#)
    )]
    pub algorithms: Vec<strongroom_core::Algorithm>,
}

impl TokenInfo {
    pub fn supports(&self, mechanism: &str) -> bool {
        self.mechanisms.iter().any(|m| m == mechanism)
    }
}

/// Which token to use. Every field that is set must match; slot ids are only honoured when a
/// URI names one explicitly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenSelector {
    pub label: Option<String>,
    pub serial: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub slot_id: Option<u64>,
}

impl TokenSelector {
    pub fn label(label: impl Into<String>) -> Self {
        TokenSelector {
            label: Some(label.into()),
            ..Self::default()
        }
    }

    pub fn serial(serial: impl Into<String>) -> Self {
        TokenSelector {
            serial: Some(serial.into()),
            ..Self::default()
        }
    }

    /// The token attributes of a PKCS#11 URI (`token`, `serial`, `manufacturer`, `model`,
    /// `slot-id`).
    pub fn from_uri(uri: &Pkcs11Uri) -> Self {
        TokenSelector {
            label: uri.token.clone(),
            serial: uri.serial.clone(),
            manufacturer: uri.manufacturer.clone(),
            model: uri.model.clone(),
            slot_id: uri.slot_id,
        }
    }

    pub fn matches(&self, t: &TokenInfo) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        eq(&self.label, &t.label)
            && eq(&self.serial, &t.serial)
            && eq(&self.manufacturer, &t.manufacturer)
            && eq(&self.model, &t.model)
            && self.slot_id.is_none_or(|s| s == t.slot_id)
    }
}

impl TokenSelector {
    /// The error for a selector no token in `available` (their labels) matches, with the
    /// nearest label when the selector's label looks mistyped.
    pub fn not_found(&self, available: Vec<String>) -> HsmError {
        let suggestion = self
            .label
            .as_deref()
            .and_then(|l| strongroom_core::names::did_you_mean(l, &available));
        HsmError::TokenNotFound {
            wanted: self.to_string(),
            available,
            suggestion,
        }
    }
}

impl fmt::Display for TokenSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(l) = &self.label {
            parts.push(format!("label {l:?}"));
        }
        if let Some(s) = &self.serial {
            parts.push(format!("serial {s:?}"));
        }
        if let Some(m) = &self.manufacturer {
            parts.push(format!("manufacturer {m:?}"));
        }
        if let Some(m) = &self.model {
            parts.push(format!("model {m:?}"));
        }
        if let Some(s) = self.slot_id {
            parts.push(format!("slot-id {s}"));
        }
        if parts.is_empty() {
            f.write_str("(any token)")
        } else {
            write!(f, "with {}", parts.join(", "))
        }
    }
}

pub(crate) fn read_pin_flags(ctx: &Pkcs11, slot: Slot) -> Result<PinFlags, HsmError> {
    let t = ctx.get_token_info(slot)?;
    Ok(PinFlags {
        count_low: t.user_pin_count_low(),
        final_try: t.user_pin_final_try(),
        locked: t.user_pin_locked(),
        to_be_changed: t.user_pin_to_be_changed(),
    })
}

pub(crate) fn token_info(ctx: &Pkcs11, slot: Slot) -> Result<TokenInfo, HsmError> {
    let t = ctx.get_token_info(slot)?;
    let offered = ctx.get_mechanism_list(slot)?;
    let mechanisms: Vec<String> = USABLE_MECHANISMS
        .iter()
        .filter(|(m, _)| offered.contains(m))
        .map(|(_, name)| (*name).to_owned())
        .collect();
    let has = |m: &str| mechanisms.iter().any(|x| x == m);
    let mut algorithms = Vec::new();
    if has("EC_EDWARDS_KEY_PAIR_GEN") && has("EDDSA") {
        algorithms.push(Algorithm::Ed25519);
    }
    if has("EC_KEY_PAIR_GEN") && has("ECDSA") {
        algorithms.extend([Algorithm::EcdsaP256, Algorithm::EcdsaP384]);
    }
    if has("RSA_PKCS_KEY_PAIR_GEN") && has("RSA_PKCS_PSS") {
        algorithms.extend([Algorithm::Rsa(3072), Algorithm::Rsa(4096)]);
    }
    Ok(TokenInfo {
        slot_id: slot.id(),
        label: t.label().to_owned(),
        manufacturer: t.manufacturer_id().to_owned(),
        model: t.model().to_owned(),
        serial: t.serial_number().to_owned(),
        login_required: t.login_required(),
        user_pin_initialized: t.user_pin_initialized(),
        protected_authentication_path: t.protected_authentication_path(),
        user_pin: PinFlags {
            count_low: t.user_pin_count_low(),
            final_try: t.user_pin_final_try(),
            locked: t.user_pin_locked(),
            to_be_changed: t.user_pin_to_be_changed(),
        },
        mechanisms,
        algorithms,
    })
}

/// Every initialised token the module can see.
pub(crate) fn list_tokens(ctx: &Pkcs11) -> Result<Vec<TokenInfo>, HsmError> {
    ctx.get_slots_with_initialized_token()?
        .into_iter()
        .map(|slot| token_info(ctx, slot))
        .collect()
}

/// The one token matching `selector`.
pub(crate) fn find_token(ctx: &Pkcs11, selector: &TokenSelector) -> Result<TokenInfo, HsmError> {
    let tokens = list_tokens(ctx)?;
    let mut matching: Vec<&TokenInfo> = tokens.iter().filter(|t| selector.matches(t)).collect();
    match matching.len() {
        0 => {
            let available: Vec<String> = tokens.iter().map(|t| t.label.clone()).collect();
            Err(selector.not_found(available))
        }
        1 => Ok(matching.remove(0).clone()),
        count => Err(HsmError::AmbiguousToken {
            wanted: selector.to_string(),
            count,
        }),
    }
}
