//! RFC 3161 timestamps over a bundle's signature (`timestampVerificationData`): a timestamp
//! authority's signed statement that the signature existed at `genTime`. It counts when its
//! message imprint is the hash of the signature, its CMS signature verifies with the leaf of a
//! timestamp authority in the trusted root (certificates the token carries are not trusted: trust
//! comes from the root alone), that chain is valid at `genTime`, and the authority's `validFor`
//! window holds it, end included.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerInfo};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use strongroom_core::{HashAlg, PublicKey, Timestamp};
use x509_cert::Certificate;
use x509_tsp::{TimeStampResp, TstInfo};

use crate::trusted_root::CertificateAuthority;

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const CONTENT_TYPE_ATTR: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST_ATTR: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// Why a timestamp does not count.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampError {
    #[error("the timestamp is not an RFC 3161 token: {0}")]
    Malformed(String),
    #[error("the timestamp is over other bytes than the signature (its message imprint differs)")]
    Imprint,
    #[error("the timestamp's hash algorithm {0} is not supported")]
    Algorithm(String),
    #[error("no timestamp authority of the trusted root signed the timestamp at {at}{}", if tried.is_empty() { String::new() } else { format!(" (tried: {})", tried.join("; ")) })]
    Untrusted { at: String, tried: Vec<String> },
}

fn malformed(e: impl std::fmt::Display) -> TimestampError {
    TimestampError::Malformed(e.to_string())
}

fn hash_of(oid: &ObjectIdentifier) -> Result<HashAlg, TimestampError> {
    match *oid {
        SHA256 => Ok(HashAlg::Sha256),
        SHA384 => Ok(HashAlg::Sha384),
        SHA512 => Ok(HashAlg::Sha512),
        other => Err(TimestampError::Algorithm(other.to_string())),
    }
}

/// A verified timestamp: when, and which authority of the root said so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTimestamp {
    pub time: Timestamp,
    pub authority: String,
}

/// The token of a `signedTimestamp`: a whole TimeStampResp (as Sigstore writes it), or the
/// token alone.
fn token(der: &[u8]) -> Result<ContentInfo, TimestampError> {
    if let Ok(resp) = TimeStampResp::from_der(der) {
        // Only a granted response (RFC 3161 2.4.2: granted, or granted with modifications).
        let status = resp.status.status as u8;
        if status > 1 {
            return Err(malformed(format!(
                "the authority did not grant it (status {status})"
            )));
        }
        return resp
            .time_stamp_token
            .ok_or_else(|| malformed("the response carries no token"));
    }
    ContentInfo::from_der(der).map_err(malformed)
}

/// Checks the timestamp `der` over `signature` against the root's timestamp `authorities`.
pub fn verify_timestamp(
    der: &[u8],
    signature: &[u8],
    authorities: &[CertificateAuthority],
) -> Result<VerifiedTimestamp, TimestampError> {
    let token = token(der)?;
    if token.content_type != SIGNED_DATA {
        return Err(malformed("its content is not SignedData"));
    }
    let sd =
        SignedData::from_der(&token.content.to_der().map_err(malformed)?).map_err(malformed)?;
    if sd.encap_content_info.econtent_type != TST_INFO {
        return Err(malformed("its content is not a TSTInfo"));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| malformed("it has no TSTInfo"))?;
    let tst_der = econtent.value();
    let tst = TstInfo::from_der(tst_der).map_err(malformed)?;
    let imprint_hash = hash_of(&tst.message_imprint.hash_algorithm.oid)?;
    if imprint_hash.hash(signature).as_bytes() != tst.message_imprint.hashed_message.as_bytes() {
        return Err(TimestampError::Imprint);
    }
    let time = Timestamp::from_unix_seconds(tst.gen_time.to_unix_duration().as_secs() as i64)
        .ok_or_else(|| malformed("its time is out of range"))?;
    let signer = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| malformed("it has no signer"))?;
    let signed_attrs = signed_attributes(signer, tst_der)?;
    let mut tried = Vec::new();
    for tsa in authorities {
        match authority_signed(tsa, signer, &signed_attrs, time) {
            Ok(()) => {
                return Ok(VerifiedTimestamp {
                    time,
                    authority: tsa.uri.clone(),
                })
            }
            Err(why) => tried.push(format!("{}: {why}", tsa.uri)),
        }
    }
    Err(TimestampError::Untrusted {
        at: time.to_rfc3339(),
        tried,
    })
}

/// The DER of the signed attributes (what the signature covers), after checking that they name
/// a TSTInfo and carry its digest.
fn signed_attributes(signer: &SignerInfo, tst_der: &[u8]) -> Result<Vec<u8>, TimestampError> {
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or_else(|| malformed("its signer has no signed attributes"))?;
    let value = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let content_type = value(CONTENT_TYPE_ATTR)
        .and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
        .ok_or_else(|| malformed("no content type attribute"))?;
    if content_type != TST_INFO {
        return Err(malformed("the signed content type is not TSTInfo"));
    }
    let digest = value(MESSAGE_DIGEST_ATTR)
        .and_then(|v| v.decode_as::<der::asn1::OctetString>().ok())
        .ok_or_else(|| malformed("no message digest attribute"))?;
    let hash = hash_of(&signer.digest_alg.oid)?;
    if hash.hash(tst_der).as_bytes() != digest.as_bytes() {
        return Err(malformed("the signed digest is not the TSTInfo's"));
    }
    attrs.to_der().map_err(malformed)
}

fn time_of(t: &x509_cert::time::Time) -> Timestamp {
    Timestamp::from_unix_seconds(t.to_unix_duration().as_secs() as i64)
        .expect("X.509 times are within RFC 3339's range")
}

/// Whether `tsa`'s leaf signed the attributes, its chain is valid at `at` and its window holds.
fn authority_signed(
    tsa: &CertificateAuthority,
    signer: &SignerInfo,
    signed_attrs: &[u8],
    at: Timestamp,
) -> Result<(), String> {
    if !tsa.valid_for.contains(at) {
        return Err("the time is outside its validFor window".into());
    }
    let chain = tsa
        .chain
        .iter()
        .map(|d| Certificate::from_der(d).map_err(|e| format!("its chain does not parse: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = chain.first().ok_or("its chain is empty")?;
    for (i, c) in chain.iter().enumerate() {
        let v = &c.tbs_certificate.validity;
        if at < time_of(&v.not_before) || at > time_of(&v.not_after) {
            return Err(format!(
                "{} is not valid at {at}",
                c.tbs_certificate.subject
            ));
        }
        if let Some(parent) = chain.get(i + 1) {
            crate::x509::verify_signed_by(&tsa.chain[i], c, parent).map_err(|e| e.to_string())?;
        }
    }
    let eku = leaf
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| {
            e.extn_id == <x509_cert::ext::pkix::ExtendedKeyUsage as const_oid::AssociatedOid>::OID
        })
        .and_then(|e| {
            x509_cert::ext::pkix::ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok()
        });
    if !eku.is_some_and(|e| e.0.contains(&TIME_STAMPING)) {
        return Err("its leaf is not a timestamping certificate".into());
    }
    let key_der = leaf
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())?;
    let key = PublicKey::from_spki_der(&key_der).map_err(|e| e.to_string())?;
    let hash = hash_of(&signer.digest_alg.oid).map_err(|e| e.to_string())?;
    let sig = signer.signature.as_bytes();
    let ok = match key {
        PublicKey::Ed25519(_) => key.verify(signed_attrs, sig).is_ok(),
        _ => key.verify_prehashed(&hash.hash(signed_attrs), sig).is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err("the timestamp's signature does not verify with its leaf".into())
    }
}
