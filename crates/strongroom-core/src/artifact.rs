//! Signing one artifact into a Sigstore bundle, in the form each key type needs: a
//! `messageSignature` for ECDSA and RSA keys, a DSSE in-toto statement for Ed25519 keys (the JS
//! Sigstore verifier cannot check pure Ed25519 over a message digest; see `docs/formats.md`).

use crate::bundle::BundleJson;
use crate::digest::{DigestSet, HashAlg};
use crate::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use crate::intoto::{Statement, Subject, ARTIFACT_SIGNATURE_PREDICATE};
use crate::signer::{SignError, Signer};

/// Which bundle content a key produces for a plain artifact signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    let key = signer.public_key();
    match key.algorithm().prehash() {
        Some(alg) => {
            let digest = digests
                .get(alg)
                .expect("callers hash with digests_needed() first");
            let sig = signer.sign_prehashed(digest)?;
            Ok(BundleJson::message_signature(key, digest, &sig))
        }
        None => {
            let st = Statement::new(
                vec![Subject::new(name, &[digests.sha256()])],
                ARTIFACT_SIGNATURE_PREDICATE,
                serde_json::json!({}),
            );
            let env = Envelope::sign(signer, INTOTO_PAYLOAD_TYPE, st.to_json_bytes())?;
            Ok(BundleJson::dsse(key, &env))
        }
    }
}
