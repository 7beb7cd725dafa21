//! Offline verification of keyless Sigstore bundles (Fulcio certificates, Rekor entries, RFC 3161
//! timestamps) against a trusted root carried into the room: no TUF fetch, no network at all.
//! Built on RustCrypto with our own checks (the decision and its evidence: `docs/ARCHITECTURE.md`).
//! This crate knows nothing of stations, operators or shells.

pub mod authority;
pub mod bundle;
pub mod checkpoint;
pub mod entry;
pub mod evidence;
pub mod identity;
pub mod merkle;
pub mod rekor;
pub mod sct;
pub mod trusted_root;
pub mod tsa;
pub mod verify;
pub mod x509;

pub use trusted_root::{
    CertificateAuthority, RootError, TransparencyLog, TrustedRoot, ValidFor,
    TRUSTED_ROOT_MEDIA_TYPE,
};
