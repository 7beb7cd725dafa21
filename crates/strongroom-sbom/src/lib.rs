//! Strongroom's SBOM capability, offline: catalogue artifacts and lockfiles into components,
//! write SPDX 2.3 and CycloneDX 1.6 JSON, validate SBOMs against the official schemas (vendored),
//! convert between the two formats, and build SLSA provenance v1 predicates.
//!
//! Code map:
//! - [`catalog()`] (`catalog.rs`) → `walk.rs` (archives, limits) → `parse/` (one file per
//!   ecosystem) and `image.rs` (OCI layouts, image tarballs).
//! - `spdx.rs`, `cyclonedx.rs`: [`Catalog`] → JSON. `validate.rs`: schemas. `convert.rs`:
//!   SPDX ↔ CycloneDX and [`components_from_sbom`]. `provenance.rs`: SLSA v1.
//!
//! Architecture invariants: no network, no extraction to disk, no symlink is followed, and every
//! read of untrusted input is bounded by [`Limits`]. JSON only exists at the edges (output,
//! import); the catalog is typed.

mod catalog;
mod component;
mod convert;
mod cyclonedx;
mod error;
mod image;
mod limits;
mod parse;
pub mod provenance;
pub mod purl;
mod spdx;
mod tarstream;
mod validate;
mod walk;

pub use catalog::{catalog, Catalog, Subject, SubjectKind};
pub use component::{Component, Ecosystem};
pub use convert::{
    components_from_sbom, convert_cyclonedx_to_spdx, convert_spdx_to_cyclonedx, count_components,
};
pub use cyclonedx::to_cyclonedx_json;
pub use error::{LimitKind, SbomError, SchemaIssue, ValidationErrors};
pub use limits::Limits;
pub use spdx::{to_spdx_json, DocumentInfo};
pub use validate::{validate, validate_value, CycloneDxVersion, SbomKind};
