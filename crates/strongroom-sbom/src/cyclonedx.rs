//! CycloneDX 1.6 JSON output of a [`Catalog`].
//!
//! `metadata.component` is the subject (a `container` whose SHA-256 hash is the manifest digest
//! for images); each component has `purl`, a content-derived `bom-ref`, the property
//! `strongroom:found-in` and `evidence.occurrences[].location` (both the found-in path), and
//! `strongroom:local` / `strongroom:debian-source` properties where they apply. The
//! `serialNumber` is a UUID derived from the subject digest and the document name and namespace
//! (SHA-256, truncated, version bits 5 as the 1.6 schema's pattern requires), so the same input
//! gives the same bytes.

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::catalog::{Catalog, SubjectKind};
use crate::component::{Component, Ecosystem};
use crate::spdx::{short_id, DocumentInfo};

pub(crate) const ROOT_REF: &str = "strongroom-subject";

/// A name-based UUID (RFC 9562 layout, version 5 bits) from SHA-256 over `parts`.
pub(crate) fn derived_uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().unwrap_or([0; 16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

pub(crate) fn bom_ref(c: &Component) -> String {
    format!("component-{}", short_id(&c.purl, &c.found_in))
}

/// Splits `name-version` at the last `-` followed by a digit.
pub(crate) fn split_tool(tool: &str) -> (String, Option<String>) {
    match tool.rfind('-') {
        Some(i) if tool[i + 1..].starts_with(|c: char| c.is_ascii_digit()) => {
            (tool[..i].to_string(), Some(tool[i + 1..].to_string()))
        }
        _ => (tool.to_string(), None),
    }
}

pub(crate) fn component_json(c: &Component) -> Value {
    let (group, name) = match c.ecosystem {
        Ecosystem::Maven => match c.name.split_once(':') {
            Some((g, a)) => (Some(g.to_string()), a.to_string()),
            None => (None, c.name.clone()),
        },
        Ecosystem::Npm => match c.name.split_once('/') {
            Some((g, n)) if g.starts_with('@') => (Some(g.to_string()), n.to_string()),
            _ => (None, c.name.clone()),
        },
        _ => (None, c.name.clone()),
    };
    let mut props = vec![json!({"name": "strongroom:found-in", "value": c.found_in})];
    if c.local {
        props.push(json!({"name": "strongroom:local", "value": "true"}));
    }
    if let Some(s) = &c.source_package {
        props.push(json!({"name": "strongroom:debian-source", "value": s}));
    }
    let mut v = json!({
        "type": "library",
        "bom-ref": bom_ref(c),
        "name": name,
        "version": c.version,
        "purl": c.purl,
        "properties": props,
        "evidence": {"occurrences": [{"location": c.found_in}]},
    });
    if let Some(g) = group {
        v["group"] = Value::String(g);
    }
    if !c.licenses.is_empty() {
        v["licenses"] = Value::Array(
            c.licenses
                .iter()
                .map(|l| json!({"license": {"name": l}}))
                .collect(),
        );
    }
    v
}

/// The catalog as a CycloneDX 1.6 JSON document.
pub fn to_cyclonedx_json(catalog: &Catalog, doc: &DocumentInfo) -> Value {
    let digest = catalog.subject_digest();
    let hex = digest.strip_prefix("sha256:").unwrap_or(&digest);
    let ty = match (&catalog.image_manifest_digest, catalog.subject.kind) {
        (Some(_), _) => "container",
        (None, SubjectKind::Directory) => "application",
        (None, SubjectKind::File) => "file",
    };
    let mut subject = json!({
        "type": ty,
        "bom-ref": ROOT_REF,
        "name": catalog.subject.name,
        "hashes": [{"alg": "SHA-256", "content": hex}],
    });
    if let Some(d) = &catalog.image_manifest_digest {
        subject["version"] = Value::String(d.clone());
        subject["properties"] = json!([
            {"name": "strongroom:archive-sha256", "value": catalog.subject.sha256}
        ]);
    }
    let (tool_name, tool_version) = split_tool(&doc.tool);
    let mut tool = json!({"type": "application", "name": tool_name});
    if let Some(v) = tool_version {
        tool["version"] = Value::String(v);
    }
    let components: Vec<Value> = catalog.components.iter().map(component_json).collect();
    let refs: Vec<String> = catalog.components.iter().map(bom_ref).collect();
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!(
            "urn:uuid:{}",
            derived_uuid(&["strongroom-cyclonedx", &digest, &doc.name, &doc.namespace])
        ),
        "version": 1,
        "metadata": {
            "timestamp": doc.created,
            "tools": {"components": [tool]},
            "component": subject,
        },
        "components": components,
        "dependencies": [{"ref": ROOT_REF, "dependsOn": refs}],
    })
}
