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
        let present = client
            .fetch_manifest_digest(&at, auth)
            .await
            .is_ok_and(|d| d == m.digest);
        if present {
            out.manifests_present += 1;
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
