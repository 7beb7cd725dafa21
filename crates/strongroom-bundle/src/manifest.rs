//! The bundle manifest (`manifest.json`, format version 1): typed, checked on construction and on
//! parse, and serialised to canonical bytes (pretty JSON, two-space indent, trailing newline).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::error::BundleError;
use crate::paths::{self, check_path, is_key_id_hex, ArtifactName, ATTESTATION_KINDS, README_PATH};

/// `mediaType` of a version-1 manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.strongroom.manifest.v1+json";
/// The bundle format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Largest `manifest.json` read into memory (a manifest of 10,000 entries is about 4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Media types of the entries Strongroom writes.
pub mod media_types {
    /// Sigstore bundles (signatures, attestations, approvals).
    pub const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
    /// SPDX 2.3 JSON.
    pub const SPDX_JSON: &str = "application/spdx+json";
    /// CycloneDX JSON.
    pub const CYCLONEDX_JSON: &str = "application/vnd.cyclonedx+json";
    /// PEM public keys.
    pub const PEM: &str = "application/x-pem-file";
    /// README.txt.
    pub const TEXT: &str = "text/plain; charset=utf-8";
    /// Artifacts of no particular type.
    pub const OCTET_STREAM: &str = "application/octet-stream";
}

/// A SHA-256 digest, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// Digest of bytes in memory.
    pub fn of_bytes(bytes: &[u8]) -> Sha256Digest {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    /// Digest and length of a stream (core's one streaming hasher, in a fixed buffer).
    pub fn of_reader(r: impl Read) -> std::io::Result<(Sha256Digest, u64)> {
        let set = strongroom_core::digest::hash_reader(r, &[], &mut |_| {}, None)?;
        Ok(Sha256Digest::of_set(&set))
    }

    /// The SHA-256 of a digest set, and its length.
    pub fn of_set(set: &strongroom_core::digest::DigestSet) -> (Sha256Digest, u64) {
        let bytes = set
            .sha256()
            .as_bytes()
            .try_into()
            .expect("SHA-256 is 32 bytes");
        (Sha256Digest(bytes), set.len)
    }

    /// Digest and length of a file, streamed.
    pub fn of_file(path: &Path) -> Result<(Sha256Digest, u64), BundleError> {
        let f = std::fs::File::open(path).map_err(|e| BundleError::io(path, e))?;
        Sha256Digest::of_reader(f).map_err(|e| BundleError::io(path, e))
    }

    /// Parses exactly 64 lowercase hex digits.
    pub fn from_hex(s: &str) -> Option<Sha256Digest> {
        if !is_key_id_hex(s) {
            return None;
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Sha256Digest(out))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Sha256Digest::from_hex(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{s:?} is not a SHA-256 digest (64 lowercase hex digits)"
            ))
        })
    }
}

pub use strongroom_core::Stage;

/// What a release is: name, version, stage and creation time (RFC 3339 UTC, whole seconds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReleaseJson")]
pub struct Release {
    name: String,
    version: String,
    stage: Stage,
    created: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseJson {
    name: String,
    version: String,
    stage: Stage,
    created: String,
}

impl TryFrom<ReleaseJson> for Release {
    type Error = BundleError;
    fn try_from(j: ReleaseJson) -> Result<Release, BundleError> {
        let r = Release {
            name: j.name,
            version: j.version,
            stage: j.stage,
            created: j.created,
        };
        r.check()?;
        Ok(r)
    }
}

impl Release {
    /// A release created at `created` (sub-second precision is dropped; the time is written in
    /// UTC as `YYYY-MM-DDTHH:MM:SSZ`).
    pub fn new(
        name: &str,
        version: &str,
        stage: Stage,
        created: OffsetDateTime,
    ) -> Result<Release, BundleError> {
        let utc = created.to_offset(time::UtcOffset::UTC);
        let created = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            utc.year(),
            u8::from(utc.month()),
            utc.day(),
            utc.hour(),
            utc.minute(),
            utc.second()
        );
        let r = Release {
            name: name.to_owned(),
            version: version.to_owned(),
            stage,
            created,
        };
        r.check()?;
        Ok(r)
    }

    fn check(&self) -> Result<(), BundleError> {
        check_label("release name", &self.name)?;
        check_label("release version", &self.version)?;
        parse_created(&self.created)?;
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn version(&self) -> &str {
        &self.version
    }
    pub fn stage(&self) -> Stage {
        self.stage
    }
    /// The creation time as written (`YYYY-MM-DDTHH:MM:SSZ`).
    pub fn created(&self) -> &str {
        &self.created
    }
    /// The creation time.
    pub fn created_at(&self) -> OffsetDateTime {
        parse_created(&self.created).expect("checked when the release was made")
    }
}

fn check_label(what: &str, s: &str) -> Result<(), BundleError> {
    if s.is_empty() || s.len() > 255 {
        return Err(BundleError::Manifest(format!(
            "{what} must be 1 to 255 bytes, not {}",
            s.len()
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(BundleError::Manifest(format!(
            "{what} {s:?} contains a control character"
        )));
    }
    Ok(())
}

fn parse_created(s: &str) -> Result<OffsetDateTime, BundleError> {
    let bad = || {
        BundleError::Manifest(format!(
            "release.created {s:?} is not an RFC 3339 UTC time of the form YYYY-MM-DDTHH:MM:SSZ"
        ))
    };
    let b = s.as_bytes();
    if b.len() != 20 || b[19] != b'Z' || b[10] != b'T' {
        return Err(bad());
    }
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|_| bad())
}

/// One released artifact: its digest and size, and whether its bytes are in the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactRecord {
    pub name: ArtifactName,
    pub sha256: Sha256Digest,
    pub size: u64,
    /// `true` when `artifacts/<name>` is in the bundle.
    pub included: bool,
    /// For a container image: the artifact's bytes are its registry manifest (so `sha256` is
    /// the manifest digest, the image's name in every registry), its blobs are carried under
    /// `images/<name>/blobs/sha256/`, and its cosign signature under `images/<name>/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRecord>,
}

/// What makes an artifact a container image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageRecord {
    /// The registry reference the officer named (`registry.example.com/acme/app`), which the
    /// cosign signature binds as its `docker-reference`.
    pub reference: String,
    /// The manifest's media type (OCI image manifest, or Docker's schema 2).
    pub media_type: String,
}

/// What a listed entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryRole {
    /// `README.txt`
    Readme,
    /// `artifacts/<name>`
    Artifact,
    /// `signatures/<name>.sigstore.json`
    ArtifactSignature,
    /// `attestations/<name>.<sbom|provenance|vulns>.sigstore.json`
    Attestation,
    /// `sboms/<name>.spdx.json` or `sboms/<name>.cdx.json`
    Sbom,
    /// `keys/<keyid-hex>.pem`
    PublicKey,
    /// `images/<name>/blobs/sha256/<hex>`: a config or layer blob of an image artifact.
    ImageBlob,
    /// `images/<name>/cosign.json` (the simple-signing payload) and `images/<name>/cosign.sig`
    /// (its signature, base64, as cosign's `.sig` tag carries it).
    ImageSignature,
}

impl EntryRole {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryRole::Readme => "readme",
            EntryRole::Artifact => "artifact",
            EntryRole::ArtifactSignature => "artifact-signature",
            EntryRole::Attestation => "attestation",
            EntryRole::Sbom => "sbom",
            EntryRole::PublicKey => "public-key",
            EntryRole::ImageBlob => "image-blob",
            EntryRole::ImageSignature => "image-signature",
        }
    }
}

impl fmt::Display for EntryRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One listed entry of the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub role: EntryRole,
    pub media_type: String,
    pub sha256: Sha256Digest,
    pub size: u64,
    /// The artifacts this entry is about (empty for the README and keys).
    pub subjects: Vec<ArtifactName>,
    /// The in-toto predicate type, for attestations only.
    pub predicate_type: Option<String>,
}

impl Entry {
    /// An entry for `bytes`, with no subjects and no predicate type.
    pub fn from_bytes(path: &str, role: EntryRole, media_type: &str, bytes: &[u8]) -> Entry {
        Entry {
            path: path.to_owned(),
            role,
            media_type: media_type.to_owned(),
            sha256: Sha256Digest::of_bytes(bytes),
            size: bytes.len() as u64,
            subjects: Vec::new(),
            predicate_type: None,
        }
    }

    /// An entry for the file at `file`, hashed by streaming.
    pub fn from_file(
        path: &str,
        role: EntryRole,
        media_type: &str,
        file: &Path,
    ) -> Result<Entry, BundleError> {
        let (sha256, size) = Sha256Digest::of_file(file)?;
        Ok(Entry {
            path: path.to_owned(),
            role,
            media_type: media_type.to_owned(),
            sha256,
            size,
            subjects: Vec::new(),
            predicate_type: None,
        })
    }

    /// Sets the artifacts this entry is about.
    pub fn with_subjects(mut self, subjects: impl IntoIterator<Item = ArtifactName>) -> Entry {
        self.subjects = subjects.into_iter().collect();
        self
    }

    /// Sets the in-toto predicate type (attestations).
    pub fn with_predicate_type(mut self, predicate_type: &str) -> Entry {
        self.predicate_type = Some(predicate_type.to_owned());
        self
    }
}

/// A checked manifest: artifacts sorted by name, entries sorted by path, every rule of
/// `docs/bundle-format.md` holding. Build one with [`Manifest::new`] or [`Manifest::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    release: Release,
    artifacts: Vec<ArtifactRecord>,
    entries: Vec<Entry>,
}

/// The JSON shape, field order as written.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ManifestJson {
    media_type: String,
    format_version: u64,
    release: Release,
    artifacts: Vec<ArtifactRecord>,
    entries: Vec<Entry>,
}

/// Just the version fields, read first so that a newer manifest gets a version error rather
/// than an unknown-field error.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionProbe {
    media_type: Option<serde_json::Value>,
    format_version: Option<serde_json::Value>,
}

impl Manifest {
    /// Checks and sorts a manifest.
    pub fn new(
        release: Release,
        mut artifacts: Vec<ArtifactRecord>,
        mut entries: Vec<Entry>,
    ) -> Result<Manifest, BundleError> {
        release.check()?;
        artifacts.sort_by(|a, b| a.name.cmp(&b.name));
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        for e in &mut entries {
            e.subjects.sort();
        }
        let m = Manifest {
            release,
            artifacts,
            entries,
        };
        m.check()?;
        Ok(m)
    }

    /// Parses and checks `manifest.json`. Unknown fields, another `mediaType` or
    /// `formatVersion`, duplicate paths or names, and entries breaking the layout are refused.
    /// Unsorted lists are accepted (the bytes are what was signed) and kept sorted in memory.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, BundleError> {
        let probe: VersionProbe = serde_json::from_slice(bytes)
            .map_err(|e| BundleError::Manifest(format!("not a JSON object: {e}")))?;
        match probe.media_type {
            Some(serde_json::Value::String(s)) if s == MANIFEST_MEDIA_TYPE => {}
            other => {
                return Err(BundleError::Manifest(format!(
                    "mediaType is {}, expected {MANIFEST_MEDIA_TYPE:?}",
                    other.map_or("missing".into(), |v| v.to_string())
                )))
            }
        }
        match probe.format_version {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION.into()) => {}
            other => {
                return Err(BundleError::Manifest(format!(
                    "formatVersion is {}; this version of Strongroom reads bundle format {FORMAT_VERSION} only",
                    other.map_or("missing".into(), |v| v.to_string())
                )))
            }
        }
        let json: ManifestJson =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Manifest(e.to_string()))?;
        Manifest::new(json.release, json.artifacts, json.entries)
    }

    /// The canonical bytes: pretty JSON with two-space indent and a trailing newline. The same
    /// manifest always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let json = ManifestJsonRef {
            media_type: MANIFEST_MEDIA_TYPE,
            format_version: FORMAT_VERSION,
            release: &self.release,
            artifacts: &self.artifacts,
            entries: &self.entries,
        };
        let mut out = serde_json::to_vec_pretty(&json).expect("manifest types always serialise");
        out.push(b'\n');
        out
    }

    /// This manifest with one more entry (for instance the README, rendered from the manifest
    /// without it).
    pub fn with_entry(&self, entry: Entry) -> Result<Manifest, BundleError> {
        let mut entries = self.entries.clone();
        entries.push(entry);
        Manifest::new(self.release.clone(), self.artifacts.clone(), entries)
    }

    pub fn release(&self) -> &Release {
        &self.release
    }
    /// Artifacts, sorted by name.
    pub fn artifacts(&self) -> &[ArtifactRecord] {
        &self.artifacts
    }
    /// Entries, sorted by path.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
    /// The entry at `path`.
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.entries[i])
    }
    /// The artifact called `name`.
    pub fn artifact(&self, name: &str) -> Option<&ArtifactRecord> {
        self.artifacts
            .binary_search_by(|a| a.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.artifacts[i])
    }

    fn check(&self) -> Result<(), BundleError> {
        let bad = |m: String| Err(BundleError::Manifest(m));
        if self.artifacts.is_empty() {
            return bad("a release needs at least one artifact".into());
        }
        for w in self.artifacts.windows(2) {
            if w[0].name == w[1].name {
                return bad(format!("artifact {:?} is listed twice", w[0].name.as_str()));
            }
        }
        let artifacts: BTreeMap<&str, &ArtifactRecord> = self
            .artifacts
            .iter()
            .map(|a| (a.name.as_str(), a))
            .collect();
        let mut folded: BTreeMap<String, &str> = BTreeMap::new();
        let mut included_seen: BTreeSet<&str> = BTreeSet::new();
        for e in &self.entries {
            let p = e.path.as_str();
            if let Err(problem) = check_path(p) {
                return bad(format!("entry path {p:?}: {problem}"));
            }
            if paths::is_reserved_unlisted(p) {
                return bad(format!(
                    "entry path {p:?} is reserved for unlisted entries (manifest.json, approvals/, audit/excerpt.json)"
                ));
            }
            if let Some(other) = folded.insert(p.to_lowercase(), p) {
                return bad(if other == p {
                    format!("entry {p:?} is listed twice")
                } else {
                    format!("entries {other:?} and {p:?} differ only in letter case")
                });
            }
            if e.media_type.is_empty() || e.media_type.chars().any(char::is_control) {
                return bad(format!("entry {p:?}: invalid mediaType {:?}", e.media_type));
            }
            for w in e.subjects.windows(2) {
                if w[0] == w[1] {
                    return bad(format!("entry {p:?} names subject {} twice", w[0]));
                }
            }
            for s in &e.subjects {
                if !artifacts.contains_key(s.as_str()) {
                    return bad(format!(
                        "entry {p:?} is about {:?}, which is not an artifact of this release",
                        s.as_str()
                    ));
                }
            }
            let only_subject = || match e.subjects.as_slice() {
                [one] => Some(one.as_str()),
                _ => None,
            };
            let rule: Result<(), String> = match e.role {
                EntryRole::Readme => expect(p == README_PATH, || {
                    format!("the readme must be {README_PATH}")
                }),
                EntryRole::Artifact => match p.strip_prefix("artifacts/") {
                    Some(name) => match artifacts.get(name) {
                        Some(rec) if !rec.included => Err(format!(
                            "artifact {name:?} is marked as not included but is listed"
                        )),
                        Some(rec) if rec.sha256 != e.sha256 || rec.size != e.size => Err(format!(
                            "its digest or size differs from artifact {name:?}'s record"
                        )),
                        Some(_) => {
                            included_seen.insert(name);
                            expect(only_subject() == Some(name), || {
                                format!("its subjects must be exactly [{name:?}]")
                            })
                        }
                        None => Err(format!("{name:?} is not an artifact of this release")),
                    },
                    None => Err("artifacts live under artifacts/".into()),
                },
                EntryRole::ArtifactSignature => match p
                    .strip_prefix("signatures/")
                    .and_then(|r| r.strip_suffix(".sigstore.json"))
                {
                    Some(name) if artifacts.contains_key(name) => {
                        expect(only_subject() == Some(name), || {
                            format!("its subjects must be exactly [{name:?}]")
                        })
                    }
                    Some(name) => Err(format!("{name:?} is not an artifact of this release")),
                    None => Err("signatures are signatures/<artifact>.sigstore.json".into()),
                },
                EntryRole::Attestation => {
                    let kind_ok = p
                        .strip_prefix("attestations/")
                        .and_then(|r| r.strip_suffix(".sigstore.json"))
                        .and_then(|r| r.rsplit_once('.'))
                        .is_some_and(|(name, kind)| {
                            ArtifactName::parse(name).is_ok() && ATTESTATION_KINDS.contains(&kind)
                        });
                    if !kind_ok {
                        Err("attestations are attestations/<name>.<sbom|provenance|vulns>.sigstore.json".into())
                    } else if e.subjects.is_empty() {
                        Err("an attestation must name its subjects".into())
                    } else if e.predicate_type.as_deref().is_none_or(str::is_empty) {
                        Err("an attestation must give its predicateType".into())
                    } else {
                        Ok(())
                    }
                }
                EntryRole::Sbom => {
                    let ok = p.strip_prefix("sboms/").is_some_and(|r| {
                        r.strip_suffix(".spdx.json")
                            .or_else(|| r.strip_suffix(".cdx.json"))
                            .is_some_and(|name| ArtifactName::parse(name).is_ok())
                    });
                    if !ok {
                        Err("SBOMs are sboms/<name>.spdx.json or sboms/<name>.cdx.json".into())
                    } else {
                        expect(!e.subjects.is_empty(), || {
                            "an SBOM must name its subjects".into()
                        })
                    }
                }
                EntryRole::ImageBlob | EntryRole::ImageSignature => {
                    image_entry(p, e, &artifacts, only_subject())
                }
                EntryRole::PublicKey => {
                    let ok = p
                        .strip_prefix("keys/")
                        .and_then(|r| r.strip_suffix(".pem"))
                        .is_some_and(is_key_id_hex);
                    expect(ok, || "keys are keys/<64 lowercase hex digits>.pem".into())
                }
            };
            if let Err(why) = rule {
                return bad(format!("entry {p:?} (role {}): {why}", e.role));
            }
            let no_subjects = matches!(e.role, EntryRole::Readme | EntryRole::PublicKey);
            if no_subjects && !e.subjects.is_empty() {
                return bad(format!("entry {p:?} (role {}) has no subjects", e.role));
            }
            if e.role != EntryRole::Attestation && e.predicate_type.is_some() {
                return bad(format!(
                    "entry {p:?}: only attestations have a predicateType"
                ));
            }
        }
        for a in &self.artifacts {
            if a.image.is_some() && !a.included {
                return bad(format!(
                    "artifact {:?} is an image, and an image is always carried in the bundle",
                    a.name.as_str()
                ));
            }
            if a.included && !included_seen.contains(a.name.as_str()) {
                return bad(format!(
                    "artifact {:?} is marked as included but artifacts/{} is not listed",
                    a.name.as_str(),
                    a.name
                ));
            }
        }
        Ok(())
    }
}

/// The rule for an image's blob or cosign signature: under `images/<name>/`, where `name` is an
/// image artifact and the only subject; a blob's path names its own digest.
fn image_entry(
    p: &str,
    e: &Entry,
    artifacts: &BTreeMap<&str, &ArtifactRecord>,
    only_subject: Option<&str>,
) -> Result<(), String> {
    let Some((name, rest)) = p.strip_prefix("images/").and_then(|r| r.split_once('/')) else {
        return Err("image entries live under images/<name>/".into());
    };
    match artifacts.get(name) {
        Some(a) if a.image.is_some() => {}
        Some(_) => return Err(format!("{name:?} is not an image")),
        None => return Err(format!("{name:?} is not an artifact of this release")),
    }
    expect(only_subject == Some(name), || {
        format!("its subjects must be exactly [{name:?}]")
    })?;
    match e.role {
        EntryRole::ImageBlob => {
            let hex = rest.strip_prefix("blobs/sha256/");
            expect(hex == Some(e.sha256.to_hex().as_str()), || {
                "an image blob is images/<name>/blobs/sha256/<its own sha256>".into()
            })
        }
        _ => expect(matches!(rest, "cosign.json" | "cosign.sig"), || {
            "an image signature is images/<name>/cosign.json or cosign.sig".into()
        }),
    }
}

fn expect(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(why())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestJsonRef<'a> {
    media_type: &'a str,
    format_version: u32,
    release: &'a Release,
    artifacts: &'a [ArtifactRecord],
    entries: &'a [Entry],
}
