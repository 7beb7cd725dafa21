//! `HsmSigner`: a token key behind `strongroom_core::Signer`, producing the encodings Sigstore
//! expects (raw Ed25519, DER ECDSA with low S, raw RSA), plus batch signing in one round trip.

use std::sync::Arc;

use strongroom_core::keys::ecdsa_raw_to_der;
use strongroom_core::{Algorithm, Digest, HashAlg, PublicKey, SignError, Signer};

use crate::error::HsmError;
use crate::keys::TokenKey;
use crate::session::{SignMechanism, TokenSession};

/// DER `DigestInfo` prefix for SHA-256 (RFC 8017 section 9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The RSA signature scheme. PSS is the default; PKCS#1 v1.5 exists because the JS Sigstore
/// verifier accepts nothing else.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RsaScheme {
    #[default]
    Pss,
    Pkcs1v15,
}

/// A private key on a token, usable wherever a [`Signer`] is.
#[derive(Debug, Clone)]
pub struct HsmSigner {
    session: Arc<TokenSession>,
    key: TokenKey,
    rsa_scheme: RsaScheme,
}

fn backend(e: HsmError) -> SignError {
    SignError::Backend(Box::new(e))
}

impl HsmSigner {
    pub fn new(session: Arc<TokenSession>, key: TokenKey) -> Self {
        HsmSigner {
            session,
            key,
            rsa_scheme: RsaScheme::default(),
        }
    }

    /// Chooses PSS (default) or PKCS#1 v1.5 for RSA keys; ignored for other keys.
    pub fn with_rsa_scheme(mut self, scheme: RsaScheme) -> Self {
        self.rsa_scheme = scheme;
        self
    }

    pub fn key(&self) -> &TokenKey {
        &self.key
    }

    pub fn session(&self) -> &Arc<TokenSession> {
        &self.session
    }

    /// Signs N digests with one request to the session thread. Ed25519 keys refuse (they sign
    /// whole messages: see [`HsmSigner::sign_message_batch`]).
    pub fn sign_digest_batch(&self, digests: &[&Digest]) -> Result<Vec<Vec<u8>>, SignError> {
        let alg = self.key.algorithm;
        let Some(expected) = alg.prehash() else {
            return Err(SignError::PrehashUnsupported {
                alg,
                digest: digests.first().map_or(HashAlg::Sha256, |d| d.alg()),
            });
        };
        if let Some(d) = digests.iter().find(|d| d.alg() != expected) {
            return Err(SignError::WrongDigest {
                alg,
                expected,
                got: d.alg(),
            });
        }
        let (mechanism, inputs): (SignMechanism, Vec<Vec<u8>>) = match (alg, self.rsa_scheme) {
            (Algorithm::Rsa(_), RsaScheme::Pss) => (
                SignMechanism::RsaPssSha256,
                digests.iter().map(|d| d.as_bytes().to_vec()).collect(),
            ),
            (Algorithm::Rsa(_), RsaScheme::Pkcs1v15) => (
                SignMechanism::RsaPkcs1,
                digests
                    .iter()
                    .map(|d| [&SHA256_DIGEST_INFO[..], d.as_bytes()].concat())
                    .collect(),
            ),
            _ => (
                SignMechanism::Ecdsa,
                digests.iter().map(|d| d.as_bytes().to_vec()).collect(),
            ),
        };
        let raw = self
            .session
            .sign_raw(&self.key, mechanism, inputs)
            .map_err(backend)?;
        if raw.len() != digests.len() {
            return Err(backend(HsmError::BadSignature {
                detail: format!("{} signatures for {} digests", raw.len(), digests.len()),
            }));
        }
        match alg {
            Algorithm::EcdsaP256 | Algorithm::EcdsaP384 => raw
                .iter()
                .map(|sig| {
                    ecdsa_raw_to_der(alg, sig).map_err(|e| {
                        backend(HsmError::BadSignature {
                            detail: e.to_string(),
                        })
                    })
                })
                .collect(),
            _ => {
                // RSA: a faulty signature from a CRT implementation can leak the key, so check
                // every one before it leaves (about 0.5 ms each in pure Rust).
                for (sig, d) in raw.iter().zip(digests.iter().copied()) {
                    self.key.public_key.verify_prehashed(d, sig).map_err(|e| {
                        backend(HsmError::BadSignature {
                            detail: e.to_string(),
                        })
                    })?;
                }
                Ok(raw)
            }
        }
    }

    /// Signs N whole messages in one request: pure Ed25519 over each message, or the key's
    /// digest of each message for ECDSA and RSA.
    pub fn sign_message_batch(&self, messages: &[&[u8]]) -> Result<Vec<Vec<u8>>, SignError> {
        match self.key.algorithm.prehash() {
            Some(h) => {
                let digests: Vec<Digest> = messages.iter().map(|m| h.hash(m)).collect();
                let refs: Vec<&Digest> = digests.iter().collect();
                self.sign_digest_batch(&refs)
            }
            None => {
                let inputs = messages.iter().map(|m| m.to_vec()).collect();
                let sigs = self
                    .session
                    .sign_raw(&self.key, SignMechanism::Eddsa, inputs)
                    .map_err(backend)?;
                if let Some(bad) = sigs.iter().find(|s| s.len() != 64) {
                    return Err(backend(HsmError::BadSignature {
                        detail: format!("an Ed25519 signature of {} bytes", bad.len()),
                    }));
                }
                Ok(sigs)
            }
        }
    }
}

impl Signer for HsmSigner {
    fn public_key(&self) -> &PublicKey {
        &self.key.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut sigs = self.sign_message_batch(&[message])?;
        Ok(sigs.remove(0))
    }

    fn sign_prehashed(&self, digest: &Digest) -> Result<Vec<u8>, SignError> {
        let mut sigs = self.sign_digest_batch(&[digest])?;
        Ok(sigs.remove(0))
    }

    fn sign_batch(&self, messages: &[&[u8]]) -> Result<Vec<Vec<u8>>, SignError> {
        self.sign_message_batch(messages)
    }

    fn sign_prehashed_batch(&self, digests: &[&Digest]) -> Result<Vec<Vec<u8>>, SignError> {
        self.sign_digest_batch(digests)
    }
}
