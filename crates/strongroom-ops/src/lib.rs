//! Strongroom's use cases: the one operations API that the `strongroom` CLI and the desktop app
//! both call. It owns the order of steps (validate, unlock, hash, sign, write), the error kinds
//! and remedies, and the serialisable results (`dto`).
//!
//! API boundary: callers talk to a person only through [`Callbacks`]; nothing here prints, prompts
//! or knows about terminals or windows.

mod access;
pub mod attest;
mod audit;
pub mod backup;
mod callbacks;
pub mod ceremony;
mod ceremony_sheet;
pub mod dto;
mod error;
pub mod hashing;
pub mod image;
pub mod keyless;
mod keys;
pub mod operators;
mod output;
pub mod remedy;
pub use output::{refuse_inside_station, write_document};
pub mod overview;
pub mod release;
pub mod rotate;
pub mod sandbox;
pub mod sbom;
mod sign;
mod station;
mod tokens;
pub mod trust;
pub mod trust_roots;
pub mod tsa;
mod util;
mod verify;
pub mod vulns;

pub use access::Tamper;
pub use audit::{verify_excerpt_file, AuditFormat, AuditOutcome, AuditQuery, Witness};
pub use callbacks::{Callbacks, Progress, SecretRequest};
pub use error::{ErrorKind, OpsError};
pub use keys::{parse_algorithm, GenerateKey, KeyRevocation};
pub use operators::{Action, OperatorInfo, Role};
pub use remedy::Remedy;
pub use rotate::{RotateKey, Rotated};
pub use sign::{bundle_path, SignRequest, BUNDLE_SUFFIX};
pub use station::Station;
pub use strongroom_hsm::{HsmError, KeyProtection, PinFlags, TokenInfo};
pub use strongroom_policy::Fix;
pub use strongroom_store::audit::{AuditRow, ChainReport};
pub use tokens::{AdoptTokenKey, GenerateTokenKey, InitToken, ModuleTokens, TokenTarget};
pub use verify::{
    key_fingerprint, load_public_key_file, verification_key_source, verify_signature,
    KeyFingerprint, KeySource, VerifyRequest,
};
