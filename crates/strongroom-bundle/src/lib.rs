//! Strongroom release bundles, the container layer (bundle format version 1, see
//! `docs/bundle-format.md`): the typed manifest, a deterministic atomic zip writer, a safe reader
//! for untrusted zips, completeness checks, age encryption and the README text.
//!
//! This crate neither signs nor verifies signatures: `strongroom-ops` does, on top of it. It
//! reads every zip through [`reader::SafeZip`], which checks the whole structure against
//! [`reader::Limits`] before any entry is read and never trusts declared sizes.

pub mod age;
mod atomic;
pub mod complete;
pub mod error;
pub mod manifest;
pub mod oci;
pub mod paths;
pub mod reader;
pub mod readme;
pub mod writer;

pub use complete::{
    approvals, audit_excerpt, check_completeness, read_manifest, Approval, Problem,
};
pub use error::{BundleError, LimitKind, PathProblem, UnsafeEntry};
pub use manifest::{
    ArtifactRecord, Entry, EntryRole, ImageRecord, Manifest, Release, Sha256Digest, Stage,
};
pub use paths::ArtifactName;
pub use reader::{EntryInfo, EntryReader, Limits, SafeZip};
pub use readme::{readme_text, KeyNote, ReadmeInfo};
pub use writer::{BundleWriter, EntrySource, WrittenBundle};
