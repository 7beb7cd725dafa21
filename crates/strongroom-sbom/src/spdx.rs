//! SPDX 2.3 JSON output of a [`Catalog`].
//!
//! Shape: one root package for the subject (SHA256 checksum of the subject digest: the image
//! manifest for images), `DOCUMENT DESCRIBES root`, and per component a package with
//! `externalRefs` `PACKAGE-MANAGER`/`purl`, `downloadLocation: NOASSERTION`,
//! `filesAnalyzed: false`, and `root CONTAINS component`. Where the component was found goes in
//! the package's `sourceInfo` as `found in: <path>` (a free-text field every validator accepts,
//! read back by [`crate::components_from_sbom`]). Declared licenses are not validated SPDX
//! expressions, so they go in `comment`, never in `licenseDeclared`.
//!
//! Determinism: ids derive from content (purl and found_in), order follows the catalog, and the
//! creation time is the caller's.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::catalog::{Catalog, SubjectKind};
use crate::component::Component;

/// Document-level facts the caller provides, so output is reproducible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentInfo {
    /// Document name (SPDX `name`).
    pub name: String,
    /// SPDX `documentNamespace`: a unique absolute URI without `#`.
    pub namespace: String,
    /// RFC 3339 UTC time, e.g. `2026-01-02T03:04:05Z`.
    pub created: String,
    /// The producing tool as `name-version`, e.g. `strongroom-0.1.0`.
    pub tool: String,
}

/// Characters allowed in an SPDX id after `SPDXRef-`.
pub(crate) fn id_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A short stable hash of a component's identity.
pub(crate) fn short_id(purl: &str, found_in: &str) -> String {
    let mut h = Sha256::new();
    h.update(purl.as_bytes());
    h.update([0]);
    h.update(found_in.as_bytes());
    hex::encode(&h.finalize()[..8])
}

pub(crate) fn package_id(c: &Component) -> String {
    let name: String = id_part(&c.name).chars().take(64).collect();
    format!(
        "SPDXRef-Package-{}-{}-{}",
        c.ecosystem.purl_type(),
        name,
        short_id(&c.purl, &c.found_in)
    )
}

pub(crate) const ROOT_ID: &str = "SPDXRef-Subject";

fn comment(c: &Component) -> Option<String> {
    let mut parts = Vec::new();
    if !c.licenses.is_empty() {
        parts.push(format!("declared license: {}", c.licenses.join(", ")));
    }
    if c.local {
        parts.push("local package (not from the ecosystem registry)".to_string());
    }
    if let Some(s) = &c.source_package {
        parts.push(format!("source package: {s}"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

pub(crate) fn component_package(c: &Component) -> Value {
    let mut p = json!({
        "SPDXID": package_id(c),
        "name": c.name,
        "versionInfo": c.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "LIBRARY",
        "sourceInfo": format!("found in: {}", c.found_in),
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": c.purl,
        }],
    });
    if let Some(text) = comment(c) {
        p["comment"] = Value::String(text);
    }
    p
}

/// The catalog as an SPDX 2.3 JSON document.
pub fn to_spdx_json(catalog: &Catalog, doc: &DocumentInfo) -> Value {
    let digest = catalog.subject_digest();
    let hex = digest.strip_prefix("sha256:").unwrap_or(&digest);
    let (purpose, version) = match (&catalog.image_manifest_digest, catalog.subject.kind) {
        (Some(d), _) => ("CONTAINER", Some(d.clone())),
        (None, SubjectKind::Directory) => ("SOURCE", None),
        (None, SubjectKind::File) => ("FILE", None),
    };
    let mut root = json!({
        "SPDXID": ROOT_ID,
        "name": catalog.subject.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": purpose,
        "checksums": [{"algorithm": "SHA256", "checksumValue": hex}],
    });
    if let Some(v) = version {
        root["versionInfo"] = Value::String(v);
        root["comment"] = Value::String(format!(
            "container image; the checksum is its manifest digest. Archive sha256: {}",
            catalog.subject.sha256
        ));
    }
    let mut packages = vec![root];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": ROOT_ID,
    })];
    for c in &catalog.components {
        packages.push(component_package(c));
        relationships.push(json!({
            "spdxElementId": ROOT_ID,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": package_id(c),
        }));
    }
    document(doc, packages, relationships)
}

/// An SPDX 2.3 document around `packages` and `relationships`.
pub(crate) fn document(
    doc: &DocumentInfo,
    packages: Vec<Value>,
    relationships: Vec<Value>,
) -> Value {
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": doc.name,
        "documentNamespace": doc.namespace,
        "creationInfo": {
            "created": doc.created,
            "creators": [format!("Tool: {}", doc.tool)],
        },
        "packages": packages,
        "relationships": relationships,
    })
}
