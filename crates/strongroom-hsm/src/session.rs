//! A logged-in token session owned by one worker thread; the rest of the program talks to it
//! through a channel.
//!
//! Architecture invariant: a `cryptoki::Session` never leaves the thread that opened it (it is
//! Send but not Sync, and PKCS#11 sessions are not meant to be shared). [`TokenSession`] is the
//! handle: Send + Sync, so a GUI thread can hold it in an `Arc` and ask for signatures without
//! blocking on the token. Each request carries its own reply channel.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::ObjectHandle;
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use secrecy::SecretString;
use strongroom_core::Algorithm;

use crate::error::HsmError;
use crate::keys::{self, KeyAttributes, KeyListing, KeyProtection, KeySelector, TokenKey};
use crate::module::ModuleRef;
use crate::policy::ModulePolicy;
use crate::token::{self, TokenInfo, TokenSelector};

#[cfg(any(test, feature = "test-support"))]
pub(crate) static LOGIN_ATTEMPTS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// The signing mechanisms the worker runs. Inputs are prepared by [`crate::HsmSigner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignMechanism {
    /// `CKM_EDDSA`, pure Ed25519 over the message.
    Eddsa,
    /// `CKM_ECDSA` over a digest; raw `r || s` out.
    Ecdsa,
    /// `CKM_RSA_PKCS_PSS` over a SHA-256 digest, MGF1-SHA256, 32-byte salt.
    RsaPssSha256,
    /// `CKM_RSA_PKCS` over a DER DigestInfo.
    RsaPkcs1,
}

impl SignMechanism {
    fn mechanism(self) -> Mechanism<'static> {
        match self {
            SignMechanism::Eddsa => Mechanism::Eddsa(cryptoki::mechanism::eddsa::EddsaParams::new(
                cryptoki::mechanism::eddsa::EddsaSignatureScheme::Pure,
            )),
            SignMechanism::Ecdsa => Mechanism::Ecdsa,
            SignMechanism::RsaPssSha256 => Mechanism::RsaPkcsPss(PkcsPssParams {
                hash_alg: MechanismType::SHA256,
                mgf: PkcsMgfType::MGF1_SHA256,
                s_len: 32u64.into(),
            }),
            SignMechanism::RsaPkcs1 => Mechanism::RsaPkcs,
        }
    }
}

type Reply<T> = SyncSender<Result<T, HsmError>>;

enum Request {
    Generate {
        alg: Algorithm,
        label: String,
        protection: KeyProtection,
        reply: Reply<TokenKey>,
    },
    Find {
        selector: KeySelector,
        reply: Reply<TokenKey>,
    },
    List {
        reply: Reply<KeyListing>,
    },
    Attributes {
        key: KeySelector,
        reply: Reply<KeyAttributes>,
    },
    PrivateValueExposed {
        key: KeySelector,
        reply: Reply<bool>,
    },
    TokenInfo {
        reply: Reply<TokenInfo>,
    },
    Sign {
        key: KeySelector,
        mechanism: SignMechanism,
        inputs: Vec<Vec<u8>>,
        reply: Reply<Vec<Vec<u8>>>,
    },
}

/// A logged-in R/W session on one token, served by its own thread. Dropping it ends the thread,
/// which logs out (if it was our last session on the token), closes the session, and finalises
/// the module if nothing else uses it.
///
/// Login is per application in PKCS#11: open one `TokenSession` per token and share it
/// (`Arc<TokenSession>`); a second one on the same token does not check its PIN again if the
/// first is still logged in.
pub struct TokenSession {
    tx: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
    token: TokenInfo,
    module_path: PathBuf,
}

impl fmt::Debug for TokenSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSession")
            .field("token", &self.token.label)
            .field("serial", &self.token.serial)
            .field("module", &self.module_path)
            .finish()
    }
}

impl TokenSession {
    /// Checks the module against `policy` (before loading it), then starts the worker thread, which
    /// loads the module, finds the token, opens a R/W session and logs in as User exactly once.
    ///
    /// A wrong PIN gives [`HsmError::PinIncorrect`] with the token's flags read after the failure;
    /// a locked PIN gives [`HsmError::PinLocked`]. Nothing is retried.
    pub fn open(
        module_path: &Path,
        policy: &ModulePolicy,
        token: &TokenSelector,
        pin: SecretString,
    ) -> Result<TokenSession, HsmError> {
        let canonical = policy.check(module_path)?;
        let (tx, rx) = mpsc::channel::<Request>();
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<TokenInfo, HsmError>>(1);
        let selector = token.clone();
        let path = canonical.clone();
        let thread = std::thread::Builder::new()
            .name("pkcs11-session".into())
            .spawn(move || worker(path, selector, pin, ready_tx, rx))
            .map_err(|e| HsmError::ModuleLoad {
                path: canonical.clone(),
                detail: format!("cannot start the session thread: {e}"),
            })?;
        match ready_rx.recv() {
            Ok(Ok(info)) => Ok(TokenSession {
                tx: Some(tx),
                thread: Some(thread),
                token: info,
                module_path: canonical,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(HsmError::SessionClosed)
            }
        }
    }

    /// The token as it was when the session opened.
    pub fn token(&self) -> &TokenInfo {
        &self.token
    }

    /// The canonical path of the module.
    pub fn module_path(&self) -> &Path {
        &self.module_path
    }

    fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, HsmError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.tx
            .as_ref()
            .ok_or(HsmError::SessionClosed)?
            .send(make(reply))
            .map_err(|_| HsmError::SessionClosed)?;
        answer.recv().map_err(|_| HsmError::SessionClosed)?
    }

    /// The token's current state (PIN flags change after failures).
    pub fn refresh_token_info(&self) -> Result<TokenInfo, HsmError> {
        self.call(|reply| Request::TokenInfo { reply })
    }

    /// Generates a key pair on the token (see `docs/hsm-recipe.md` for the templates). Refuses a
    /// label already used by any object on the token.
    pub fn generate_key(&self, alg: Algorithm, label: &str) -> Result<TokenKey, HsmError> {
        self.generate_key_with(alg, label, KeyProtection::NeverExtractable)
    }

    /// [`TokenSession::generate_key`] with the protection chosen: a backup-able key is made
    /// only after a throw-away key of its kind was wrapped on this token.
    pub fn generate_key_with(
        &self,
        alg: Algorithm,
        label: &str,
        protection: KeyProtection,
    ) -> Result<TokenKey, HsmError> {
        self.call(|reply| Request::Generate {
            alg,
            label: label.to_owned(),
            protection,
            reply,
        })
    }

    /// The one private key `selector` names: [`HsmError::KeyNotFound`] if none,
    /// [`HsmError::AmbiguousKey`] (naming each) if several.
    pub fn find_key(&self, selector: impl Into<KeySelector>) -> Result<TokenKey, HsmError> {
        let selector = selector.into();
        self.call(|reply| Request::Find { selector, reply })
    }

    /// Every private key on the token, including keys made by other tools (for adoption).
    pub fn list_keys(&self) -> Result<KeyListing, HsmError> {
        self.call(|reply| Request::List { reply })
    }

    /// Reads the key's protection attributes again.
    pub fn key_attributes(&self, key: &TokenKey) -> Result<KeyAttributes, HsmError> {
        let key = KeySelector::from(key);
        self.call(|reply| Request::Attributes { key, reply })
    }

    /// Asks the token for the key's secret value. `false` means the token refused (sensitive),
    /// which is what every key Strongroom uses must answer.
    pub fn private_value_exposed(&self, key: &TokenKey) -> Result<bool, HsmError> {
        let key = KeySelector::from(key);
        self.call(|reply| Request::PrivateValueExposed { key, reply })
    }

    /// Signs every input with one mechanism in one request (one channel round trip).
    pub(crate) fn sign_raw(
        &self,
        key: &TokenKey,
        mechanism: SignMechanism,
        inputs: Vec<Vec<u8>>,
    ) -> Result<Vec<Vec<u8>>, HsmError> {
        let key = KeySelector::from(key);
        self.call(|reply| Request::Sign {
            key,
            mechanism,
            inputs,
            reply,
        })
    }
}

impl Drop for TokenSession {
    fn drop(&mut self) {
        // Closing the channel ends the worker's loop; wait for it to log out and finalise.
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Logs in once. `CKR_USER_ALREADY_LOGGED_IN` counts as success (login is per application).
fn login(
    module: &ModuleRef,
    slot: Slot,
    session: &Session,
    pin: &SecretString,
) -> Result<(), HsmError> {
    #[cfg(any(test, feature = "test-support"))]
    LOGIN_ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    match session.login(UserType::User, Some(pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
            let flags = token::read_pin_flags(module.ctx(), slot)?;
            if flags.locked {
                Err(HsmError::PinLocked)
            } else {
                Err(HsmError::PinIncorrect { flags })
            }
        }
        Err(e) => Err(HsmError::from_ck(e)),
    }
}

struct Worker {
    module: ModuleRef,
    session: Session,
    token: TokenInfo,
    /// Private key handles by (label, id), so repeated signing skips C_FindObjects.
    handles: HashMap<(String, Vec<u8>), ObjectHandle>,
}

fn worker(
    path: PathBuf,
    selector: TokenSelector,
    pin: SecretString,
    ready: SyncSender<Result<TokenInfo, HsmError>>,
    rx: Receiver<Request>,
) {
    let setup = || -> Result<Worker, HsmError> {
        let module = ModuleRef::acquire_checked(path)?;
        let info = token::find_token(module.ctx(), &selector)?;
        if info.user_pin.locked {
            // Do not spend an attempt on a token that already says no.
            return Err(HsmError::PinLocked);
        }
        let slot = Slot::try_from(info.slot_id).map_err(HsmError::from_ck)?;
        let session = module.ctx().open_rw_session(slot)?;
        login(&module, slot, &session, &pin)?;
        module.note_login(info.slot_id);
        Ok(Worker {
            module,
            session,
            token: info,
            handles: HashMap::new(),
        })
    };
    let result = setup();
    drop(pin);
    let mut w = match result {
        Ok(w) => {
            let _ = ready.send(Ok(w.token.clone()));
            w
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    while let Ok(req) = rx.recv() {
        w.serve(req);
    }
    if w.module.note_logout(w.token.slot_id) {
        let _ = w.session.logout();
    }
    let Worker {
        module, session, ..
    } = w;
    let _ = session.close();
    drop(module);
}

impl Worker {
    fn serve(&mut self, req: Request) {
        // A closed reply channel means the caller gave up waiting; nothing to do about it.
        match req {
            Request::Generate {
                alg,
                label,
                protection,
                reply,
            } => {
                let _ = reply.send(keys::generate(
                    &self.session,
                    &self.token,
                    alg,
                    &label,
                    protection,
                ));
            }
            Request::Find { selector, reply } => {
                let _ = reply.send(keys::find(&self.session, &self.token, &selector));
            }
            Request::List { reply } => {
                let _ = reply.send(keys::list(&self.session, &self.token));
            }
            Request::Attributes { key, reply } => {
                let r = self
                    .handle(&key)
                    .and_then(|h| keys::read_attributes(&self.session, h));
                let _ = reply.send(r);
            }
            Request::PrivateValueExposed { key, reply } => {
                let r = self
                    .handle(&key)
                    .and_then(|h| keys::private_value_exposed(&self.session, h));
                let _ = reply.send(r);
            }
            Request::TokenInfo { reply } => {
                let r = Slot::try_from(self.token.slot_id)
                    .map_err(HsmError::from_ck)
                    .and_then(|slot| token::token_info(self.module.ctx(), slot));
                let _ = reply.send(r);
            }
            Request::Sign {
                key,
                mechanism,
                inputs,
                reply,
            } => {
                let _ = reply.send(self.sign(&key, mechanism, &inputs));
            }
        }
    }

    fn handle(&mut self, key: &KeySelector) -> Result<ObjectHandle, HsmError> {
        let cache_key = match key {
            KeySelector::Exact { label, id } => Some((label.clone(), id.clone())),
            _ => None,
        };
        if let Some(h) = cache_key.as_ref().and_then(|k| self.handles.get(k)) {
            return Ok(*h);
        }
        let h = keys::find_handle(&self.session, &self.token, key)?;
        if let Some(k) = cache_key {
            self.handles.insert(k, h);
        }
        Ok(h)
    }

    fn sign(
        &mut self,
        key: &KeySelector,
        mechanism: SignMechanism,
        inputs: &[Vec<u8>],
    ) -> Result<Vec<Vec<u8>>, HsmError> {
        let mut handle = self.handle(key)?;
        let mech = mechanism.mechanism();
        let mut out = Vec::with_capacity(inputs.len());
        for input in inputs {
            let sig = match self.session.sign(&mech, handle, input) {
                // The object was deleted and maybe re-created (another process): find it again,
                // once. This is not a login retry.
                Err(CkError::Pkcs11(
                    RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid,
                    _,
                )) => {
                    self.handles.clear();
                    handle = self.handle(key)?;
                    self.session.sign(&mech, handle, input)?
                }
                other => other?,
            };
            out.push(sig);
        }
        Ok(out)
    }
}
