//! Strongroom's PKCS#11 adapter over `cryptoki`: the module allowlist, tokens, keys generated and
//! kept on a token, and a signer whose session lives on its own worker thread.
//!
//! Code map:
//! - [`policy`]: which module files may be loaded, checked before anything is loaded.
//! - [`module`]: one initialised context per module per process ([`Module`]), token listing.
//! - [`token`]: [`TokenInfo`] (PIN flags, usable mechanisms) and [`TokenSelector`] (label/serial).
//! - [`session`]: [`TokenSession`], a logged-in session served by one thread over a channel.
//! - [`keys`]: key generation templates, reading keys back, finding and listing keys.
//! - [`signer`]: [`HsmSigner`], the `strongroom_core::Signer` over a token key, and batches.
//! - [`admin`]: initialising a token, changing the user PIN, unlocking it with the SO PIN.
//! - [`backup`]: wrapping a backup-able key for a backup, and unwrapping it into a token.
//! - [`uri`]: RFC 7512 PKCS#11 URIs; [`pin`]: where PINs come from.
//! - `testing` (feature `test-support`): a throw-away SoftHSM token for tests.
//!
//! API boundary: PINs enter only as `secrecy::SecretString` and are never printed; every error is
//! an [`HsmError`], which names the PKCS#11 return value (`CKR_…`) where there is one.

pub mod admin;
pub mod backup;
pub mod elf;
pub mod error;
pub mod keys;
pub mod module;
pub mod pin;
pub mod policy;
pub mod session;
pub mod signer;
pub mod token;
pub mod uri;

#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use backup::{RestoreTarget, WrappedKey};
pub use error::HsmError;
pub use keys::{KeyAttributes, KeyListing, KeyProtection, KeySelector, TokenKey, UnusableKey};
pub use module::Module;
pub use pin::{PinError, PinPrompt, PinSource};
pub use policy::ModulePolicy;
pub use session::TokenSession;
pub use signer::{HsmSigner, RsaScheme};
pub use token::{PinFlags, TokenInfo, TokenSelector};
pub use uri::{ObjectType, Pkcs11Uri, UriError};
