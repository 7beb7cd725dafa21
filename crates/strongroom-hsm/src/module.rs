//! Loading PKCS#11 modules: allowlist first, then one initialised context per module per process,
//! finalised when the last user lets go.
//!
//! PKCS#11 state is per process, not per handle: a second `C_Initialize` of the same library fails,
//! one `C_Finalize` ends it for everybody, and a login is shared by every session on the token.
//! So contexts live in a process-wide registry, reference-counted, and the registry also counts
//! our logins per slot so the last session out is the one that logs out.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};

use crate::error::HsmError;
use crate::policy::ModulePolicy;
use crate::token::{self, TokenInfo, TokenSelector};

struct Entry {
    ctx: Pkcs11,
    refs: usize,
    /// False when something else in the process initialised the module; then we never finalise.
    owns_init: bool,
    logins: BTreeMap<u64, usize>,
}

static REGISTRY: Mutex<BTreeMap<PathBuf, Entry>> = Mutex::new(BTreeMap::new());

fn registry() -> MutexGuard<'static, BTreeMap<PathBuf, Entry>> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many modules this process holds initialised through this crate (used by the test kit to
/// check a test released everything before the next one changes `SOFTHSM2_CONF`).
pub fn live_modules() -> usize {
    registry().len()
}

/// A counted reference to an initialised module.
pub(crate) struct ModuleRef {
    path: PathBuf,
    ctx: Pkcs11,
}

impl ModuleRef {
    /// `canonical` must come from [`ModulePolicy::check`].
    pub(crate) fn acquire_checked(canonical: PathBuf) -> Result<Self, HsmError> {
        let mut reg = registry();
        if let Some(e) = reg.get_mut(&canonical) {
            e.refs += 1;
            return Ok(ModuleRef {
                ctx: e.ctx.clone(),
                path: canonical,
            });
        }
        let load_err = |e: CkError| HsmError::ModuleLoad {
            path: canonical.clone(),
            detail: e.to_string(),
        };
        let ctx = Pkcs11::new(&canonical).map_err(load_err)?;
        let owns_init = match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        {
            Ok(()) => true,
            Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => false,
            Err(e) => return Err(load_err(e)),
        };
        reg.insert(
            canonical.clone(),
            Entry {
                ctx: ctx.clone(),
                refs: 1,
                owns_init,
                logins: BTreeMap::new(),
            },
        );
        Ok(ModuleRef {
            path: canonical,
            ctx,
        })
    }

    pub(crate) fn ctx(&self) -> &Pkcs11 {
        &self.ctx
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Records that one of our sessions is logged in on `slot`.
    pub(crate) fn note_login(&self, slot: u64) {
        if let Some(e) = registry().get_mut(&self.path) {
            *e.logins.entry(slot).or_default() += 1;
        }
    }

    /// Records that one of our sessions is done with `slot`; true if it was the last one, which
    /// should then log out.
    pub(crate) fn note_logout(&self, slot: u64) -> bool {
        let mut reg = registry();
        let Some(e) = reg.get_mut(&self.path) else {
            return true;
        };
        let n = e.logins.entry(slot).or_default();
        *n = n.saturating_sub(1);
        if *n == 0 {
            e.logins.remove(&slot);
            true
        } else {
            false
        }
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // Finalise under the registry lock, so no new load can initialise in between.
        let mut reg = registry();
        let last = match reg.get_mut(&self.path) {
            Some(e) => {
                e.refs -= 1;
                e.refs == 0
            }
            None => false,
        };
        if last {
            if let Some(e) = reg.remove(&self.path) {
                if e.owns_init {
                    // Nothing useful can be done about a failing C_Finalize at this point.
                    let _ = e.ctx.finalize();
                }
            }
        }
    }
}

/// A loaded, initialised PKCS#11 module. Cheap to hold; finalised when the last `Module` or
/// [`crate::TokenSession`] using it is dropped.
pub struct Module {
    inner: ModuleRef,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Module {
    /// Checks `path` against `policy` (nothing is loaded if it is refused), then loads and
    /// initialises the module with OS locking.
    pub fn load(path: &Path, policy: &ModulePolicy) -> Result<Module, HsmError> {
        let canonical = policy.check(path)?;
        Ok(Module {
            inner: ModuleRef::acquire_checked(canonical)?,
        })
    }

    pub(crate) fn ctx(&self) -> &cryptoki::context::Pkcs11 {
        self.inner.ctx()
    }

    /// The canonical path of the loaded library.
    pub fn path(&self) -> &Path {
        self.inner.path()
    }

    /// Every initialised token, with its PIN flags and the mechanisms Strongroom can use.
    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>, HsmError> {
        token::list_tokens(self.inner.ctx())
    }

    /// The one token matching `selector`; [`HsmError::TokenNotFound`] lists the labels present.
    pub fn find_token(&self, selector: &TokenSelector) -> Result<TokenInfo, HsmError> {
        token::find_token(self.inner.ctx(), selector)
    }
}
