//! Token administration, the security team's PIN work: initialise a token in a free slot (its
//! security officer's PIN, then its user PIN), change the user PIN, and unlock a locked user PIN
//! with the security officer's PIN. Each act opens its own short session and logs out; no PIN
//! is kept. A token that is already initialised is never initialised again here: that would
//! destroy its keys, and it stays a vendor tool's act.

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use secrecy::SecretString;

use crate::error::HsmError;
use crate::module::Module;
use crate::token::{self, TokenInfo, TokenSelector};

/// Longest token label PKCS#11 holds (`CK_TOKEN_INFO.label` is 32 bytes, blank padded).
const MAX_TOKEN_LABEL: usize = 32;

impl Module {
    /// The slots whose token is present but not initialised yet, by slot id.
    pub fn free_slots(&self) -> Result<Vec<u64>, HsmError> {
        let ctx = self.ctx();
        let mut free = Vec::new();
        for slot in ctx.get_slots_with_token()? {
            if !ctx.get_token_info(slot)?.token_initialized() {
                free.push(slot.id());
            }
        }
        Ok(free)
    }

    /// Initialises the token in `slot` (else the first free slot) as `label`, with `so_pin`
    /// for its security officer, then sets its user PIN to `user_pin`. Refuses a slot whose
    /// token is already initialised.
    pub fn init_token(
        &self,
        slot: Option<u64>,
        label: &str,
        so_pin: &SecretString,
        user_pin: &SecretString,
    ) -> Result<TokenInfo, HsmError> {
        if label.trim().is_empty()
            || label.len() > MAX_TOKEN_LABEL
            || label.chars().any(char::is_control)
        {
            return Err(HsmError::InvalidTokenLabel {
                label: label.to_owned(),
            });
        }
        let ctx = self.ctx();
        let labels_now: Vec<String> = token::list_tokens(ctx)?
            .into_iter()
            .map(|t| t.label)
            .collect();
        if labels_now.iter().any(|l| l == label) {
            return Err(HsmError::LabelInUse {
                label: label.to_owned(),
            });
        }
        let free = self.free_slots()?;
        let id = match slot {
            Some(s) if free.contains(&s) => s,
            Some(s) => return Err(HsmError::SlotNotFree { slot: s, free }),
            None => *free.first().ok_or(HsmError::SlotNotFree {
                slot: u64::MAX,
                free: Vec::new(),
            })?,
        };
        let slot = Slot::try_from(id).map_err(HsmError::from_ck)?;
        ctx.init_token(slot, so_pin, label)
            .map_err(HsmError::from_ck)?;
        let session = ctx.open_rw_session(slot)?;
        so_login(&session, so_pin)?;
        let set = session.init_pin(user_pin).map_err(HsmError::from_ck);
        let _ = session.logout();
        set?;
        token::token_info(ctx, slot)
    }

    /// Changes the user PIN of `token` from `old` to `new` (logged in as its user).
    pub fn change_user_pin(
        &self,
        token: &TokenSelector,
        old: &SecretString,
        new: &SecretString,
    ) -> Result<(), HsmError> {
        let (slot, session) = self.rw_session(token)?;
        self.user_login(slot, &session, old)?;
        let set = session.set_pin(old, new).map_err(HsmError::from_ck);
        let _ = session.logout();
        set
    }

    /// Sets a new user PIN on `token` as its security officer: the way to unlock a user PIN
    /// locked by wrong tries, or one forgotten.
    pub fn unlock_user_pin(
        &self,
        token: &TokenSelector,
        so_pin: &SecretString,
        new: &SecretString,
    ) -> Result<(), HsmError> {
        let (_, session) = self.rw_session(token)?;
        so_login(&session, so_pin)?;
        let set = session.init_pin(new).map_err(HsmError::from_ck);
        let _ = session.logout();
        set
    }

    /// Logs in as the token's user; a wrong PIN reports the tries left.
    pub(crate) fn user_login(
        &self,
        slot: Slot,
        session: &Session,
        pin: &SecretString,
    ) -> Result<(), HsmError> {
        match session.login(UserType::User, Some(pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
                let flags = token::read_pin_flags(self.ctx(), slot)?;
                Err(if flags.locked {
                    HsmError::PinLocked
                } else {
                    HsmError::PinIncorrect { flags }
                })
            }
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(HsmError::PinLocked),
            Err(e) => Err(HsmError::from_ck(e)),
        }
    }

    pub(crate) fn rw_session(&self, token: &TokenSelector) -> Result<(Slot, Session), HsmError> {
        let info = self.find_token(token)?;
        let slot = Slot::try_from(info.slot_id).map_err(HsmError::from_ck)?;
        Ok((slot, self.ctx().open_rw_session(slot)?))
    }
}

/// Logs in as the token's security officer.
pub(crate) fn so_login(session: &Session, so_pin: &SecretString) -> Result<(), HsmError> {
    match session.login(UserType::So, Some(so_pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => Err(HsmError::SoPinIncorrect),
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(HsmError::SoPinLocked),
        Err(e) => Err(HsmError::from_ck(e)),
    }
}
