//! The station's own timestamp authority: its CA's self-signed certificate, the TSA certificate
//! that CA issues (extended key usage timeStamping, critical, as RFC 3161 2.3 asks), and RFC 3161
//! tokens over signatures, in the `TimeStampResp` form Sigstore bundles carry in
//! `timestampVerificationData`. Every signature is made through `strongroom_core::Signer`, so the
//! keys stay on their token. Keys are ECDSA P-256 (`ecdsa-with-SHA256`). What this writes is
//! checked by [`crate::tsa::verify_timestamp`] and by `openssl ts -verify`.

use std::str::FromStr;
use std::time::Duration;

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{BitString, GeneralizedTime, Int, OctetString, SetOfVec, UtcTime};
use der::{Any, Decode, Encode};
use sha2::{Digest as _, Sha256};
use strongroom_core::{Algorithm, PublicKey, Signer, Timestamp};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};
use x509_tsp::{MessageImprint, TspVersion, TstInfo};

const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const CONTENT_TYPE_ATTR: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST_ATTR: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// The policy the station's TSA stamps under (a private arc; `TSTInfo.policy` must name one).
pub const STATION_TSA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.99.1");

/// Why a certificate or a timestamp could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error("a timestamp authority's keys are ECDSA P-256; this one is {0}")]
    Algorithm(String),
    #[error("the key could not sign: {0}")]
    Sign(String),
    #[error("encoding failed: {0}")]
    Encoding(String),
    #[error("the certificate does not parse: {0}")]
    Certificate(String),
}

fn enc(e: impl std::fmt::Display) -> AuthorityError {
    AuthorityError::Encoding(e.to_string())
}

fn sig_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA256,
        parameters: None,
    }
}

fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: SHA256,
        parameters: None,
    }
}

fn require_p256(signer: &dyn Signer) -> Result<(), AuthorityError> {
    match signer.public_key().algorithm() {
        Algorithm::EcdsaP256 => Ok(()),
        other => Err(AuthorityError::Algorithm(other.to_string())),
    }
}

fn sign(signer: &dyn Signer, message: &[u8]) -> Result<Vec<u8>, AuthorityError> {
    signer
        .sign(message)
        .map_err(|e| AuthorityError::Sign(e.to_string()))
}

fn utc(t: Timestamp) -> Result<Time, AuthorityError> {
    let secs = u64::try_from(t.unix_seconds()).map_err(enc)?;
    Ok(Time::UtcTime(
        UtcTime::from_unix_duration(Duration::from_secs(secs)).map_err(enc)?,
    ))
}

fn extension(
    oid: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, AuthorityError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().map_err(enc)?).map_err(enc)?,
    })
}

/// A positive random serial number of 16 bytes.
fn serial(seed: &[u8]) -> Result<SerialNumber, AuthorityError> {
    let mut bytes = Sha256::digest(seed)[..16].to_vec();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::new(&bytes).map_err(enc)
}

/// What a certificate says: its names, key, window and extensions.
struct CertSpec<'a> {
    subject: &'a str,
    issuer: Name,
    public_key: &'a PublicKey,
    not_before: Timestamp,
    not_after: Timestamp,
    extensions: Vec<Extension>,
}

fn issue(spec: CertSpec<'_>, issuer_key: &dyn Signer) -> Result<Vec<u8>, AuthorityError> {
    require_p256(issuer_key)?;
    let spki_der = spec.public_key.to_spki_der();
    let subject = Name::from_str(spec.subject).map_err(enc)?;
    let mut seed = spki_der.clone();
    seed.extend(spec.not_before.to_rfc3339().as_bytes());
    seed.extend(spec.subject.as_bytes());
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: serial(&seed)?,
        signature: sig_alg(),
        issuer: spec.issuer,
        validity: Validity {
            not_before: utc(spec.not_before)?,
            not_after: utc(spec.not_after)?,
        },
        subject,
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&spki_der).map_err(enc)?,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(spec.extensions),
    };
    let tbs_der = tbs.to_der().map_err(enc)?;
    let signature = sign(issuer_key, &tbs_der)?;
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: sig_alg(),
        signature: BitString::from_bytes(&signature).map_err(enc)?,
    }
    .to_der()
    .map_err(enc)
}

fn key_identifier(key: &PublicKey) -> Result<SubjectKeyIdentifier, AuthorityError> {
    let digest = Sha256::digest(key.to_spki_der());
    Ok(SubjectKeyIdentifier(
        OctetString::new(&digest[..20]).map_err(enc)?,
    ))
}

/// The station CA's self-signed certificate: `CA:TRUE, pathlen:0`, keyCertSign and cRLSign.
pub fn self_signed_ca(
    ca: &dyn Signer,
    subject: &str,
    not_before: Timestamp,
    not_after: Timestamp,
) -> Result<Vec<u8>, AuthorityError> {
    let name = Name::from_str(subject).map_err(enc)?;
    let extensions = vec![
        extension(
            BasicConstraints::OID,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            },
        )?,
        extension(
            KeyUsage::OID,
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        )?,
        extension(
            SubjectKeyIdentifier::OID,
            false,
            &key_identifier(ca.public_key())?,
        )?,
    ];
    issue(
        CertSpec {
            subject,
            issuer: name,
            public_key: ca.public_key(),
            not_before,
            not_after,
            extensions,
        },
        ca,
    )
}

/// The TSA's certificate, issued by the CA whose certificate is `ca_der`: not a CA,
/// digitalSignature, and the one extended key usage timeStamping, critical.
pub fn tsa_certificate(
    ca: &dyn Signer,
    ca_der: &[u8],
    tsa_key: &PublicKey,
    subject: &str,
    not_before: Timestamp,
    not_after: Timestamp,
) -> Result<Vec<u8>, AuthorityError> {
    let ca_cert =
        Certificate::from_der(ca_der).map_err(|e| AuthorityError::Certificate(e.to_string()))?;
    let extensions = vec![
        extension(
            BasicConstraints::OID,
            true,
            &BasicConstraints {
                ca: false,
                path_len_constraint: None,
            },
        )?,
        extension(
            KeyUsage::OID,
            true,
            &KeyUsage(KeyUsages::DigitalSignature.into()),
        )?,
        extension(
            ExtendedKeyUsage::OID,
            true,
            &ExtendedKeyUsage(vec![TIME_STAMPING]),
        )?,
        extension(SubjectKeyIdentifier::OID, false, &key_identifier(tsa_key)?)?,
    ];
    issue(
        CertSpec {
            subject,
            issuer: ca_cert.tbs_certificate.subject.clone(),
            public_key: tsa_key,
            not_before,
            not_after,
            extensions,
        },
        ca,
    )
}

/// A timestamp authority: its key (on a token, through [`Signer`]) and its certificate.
pub struct Authority<'a> {
    signer: &'a dyn Signer,
    cert: Certificate,
    /// The ESS signingCertificateV2 attribute value naming the certificate.
    ess: Any,
}

impl<'a> Authority<'a> {
    /// The authority of `signer`, whose certificate is `cert_der`; the certificate must be of
    /// the signer's public key.
    pub fn new(signer: &'a dyn Signer, cert_der: Vec<u8>) -> Result<Self, AuthorityError> {
        require_p256(signer)?;
        let cert = Certificate::from_der(&cert_der)
            .map_err(|e| AuthorityError::Certificate(e.to_string()))?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(enc)?;
        if spki != signer.public_key().to_spki_der() {
            return Err(AuthorityError::Certificate(
                "it is not the certificate of the timestamp authority's key".into(),
            ));
        }
        // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }, with the
        // ESSCertIDv2's hash algorithm the default SHA-256 (RFC 5035).
        let ess = der_seq(&der_seq(&der_seq(
            &OctetString::new(Sha256::digest(&cert_der).to_vec())
                .map_err(enc)?
                .to_der()
                .map_err(enc)?,
        )));
        Ok(Authority {
            signer,
            cert,
            ess: Any::from_der(&ess).map_err(enc)?,
        })
    }

    /// An RFC 3161 `TimeStampResp` (status granted) whose token says that the SHA-256 of
    /// `signature` existed at `at`.
    pub fn stamp(&self, signature: &[u8], at: Timestamp) -> Result<Vec<u8>, AuthorityError> {
        Ok(self
            .stamp_batch(&[signature], at)?
            .pop()
            .expect("one stamp per signature"))
    }

    /// [`Authority::stamp`] for several signatures, signed in one batch (one round trip of a
    /// token's session).
    pub fn stamp_batch(
        &self,
        signatures: &[&[u8]],
        at: Timestamp,
    ) -> Result<Vec<Vec<u8>>, AuthorityError> {
        let prepared: Vec<(Vec<u8>, SetOfVec<Attribute>)> = signatures
            .iter()
            .map(|sig| self.prepare(sig, at))
            .collect::<Result<_, _>>()?;
        let to_sign: Vec<Vec<u8>> = prepared
            .iter()
            .map(|(_, attrs)| attrs.to_der().map_err(enc))
            .collect::<Result<_, _>>()?;
        let refs: Vec<&[u8]> = to_sign.iter().map(Vec::as_slice).collect();
        let values = self
            .signer
            .sign_batch(&refs)
            .map_err(|e| AuthorityError::Sign(e.to_string()))?;
        prepared
            .into_iter()
            .zip(values)
            .map(|((tst_der, attrs), value)| self.assemble(tst_der, attrs, value))
            .collect()
    }

    /// The TSTInfo over `signature` and the signed attributes the authority signs for it.
    fn prepare(
        &self,
        signature: &[u8],
        at: Timestamp,
    ) -> Result<(Vec<u8>, SetOfVec<Attribute>), AuthorityError> {
        let secs = u64::try_from(at.unix_seconds()).map_err(enc)?;
        let mut serial_bytes = [0u8; 16];
        getrandom_fill(&mut serial_bytes);
        serial_bytes[0] &= 0x7f;
        serial_bytes[0] |= 0x01;
        let tst = TstInfo {
            version: TspVersion::V1,
            policy: STATION_TSA_POLICY,
            message_imprint: MessageImprint {
                hash_algorithm: sha256_alg(),
                hashed_message: OctetString::new(Sha256::digest(signature).to_vec())
                    .map_err(enc)?,
            },
            serial_number: Int::new(&serial_bytes).map_err(enc)?,
            gen_time: GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
                .map_err(enc)?,
            accuracy: None,
            ordering: false,
            nonce: None,
            tsa: None,
            extensions: None,
        };
        let tst_der = tst.to_der().map_err(enc)?;
        let attr = |oid: ObjectIdentifier, value: Any| -> Result<Attribute, AuthorityError> {
            Ok(Attribute {
                oid,
                values: SetOfVec::try_from(vec![value]).map_err(enc)?,
            })
        };
        let signed_attrs = SetOfVec::try_from(vec![
            attr(
                CONTENT_TYPE_ATTR,
                Any::from_der(&TST_INFO.to_der().map_err(enc)?).map_err(enc)?,
            )?,
            attr(
                MESSAGE_DIGEST_ATTR,
                Any::from_der(
                    &OctetString::new(Sha256::digest(&tst_der).to_vec())
                        .map_err(enc)?
                        .to_der()
                        .map_err(enc)?,
                )
                .map_err(enc)?,
            )?,
            attr(SIGNING_CERTIFICATE_V2, self.ess.clone())?,
        ])
        .map_err(enc)?;
        Ok((tst_der, signed_attrs))
    }

    /// The `TimeStampResp` of a TSTInfo whose signed attributes the authority signed.
    fn assemble(
        &self,
        tst_der: Vec<u8>,
        signed_attrs: SetOfVec<Attribute>,
        signature_value: Vec<u8>,
    ) -> Result<Vec<u8>, AuthorityError> {
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: self.cert.tbs_certificate.issuer.clone(),
                serial_number: self.cert.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256_alg(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: sig_alg(),
            signature: OctetString::new(signature_value).map_err(enc)?,
            unsigned_attrs: None,
        };
        let signed_data = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![sha256_alg()]).map_err(enc)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: TST_INFO,
                econtent: Some(
                    Any::from_der(
                        &OctetString::new(tst_der)
                            .map_err(enc)?
                            .to_der()
                            .map_err(enc)?,
                    )
                    .map_err(enc)?,
                ),
            },
            // The TSA's certificate is not carried: a verifier takes it from its trusted root
            // (certificates a token carries are never trusted), and openssl from -untrusted.
            certificates: None,
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(enc)?),
        };
        let token = ContentInfo {
            content_type: SIGNED_DATA,
            content: Any::from_der(&signed_data.to_der().map_err(enc)?).map_err(enc)?,
        }
        .to_der()
        .map_err(enc)?;
        // TimeStampResp ::= SEQUENCE { status PKIStatusInfo (granted: SEQUENCE { INTEGER 0 }),
        // timeStampToken }
        let mut body = vec![0x30, 0x03, 0x02, 0x01, 0x00];
        body.extend(token);
        Ok(der_seq(&body))
    }
}

/// `SEQUENCE { content }` in DER.
fn der_seq(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn getrandom_fill(buf: &mut [u8]) {
    use rand_core::RngCore;
    rand_core::OsRng.fill_bytes(buf);
}

/// A Sigstore trusted root (`trusted_root.json`) whose one timestamp authority is the station's:
/// `chain` leaf first (the TSA's certificate, then its CA's), valid from `start`.
pub fn trusted_root_json(
    chain: &[Vec<u8>],
    organization: &str,
    common_name: &str,
    uri: &str,
    start: Timestamp,
) -> String {
    use base64::Engine as _;
    let certs: Vec<serde_json::Value> = chain
        .iter()
        .map(|d| {
            serde_json::json!({"rawBytes": base64::engine::general_purpose::STANDARD.encode(d)})
        })
        .collect();
    let root = serde_json::json!({
        "mediaType": crate::TRUSTED_ROOT_MEDIA_TYPE,
        "tlogs": [],
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": [{
            "subject": {"organization": organization, "commonName": common_name},
            "uri": uri,
            "certChain": {"certificates": certs},
            "validFor": {"start": start.to_rfc3339()},
        }],
    });
    let mut s = serde_json::to_string_pretty(&root).expect("plain JSON");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use strongroom_core::SoftwareKey;

    #[test]
    fn a_stamp_verifies_with_the_root_it_comes_with() {
        let ca = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let tsa = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let start = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let end = Timestamp::parse("2036-01-01T00:00:00Z").unwrap();
        let ca_der = self_signed_ca(&ca, "CN=Test CA,O=Strongroom", start, end).unwrap();
        let tsa_der = tsa_certificate(
            &ca,
            &ca_der,
            tsa.public_key(),
            "CN=Test TSA,O=Strongroom",
            start,
            end,
        )
        .unwrap();
        let json = trusted_root_json(
            &[tsa_der.clone(), ca_der],
            "Strongroom",
            "Test TSA",
            "urn:test",
            start,
        );
        let root = crate::TrustedRoot::from_bytes(json.as_bytes()).unwrap();
        let authority = Authority::new(&tsa, tsa_der).unwrap();
        let at = Timestamp::parse("2026-12-07T10:00:00Z").unwrap();
        let stamp = authority.stamp(b"a signature", at).unwrap();
        let v = crate::tsa::verify_timestamp(&stamp, b"a signature", &root.timestamp_authorities)
            .unwrap();
        assert_eq!(v.time, at);
        assert_eq!(
            crate::tsa::verify_timestamp(&stamp, b"another", &root.timestamp_authorities),
            Err(crate::tsa::TimestampError::Imprint)
        );
        // Before the CA's window, the chain is not valid.
        let early = authority
            .stamp(b"x", Timestamp::parse("2025-06-01T00:00:00Z").unwrap())
            .unwrap();
        assert!(crate::tsa::verify_timestamp(&early, b"x", &root.timestamp_authorities).is_err());
    }

    /// openssl (not our code) verifies a stamp with the CA certificate as the trust anchor:
    /// the token's signature, its ESS signing-certificate attribute, the TSA certificate's
    /// critical timeStamping key usage, and the imprint of the data.
    #[test]
    fn openssl_ts_verifies_a_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let ca = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let tsa = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
        let start = Timestamp::now();
        let end = Timestamp::from_unix_seconds(start.unix_seconds() + 3600 * 24 * 365).unwrap();
        let ca_der = self_signed_ca(&ca, "CN=Test CA,O=Strongroom", start, end).unwrap();
        let tsa_der =
            tsa_certificate(&ca, &ca_der, tsa.public_key(), "CN=Test TSA", start, end).unwrap();
        let pem = |der: &[u8]| {
            use base64::Engine as _;
            let b = base64::engine::general_purpose::STANDARD.encode(der);
            let lines: Vec<&str> = b
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            )
        };
        std::fs::write(dir.path().join("ca.pem"), pem(&ca_der)).unwrap();
        std::fs::write(dir.path().join("tsa.pem"), pem(&tsa_der)).unwrap();
        std::fs::write(dir.path().join("sig"), b"the signature bytes").unwrap();
        let stamp = Authority::new(&tsa, tsa_der)
            .unwrap()
            .stamp(b"the signature bytes", start)
            .unwrap();
        std::fs::write(dir.path().join("stamp.tsr"), stamp).unwrap();
        let run = |data: &str| {
            std::process::Command::new("openssl")
                .current_dir(dir.path())
                .args(["ts", "-verify", "-data", data, "-in", "stamp.tsr"])
                .args(["-CAfile", "ca.pem", "-untrusted", "tsa.pem"])
                .output()
                .expect("openssl is installed (scripts/install-deps.sh)")
        };
        let ok = run("sig");
        assert!(
            ok.status.success(),
            "{}{}",
            String::from_utf8_lossy(&ok.stdout),
            String::from_utf8_lossy(&ok.stderr)
        );
        std::fs::write(dir.path().join("other"), b"other bytes").unwrap();
        assert!(!run("other").status.success());
    }
}
