//! Reading SBOMs: SPDX 2.x ↔ CycloneDX 1.x conversion of what both can say (packages, versions,
//! purls, checksums, licenses, where found), and [`components_from_sbom`], which reads the
//! components of any SPDX or CycloneDX JSON SBOM (ours, syft's, …) for vulnerability matching.
//!
//! Conversion is lossy by nature: files, snippets, services, vulnerabilities and annotations are
//! dropped. Only packages with a purl of one of our [`crate::Ecosystem`]s become components.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Map, Value};

use crate::catalog::normalize;
use crate::component::{Component, Ecosystem};
use crate::cyclonedx::derived_uuid;
use crate::error::SbomError;
use crate::purl::{pep503_normalize, Purl};
use crate::spdx::{id_part, DocumentInfo};

const FOUND_IN: &str = "strongroom:found-in";
const LOCAL_NOTE: &str = "local package (not from the ecosystem registry)";

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map_or(&[], |a| a.as_slice())
}

fn is_spdx(v: &Value) -> bool {
    s(v, "spdxVersion").is_some_and(|x| x.starts_with("SPDX-2."))
}

fn is_cdx(v: &Value) -> bool {
    s(v, "bomFormat") == Some("CycloneDX")
}

/// The purl of an SPDX package, if it has one.
fn spdx_purl(p: &Value) -> Option<&str> {
    arr(p, "externalRefs").iter().find_map(|r| {
        let cat = s(r, "referenceCategory")?.replace('_', "-");
        (cat.eq_ignore_ascii_case("PACKAGE-MANAGER") && s(r, "referenceType")? == "purl")
            .then(|| s(r, "referenceLocator"))
            .flatten()
    })
}

/// A path out of an SPDX `sourceInfo`: ours (`found in: X`), or syft's (`…: /path`).
fn spdx_found_in(p: &Value) -> String {
    let Some(info) = s(p, "sourceInfo") else {
        return String::new();
    };
    if let Some(rest) = info.strip_prefix("found in: ") {
        return rest.to_string();
    }
    match info.rfind(": /") {
        Some(i) => info[i + 2..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches(',')
            .to_string(),
        None => info.to_string(),
    }
}

fn license_value(p: &Value) -> Option<String> {
    ["licenseDeclared", "licenseConcluded"]
        .iter()
        .filter_map(|k| s(p, k))
        .find(|l| *l != "NOASSERTION" && *l != "NONE")
        .map(str::to_string)
}

fn cdx_prop<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    arr(c, "properties")
        .iter()
        .find(|p| s(p, "name") == Some(name))
        .and_then(|p| s(p, "value"))
}

fn cdx_found_in(c: &Value) -> String {
    cdx_prop(c, FOUND_IN)
        .or_else(|| {
            c.get("evidence")
                .map(|e| arr(e, "occurrences"))
                .and_then(|o| o.first())
                .and_then(|o| s(o, "location"))
        })
        .or_else(|| cdx_prop(c, "syft:location:0:path"))
        .unwrap_or("")
        .to_string()
}

fn cdx_licenses(c: &Value) -> Vec<String> {
    arr(c, "licenses")
        .iter()
        .filter_map(|l| {
            s(l, "expression").map(str::to_string).or_else(|| {
                let lic = l.get("license")?;
                s(lic, "id").or_else(|| s(lic, "name")).map(str::to_string)
            })
        })
        .collect()
}

/// Every component, nested ones included, of a CycloneDX document (bounded by the document).
fn cdx_flatten(v: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = arr(v, "components").iter().rev().collect();
    while let Some(c) = stack.pop() {
        out.push(c);
        stack.extend(arr(c, "components").iter().rev());
    }
    out
}

fn from_purl_str(purl: &str, version: Option<&str>, found_in: &str) -> Option<Component> {
    let mut p = Purl::parse(purl).ok()?;
    if p.version.is_none() {
        p.version = version.filter(|v| !v.is_empty()).map(str::to_string);
    }
    Component::from_purl(&p, found_in)
}

/// Keeps the document's spelling of the name (`JSONStream`, `Zope.Interface`) when it is the
/// same package as the purl's canonical (lower-cased, normalised) name.
fn prefer_name(c: &mut Component, doc_name: &str) {
    let same = match c.ecosystem {
        Ecosystem::Npm => doc_name.to_lowercase() == c.name.to_lowercase(),
        Ecosystem::PyPI => pep503_normalize(doc_name) == pep503_normalize(&c.name),
        _ => doc_name == c.name,
    };
    if same && !doc_name.is_empty() {
        c.name = doc_name.to_string();
    }
}

/// The components of an SPDX 2.x or CycloneDX 1.x JSON SBOM whose purls name one of our
/// ecosystems, sorted and de-duplicated like a [`crate::Catalog`]'s.
/// The SPDX ids the document DESCRIBES (its subject: the artifact, not a component of it).
fn spdx_described(v: &Value) -> Vec<&str> {
    arr(v, "relationships")
        .iter()
        .filter(|r| {
            s(r, "relationshipType") == Some("DESCRIBES")
                && s(r, "spdxElementId") == Some("SPDXRef-DOCUMENT")
        })
        .filter_map(|r| s(r, "relatedSpdxElement"))
        .chain(arr(v, "documentDescribes").iter().filter_map(Value::as_str))
        .collect()
}

/// How many components a document lists, with a package URL or not: what a person counts.
/// SPDX: every package but those the document DESCRIBES (the artifact itself, as CycloneDX's
/// `metadata.component` is); CycloneDX: every component, nested ones included. Both formats of
/// one SBOM count the same. [`components_from_sbom`] keeps only those with a package URL, which
/// a scan can match.
pub fn count_components(v: &Value) -> Result<usize, SbomError> {
    if is_spdx(v) {
        let described = spdx_described(v);
        Ok(arr(v, "packages")
            .iter()
            .filter(|p| s(p, "SPDXID").is_none_or(|id| !described.contains(&id)))
            .count())
    } else if is_cdx(v) {
        Ok(cdx_flatten(v).len())
    } else {
        components_from_sbom(v).map(|c| c.len())
    }
}

pub fn components_from_sbom(v: &Value) -> Result<Vec<Component>, SbomError> {
    let mut out = Vec::new();
    if is_spdx(v) {
        for p in arr(v, "packages") {
            let Some(purl) = spdx_purl(p) else { continue };
            let Some(mut c) = from_purl_str(purl, s(p, "versionInfo"), &spdx_found_in(p)) else {
                continue;
            };
            prefer_name(&mut c, s(p, "name").unwrap_or(""));
            c.licenses = license_value(p).into_iter().collect();
            if let Some(comment) = s(p, "comment") {
                for part in comment.split("; ") {
                    if let Some(l) = part.strip_prefix("declared license: ") {
                        c.licenses = l.split(", ").map(str::to_string).collect();
                    } else if part == LOCAL_NOTE {
                        c.local = true;
                    } else if let Some(src) = part.strip_prefix("source package: ") {
                        c.source_package = Some(src.to_string());
                    }
                }
            }
            out.push(c);
        }
    } else if is_cdx(v) {
        for comp in cdx_flatten(v) {
            let Some(purl) = s(comp, "purl") else {
                continue;
            };
            let Some(mut c) = from_purl_str(purl, s(comp, "version"), &cdx_found_in(comp)) else {
                continue;
            };
            prefer_name(&mut c, &cdx_name(comp));
            c.licenses = cdx_licenses(comp);
            c.local = cdx_prop(comp, "strongroom:local") == Some("true");
            if let Some(src) = cdx_prop(comp, "strongroom:debian-source") {
                c.source_package = Some(src.to_string());
            }
            out.push(c);
        }
    } else {
        return Err(SbomError::NotAnSbom(
            "neither SPDX 2.x (`spdxVersion`) nor CycloneDX (`bomFormat`)".into(),
        ));
    }
    Ok(normalize(out))
}

const HASHES: [(&str, &str); 12] = [
    ("MD5", "MD5"),
    ("SHA1", "SHA-1"),
    ("SHA256", "SHA-256"),
    ("SHA384", "SHA-384"),
    ("SHA512", "SHA-512"),
    ("SHA3-256", "SHA3-256"),
    ("SHA3-384", "SHA3-384"),
    ("SHA3-512", "SHA3-512"),
    ("BLAKE2b-256", "BLAKE2b-256"),
    ("BLAKE2b-384", "BLAKE2b-384"),
    ("BLAKE2b-512", "BLAKE2b-512"),
    ("BLAKE3", "BLAKE3"),
];

fn spdx_to_cdx_alg(a: &str) -> Option<&'static str> {
    HASHES.iter().find(|(s, _)| *s == a).map(|(_, c)| *c)
}

fn cdx_to_spdx_alg(a: &str) -> Option<&'static str> {
    HASHES.iter().find(|(_, c)| *c == a).map(|(s, _)| *s)
}

fn purpose_to_type(p: Option<&str>) -> &'static str {
    match p {
        Some("APPLICATION") => "application",
        Some("FRAMEWORK") => "framework",
        Some("CONTAINER") => "container",
        Some("OPERATING-SYSTEM") => "operating-system",
        Some("DEVICE") => "device",
        Some("FIRMWARE") => "firmware",
        Some("FILE") | Some("ARCHIVE") | Some("SOURCE") => "file",
        _ => "library",
    }
}

fn type_to_purpose(t: Option<&str>) -> &'static str {
    match t {
        Some("application") => "APPLICATION",
        Some("framework") => "FRAMEWORK",
        Some("container") => "CONTAINER",
        Some("operating-system") => "OPERATING-SYSTEM",
        Some("device") => "DEVICE",
        Some("firmware") => "FIRMWARE",
        Some("file") => "FILE",
        Some("library") => "LIBRARY",
        _ => "OTHER",
    }
}

/// Converts an SPDX 2.x JSON document to CycloneDX 1.6: the described package becomes
/// `metadata.component`, other packages become components, `CONTAINS`/`DEPENDS_ON` become
/// `dependencies`.
pub fn convert_spdx_to_cyclonedx(v: &Value) -> Result<Value, SbomError> {
    if !is_spdx(v) {
        return Err(SbomError::NotAnSbom("not an SPDX 2.x document".into()));
    }
    let packages = arr(v, "packages");
    let described = spdx_described(v);
    let root_id = described.first().copied();
    let mut refs: HashMap<&str, String> = HashMap::new();
    let mut metadata_component = None;
    let mut components = Vec::new();
    for p in packages {
        let Some(id) = s(p, "SPDXID") else { continue };
        let bom_ref = format!("spdx-{id}");
        refs.insert(id, bom_ref.clone());
        let mut c = json!({
            "type": purpose_to_type(s(p, "primaryPackagePurpose")),
            "bom-ref": bom_ref,
            "name": s(p, "name").unwrap_or(""),
        });
        if let Some(ver) = s(p, "versionInfo") {
            c["version"] = json!(ver);
        }
        if let Some(purl) = spdx_purl(p) {
            c["purl"] = json!(purl);
        }
        let hashes: Vec<Value> = arr(p, "checksums")
            .iter()
            .filter_map(|h| {
                let alg = spdx_to_cdx_alg(s(h, "algorithm")?)?;
                Some(json!({"alg": alg, "content": s(h, "checksumValue")?.to_ascii_lowercase()}))
            })
            .collect();
        if !hashes.is_empty() {
            c["hashes"] = Value::Array(hashes);
        }
        if let Some(l) = license_value(p) {
            c["licenses"] = json!([{"expression": l}]);
        }
        let found = spdx_found_in(p);
        if s(p, "sourceInfo").is_some_and(|i| i.starts_with("found in: ")) {
            c["properties"] = json!([{"name": FOUND_IN, "value": found}]);
            c["evidence"] = json!({"occurrences": [{"location": found}]});
        }
        if Some(id) == root_id {
            metadata_component = Some(c);
        } else {
            components.push(c);
        }
    }
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in arr(v, "relationships") {
        let ty = s(r, "relationshipType").unwrap_or("");
        if ty != "CONTAINS" && ty != "DEPENDS_ON" {
            continue;
        }
        let (Some(a), Some(b)) = (
            s(r, "spdxElementId").and_then(|a| refs.get(a)),
            s(r, "relatedSpdxElement").and_then(|b| refs.get(b)),
        ) else {
            continue;
        };
        let list = deps.entry(a.clone()).or_default();
        if !list.contains(b) {
            list.push(b.clone());
        }
    }
    let mut metadata = Map::new();
    if let Some(t) = v.get("creationInfo").and_then(|c| s(c, "created")) {
        metadata.insert("timestamp".into(), json!(t));
    }
    if let Some(mc) = metadata_component {
        metadata.insert("component".into(), mc);
    }
    let ns = s(v, "documentNamespace").unwrap_or("");
    let mut out = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", derived_uuid(&["strongroom-from-spdx", ns])),
        "version": 1,
        "metadata": metadata,
        "components": components,
    });
    if !deps.is_empty() {
        out["dependencies"] = Value::Array(
            deps.into_iter()
                .map(|(r, d)| json!({"ref": r, "dependsOn": d}))
                .collect(),
        );
    }
    Ok(out)
}

fn cdx_name(c: &Value) -> String {
    let name = s(c, "name").unwrap_or("");
    match s(c, "group").filter(|g| !g.is_empty()) {
        Some(g) if s(c, "purl").is_some_and(|p| p.starts_with("pkg:maven/")) => {
            format!("{g}:{name}")
        }
        Some(g) => format!("{g}/{name}"),
        None => name.to_string(),
    }
}

/// Converts a CycloneDX 1.x JSON document to SPDX 2.3. SPDX needs a namespace and creation time
/// that CycloneDX may not carry, so the caller gives them in `doc`.
pub fn convert_cyclonedx_to_spdx(v: &Value, doc: &DocumentInfo) -> Result<Value, SbomError> {
    if !is_cdx(v) {
        return Err(SbomError::NotAnSbom("not a CycloneDX document".into()));
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut next_id = |bom_ref: Option<&str>, n: usize| -> String {
        let base = format!(
            "SPDXRef-{}",
            id_part(
                bom_ref
                    .filter(|r| !r.is_empty())
                    .unwrap_or(&format!("component-{n}"))
            )
        );
        let mut id = base.clone();
        let mut k = 1;
        while !used.insert(id.clone()) {
            k += 1;
            id = format!("{base}-{k}");
        }
        id
    };
    let package = |c: &Value, id: &str| -> Value {
        let mut p = json!({
            "SPDXID": id,
            "name": cdx_name(c),
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": type_to_purpose(s(c, "type")),
        });
        if let Some(ver) = s(c, "version") {
            p["versionInfo"] = json!(ver);
        }
        let checks: Vec<Value> = arr(c, "hashes")
            .iter()
            .filter_map(|h| {
                let alg = cdx_to_spdx_alg(s(h, "alg")?)?;
                Some(json!({"algorithm": alg, "checksumValue": s(h, "content")?.to_ascii_lowercase()}))
            })
            .collect();
        if !checks.is_empty() {
            p["checksums"] = Value::Array(checks);
        }
        if let Some(purl) = s(c, "purl") {
            p["externalRefs"] = json!([{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }]);
        }
        let found = cdx_found_in(c);
        if !found.is_empty() {
            p["sourceInfo"] = json!(format!("found in: {found}"));
        }
        let mut notes = Vec::new();
        let lic = cdx_licenses(c);
        if !lic.is_empty() {
            notes.push(format!("declared license: {}", lic.join(", ")));
        }
        if cdx_prop(c, "strongroom:local") == Some("true") {
            notes.push(LOCAL_NOTE.to_string());
        }
        if let Some(src) = cdx_prop(c, "strongroom:debian-source") {
            notes.push(format!("source package: {src}"));
        }
        if !notes.is_empty() {
            p["comment"] = json!(notes.join("; "));
        }
        p
    };
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    let root = v.get("metadata").and_then(|m| m.get("component"));
    let root_id = root.map(|r| {
        let id = next_id(s(r, "bom-ref"), 0);
        if let Some(b) = s(r, "bom-ref") {
            ids.insert(b.to_string(), id.clone());
        }
        packages.push(package(r, &id));
        relationships.push(json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": id,
        }));
        id
    });
    for (n, c) in cdx_flatten(v).into_iter().enumerate() {
        let id = next_id(s(c, "bom-ref"), n + 1);
        if let Some(b) = s(c, "bom-ref") {
            ids.entry(b.to_string()).or_insert_with(|| id.clone());
        }
        packages.push(package(c, &id));
        relationships.push(match &root_id {
            Some(r) => json!({
                "spdxElementId": r,
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": id,
            }),
            None => json!({
                "spdxElementId": "SPDXRef-DOCUMENT",
                "relationshipType": "DESCRIBES",
                "relatedSpdxElement": id,
            }),
        });
    }
    let root_ref = root.and_then(|r| s(r, "bom-ref"));
    for d in arr(v, "dependencies") {
        let Some(from) = s(d, "ref") else { continue };
        if Some(from) == root_ref {
            continue; // containment is already stated
        }
        let Some(a) = ids.get(from) else { continue };
        for to in arr(d, "dependsOn").iter().filter_map(Value::as_str) {
            if let Some(b) = ids.get(to) {
                relationships.push(json!({
                    "spdxElementId": a,
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": b,
                }));
            }
        }
    }
    Ok(crate::spdx::document(doc, packages, relationships))
}
