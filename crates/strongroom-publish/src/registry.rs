//! The plan carried out against a registry with `oci-client`: each blob pushed only when the
//! registry lacks it (blobs before manifests), each manifest only when it is not there yet, and
//! the referrers of each subject listed in the referrers tag schema (`sha256-<hex>`, an image
//! index updated read-modify-write, keeping whatever another tool listed there with its
//! `artifactType` and annotations). `oci-client` has no tag-schema writer; this layer is ours.
//! Every step checks before it writes, so a publish that died half-way completes on the next
//! run, and a second publish of the same bundle writes nothing.

use std::io::Read;

use bytes::Bytes;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde::Serialize;
use serde_json::{json, Value};

use crate::plan::{referrers_tag, Blob, Plan, Source, OCI_INDEX};

/// Where to publish: `host[:port]/repository`.
#[derive(Clone, Debug)]
pub struct Target {
    pub registry: String,
    pub repository: String,
}

impl Target {
    /// `REGISTRY/REPOSITORY` (the registry is the part before the first `/`).
    pub fn parse(s: &str) -> Result<Target, String> {
        let (registry, repository) = s
            .split_once('/')
            .filter(|(r, p)| !r.is_empty() && !p.is_empty())
            .ok_or_else(|| format!("{s:?}: give the target as REGISTRY/REPOSITORY"))?;
        if !repository
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c))
        {
            return Err(format!(
                "{repository:?}: a repository name is lowercase letters, digits and . _ - /"
            ));
        }
        Ok(Target {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
        })
    }

    /// Whether the registry is on this machine (plain HTTP is allowed only there).
    pub fn is_loopback(&self) -> bool {
        let host = self
            .registry
            .rsplit_once(':')
            .map_or(self.registry.as_str(), |(h, _)| h);
        matches!(host, "localhost" | "127.0.0.1" | "[::1]")
    }

    fn tag(&self, tag: &str) -> Reference {
        Reference::with_tag(
            self.registry.clone(),
            self.repository.clone(),
            tag.to_owned(),
        )
    }

    fn digest(&self, digest: &str) -> Reference {
        Reference::with_digest(
            self.registry.clone(),
            self.repository.clone(),
            digest.to_owned(),
        )
    }
}

/// What a publish did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outcome {
    pub blobs_pushed: usize,
    pub blobs_present: usize,
    pub manifests_pushed: usize,
    pub manifests_present: usize,
    pub referrer_indexes_written: usize,
    pub referrer_indexes_current: usize,
    /// Subjects whose referrers the registry's own referrers API lists (no tag index needed).
    pub referrers_by_api: usize,
    pub bytes_pushed: u64,
}

/// Why a publish stopped.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{what} failed: the registry did not accept the credentials ({source}). Check the entry for this registry in docker's config.json (or its credential helper), then publish again")]
    Credentials {
        what: String,
        #[source]
        source: oci_client::errors::OciDistributionError,
    },
    #[error(
        "{what} failed: {source}. What the registry holds is kept: publish again to push the rest"
    )]
    Registry {
        what: String,
        #[source]
        source: oci_client::errors::OciDistributionError,
    },
    #[error("{what}: {why}")]
    Local { what: String, why: String },
}

fn refused(
    what: impl Into<String>,
) -> impl FnOnce(oci_client::errors::OciDistributionError) -> PublishError {
    use oci_client::errors::OciDistributionError as E;
    let what = what.into();
    move |source| match source {
        E::AuthenticationFailure(_) | E::UnauthorizedError { .. } => {
            PublishError::Credentials { what, source }
        }
        E::RequestError(e) if e.status().is_some_and(|s| s.as_u16() == 401) => {
            PublishError::Credentials {
                what,
                source: E::RequestError(e),
            }
        }
        source => PublishError::Registry { what, source },
    }
}

/// Reads a blob's bytes (artifacts stream from disk in chunks; the rest is small).
pub trait BlobReader {
    fn open(&self, source: &Source) -> Result<Box<dyn Read + Send>, PublishError>;
}

/// A registry client: plain HTTP when `plain_http` (loopback only, checked by the caller),
/// else HTTPS trusting the system's roots and, when given, the PEM certificates of `ca_pem`
/// (a private CA).
pub fn client(plain_http: bool, ca_pem: Option<Vec<u8>>) -> Client {
    Client::new(ClientConfig {
        protocol: if plain_http {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        extra_root_certificates: ca_pem
            .map(|data| {
                vec![oci_client::client::Certificate {
                    encoding: oci_client::client::CertificateEncoding::Pem,
                    data,
                }]
            })
            .unwrap_or_default(),
        // One streamed PUT per blob: chunked PATCHes of a few MiB each cost a round trip
        // apiece (a 1 GiB artifact took 1.5 times as long).
        use_monolithic_push: true,
        ..Default::default()
    })
}

/// Where progress lines go: one per step, and for a large blob one every 64 MiB pushed.
pub type Progress = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// Carries out `plan` on `target`; `progress` hears what happens.
pub async fn publish(
    client: &Client,
    target: &Target,
    auth: &RegistryAuth,
    plan: &Plan,
    files: &dyn BlobReader,
    progress: &Progress,
) -> Result<Outcome, PublishError> {
    let mut out = Outcome::default();
    let any = target.tag("latest");
    client
        .auth(&any, auth, oci_client::RegistryOperation::Push)
        .await
        .map_err(refused(format!("signing in to {}", target.registry)))?;
    for b in &plan.blobs {
        if client
            .blob_exists(&any, &b.digest)
            .await
            .map_err(refused(format!("looking up {} in the registry", b.what)))?
        {
            out.blobs_present += 1;
            continue;
        }
        push_blob(client, &any, b, files, progress).await?;
        out.blobs_pushed += 1;
        out.bytes_pushed += b.size;
        progress(&format!("pushed {} ({} bytes)", b.what, b.size));
    }
    for m in &plan.manifests {
        let at = match &m.tag {
            Some(t) => target.tag(t),
            None => target.digest(&m.digest),
        };
        let now = client.fetch_manifest_digest(&at, auth).await.ok();
        let present = now.as_deref() == Some(m.digest.as_str());
        if present {
            out.manifests_present += 1;
        } else if m.tag.as_deref().is_some_and(|t| t.ends_with(".sig")) && now.is_some() {
            // Another signature (cosign's, or an earlier release's) is there: add ours to it.
            let (existing, _) = client
                .pull_manifest_raw(&at, auth, &[crate::plan::OCI_MANIFEST])
                .await
                .map_err(refused(format!("reading the signatures at {}", at)))?;
            let merged =
                merged_signatures(&existing, &m.bytes).map_err(|why| PublishError::Local {
                    what: format!("the signatures at {at}"),
                    why,
                })?;
            if let Some((bytes, config)) = merged {
                let digest = format!(
                    "sha256:{}",
                    strongroom_bundle::Sha256Digest::of_bytes(&config).to_hex()
                );
                if !client
                    .blob_exists(&any, &digest)
                    .await
                    .map_err(refused("looking up a signature config"))?
                {
                    client
                        .push_blob(&any, Bytes::from(config), &digest)
                        .await
                        .map_err(refused("pushing a signature config"))?;
                }
                client
                    .push_manifest_raw(
                        &at,
                        Bytes::from(bytes),
                        crate::plan::OCI_MANIFEST.parse().expect("a header value"),
                    )
                    .await
                    .map_err(refused(format!("pushing {}", m.what)))?;
                out.manifests_pushed += 1;
                progress(&format!(
                    "added {} to the signatures already at {at}",
                    m.what
                ));
            } else {
                out.manifests_present += 1;
            }
        } else {
            client
                .push_manifest_raw(
                    &at,
                    Bytes::from(m.bytes.clone()),
                    m.media_type
                        .parse()
                        .expect("a media type is a header value"),
                )
                .await
                .map_err(refused(format!("pushing {}", m.what)))?;
            out.manifests_pushed += 1;
            progress(&format!("pushed {} ({})", m.what, m.digest));
        }
    }
    // The referrers tag schema: one index per subject, listing its referrers.
    let mut subjects: Vec<&str> = plan
        .manifests
        .iter()
        .filter_map(|m| m.subject.as_deref())
        .collect();
    subjects.sort_unstable();
    subjects.dedup();
    for subject in subjects {
        let referrers: Vec<Value> = plan
            .manifests
            .iter()
            .filter(|m| m.subject.as_deref() == Some(subject))
            .map(|m| m.descriptor())
            .collect();
        let at = target.tag(&referrers_tag(subject));
        let existing =
            match client.pull_manifest_raw(&at, auth, &[OCI_INDEX]).await {
                Ok((bytes, _)) => Some(serde_json::from_slice::<Value>(&bytes).map_err(|e| {
                    PublishError::Local {
                        what: format!("the referrers index {}", referrers_tag(subject)),
                        why: format!("it is not JSON: {e}"),
                    }
                })?),
                Err(_) => None,
            };
        // A registry with the referrers API lists what was pushed with a subject by itself;
        // `pull_referrers` falls back to the tag schema on one without it (a 404), and then
        // finds no tag index yet, so the index is written below.
        if existing.is_none() {
            let listed = client.pull_referrers(&target.digest(subject), None).await;
            let all_listed = listed.is_ok_and(|idx| {
                referrers.iter().all(|r| {
                    idx.manifests
                        .iter()
                        .any(|d| r["digest"].as_str() == Some(d.digest.as_str()))
                })
            });
            if all_listed {
                out.referrers_by_api += 1;
                progress(&format!(
                    "the registry's referrers API lists the {} referrer(s) of {subject}",
                    referrers.len()
                ));
                continue;
            }
        }
        let (index, changed) = merged_index(existing, &referrers);
        if !changed {
            out.referrer_indexes_current += 1;
            continue;
        }
        let bytes = serde_json::to_vec(&index).expect("JSON serialises");
        client
            .push_manifest_raw(
                &at,
                Bytes::from(bytes),
                OCI_INDEX.parse().expect("a header value"),
            )
            .await
            .map_err(refused(format!(
                "the referrers index {}",
                referrers_tag(subject)
            )))?;
        out.referrer_indexes_written += 1;
        progress(&format!(
            "listed {} referrer(s) of {subject} under the tag {}",
            referrers.len(),
            referrers_tag(subject)
        ));
    }
    Ok(out)
}

/// A manifest's bytes and its config's.
pub type ManifestAndConfig = (Vec<u8>, Vec<u8>);

/// The cosign signature manifest `existing` with the signature layers of `ours` added, and its
/// new config; `None` when it already holds them. Another signer's layers stay as they are,
/// and so do the manifest's annotations. Anything but a manifest with layers is refused: it is
/// not ours to replace.
pub fn merged_signatures(
    existing: &[u8],
    ours: &[u8],
) -> Result<Option<ManifestAndConfig>, String> {
    let existing: Value = serde_json::from_slice(existing)
        .map_err(|e| format!("what is there is not JSON ({e}); nothing was changed there"))?;
    let mut layers: Vec<Value> = existing["layers"]
        .as_array()
        .cloned()
        .ok_or("what is there is not a cosign signature manifest (it has no layers); nothing was changed there")?;
    let ours: Value = serde_json::from_slice(ours).map_err(|e| e.to_string())?;
    let mut changed = false;
    for l in ours["layers"].as_array().into_iter().flatten() {
        if !layers
            .iter()
            .any(|x| x["digest"] == l["digest"] && x["annotations"] == l["annotations"])
        {
            layers.push(l.clone());
            changed = true;
        }
    }
    if !changed {
        return Ok(None);
    }
    let (bytes, config) = crate::plan::cosign_manifest(layers);
    let bytes = match existing.get("annotations") {
        Some(a) => {
            let mut m: Value = serde_json::from_slice(&bytes).expect("just written");
            m["annotations"] = a.clone();
            serde_json::to_vec(&m).expect("JSON serialises")
        }
        None => bytes,
    };
    Ok(Some((bytes, config)))
}

/// The referrers index with every descriptor of `referrers` in it: an existing index keeps all
/// it lists (another tool's entries, with their fields as they are) and gains only what it
/// lacks. `changed` is false when nothing was missing.
pub fn merged_index(existing: Option<Value>, referrers: &[Value]) -> (Value, bool) {
    let mut index = existing
        .filter(|v| v["manifests"].is_array())
        .unwrap_or_else(|| json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}));
    let list = index["manifests"].as_array_mut().expect("checked above");
    let mut changed = false;
    for r in referrers {
        if !list.iter().any(|d| d["digest"] == r["digest"]) {
            list.push(r.clone());
            changed = true;
        }
    }
    (index, changed)
}

async fn push_blob(
    client: &Client,
    at: &Reference,
    b: &Blob,
    files: &dyn BlobReader,
    progress: &Progress,
) -> Result<(), PublishError> {
    match &b.source {
        Source::Bytes(bytes) => {
            client
                .push_blob(at, Bytes::from(bytes.clone()), &b.digest)
                .await
                .map_err(refused(format!("pushing {}", b.what)))?;
        }
        source => {
            let mut reader = files.open(source)?;
            let what = b.what.clone();
            let (size, tell) = (b.size, progress.clone());
            let mut sent = 0u64;
            let chunks = futures_util::stream::iter(std::iter::from_fn(move || {
                let mut buf = vec![0u8; 1 << 20];
                match read_full(&mut reader, &mut buf) {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        sent += n as u64;
                        if sent % (64 << 20) == 0 && sent < size {
                            tell(&format!(
                                "pushing {what}: {} of {} MiB",
                                sent >> 20,
                                size >> 20
                            ));
                        }
                        Some(Ok(Bytes::from(buf)))
                    }
                    Err(e) => Some(Err(oci_client::errors::OciDistributionError::GenericError(
                        Some(format!("reading {what}: {e}")),
                    ))),
                }
            }));
            client
                .push_blob_stream(at, chunks, &b.digest, Some(b.size))
                .await
                .map_err(refused(format!("pushing {}", b.what)))?;
        }
    }
    Ok(())
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_parsed_and_loopback_known() {
        let t = Target::parse("127.0.0.1:5000/acme/app").unwrap();
        assert_eq!(
            (t.registry.as_str(), t.repository.as_str()),
            ("127.0.0.1:5000", "acme/app")
        );
        assert!(t.is_loopback());
        assert!(!Target::parse("registry.example/acme")
            .unwrap()
            .is_loopback());
        assert!(Target::parse("nohost").is_err());
        assert!(Target::parse("r/Upper").is_err());
    }

    #[test]
    fn cosign_signatures_already_there_are_kept_and_ours_added_once() {
        let layer = |d: &str, sig: &str| {
            json!({"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                   "digest": d, "size": 10,
                   "annotations": {"dev.cosignproject.cosign/signature": sig}})
        };
        let (theirs, _) = crate::plan::cosign_manifest(vec![layer("sha256:aa", "c2ln")]);
        let mut theirs_v: Value = serde_json::from_slice(&theirs).unwrap();
        theirs_v["annotations"] = json!({"by": "cosign"});
        let theirs = serde_json::to_vec(&theirs_v).unwrap();
        let (ours, _) = crate::plan::cosign_manifest(vec![layer("sha256:bb", "b3Vy")]);
        let (merged, config) = merged_signatures(&theirs, &ours).unwrap().unwrap();
        let m: Value = serde_json::from_slice(&merged).unwrap();
        let digests: Vec<&str> = m["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].as_str().unwrap())
            .collect();
        assert_eq!(digests, ["sha256:aa", "sha256:bb"]);
        assert_eq!(m["annotations"]["by"], "cosign");
        let c: Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(c["rootfs"]["diff_ids"], json!(["sha256:aa", "sha256:bb"]));
        assert_eq!(
            m["config"]["digest"],
            format!(
                "sha256:{}",
                strongroom_bundle::Sha256Digest::of_bytes(&config).to_hex()
            )
        );
        // Once there, nothing more to do; and what is not a signature manifest is refused.
        assert_eq!(merged_signatures(&merged, &ours).unwrap(), None);
        assert!(merged_signatures(b"{\"manifests\": []}", &ours).is_err());
        assert!(merged_signatures(b"not json", &ours).is_err());
    }

    #[test]
    fn an_index_another_tool_wrote_is_extended_not_clobbered() {
        let theirs = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:aa",
             "size": 1, "artifactType": "application/spdx+json", "annotations": {"x": "y"}}]});
        let ours = json!({"digest": "sha256:bb", "artifactType": "t"});
        let (merged, changed) = merged_index(Some(theirs.clone()), std::slice::from_ref(&ours));
        assert!(changed);
        assert_eq!(merged["manifests"][0], theirs["manifests"][0]);
        assert_eq!(merged["manifests"][1], ours);
        let (again, changed) = merged_index(Some(merged.clone()), &[ours]);
        assert!(!changed);
        assert_eq!(again, merged);
    }
}
