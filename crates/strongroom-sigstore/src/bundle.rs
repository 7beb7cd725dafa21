//! A Sigstore bundle as other clients write it (v0.1 to v0.3, both media type spellings), read
//! strictly into the parts the keyless checks use: the verification material (a certificate, a
//! chain, or a public key hint), the transparency log entries, the RFC 3161 timestamps, and the
//! content (a message signature over a digest, or a DSSE envelope). Base64 is read as Go clients
//! read the protobuf JSON mapping: standard or URL-safe alphabet, line breaks ignored.

use base64::Engine as _;
use serde_json::Value;
use strongroom_core::dsse::{Envelope, EnvelopeSignature};
use strongroom_core::HashAlg;

/// Largest bundle read (a bundle is a few KiB; a JSON-lines file holds one per line).
pub const MAX_BUNDLE_BYTES: usize = 8 << 20;

/// The bundle versions read, by media type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleVersion {
    V01,
    V02,
    V03,
}

impl BundleVersion {
    /// The version a media type names, in either spelling.
    pub fn from_media_type(m: &str) -> Option<BundleVersion> {
        match m {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(BundleVersion::V01),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(BundleVersion::V02),
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(BundleVersion::V03),
            _ => None,
        }
    }
}

/// Why a bundle is not read.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    #[error("the bundle is larger than {} MiB", MAX_BUNDLE_BYTES >> 20)]
    TooLarge,
    #[error("the bundle is not JSON: {0}")]
    Json(String),
    #[error(
        "the media type {0:?} is not a Sigstore bundle version this verifier reads (0.1 to 0.3)"
    )]
    MediaType(String),
    #[error("the bundle's {0}")]
    Field(String),
}

fn field(what: impl Into<String>) -> BundleError {
    BundleError::Field(what.into())
}

/// How the signer is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Material {
    /// The signing certificate (DER), with any further certificates the bundle carries.
    Certificate { leaf: Vec<u8>, rest: Vec<Vec<u8>> },
    /// A key the verifier must already hold, named by its hint.
    PublicKey { hint: String },
}

/// An inclusion proof, as the entry carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    pub log_index: u64,
    pub root_hash: [u8; 32],
    pub tree_size: u64,
    pub hashes: Vec<[u8; 32]>,
    /// The signed-note checkpoint, when present (required from v0.2 on).
    pub checkpoint: Option<String>,
}

/// One transparency log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub log_index: u64,
    pub log_id: Vec<u8>,
    pub kind: String,
    pub version: String,
    /// Seconds since the epoch; `None` for Rekor v2 entries, which carry no time.
    pub integrated_time: Option<i64>,
    /// The signed entry timestamp (Rekor v1).
    pub set: Option<Vec<u8>>,
    pub proof: Option<InclusionProof>,
    /// The canonicalized body, decoded, and as the bundle wrote it (the SET covers that text).
    pub body: Vec<u8>,
    pub body_base64: String,
}

/// What was signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    Message {
        digest_alg: HashAlg,
        digest: Vec<u8>,
        signature: Vec<u8>,
    },
    Dsse(Envelope),
}

impl Content {
    /// The signature bytes a timestamp is over.
    pub fn signature(&self) -> &[u8] {
        match self {
            Content::Message { signature, .. } => signature,
            Content::Dsse(e) => e.signatures.first().map(|s| &s.sig[..]).unwrap_or_default(),
        }
    }
}

/// A bundle, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeylessBundle {
    pub version: BundleVersion,
    pub material: Material,
    pub entries: Vec<LogEntry>,
    /// DER of each `signedTimestamp` (a TimeStampResp or a bare token).
    pub timestamps: Vec<Vec<u8>>,
    pub content: Content,
}

/// Base64 as Go reads protobuf JSON bytes: standard or URL-safe, padded or not, line breaks
/// ignored.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let s: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let lax = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    STANDARD
        .decode(&s)
        .or_else(|_| GeneralPurpose::new(&base64::alphabet::STANDARD, lax).decode(&s))
        .or_else(|_| URL_SAFE.decode(&s))
        .or_else(|_| GeneralPurpose::new(&base64::alphabet::URL_SAFE, lax).decode(&s))
        .ok()
}

fn b64_at(v: &Value, what: &str) -> Result<Vec<u8>, BundleError> {
    let s = v
        .as_str()
        .ok_or_else(|| field(format!("{what} is missing")))?;
    decode_base64(s).ok_or_else(|| field(format!("{what} is not base64")))
}

/// An int64 of the protobuf JSON mapping: a string or a number; negative is refused.
fn index_at(v: &Value, what: &str) -> Result<u64, BundleError> {
    let n = match v {
        Value::String(s) => s.parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
    .ok_or_else(|| field(format!("{what} is not an integer")))?;
    u64::try_from(n).map_err(|_| field(format!("{what} is negative ({n})")))
}

fn hash32(v: &Value, what: &str) -> Result<[u8; 32], BundleError> {
    b64_at(v, what)?
        .try_into()
        .map_err(|_| field(format!("{what} is not a SHA-256 hash")))
}

impl KeylessBundle {
    /// Reads one bundle.
    pub fn from_bytes(bytes: &[u8]) -> Result<KeylessBundle, BundleError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge);
        }
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Json(e.to_string()))?;
        Self::from_value(&v)
    }

    /// Reads one bundle from its JSON.
    pub fn from_value(v: &Value) -> Result<KeylessBundle, BundleError> {
        let media = v["mediaType"].as_str().unwrap_or_default();
        let version = BundleVersion::from_media_type(media)
            .ok_or_else(|| BundleError::MediaType(media.to_owned()))?;
        let vm = &v["verificationMaterial"];
        if !vm.is_object() {
            return Err(field("verificationMaterial is missing"));
        }
        let material = material(vm)?;
        let entries = vm["tlogEntries"]
            .as_array()
            .map(|es| es.iter().map(log_entry).collect::<Result<Vec<_>, _>>())
            .transpose()?
            .unwrap_or_default();
        let timestamps = vm["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .map(|t| b64_at(&t["signedTimestamp"], "signedTimestamp"))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let content = content(v)?;
        Ok(KeylessBundle {
            version,
            material,
            entries,
            timestamps,
            content,
        })
    }
}

fn material(vm: &Value) -> Result<Material, BundleError> {
    if let Some(raw) = vm.get("certificate") {
        return Ok(Material::Certificate {
            leaf: b64_at(&raw["rawBytes"], "certificate")?,
            rest: Vec::new(),
        });
    }
    if let Some(chain) = vm.get("x509CertificateChain") {
        let certs = chain["certificates"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| b64_at(&c["rawBytes"], "certificate chain"))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let mut certs = certs.into_iter();
        let leaf = certs
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| field("certificate chain is empty"))?;
        return Ok(Material::Certificate {
            leaf,
            rest: certs.collect(),
        });
    }
    if let Some(key) = vm.get("publicKey") {
        return Ok(Material::PublicKey {
            hint: key["hint"].as_str().unwrap_or_default().to_owned(),
        });
    }
    Err(field(
        "verification material names no certificate and no key",
    ))
}

fn log_entry(e: &Value) -> Result<LogEntry, BundleError> {
    let body_base64 = e["canonicalizedBody"]
        .as_str()
        .ok_or_else(|| field("log entry has no canonicalizedBody"))?
        .to_owned();
    let body = decode_base64(&body_base64)
        .ok_or_else(|| field("log entry's canonicalizedBody is not base64"))?;
    let proof = match e.get("inclusionProof") {
        Some(p) => Some(InclusionProof {
            log_index: index_at(&p["logIndex"], "inclusion proof's log index")?,
            root_hash: hash32(&p["rootHash"], "inclusion proof's root hash")?,
            tree_size: index_at(&p["treeSize"], "inclusion proof's tree size")?,
            hashes: p["hashes"]
                .as_array()
                .map(|hs| {
                    hs.iter()
                        .map(|h| hash32(h, "inclusion proof hash"))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default(),
            checkpoint: p["checkpoint"]["envelope"].as_str().map(str::to_owned),
        }),
        None => None,
    };
    let integrated_time = match e.get("integratedTime") {
        Some(t) => Some(index_at(t, "integrated time")? as i64).filter(|t| *t > 0),
        None => None,
    };
    Ok(LogEntry {
        log_index: index_at(&e["logIndex"], "log index")?,
        log_id: b64_at(&e["logId"]["keyId"], "log id")?,
        kind: e["kindVersion"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        version: e["kindVersion"]["version"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        integrated_time,
        set: match e["inclusionPromise"]["signedEntryTimestamp"].as_str() {
            Some(_) => Some(b64_at(
                &e["inclusionPromise"]["signedEntryTimestamp"],
                "signed entry timestamp",
            )?),
            None => None,
        },
        proof,
        body,
        body_base64,
    })
}

fn content(v: &Value) -> Result<Content, BundleError> {
    if let Some(m) = v.get("messageSignature") {
        let digest_alg = match m["messageDigest"]["algorithm"].as_str() {
            Some("SHA2_256") | None => HashAlg::Sha256,
            Some("SHA2_384") => HashAlg::Sha384,
            Some("SHA2_512") => HashAlg::Sha512,
            Some(other) => {
                return Err(field(format!(
                    "message digest algorithm {other} is not supported"
                )))
            }
        };
        return Ok(Content::Message {
            digest_alg,
            digest: match m["messageDigest"].get("digest") {
                Some(d) => b64_at(d, "message digest")?,
                None => Vec::new(),
            },
            signature: b64_at(&m["signature"], "signature")?,
        });
    }
    if let Some(env) = v.get("dsseEnvelope") {
        let payload_type = env["payloadType"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| field("envelope has no payload type"))?
            .to_owned();
        let signatures = env["signatures"]
            .as_array()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| field("envelope has no signature"))?
            .iter()
            .map(|s| {
                Ok(EnvelopeSignature {
                    keyid: s["keyid"]
                        .as_str()
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned),
                    sig: b64_at(&s["sig"], "envelope signature")?,
                })
            })
            .collect::<Result<Vec<_>, BundleError>>()?;
        return Ok(Content::Dsse(Envelope {
            payload_type,
            payload: b64_at(&env["payload"], "envelope payload")?,
            signatures,
        }));
    }
    Err(field(
        "content is neither a message signature nor a DSSE envelope",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_read_as_go_reads_it() {
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert_eq!(decode_base64("aGk").unwrap(), b"hi");
        assert_eq!(decode_base64("aG\nk=").unwrap(), b"hi");
        assert_eq!(decode_base64("-_8=").unwrap(), [0xfb, 0xff]);
        assert!(decode_base64("**").is_none());
    }

    #[test]
    fn versions_negative_indices_and_empty_chains_are_refused() {
        assert!(BundleVersion::from_media_type(
            "application/vnd.dev.sigstore.bundle+json;version=99.9"
        )
        .is_none());
        assert_eq!(
            BundleVersion::from_media_type("application/vnd.dev.sigstore.bundle.v0.3+json"),
            Some(BundleVersion::V03)
        );
        assert!(index_at(&Value::String("-1".into()), "log index").is_err());
        assert_eq!(index_at(&serde_json::json!(42), "x").unwrap(), 42);
        let chain = serde_json::json!({"x509CertificateChain": {"certificates": []}});
        assert!(material(&chain).is_err());
    }
}
