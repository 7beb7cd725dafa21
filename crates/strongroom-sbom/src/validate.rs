//! Validation against the official JSON schemas, vendored under `schemas/` (see its README for
//! provenance): SPDX 2.3, CycloneDX 1.4, 1.5 and 1.6. References between the CycloneDX files are
//! resolved from the vendored copies; any other reference fails instead of being fetched.

use std::fmt;
use std::sync::OnceLock;

use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;

use crate::error::{SchemaIssue, ValidationErrors};

/// A CycloneDX specification version we validate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CycloneDxVersion {
    V1_4,
    V1_5,
    V1_6,
}

impl CycloneDxVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CycloneDxVersion::V1_4 => "1.4",
            CycloneDxVersion::V1_5 => "1.5",
            CycloneDxVersion::V1_6 => "1.6",
        }
    }
}

/// The kind of a valid SBOM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SbomKind {
    Spdx23,
    CycloneDx(CycloneDxVersion),
}

impl fmt::Display for SbomKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SbomKind::Spdx23 => f.write_str("SPDX 2.3"),
            SbomKind::CycloneDx(v) => write!(f, "CycloneDX {}", v.as_str()),
        }
    }
}

const SPDX_23: &str = include_str!("../schemas/spdx-schema.json");
const CDX_14: &str = include_str!("../schemas/bom-1.4.schema.json");
const CDX_15: &str = include_str!("../schemas/bom-1.5.schema.json");
const CDX_16: &str = include_str!("../schemas/bom-1.6.schema.json");
const CDX_SPDX: &str = include_str!("../schemas/spdx.schema.json");
const CDX_JSF: &str = include_str!("../schemas/jsf-0.82.schema.json");

/// Serves the vendored schemas by their `$id`; refuses everything else (no network, no files).
struct Vendored;

impl Retrieve for Vendored {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = match uri.as_str() {
            "http://cyclonedx.org/schema/spdx.schema.json" => CDX_SPDX,
            "http://cyclonedx.org/schema/jsf-0.82.schema.json" => CDX_JSF,
            other => return Err(format!("schema {other} is not vendored; not fetched").into()),
        };
        Ok(serde_json::from_str(text)?)
    }
}

fn build(text: &str) -> Validator {
    // The vendored schemas are fixed inputs checked by this crate's tests; failing to compile
    // one is a build defect, not a runtime condition.
    let schema: Value = serde_json::from_str(text).expect("vendored schema is JSON");
    jsonschema::options()
        .with_draft(Draft::Draft7)
        .with_retriever(Vendored)
        .build(&schema)
        .expect("vendored schema compiles")
}

fn validator(kind: SbomKind) -> &'static Validator {
    static SPDX: OnceLock<Validator> = OnceLock::new();
    static V14: OnceLock<Validator> = OnceLock::new();
    static V15: OnceLock<Validator> = OnceLock::new();
    static V16: OnceLock<Validator> = OnceLock::new();
    match kind {
        SbomKind::Spdx23 => SPDX.get_or_init(|| build(SPDX_23)),
        SbomKind::CycloneDx(CycloneDxVersion::V1_4) => V14.get_or_init(|| build(CDX_14)),
        SbomKind::CycloneDx(CycloneDxVersion::V1_5) => V15.get_or_init(|| build(CDX_15)),
        SbomKind::CycloneDx(CycloneDxVersion::V1_6) => V16.get_or_init(|| build(CDX_16)),
    }
}

/// Which SBOM format and version a JSON document claims to be.
pub(crate) fn detect(v: &Value) -> Result<SbomKind, ValidationErrors> {
    if let Some(sv) = v.get("spdxVersion") {
        return match sv.as_str() {
            Some("SPDX-2.3") => Ok(SbomKind::Spdx23),
            other => Err(ValidationErrors::UnsupportedVersion {
                format: "SPDX",
                version: other.map_or_else(
                    || "without a version".to_owned(),
                    |v| format!("version {v:?}"),
                ),
                supported: "only SPDX-2.3 is read",
            }),
        };
    }
    if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return match v.get("specVersion").and_then(Value::as_str) {
            Some("1.4") => Ok(SbomKind::CycloneDx(CycloneDxVersion::V1_4)),
            Some("1.5") => Ok(SbomKind::CycloneDx(CycloneDxVersion::V1_5)),
            Some("1.6") => Ok(SbomKind::CycloneDx(CycloneDxVersion::V1_6)),
            other => Err(ValidationErrors::UnsupportedVersion {
                format: "CycloneDX",
                version: other.map_or_else(|| "without a specVersion".to_owned(), |v| v.to_owned()),
                supported: "1.4, 1.5 and 1.6 are read",
            }),
        };
    }
    Err(ValidationErrors::UnknownFormat(
        "neither `spdxVersion` nor `bomFormat: \"CycloneDX\"`".into(),
    ))
}

/// Checks SBOM bytes (JSON) against the official schema of the format and version they claim.
pub fn validate(bytes: &[u8]) -> Result<SbomKind, ValidationErrors> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| ValidationErrors::NotJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    validate_value(&v)
}

/// [`validate`] for a parsed document.
pub fn validate_value(v: &Value) -> Result<SbomKind, ValidationErrors> {
    let kind = detect(v)?;
    let issues: Vec<SchemaIssue> = validator(kind)
        .iter_errors(v)
        .map(|e| SchemaIssue {
            instance_path: e.instance_path().as_str().to_string(),
            schema_path: e.schema_path().as_str().to_string(),
            message: e.to_string(),
        })
        .collect();
    if issues.is_empty() {
        Ok(kind)
    } else {
        Err(ValidationErrors::Schema { kind, issues })
    }
}
