//! Trust packages: a station's trust (keys, revocations, policy) as one signed file that another
//! station can import. The file is a Sigstore bundle v0.3 holding a DSSE envelope whose payload
//! type is [`TRUST_MEDIA_TYPE`] and whose payload is canonical JSON (keys sorted, no spaces):
//!
//! ```json
//! {"issuedAt":"…","issuer":"…","keys":[{"addedAt":"…","addedBy":"…","keyid":"…","name":"…",
//!  "notAfter":null,"notBefore":null,"publicKey":"-----BEGIN PUBLIC KEY-----…","roles":["signer"],
//!  "stages":[]}],"mediaType":"application/vnd.strongroom.trust.v1+json",
//!  "policy":{"data":{},"modules":[{"name":"…","rego":"…"}]},
//!  "revocations":[{"keyid":"…","reason":"…","revokedAt":"…"}]}
//! ```
//!
//! Parse, don't validate: [`TrustPackage::open`] checks only the envelope's shape; the payload is
//! read only after its signature verified, with a key the caller trusts as a custodian
//! ([`TrustPackage::verify_with`]) or a key the caller names ([`TrustPackage::verify_with_key`]).

use serde::{Deserialize, Serialize};
use strongroom_core::bundle::{BundleError, BundleJson, CheckedDocument, Content, DocumentKind};
use strongroom_core::dsse::Envelope;
use strongroom_core::{KeyId, PublicKey, SignError, Signer};

use crate::trust::{KeyRole, NewTrustedKey, PolicyBundle, PolicyModule, Revocation, TrustError};
use crate::{PolicyError, Stage, Timestamp, TrustSet, TrustedKey};

/// The DSSE payload type, and the payload's `mediaType`, of a trust package.
pub const TRUST_MEDIA_TYPE: &str = "application/vnd.strongroom.trust.v1+json";

/// Why a trust package was refused. Every refusal names the signing key where one is known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    #[error("not a trust package: {0}")]
    NotABundle(#[source] BundleError),
    #[error("not a trust package: a trust package is a Sigstore bundle holding a DSSE envelope, this is a {0}")]
    WrongDocument(String),
    #[error("not a trust package: the DSSE payload type is {0:?}, not {TRUST_MEDIA_TYPE:?}")]
    WrongPayloadType(String),
    #[error("the trust package names no signing key (no DSSE keyid, no bundle key hint)")]
    NoSigningKey,
    #[error("the trust package's signing key id {0:?} is malformed")]
    BadKeyId(String),
    #[error("the trust package's DSSE keyid {keyid} differs from its bundle key hint {hint}")]
    KeyIdMismatch { keyid: String, hint: String },
    #[error("the trust package is signed by key {key_id}, which this station does not trust")]
    UntrustedSigner { key_id: KeyId },
    #[error("the trust package is signed by key {name:?} ({key_id}), which is trusted but not as a custodian (its roles: {roles})")]
    NotCustodian {
        key_id: KeyId,
        name: String,
        roles: String,
    },
    #[error("the trust package is signed by key {name:?} ({key_id}), which was revoked at {revoked_at} ({reason})")]
    SignerRevoked {
        key_id: KeyId,
        name: String,
        revoked_at: Timestamp,
        reason: String,
    },
    #[error("the trust package is signed by key {name:?} ({key_id}), which is not valid until {not_before}")]
    SignerNotYetValid {
        key_id: KeyId,
        name: String,
        not_before: Timestamp,
    },
    #[error(
        "the trust package is signed by key {name:?} ({key_id}), which expired at {not_after}"
    )]
    SignerExpired {
        key_id: KeyId,
        name: String,
        not_after: Timestamp,
    },
    #[error("the trust package is signed by key {found}, not by the given key {expected}")]
    WrongKey { expected: KeyId, found: KeyId },
    #[error("the trust package's signature by key {key_id} does not verify: it was altered or signed by another key")]
    BadSignature { key_id: KeyId },
    #[error("the trust package's payload (signed by {key_id}) is malformed: {reason}")]
    Payload { key_id: KeyId, reason: String },
    #[error("the trust package (signed by {key_id}) holds an unacceptable entry: {source}")]
    Entry {
        key_id: KeyId,
        #[source]
        source: TrustError,
    },
    #[error("the trust package (signed by {key_id}) holds a policy module that cannot be used: {source}")]
    Policy {
        key_id: KeyId,
        #[source]
        source: PolicyError,
    },
    #[error("signing the trust package failed: {0}")]
    Sign(#[from] SignError),
}

impl PackageError {
    /// The package was readable but not acceptable as trust (as opposed to malformed).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            PackageError::UntrustedSigner { .. }
                | PackageError::NotCustodian { .. }
                | PackageError::SignerRevoked { .. }
                | PackageError::SignerNotYetValid { .. }
                | PackageError::SignerExpired { .. }
                | PackageError::WrongKey { .. }
                | PackageError::BadSignature { .. }
        )
    }
}

// The payload, as JSON. Field names are part of the format (docs/trust.md).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayloadJson {
    media_type: String,
    issued_at: Timestamp,
    issuer: String,
    keys: Vec<KeyJson>,
    revocations: Vec<RevocationJson>,
    policy: PolicyJson,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyJson {
    keyid: String,
    name: String,
    public_key: String,
    roles: Vec<KeyRole>,
    stages: Vec<Stage>,
    not_before: Option<Timestamp>,
    not_after: Option<Timestamp>,
    added_at: Timestamp,
    added_by: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RevocationJson {
    keyid: String,
    revoked_at: Timestamp,
    reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyJson {
    modules: Vec<PolicyModule>,
    data: serde_json::Value,
}

/// Compact JSON with object keys sorted at every level, independent of serde_json's map order.
pub fn canonical_json(v: &serde_json::Value) -> String {
    fn write(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).expect("strings serialise"));
                    out.push(':');
                    write(&map[k], out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&serde_json::to_string(scalar).expect("scalars serialise")),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// What a verified package carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPackage {
    pub trust: TrustSet,
    pub issuer: String,
    pub issued_at: Timestamp,
    /// The key that signed it.
    pub signer: KeyId,
}

/// A trust package read from a file, its signature not yet checked.
#[derive(Clone, Debug)]
pub struct TrustPackage {
    envelope: Envelope,
    signer: KeyId,
}

impl TrustPackage {
    /// Signs `trust` as a trust package: the Sigstore bundle JSON (pretty, final newline) to write
    /// to a file. The same inputs and key give the same bytes for deterministic signers.
    pub fn issue(
        trust: &TrustSet,
        issuer: &str,
        issued_at: Timestamp,
        signer: &dyn Signer,
    ) -> Result<String, PackageError> {
        let payload = PayloadJson {
            media_type: TRUST_MEDIA_TYPE.to_owned(),
            issued_at,
            issuer: issuer.to_owned(),
            keys: trust
                .keys()
                .iter()
                .map(|k| KeyJson {
                    keyid: k.key_id().to_string(),
                    name: k.name().to_owned(),
                    public_key: k.pem().to_owned(),
                    roles: k.roles().to_vec(),
                    stages: k.stages().to_vec(),
                    not_before: k.not_before(),
                    not_after: k.not_after(),
                    added_at: k.added_at(),
                    added_by: k.added_by().to_owned(),
                })
                .collect(),
            revocations: trust
                .revocations()
                .iter()
                .map(|r| RevocationJson {
                    keyid: r.key_id.to_string(),
                    revoked_at: r.revoked_at,
                    reason: r.reason.clone(),
                })
                .collect(),
            policy: PolicyJson {
                modules: trust.policy().modules.clone(),
                data: trust.policy().data.clone(),
            },
        };
        let value = serde_json::to_value(&payload).expect("the payload always serialises");
        let bytes = canonical_json(&value).into_bytes();
        let envelope = Envelope::sign(signer, TRUST_MEDIA_TYPE, bytes)?;
        Ok(BundleJson::dsse(signer.public_key(), &envelope).to_pretty_json())
    }

    /// Reads the bundle and envelope; nothing in the payload is trusted or even parsed yet.
    pub fn open(bytes: &[u8]) -> Result<Self, PackageError> {
        let doc = CheckedDocument::parse(bytes).map_err(PackageError::NotABundle)?;
        let envelope = match (&doc.kind, doc.content.clone()) {
            (DocumentKind::SigstoreBundle { .. }, Content::Dsse(env)) => env,
            _ => return Err(PackageError::WrongDocument(doc.describe())),
        };
        if envelope.payload_type != TRUST_MEDIA_TYPE {
            return Err(PackageError::WrongPayloadType(envelope.payload_type));
        }
        let keyid = envelope.signatures.first().and_then(|s| s.keyid.clone());
        let named = match (keyid, doc.key_hint) {
            (Some(k), Some(h)) if k != h => {
                return Err(PackageError::KeyIdMismatch { keyid: k, hint: h })
            }
            (Some(k), _) => k,
            (None, Some(h)) => h,
            (None, None) => return Err(PackageError::NoSigningKey),
        };
        let signer = KeyId::parse(&named).ok_or(PackageError::BadKeyId(named))?;
        Ok(TrustPackage { envelope, signer })
    }

    /// The key id the package claims to be signed by (not yet verified).
    pub fn signer_key_id(&self) -> &KeyId {
        &self.signer
    }

    /// Verifies the package against the station's current trust: it must be signed by a key of
    /// `current` that holds the custodian role and, at `now`, is inside its validity window and
    /// not revoked. Then reads the payload.
    pub fn verify_with(
        &self,
        current: &TrustSet,
        now: Timestamp,
    ) -> Result<VerifiedPackage, PackageError> {
        let key_id = self.signer.clone();
        let key = current
            .key(&key_id)
            .ok_or_else(|| PackageError::UntrustedSigner {
                key_id: key_id.clone(),
            })?;
        let status = current.status(&key_id, now, None, Some(KeyRole::Custodian));
        let name = key.name().to_owned();
        if !status.has_role {
            let roles: Vec<&str> = key.roles().iter().map(|r| r.as_str()).collect();
            return Err(PackageError::NotCustodian {
                key_id,
                name,
                roles: roles.join(", "),
            });
        }
        if let Some(r) = status.revoked.as_ref().filter(|r| r.before) {
            return Err(PackageError::SignerRevoked {
                key_id,
                name,
                revoked_at: r.revoked_at,
                reason: r.reason.clone(),
            });
        }
        if let (true, Some(not_before)) = (status.not_yet_valid, key.not_before()) {
            return Err(PackageError::SignerNotYetValid {
                key_id,
                name,
                not_before,
            });
        }
        if let (true, Some(not_after)) = (status.expired, key.not_after()) {
            return Err(PackageError::SignerExpired {
                key_id,
                name,
                not_after,
            });
        }
        self.verify_signature(key.public_key())
    }

    /// Verifies the package with a key the caller names (for example `verify --trust FILE`
    /// together with the issuer's public key), then reads the payload.
    pub fn verify_with_key(&self, key: &PublicKey) -> Result<VerifiedPackage, PackageError> {
        if key.key_id() != self.signer {
            return Err(PackageError::WrongKey {
                expected: key.key_id(),
                found: self.signer.clone(),
            });
        }
        self.verify_signature(key)
    }

    /// Verifies a package against the trust it carries itself: it must be signed by a custodian
    /// key that it lists, active at `now`. This proves the package is intact and internally
    /// consistent, not that its issuer deserves trust: use it only for a package the user named
    /// explicitly (as one names a key to `cosign verify --key`), never for an import.
    pub fn verify_self_signed(&self, now: Timestamp) -> Result<VerifiedPackage, PackageError> {
        // Reading the payload before its signature is checked only finds the key to check it
        // with; nothing read here is trusted until `verify_with` has verified the signature.
        let claimed = parse_payload(&self.envelope.payload, self.signer.clone())?;
        self.verify_with(&claimed.trust, now)
    }

    fn verify_signature(&self, key: &PublicKey) -> Result<VerifiedPackage, PackageError> {
        let key_id = key.key_id();
        self.envelope
            .verify_signature(0, key)
            .map_err(|_| PackageError::BadSignature {
                key_id: key_id.clone(),
            })?;
        parse_payload(&self.envelope.payload, key_id)
    }
}

fn parse_payload(bytes: &[u8], key_id: KeyId) -> Result<VerifiedPackage, PackageError> {
    let bad = |reason: String| PackageError::Payload {
        key_id: key_id.clone(),
        reason,
    };
    let p: PayloadJson = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    if p.media_type != TRUST_MEDIA_TYPE {
        return Err(bad(format!(
            "mediaType is {:?}, not {TRUST_MEDIA_TYPE:?}",
            p.media_type
        )));
    }
    let entry = |source: TrustError| PackageError::Entry {
        key_id: key_id.clone(),
        source,
    };
    let mut keys = Vec::with_capacity(p.keys.len());
    for k in p.keys {
        let name = k.name.clone();
        let stated = k.keyid.clone();
        let key = TrustedKey::new(NewTrustedKey {
            name: k.name,
            pem: k.public_key,
            stages: k.stages,
            roles: k.roles,
            not_before: k.not_before,
            not_after: k.not_after,
            added_at: k.added_at,
            added_by: k.added_by,
        })
        .map_err(entry)?;
        if key.key_id().as_str() != stated {
            return Err(entry(TrustError::KeyIdMismatch {
                name,
                stated,
                actual: key.key_id().to_string(),
            }));
        }
        keys.push(key);
    }
    let mut revocations = Vec::with_capacity(p.revocations.len());
    for r in p.revocations {
        let id = KeyId::parse(&r.keyid)
            .ok_or_else(|| bad(format!("revocation key id {:?} is malformed", r.keyid)))?;
        revocations.push(Revocation {
            key_id: id,
            revoked_at: r.revoked_at,
            reason: r.reason,
        });
    }
    let policy = PolicyBundle {
        modules: p.policy.modules,
        data: p.policy.data,
    };
    let trust = TrustSet::new(keys, revocations, policy).map_err(entry)?;
    crate::rego::check_modules(&trust.policy().modules).map_err(|source| PackageError::Policy {
        key_id: key_id.clone(),
        source,
    })?;
    Ok(VerifiedPackage {
        trust,
        issuer: p.issuer,
        issued_at: p.issued_at,
        signer: key_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": 1, "a": {"z": [ {"y": 1, "x": "é\n"} ], "c": null}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"z":[{"x":"é\n","y":1}]},"b":1}"#
        );
    }
}
