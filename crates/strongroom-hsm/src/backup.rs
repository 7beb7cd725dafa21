//! Key backup on the token itself: a backup-able private key leaves its token only wrapped
//! (`CKM_AES_KEY_WRAP_PAD`) under a one-time AES-256 key that the security officer marks trusted
//! (`CKA_TRUSTED`, which `CKA_WRAP_WITH_TRUSTED` keys demand), and comes back by unwrapping into
//! a token, with its public half recreated from the backed-up public key and checked by a
//! signature. The wrapping key's bytes come from, and return to, `strongroom_core::backup`; here
//! they live only as session objects that are destroyed before the session ends.

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use rand_core::{OsRng, RngCore};
use secrecy::SecretString;
use strongroom_core::keys::RawPublicParts;
use strongroom_core::{Algorithm, PublicKey};
use zeroize::Zeroizing;

use crate::admin::so_login;
use crate::error::HsmError;
use crate::keys::{self, KeySelector, TokenKey};
use crate::module::Module;
use crate::token::{self, TokenInfo, TokenSelector};

const WRAP_MECHANISM: &str = "AES_KEY_WRAP_PAD";

/// A private key wrapped for a backup, and the key as the token described it.
pub struct WrappedKey {
    pub key: TokenKey,
    pub wrapped: Vec<u8>,
}

/// What a restored key must be: its public key, and the label and `CKA_ID` to give it.
pub struct RestoreTarget<'a> {
    pub label: &'a str,
    pub id: &'a [u8],
    pub public_key: &'a PublicKey,
}

fn require_wrap(token: &TokenInfo, alg: Algorithm) -> Result<(), HsmError> {
    if token.supports(WRAP_MECHANISM) {
        Ok(())
    } else {
        Err(HsmError::MechanismUnsupported {
            alg: alg.to_string(),
            mechanism: format!("CKM_{WRAP_MECHANISM}"),
        })
    }
}

/// What a session AES key is made for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KekUse {
    /// Wrapping `CKA_WRAP_WITH_TRUSTED` keys: trusted, so made by the security officer.
    TrustedWrap,
    /// Wrapping a throw-away key, as the user (the generation probe).
    Wrap,
    Unwrap,
}

/// An AES-256 session key holding `value`.
fn aes_session_key(
    session: &Session,
    value: &[u8; 32],
    kek_use: KekUse,
) -> Result<ObjectHandle, HsmError> {
    let wrap = kek_use != KekUse::Unwrap;
    let mut t = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(false),
        Attribute::Decrypt(false),
        Attribute::Wrap(wrap),
        Attribute::Unwrap(!wrap),
        Attribute::Value(value.to_vec()),
    ];
    if kek_use == KekUse::TrustedWrap {
        // Only the security officer may set CKA_TRUSTED; an SO creates public objects only.
        t.push(Attribute::Private(false));
        t.push(Attribute::Trusted(true));
    } else {
        t.push(Attribute::Private(true));
    }
    session.create_object(&t).map_err(HsmError::from_ck)
}

fn not_wrappable(alg: Algorithm, e: CkError) -> HsmError {
    match e {
        CkError::Pkcs11(
            rv @ (RvError::KeyNotWrappable
            | RvError::KeyUnextractable
            | RvError::MechanismInvalid
            | RvError::KeyTypeInconsistent),
            _,
        ) => HsmError::NotWrappable {
            alg: alg.to_string(),
            detail: crate::error::rv_name(&rv),
        },
        other => HsmError::from_ck(other),
    }
}

/// Before a backup-able key is generated: whether this token can wrap a key of its kind at all
/// (SoftHSM 2.6 cannot wrap Ed25519). Tried on throw-away session objects.
pub(crate) fn probe_wrappable(
    session: &Session,
    token: &TokenInfo,
    alg: Algorithm,
    mechanism: &Mechanism,
    public_shape: &[Attribute],
) -> Result<(), HsmError> {
    require_wrap(token, alg)?;
    let mut public = vec![Attribute::Token(false), Attribute::Verify(true)];
    public.extend_from_slice(public_shape);
    let private = [
        Attribute::Token(false),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(true),
        Attribute::Sign(true),
    ];
    let (pub_h, priv_h) = session.generate_key_pair(mechanism, &public, &private)?;
    let mut value = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(value.as_mut());
    let result = aes_session_key(session, &value, KekUse::Wrap).and_then(|kek| {
        let r = session
            .wrap_key(&Mechanism::AesKeyWrapPad, kek, priv_h)
            .map(drop)
            .map_err(|e| not_wrappable(alg, e));
        let _ = session.destroy_object(kek);
        r
    });
    let _ = session.destroy_object(priv_h);
    let _ = session.destroy_object(pub_h);
    result
}

impl Module {
    /// Wraps a backup-able private key under `kek`: the security officer makes `kek` a trusted
    /// session key, then the user finds the key and wraps it. Both log out before this returns.
    pub fn wrap_key(
        &self,
        token: &TokenSelector,
        key: &KeySelector,
        so_pin: &SecretString,
        user_pin: &SecretString,
        kek: &[u8; 32],
    ) -> Result<WrappedKey, HsmError> {
        let (slot, session) = self.rw_session(token)?;
        let info = token::token_info(self.ctx(), slot)?;
        so_login(&session, so_pin)?;
        let kek_h = aes_session_key(&session, kek, KekUse::TrustedWrap);
        let _ = session.logout();
        let kek_h = kek_h?;
        let result = (|| {
            self.user_login(slot, &session, user_pin)?;
            let h = keys::find_handle(&session, &info, key)?;
            let found = keys::read_key(&session, &info, h, None)?;
            if !found.attributes.backupable() {
                return Err(HsmError::NotBackupable {
                    key: found.describe(),
                    protection: found.attributes.protection().to_owned(),
                });
            }
            require_wrap(&info, found.algorithm)?;
            let wrapped = session
                .wrap_key(&Mechanism::AesKeyWrapPad, kek_h, h)
                .map_err(|e| not_wrappable(found.algorithm, e))?;
            Ok(WrappedKey {
                key: found,
                wrapped,
            })
        })();
        let _ = session.destroy_object(kek_h);
        let _ = session.logout();
        result
    }

    /// Unwraps `wrapped` under `kek` into `token` as `target` says (sensitive, backup-able
    /// again), recreates its public key object, and checks the pair with a signature. Nothing is
    /// left on the token if any step fails.
    pub fn unwrap_key(
        &self,
        token: &TokenSelector,
        user_pin: &SecretString,
        kek: &[u8; 32],
        wrapped: &[u8],
        target: &RestoreTarget<'_>,
    ) -> Result<TokenKey, HsmError> {
        let (slot, session) = self.rw_session(token)?;
        let info = token::token_info(self.ctx(), slot)?;
        let alg = target.public_key.algorithm();
        require_wrap(&info, alg)?;
        self.user_login(slot, &session, user_pin)?;
        let result = unwrap_into(&session, &info, kek, wrapped, target);
        let _ = session.logout();
        result
    }
}

fn unwrap_into(
    session: &Session,
    info: &TokenInfo,
    kek: &[u8; 32],
    wrapped: &[u8],
    target: &RestoreTarget<'_>,
) -> Result<TokenKey, HsmError> {
    let describe = || crate::error::describe_object(target.label, target.id);
    for probe in [
        Attribute::Label(target.label.as_bytes().to_vec()),
        Attribute::Id(target.id.to_vec()),
    ] {
        if !session.find_objects(&[probe])?.is_empty() {
            return Err(HsmError::RestoreTargetTaken { key: describe() });
        }
    }
    let alg = target.public_key.algorithm();
    let key_type = match alg {
        Algorithm::Ed25519 => KeyType::EC_EDWARDS,
        Algorithm::EcdsaP256 | Algorithm::EcdsaP384 => KeyType::EC,
        Algorithm::Rsa(_) => KeyType::RSA,
    };
    let label = Attribute::Label(target.label.as_bytes().to_vec());
    let id = Attribute::Id(target.id.to_vec());
    // Sensitive(true) always: a token's unwrap default may be a readable key.
    let private = [
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::KeyType(key_type),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(true),
        Attribute::WrapWithTrusted(true),
        Attribute::Sign(true),
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        label.clone(),
        id.clone(),
    ];
    let kek_h = aes_session_key(session, kek, KekUse::Unwrap)?;
    let unwrapped = session.unwrap_key(&Mechanism::AesKeyWrapPad, kek_h, wrapped, &private);
    let _ = session.destroy_object(kek_h);
    let priv_h = unwrapped.map_err(|e| HsmError::RestoredKeyMismatch {
        reason: format!("the token could not unwrap it: {}", HsmError::from_ck(e)),
    })?;
    let mut public = vec![
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(key_type),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Encrypt(false),
        Attribute::Wrap(false),
        label,
        id,
    ];
    match target.public_key.raw_parts() {
        RawPublicParts::Point(p) => {
            public.push(Attribute::EcParams(
                keys::ec_params(alg)
                    .expect("curve keys have parameters")
                    .to_vec(),
            ));
            // CKA_EC_POINT is the DER OCTET STRING of the point (short form: ≤ 97 bytes here).
            let mut der = vec![0x04, u8::try_from(p.len()).expect("points are short")];
            der.extend(p);
            public.push(Attribute::EcPoint(der));
        }
        RawPublicParts::Rsa { modulus, exponent } => {
            public.push(Attribute::Modulus(modulus));
            public.push(Attribute::PublicExponent(exponent));
        }
    }
    let pub_h = match session.create_object(&public) {
        Ok(h) => h,
        Err(e) => {
            let _ = session.destroy_object(priv_h);
            return Err(HsmError::from_ck(e));
        }
    };
    let checked = check_pair(session, info, priv_h, pub_h, target);
    if checked.is_err() {
        let _ = session.destroy_object(priv_h);
        let _ = session.destroy_object(pub_h);
    }
    checked
}

/// The restored private key signs, the recreated public key verifies it, and that public key
/// is the backed-up one.
fn check_pair(
    session: &Session,
    info: &TokenInfo,
    priv_h: ObjectHandle,
    pub_h: ObjectHandle,
    target: &RestoreTarget<'_>,
) -> Result<TokenKey, HsmError> {
    let key = keys::read_key(session, info, priv_h, Some(pub_h))?;
    if key.public_key != *target.public_key {
        return Err(HsmError::RestoredKeyMismatch {
            reason: "the token reads back another public key".into(),
        });
    }
    let mut data = vec![0u8; 48];
    OsRng.fill_bytes(&mut data);
    let mechanism = match key.algorithm {
        Algorithm::Ed25519 => Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
        Algorithm::EcdsaP256 => {
            data.truncate(32);
            Mechanism::Ecdsa
        }
        Algorithm::EcdsaP384 => Mechanism::Ecdsa,
        Algorithm::Rsa(_) => Mechanism::Sha256RsaPkcs,
    };
    let sig = session.sign(&mechanism, priv_h, &data)?;
    session
        .verify(&mechanism, pub_h, &data, &sig)
        .map_err(|e| HsmError::RestoredKeyMismatch {
            reason: format!(
                "a signature by the unwrapped key does not verify with the backed-up public key ({})",
                HsmError::from_ck(e)
            ),
        })?;
    Ok(key)
}
