//! Container image signatures in the form cosign writes and skopeo and containers-policy
//! (`sigstoreSigned`) check: the "simple signing" payload, a JSON claim that an image manifest
//! digest is the image at a registry reference, signed as a whole message by the release key.
//!
//! The payload's `type` ("cosign container image signature") is its domain: no other Strongroom
//! signature is over a JSON document of this shape (the others are over a DSSE pre-authentication
//! encoding, or an artifact's digest), and [`Claim::parse`] accepts nothing else.

use serde_json::{json, Value};

use crate::digest::is_sha256_hex;
use crate::keys::PublicKey;

/// The `type` every simple-signing payload of a container image carries.
pub const IMAGE_SIGNATURE_TYPE: &str = "cosign container image signature";
/// The media type of the payload, as the `.sig` manifest's layer names it.
pub const PAYLOAD_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The annotation of that layer that holds the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// What a payload claims: this manifest digest is the image at this reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// `registry/repository`, optionally with `:tag` (no digest).
    pub docker_reference: String,
    /// `sha256:<hex>` of the image manifest.
    pub manifest_digest: String,
}

/// Why a payload or its signature is not an image signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageSignatureError {
    #[error("the payload is not a simple-signing image claim: {0}")]
    Payload(String),
    #[error("{0:?} is not a registry reference (registry/repository[:tag], no digest, no spaces)")]
    Reference(String),
    #[error("the signature is not base64")]
    Encoding,
    #[error("the signature does not verify with the release key")]
    Signature,
}

/// Checks a registry reference as the officer names it: `host[:port]/path[:tag]`, lowercase
/// repository path, no digest, nothing a registry would refuse.
pub fn check_reference(r: &str) -> Result<(), ImageSignatureError> {
    let bad = || ImageSignatureError::Reference(r.to_owned());
    if r.len() > 255 || r.contains('@') || r.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (host, path) = r.split_once('/').ok_or_else(bad)?;
    // A reference names its registry: the first component has a dot or a port, or is localhost.
    let host_ok = !host.is_empty()
        && (host.contains('.') || host.contains(':') || host == "localhost")
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    let (repo, tag) = match path.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (path, None),
    };
    let repo_ok = !repo.is_empty()
        && repo.split('/').all(|c| {
            !c.is_empty()
                && c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
                && c.chars()
                    .next()
                    .is_some_and(|ch| ch.is_ascii_alphanumeric())
        });
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    });
    if host_ok && repo_ok && tag_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

impl Claim {
    pub fn new(
        docker_reference: &str,
        manifest_digest: &str,
    ) -> Result<Claim, ImageSignatureError> {
        check_reference(docker_reference)?;
        if !manifest_digest
            .strip_prefix("sha256:")
            .is_some_and(is_sha256_hex)
        {
            return Err(ImageSignatureError::Payload(format!(
                "{manifest_digest:?} is not a sha256 digest"
            )));
        }
        Ok(Claim {
            docker_reference: docker_reference.to_owned(),
            manifest_digest: manifest_digest.to_owned(),
        })
    }

    /// The payload bytes, as cosign writes them (`optional` null), always the same for a claim.
    pub fn payload(&self) -> Vec<u8> {
        let v = json!({
            "critical": {
                "identity": {"docker-reference": self.docker_reference},
                "image": {"docker-manifest-digest": self.manifest_digest},
                "type": IMAGE_SIGNATURE_TYPE,
            },
            "optional": null,
        });
        serde_json::to_vec(&v).expect("JSON serialises")
    }

    /// Reads a payload: a JSON object whose `critical` section has exactly the identity, the
    /// image digest and the image-signature type (as containers/image requires), and nothing
    /// unknown in it.
    pub fn parse(payload: &[u8]) -> Result<Claim, ImageSignatureError> {
        let bad = |m: &str| ImageSignatureError::Payload(m.to_owned());
        let v: Value = serde_json::from_slice(payload).map_err(|e| bad(&e.to_string()))?;
        let obj = v.as_object().ok_or_else(|| bad("not a JSON object"))?;
        if obj.keys().any(|k| k != "critical" && k != "optional") {
            return Err(bad("fields other than critical and optional"));
        }
        let critical = obj
            .get("critical")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("no critical section"))?;
        let mut keys: Vec<&str> = critical.keys().map(String::as_str).collect();
        keys.sort_unstable();
        if keys != ["identity", "image", "type"] {
            return Err(bad("critical must hold exactly identity, image and type"));
        }
        if critical.get("type").and_then(Value::as_str) != Some(IMAGE_SIGNATURE_TYPE) {
            return Err(bad("its type is not a container image signature"));
        }
        let one = |section: &str, field: &str| -> Result<String, ImageSignatureError> {
            let s = critical
                .get(section)
                .and_then(Value::as_object)
                .filter(|o| o.len() == 1)
                .and_then(|o| o.get(field))
                .and_then(Value::as_str)
                .ok_or_else(|| bad(&format!("critical.{section} must hold only {field}")))?;
            Ok(s.to_owned())
        };
        Claim::new(
            &one("identity", "docker-reference")?,
            &one("image", "docker-manifest-digest")?,
        )
    }
}

/// Checks a base64 `signature` over `payload` with `key`, and returns what it claims.
pub fn verify(
    key: &PublicKey,
    payload: &[u8],
    signature_b64: &str,
) -> Result<Claim, ImageSignatureError> {
    let claim = Claim::parse(payload)?;
    let sig = crate::b64::decode(signature_b64.trim()).ok_or(ImageSignatureError::Encoding)?;
    key.verify(payload, &sig)
        .map_err(|_| ImageSignatureError::Signature)?;
    Ok(claim)
}

/// The base64 form of a signature, as the `.sig` annotation and `cosign.sig` hold it.
pub fn encode_signature(sig: &[u8]) -> String {
    crate::b64::encode(sig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Algorithm;
    use crate::signer::{Signer, SoftwareKey};

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn references_are_checked() {
        for ok in [
            "127.0.0.1:5000/acme/app",
            "registry.example.com/app:1.0",
            "localhost/a/b-c_d.e",
        ] {
            assert_eq!(check_reference(ok), Ok(()), "{ok}");
        }
        for bad in [
            "app",
            "acme/app",
            "reg.example/App",
            "reg.example/app@sha256:00",
            "reg.example/",
            "reg.example/app:",
            "reg example/app",
        ] {
            assert!(check_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_signed_claim_round_trips_and_anything_else_is_refused() {
        let key = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let claim = Claim::new("127.0.0.1:5000/acme/app", D).unwrap();
        let payload = claim.payload();
        let sig = encode_signature(&key.sign(&payload).unwrap());
        assert_eq!(verify(key.public_key(), &payload, &sig), Ok(claim.clone()));
        // Another claim under the same signature.
        let other = Claim::new("127.0.0.1:5000/acme/other", D)
            .unwrap()
            .payload();
        assert_eq!(
            verify(key.public_key(), &other, &sig),
            Err(ImageSignatureError::Signature)
        );
        // A payload with an extra critical field, or another type, is not a claim.
        let mut v: Value = serde_json::from_slice(&payload).unwrap();
        v["critical"]["extra"] = json!(1);
        assert!(Claim::parse(&serde_json::to_vec(&v).unwrap()).is_err());
        let mut v: Value = serde_json::from_slice(&payload).unwrap();
        v["critical"]["type"] = json!("atomic container signature");
        assert!(Claim::parse(&serde_json::to_vec(&v).unwrap()).is_err());
        assert_eq!(
            verify(key.public_key(), &payload, "!!"),
            Err(ImageSignatureError::Encoding)
        );
    }
}
