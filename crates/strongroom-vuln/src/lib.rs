//! Offline vulnerability matching for Strongroom: version orderings, OSV import into a
//! separate SQLite database, scanning SBOM packages, CVSS scores and in-toto vulns predicates.
//!
//! Code map:
//! - [`version`]: SemVer, PEP 440, dpkg and Maven orderings, checked against the reference
//!   implementations by `tests/version_oracles.rs`.
//! - [`ecosystem`]: OSV ecosystem names → ordering, name normalisation, release suffixes.
//! - `osv` (private): untrusted OSV JSON → checked records (parse, don't validate).
//! - `range` (private): the OSV schema's range evaluation.
//! - [`severity`]: CVSS v3.1 base scores and levels.
//! - `db`, `import`, `scan`, `predicate`: [`VulnDb`] and what it does.
//!
//! API boundary: everything public is re-exported here. The database is a replaceable
//! dataset: deleting the file loses nothing that an import cannot restore.

#![forbid(unsafe_code)]

mod db;
pub mod ecosystem;
mod error;
mod import;
mod limits;
mod osv;
mod predicate;
mod range;
mod scan;
pub mod severity;
pub mod version;

pub use db::{ImportInfo, Status, VulnDb, SCHEMA_VERSION};
pub use ecosystem::{Ecosystem, EcosystemName};
pub use error::{LimitKind, VersionError, VulnError};
pub use import::{ImportProgress, ImportReport};
pub use limits::Limits;
pub use predicate::{to_vulns_predicate, DbInfo, ScanTime, ScannerInfo, VULNS_PREDICATE_TYPE};
pub use scan::{Finding, PackageRef};
pub use severity::{cvss3_base_score, CvssError, Level, Severity};
pub use version::{ParsedVersion, VersionOrdering};

/// Checks one OSV record as the importer does (for the cargo-fuzz targets in `fuzz/`; not a
/// stable API).
#[doc(hidden)]
pub fn check_osv_record(doc: &serde_json::Value) -> Result<(), String> {
    osv::check_record(doc).map(drop)
}
