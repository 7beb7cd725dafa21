//! What a release bundle becomes in an OCI registry, decided offline (by `strongroom-publish`
//! before it connects, and by the station to tell the officer what will be pushed): the blobs
//! and manifests to push, in order (blobs first, every subject before its referrers), each
//! manifest's bytes fixed (canonical field order, no time in them), so that a second publish
//! of the same bundle finds everything in place and pushes nothing.
//!
//! - each file artifact: an OCI artifact manifest (`artifactType`
//!   [`FILE_ARTIFACT_TYPE`], one layer titled with its name);
//! - each container image: itself (its config and layers, then its manifest, by digest), and
//!   its cosign signature as cosign writes it: a manifest tagged `sha256-<hex>.sig` whose layer
//!   is the simple-signing payload with the signature in its annotation;
//! - the release: an OCI image index of those manifests, tagged with the release version;
//! - each artifact's Sigstore bundles (signature, SBOM, provenance, vulnerabilities): referrers
//!   of the artifact's manifest, `artifactType` [`SIGSTORE_BUNDLE_TYPE`], with the
//!   `dev.sigstore.bundle.content` and `dev.sigstore.bundle.predicateType` annotations;
//! - the release manifest with its approvals, and every other entry of the bundle that is not
//!   pushed as one of the above (README, public keys, SBOM files, audit excerpt), each layer
//!   titled with its path in the bundle: a referrer of the index, `artifactType`
//!   [`RELEASE_MANIFEST_TYPE`]. With it, the registry (or a layout pulled from it) holds the
//!   whole bundle, and `strongroom verify` can check a layout offline.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::{EntryRole, Manifest, Sha256Digest};
use serde::Serialize;
use serde_json::{json, Value};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// `{}`, the empty config every artifact manifest names.
pub const EMPTY_JSON: &[u8] = b"{}";
pub const FILE_ARTIFACT_TYPE: &str = "application/vnd.strongroom.file.v1";
pub const RELEASE_TYPE: &str = "application/vnd.strongroom.release.v1";
pub const RELEASE_MANIFEST_TYPE: &str = "application/vnd.strongroom.manifest.v1+json";
pub const SIGSTORE_BUNDLE_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// cosign's predicate type for a bundle that carries a plain signature over the artifact.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// Where a blob's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Bytes(Vec<u8>),
    /// An entry of the release bundle (zip).
    ZipEntry(String),
    /// A file beside the bundle (`--artifacts DIR`).
    File(PathBuf),
}

/// A blob to push (when the registry lacks it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
    /// What it is, for the person (`app.tar.gz`, `signatures/app.tar.gz.sigstore.json`).
    pub what: String,
    pub source: Source,
}

/// A manifest (or index) to push, and the tag it gets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ManifestPush {
    pub what: String,
    pub media_type: String,
    pub artifact_type: String,
    pub digest: String,
    pub size: u64,
    /// The tag it is pushed under (the release index), else pushed by digest.
    pub tag: Option<String>,
    /// The manifest it refers to (a referrer), by digest.
    pub subject: Option<String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

impl ManifestPush {
    /// The descriptor an index (or the referrers tag schema) lists it by (an image has no
    /// `artifactType`).
    pub fn descriptor(&self) -> Value {
        let mut d = json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        });
        if !self.artifact_type.is_empty() {
            d["artifactType"] = json!(self.artifact_type);
        }
        if !self.annotations.is_empty() {
            d["annotations"] = json!(self.annotations);
        }
        d
    }
}

/// Everything to push, in order.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub blobs: Vec<Blob>,
    pub manifests: Vec<ManifestPush>,
}

/// Why a bundle cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("the bundle does not carry {0} and no --artifacts folder holds it: give --artifacts DIR with the released files")]
    MissingArtifact(String),
    #[error("{path}: {why}")]
    Unreadable { path: String, why: String },
    #[error("the release version {0:?} cannot be made a registry tag")]
    BadTag(String),
}

/// The tag a release version is published under: the version, with SemVer's build `+` written
/// `_` as Helm does (a tag cannot hold `+`), when that is a valid tag
/// (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`), else refused.
pub fn version_tag(version: &str) -> Result<String, PlanError> {
    let tag = version.replace('+', "_");
    let version = tag.as_str();
    let ok = !version.is_empty()
        && version.len() <= 128
        && version
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(version.to_owned())
    } else {
        Err(PlanError::BadTag(version.to_owned()))
    }
}

/// The tag the referrers tag schema uses for `digest` (`sha256:HEX` → `sha256-HEX`).
pub fn referrers_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", Sha256Digest::of_bytes(bytes).to_hex())
}

fn empty_config() -> Value {
    json!({"mediaType": OCI_EMPTY, "digest": sha256(EMPTY_JSON), "size": EMPTY_JSON.len()})
}

/// An OCI image manifest of `layers`, with the empty config, `artifactType`, an optional
/// subject and annotations, in a fixed field order.
fn artifact_manifest(
    what: String,
    artifact_type: &str,
    layers: Vec<Value>,
    subject: Option<&ManifestPush>,
    annotations: BTreeMap<String, String>,
) -> ManifestPush {
    let mut m = serde_json::Map::new();
    m.insert("schemaVersion".into(), json!(2));
    m.insert("mediaType".into(), json!(OCI_MANIFEST));
    m.insert("artifactType".into(), json!(artifact_type));
    m.insert("config".into(), empty_config());
    m.insert("layers".into(), Value::Array(layers));
    if let Some(s) = subject {
        m.insert(
            "subject".into(),
            json!({"mediaType": s.media_type, "digest": s.digest, "size": s.size}),
        );
    }
    if !annotations.is_empty() {
        m.insert("annotations".into(), json!(annotations));
    }
    let bytes = serde_json::to_vec(&Value::Object(m)).expect("JSON serialises");
    ManifestPush {
        what,
        media_type: OCI_MANIFEST.into(),
        artifact_type: artifact_type.to_owned(),
        digest: sha256(&bytes),
        size: bytes.len() as u64,
        tag: None,
        subject: subject.map(|s| s.digest.clone()),
        annotations,
        bytes,
    }
}

fn layer(media_type: &str, digest: &str, size: u64, title: &str) -> Value {
    json!({
        "mediaType": media_type,
        "digest": digest,
        "size": size,
        "annotations": {"org.opencontainers.image.title": title},
    })
}

/// A file of the bundle (or beside it), read for the plan: its bytes' digest and size.
pub trait Files {
    /// The bytes of zip entry `name` (small: JSON and PEM files).
    fn entry(&self, name: &str) -> Result<Vec<u8>, PlanError>;
    /// Whether the bundle carries `name`.
    fn has(&self, name: &str) -> bool;
}

/// The plan for a verified bundle whose manifest is `manifest`; `artifacts_dir` holds the
/// artifacts the bundle does not carry.
pub fn plan(
    manifest: &Manifest,
    manifest_bytes: &[u8],
    files: &dyn Files,
    approvals: &[String],
    artifacts_dir: Option<&std::path::Path>,
) -> Result<Plan, PlanError> {
    plan_inner(
        manifest,
        manifest_bytes,
        files,
        approvals,
        artifacts_dir,
        false,
    )
}

/// The plan as the station shows it when the release is made: the same manifests and digests,
/// with artifacts the bundle does not carry named by where they will be found (`--artifacts`).
pub fn preview_of_zip(zip: &crate::SafeZip) -> Result<Plan, PlanError> {
    let (manifest, bytes, approvals) = plan_inputs(zip)?;
    plan_inner(&manifest, &bytes, zip, &approvals, None, true)
}

/// The manifest (parsed, and as its bytes) and the approval files of a bundle.
fn plan_inputs(zip: &crate::SafeZip) -> Result<(Manifest, Vec<u8>, Vec<String>), PlanError> {
    let manifest_bytes = Files::entry(zip, "manifest.json")?;
    let manifest = Manifest::parse(&manifest_bytes).map_err(|e| PlanError::Unreadable {
        path: "manifest.json".into(),
        why: e.to_string(),
    })?;
    let mut approvals: Vec<String> = zip
        .names()
        .filter(|n| n.starts_with("approvals/"))
        .map(str::to_owned)
        .collect();
    approvals.sort();
    Ok((manifest, manifest_bytes, approvals))
}

fn plan_inner(
    manifest: &Manifest,
    manifest_bytes: &[u8],
    files: &dyn Files,
    approvals: &[String],
    artifacts_dir: Option<&std::path::Path>,
    preview: bool,
) -> Result<Plan, PlanError> {
    let release = manifest.release();
    let tag = version_tag(release.version())?;
    let mut plan = Plan::default();
    let push_blob = |plan: &mut Plan, b: Blob| {
        if !plan.blobs.iter().any(|x| x.digest == b.digest) {
            plan.blobs.push(b);
        }
    };
    push_blob(
        &mut plan,
        Blob {
            digest: sha256(EMPTY_JSON),
            size: 2,
            what: "the empty config".into(),
            source: Source::Bytes(EMPTY_JSON.to_vec()),
        },
    );
    let release_note = format!("{}@{}", release.name(), release.version());
    let mut artifact_manifests = Vec::new();
    let mut referrers = Vec::new();
    let mut signatures = Vec::new();
    // Entries pushed as something of their own; the rest ride with the release manifest.
    let mut pushed: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for a in manifest.artifacts() {
        let name = a.name.as_str().to_owned();
        let digest = format!("sha256:{}", a.sha256.to_hex());
        let in_zip = format!("artifacts/{name}");
        let source = if a.image.is_some() {
            // An image's manifest is pushed as a manifest, not a blob.
            Source::Bytes(Vec::new())
        } else if a.included && files.has(&in_zip) {
            Source::ZipEntry(in_zip)
        } else if preview {
            Source::File(PathBuf::from(&name))
        } else {
            let path = artifacts_dir
                .map(|d| d.join(&name))
                .filter(|p| p.is_file())
                .ok_or_else(|| PlanError::MissingArtifact(name.clone()))?;
            Source::File(path)
        };
        if a.image.is_none() {
            push_blob(
                &mut plan,
                Blob {
                    digest: digest.clone(),
                    size: a.size,
                    what: name.clone(),
                    source,
                },
            );
        }
        let annotations = BTreeMap::from([
            ("org.opencontainers.image.title".to_owned(), name.clone()),
            (
                "org.opencontainers.image.version".to_owned(),
                release.version().to_owned(),
            ),
            ("dev.strongroom.release".to_owned(), release_note.clone()),
        ]);
        let am = match &a.image {
            Some(image) => {
                let (am, sig) = image_pushes(&mut plan, a, image, files)?;
                signatures.push(sig);
                am
            }
            None => artifact_manifest(
                name.clone(),
                FILE_ARTIFACT_TYPE,
                vec![layer("application/octet-stream", &digest, a.size, &name)],
                None,
                annotations,
            ),
        };
        // Its Sigstore bundles, as referrers.
        for e in manifest.entries().iter().filter(|e| {
            matches!(
                e.role,
                EntryRole::ArtifactSignature | EntryRole::Attestation
            ) && e.subjects.iter().any(|s| s.as_str() == name)
        }) {
            let bytes = files.entry(&e.path)?;
            pushed.insert(e.path.clone());
            let bdigest = sha256(&bytes);
            let content = bundle_content(&bytes);
            let predicate = e.predicate_type.clone().unwrap_or_else(|| {
                if content == "dsse-envelope" {
                    String::new()
                } else {
                    COSIGN_SIGN_PREDICATE.to_owned()
                }
            });
            push_blob(
                &mut plan,
                Blob {
                    digest: bdigest.clone(),
                    size: bytes.len() as u64,
                    what: e.path.clone(),
                    source: Source::ZipEntry(e.path.clone()),
                },
            );
            let title = e.path.rsplit('/').next().unwrap_or(&e.path).to_owned();
            let annotations = BTreeMap::from([
                ("dev.sigstore.bundle.content".to_owned(), content.to_owned()),
                ("dev.sigstore.bundle.predicateType".to_owned(), predicate),
                ("org.opencontainers.image.title".to_owned(), title.clone()),
            ]);
            referrers.push(artifact_manifest(
                e.path.clone(),
                SIGSTORE_BUNDLE_TYPE,
                vec![layer(
                    SIGSTORE_BUNDLE_TYPE,
                    &bdigest,
                    bytes.len() as u64,
                    &title,
                )],
                Some(&am),
                annotations,
            ));
        }
        artifact_manifests.push(am);
    }
    // The release: an index of the artifacts, tagged with the version.
    let index = {
        let mut m = serde_json::Map::new();
        m.insert("schemaVersion".into(), json!(2));
        m.insert("mediaType".into(), json!(OCI_INDEX));
        m.insert("artifactType".into(), json!(RELEASE_TYPE));
        m.insert(
            "manifests".into(),
            Value::Array(artifact_manifests.iter().map(|m| m.descriptor()).collect()),
        );
        let annotations = BTreeMap::from([
            (
                "org.opencontainers.image.version".to_owned(),
                release.version().to_owned(),
            ),
            ("dev.strongroom.release".to_owned(), release_note.clone()),
            (
                "dev.strongroom.stage".to_owned(),
                release.stage().to_string(),
            ),
        ]);
        m.insert("annotations".into(), json!(annotations));
        let bytes = serde_json::to_vec(&Value::Object(m)).expect("JSON serialises");
        ManifestPush {
            what: format!("the release {release_note}"),
            media_type: OCI_INDEX.into(),
            artifact_type: RELEASE_TYPE.into(),
            digest: sha256(&bytes),
            size: bytes.len() as u64,
            tag: Some(tag),
            subject: None,
            annotations,
            bytes,
        }
    };
    // The release manifest and its approvals: a referrer of the index.
    let mut layers = Vec::new();
    let mut add = |plan: &mut Plan, name: &str, media: &str, bytes: Vec<u8>| {
        let d = sha256(&bytes);
        layers.push(layer(media, &d, bytes.len() as u64, name));
        push_blob(
            plan,
            Blob {
                digest: d,
                size: bytes.len() as u64,
                what: name.to_owned(),
                source: Source::Bytes(bytes),
            },
        );
    };
    add(
        &mut plan,
        "manifest.json",
        RELEASE_MANIFEST_TYPE,
        manifest_bytes.to_vec(),
    );
    for a in approvals {
        let media = if a.ends_with(".pem") {
            "application/x-pem-file"
        } else {
            SIGSTORE_BUNDLE_TYPE
        };
        add(&mut plan, a, media, files.entry(a)?);
    }
    // Every other entry, so that what was published is the whole bundle.
    for e in manifest.entries() {
        let elsewhere = pushed.contains(&e.path)
            || matches!(e.role, EntryRole::Artifact | EntryRole::ImageBlob);
        if !elsewhere {
            add(&mut plan, &e.path, &e.media_type, files.entry(&e.path)?);
        }
    }
    if files.has(crate::paths::AUDIT_EXCERPT_PATH) {
        add(
            &mut plan,
            crate::paths::AUDIT_EXCERPT_PATH,
            "application/json",
            files.entry(crate::paths::AUDIT_EXCERPT_PATH)?,
        );
    }
    let release_manifest = artifact_manifest(
        format!(
            "the release manifest of {release_note} with {} approval file(s)",
            approvals.len()
        ),
        RELEASE_MANIFEST_TYPE,
        layers,
        Some(&index),
        BTreeMap::from([("dev.strongroom.release".to_owned(), release_note)]),
    );
    plan.manifests.extend(artifact_manifests);
    plan.manifests.push(index);
    plan.manifests.extend(signatures);
    plan.manifests.extend(referrers);
    plan.manifests.push(release_manifest);
    Ok(plan)
}

/// The config of a cosign `.sig` manifest, as cosign writes it: one diff id per signature
/// layer.
pub fn cosign_config(layer_digests: &[&str]) -> Vec<u8> {
    let epoch = "0001-01-01T00:00:00Z";
    serde_json::to_vec(&json!({
        "architecture": "",
        "config": {},
        "created": epoch,
        "history": [{"created": epoch}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": layer_digests},
    }))
    .expect("JSON serialises")
}

/// The cosign signature manifest of `layers` (each a simple-signing payload with its
/// signature annotation), and its config's bytes.
pub fn cosign_manifest(layers: Vec<Value>) -> (Vec<u8>, Vec<u8>) {
    let digests: Vec<&str> = layers.iter().filter_map(|l| l["digest"].as_str()).collect();
    let config = cosign_config(&digests);
    let mut m = serde_json::Map::new();
    m.insert("schemaVersion".into(), json!(2));
    m.insert("mediaType".into(), json!(OCI_MANIFEST));
    m.insert(
        "config".into(),
        json!({"mediaType": OCI_CONFIG, "digest": sha256(&config), "size": config.len()}),
    );
    m.insert("layers".into(), Value::Array(layers));
    (
        serde_json::to_vec(&Value::Object(m)).expect("JSON serialises"),
        config,
    )
}

pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// An image artifact's pushes: its blobs (into `plan`), its manifest, and its cosign
/// signature manifest tagged `sha256-<hex>.sig`.
fn image_pushes(
    plan: &mut Plan,
    a: &crate::ArtifactRecord,
    image: &crate::ImageRecord,
    files: &dyn Files,
) -> Result<(ManifestPush, ManifestPush), PlanError> {
    use crate::paths::layout;
    let manifest_path = layout::artifact(&a.name);
    let bytes = files.entry(&manifest_path)?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| PlanError::Unreadable {
        path: manifest_path.clone(),
        why: e.to_string(),
    })?;
    for d in v
        .get("config")
        .into_iter()
        .chain(v["layers"].as_array().into_iter().flatten())
    {
        let digest = d["digest"].as_str().unwrap_or_default().to_owned();
        let hex = digest.strip_prefix("sha256:").unwrap_or_default();
        let path = layout::image_blob(&a.name, hex);
        if !files.has(&path) {
            return Err(PlanError::MissingArtifact(path));
        }
        if !plan.blobs.iter().any(|b| b.digest == digest) {
            plan.blobs.push(Blob {
                digest,
                size: d["size"].as_u64().unwrap_or(0),
                what: path.clone(),
                source: Source::ZipEntry(path),
            });
        }
    }
    let digest = sha256(&bytes);
    let am = ManifestPush {
        what: a.name.to_string(),
        media_type: image.media_type.clone(),
        artifact_type: String::new(),
        digest: digest.clone(),
        size: bytes.len() as u64,
        tag: None,
        subject: None,
        annotations: BTreeMap::new(),
        bytes,
    };
    // The cosign signature.
    let payload = files.entry(&layout::image_payload(&a.name))?;
    let sig = files.entry(&layout::image_signature(&a.name))?;
    let sig = String::from_utf8_lossy(&sig).trim().to_owned();
    let payload_digest = sha256(&payload);
    let sig_layer = json!({
        "mediaType": strongroom_core::simplesigning::PAYLOAD_MEDIA_TYPE,
        "digest": payload_digest,
        "size": payload.len(),
        "annotations": {strongroom_core::simplesigning::SIGNATURE_ANNOTATION: sig},
    });
    let (bytes, config) = cosign_manifest(vec![sig_layer]);
    for (what, b) in [
        ("the image signature payload", payload),
        ("the image signature config", config),
    ] {
        let d = sha256(&b);
        if !plan.blobs.iter().any(|x| x.digest == d) {
            plan.blobs.push(Blob {
                digest: d,
                size: b.len() as u64,
                what: format!("{what} of {}", a.name),
                source: Source::Bytes(b),
            });
        }
    }
    let sig = ManifestPush {
        what: format!("the cosign signature of {}", a.name),
        media_type: OCI_MANIFEST.into(),
        artifact_type: String::new(),
        digest: sha256(&bytes),
        size: bytes.len() as u64,
        tag: Some(format!("{}.sig", referrers_tag(&digest))),
        subject: None,
        annotations: BTreeMap::new(),
        bytes,
    };
    Ok((am, sig))
}

/// Largest JSON or PEM entry read whole for a plan (signatures, attestations, approvals).
const MAX_SMALL_ENTRY: u64 = 64 << 20;

impl Files for crate::SafeZip {
    fn entry(&self, name: &str) -> Result<Vec<u8>, PlanError> {
        self.read(name, MAX_SMALL_ENTRY)
            .map_err(|e| PlanError::Unreadable {
                path: name.to_owned(),
                why: e.to_string(),
            })
    }
    fn has(&self, name: &str) -> bool {
        self.contains(name)
    }
}

/// The plan of a bundle opened as `zip` (its manifest and approvals read from it).
pub fn plan_of_zip(
    zip: &crate::SafeZip,
    artifacts_dir: Option<&std::path::Path>,
) -> Result<(Manifest, Plan), PlanError> {
    let (manifest, bytes, approvals) = plan_inputs(zip)?;
    let plan = plan(&manifest, &bytes, zip, &approvals, artifacts_dir)?;
    Ok((manifest, plan))
}

/// The bundle an OCI image layout holds, as `strongroom-publish --to-oci-layout` (or a pull of
/// what it published) writes it: the release index is found by its `artifactType`, the release
/// manifest's referrer through the referrers tag, and every entry the manifest lists by its
/// digest among the layout's blobs. The entries are put back into a zip (a temporary file with
/// no name), which is then verified like any bundle; what is missing or altered in the layout
/// is what that verification reports. Returns the zip and the release index's digest.
pub fn bundle_from_layout(dir: &std::path::Path) -> Result<(std::fs::File, String), PlanError> {
    let shown = dir.display().to_string();
    let bad = |why: String| PlanError::Unreadable {
        path: shown.clone(),
        why,
    };
    let blob_path = |digest: &str| -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        strongroom_core::digest::is_sha256_hex(hex)
            .then(|| dir.join("blobs").join("sha256").join(hex))
    };
    let small = |digest: &str| -> Result<Value, PlanError> {
        let p =
            blob_path(digest).ok_or_else(|| bad(format!("{digest:?} is not a sha256 digest")))?;
        let bytes =
            read_capped(&p, MAX_SMALL_ENTRY).map_err(|e| bad(format!("blob {digest}: {e}")))?;
        if sha256(&bytes) != digest {
            return Err(bad(format!(
                "blob {digest} does not hold what its digest names"
            )));
        }
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("blob {digest} is not JSON: {e}")))
    };
    let index_bytes = read_capped(&dir.join("index.json"), MAX_SMALL_ENTRY)
        .map_err(|e| bad(format!("index.json: {e}")))?;
    let index: Value =
        serde_json::from_slice(&index_bytes).map_err(|e| bad(format!("index.json: {e}")))?;
    let listed: Vec<&Value> = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let mut releases = Vec::new();
    for d in &listed {
        let digest = d["digest"].as_str().unwrap_or_default();
        if d["mediaType"] == OCI_INDEX && small(digest)?["artifactType"] == RELEASE_TYPE {
            releases.push(digest.to_owned());
        }
    }
    releases.dedup();
    let release = match releases.as_slice() {
        [one] => one.clone(),
        [] => return Err(bad("it holds no Strongroom release (no index of artifactType application/vnd.strongroom.release.v1)".into())),
        _ => return Err(bad(format!("it holds {} releases: write each release into a layout of its own", releases.len()))),
    };
    let tag = referrers_tag(&release);
    let referrers = listed
        .iter()
        .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag.as_str())
        .and_then(|d| d["digest"].as_str())
        .ok_or_else(|| bad(format!("the release {release} has no referrers tag {tag}: its manifest and approvals are not in the layout")))?;
    // The release manifest's referrer with the most layers: each approval published adds one.
    let mut best: Option<Value> = None;
    for d in small(referrers)?["manifests"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if d["artifactType"] != RELEASE_MANIFEST_TYPE {
            continue;
        }
        let m = small(d["digest"].as_str().unwrap_or_default())?;
        let n = m["layers"].as_array().map_or(0, Vec::len);
        if best
            .as_ref()
            .is_none_or(|b| b["layers"].as_array().map_or(0, Vec::len) < n)
        {
            best = Some(m);
        }
    }
    let carrier = best.ok_or_else(|| {
        bad(format!(
            "no release manifest refers to the release {release}"
        ))
    })?;
    let mut w = crate::BundleWriter::new();
    let mut manifest_bytes = None;
    for l in carrier["layers"].as_array().into_iter().flatten() {
        let title = l["annotations"]["org.opencontainers.image.title"]
            .as_str()
            .ok_or_else(|| bad("a layer of the release manifest has no title".into()))?;
        let digest = l["digest"].as_str().unwrap_or_default();
        let path = blob_path(digest)
            .ok_or_else(|| bad(format!("{title}: {digest:?} is not a sha256 digest")))?;
        if !path.is_file() {
            continue; // Reported by the verification as a missing entry.
        }
        if title == crate::paths::MANIFEST_PATH {
            manifest_bytes = Some(
                read_capped(&path, MAX_SMALL_ENTRY)
                    .map_err(|e| bad(format!("manifest.json: {e}")))?,
            );
        }
        w.add(title, crate::EntrySource::File(path))
            .map_err(|e| bad(e.to_string()))?;
    }
    let manifest_bytes = manifest_bytes
        .ok_or_else(|| bad("the release manifest's referrer carries no manifest.json".into()))?;
    let manifest =
        Manifest::parse(&manifest_bytes).map_err(|e| bad(format!("manifest.json: {e}")))?;
    let mut have: std::collections::BTreeSet<String> = w.paths().map(str::to_owned).collect();
    for e in manifest.entries() {
        if have.contains(&e.path) {
            continue;
        }
        let path = dir.join("blobs").join("sha256").join(e.sha256.to_hex());
        if path.is_file() {
            w.add(&e.path, crate::EntrySource::File(path))
                .map_err(|e| bad(e.to_string()))?;
            have.insert(e.path.clone());
        }
    }
    let file = w.write_unnamed(dir).map_err(|e| bad(e.to_string()))?;
    Ok((file, release))
}

fn read_capped(path: &std::path::Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(std::io::Error::other(format!("larger than {cap} bytes")));
    }
    Ok(out)
}

/// `message-signature` or `dsse-envelope`, as cosign annotates a bundle.
fn bundle_content(bytes: &[u8]) -> &'static str {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.get("dsseEnvelope").is_some() => "dsse-envelope",
        _ => "message-signature",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_checked_and_referrer_tags_spelled() {
        assert_eq!(version_tag("1.2.3-rc.1").unwrap(), "1.2.3-rc.1");
        assert_eq!(version_tag("1.0+build.7").unwrap(), "1.0_build.7");
        assert!(version_tag("1.0 final").is_err());
        assert!(version_tag(".hidden").is_err());
        assert!(version_tag(&"9".repeat(129)).is_err());
        assert_eq!(referrers_tag("sha256:abcd"), "sha256-abcd");
    }

    #[test]
    fn a_manifest_is_the_same_bytes_every_time() {
        let a = artifact_manifest(
            "x".into(),
            FILE_ARTIFACT_TYPE,
            vec![layer("application/octet-stream", &sha256(b"x"), 1, "x")],
            None,
            BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        );
        let b = artifact_manifest(
            "x".into(),
            FILE_ARTIFACT_TYPE,
            vec![layer("application/octet-stream", &sha256(b"x"), 1, "x")],
            None,
            BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        );
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(a.digest, sha256(&a.bytes));
        let r = artifact_manifest(
            "r".into(),
            SIGSTORE_BUNDLE_TYPE,
            vec![],
            Some(&a),
            BTreeMap::new(),
        );
        let v: Value = serde_json::from_slice(&r.bytes).unwrap();
        assert_eq!(v["subject"]["digest"], a.digest.as_str());
        assert_eq!(v["artifactType"], SIGSTORE_BUNDLE_TYPE);
    }
}
