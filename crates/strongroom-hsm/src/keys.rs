//! Key objects on a token: generation with locked-down templates, reading public keys and
//! protection attributes back, finding keys by label/id/URI, and listing keys other tools made.
//!
//! Everything here runs on the session's worker thread, with a logged-in `cryptoki::Session`.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{
    Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::Session;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use strongroom_core::{Algorithm, PublicKey};

use crate::error::{describe_object, HsmError};
use crate::token::TokenInfo;
use crate::uri::Pkcs11Uri;

/// DER `OBJECT IDENTIFIER 1.3.101.112` (Ed25519), the `CKA_EC_PARAMS` SoftHSM and OpenSC use.
const PARAMS_ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// DER `PrintableString "edwards25519"`, the older PKCS#11 3.0 spelling.
const PARAMS_ED25519_NAME: &[u8] = b"\x13\x0cedwards25519";
/// DER `OBJECT IDENTIFIER 1.2.840.10045.3.1.7` (prime256v1).
const PARAMS_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER `OBJECT IDENTIFIER 1.3.132.0.34` (secp384r1).
const PARAMS_P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

/// Length of the random `CKA_ID` given to generated keys.
const ID_LEN: usize = 16;

/// The protection attributes of a private key, as the token reports them. An attribute the token
/// does not report reads as the unsafe value (e.g. `extractable: true`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyAttributes {
    /// Generated on the token (`CKA_LOCAL`).
    pub local: bool,
    pub never_extractable: bool,
    pub always_sensitive: bool,
    pub sensitive: bool,
    pub extractable: bool,
    pub sign: bool,
    pub decrypt: bool,
    /// Wrappable only under a key the security officer marked trusted (`CKA_WRAP_WITH_TRUSTED`).
    /// Absent from records older than key backups: read as `false`.
    #[serde(default)]
    pub wrap_with_trusted: bool,
}

impl KeyAttributes {
    /// Each attribute with its PKCS#11 name, in the order a person reads them.
    pub fn named(&self) -> [(&'static str, bool); 8] {
        [
            ("CKA_LOCAL", self.local),
            ("CKA_NEVER_EXTRACTABLE", self.never_extractable),
            ("CKA_ALWAYS_SENSITIVE", self.always_sensitive),
            ("CKA_SENSITIVE", self.sensitive),
            ("CKA_EXTRACTABLE", self.extractable),
            ("CKA_SIGN", self.sign),
            ("CKA_DECRYPT", self.decrypt),
            ("CKA_WRAP_WITH_TRUSTED", self.wrap_with_trusted),
        ]
    }

    /// The private key was made on the token and can never leave it in the clear.
    pub fn hardware_bound(&self) -> bool {
        self.local
            && self.never_extractable
            && self.always_sensitive
            && self.sensitive
            && !self.extractable
    }

    /// The private key can leave the token only wrapped, under a key the security officer
    /// trusted, and never in the clear: what a backup-able key is.
    pub fn backupable(&self) -> bool {
        self.sensitive && self.extractable && self.wrap_with_trusted
    }

    /// How a person reads the key's protection.
    pub fn protection(&self) -> &'static str {
        if self.hardware_bound() {
            "never extractable"
        } else if self.backupable() {
            "backup-able (wraps only under an SO-trusted key)"
        } else if self.sensitive && !self.extractable {
            "not extractable"
        } else {
            "extractable"
        }
    }
}

/// How a new token key may leave its token, decided when it is generated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyProtection {
    /// Never extractable: it lives and dies with the token (the default).
    #[default]
    NeverExtractable,
    /// Sensitive, extractable only wrapped under a trusted key: `key backup` can back it up.
    Backupable,
}

/// A private key on a token, with its public half.
#[derive(Clone, Debug)]
pub struct TokenKey {
    /// `CKA_LABEL`.
    pub label: String,
    /// `CKA_ID`, shared by the private and public key objects.
    pub id: Vec<u8>,
    pub algorithm: Algorithm,
    pub public_key: PublicKey,
    pub attributes: KeyAttributes,
    /// `pkcs11:token=…;object=…;id=…;type=private` (never a PIN).
    pub uri: String,
    pub token_label: String,
    pub token_serial: String,
}

impl TokenKey {
    pub fn id_hex(&self) -> String {
        hex::encode(&self.id)
    }

    /// `label (id …)`, as used in error messages.
    pub fn describe(&self) -> String {
        describe_object(&self.label, &self.id)
    }
}

/// A private key object Strongroom cannot use (unsupported type or curve, unreadable public key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnusableKey {
    pub label: String,
    pub id_hex: String,
    pub reason: String,
}

/// Every private key on a token.
#[derive(Clone, Debug, Default)]
pub struct KeyListing {
    pub keys: Vec<TokenKey>,
    pub unusable: Vec<UnusableKey>,
}

/// How to name a key.
#[derive(Clone, Debug)]
pub enum KeySelector {
    Label(String),
    Id(Vec<u8>),
    /// `object`, `id` and `type` are used; token attributes must name the session's token.
    Uri(Box<Pkcs11Uri>),
    /// Label and id together (what a stored [`TokenKey`] is found again by).
    Exact {
        label: String,
        id: Vec<u8>,
    },
}

impl From<&str> for KeySelector {
    fn from(label: &str) -> Self {
        KeySelector::Label(label.to_owned())
    }
}

impl From<&Pkcs11Uri> for KeySelector {
    fn from(uri: &Pkcs11Uri) -> Self {
        KeySelector::Uri(Box::new(uri.without_pin_value()))
    }
}

impl From<&TokenKey> for KeySelector {
    fn from(key: &TokenKey) -> Self {
        KeySelector::Exact {
            label: key.label.clone(),
            id: key.id.clone(),
        }
    }
}

impl KeySelector {
    fn describe(&self) -> String {
        match self {
            KeySelector::Label(l) => format!("label {l:?}"),
            KeySelector::Id(id) => format!("id {}", hex::encode(id)),
            KeySelector::Uri(u) => u.to_string(),
            KeySelector::Exact { label, id } => describe_object(label, id),
        }
    }

    fn template(&self, token: &TokenInfo) -> Result<Vec<Attribute>, HsmError> {
        let mut t = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
        match self {
            KeySelector::Label(l) => t.push(Attribute::Label(l.as_bytes().to_vec())),
            KeySelector::Id(id) => t.push(Attribute::Id(id.clone())),
            KeySelector::Exact { label, id } => {
                t.push(Attribute::Label(label.as_bytes().to_vec()));
                t.push(Attribute::Id(id.clone()));
            }
            KeySelector::Uri(u) => {
                u.require_private_key()?;
                let mismatch = |uri_value: &str, have: &str| {
                    (uri_value != have).then(|| HsmError::TokenMismatch {
                        uri_token: uri_value.to_owned(),
                        session_token: token.label.clone(),
                    })
                };
                if let Some(e) = u.token.as_deref().and_then(|l| mismatch(l, &token.label)) {
                    return Err(e);
                }
                if let Some(e) = u.serial.as_deref().and_then(|s| mismatch(s, &token.serial)) {
                    return Err(e);
                }
                if let Some(l) = &u.object {
                    t.push(Attribute::Label(l.as_bytes().to_vec()));
                }
                if let Some(id) = &u.id {
                    t.push(Attribute::Id(id.clone()));
                }
            }
        }
        Ok(t)
    }
}

/// The `CKA_EC_PARAMS` for an algorithm's curve.
pub(crate) fn ec_params(alg: Algorithm) -> Option<&'static [u8]> {
    match alg {
        Algorithm::Ed25519 => Some(PARAMS_ED25519),
        Algorithm::EcdsaP256 => Some(PARAMS_P256),
        Algorithm::EcdsaP384 => Some(PARAMS_P384),
        Algorithm::Rsa(_) => None,
    }
}

fn require_mechanism(token: &TokenInfo, alg: Algorithm, mechanism: &str) -> Result<(), HsmError> {
    if token.supports(mechanism) {
        Ok(())
    } else {
        Err(HsmError::MechanismUnsupported {
            alg: alg.to_string(),
            mechanism: format!("CKM_{mechanism}"),
        })
    }
}

/// Generates a key pair on the token with the templates of `docs/hsm-recipe.md`, then reads it
/// back and checks the token honoured them.
pub(crate) fn generate(
    session: &Session,
    token: &TokenInfo,
    alg: Algorithm,
    label: &str,
    protection: KeyProtection,
) -> Result<TokenKey, HsmError> {
    if label.is_empty() || label.len() > 255 {
        return Err(HsmError::InvalidLabel {
            label: label.to_owned(),
        });
    }
    let (mechanism, shape) = match alg {
        Algorithm::Ed25519 => {
            require_mechanism(token, alg, "EC_EDWARDS_KEY_PAIR_GEN")?;
            require_mechanism(token, alg, "EDDSA")?;
            (Mechanism::EccEdwardsKeyPairGen, None)
        }
        Algorithm::EcdsaP256 | Algorithm::EcdsaP384 => {
            require_mechanism(token, alg, "EC_KEY_PAIR_GEN")?;
            require_mechanism(token, alg, "ECDSA")?;
            (Mechanism::EccKeyPairGen, None)
        }
        Algorithm::Rsa(bits) => {
            if !(2048..=16384).contains(&bits) {
                return Err(HsmError::MechanismUnsupported {
                    alg: alg.to_string(),
                    mechanism: "RSA keys of this size".into(),
                });
            }
            require_mechanism(token, alg, "RSA_PKCS_KEY_PAIR_GEN")?;
            require_mechanism(token, alg, "RSA_PKCS_PSS")?;
            (Mechanism::RsaPkcsKeyPairGen, Some(bits))
        }
    };
    let label_attr = Attribute::Label(label.as_bytes().to_vec());
    if !session
        .find_objects(std::slice::from_ref(&label_attr))?
        .is_empty()
    {
        return Err(HsmError::LabelInUse {
            label: label.to_owned(),
        });
    }
    if protection == KeyProtection::Backupable {
        crate::backup::probe_wrappable(session, token, alg, &mechanism, &public_shape(alg, shape))?;
    }
    let mut id = vec![0u8; ID_LEN];
    OsRng.fill_bytes(&mut id);

    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Encrypt(false),
        Attribute::Wrap(false),
        label_attr.clone(),
        Attribute::Id(id.clone()),
    ];
    public.extend(public_shape(alg, shape));
    let backupable = protection == KeyProtection::Backupable;
    let mut private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(backupable),
        Attribute::Sign(true),
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        label_attr,
        Attribute::Id(id),
    ];
    if backupable {
        private.push(Attribute::WrapWithTrusted(true));
    }
    let (pub_handle, priv_handle) = session.generate_key_pair(&mechanism, &public, &private)?;
    let destroy = || {
        let _ = session.destroy_object(priv_handle);
        let _ = session.destroy_object(pub_handle);
    };
    let key = match read_key(session, token, priv_handle, Some(pub_handle)) {
        Ok(k) => k,
        Err(e) => {
            destroy();
            return Err(e);
        }
    };
    let a = key.attributes;
    let honoured = match protection {
        KeyProtection::NeverExtractable => a.hardware_bound(),
        KeyProtection::Backupable => a.local && a.always_sensitive && a.backupable(),
    };
    if !honoured || !a.sign || a.decrypt {
        destroy();
        return Err(HsmError::TemplateNotHonoured {
            label: label.to_owned(),
            attributes: a,
        });
    }
    Ok(key)
}

/// The public key template's curve, or modulus size and exponent.
pub(crate) fn public_shape(alg: Algorithm, rsa_bits: Option<u32>) -> Vec<Attribute> {
    match (ec_params(alg), rsa_bits) {
        (Some(params), _) => vec![Attribute::EcParams(params.to_vec())],
        (None, Some(bits)) => vec![
            Attribute::ModulusBits(u64::from(bits).into()),
            Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
        ],
        (None, None) => unreachable!("every algorithm has a curve or a modulus size"),
    }
}

fn get(attrs: &[Attribute], ty: AttributeType) -> Option<&Attribute> {
    attrs.iter().find(|a| a.attribute_type() == ty)
}

pub(crate) fn get_bytes(attrs: &[Attribute], ty: AttributeType) -> Option<Vec<u8>> {
    match get(attrs, ty)? {
        Attribute::Label(v)
        | Attribute::Id(v)
        | Attribute::EcParams(v)
        | Attribute::EcPoint(v)
        | Attribute::Modulus(v)
        | Attribute::PublicExponent(v)
        | Attribute::PublicKeyInfo(v) => Some(v.clone()),
        _ => None,
    }
}

fn get_bool(attrs: &[Attribute], ty: AttributeType) -> Option<bool> {
    match get(attrs, ty)? {
        Attribute::Local(b)
        | Attribute::NeverExtractable(b)
        | Attribute::AlwaysSensitive(b)
        | Attribute::Sensitive(b)
        | Attribute::Extractable(b)
        | Attribute::Sign(b)
        | Attribute::Decrypt(b)
        | Attribute::WrapWithTrusted(b) => Some(*b),
        _ => None,
    }
}

pub(crate) fn read_attributes(
    session: &Session,
    handle: ObjectHandle,
) -> Result<KeyAttributes, HsmError> {
    let attrs = session.get_attributes(
        handle,
        &[
            AttributeType::Local,
            AttributeType::NeverExtractable,
            AttributeType::AlwaysSensitive,
            AttributeType::Sensitive,
            AttributeType::Extractable,
            AttributeType::Sign,
            AttributeType::Decrypt,
            AttributeType::WrapWithTrusted,
        ],
    )?;
    Ok(attributes_from(&attrs))
}

fn attributes_from(attrs: &[Attribute]) -> KeyAttributes {
    let b = |ty, unsafe_value| get_bool(attrs, ty).unwrap_or(unsafe_value);
    KeyAttributes {
        local: b(AttributeType::Local, false),
        never_extractable: b(AttributeType::NeverExtractable, false),
        always_sensitive: b(AttributeType::AlwaysSensitive, false),
        sensitive: b(AttributeType::Sensitive, false),
        extractable: b(AttributeType::Extractable, true),
        sign: b(AttributeType::Sign, false),
        decrypt: b(AttributeType::Decrypt, true),
        wrap_with_trusted: b(AttributeType::WrapWithTrusted, false),
    }
}

/// Strips the DER OCTET STRING PKCS#11 wraps `CKA_EC_POINT` in, if present. `lens` are the
/// lengths the raw point may have for the curve.
fn unwrap_ec_point<'a>(v: &'a [u8], lens: &[usize]) -> &'a [u8] {
    for &l in lens {
        if v.len() == l + 2 && v[0] == 0x04 && usize::from(v[1]) == l {
            return &v[2..];
        }
    }
    v
}

fn algorithm_of(key_type: KeyType, params: Option<&[u8]>) -> Result<Algorithm, String> {
    if key_type == KeyType::EC_EDWARDS {
        return match params {
            Some(PARAMS_ED25519) | Some(PARAMS_ED25519_NAME) => Ok(Algorithm::Ed25519),
            Some(p) => Err(format!("Edwards curve with parameters {}", hex::encode(p))),
            None => Err("Edwards key without CKA_EC_PARAMS".into()),
        };
    }
    if key_type == KeyType::EC {
        return match params {
            Some(PARAMS_P256) => Ok(Algorithm::EcdsaP256),
            Some(PARAMS_P384) => Ok(Algorithm::EcdsaP384),
            Some(p) => Err(format!("unsupported curve (parameters {})", hex::encode(p))),
            None => Err("EC key without CKA_EC_PARAMS".into()),
        };
    }
    if key_type == KeyType::RSA {
        return Ok(Algorithm::Rsa(0));
    }
    Err(format!("unsupported key type {key_type}"))
}

/// The public key held in an object's attributes (a public key object, or a private key that
/// exposes its public parts).
fn public_from(alg: Algorithm, attrs: &[Attribute]) -> Option<PublicKey> {
    match alg {
        Algorithm::Rsa(_) => {
            let n = get_bytes(attrs, AttributeType::Modulus)?;
            let e = get_bytes(attrs, AttributeType::PublicExponent)?;
            PublicKey::rsa_from_components(&n, &e).ok()
        }
        _ => {
            if let Some(point) = get_bytes(attrs, AttributeType::EcPoint) {
                let lens: &[usize] = match alg {
                    Algorithm::Ed25519 => &[32],
                    Algorithm::EcdsaP256 => &[65, 33],
                    _ => &[97, 49],
                };
                return PublicKey::from_raw_point(alg, unwrap_ec_point(&point, lens)).ok();
            }
            let spki = get_bytes(attrs, AttributeType::PublicKeyInfo)?;
            PublicKey::from_spki_der(&spki)
                .ok()
                .filter(|k| k.algorithm() == alg)
        }
    }
}

const KEY_ATTRS: [AttributeType; 16] = [
    AttributeType::Label,
    AttributeType::Id,
    AttributeType::KeyType,
    AttributeType::EcParams,
    AttributeType::EcPoint,
    AttributeType::Modulus,
    AttributeType::PublicExponent,
    AttributeType::PublicKeyInfo,
    AttributeType::Local,
    AttributeType::NeverExtractable,
    AttributeType::AlwaysSensitive,
    AttributeType::Sensitive,
    AttributeType::Extractable,
    AttributeType::Sign,
    AttributeType::Decrypt,
    AttributeType::WrapWithTrusted,
];

const PUBLIC_ATTRS: [AttributeType; 6] = [
    AttributeType::Label,
    AttributeType::EcParams,
    AttributeType::EcPoint,
    AttributeType::Modulus,
    AttributeType::PublicExponent,
    AttributeType::PublicKeyInfo,
];

/// Reads a private key object into a [`TokenKey`]. The public key comes from `public` if given,
/// else from the public key object with the same `CKA_ID` (preferring one with the same label;
/// for RSA the modulus must match), else from the private key's own attributes.
pub(crate) fn read_key(
    session: &Session,
    token: &TokenInfo,
    private: ObjectHandle,
    public: Option<ObjectHandle>,
) -> Result<TokenKey, HsmError> {
    read_key_or_reason(session, token, private, public)?
        .map_err(|(label, reason)| HsmError::UnsupportedKey { label, reason })
}

type KeyOrReason = Result<TokenKey, (String, String)>;

fn read_key_or_reason(
    session: &Session,
    token: &TokenInfo,
    private: ObjectHandle,
    public: Option<ObjectHandle>,
) -> Result<KeyOrReason, HsmError> {
    let attrs = session.get_attributes(private, &KEY_ATTRS)?;
    let label = get_bytes(&attrs, AttributeType::Label)
        .map(|l| String::from_utf8_lossy(&l).into_owned())
        .unwrap_or_default();
    let id = get_bytes(&attrs, AttributeType::Id).unwrap_or_default();
    let Some(Attribute::KeyType(key_type)) = get(&attrs, AttributeType::KeyType) else {
        return Ok(Err((
            label,
            "the token does not report its key type".into(),
        )));
    };
    let params = get_bytes(&attrs, AttributeType::EcParams);
    let alg = match algorithm_of(*key_type, params.as_deref()) {
        Ok(a) => a,
        Err(reason) => return Ok(Err((label, reason))),
    };
    let private_modulus = get_bytes(&attrs, AttributeType::Modulus);

    let candidates = match public {
        Some(h) => vec![h],
        None => session.find_objects(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(*key_type),
            Attribute::Id(id.clone()),
        ])?,
    };
    let mut found: Vec<(bool, PublicKey)> = Vec::new();
    for h in candidates {
        let pattrs = session.get_attributes(h, &PUBLIC_ATTRS)?;
        // Same CKA_ID is not proof of a pair: the curve (or the RSA modulus) must match too.
        // Compare curves by meaning: SoftHSM gives an Ed25519 public key the OID but its private
        // key the name "edwards25519".
        if let Some(p) = get_bytes(&pattrs, AttributeType::EcParams) {
            if algorithm_of(*key_type, Some(&p)) != Ok(alg) {
                continue;
            }
        }
        if let (Some(a), Some(b)) = (&private_modulus, get_bytes(&pattrs, AttributeType::Modulus)) {
            if *a != b {
                continue;
            }
        }
        if let Some(pk) = public_from(alg, &pattrs) {
            let same_label =
                get_bytes(&pattrs, AttributeType::Label).as_deref() == Some(label.as_bytes());
            found.push((same_label, pk));
        }
    }
    found.sort_by_key(|(same_label, _)| !*same_label);
    let public_key = match found.into_iter().next() {
        Some((_, pk)) => pk,
        None => match public_from(alg, &attrs) {
            Some(pk) => pk,
            None => {
                return Ok(Err((
                    label,
                    "no public key object with the same CKA_ID, and the private key does not \
                     expose its public part"
                        .into(),
                )))
            }
        },
    };
    let mut uri = Pkcs11Uri::for_private_key(&token.label, &label, &id);
    if id.is_empty() {
        uri.id = None;
    }
    Ok(Ok(TokenKey {
        algorithm: public_key.algorithm(),
        public_key,
        attributes: attributes_from(&attrs),
        uri: uri.to_string(),
        label,
        id,
        token_label: token.label.clone(),
        token_serial: token.serial.clone(),
    }))
}

/// Every private key object on the token.
pub(crate) fn list(session: &Session, token: &TokenInfo) -> Result<KeyListing, HsmError> {
    let handles = session.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])?;
    let mut listing = KeyListing::default();
    for h in handles {
        match read_key_or_reason(session, token, h, None)? {
            Ok(k) => listing.keys.push(k),
            Err((label, reason)) => {
                let id = session
                    .get_attributes(h, &[AttributeType::Id])?
                    .first()
                    .and_then(|a| match a {
                        Attribute::Id(v) => Some(hex::encode(v)),
                        _ => None,
                    })
                    .unwrap_or_default();
                listing.unusable.push(UnusableKey {
                    label,
                    id_hex: id,
                    reason,
                })
            }
        }
    }
    Ok(listing)
}

/// The handle of the one private key matching `selector`.
pub(crate) fn find_handle(
    session: &Session,
    token: &TokenInfo,
    selector: &KeySelector,
) -> Result<ObjectHandle, HsmError> {
    let handles = session.find_objects(&selector.template(token)?)?;
    match handles.len() {
        0 => Err(HsmError::KeyNotFound {
            wanted: selector.describe(),
        }),
        1 => Ok(handles[0]),
        _ => {
            let mut matches = Vec::new();
            for h in handles {
                let attrs =
                    session.get_attributes(h, &[AttributeType::Label, AttributeType::Id])?;
                let label = get_bytes(&attrs, AttributeType::Label)
                    .map(|l| String::from_utf8_lossy(&l).into_owned())
                    .unwrap_or_default();
                let id = get_bytes(&attrs, AttributeType::Id).unwrap_or_default();
                matches.push(describe_object(&label, &id));
            }
            Err(HsmError::AmbiguousKey {
                wanted: selector.describe(),
                matches,
            })
        }
    }
}

pub(crate) fn find(
    session: &Session,
    token: &TokenInfo,
    selector: &KeySelector,
) -> Result<TokenKey, HsmError> {
    let h = find_handle(session, token, selector)?;
    read_key(session, token, h, None)
}

/// Whether the token hands out any secret part of the private key (`CKA_VALUE`, or for RSA
/// `CKA_PRIVATE_EXPONENT` / `CKA_PRIME_1`). For a sensitive key the answer must be `false`.
pub(crate) fn private_value_exposed(
    session: &Session,
    handle: ObjectHandle,
) -> Result<bool, HsmError> {
    let secret = [
        AttributeType::Value,
        AttributeType::PrivateExponent,
        AttributeType::Prime1,
    ];
    let info = session.get_attribute_info(handle, &secret)?;
    let values = session.get_attributes(handle, &secret)?;
    let shown = values.iter().any(|a| match a {
        Attribute::Value(v) | Attribute::PrivateExponent(v) | Attribute::Prime1(v) => !v.is_empty(),
        _ => false,
    });
    let available = info
        .iter()
        .any(|i| matches!(i, AttributeInfo::Available(n) if *n > 0));
    Ok(shown || available)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_point_unwrapping_is_length_checked() {
        let mut wrapped = vec![0x04, 0x20];
        wrapped.extend([7u8; 32]);
        assert_eq!(unwrap_ec_point(&wrapped, &[32]), &[7u8; 32]);
        // A raw 32-byte Ed25519 key that happens to start with 04 1e is left alone.
        let mut raw = vec![0x04, 0x1e];
        raw.extend([9u8; 30]);
        assert_eq!(unwrap_ec_point(&raw, &[32]), &raw[..]);
    }

    #[test]
    fn curves_are_recognised() {
        assert_eq!(
            algorithm_of(KeyType::EC_EDWARDS, Some(PARAMS_ED25519)),
            Ok(Algorithm::Ed25519)
        );
        assert_eq!(
            algorithm_of(KeyType::EC_EDWARDS, Some(PARAMS_ED25519_NAME)),
            Ok(Algorithm::Ed25519)
        );
        assert_eq!(
            algorithm_of(KeyType::EC, Some(PARAMS_P384)),
            Ok(Algorithm::EcdsaP384)
        );
        // secp256k1
        assert!(algorithm_of(
            KeyType::EC,
            Some(&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a])
        )
        .is_err());
        assert!(algorithm_of(KeyType::AES, None).is_err());
    }

    #[test]
    fn missing_attributes_read_as_unsafe() {
        let a = attributes_from(&[]);
        assert!(a.extractable && a.decrypt && !a.hardware_bound());
    }
}
