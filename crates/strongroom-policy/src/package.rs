//! Trust packages: a station's trust (keys, revocations, policy) as one file that another station
//! can import, signed by a threshold of custodians in the manner of TUF root metadata. The file
//! is a DSSE envelope (JSON) whose payload type is [`TRUST_MEDIA_TYPE`], whose payload is
//! canonical JSON (keys sorted, no spaces), and which carries one signature per custodian key:
//!
//! ```json
//! {"issuedAt":"…","issuer":"…","keys":[{"addedAt":"…","addedBy":"…","holder":"bob","keyid":"…",
//!  "name":"…","notAfter":null,"notBefore":null,"publicKey":"-----BEGIN PUBLIC KEY-----…",
//!  "purpose":"approver","stages":[]}],"mediaType":"application/vnd.strongroom.trust.v2+json",
//!  "policy":{"data":{},"modules":[{"name":"…","rego":"…"}]},
//!  "revocations":[{"keyid":"…","reason":"…","revokedAt":"…"}],"threshold":2}
//! ```
//!
//! `threshold` is how many distinct custodians (holders of custodian keys) must sign a package
//! for it to be accepted, this one and the next. Signatures are counted by **holder**, so one
//! person with two custodian keys counts once.
//!
//! Parse, don't validate: [`TrustPackage::open`] checks only the envelope's shape; the payload is
//! read only after enough signatures verified with keys the caller trusts as custodians
//! ([`TrustPackage::verify_with`]), or, for a package named on a command line, with the
//! custodian keys it lists itself ([`TrustPackage::verify_self_signed`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use strongroom_core::dsse::{Envelope, EnvelopeJson};
use strongroom_core::{KeyId, SignError, Signer};

use crate::trust::{
    NewTrustedKey, PolicyBundle, PolicyModule, Purpose, Revocation, SigstoreRoot, TrustError,
};
use crate::{PolicyError, Stage, Timestamp, TrustSet, TrustedKey};

/// The DSSE payload type, and the payload's `mediaType`, of a trust package.
pub const TRUST_MEDIA_TYPE: &str = "application/vnd.strongroom.trust.v2+json";

/// The most signatures a package may carry (custodians are few; this bounds the work).
pub const MAX_PACKAGE_SIGNATURES: usize = 32;

/// Why one signature of a package does not count.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureRefusal {
    #[error("key {key_id} is not trusted here")]
    Untrusted { key_id: KeyId },
    #[error("key {name:?} ({key_id}) is {}, not a custodian key", purpose.a_key())]
    NotCustodian {
        key_id: KeyId,
        name: String,
        purpose: Purpose,
    },
    #[error("key {name:?} ({key_id}) was revoked at {revoked_at} ({reason})")]
    Revoked {
        key_id: KeyId,
        name: String,
        revoked_at: Timestamp,
        reason: String,
    },
    #[error("key {name:?} ({key_id}) is not valid until {not_before}")]
    NotYetValid {
        key_id: KeyId,
        name: String,
        not_before: Timestamp,
    },
    #[error("key {name:?} ({key_id}) expired at {not_after}")]
    Expired {
        key_id: KeyId,
        name: String,
        not_after: Timestamp,
    },
    #[error("the signature by key {key_id} does not verify: the package was altered after it was signed, or signed by another key")]
    BadSignature { key_id: KeyId },
    #[error("signature {index} names no key (no DSSE keyid) or a malformed one")]
    NoKeyId { index: usize },
}

/// Why a trust package was refused. Every refusal names the signing keys where they are known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    #[error("not a trust package: {0}")]
    NotAnEnvelope(String),
    #[error("not a trust package: the DSSE payload type is {0:?}, not {TRUST_MEDIA_TYPE:?}")]
    WrongPayloadType(String),
    #[error(
        "the trust package carries {0} signatures, more than the {MAX_PACKAGE_SIGNATURES} allowed"
    )]
    TooManySignatures(usize),
    #[error(
        "the trust package needs the signatures of {threshold} distinct custodian(s) {whose}, and has {}{}",
        counted_text(counted),
        refused_text(refused)
    )]
    BelowThreshold {
        threshold: u32,
        /// Which custodians count: "this station trusts" or "it lists itself".
        whose: &'static str,
        /// The holders whose signatures counted.
        counted: Vec<String>,
        /// Signatures that did not count, and why.
        refused: Vec<SignatureRefusal>,
    },
    #[error("the trust package's payload (signed by {signers}) is malformed: {reason}")]
    Payload { signers: String, reason: String },
    #[error("the trust package (signed by {signers}) holds an unacceptable entry: {source}")]
    Entry {
        signers: String,
        #[source]
        source: TrustError,
    },
    #[error("the trust package (signed by {signers}) holds a policy module that cannot be used: {source}")]
    Policy {
        signers: String,
        #[source]
        source: PolicyError,
    },
    #[error("the trust package's threshold is {0}; it must be at least 1")]
    ZeroThreshold(u32),
    #[error("the trust package was issued at {issued_at}, before the one imported last ({last}); importing it could undo newer trust decisions")]
    Stale {
        issued_at: Timestamp,
        last: Timestamp,
    },
    #[error("key {key_id} has already signed this trust package")]
    AlreadySigned { key_id: KeyId },
    #[error("signing the trust package failed: {0}")]
    Sign(#[from] SignError),
}

fn counted_text(counted: &[String]) -> String {
    if counted.is_empty() {
        "none".to_owned()
    } else {
        format!("{} ({})", counted.len(), counted.join(", "))
    }
}

fn refused_text(refused: &[SignatureRefusal]) -> String {
    refused
        .iter()
        .map(|r| format!("; {r}"))
        .collect::<Vec<_>>()
        .concat()
}

impl PackageError {
    /// The package was readable but not acceptable as trust (as opposed to malformed).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            PackageError::BelowThreshold { .. } | PackageError::Stale { .. }
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
    threshold: u32,
    keys: Vec<KeyJson>,
    revocations: Vec<RevocationJson>,
    policy: PolicyJson,
    /// Absent when there are none, so packages without roots keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sigstore_roots: Vec<SigstoreRoot>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyJson {
    keyid: String,
    name: String,
    public_key: String,
    purpose: Purpose,
    holder: String,
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
    /// Custodians needed to sign the next package.
    pub threshold: u32,
    /// The keys whose signatures counted.
    pub signers: Vec<KeyId>,
    /// Their holders, each once.
    pub holders: Vec<String>,
}

/// The result of importing a package onto a station's trust ([`TrustPackage::import`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub package: VerifiedPackage,
    /// The package's trust with every revocation the station already held (revocations are
    /// sticky).
    pub merged: TrustSet,
}

/// A trust package read from a file, its signatures not yet checked.
#[derive(Clone, Debug)]
pub struct TrustPackage {
    envelope: Envelope,
}

fn signers_text(ids: &[KeyId]) -> String {
    let v: Vec<&str> = ids.iter().map(KeyId::as_str).collect();
    v.join(", ")
}

impl TrustPackage {
    /// Signs `trust` as a trust package with every key of `signers` (one signature each) and
    /// returns the envelope JSON (pretty, final newline) to write to a file. The same inputs and
    /// keys give the same bytes for deterministic signers.
    pub fn issue(
        trust: &TrustSet,
        issuer: &str,
        issued_at: Timestamp,
        threshold: u32,
        signers: &[&dyn Signer],
    ) -> Result<String, PackageError> {
        if threshold == 0 {
            return Err(PackageError::ZeroThreshold(threshold));
        }
        let payload = PayloadJson {
            media_type: TRUST_MEDIA_TYPE.to_owned(),
            issued_at,
            issuer: issuer.to_owned(),
            threshold,
            keys: trust
                .keys()
                .iter()
                .map(|k| KeyJson {
                    keyid: k.key_id().to_string(),
                    name: k.name().to_owned(),
                    public_key: k.pem().to_owned(),
                    purpose: k.purpose(),
                    holder: k.holder().to_owned(),
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
            sigstore_roots: trust.roots().to_vec(),
        };
        let value = serde_json::to_value(&payload).expect("the payload always serialises");
        let mut package = TrustPackage {
            envelope: Envelope {
                payload_type: TRUST_MEDIA_TYPE.to_owned(),
                payload: canonical_json(&value).into_bytes(),
                signatures: Vec::new(),
            },
        };
        for s in signers {
            package.add_signature(*s)?;
        }
        Ok(package.to_json())
    }

    /// Adds one more custodian's signature (a second custodian countersigning a package that
    /// another station or person issued). Refuses a key that signed already.
    pub fn add_signature(&mut self, signer: &dyn Signer) -> Result<(), PackageError> {
        let id = signer.public_key().key_id();
        if self
            .envelope
            .signatures
            .iter()
            .any(|s| s.keyid.as_deref() == Some(id.as_str()))
        {
            return Err(PackageError::AlreadySigned { key_id: id });
        }
        if self.envelope.signatures.len() >= MAX_PACKAGE_SIGNATURES {
            return Err(PackageError::TooManySignatures(
                self.envelope.signatures.len() + 1,
            ));
        }
        let one = Envelope::sign(
            signer,
            &self.envelope.payload_type,
            self.envelope.payload.clone(),
        )?;
        self.envelope.signatures.extend(one.signatures);
        Ok(())
    }

    /// The envelope as the JSON text a package file holds.
    pub fn to_json(&self) -> String {
        let mut s =
            serde_json::to_string_pretty(&self.envelope.to_json()).expect("an envelope serialises");
        s.push('\n');
        s
    }

    /// Reads the envelope; nothing in the payload is trusted or even parsed yet.
    pub fn open(bytes: &[u8]) -> Result<Self, PackageError> {
        let json: EnvelopeJson = serde_json::from_slice(bytes)
            .map_err(|e| PackageError::NotAnEnvelope(format!("not a DSSE envelope (JSON): {e}")))?;
        if json.signatures.len() > MAX_PACKAGE_SIGNATURES {
            return Err(PackageError::TooManySignatures(json.signatures.len()));
        }
        let envelope =
            Envelope::from_json(&json).map_err(|e| PackageError::NotAnEnvelope(e.to_string()))?;
        if envelope.payload_type != TRUST_MEDIA_TYPE {
            return Err(PackageError::WrongPayloadType(envelope.payload_type));
        }
        Ok(TrustPackage { envelope })
    }

    /// The key ids the signatures claim (not yet verified).
    pub fn signer_key_ids(&self) -> Vec<String> {
        self.envelope
            .signatures
            .iter()
            .map(|s| s.keyid.clone().unwrap_or_default())
            .collect()
    }

    /// The signatures that verify with an active custodian key of `trust`: their keys and
    /// distinct holders, and why each other signature does not count.
    fn count(
        &self,
        trust: &TrustSet,
        now: Timestamp,
    ) -> (Vec<KeyId>, Vec<String>, Vec<SignatureRefusal>) {
        let mut keys = Vec::new();
        let mut holders = BTreeSet::new();
        let mut refused = Vec::new();
        for (index, s) in self.envelope.signatures.iter().enumerate() {
            let Some(key_id) = s.keyid.as_deref().and_then(KeyId::parse) else {
                refused.push(SignatureRefusal::NoKeyId { index });
                continue;
            };
            match self.check_one(index, &key_id, trust, now) {
                Ok(holder) => {
                    if !keys.contains(&key_id) {
                        keys.push(key_id);
                        holders.insert(holder);
                    }
                }
                Err(r) => refused.push(r),
            }
        }
        (keys, holders.into_iter().collect(), refused)
    }

    fn check_one(
        &self,
        index: usize,
        key_id: &KeyId,
        trust: &TrustSet,
        now: Timestamp,
    ) -> Result<String, SignatureRefusal> {
        let key = trust
            .key(key_id)
            .ok_or_else(|| SignatureRefusal::Untrusted {
                key_id: key_id.clone(),
            })?;
        let status = trust.status(key_id, now, None, Some(Purpose::Custodian));
        let name = key.name().to_owned();
        if !status.has_purpose {
            return Err(SignatureRefusal::NotCustodian {
                key_id: key_id.clone(),
                name,
                purpose: key.purpose(),
            });
        }
        if let Some(r) = status.revoked.as_ref().filter(|r| r.before) {
            return Err(SignatureRefusal::Revoked {
                key_id: key_id.clone(),
                name,
                revoked_at: r.revoked_at,
                reason: r.reason.clone(),
            });
        }
        if let (true, Some(not_before)) = (status.not_yet_valid, key.not_before()) {
            return Err(SignatureRefusal::NotYetValid {
                key_id: key_id.clone(),
                name,
                not_before,
            });
        }
        if let (true, Some(not_after)) = (status.expired, key.not_after()) {
            return Err(SignatureRefusal::Expired {
                key_id: key_id.clone(),
                name,
                not_after,
            });
        }
        self.envelope
            .verify_signature(index, key.public_key())
            .map_err(|_| SignatureRefusal::BadSignature {
                key_id: key_id.clone(),
            })?;
        Ok(key.holder().to_owned())
    }

    /// Verifies the package against `trust`: at least `threshold` distinct holders of custodian
    /// keys that `trust` holds, active at `now`, must have signed it. Then reads the payload.
    pub fn verify_with(
        &self,
        trust: &TrustSet,
        threshold: u32,
        now: Timestamp,
    ) -> Result<VerifiedPackage, PackageError> {
        self.verify_counted(trust, threshold, now, "that this station trusts")
    }

    fn verify_counted(
        &self,
        trust: &TrustSet,
        threshold: u32,
        now: Timestamp,
        whose: &'static str,
    ) -> Result<VerifiedPackage, PackageError> {
        let (keys, holders, refused) = self.count(trust, now);
        if (holders.len() as u64) < u64::from(threshold.max(1)) {
            return Err(PackageError::BelowThreshold {
                threshold: threshold.max(1),
                whose,
                counted: holders,
                refused,
            });
        }
        let mut v = parse_payload(&self.envelope.payload, &keys)?;
        v.signers = keys;
        v.holders = holders;
        Ok(v)
    }

    /// Verifies a package against the trust it carries itself: at least its own threshold of
    /// distinct holders of custodian keys that it lists, active at `now`, must have signed it.
    /// This proves the package intact and internally consistent, not that its issuers deserve
    /// trust: use it only for a package the user named explicitly (as one names a key to `cosign
    /// verify --key`), never for an import.
    pub fn verify_self_signed(&self, now: Timestamp) -> Result<VerifiedPackage, PackageError> {
        // Reading the payload before its signatures are checked only finds the keys to check
        // them with; nothing read here is trusted until the signatures verified.
        let claimed = parse_payload(&self.envelope.payload, &[])?;
        self.verify_counted(
            &claimed.trust,
            claimed.threshold,
            now,
            "that it lists itself",
        )
    }

    /// The import rule, as for TUF root metadata: the package must be signed by `threshold`
    /// (the threshold the station accepted last; before its first import, the station's own
    /// custodian quorum) distinct custodians of the station's `current` trust, **and** by its
    /// own threshold of the custodians it lists, so that only a package meeting the threshold in
    /// force can change it and the new custodians are shown to hold their keys. It must not be
    /// older than the package imported `last`. Revocations the station held are kept.
    pub fn import(
        &self,
        current: &TrustSet,
        threshold: u32,
        last: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Imported, PackageError> {
        let mut package = self.verify_with(current, threshold, now)?;
        let own = self.verify_counted(
            &package.trust,
            package.threshold,
            now,
            "that the package itself lists",
        )?;
        // Report every signer that counted under either trust.
        for k in own.signers {
            if !package.signers.contains(&k) {
                package.signers.push(k);
            }
        }
        let holders: BTreeSet<String> = package.holders.into_iter().chain(own.holders).collect();
        package.holders = holders.into_iter().collect();
        if let Some(last) = last {
            if package.issued_at < last {
                return Err(PackageError::Stale {
                    issued_at: package.issued_at,
                    last,
                });
            }
        }
        let merged = package.trust.clone().keeping_revocations_of(current);
        Ok(Imported { package, merged })
    }
}

fn parse_payload(bytes: &[u8], signers: &[KeyId]) -> Result<VerifiedPackage, PackageError> {
    let signers_shown = if signers.is_empty() {
        "its custodians".to_owned()
    } else {
        signers_text(signers)
    };
    let bad = |reason: String| PackageError::Payload {
        signers: signers_shown.clone(),
        reason,
    };
    let p: PayloadJson = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    if p.media_type != TRUST_MEDIA_TYPE {
        return Err(bad(format!(
            "mediaType is {:?}, not {TRUST_MEDIA_TYPE:?}",
            p.media_type
        )));
    }
    if p.threshold == 0 {
        return Err(PackageError::ZeroThreshold(0));
    }
    let entry = |source: TrustError| PackageError::Entry {
        signers: signers_shown.clone(),
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
            purpose: k.purpose,
            holder: k.holder,
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
    let trust = TrustSet::new(keys, revocations, policy)
        .and_then(|t| t.with_roots(p.sigstore_roots))
        .map_err(entry)?;
    crate::rego::check_modules(&trust.policy().modules).map_err(|source| PackageError::Policy {
        signers: signers_shown.clone(),
        source,
    })?;
    Ok(VerifiedPackage {
        trust,
        issuer: p.issuer,
        issued_at: p.issued_at,
        threshold: p.threshold,
        signers: Vec::new(),
        holders: Vec::new(),
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
