//! The signing certificate of a keyless bundle: what Fulcio put in it (the subject alternative
//! name, the OIDC issuer, the CI claims of a GitHub Actions identity), its validity, and whether
//! a certificate authority of the trusted root issued it, checked at a stated time.

use const_oid::{AssociatedOid, ObjectIdentifier};
use der::{Decode, Encode};
use strongroom_core::{HashAlg, PublicKey, Timestamp};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};
use x509_cert::Certificate;

use crate::trusted_root::CertificateAuthority;

/// Fulcio's OIDC issuer: v1 (1.3.6.1.4.1.57264.1.1, raw text) and v2 (…1.8, a UTF8String).
const ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// GitHub Actions claims, v1 (raw text): repository, ref.
const GHA_REPOSITORY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.5");
const GHA_REF: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.6");
/// v2 (UTF8String): source repository URI and ref, build signer URI (the workflow file).
const SOURCE_REPOSITORY_URI: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.12");
const SOURCE_REPOSITORY_REF: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.14");
const BUILD_SIGNER_URI: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.9");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");

const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Why a certificate is not read or not trusted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertError {
    #[error("the certificate is not DER X.509: {0}")]
    Malformed(String),
    #[error("the certificate's key cannot be used: {0}")]
    Key(String),
    #[error("signature algorithm {0} is not supported")]
    Algorithm(String),
    #[error("the certificate cannot sign here: {0}")]
    NotSigning(String),
    #[error("no certificate authority of the trusted root issued the certificate at {at}{}", if tried.is_empty() { String::new() } else { format!(" (tried: {})", tried.join("; ")) })]
    Untrusted { at: String, tried: Vec<String> },
}

/// A subject alternative name Fulcio may write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum San {
    Uri(String),
    Email(String),
    Other(String),
}

impl San {
    pub fn as_str(&self) -> &str {
        match self {
            San::Uri(s) | San::Email(s) | San::Other(s) => s,
        }
    }
}

/// The claims a GitHub Actions identity carries, when present (v2 extensions, else v1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CiClaims {
    /// `https://github.com/OWNER/REPO` (v2) or `OWNER/REPO` (v1).
    pub source_repository: Option<String>,
    /// `refs/heads/main`, `refs/tags/v1.2.3`.
    pub source_ref: Option<String>,
    /// The workflow file that signed: `https://github.com/OWNER/REPO/.github/workflows/F.yml@REF`
    /// (v2's build signer URI; v1 has only the workflow's self-chosen name, which is not used).
    pub workflow: Option<String>,
}

/// A parsed signing certificate.
#[derive(Clone, Debug)]
pub struct SigningCertificate {
    pub der: Vec<u8>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub public_key: PublicKey,
    pub sans: Vec<San>,
    pub issuer: Option<String>,
    pub ci: CiClaims,
    /// Basic constraints say CA: a CA certificate signs nothing here.
    pub is_ca: bool,
    /// The extended key usage allows code signing.
    pub code_signing: bool,
    cert: Certificate,
}

fn malformed(e: impl std::fmt::Display) -> CertError {
    CertError::Malformed(e.to_string())
}

fn time_of(t: &x509_cert::time::Time) -> Timestamp {
    let secs = t.to_unix_duration().as_secs() as i64;
    Timestamp::from_unix_seconds(secs).expect("X.509 times are within RFC 3339's range")
}

/// A Fulcio extension's text: v1 extensions hold the raw bytes, v2 ones a DER UTF8String.
fn extension_text(cert: &Certificate, oid: ObjectIdentifier, der_string: bool) -> Option<String> {
    let ext = cert
        .tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)?;
    let bytes = ext.extn_value.as_bytes();
    if der_string {
        der::asn1::Utf8StringRef::from_der(bytes)
            .ok()
            .map(|s| s.as_str().to_owned())
    } else {
        std::str::from_utf8(bytes).ok().map(str::to_owned)
    }
}

fn decoded_extension<'a, T: der::Decode<'a>>(
    cert: &'a Certificate,
    oid: ObjectIdentifier,
) -> Option<T> {
    let ext = cert
        .tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)?;
    T::from_der(ext.extn_value.as_bytes()).ok()
}

fn spki_key(cert: &Certificate) -> Result<PublicKey, CertError> {
    let der = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(malformed)?;
    PublicKey::from_spki_der(&der).map_err(|e| CertError::Key(e.to_string()))
}

impl SigningCertificate {
    /// Reads a DER certificate and what Fulcio put in it. Nothing is trusted yet.
    pub fn from_der(der: &[u8]) -> Result<SigningCertificate, CertError> {
        let cert = Certificate::from_der(der).map_err(malformed)?;
        let validity = &cert.tbs_certificate.validity;
        let sans = decoded_extension::<SubjectAltName>(&cert, SubjectAltName::OID)
            .map(|s| {
                s.0.iter()
                    .map(|n| match n {
                        GeneralName::UniformResourceIdentifier(u) => San::Uri(u.to_string()),
                        GeneralName::Rfc822Name(e) => San::Email(e.to_string()),
                        other => San::Other(format!("{other:?}")),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let issuer = extension_text(&cert, ISSUER_V2, true)
            .or_else(|| extension_text(&cert, ISSUER_V1, false));
        let ci = CiClaims {
            source_repository: extension_text(&cert, SOURCE_REPOSITORY_URI, true)
                .or_else(|| extension_text(&cert, GHA_REPOSITORY, false)),
            source_ref: extension_text(&cert, SOURCE_REPOSITORY_REF, true)
                .or_else(|| extension_text(&cert, GHA_REF, false)),
            // Only the build signer URI: v1's workflow *name* is whatever the YAML says.
            workflow: extension_text(&cert, BUILD_SIGNER_URI, true),
        };
        let is_ca = decoded_extension::<BasicConstraints>(&cert, BasicConstraints::OID)
            .is_some_and(|b| b.ca);
        let code_signing = decoded_extension::<ExtendedKeyUsage>(&cert, ExtendedKeyUsage::OID)
            .is_some_and(|e| e.0.contains(&CODE_SIGNING));
        Ok(SigningCertificate {
            der: der.to_vec(),
            not_before: time_of(&validity.not_before),
            not_after: time_of(&validity.not_after),
            public_key: spki_key(&cert)?,
            sans,
            issuer,
            ci,
            is_ca,
            code_signing,
            cert,
        })
    }

    /// The embedded signed certificate timestamps (RFC 6962, 3.3), as serialized.
    pub(crate) fn embedded_scts(
        &self,
    ) -> Result<Vec<x509_cert::ext::pkix::sct::SignedCertificateTimestamp>, CertError> {
        use x509_cert::ext::pkix::sct::SignedCertificateTimestampList;
        let Some(list) = decoded_extension::<SignedCertificateTimestampList>(
            &self.cert,
            SignedCertificateTimestampList::OID,
        ) else {
            return Ok(Vec::new());
        };
        list.parse_timestamps()
            .map_err(|e| malformed(format!("its SCT list: {e:?}")))?
            .iter()
            .map(|s| {
                s.parse_timestamp()
                    .map_err(|e| malformed(format!("an SCT: {e:?}")))
            })
            .collect()
    }

    /// The TBS certificate as the log saw it before the SCTs were added: without the SCT list
    /// extension (RFC 6962, 3.2).
    pub(crate) fn precertificate_tbs(&self) -> Result<Vec<u8>, CertError> {
        use x509_cert::ext::pkix::sct::SignedCertificateTimestampList;
        let mut tbs = self.cert.tbs_certificate.clone();
        if let Some(exts) = tbs.extensions.as_mut() {
            exts.retain(|e| e.extn_id != SignedCertificateTimestampList::OID);
        }
        tbs.to_der().map_err(malformed)
    }

    /// Everything a signing leaf must be, at `at`: valid then; no critical extension we do not
    /// know (a CT precertificate's poison is one); basic constraints, key usage and extended key
    /// usage readable where present, not a CA, allowed to make digital signatures and to sign
    /// code; each extension once.
    pub fn check_signing_leaf(&self, at: Timestamp) -> Result<(), CertError> {
        use x509_cert::ext::pkix::KeyUsage;
        let not = |why: String| Err(CertError::NotSigning(why));
        if !self.valid_at(at) {
            return not(format!(
                "it is valid from {} to {}, not at {at}",
                self.not_before, self.not_after
            ));
        }
        let known = [
            BasicConstraints::OID,
            KeyUsage::OID,
            ExtendedKeyUsage::OID,
            SubjectAltName::OID,
        ];
        let exts = self
            .cert
            .tbs_certificate
            .extensions
            .as_deref()
            .unwrap_or_default();
        let mut seen = std::collections::BTreeSet::new();
        for e in exts {
            if !seen.insert(e.extn_id) {
                return not(format!("it carries extension {} twice", e.extn_id));
            }
            if e.critical && !known.contains(&e.extn_id) {
                return not(format!(
                    "it has a critical extension {} this verifier does not know",
                    e.extn_id
                ));
            }
        }
        let read = |oid: ObjectIdentifier| {
            exts.iter()
                .find(|e| e.extn_id == oid)
                .map(|e| e.extn_value.as_bytes())
        };
        if let Some(bc) = read(BasicConstraints::OID) {
            match BasicConstraints::from_der(bc) {
                Ok(b) if b.ca => return not("it is a certificate authority".into()),
                Ok(_) => {}
                Err(_) => return not("its basic constraints cannot be read".into()),
            }
        }
        if let Some(ku) = read(KeyUsage::OID) {
            match KeyUsage::from_der(ku) {
                Ok(k) if k.digital_signature() => {}
                Ok(_) => return not("its key usage does not allow digital signatures".into()),
                Err(_) => return not("its key usage cannot be read".into()),
            }
        }
        if !self.code_signing {
            return not("its extended key usage does not allow code signing".into());
        }
        Ok(())
    }

    /// Whether `at` falls within the certificate's validity, both ends included.
    pub fn valid_at(&self, at: Timestamp) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    /// The certificate authority of `authorities` that issued this certificate, judged at `at`:
    /// the authority's window contains `at`, each certificate of its chain is valid at `at` and
    /// signed by the next, and the first one signed this certificate.
    pub fn issued_by<'a>(
        &self,
        authorities: &'a [CertificateAuthority],
        at: Timestamp,
    ) -> Result<&'a CertificateAuthority, CertError> {
        let mut tried = Vec::new();
        for ca in authorities {
            match chain_holds(&self.der, &self.cert, ca, at) {
                Ok(()) => return Ok(ca),
                Err(why) => tried.push(format!("{}: {why}", ca.uri)),
            }
        }
        Err(CertError::Untrusted {
            at: at.to_rfc3339(),
            tried,
        })
    }
}

impl SigningCertificate {
    /// The authority of `authorities` whose first certificate is named as this certificate's
    /// issuer, whether or not its signature holds: whose key an SCT must name even when the
    /// chain is broken, so that the SCTs are still judged and reported.
    pub fn named_issuer<'a>(
        &self,
        authorities: &'a [CertificateAuthority],
    ) -> Option<&'a CertificateAuthority> {
        authorities.iter().find(|ca| {
            ca.chain.first().is_some_and(|der| {
                Certificate::from_der(der)
                    .is_ok_and(|c| c.tbs_certificate.subject == self.cert.tbs_certificate.issuer)
            })
        })
    }
}

/// The DER SubjectPublicKeyInfo of a DER certificate (the issuer key an SCT names by hash).
pub fn subject_public_key_info(der: &[u8]) -> Result<Vec<u8>, CertError> {
    let c = Certificate::from_der(der).map_err(malformed)?;
    c.tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(malformed)
}

/// Whether the DER certificate names itself as its issuer (a root). A bundle's chain must not
/// carry one: trust comes from the trusted root, never from the bundle (the conformance suite's
/// `bundle-with-root-cert_fail`).
pub fn is_self_issued(der: &[u8]) -> Result<bool, CertError> {
    let c = Certificate::from_der(der).map_err(malformed)?;
    Ok(c.tbs_certificate.issuer == c.tbs_certificate.subject)
}

fn chain_holds(
    leaf_der: &[u8],
    leaf: &Certificate,
    ca: &CertificateAuthority,
    at: Timestamp,
) -> Result<(), String> {
    if !ca.valid_for.contains(at) {
        return Err("outside its validFor window".into());
    }
    let chain = ca
        .chain
        .iter()
        .map(|d| Certificate::from_der(d).map_err(|e| format!("its chain does not parse: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut child = leaf;
    for (i, parent) in chain.iter().enumerate() {
        let v = &parent.tbs_certificate.validity;
        if at < time_of(&v.not_before) || at > time_of(&v.not_after) {
            return Err(format!(
                "{} is not valid at {at}",
                parent.tbs_certificate.subject
            ));
        }
        if child.tbs_certificate.issuer != parent.tbs_certificate.subject {
            return Err(format!(
                "{} is not the issuer {}",
                parent.tbs_certificate.subject, child.tbs_certificate.issuer
            ));
        }
        match i {
            0 => verify_signed_by(leaf_der, child, parent).map_err(|e| e.to_string())?,
            _ => link_holds(&ca.chain[i - 1], &ca.chain[i], child, parent)?,
        }
        child = parent;
    }
    Ok(())
}

/// Whether `parent` signed `child`, both of a trusted root's chain: the same few links are
/// met by every bundle, so each is checked once per process. A signature over fixed bytes
/// verifies or not forever; the windows are still judged at every use, by the caller.
fn link_holds(
    child_der: &[u8],
    parent_der: &[u8],
    child: &Certificate,
    parent: &Certificate,
) -> Result<(), String> {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static HELD: OnceLock<Mutex<HashSet<[u8; 32]>>> = OnceLock::new();
    let key = {
        let mut bytes = Vec::with_capacity(child_der.len() + parent_der.len() + 8);
        bytes.extend((child_der.len() as u64).to_be_bytes());
        bytes.extend(child_der);
        bytes.extend(parent_der);
        let d = strongroom_core::HashAlg::Sha256.hash(&bytes);
        let mut k = [0u8; 32];
        k.copy_from_slice(d.as_bytes());
        k
    };
    let held = HELD.get_or_init(Default::default);
    if held
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&key)
    {
        return Ok(());
    }
    verify_signed_by(child_der, child, parent).map_err(|e| e.to_string())?;
    held.lock().unwrap_or_else(|e| e.into_inner()).insert(key);
    Ok(())
}

/// Checks that `issuer`'s key signed `cert`.
/// The bytes of the first element inside a DER SEQUENCE: a certificate's `tbsCertificate` as
/// it was signed (re-encoding a parsed one could change bytes a signer encoded otherwise).
pub(crate) fn tbs_bytes(der: &[u8]) -> Result<&[u8], CertError> {
    fn tlv(b: &[u8]) -> Option<(usize, usize)> {
        // (header length, content length)
        let first = *b.get(1)?;
        if first < 0x80 {
            return Some((2, first as usize));
        }
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, x| (acc << 8) | *x as usize);
        Some((2 + n, len))
    }
    let bad = || malformed("the certificate is not a DER SEQUENCE");
    if der.first() != Some(&0x30) {
        return Err(bad());
    }
    let (h, _) = tlv(der).ok_or_else(bad)?;
    let inner = der.get(h..).ok_or_else(bad)?;
    let (ih, ilen) = tlv(inner).ok_or_else(bad)?;
    inner.get(..ih + ilen).ok_or_else(bad)
}

/// Verifies that `issuer` signed `cert` (whose DER is `cert_der`): over the TBS bytes as they
/// are, with the algorithm the certificate names, which must be the issuer key's family.
pub(crate) fn verify_signed_by(
    cert_der: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<(), CertError> {
    let key = spki_key(issuer)?;
    let tbs = tbs_bytes(cert_der)?;
    let sig = cert
        .signature
        .as_bytes()
        .ok_or_else(|| malformed("the signature is not whole bytes"))?;
    let oid = cert.signature_algorithm.oid;
    let hash = match oid {
        ECDSA_SHA256 | RSA_SHA256 => Some(HashAlg::Sha256),
        ECDSA_SHA384 | RSA_SHA384 => Some(HashAlg::Sha384),
        ECDSA_SHA512 | RSA_SHA512 => Some(HashAlg::Sha512),
        ED25519 => None,
        other => return Err(CertError::Algorithm(other.to_string())),
    };
    let family_matches = match &key {
        PublicKey::P256(_) | PublicKey::P384(_) => {
            matches!(oid, ECDSA_SHA256 | ECDSA_SHA384 | ECDSA_SHA512)
        }
        PublicKey::Rsa(_) => matches!(oid, RSA_SHA256 | RSA_SHA384 | RSA_SHA512),
        PublicKey::Ed25519(_) => oid == ED25519,
    };
    if !family_matches {
        return Err(CertError::Algorithm(format!(
            "{oid} does not go with the issuer's key"
        )));
    }
    let verified = match hash {
        Some(h) => key.verify_prehashed(&h.hash(tbs), sig),
        None => key.verify(tbs, sig),
    };
    verified.map_err(|e| CertError::Key(format!("its signature does not verify: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_leaf() -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/sigstore/keyless/bundle.v3.sigstore");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        crate::bundle::decode_base64(
            v["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap(),
        )
        .unwrap()
    }

    /// The TBS is taken from the bytes as signed, and equals a canonical re-encoding here.
    #[test]
    fn the_tbs_is_the_signed_bytes() {
        let der = fixture_leaf();
        let cert = Certificate::from_der(&der).unwrap();
        assert_eq!(
            tbs_bytes(&der).unwrap(),
            cert.tbs_certificate.to_der().unwrap()
        );
        assert!(tbs_bytes(&der[1..]).is_err());
        assert!(tbs_bytes(&der[..10]).is_err());
    }

    /// A signature algorithm of another family than the issuer's key is refused before any
    /// verification (an RSA OID on a certificate an EC key issued).
    #[test]
    fn the_signature_algorithm_must_fit_the_issuer_key() {
        let der = fixture_leaf();
        let mut cert = Certificate::from_der(&der).unwrap();
        let issuer = cert.clone();
        cert.signature_algorithm.oid = RSA_SHA256;
        let err = verify_signed_by(&der, &cert, &issuer).unwrap_err();
        assert!(err.to_string().contains("does not go with"), "{err}");
    }
}
