//! Sigstore bundles (v0.1–v0.3, key-based), bare DSSE envelopes and cosign's legacy `--bundle`
//! JSON: writing ours, and parsing anyone's into one checked type.

use serde::{Deserialize, Serialize};

use crate::b64;
use crate::digest::{Digest, HashAlg};
use crate::dsse::{Envelope, EnvelopeError, EnvelopeJson};
use crate::keys::PublicKey;

/// The media type Strongroom writes.
pub const MEDIA_TYPE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Every bundle media type we read.
pub const KNOWN_MEDIA_TYPES: &[(&str, &str)] = &[
    (
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "0.1",
    ),
    (
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "0.2",
    ),
    (
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "0.3",
    ),
    (MEDIA_TYPE_V0_3, "0.3"),
];

/// A Sigstore bundle as JSON (protobuf JSON mapping, camelCase, base64 bytes).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleJson {
    pub media_type: String,
    pub verification_material: VerificationMaterialJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_signature: Option<MessageSignatureJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsse_envelope: Option<EnvelopeJson>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterialJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyHintJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate_chain: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<serde_json::Value>,
    /// Always written, empty: these bundles carry no transparency-log entries.
    #[serde(default)]
    pub tlog_entries: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_verification_data: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PublicKeyHintJson {
    #[serde(default)]
    pub hint: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSignatureJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_digest: Option<HashOutputJson>,
    pub signature: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HashOutputJson {
    pub algorithm: String,
    pub digest: String,
}

/// cosign's pre-Sigstore-bundle `--bundle` output.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CosignLegacyJson {
    base64_signature: String,
    #[serde(default)]
    cert: Option<String>,
    #[serde(default)]
    rekor_bundle: Option<serde_json::Value>,
}

impl BundleJson {
    fn with_content(
        key: &PublicKey,
        message_signature: Option<MessageSignatureJson>,
        dsse_envelope: Option<EnvelopeJson>,
    ) -> Self {
        BundleJson {
            media_type: MEDIA_TYPE_V0_3.to_owned(),
            verification_material: VerificationMaterialJson {
                public_key: Some(PublicKeyHintJson {
                    hint: key.key_id().to_string(),
                }),
                x509_certificate_chain: None,
                certificate: None,
                tlog_entries: Vec::new(),
                timestamp_verification_data: None,
            },
            message_signature,
            dsse_envelope,
        }
    }

    /// A v0.3 `messageSignature` bundle: `signature` covers the artifact whose digest is `digest`.
    pub fn message_signature(key: &PublicKey, digest: &Digest, signature: &[u8]) -> Self {
        Self::with_content(
            key,
            Some(MessageSignatureJson {
                message_digest: Some(HashOutputJson {
                    algorithm: digest.alg().sigstore_name().to_owned(),
                    digest: b64::encode(digest.as_bytes()),
                }),
                signature: b64::encode(signature),
            }),
            None,
        )
    }

    /// The bundle with RFC 3161 timestamps over its signature (DER `TimeStampResp`s), in
    /// `verificationMaterial.timestampVerificationData.rfc3161Timestamps`.
    pub fn with_rfc3161_timestamps(mut self, stamps: &[Vec<u8>]) -> Self {
        if !stamps.is_empty() {
            let list: Vec<serde_json::Value> = stamps
                .iter()
                .map(|s| serde_json::json!({"signedTimestamp": b64::encode(s)}))
                .collect();
            self.verification_material.timestamp_verification_data =
                Some(serde_json::json!({"rfc3161Timestamps": list}));
        }
        self
    }

    /// The signature bytes a timestamp of this bundle is over: the message signature, or the
    /// DSSE envelope's one signature.
    pub fn signature_bytes(&self) -> Option<Vec<u8>> {
        match (&self.message_signature, &self.dsse_envelope) {
            (Some(ms), _) => b64::decode(&ms.signature),
            (None, Some(env)) => env.signatures.first().and_then(|s| b64::decode(&s.sig)),
            (None, None) => None,
        }
    }

    /// A v0.3 `dsseEnvelope` bundle. The envelope must carry exactly one signature by `key`.
    pub fn dsse(key: &PublicKey, envelope: &Envelope) -> Self {
        Self::with_content(key, None, Some(envelope.to_json()))
    }

    /// Pretty JSON with a trailing newline, as written to `*.sigstore.json`.
    pub fn to_pretty_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a bundle always serialises");
        s.push('\n');
        s
    }
}

/// Why a document could not be read as a bundle or envelope. Each names the problem.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigstoreBundleError {
    #[error("the file is empty")]
    Empty,
    #[error("not valid JSON ({0}); the file may be truncated or not a bundle")]
    NotJson(String),
    #[error("the JSON is not a Sigstore bundle, a DSSE envelope or a cosign bundle")]
    Unrecognised,
    #[error("unknown bundle media type {0:?}; this version reads Sigstore bundles v0.1 to v0.3")]
    UnknownMediaType(String),
    #[error("malformed bundle: {0}")]
    Malformed(String),
    #[error("the bundle has neither messageSignature nor dsseEnvelope")]
    NoContent,
    #[error("the bundle has both messageSignature and dsseEnvelope")]
    TwoContents,
    #[error(
        "the bundle's DSSE envelope has {0} signatures; a Sigstore bundle carries exactly one"
    )]
    DsseSignatureCount(usize),
    #[error("unsupported message digest algorithm {0:?}")]
    UnknownDigestAlgorithm(String),
    #[error("the message digest is not a valid {0} value")]
    BadDigest(HashAlg),
    #[error("the signature is not valid base64")]
    SignatureBase64,
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
}

/// Where a checked document came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// A Sigstore bundle, with its version (`"0.3"`).
    SigstoreBundle { version: &'static str },
    /// A bare DSSE envelope.
    DsseEnvelope,
    /// cosign's legacy `{"base64Signature": …}` bundle.
    CosignLegacy,
}

/// What was signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A signature over the artifact bytes; `digest` is the digest the document claims for them.
    MessageSignature {
        digest: Option<Digest>,
        signature: Vec<u8>,
    },
    /// A DSSE envelope (in-toto statement or other payload).
    Dsse(Envelope),
}

/// Any signed document we can verify, after its shape was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedDocument {
    pub kind: DocumentKind,
    /// The key hint named by the document, if any.
    pub key_hint: Option<String>,
    /// The document carries an X.509 certificate (not validated offline).
    pub has_certificate: bool,
    /// Number of transparency-log entries carried (not validated offline).
    pub tlog_entries: usize,
    /// RFC 3161 timestamps carried (DER, as given; checked by whoever trusts an authority).
    pub rfc3161_timestamps: Vec<Vec<u8>>,
    pub content: Content,
}

/// The `signedTimestamp`s of `timestampVerificationData`, decoded.
fn rfc3161_of(data: Option<&serde_json::Value>) -> Result<Vec<Vec<u8>>, SigstoreBundleError> {
    let Some(list) = data.and_then(|d| d.get("rfc3161Timestamps")) else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| SigstoreBundleError::Malformed("rfc3161Timestamps is not a list".into()))?;
    list.iter()
        .map(|t| {
            t.get("signedTimestamp")
                .and_then(|v| v.as_str())
                .and_then(b64::decode)
                .ok_or_else(|| {
                    SigstoreBundleError::Malformed(
                        "an rfc3161Timestamps entry has no base64 signedTimestamp".into(),
                    )
                })
        })
        .collect()
}

impl CheckedDocument {
    /// Parses and checks an untrusted JSON document.
    pub fn parse(bytes: &[u8]) -> Result<Self, SigstoreBundleError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(SigstoreBundleError::Empty);
        }
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| SigstoreBundleError::NotJson(e.to_string()))?;
        let obj = value.as_object().ok_or(SigstoreBundleError::Unrecognised)?;
        let malformed = |e: serde_json::Error| SigstoreBundleError::Malformed(e.to_string());
        if obj.contains_key("mediaType") {
            let bundle: BundleJson = serde_json::from_value(value).map_err(malformed)?;
            Self::from_bundle(bundle)
        } else if obj.contains_key("payloadType") && obj.contains_key("signatures") {
            let env: EnvelopeJson = serde_json::from_value(value).map_err(malformed)?;
            Ok(CheckedDocument {
                kind: DocumentKind::DsseEnvelope,
                key_hint: None,
                has_certificate: false,
                tlog_entries: 0,
                rfc3161_timestamps: Vec::new(),
                content: Content::Dsse(Envelope::from_json(&env)?),
            })
        } else if obj.contains_key("base64Signature") {
            let legacy: CosignLegacyJson = serde_json::from_value(value).map_err(malformed)?;
            Ok(CheckedDocument {
                kind: DocumentKind::CosignLegacy,
                key_hint: None,
                has_certificate: legacy.cert.is_some_and(|c| !c.is_empty()),
                tlog_entries: usize::from(legacy.rekor_bundle.is_some()),
                rfc3161_timestamps: Vec::new(),
                content: Content::MessageSignature {
                    digest: None,
                    signature: b64::decode(&legacy.base64_signature)
                        .ok_or(SigstoreBundleError::SignatureBase64)?,
                },
            })
        } else {
            Err(SigstoreBundleError::Unrecognised)
        }
    }

    fn from_bundle(b: BundleJson) -> Result<Self, SigstoreBundleError> {
        let version = KNOWN_MEDIA_TYPES
            .iter()
            .find(|(m, _)| *m == b.media_type)
            .map(|(_, v)| *v)
            .ok_or_else(|| SigstoreBundleError::UnknownMediaType(b.media_type.clone()))?;
        let vm = &b.verification_material;
        let content = match (b.message_signature, b.dsse_envelope) {
            (None, None) => return Err(SigstoreBundleError::NoContent),
            (Some(_), Some(_)) => return Err(SigstoreBundleError::TwoContents),
            (Some(ms), None) => {
                let digest = match ms.message_digest {
                    None => None,
                    Some(h) => {
                        let alg = HashAlg::from_sigstore_name(&h.algorithm)
                            .ok_or(SigstoreBundleError::UnknownDigestAlgorithm(h.algorithm))?;
                        let bytes =
                            b64::decode(&h.digest).ok_or(SigstoreBundleError::BadDigest(alg))?;
                        Some(Digest::new(alg, bytes).ok_or(SigstoreBundleError::BadDigest(alg))?)
                    }
                };
                Content::MessageSignature {
                    digest,
                    signature: b64::decode(&ms.signature)
                        .ok_or(SigstoreBundleError::SignatureBase64)?,
                }
            }
            (None, Some(env)) => {
                if env.signatures.len() != 1 {
                    return Err(SigstoreBundleError::DsseSignatureCount(
                        env.signatures.len(),
                    ));
                }
                Content::Dsse(Envelope::from_json(&env)?)
            }
        };
        Ok(CheckedDocument {
            kind: DocumentKind::SigstoreBundle { version },
            key_hint: vm
                .public_key
                .as_ref()
                .map(|k| k.hint.clone())
                .filter(|h| !h.is_empty()),
            has_certificate: vm.x509_certificate_chain.is_some() || vm.certificate.is_some(),
            tlog_entries: vm.tlog_entries.len(),
            rfc3161_timestamps: rfc3161_of(vm.timestamp_verification_data.as_ref())?,
            content,
        })
    }

    /// The signature bytes a timestamp of this document is over: the message signature, or the
    /// DSSE envelope's first signature.
    pub fn signature_bytes(&self) -> Option<&[u8]> {
        match &self.content {
            Content::MessageSignature { signature, .. } => Some(signature),
            Content::Dsse(env) => env.signatures.first().map(|s| s.sig.as_slice()),
        }
    }

    /// A one-line description for reports.
    pub fn describe(&self) -> String {
        let what = match &self.content {
            Content::MessageSignature { .. } => "messageSignature",
            Content::Dsse(_) => "DSSE envelope",
        };
        match &self.kind {
            DocumentKind::SigstoreBundle { version } => {
                format!("Sigstore bundle v{version} ({what})")
            }
            DocumentKind::DsseEnvelope => "bare DSSE envelope".to_owned(),
            DocumentKind::CosignLegacy => "cosign legacy bundle (messageSignature)".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsse::INTOTO_PAYLOAD_TYPE;
    use crate::keys::Algorithm;
    use crate::signer::{Signer, SoftwareKey};

    #[test]
    fn writes_the_documented_shape() {
        let k = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let d = HashAlg::Sha256.hash(b"x");
        let sig = k.sign_prehashed(&d).unwrap();
        let json = BundleJson::message_signature(k.public_key(), &d, &sig).to_pretty_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["mediaType"], MEDIA_TYPE_V0_3);
        assert_eq!(
            v["verificationMaterial"]["tlogEntries"],
            serde_json::json!([])
        );
        assert_eq!(
            v["verificationMaterial"]["publicKey"]["hint"],
            k.public_key().key_id().as_str()
        );
        assert_eq!(
            v["messageSignature"]["messageDigest"]["algorithm"],
            "SHA2_256"
        );
        let doc = CheckedDocument::parse(json.as_bytes()).unwrap();
        assert_eq!(doc.kind, DocumentKind::SigstoreBundle { version: "0.3" });
        assert_eq!(
            doc.content,
            Content::MessageSignature {
                digest: Some(d),
                signature: sig
            }
        );
    }

    #[test]
    fn dsse_bundle_keyid_equals_hint() {
        let k = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let env = Envelope::sign(&k, INTOTO_PAYLOAD_TYPE, b"{}".to_vec()).unwrap();
        let v = serde_json::to_value(BundleJson::dsse(k.public_key(), &env)).unwrap();
        assert_eq!(
            v["dsseEnvelope"]["signatures"][0]["keyid"],
            v["verificationMaterial"]["publicKey"]["hint"]
        );
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let p = |s: &str| CheckedDocument::parse(s.as_bytes()).unwrap_err();
        assert_eq!(p(""), SigstoreBundleError::Empty);
        assert!(matches!(
            p("{\"mediaType\":"),
            SigstoreBundleError::NotJson(_)
        ));
        assert_eq!(p("[]"), SigstoreBundleError::Unrecognised);
        assert_eq!(
            p(r#"{"mediaType":"application/x-nope","verificationMaterial":{}}"#),
            SigstoreBundleError::UnknownMediaType("application/x-nope".into())
        );
        assert_eq!(
            p(&format!(
                r#"{{"mediaType":"{MEDIA_TYPE_V0_3}","verificationMaterial":{{}}}}"#
            )),
            SigstoreBundleError::NoContent
        );
        let two = format!(
            r#"{{"mediaType":"{MEDIA_TYPE_V0_3}","verificationMaterial":{{}},"dsseEnvelope":{{"payload":"e30=","payloadType":"t","signatures":[{{"sig":"AA=="}},{{"sig":"AA=="}}]}}}}"#
        );
        assert_eq!(p(&two), SigstoreBundleError::DsseSignatureCount(2));
    }

    #[test]
    fn reads_bare_envelopes_and_cosign_legacy() {
        let env = r#"{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"keyid":"","sig":"AAAA"}]}"#;
        let doc = CheckedDocument::parse(env.as_bytes()).unwrap();
        assert_eq!(doc.kind, DocumentKind::DsseEnvelope);
        let legacy = r#"{"base64Signature":"AAAA","cert":"","rekorBundle":null}"#;
        let doc = CheckedDocument::parse(legacy.as_bytes()).unwrap();
        assert_eq!(doc.kind, DocumentKind::CosignLegacy);
        assert!(!doc.has_certificate);
    }
}
