//! Public keys: SPKI DER/PEM codecs, the Sigstore key id, and signature verification for every
//! algorithm Strongroom handles (Ed25519, ECDSA P-256/P-384, RSA).

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use signature::hazmat::PrehashVerifier;
use signature::Verifier as _;

use crate::digest::{Digest, HashAlg};

const OID_ED25519: &str = "1.3.101.112";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_RSA: &str = "1.2.840.113549.1.1.1";

/// A signature algorithm Strongroom can verify, and (depending on the backend) generate keys for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Ed25519,
    EcdsaP256,
    EcdsaP384,
    /// RSA with the modulus size in bits; signatures use SHA-256.
    Rsa(u32),
}

impl Algorithm {
    /// The digest an ECDSA or RSA signature is computed over; `None` for pure Ed25519.
    pub fn prehash(self) -> Option<HashAlg> {
        match self {
            Algorithm::Ed25519 => None,
            Algorithm::EcdsaP256 | Algorithm::Rsa(_) => Some(HashAlg::Sha256),
            Algorithm::EcdsaP384 => Some(HashAlg::Sha384),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Algorithm::Ed25519 => f.write_str("ed25519"),
            Algorithm::EcdsaP256 => f.write_str("ecdsa-p256"),
            Algorithm::EcdsaP384 => f.write_str("ecdsa-p384"),
            Algorithm::Rsa(bits) => write!(f, "rsa-{bits}"),
        }
    }
}

/// As its name: `ed25519`, `ecdsa-p256`, `ecdsa-p384`, `rsa-BITS` (fields of this type tell
/// TypeScript so with `#[ts(type = …)]`).
impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Algorithm {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ed25519" => Ok(Algorithm::Ed25519),
            "ecdsa-p256" | "p256" | "p-256" => Ok(Algorithm::EcdsaP256),
            "ecdsa-p384" | "p384" | "p-384" => Ok(Algorithm::EcdsaP384),
            _ => match s.strip_prefix("rsa-").and_then(|b| b.parse::<u32>().ok()) {
                Some(bits) if bits >= 2048 => Ok(Algorithm::Rsa(bits)),
                _ => Err(KeyError::UnknownAlgorithm(s.to_owned())),
            },
        }
    }
}

/// Errors from decoding or using public keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error(
        "unknown algorithm {0:?} (expected ed25519, ecdsa-p256, ecdsa-p384, rsa-3072 or rsa-4096)"
    )]
    UnknownAlgorithm(String),
    #[error("not a PEM public key: {0}")]
    Pem(String),
    #[error("PEM block is {0:?}, expected \"PUBLIC KEY\" (SubjectPublicKeyInfo)")]
    WrongPemLabel(String),
    #[error("malformed SubjectPublicKeyInfo: {0}")]
    Spki(String),
    #[error("unsupported public key type (algorithm OID {0})")]
    UnsupportedKeyType(String),
    #[error("malformed private key: {0}")]
    PrivateKey(String),
    #[error("{0} keys cannot be held as software keys; use a token")]
    NoSoftwareSupport(Algorithm),
}

/// Why a signature did not verify.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("the signature is malformed: {0}")]
    Malformed(String),
    #[error("the signature does not match the data and key")]
    Mismatch,
    #[error("{0} signatures cannot be checked against a precomputed digest")]
    NeedsMessage(Algorithm),
}

/// The Sigstore key id ("hint"): standard base64 of SHA-256 over the DER SPKI.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    pub fn of_spki_der(der: &[u8]) -> Self {
        KeyId(
            base64::engine::general_purpose::STANDARD.encode(HashAlg::Sha256.hash(der).as_bytes()),
        )
    }

    /// Wraps a key id read from storage or a document, checking its shape.
    pub fn parse(s: &str) -> Option<Self> {
        let raw = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
        (raw.len() == 32).then(|| KeyId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same SHA-256 as 64 lowercase hex digits: how bundles and key files name a key.
    pub fn to_hex(&self) -> String {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&self.0)
            .expect("a key id is base64 of 32 bytes");
        hex::encode(raw)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A public key's raw parts, as a PKCS#11 public key object holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawPublicParts {
    Point(Vec<u8>),
    Rsa { modulus: Vec<u8>, exponent: Vec<u8> },
}

/// A public key of any supported algorithm.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} {})", self.algorithm(), self.key_id())
    }
}

impl PublicKey {
    /// Decodes a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki = spki::SubjectPublicKeyInfoRef::try_from(der)
            .map_err(|e| KeyError::Spki(e.to_string()))?;
        let oid = spki.algorithm.oid.to_string();
        let err = |e: spki::Error| KeyError::Spki(e.to_string());
        match oid.as_str() {
            OID_ED25519 => Ok(PublicKey::Ed25519(
                ed25519_dalek::VerifyingKey::from_public_key_der(der).map_err(err)?,
            )),
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters_oid()
                    .map_err(|e| KeyError::Spki(e.to_string()))?
                    .to_string();
                match curve.as_str() {
                    OID_P256 => Ok(PublicKey::P256(
                        p256::ecdsa::VerifyingKey::from_public_key_der(der).map_err(err)?,
                    )),
                    OID_P384 => Ok(PublicKey::P384(
                        p384::ecdsa::VerifyingKey::from_public_key_der(der).map_err(err)?,
                    )),
                    other => Err(KeyError::UnsupportedKeyType(format!("{oid} curve {other}"))),
                }
            }
            OID_RSA => Ok(PublicKey::Rsa(
                rsa::RsaPublicKey::from_public_key_der(der).map_err(err)?,
            )),
            other => Err(KeyError::UnsupportedKeyType(other.to_owned())),
        }
    }

    /// Decodes a PEM `-----BEGIN PUBLIC KEY-----` block (the form cosign and OpenSSL write).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, doc) =
            spki::Document::from_pem(pem.trim()).map_err(|e| KeyError::Pem(e.to_string()))?;
        if label != "PUBLIC KEY" {
            return Err(KeyError::WrongPemLabel(label.to_owned()));
        }
        Self::from_spki_der(doc.as_bytes())
    }

    /// Builds an RSA key from its modulus and public exponent (big-endian), as PKCS#11 reports it.
    pub fn rsa_from_components(modulus: &[u8], exponent: &[u8]) -> Result<Self, KeyError> {
        rsa::RsaPublicKey::new(
            rsa::BigUint::from_bytes_be(modulus),
            rsa::BigUint::from_bytes_be(exponent),
        )
        .map(PublicKey::Rsa)
        .map_err(|e| KeyError::Spki(e.to_string()))
    }

    /// Builds an EC or Edwards key from its raw point, as PKCS#11 `CKA_EC_POINT` holds it once the
    /// outer OCTET STRING is stripped.
    pub fn from_raw_point(alg: Algorithm, point: &[u8]) -> Result<Self, KeyError> {
        let bad = |e: String| KeyError::Spki(format!("{alg} point: {e}"));
        match alg {
            Algorithm::Ed25519 => {
                let bytes: [u8; 32] = point
                    .try_into()
                    .map_err(|_| bad(format!("{} bytes, expected 32", point.len())))?;
                ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map(PublicKey::Ed25519)
                    .map_err(|e| bad(e.to_string()))
            }
            Algorithm::EcdsaP256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PublicKey::P256)
                .map_err(|e| bad(e.to_string())),
            Algorithm::EcdsaP384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PublicKey::P384)
                .map_err(|e| bad(e.to_string())),
            Algorithm::Rsa(_) => Err(bad("RSA keys have no point".into())),
        }
    }

    /// The raw public parts a PKCS#11 public key object holds: the curve point (SEC1
    /// uncompressed for ECDSA, the 32 bytes for Ed25519), or the RSA modulus and exponent.
    pub fn raw_parts(&self) -> RawPublicParts {
        use rsa::traits::PublicKeyParts;
        match self {
            PublicKey::Ed25519(k) => RawPublicParts::Point(k.to_bytes().to_vec()),
            PublicKey::P256(k) => {
                RawPublicParts::Point(k.to_encoded_point(false).as_bytes().to_vec())
            }
            PublicKey::P384(k) => {
                RawPublicParts::Point(k.to_encoded_point(false).as_bytes().to_vec())
            }
            PublicKey::Rsa(k) => RawPublicParts::Rsa {
                modulus: k.n().to_bytes_be(),
                exponent: k.e().to_bytes_be(),
            },
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ed25519(_) => Algorithm::Ed25519,
            PublicKey::P256(_) => Algorithm::EcdsaP256,
            PublicKey::P384(_) => Algorithm::EcdsaP384,
            PublicKey::Rsa(k) => Algorithm::Rsa(rsa::traits::PublicKeyParts::size(k) as u32 * 8),
        }
    }

    /// DER `SubjectPublicKeyInfo`.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let doc = match self {
            PublicKey::Ed25519(k) => k.to_public_key_der(),
            PublicKey::P256(k) => k.to_public_key_der(),
            PublicKey::P384(k) => k.to_public_key_der(),
            PublicKey::Rsa(k) => k.to_public_key_der(),
        };
        doc.expect("encoding a valid public key cannot fail")
            .into_vec()
    }

    /// PEM `SubjectPublicKeyInfo`, LF line endings, trailing newline.
    pub fn to_pem(&self) -> String {
        let pem = match self {
            PublicKey::Ed25519(k) => k.to_public_key_pem(LineEnding::LF),
            PublicKey::P256(k) => k.to_public_key_pem(LineEnding::LF),
            PublicKey::P384(k) => k.to_public_key_pem(LineEnding::LF),
            PublicKey::Rsa(k) => k.to_public_key_pem(LineEnding::LF),
        };
        pem.expect("encoding a valid public key cannot fail")
    }

    /// The Sigstore key hint of this key.
    pub fn key_id(&self) -> KeyId {
        KeyId::of_spki_der(&self.to_spki_der())
    }

    /// Verifies `sig` over a whole in-memory `message`: pure Ed25519, or the algorithm's hash
    /// followed by ECDSA (DER signature) or RSA (PSS, then PKCS#1 v1.5).
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
        match self {
            PublicKey::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(sig)
                    .map_err(|_| ed25519_len_error(sig))?;
                k.verify_strict(message, &sig)
                    .map_err(|_| VerifyError::Mismatch)
            }
            PublicKey::P256(k) => k
                .verify(message, &der_p256(sig)?)
                .map_err(|_| VerifyError::Mismatch),
            PublicKey::P384(k) => k
                .verify(message, &der_p384(sig)?)
                .map_err(|_| VerifyError::Mismatch),
            PublicKey::Rsa(_) => self.verify_prehashed(&HashAlg::Sha256.hash(message), sig),
        }
    }

    /// [`PublicKey::verify`] for a DSSE envelope's signature, which may also be an ECDSA
    /// signature in the fixed-width IEEE P1363 form (`r || s`): the DSSE specification is
    /// silent on the encoding and its own test vector uses that form. Sigstore bundles'
    /// message signatures and detached signatures stay DER only, as their specifications say;
    /// what Strongroom writes is always DER.
    pub fn verify_dsse(&self, message: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
        let fixed = |len| sig.len() == len && self.verify(message, sig).is_err();
        match self {
            PublicKey::P256(k) if fixed(64) => {
                let sig = p256::ecdsa::Signature::from_slice(sig)
                    .map_err(|_| VerifyError::Malformed("r or s is out of range".into()))?;
                k.verify(message, &sig).map_err(|_| VerifyError::Mismatch)
            }
            PublicKey::P384(k) if fixed(96) => {
                let sig = p384::ecdsa::Signature::from_slice(sig)
                    .map_err(|_| VerifyError::Malformed("r or s is out of range".into()))?;
                k.verify(message, &sig).map_err(|_| VerifyError::Mismatch)
            }
            _ => self.verify(message, sig),
        }
    }

    /// Verifies `sig` over a message known only by its digest (ECDSA and RSA).
    pub fn verify_prehashed(&self, digest: &Digest, sig: &[u8]) -> Result<(), VerifyError> {
        match self {
            PublicKey::Ed25519(_) => Err(VerifyError::NeedsMessage(Algorithm::Ed25519)),
            PublicKey::P256(k) => k
                .verify_prehash(digest.as_bytes(), &der_p256(sig)?)
                .map_err(|_| VerifyError::Mismatch),
            PublicKey::P384(k) => k
                .verify_prehash(digest.as_bytes(), &der_p384(sig)?)
                .map_err(|_| VerifyError::Mismatch),
            PublicKey::Rsa(k) => {
                let (pss, pkcs1) = match digest.alg() {
                    HashAlg::Sha256 => (
                        rsa::Pss::new::<sha2::Sha256>(),
                        rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    ),
                    HashAlg::Sha384 => (
                        rsa::Pss::new::<sha2::Sha384>(),
                        rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    ),
                    HashAlg::Sha512 => (
                        rsa::Pss::new::<sha2::Sha512>(),
                        rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                    ),
                };
                if k.verify(pss, digest.as_bytes(), sig).is_ok()
                    || k.verify(pkcs1, digest.as_bytes(), sig).is_ok()
                {
                    Ok(())
                } else {
                    Err(VerifyError::Mismatch)
                }
            }
        }
    }

    /// Starts a constant-memory pure-Ed25519 verification of a streamed message.
    pub fn ed25519_stream(&self, sig: &[u8]) -> Result<Ed25519Stream, VerifyError> {
        match self {
            PublicKey::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(sig)
                    .map_err(|_| ed25519_len_error(sig))?;
                let inner = k
                    .verify_stream(&sig)
                    .map_err(|e| VerifyError::Malformed(e.to_string()))?;
                Ok(Ed25519Stream(inner))
            }
            other => Err(VerifyError::Malformed(format!(
                "stream verification is for Ed25519 keys, not {}",
                other.algorithm()
            ))),
        }
    }
}

/// Incremental verification of a pure Ed25519 signature over a message read in chunks.
pub struct Ed25519Stream(ed25519_dalek::StreamVerifier);

impl Ed25519Stream {
    pub fn update(&mut self, chunk: &[u8]) {
        self.0.update(chunk);
    }

    pub fn finish(self) -> Result<(), VerifyError> {
        self.0
            .finalize_and_verify()
            .map_err(|_| VerifyError::Mismatch)
    }
}

fn ed25519_len_error(sig: &[u8]) -> VerifyError {
    VerifyError::Malformed(format!(
        "an Ed25519 signature is 64 bytes, this one is {}",
        sig.len()
    ))
}

fn der_error(sig: &[u8], raw_len: usize) -> VerifyError {
    if sig.len() == raw_len {
        VerifyError::Malformed(format!(
            "ECDSA signatures must be ASN.1 DER; this looks like {raw_len} bytes of raw r||s"
        ))
    } else {
        VerifyError::Malformed("ECDSA signature is not valid ASN.1 DER".into())
    }
}

/// A well-formed signature of the other curve is a wrong key, not a malformed signature.
fn der_p256(sig: &[u8]) -> Result<p256::ecdsa::Signature, VerifyError> {
    p256::ecdsa::Signature::from_der(sig).map_err(|_| {
        if p384::ecdsa::Signature::from_der(sig).is_ok() {
            VerifyError::Mismatch
        } else {
            der_error(sig, 64)
        }
    })
}

fn der_p384(sig: &[u8]) -> Result<p384::ecdsa::Signature, VerifyError> {
    p384::ecdsa::Signature::from_der(sig).map_err(|_| {
        if p256::ecdsa::Signature::from_der(sig).is_ok() {
            VerifyError::Mismatch
        } else {
            der_error(sig, 96)
        }
    })
}

/// Converts a raw fixed-width `r || s` ECDSA signature (as PKCS#11 `CKM_ECDSA` returns it) into
/// ASN.1 DER, normalising S to the low half of the group order.
pub fn ecdsa_raw_to_der(alg: Algorithm, raw: &[u8]) -> Result<Vec<u8>, VerifyError> {
    let bad = || VerifyError::Malformed(format!("raw {alg} signature of {} bytes", raw.len()));
    match alg {
        Algorithm::EcdsaP256 => {
            let sig = p256::ecdsa::Signature::from_slice(raw).map_err(|_| bad())?;
            let sig = sig.normalize_s().unwrap_or(sig);
            Ok(sig.to_der().as_bytes().to_vec())
        }
        Algorithm::EcdsaP384 => {
            let sig = p384::ecdsa::Signature::from_slice(raw).map_err(|_| bad())?;
            let sig = sig.normalize_s().unwrap_or(sig);
            Ok(sig.to_der().as_bytes().to_vec())
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_round_trip() {
        for a in [
            Algorithm::Ed25519,
            Algorithm::EcdsaP256,
            Algorithm::EcdsaP384,
            Algorithm::Rsa(3072),
            Algorithm::Rsa(4096),
        ] {
            assert_eq!(a.to_string().parse::<Algorithm>().unwrap(), a);
        }
        assert!("rsa-1024".parse::<Algorithm>().is_err());
        assert!("dsa".parse::<Algorithm>().is_err());
    }

    #[test]
    fn key_id_is_base64_sha256_of_spki() {
        // RFC 8410 section 10.1 example Ed25519 public key.
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let key = PublicKey::from_pem(pem).unwrap();
        assert_eq!(key.algorithm(), Algorithm::Ed25519);
        assert_eq!(key.to_pem(), pem);
        let der = key.to_spki_der();
        let expect =
            base64::engine::general_purpose::STANDARD.encode(HashAlg::Sha256.hash(&der).as_bytes());
        assert_eq!(key.key_id().as_str(), expect);
        assert!(KeyId::parse(key.key_id().as_str()).is_some());
    }

    #[test]
    fn rejects_private_key_pem() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            PublicKey::from_pem(pem),
            Err(KeyError::WrongPemLabel(_))
        ));
    }

    #[test]
    fn raw_ecdsa_is_rejected_with_a_hint() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let pk = PublicKey::P256(*sk.verifying_key());
        let sig: p256::ecdsa::Signature = signature::Signer::sign(&sk, b"m");
        let err = pk.verify(b"m", &sig.to_bytes()).unwrap_err();
        assert!(err.to_string().contains("raw r||s"), "{err}");
        let der = ecdsa_raw_to_der(Algorithm::EcdsaP256, &sig.to_bytes()).unwrap();
        pk.verify(b"m", &der).unwrap();
    }

    #[test]
    fn key_id_hex_is_the_sha256_of_the_spki() {
        let k = crate::SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let pk = crate::Signer::public_key(&k);
        assert_eq!(
            pk.key_id().to_hex(),
            HashAlg::Sha256.hash(&pk.to_spki_der()).to_hex()
        );
    }

    #[test]
    fn a_signature_of_the_other_curve_is_a_wrong_key_not_malformed_der() {
        // A DER signature with 48-byte r and s (P-384's size), checked with a P-256 key.
        let mut der = vec![0x30, 0x64, 0x02, 0x30];
        der.extend([0x7f; 48]);
        der.extend([0x02, 0x30]);
        der.extend([0x7f; 48]);
        assert!(p384::ecdsa::Signature::from_der(&der).is_ok());
        assert!(matches!(der_p256(&der), Err(VerifyError::Mismatch)));
        assert!(matches!(der_p256(b"junk"), Err(VerifyError::Malformed(_))));
    }
}
