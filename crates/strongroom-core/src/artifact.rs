//! Signing one artifact into a Sigstore bundle, in the form each key type needs: a
//! `messageSignature` for ECDSA and RSA keys, a DSSE in-toto statement for Ed25519 keys (the JS
//! Sigstore verifier cannot check pure Ed25519 over a message digest; see `docs/formats.md`).

use crate::bundle::BundleJson;
use crate::digest::{DigestSet, HashAlg};
use crate::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use crate::intoto::{Statement, Subject, ARTIFACT_SIGNATURE_PREDICATE};
use crate::signer::{SignError, Signer};

/// Which bundle content a key produces for a plain artifact signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ArtifactForm {
    MessageSignature,
    Dsse,
}

impl ArtifactForm {
    pub fn for_signer(signer: &dyn Signer) -> Self {
        match signer.public_key().algorithm().prehash() {
            Some(_) => ArtifactForm::MessageSignature,
            None => ArtifactForm::Dsse,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactForm::MessageSignature => "messageSignature",
            ArtifactForm::Dsse => "dsse",
        }
    }
}

impl std::fmt::Display for ArtifactForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The digests an artifact must be hashed with before [`sign_artifact`] (SHA-256 is implied).
pub fn digests_needed(signer: &dyn Signer) -> Vec<HashAlg> {
    signer
        .public_key()
        .algorithm()
        .prehash()
        .into_iter()
        .collect()
}

/// Signs the artifact `name` whose digests are `digests`.
pub fn sign_artifact(
    signer: &dyn Signer,
    name: &str,
    digests: &DigestSet,
) -> Result<BundleJson, SignError> {
    let mut one = sign_artifacts(signer, &[(name, digests)])?;
    Ok(one.pop().expect("one bundle per artifact"))
}

/// Signs many artifacts `(name, digests)` with one batch call to the signer, so a token signs
/// them all in one round trip of its session.
pub fn sign_artifacts(
    signer: &dyn Signer,
    artifacts: &[(&str, &DigestSet)],
) -> Result<Vec<BundleJson>, SignError> {
    let key = signer.public_key();
    match key.algorithm().prehash() {
        Some(alg) => {
            let digests: Vec<&crate::Digest> = artifacts
                .iter()
                .map(|(_, set)| {
                    set.get(alg)
                        .expect("callers hash with digests_needed() first")
                })
                .collect();
            let sigs = signer.sign_prehashed_batch(&digests)?;
            Ok(digests
                .iter()
                .zip(sigs)
                .map(|(d, sig)| BundleJson::message_signature(key, d, &sig))
                .collect())
        }
        None => {
            let payloads: Vec<Vec<u8>> = artifacts
                .iter()
                .map(|(name, set)| {
                    Statement::new(
                        vec![Subject::new(*name, &[set.sha256()])],
                        ARTIFACT_SIGNATURE_PREDICATE,
                        serde_json::json!({}),
                    )
                    .to_json_bytes()
                })
                .collect();
            let paes: Vec<Vec<u8>> = payloads
                .iter()
                .map(|p| crate::dsse::pae(INTOTO_PAYLOAD_TYPE, p))
                .collect();
            let pae_refs: Vec<&[u8]> = paes.iter().map(Vec::as_slice).collect();
            let sigs = signer.sign_batch(&pae_refs)?;
            Ok(payloads
                .into_iter()
                .zip(sigs)
                .map(|(payload, sig)| {
                    let env = Envelope::signed_by(key, INTOTO_PAYLOAD_TYPE, payload, sig);
                    BundleJson::dsse(key, &env)
                })
                .collect())
        }
    }
}
