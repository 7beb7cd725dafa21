//! DSSE (Dead Simple Signing Envelope) v1: the pre-authentication encoding, envelopes, and
//! signing and verifying them.

use serde::{Deserialize, Serialize};

use crate::b64;
use crate::keys::{PublicKey, VerifyError};
use crate::signer::{SignError, Signer};

/// The payload type of in-toto statements.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// How every pre-authentication encoding begins. Signers of raw files refuse inputs that begin
/// so: a signature over such a file would be a DSSE signature too.
pub const PAE_PREFIX: &[u8] = b"DSSEv1 ";

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, the bytes a DSSE
/// signature covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(PAE_PREFIX);
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// An envelope as it appears on the wire (standalone, or inside a Sigstore bundle).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeJson {
    pub payload: String,
    pub payload_type: String,
    pub signatures: Vec<SignatureJson>,
}

/// One signature of a wire envelope.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignatureJson {
    pub sig: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
}

/// Why an envelope is not well-formed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvelopeError {
    #[error("DSSE payload is not valid base64")]
    PayloadBase64,
    #[error("DSSE signature {index} is not valid base64")]
    SignatureBase64 { index: usize },
    #[error("DSSE envelope has no signatures")]
    NoSignatures,
    #[error("DSSE payloadType is empty")]
    EmptyPayloadType,
}

/// A decoded, well-formed envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<EnvelopeSignature>,
}

/// One decoded signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeSignature {
    pub keyid: Option<String>,
    pub sig: Vec<u8>,
}

impl Envelope {
    /// Decodes and checks a wire envelope.
    pub fn from_json(json: &EnvelopeJson) -> Result<Self, EnvelopeError> {
        if json.payload_type.is_empty() {
            return Err(EnvelopeError::EmptyPayloadType);
        }
        if json.signatures.is_empty() {
            return Err(EnvelopeError::NoSignatures);
        }
        let payload = b64::decode(&json.payload).ok_or(EnvelopeError::PayloadBase64)?;
        let signatures = json
            .signatures
            .iter()
            .enumerate()
            .map(|(index, s)| {
                Ok(EnvelopeSignature {
                    keyid: s.keyid.clone().filter(|k| !k.is_empty()),
                    sig: b64::decode(&s.sig).ok_or(EnvelopeError::SignatureBase64 { index })?,
                })
            })
            .collect::<Result<_, EnvelopeError>>()?;
        Ok(Envelope {
            payload_type: json.payload_type.clone(),
            payload,
            signatures,
        })
    }

    pub fn to_json(&self) -> EnvelopeJson {
        EnvelopeJson {
            payload: b64::encode(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| SignatureJson {
                    sig: b64::encode(&s.sig),
                    keyid: s.keyid.clone(),
                })
                .collect(),
        }
    }

    /// Signs `payload` with one key; the signature's `keyid` is the key's Sigstore hint.
    pub fn sign(
        signer: &dyn Signer,
        payload_type: &str,
        payload: Vec<u8>,
    ) -> Result<Self, SignError> {
        let sig = signer.sign(&pae(payload_type, &payload))?;
        Ok(Self::signed_by(
            signer.public_key(),
            payload_type,
            payload,
            sig,
        ))
    }

    /// An envelope around `payload` with one signature `sig` (over the PAE) by `key`.
    pub fn signed_by(key: &PublicKey, payload_type: &str, payload: Vec<u8>, sig: Vec<u8>) -> Self {
        Envelope {
            payload_type: payload_type.to_owned(),
            payload,
            signatures: vec![EnvelopeSignature {
                keyid: Some(key.key_id().to_string()),
                sig,
            }],
        }
    }

    /// Verifies signature `index` over the PAE with `key` (ECDSA in DER or in the fixed-width
    /// `r || s` form: see [`PublicKey::verify_dsse`]).
    pub fn verify_signature(&self, index: usize, key: &PublicKey) -> Result<(), VerifyError> {
        let s = self
            .signatures
            .get(index)
            .ok_or_else(|| VerifyError::Malformed(format!("no DSSE signature {index}")))?;
        key.verify_dsse(&pae(&self.payload_type, &self.payload), &s.sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Algorithm;
    use crate::signer::SoftwareKey;

    /// The DSSE specification's own test vector (protocol.md): a P-256 signature in the raw
    /// `r || s` form, which was refused as "not ASN.1 DER".
    #[test]
    fn the_specifications_ecdsa_vector_verifies() {
        let point = hex::decode(concat!(
            "0467cd390f77aa359cb08c2235f652270493a9ed832b0abcc01f70954c0390d238",
            "0c782bd54e269125a44f4433aff1432ce94e12bca73aa67ac80cea12608ddf74"
        ))
        .unwrap();
        let key = PublicKey::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap());
        let wire: EnvelopeJson = serde_json::from_str(
            r#"{"payload": "aGVsbG8gd29ybGQ=",
 "payloadType": "http://example.com/HelloWorld",
 "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}"#,
        )
        .unwrap();
        let env = Envelope::from_json(&wire).unwrap();
        env.verify_signature(0, &key).unwrap();
        // The same bytes as a detached signature stay DER only.
        let raw = env.signatures[0].sig.clone();
        let err = key
            .verify(&pae(&env.payload_type, &env.payload), &raw)
            .unwrap_err();
        assert!(err.to_string().contains("raw r||s"), "{err}");
        // A changed payload or a flipped bit in r||s is a mismatch, not a parse error.
        let mut other = env.clone();
        other.payload = b"hello world!".to_vec();
        assert!(matches!(
            other.verify_signature(0, &key),
            Err(VerifyError::Mismatch)
        ));
        let mut flipped = env.clone();
        flipped.signatures[0].sig[40] ^= 1;
        assert!(matches!(
            flipped.verify_signature(0, &key),
            Err(VerifyError::Mismatch)
        ));
    }

    #[test]
    fn pae_spec_vector() {
        // secure-systems-lab/dsse protocol.md test vector.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn sign_verify_and_tamper() {
        for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
            let k = SoftwareKey::generate(alg).unwrap();
            let env = Envelope::sign(&k, INTOTO_PAYLOAD_TYPE, b"{}".to_vec()).unwrap();
            env.verify_signature(0, k.public_key()).unwrap();
            let back = Envelope::from_json(&env.to_json()).unwrap();
            assert_eq!(back, env);
            let mut bad = env.clone();
            bad.payload_type = "text/plain".into();
            assert!(bad.verify_signature(0, k.public_key()).is_err());
            let mut bad = env.clone();
            bad.payload.push(b' ');
            assert!(bad.verify_signature(0, k.public_key()).is_err());
        }
    }

    #[test]
    fn malformed_envelopes() {
        let j = EnvelopeJson {
            payload: "e30=".into(),
            payload_type: INTOTO_PAYLOAD_TYPE.into(),
            signatures: vec![],
        };
        assert_eq!(Envelope::from_json(&j), Err(EnvelopeError::NoSignatures));
        let j = EnvelopeJson {
            payload: "!!".into(),
            signatures: vec![SignatureJson {
                sig: "AA==".into(),
                keyid: None,
            }],
            ..j
        };
        assert_eq!(Envelope::from_json(&j), Err(EnvelopeError::PayloadBase64));
    }
}
