//! Strongroom's pure domain: digests, keys, signatures, DSSE, in-toto statements, Sigstore bundles
//! and the verification checks over them.
//!
//! Architecture invariant: this crate does no file-system, database, PKCS#11 or UI work. It reads
//! bytes from `std::io::Read` where it must stream, and everything else is values in, values out.
//! Untrusted documents are parsed into checked types ([`bundle::CheckedDocument`],
//! [`intoto::CheckedStatement`]) at this boundary; the rest of the program only sees those.

pub mod artifact;
pub mod audit_chain;
mod b64;
pub mod backup;
pub mod bundle;
pub mod ceremony;
pub mod digest;
pub mod dsse;
pub mod event;
pub mod intoto;
pub mod keyref;
pub mod keys;
pub mod names;
pub mod purpose;
pub mod signer;
pub mod simplesigning;
pub mod stage;
pub mod timestamp;
pub mod verify;

pub use digest::{Digest, HashAlg};
pub use event::AuditEvent;
pub use keys::{Algorithm, KeyId, PublicKey};
pub use purpose::{Purpose, UnknownPurpose};
pub use signer::{SignError, Signer, SoftwareKey};
pub use stage::{Stage, UnknownStage};
pub use timestamp::Timestamp;
