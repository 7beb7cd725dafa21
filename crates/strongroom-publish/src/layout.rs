//! The same plan written into an OCI image layout instead of a registry (`--to-oci-layout DIR`),
//! for rooms that take releases in on media: `oci-layout`, every blob and manifest under
//! `blobs/sha256/`, and `index.json` naming the release index by its tag and each subject's
//! referrers index by its `sha256-<hex>` tag, as the registry's referrers tag schema does. Blobs
//! already in the layout are not written again, an existing referrers index is extended, and
//! `index.json` keeps what it listed, so writing twice changes nothing.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

use crate::plan::{referrers_tag, Plan, OCI_INDEX};
use crate::registry::{merged_index, BlobReader, Outcome, PublishError};

const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn local(what: &str, e: impl std::fmt::Display) -> PublishError {
    PublishError::Local {
        what: what.to_owned(),
        why: e.to_string(),
    }
}

/// Writes `bytes` as the blob `digest` unless it is there; whether it was written.
fn put(dir: &Path, digest: &str, bytes: &mut dyn std::io::Read) -> Result<bool, PublishError> {
    let hex = digest.trim_start_matches("sha256:");
    let path = dir.join("blobs/sha256").join(hex);
    if path.is_file() {
        return Ok(false);
    }
    let tmp = dir.join("blobs/sha256").join(format!(".{hex}.partial"));
    let mut f = std::fs::File::create(&tmp).map_err(|e| local(&tmp.display().to_string(), e))?;
    std::io::copy(bytes, &mut f).map_err(|e| local(digest, e))?;
    f.sync_all().map_err(|e| local(digest, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| local(digest, e))?;
    Ok(true)
}

/// Writes `plan` into the layout at `dir` (made when missing).
pub fn write(dir: &Path, plan: &Plan, files: &dyn BlobReader) -> Result<Outcome, PublishError> {
    let shown = dir.display().to_string();
    std::fs::create_dir_all(dir.join("blobs/sha256")).map_err(|e| local(&shown, e))?;
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
        .map_err(|e| local(&shown, e))?;
    let mut out = Outcome::default();
    for b in &plan.blobs {
        let mut r = files.open(&b.source)?;
        if put(dir, &b.digest, &mut r)? {
            out.blobs_pushed += 1;
            out.bytes_pushed += b.size;
        } else {
            out.blobs_present += 1;
        }
    }
    for m in &plan.manifests {
        if put(dir, &m.digest, &mut m.bytes.as_slice())? {
            out.manifests_pushed += 1;
        } else {
            out.manifests_present += 1;
        }
    }
    let index_path = dir.join("index.json");
    let mut index: Value = match std::fs::read(&index_path) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| local("index.json", e))?,
        Err(_) => json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}),
    };
    let mut refs: Vec<(String, Value)> = Vec::new();
    for m in plan.manifests.iter().filter(|m| m.tag.is_some()) {
        let tag = m.tag.clone().unwrap_or_default();
        let mut descriptor = m.descriptor();
        // A cosign signature tag already there (cosign's, an earlier release's) gains ours.
        if tag.ends_with(".sig") {
            let there = index["manifests"]
                .as_array()
                .and_then(|l| {
                    l.iter()
                        .find(|d| d["annotations"][REF_NAME] == tag.as_str())
                })
                .and_then(|d| d["digest"].as_str())
                .filter(|d| *d != m.digest)
                .map(|d| {
                    std::fs::read(
                        dir.join("blobs/sha256")
                            .join(d.trim_start_matches("sha256:")),
                    )
                    .map_err(|e| local(&tag, e))
                })
                .transpose()?;
            if let Some(existing) = there {
                let merged = crate::registry::merged_signatures(&existing, &m.bytes)
                    .map_err(|why| local(&tag, why))?;
                match merged {
                    Some((bytes, config)) => {
                        let digest = |b: &[u8]| {
                            format!(
                                "sha256:{}",
                                strongroom_bundle::Sha256Digest::of_bytes(b).to_hex()
                            )
                        };
                        put(dir, &digest(&config), &mut config.as_slice())?;
                        put(dir, &digest(&bytes), &mut bytes.as_slice())?;
                        descriptor = json!({"mediaType": crate::plan::OCI_MANIFEST,
                            "digest": digest(&bytes), "size": bytes.len()});
                    }
                    None => continue, // Ours is in it already.
                }
            }
        }
        refs.push((tag, descriptor));
    }
    let mut subjects: Vec<&str> = plan
        .manifests
        .iter()
        .filter_map(|m| m.subject.as_deref())
        .collect();
    subjects.sort_unstable();
    subjects.dedup();
    for subject in subjects {
        let tag = referrers_tag(subject);
        let referrers: Vec<Value> = plan
            .manifests
            .iter()
            .filter(|m| m.subject.as_deref() == Some(subject))
            .map(|m| m.descriptor())
            .collect();
        // The index this tag names now, if any, extended.
        let existing = index["manifests"]
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|d| d["annotations"][REF_NAME] == tag.as_str())
            })
            .and_then(|d| d["digest"].as_str())
            .and_then(|d| {
                std::fs::read(
                    dir.join("blobs/sha256")
                        .join(d.trim_start_matches("sha256:")),
                )
                .ok()
            })
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        let (merged, changed) = merged_index(existing.clone(), &referrers);
        if !changed && existing.is_some() {
            out.referrer_indexes_current += 1;
        } else {
            out.referrer_indexes_written += 1;
        }
        let bytes = serde_json::to_vec(&merged).expect("JSON serialises");
        let digest = format!(
            "sha256:{}",
            strongroom_bundle::Sha256Digest::of_bytes(&bytes).to_hex()
        );
        put(dir, &digest, &mut bytes.as_slice())?;
        refs.push((
            tag,
            json!({"mediaType": OCI_INDEX, "digest": digest, "size": bytes.len()}),
        ));
    }
    let list = index["manifests"]
        .as_array_mut()
        .ok_or_else(|| local("index.json", "its manifests are not a list"))?;
    for (tag, mut d) in refs {
        d["annotations"] = json!({REF_NAME: tag});
        list.retain(|x| x["annotations"][REF_NAME] != tag.as_str());
        list.push(d);
    }
    list.sort_by(|a, b| {
        a["annotations"][REF_NAME]
            .as_str()
            .cmp(&b["annotations"][REF_NAME].as_str())
    });
    let tmp = dir.join(".index.json.partial");
    let mut f = std::fs::File::create(&tmp).map_err(|e| local("index.json", e))?;
    f.write_all(&serde_json::to_vec_pretty(&index).expect("JSON serialises"))
        .and_then(|()| f.sync_all())
        .map_err(|e| local("index.json", e))?;
    std::fs::rename(&tmp, &index_path).map_err(|e| local("index.json", e))?;
    Ok(out)
}
