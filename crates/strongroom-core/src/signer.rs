//! The signing abstraction: one trait that software keys and token keys both implement, so every
//! signing path (messageSignature, DSSE, manifests) works with either.

use std::fmt;

use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::digest::{Digest, HashAlg};
use crate::keys::{Algorithm, KeyError, PublicKey};

/// Why a signature could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error("{alg} keys sign whole messages; a precomputed {digest} digest cannot be signed")]
    PrehashUnsupported { alg: Algorithm, digest: HashAlg },
    #[error("{alg} keys sign {expected} digests, not {got}")]
    WrongDigest {
        alg: Algorithm,
        expected: HashAlg,
        got: HashAlg,
    },
    /// A failure in the device or backend that holds the key (for example a PKCS#11 token). The
    /// source is the backend's own typed error, so callers can downcast it for a remedy.
    #[error("the key's backend failed to sign")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Something that holds a private key and can sign with it.
///
/// Implementations return signatures in the encoding Sigstore expects: 64 raw bytes for Ed25519,
/// ASN.1 DER for ECDSA, raw bytes for RSA. `try_sign`-style: hardware may fail at any call.
pub trait Signer {
    /// The public half of the key.
    fn public_key(&self) -> &PublicKey;

    /// Signs a whole message held in memory (pure Ed25519 signs the bytes themselves; ECDSA and
    /// RSA hash them with the algorithm's digest first).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;

    /// Signs a message known only by its digest (for files too large to hold). Ed25519 keys refuse.
    fn sign_prehashed(&self, digest: &Digest) -> Result<Vec<u8>, SignError>;

    /// Signs several messages. Backends with a costly round trip (a token's session thread)
    /// override this to sign the whole batch at once.
    fn sign_batch(&self, messages: &[&[u8]]) -> Result<Vec<Vec<u8>>, SignError> {
        messages.iter().map(|m| self.sign(m)).collect()
    }

    /// Signs several digests; see [`Signer::sign_batch`].
    fn sign_prehashed_batch(&self, digests: &[&Digest]) -> Result<Vec<Vec<u8>>, SignError> {
        digests.iter().map(|d| self.sign_prehashed(d)).collect()
    }
}

impl<T: Signer + ?Sized> Signer for &T {
    fn public_key(&self) -> &PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
    fn sign_prehashed(&self, digest: &Digest) -> Result<Vec<u8>, SignError> {
        (**self).sign_prehashed(digest)
    }
    fn sign_batch(&self, messages: &[&[u8]]) -> Result<Vec<Vec<u8>>, SignError> {
        (**self).sign_batch(messages)
    }
    fn sign_prehashed_batch(&self, digests: &[&Digest]) -> Result<Vec<Vec<u8>>, SignError> {
        (**self).sign_prehashed_batch(digests)
    }
}

enum SoftwareInner {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// A private key held in process memory: Ed25519 or ECDSA P-256. Zeroized on drop by the
/// underlying types; never printed.
pub struct SoftwareKey {
    inner: SoftwareInner,
    public: PublicKey,
}

impl fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SoftwareKey({} {}, private part redacted)",
            self.public.algorithm(),
            self.public.key_id()
        )
    }
}

impl SoftwareKey {
    /// Generates a fresh key from the operating system's CSPRNG.
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        match alg {
            Algorithm::Ed25519 => Ok(Self::from_inner(SoftwareInner::Ed25519(
                ed25519_dalek::SigningKey::generate(&mut OsRng),
            ))),
            Algorithm::EcdsaP256 => Ok(Self::from_inner(SoftwareInner::P256(
                p256::ecdsa::SigningKey::random(&mut OsRng),
            ))),
            other => Err(KeyError::NoSoftwareSupport(other)),
        }
    }

    fn from_inner(inner: SoftwareInner) -> Self {
        let public = match &inner {
            SoftwareInner::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            SoftwareInner::P256(k) => PublicKey::P256(*k.verifying_key()),
        };
        SoftwareKey { inner, public }
    }

    /// Decodes an unencrypted PKCS#8 (RFC 5958) private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = pkcs8::PrivateKeyInfo::try_from(der)
            .map_err(|e| KeyError::PrivateKey(e.to_string()))?;
        let err = |e: pkcs8::Error| KeyError::PrivateKey(e.to_string());
        match info.algorithm.oid.to_string().as_str() {
            "1.3.101.112" => Ok(Self::from_inner(SoftwareInner::Ed25519(
                ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(err)?,
            ))),
            "1.2.840.10045.2.1" => Ok(Self::from_inner(SoftwareInner::P256(
                p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(err)?,
            ))),
            other => Err(KeyError::UnsupportedKeyType(other.to_owned())),
        }
    }

    /// Decodes an unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, doc) = pkcs8::SecretDocument::from_pem(pem.trim())
            .map_err(|e| KeyError::PrivateKey(e.to_string()))?;
        if label != "PRIVATE KEY" {
            return Err(KeyError::PrivateKey(format!(
                "PEM block is {label:?}, expected \"PRIVATE KEY\" (PKCS#8)"
            )));
        }
        Self::from_pkcs8_der(doc.as_bytes())
    }

    /// Encodes the private key as PKCS#8 DER in a buffer that is wiped when dropped.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        let doc = match &self.inner {
            SoftwareInner::Ed25519(k) => k.to_pkcs8_der(),
            SoftwareInner::P256(k) => k.to_pkcs8_der(),
        }
        .expect("encoding a valid private key cannot fail");
        Zeroizing::new(doc.as_bytes().to_vec())
    }

    /// Encodes the private key as PKCS#8 PEM in a buffer that is wiped when dropped.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        let doc = match &self.inner {
            SoftwareInner::Ed25519(k) => k.to_pkcs8_pem(pkcs8::LineEnding::LF),
            SoftwareInner::P256(k) => k.to_pkcs8_pem(pkcs8::LineEnding::LF),
        }
        .expect("encoding a valid private key cannot fail");
        Zeroizing::new(doc.to_string())
    }
}

impl Signer for SoftwareKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.inner {
            SoftwareInner::Ed25519(k) => Ok(signature::Signer::<ed25519_dalek::Signature>::sign(
                k, message,
            )
            .to_bytes()
            .to_vec()),
            SoftwareInner::P256(_) => self.sign_prehashed(&HashAlg::Sha256.hash(message)),
        }
    }

    fn sign_prehashed(&self, digest: &Digest) -> Result<Vec<u8>, SignError> {
        match &self.inner {
            SoftwareInner::Ed25519(_) => Err(SignError::PrehashUnsupported {
                alg: Algorithm::Ed25519,
                digest: digest.alg(),
            }),
            SoftwareInner::P256(k) => {
                if digest.alg() != HashAlg::Sha256 {
                    return Err(SignError::WrongDigest {
                        alg: Algorithm::EcdsaP256,
                        expected: HashAlg::Sha256,
                        got: digest.alg(),
                    });
                }
                let sig: p256::ecdsa::Signature =
                    signature::hazmat::PrehashSigner::sign_prehash(k, digest.as_bytes())
                        .map_err(|e| SignError::Backend(Box::new(e)))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs8_round_trip_and_sign() {
        for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
            let k = SoftwareKey::generate(alg).unwrap();
            let k2 = SoftwareKey::from_pkcs8_der(&k.to_pkcs8_der()).unwrap();
            let k3 = SoftwareKey::from_pkcs8_pem(&k.to_pkcs8_pem()).unwrap();
            assert_eq!(k.public_key(), k2.public_key());
            assert_eq!(k.public_key(), k3.public_key());
            let sig = k2.sign(b"hello").unwrap();
            k.public_key().verify(b"hello", &sig).unwrap();
            assert!(k.public_key().verify(b"hellO", &sig).is_err());
        }
    }

    #[test]
    fn debug_never_shows_private_bytes() {
        let k = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let dbg = format!("{k:?}");
        assert!(dbg.contains("redacted"));
        assert!(!dbg.contains(&hex::encode(&k.to_pkcs8_der()[16..])));
    }

    #[test]
    fn ed25519_refuses_prehash_and_p256_checks_digest() {
        let ed = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        assert!(matches!(
            ed.sign_prehashed(&HashAlg::Sha256.hash(b"x")),
            Err(SignError::PrehashUnsupported { .. })
        ));
        let ec = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        assert!(matches!(
            ec.sign_prehashed(&HashAlg::Sha384.hash(b"x")),
            Err(SignError::WrongDigest { .. })
        ));
    }

    #[test]
    fn p384_and_rsa_are_token_only() {
        assert!(SoftwareKey::generate(Algorithm::EcdsaP384).is_err());
        assert!(SoftwareKey::generate(Algorithm::Rsa(3072)).is_err());
    }
}
