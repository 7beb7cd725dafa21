//! Container images as release artifacts. The officer names `REFERENCE=SOURCE`: the registry
//! reference the image signature will bind, and an OCI image layout (a folder, or a tarball of
//! one as `docker save` from Docker 25 and `skopeo copy … oci-archive:` write it), with
//! `:TAG` or `@sha256:DIGEST` to pick one image. The image is read once, every blob checked
//! against its digest as it is copied, and staged as a layout of that one image: the artifact's
//! bytes are its manifest (so the signed subject is the manifest digest), the SBOM step
//! catalogues the staged layout, and the bundle carries its blobs.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use strongroom_bundle::ArtifactName;
use strongroom_core::digest::is_sha256_hex;

use crate::OpsError;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
/// Manifests and `index.json` are small; anything larger is refused unread.
const MAX_MANIFEST: u64 = 4 << 20;
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// An image the officer names: `REFERENCE=SOURCE`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "ImageForm"))]
pub struct ImageSpec {
    /// The registry reference the signature binds (`registry.example.com/acme/app`).
    pub reference: String,
    /// The layout folder or tarball, with `:TAG` or `@sha256:DIGEST` when it holds several.
    pub source: String,
}

impl FromStr for ImageSpec {
    type Err = OpsError;
    fn from_str(s: &str) -> Result<Self, OpsError> {
        let (reference, source) = s.split_once('=').ok_or_else(|| OpsError::Image {
            source_: s.to_owned(),
            problem:
                "expected REFERENCE=SOURCE, e.g. registry.example.com/acme/app=build/app-oci:1.0"
                    .into(),
        })?;
        Ok(ImageSpec {
            reference: reference.trim().to_owned(),
            source: source.trim().to_owned(),
        })
    }
}

/// What the officer is shown for an image before the release is made.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImageSummary {
    /// The artifact name it gets in the release (the reference's last path component).
    pub name: String,
    pub reference: String,
    pub source: String,
    /// `sha256:<hex>` of its manifest: the signed subject.
    pub manifest_digest: String,
    pub media_type: String,
    /// Its config and layer blobs.
    pub blobs: usize,
    /// The manifest and every blob, in bytes.
    pub size: u64,
}

/// One blob of a staged image.
#[derive(Clone, Debug)]
pub struct StagedBlob {
    pub hex: String,
    pub size: u64,
    pub media_type: String,
    pub path: PathBuf,
}

/// An image read, checked and staged as a layout of its own.
#[derive(Debug)]
pub struct StagedImage {
    pub name: ArtifactName,
    pub reference: String,
    pub media_type: String,
    /// `sha256:<hex>` of the manifest.
    pub manifest_digest: String,
    /// A file named after the artifact holding the manifest's bytes.
    pub manifest_path: PathBuf,
    pub manifest_size: u64,
    /// The staged OCI layout of this image alone (catalogued for the SBOM).
    pub layout: PathBuf,
    /// Config first, then the layers, bottom first.
    pub blobs: Vec<StagedBlob>,
    _dir: tempfile::TempDir,
}

impl StagedImage {
    pub fn summary(&self, source: &str) -> ImageSummary {
        ImageSummary {
            name: self.name.to_string(),
            reference: self.reference.clone(),
            source: source.to_owned(),
            manifest_digest: self.manifest_digest.clone(),
            media_type: self.media_type.clone(),
            blobs: self.blobs.len(),
            size: self.manifest_size + self.blobs.iter().map(|b| b.size).sum::<u64>(),
        }
    }
}

/// Each image's cosign signature: the simple-signing payload naming its manifest digest at its
/// reference, and the base64 signature over it, in one batch.
pub fn sign_claims(
    signer: &dyn strongroom_core::Signer,
    images: &[&StagedImage],
) -> Result<Vec<(Vec<u8>, String)>, OpsError> {
    use strongroom_core::simplesigning::{encode_signature, Claim};
    let payloads: Vec<Vec<u8>> = images
        .iter()
        .map(|i| {
            Claim::new(&i.reference, &i.manifest_digest)
                .map(|c| c.payload())
                .map_err(|e| OpsError::BadInput(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    if payloads.is_empty() {
        return Ok(Vec::new());
    }
    let sigs = signer.sign_batch(&payloads.iter().map(Vec::as_slice).collect::<Vec<_>>())?;
    Ok(payloads
        .into_iter()
        .zip(sigs)
        .map(|(p, s)| (p, encode_signature(&s)))
        .collect())
}

/// What `sign --image` writes for an image, in `dir`: its manifest (`NAME.manifest.json`, so
/// that `verify --key KEY NAME.manifest.json` checks the next file), the Sigstore bundle over
/// it, and its cosign signature (`NAME.cosign.json`, the payload, and `NAME.cosign.sig`).
pub fn sign_outputs(name: &ArtifactName, dir: &Path) -> [PathBuf; 4] {
    [
        dir.join(format!("{name}.manifest.json")),
        dir.join(format!("{name}.manifest.json.sigstore.json")),
        dir.join(format!("{name}.cosign.json")),
        dir.join(format!("{name}.cosign.sig")),
    ]
}

/// The folder `sign --image` writes into without `-o`: the one that holds the source.
pub fn source_dir(spec: &ImageSpec) -> PathBuf {
    let path = split_source(&spec.source).map_or_else(|_| PathBuf::from(&spec.source), |(p, _)| p);
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Where the image is and which one: a path, and a tag or digest.
#[derive(Debug, PartialEq, Eq)]
enum Pick {
    Only,
    Tag(String),
    Digest(String),
}

/// Splits `SOURCE[:TAG|@sha256:HEX]`: a path that exists is taken whole.
fn split_source(source: &str) -> Result<(PathBuf, Pick), String> {
    if Path::new(source).exists() {
        return Ok((PathBuf::from(source), Pick::Only));
    }
    if let Some((path, digest)) = source.rsplit_once('@') {
        let hex = digest
            .strip_prefix("sha256:")
            .filter(|h| is_sha256_hex(h))
            .ok_or_else(|| format!("{digest:?} is not sha256:<64 lowercase hex digits>"))?;
        if Path::new(path).exists() {
            return Ok((PathBuf::from(path), Pick::Digest(hex.to_owned())));
        }
        return Err(format!("{path} does not exist"));
    }
    if let Some((path, tag)) = source.rsplit_once(':') {
        if Path::new(path).exists() && !tag.is_empty() && !tag.contains('/') {
            return Ok((PathBuf::from(path), Pick::Tag(tag.to_owned())));
        }
    }
    Err(format!("{source} does not exist"))
}

/// The image source, opened: a layout folder (a tarball is first unpacked into one).
struct Layout {
    dir: PathBuf,
}

impl Layout {
    fn blob_path(&self, hex: &str) -> PathBuf {
        self.dir.join("blobs").join("sha256").join(hex)
    }

    /// A small blob (manifest, index), read whole and checked against its digest.
    fn small(&self, hex: &str) -> Result<Vec<u8>, String> {
        let path = self.blob_path(hex);
        let f = fs::File::open(&path).map_err(|e| format!("blob sha256:{hex}: {e}"))?;
        let mut bytes = Vec::new();
        f.take(MAX_MANIFEST + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("blob sha256:{hex}: {e}"))?;
        if bytes.len() as u64 > MAX_MANIFEST {
            return Err(format!(
                "manifest sha256:{hex} is larger than {MAX_MANIFEST} bytes"
            ));
        }
        let got = hex::encode(Sha256::digest(&bytes));
        if got != hex {
            return Err(format!(
                "blob sha256:{hex} holds content with sha256:{got}: the image is damaged"
            ));
        }
        Ok(bytes)
    }
}

/// Unpacks the layout files of an image tarball (`oci-layout`, `index.json`, `manifest.json`,
/// `blobs/sha256/<hex>`) into `into`; nothing else is written, so no entry can land outside it.
fn unpack(tarball: &Path, into: &Path) -> Result<(), String> {
    let f = fs::File::open(tarball).map_err(|e| e.to_string())?;
    let mut archive = tar::Archive::new(io::BufReader::new(f));
    fs::create_dir_all(into.join("blobs/sha256")).map_err(|e| e.to_string())?;
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a readable tar archive: {e}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let rel = path.to_string_lossy();
        let rel = rel.strip_prefix("./").unwrap_or(&rel).to_owned();
        let keep = matches!(rel.as_str(), "oci-layout" | "index.json" | "manifest.json")
            || rel.strip_prefix("blobs/sha256/").is_some_and(is_sha256_hex);
        if !keep {
            continue;
        }
        let mut out = fs::File::create(into.join(&rel)).map_err(|e| e.to_string())?;
        io::copy(&mut entry, &mut out).map_err(|e| format!("{rel}: {e}"))?;
    }
    Ok(())
}

/// Reads `spec.source`, picks the image, and stages it under a new temporary folder in
/// `tmp_root`.
pub fn stage(spec: &ImageSpec, tmp_root: &Path) -> Result<StagedImage, OpsError> {
    stage_as(spec, tmp_root, true)
}

/// What the officer is shown for `spec`: the image read and every blob checked against its
/// digest where it lies, without copying the layers (a tarball is still unpacked to be read).
pub fn inspect(spec: &ImageSpec, tmp_root: &Path) -> Result<ImageSummary, OpsError> {
    Ok(stage_as(spec, tmp_root, false)?.summary(&spec.source))
}

/// [`stage`]; with `copy` false the blobs are only checked, and the staged layout holds none.
fn stage_as(spec: &ImageSpec, tmp_root: &Path, copy: bool) -> Result<StagedImage, OpsError> {
    let err = |problem: String| OpsError::Image {
        source_: spec.source.clone(),
        problem,
    };
    strongroom_core::simplesigning::check_reference(&spec.reference)
        .map_err(|e| err(e.to_string()))?;
    let name = image_name(&spec.reference).map_err(err)?;
    let (path, pick) = split_source(&spec.source).map_err(err)?;
    let dir = tempfile::Builder::new()
        .prefix(".strongroom-image-")
        .tempdir_in(tmp_root)
        .map_err(|e| err(format!("cannot stage it in {}: {e}", tmp_root.display())))?;
    let layout = if path.is_dir() {
        Layout { dir: path.clone() }
    } else {
        let into = dir.path().join("source");
        unpack(&path, &into).map_err(err)?;
        Layout { dir: into }
    };
    if !layout.dir.join("index.json").is_file() {
        let problem = if layout.dir.join("manifest.json").is_file() {
            "a docker-save archive without an OCI index.json carries no registry manifest to sign: save it with Docker 25 or later, or convert it with `skopeo copy docker-archive:FILE oci:DIR:TAG`"
        } else {
            "not an OCI image layout: it has no index.json"
        };
        return Err(err(problem.into()));
    }
    let (hex, tag) = choose(&layout, &pick).map_err(err)?;
    let manifest = layout.small(&hex).map_err(err)?;
    let v: Value = serde_json::from_slice(&manifest)
        .map_err(|e| err(format!("manifest sha256:{hex} is not JSON: {e}")))?;
    let media_type = v
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or(OCI_MANIFEST)
        .to_owned();
    if INDEX_TYPES.contains(&media_type.as_str()) || v.get("manifests").is_some() {
        let children: Vec<String> = v["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                let p = &m["platform"];
                format!(
                    "{} ({}/{})",
                    m["digest"].as_str().unwrap_or("?"),
                    p["os"].as_str().unwrap_or("?"),
                    p["architecture"].as_str().unwrap_or("?")
                )
            })
            .collect();
        return Err(err(format!(
            "sha256:{hex} is a multi-platform image index; release one platform's image, picked by its digest ({}@sha256:…): {}",
            path.display(),
            children.join(", ")
        )));
    }
    if media_type != OCI_MANIFEST && media_type != DOCKER_MANIFEST {
        return Err(err(format!(
            "manifest media type {media_type:?} is not an image manifest"
        )));
    }
    let mut descriptors = vec![v
        .get("config")
        .cloned()
        .ok_or_else(|| err("the manifest has no config".into()))?];
    descriptors.extend(
        v.get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| err("the manifest has no layers".into()))?
            .iter()
            .cloned(),
    );

    let out = dir.path().join("layout").join(name.as_str());
    fs::create_dir_all(out.join("blobs/sha256")).map_err(|e| err(e.to_string()))?;
    let mut blobs: Vec<StagedBlob> = Vec::new();
    for d in &descriptors {
        let digest = d.get("digest").and_then(Value::as_str).unwrap_or("");
        let bhex = digest
            .strip_prefix("sha256:")
            .filter(|h| is_sha256_hex(h))
            .ok_or_else(|| err(format!("blob digest {digest:?} is not sha256")))?;
        let size = d
            .get("size")
            .and_then(Value::as_u64)
            .ok_or_else(|| err(format!("blob {digest} has no size")))?;
        let media = d
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or("application/octet-stream");
        if blobs.iter().any(|b| b.hex == bhex) {
            continue;
        }
        let to = out.join("blobs/sha256").join(bhex);
        copy_checked(&layout.blob_path(bhex), copy.then_some(&to), bhex, size).map_err(err)?;
        blobs.push(StagedBlob {
            hex: bhex.to_owned(),
            size,
            media_type: media.to_owned(),
            path: to,
        });
    }
    let manifest_path = dir.path().join(name.as_str());
    fs::write(&manifest_path, &manifest).map_err(|e| err(e.to_string()))?;
    fs::write(out.join("blobs/sha256").join(&hex), &manifest).map_err(|e| err(e.to_string()))?;
    fs::write(out.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
        .map_err(|e| err(e.to_string()))?;
    let mut desc =
        json!({"mediaType": media_type, "digest": format!("sha256:{hex}"), "size": manifest.len()});
    if let Some(t) = tag {
        desc["annotations"] = json!({ REF_NAME: t });
    }
    let index = json!({"schemaVersion": 2, "mediaType": INDEX_TYPES[0], "manifests": [desc]});
    fs::write(
        out.join("index.json"),
        serde_json::to_vec(&index).expect("JSON"),
    )
    .map_err(|e| err(e.to_string()))?;
    Ok(StagedImage {
        name,
        reference: spec.reference.clone(),
        media_type,
        manifest_digest: format!("sha256:{hex}"),
        manifest_size: manifest.len() as u64,
        manifest_path,
        layout: out,
        blobs,
        _dir: dir,
    })
}

/// The artifact name of an image: its reference's last path component, without the tag.
fn image_name(reference: &str) -> Result<ArtifactName, String> {
    let path = reference.split_once('/').map_or(reference, |(_, p)| p);
    let last = path.rsplit('/').next().unwrap_or(path);
    let last = last.split(':').next().unwrap_or(last);
    ArtifactName::parse(last).map_err(|e| e.to_string())
}

/// The manifest `pick` names: its hex digest and the tag it was found by.
fn choose(layout: &Layout, pick: &Pick) -> Result<(String, Option<String>), String> {
    let bytes = fs::read(layout.dir.join("index.json")).map_err(|e| format!("index.json: {e}"))?;
    let index: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("index.json is not JSON: {e}"))?;
    let manifests = index
        .get("manifests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let hex_of = |m: &Value| {
        m.get("digest")
            .and_then(Value::as_str)
            .and_then(|d| d.strip_prefix("sha256:"))
            .filter(|h| is_sha256_hex(h))
            .map(str::to_owned)
    };
    let tag_of = |m: &Value| {
        m.get("annotations")
            .and_then(|a| a.get(REF_NAME))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let tags: Vec<String> = manifests.iter().filter_map(tag_of).collect();
    match pick {
        Pick::Digest(hex) => {
            if layout.blob_path(hex).is_file() {
                let tag = manifests
                    .iter()
                    .find(|m| hex_of(m).as_deref() == Some(hex))
                    .and_then(tag_of);
                Ok((hex.clone(), tag))
            } else {
                Err(format!("it holds no blob sha256:{hex}"))
            }
        }
        Pick::Tag(t) => {
            // Docker writes the whole name (`docker.io/library/app:1.0`) in ref.name as well.
            let found = manifests.iter().find(|m| {
                tag_of(m)
                    .is_some_and(|r| r == *t || r.rsplit_once(':').is_some_and(|(_, x)| x == t))
            });
            match found.and_then(hex_of) {
                Some(h) => Ok((h, Some(t.clone()))),
                None => Err(format!(
                    "no image is tagged {t:?}; its tags: {}",
                    if tags.is_empty() {
                        "none".into()
                    } else {
                        tags.join(", ")
                    }
                )),
            }
        }
        Pick::Only => match manifests.as_slice() {
            [one] => hex_of(one)
                .map(|h| (h, tag_of(one)))
                .ok_or_else(|| "index.json names a manifest without a sha256 digest".into()),
            [] => Err("index.json lists no image".into()),
            _ => Err(format!(
                "it holds {} images: pick one with :TAG or @sha256:DIGEST (tags: {})",
                manifests.len(),
                if tags.is_empty() {
                    "none".into()
                } else {
                    tags.join(", ")
                }
            )),
        },
    }
}

/// Copies the blob `from` to `to` (or only reads it, without `to`), checking its size and
/// SHA-256 on the way.
fn copy_checked(from: &Path, to: Option<&PathBuf>, hex: &str, size: u64) -> Result<(), String> {
    let mut input =
        fs::File::open(from).map_err(|e| format!("blob sha256:{hex} is missing: {e}"))?;
    let mut out = to
        .map(fs::File::create)
        .transpose()
        .map_err(|e| e.to_string())?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n: u64 = 0;
    loop {
        let got = input
            .read(&mut buf)
            .map_err(|e| format!("blob sha256:{hex}: {e}"))?;
        if got == 0 {
            break;
        }
        n += got as u64;
        if n > size {
            return Err(format!(
                "blob sha256:{hex} is larger than the {size} bytes its manifest says"
            ));
        }
        h.update(&buf[..got]);
        if let Some(out) = out.as_mut() {
            out.write_all(&buf[..got]).map_err(|e| e.to_string())?;
        }
    }
    let got = hex::encode(h.finalize());
    if n != size || got != hex {
        return Err(format!(
            "blob sha256:{hex} holds {n} bytes with sha256:{got}, not what the manifest lists: the image is damaged"
        ));
    }
    if let Some(out) = out {
        out.sync_all().map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_split_into_a_path_and_a_pick() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("img");
        fs::create_dir(&p).unwrap();
        let s = p.display().to_string();
        assert_eq!(split_source(&s).unwrap(), (p.clone(), Pick::Only));
        assert_eq!(
            split_source(&format!("{s}:1.0")).unwrap(),
            (p.clone(), Pick::Tag("1.0".into()))
        );
        let hex = "a".repeat(64);
        assert_eq!(
            split_source(&format!("{s}@sha256:{hex}")).unwrap(),
            (p.clone(), Pick::Digest(hex))
        );
        assert!(split_source(&format!("{s}@sha256:12")).is_err());
        assert!(split_source(&format!("{s}-nope:1.0")).is_err());
        assert_eq!(
            image_name("127.0.0.1:5000/acme/app:1.0").unwrap().as_str(),
            "app"
        );
    }
}
