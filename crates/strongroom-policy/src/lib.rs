//! Strongroom's trust and policy layer: which keys a station trusts, for which roles and stages
//! and when ([`trust`]), the signed trust package that carries that trust between stations
//! ([`package`]), the facts a release is judged on ([`input`]), and the Rego policies that judge
//! them ([`rego`]).
//!
//! Architecture invariant: this crate is pure, like `strongroom-core`. It does no file-system,
//! database, network or UI work, and it does not read the clock: callers pass the time in.
//! Untrusted trust packages become a [`TrustSet`] only after their signature verified against a
//! key the caller trusts.

pub mod input;
pub mod package;
pub mod rego;
pub mod trust;

pub use input::{
    ApprovalFacts, ArtifactFacts, Phase, PolicyInput, ProvenanceFacts, ReleaseFacts, SbomFacts,
    SignatureFacts, SignatureKind, VulnFacts,
};
pub use package::{
    Imported, PackageError, SignatureRefusal, TrustPackage, VerifiedPackage, TRUST_MEDIA_TYPE,
};
pub use rego::{
    check_modules, evaluate, evaluate_with, Decision, Finding, Fix, Limits, PolicyError,
};
pub use strongroom_core::timestamp::{Timestamp, TimestampError};
pub use trust::{
    check_holder, KeyStatus, NewTrustedKey, PolicyBundle, PolicyModule, Purpose, Revocation,
    RevocationStatus, SigstoreRoot, Stage, TrustError, TrustSet, TrustedKey,
};
