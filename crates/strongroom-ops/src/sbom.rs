//! SBOM use cases: generating an SPDX or CycloneDX document for an artifact or directory,
//! validating and converting documents other tools made, and building SLSA provenance.

use std::path::{Path, PathBuf};

use serde::Serialize;
use strongroom_core::intoto::Statement;
use strongroom_sbom::provenance::{to_slsa_predicate, BuildMeta, PREDICATE_TYPE};
use strongroom_sbom::{DocumentInfo, Limits, SbomKind, ValidationErrors};

use crate::hashing::{check_file, check_files, subjects};
use crate::verify::read_capped;
use crate::{Callbacks, OpsError};
use strongroom_store::now_rfc3339;

/// Largest SBOM or build-metadata document read.
const MAX_DOCUMENT_BYTES: u64 = 256 << 20;

/// An SBOM format. Serialised as the document version Strongroom writes (`spdx-2.3`,
/// `cyclonedx-1.6`); the CLI's `--format` takes `spdx-json` or `cyclonedx-json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SbomFormat {
    #[serde(rename = "spdx-2.3")]
    SpdxJson,
    #[serde(rename = "cyclonedx-1.6")]
    CycloneDxJson,
}

impl SbomFormat {
    /// The document version Strongroom writes in this format.
    pub fn version_word(self) -> &'static str {
        match self {
            SbomFormat::SpdxJson => "spdx-2.3",
            SbomFormat::CycloneDxJson => "cyclonedx-1.6",
        }
    }
}

impl std::str::FromStr for SbomFormat {
    type Err = OpsError;
    fn from_str(s: &str) -> Result<Self, OpsError> {
        match s {
            "spdx-json" | "spdx" => Ok(SbomFormat::SpdxJson),
            "cyclonedx-json" | "cyclonedx" => Ok(SbomFormat::CycloneDxJson),
            other => Err(OpsError::BadInput(format!(
                "unknown SBOM format {other:?}: use spdx-json or cyclonedx-json"
            ))),
        }
    }
}

/// A generated SBOM.
#[derive(Clone, Debug, Serialize)]
pub struct GeneratedSbom {
    /// The document itself.
    pub document: serde_json::Value,
    /// The subject: file or directory name and its SHA-256 (an image's manifest digest).
    pub subject: String,
    pub sha256: String,
    pub components: usize,
    /// Files that could not be read, entries skipped (symlinks, traversal), and the like.
    pub warnings: Vec<String>,
}

fn tool() -> String {
    format!("strongroom-{}", env!("CARGO_PKG_VERSION"))
}

/// Catalogues `path` (a file, archive, image or directory) offline into an SBOM.
pub fn generate_sbom(path: &Path, format: SbomFormat) -> Result<GeneratedSbom, OpsError> {
    generate_sbom_at(path, format, &now_rfc3339())
}

/// [`generate_sbom`] with the document's creation time given (RFC 3339), so a release made
/// twice from the same inputs carries the same SBOM.
pub fn generate_sbom_at(
    path: &Path,
    format: SbomFormat,
    created: &str,
) -> Result<GeneratedSbom, OpsError> {
    if !path.exists() {
        return Err(OpsError::MissingFile(path.to_owned()));
    }
    let catalog = strongroom_sbom::catalog(path, &Limits::default())?;
    let sha256 = catalog
        .image_manifest_digest
        .clone()
        .unwrap_or_else(|| catalog.subject.sha256.clone());
    let info = DocumentInfo {
        name: catalog.subject.name.clone(),
        namespace: format!(
            "https://strongroom.dev/spdxdocs/{}-{}",
            catalog.subject.name.replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
                "_"
            ),
            sha256.trim_start_matches("sha256:")
        ),
        created: created.to_owned(),
        tool: tool(),
    };
    let document = match format {
        SbomFormat::SpdxJson => strongroom_sbom::to_spdx_json(&catalog, &info),
        SbomFormat::CycloneDxJson => strongroom_sbom::to_cyclonedx_json(&catalog, &info),
    };
    Ok(GeneratedSbom {
        document,
        subject: catalog.subject.name.clone(),
        sha256,
        components: catalog.components.len(),
        warnings: catalog.warnings,
    })
}

/// The verdict on a document another tool made.
#[derive(Clone, Debug, Serialize)]
pub struct SbomValidation {
    pub valid: bool,
    /// `SPDX 2.3`, `CycloneDX 1.6`, … when recognised.
    pub kind: Option<String>,
    /// Every package (SPDX) or component (CycloneDX) listed.
    pub components: Option<usize>,
    /// Those with a package URL: what a scan can match against vulnerability data.
    pub with_purl: Option<usize>,
    /// Schema violations as `JSON path: message`, or why the file is not an SBOM.
    pub problems: Vec<String>,
}

/// Checks `path` against the official SPDX 2.3 / CycloneDX 1.4–1.6 JSON schemas (vendored).
pub fn validate_sbom(path: &Path) -> Result<SbomValidation, OpsError> {
    check_file(path)?;
    let bytes = read_capped(path, MAX_DOCUMENT_BYTES)?;
    Ok(match strongroom_sbom::validate(&bytes) {
        Ok(kind) => {
            let value: serde_json::Value =
                serde_json::from_slice(&bytes).expect("validated documents are JSON");
            SbomValidation {
                valid: true,
                kind: Some(kind.to_string()),
                components: strongroom_sbom::count_components(&value).ok(),
                with_purl: strongroom_sbom::components_from_sbom(&value)
                    .ok()
                    .map(|c| c.len()),
                problems: Vec::new(),
            }
        }
        // Not invalid, but not read: a usage error naming the version (exit 2), not INVALID.
        Err(e @ ValidationErrors::UnsupportedVersion { .. }) => {
            return Err(OpsError::BadInput(format!("{}: {e}", path.display())))
        }
        Err(ValidationErrors::Schema { kind, issues }) => SbomValidation {
            valid: false,
            kind: Some(kind.to_string()),
            components: None,
            with_purl: None,
            problems: issues.iter().map(ToString::to_string).collect(),
        },
        Err(other) => SbomValidation {
            valid: false,
            kind: None,
            components: None,
            with_purl: None,
            problems: vec![other.to_string()],
        },
    })
}

/// Converts a valid SBOM to the other format, where the information allows.
pub fn convert_sbom(path: &Path, to: SbomFormat) -> Result<serde_json::Value, OpsError> {
    check_file(path)?;
    let bytes = read_capped(path, MAX_DOCUMENT_BYTES)?;
    let kind = strongroom_sbom::validate(&bytes)
        .map_err(|e| OpsError::BadInput(format!("{}: {e}", path.display())))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).expect("validated documents are JSON");
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    match (kind, to) {
        (SbomKind::Spdx23, SbomFormat::CycloneDxJson) => {
            Ok(strongroom_sbom::convert_spdx_to_cyclonedx(&value)?)
        }
        (SbomKind::CycloneDx(_), SbomFormat::SpdxJson) => {
            let digest = strongroom_core::HashAlg::Sha256.hash(&bytes).to_hex();
            let info = DocumentInfo {
                namespace: format!("https://strongroom.dev/spdxdocs/converted-{digest}"),
                name,
                created: now_rfc3339(),
                tool: tool(),
            };
            Ok(strongroom_sbom::convert_cyclonedx_to_spdx(&value, &info)?)
        }
        _ => Ok(value),
    }
}

/// A request to build SLSA provenance.
#[derive(Clone, Debug)]
pub struct ProvenanceRequest {
    /// The build metadata CI wrote (`docs/build-meta.md`).
    pub build_meta: PathBuf,
    pub artifacts: Vec<PathBuf>,
}

/// Builds an in-toto Statement v1 carrying SLSA provenance v1 for the artifacts.
pub fn build_provenance(
    req: &ProvenanceRequest,
    cb: &dyn Callbacks,
) -> Result<serde_json::Value, OpsError> {
    let sizes = check_files(&req.artifacts)?;
    let bytes = read_capped(&req.build_meta, MAX_DOCUMENT_BYTES)?;
    let meta = BuildMeta::parse(&bytes)?;
    let subjects = subjects(&req.artifacts, &sizes, cb)?;
    let st = Statement::new(subjects, PREDICATE_TYPE, to_slsa_predicate(&meta));
    Ok(serde_json::to_value(&st).expect("statements serialise"))
}
