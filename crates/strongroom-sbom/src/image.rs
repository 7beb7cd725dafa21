//! Container images: OCI image layouts (a directory or a tarball) and docker-save tarballs.
//!
//! The subject of an image is its manifest digest, as registries name it: the SHA-256 of the
//! manifest blob that `index.json` points to (for a multi-platform image, of the image index).
//! Layers are then scanned in order, and a file that a later layer replaces or whites out
//! (`.wh.<name>`, `.wh..wh..opq`) contributes nothing: the SBOM describes the merged file system.
//!
//! Legacy docker-save archives (only `manifest.json`, no `index.json`) carry no registry
//! manifest; their layers are scanned and `image_manifest_digest` stays unknown, with a warning.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use strongroom_core::digest::is_sha256_hex;

use crate::error::SbomError;

/// Blobs up to this size are kept in memory while an image tarball streams by (manifests and
/// configs are a few KiB).
pub(crate) const SMALL_BLOB: u64 = 1 << 20;
/// At most this many bytes of small blobs are kept per image tarball.
const MAX_KEPT: u64 = 64 << 20;
/// Image indexes nested deeper than this are refused.
const MAX_INDEX_DEPTH: usize = 4;

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// `true` for the files at the root of an image tarball that describe it.
pub(crate) fn is_root_meta(rel: &str) -> bool {
    matches!(rel, "manifest.json" | "index.json" | "oci-layout")
}

/// The hex digest of a `blobs/sha256/<hex>` path.
pub(crate) fn blob_hex(rel: &str) -> Option<&str> {
    let hex = rel.strip_prefix("blobs/sha256/")?;
    is_sha256_hex(hex).then_some(hex)
}

/// Parses `sha256:<hex>`.
pub(crate) fn parse_digest(d: &str) -> Option<&str> {
    d.strip_prefix("sha256:").filter(|h| is_sha256_hex(h))
}

pub(crate) fn check_digest(path: &str, hex: &str, hasher: Sha256) -> Result<(), SbomError> {
    let got = hex::encode(hasher.finalize());
    if got != hex {
        return Err(SbomError::Image {
            path: path.to_string(),
            message: format!("blob content has sha256:{got}, not the sha256:{hex} it is named by"),
        });
    }
    Ok(())
}

fn image_err(path: &str, message: impl Into<String>) -> SbomError {
    SbomError::Image {
        path: path.to_string(),
        message: message.into(),
    }
}

/// What an image's metadata says to scan.
#[derive(Debug, Default)]
pub(crate) struct ImagePlan {
    /// `sha256:<hex>` of the manifest (or index) blob; `None` for legacy docker-save archives.
    pub manifest_digest: Option<String>,
    /// Layer digests (`sha256:<hex>`), bottom first (OCI); empty for legacy docker-save.
    pub layer_digests: Vec<String>,
    /// Layer paths inside the image tarball or layout, bottom first.
    pub layer_paths: Vec<String>,
    pub warnings: Vec<String>,
}

/// Follows `index.json` to one image manifest and lists its layers. `get_blob` returns a blob
/// by hex digest (already bounded in size); its digest is checked here.
pub(crate) fn plan_from_index(
    path: &str,
    index: &[u8],
    get_blob: &mut dyn FnMut(&str) -> Result<Vec<u8>, SbomError>,
) -> Result<ImagePlan, SbomError> {
    let mut plan = ImagePlan::default();
    let idx: Value = serde_json::from_slice(index)
        .map_err(|e| image_err(path, format!("index.json is not JSON: {e}")))?;
    let mut doc = idx;
    let mut top_digest: Option<String> = None;
    for level in 0..=MAX_INDEX_DEPTH {
        let manifests = doc
            .get("manifests")
            .and_then(Value::as_array)
            .filter(|m| !m.is_empty())
            .ok_or_else(|| image_err(path, "image index lists no manifests"))?;
        let chosen = choose(manifests, level, path, &mut plan.warnings)?;
        let digest = chosen
            .get("digest")
            .and_then(Value::as_str)
            .ok_or_else(|| image_err(path, "manifest descriptor without digest"))?;
        let hex = parse_digest(digest)
            .ok_or_else(|| image_err(path, format!("unsupported digest {digest:?}")))?
            .to_string();
        let blob = get_blob(&hex)?;
        let mut h = Sha256::new();
        h.update(&blob);
        check_digest(&format!("{path}!/blobs/sha256/{hex}"), &hex, h)?;
        if top_digest.is_none() {
            top_digest = Some(format!("sha256:{hex}"));
        }
        let v: Value = serde_json::from_slice(&blob)
            .map_err(|e| image_err(path, format!("manifest {digest} is not JSON: {e}")))?;
        let media = v
            .get("mediaType")
            .and_then(Value::as_str)
            .or_else(|| chosen.get("mediaType").and_then(Value::as_str))
            .unwrap_or("");
        if INDEX_TYPES.contains(&media)
            || (v.get("manifests").is_some() && v.get("layers").is_none())
        {
            doc = v;
            continue;
        }
        let layers = v
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| image_err(path, format!("manifest {digest} has no layers")))?;
        for l in layers {
            let d = l
                .get("digest")
                .and_then(Value::as_str)
                .and_then(parse_digest)
                .ok_or_else(|| {
                    image_err(path, format!("layer of {digest} without a sha256 digest"))
                })?;
            plan.layer_digests.push(format!("sha256:{d}"));
            plan.layer_paths.push(format!("blobs/sha256/{d}"));
        }
        plan.manifest_digest = top_digest;
        return Ok(plan);
    }
    Err(image_err(path, "image indexes nested too deeply"))
}

/// Picks one manifest of an index: the only one, else the linux/amd64 one, else the first that
/// is not an attestation; says so in a warning.
fn choose<'v>(
    manifests: &'v [Value],
    level: usize,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<&'v Value, SbomError> {
    if manifests.len() == 1 {
        return Ok(&manifests[0]);
    }
    let platform = |m: &Value, k: &str| {
        m.get("platform")
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let is_attestation = |m: &Value| {
        m.get("annotations")
            .and_then(|a| a.get("vnd.docker.reference.type"))
            .is_some()
            || platform(m, "os").as_deref() == Some("unknown")
    };
    let pick = manifests
        .iter()
        .find(|m| {
            platform(m, "os").as_deref() == Some("linux")
                && platform(m, "architecture").as_deref() == Some("amd64")
        })
        .or_else(|| manifests.iter().find(|m| !is_attestation(m)))
        .ok_or_else(|| image_err(path, "no image manifest in the index"))?;
    let what = if level == 0 {
        "index.json"
    } else {
        "the image index"
    };
    warnings.push(format!(
        "{path}: {what} lists {} manifests; catalogued {}",
        manifests.len(),
        pick.get("digest").and_then(Value::as_str).unwrap_or("?")
    ));
    Ok(pick)
}

/// What an image tarball's root and small blobs said, collected while it streamed by.
#[derive(Debug, Default)]
pub(crate) struct ImageProbe {
    manifest_json: Option<Vec<u8>>,
    index_json: Option<Vec<u8>>,
    oci_layout: bool,
    blobs: HashMap<String, Vec<u8>>,
    kept: u64,
}

impl ImageProbe {
    pub fn add_root_meta(&mut self, rel: &str, v: Vec<u8>) {
        match rel {
            "manifest.json" => self.manifest_json = Some(v),
            "index.json" => self.index_json = Some(v),
            "oci-layout" => self.oci_layout = true,
            _ => {}
        }
    }

    pub fn can_keep(&self, size: u64) -> bool {
        self.kept + size <= MAX_KEPT
    }

    pub fn keep_blob(&mut self, hex: &str, v: Vec<u8>) {
        self.kept += v.len() as u64;
        self.blobs.insert(hex.to_string(), v);
    }

    /// An OCI layout (`oci-layout` + `index.json`) or a docker-save archive (`manifest.json`
    /// listing images with `Layers`). A source tarball that merely has an `index.json` at its
    /// root is neither.
    pub fn is_image(&self) -> bool {
        (self.oci_layout && self.index_json.is_some())
            || self
                .manifest_json
                .as_deref()
                .and_then(|m| serde_json::from_slice::<Value>(m).ok())
                .and_then(|v| v.as_array().and_then(|a| a.first()).cloned())
                .is_some_and(|first| first.get("Layers").is_some_and(Value::is_array))
    }

    /// The image's plan: from `index.json` when there is one, else from docker's `manifest.json`.
    pub fn plan(self, path: &str) -> Result<ImagePlan, SbomError> {
        if let (true, Some(index)) = (self.oci_layout, &self.index_json) {
            let blobs = &self.blobs;
            let mut get = |hex: &str| {
                blobs.get(hex).cloned().ok_or_else(|| {
                    image_err(
                        path,
                        format!("blob sha256:{hex} is missing (or larger than {SMALL_BLOB} bytes)"),
                    )
                })
            };
            return plan_from_index(path, index, &mut get);
        }
        let Some(m) = &self.manifest_json else {
            return Err(image_err(path, "no index.json or manifest.json"));
        };
        let v: Value = serde_json::from_slice(m)
            .map_err(|e| image_err(path, format!("manifest.json is not JSON: {e}")))?;
        let first = v
            .as_array()
            .and_then(|a| a.first())
            .ok_or_else(|| image_err(path, "manifest.json lists no image"))?;
        let mut plan = ImagePlan::default();
        if v.as_array().is_some_and(|a| a.len() > 1) {
            plan.warnings.push(format!(
                "{path}: manifest.json lists several images; catalogued the first"
            ));
        }
        for l in first
            .get("Layers")
            .and_then(Value::as_array)
            .ok_or_else(|| image_err(path, "manifest.json entry without Layers"))?
        {
            let l = l
                .as_str()
                .and_then(crate::walk::safe_rel)
                .ok_or_else(|| image_err(path, "bad layer path in manifest.json"))?;
            plan.layer_paths.push(l);
        }
        plan.warnings.push(format!(
            "{path}: docker-save archive without an OCI index.json: the registry manifest digest is unknown"
        ));
        Ok(plan)
    }
}

/// `true` when `dir` is an OCI image layout (it has `oci-layout` and `index.json`).
pub(crate) fn is_oci_layout(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() && dir.join("index.json").is_file()
}
