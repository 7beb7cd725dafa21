//! Key backup at the PKCS#11 level, against SoftHSM2: a backup-able key is wrapped under an
//! SO-trusted one-time key and unwrapped into a fresh token, where it is the same key (same
//! public key, same CKA_ID, as pkcs11-tool reads it) and signs; a never-extractable key is
//! refused, and so is a backup-able key of a kind the token cannot wrap.

use std::sync::Arc;

use secrecy::SecretString;
use strongroom_core::{Algorithm, Signer};
use strongroom_hsm::testing::{TestToken, SO_PIN, USER_PIN};
use strongroom_hsm::{
    HsmError, HsmSigner, KeyProtection, KeySelector, Module, RestoreTarget, TokenSelector,
    TokenSession,
};

fn pins() -> (SecretString, SecretString) {
    (SecretString::from(SO_PIN), SecretString::from(USER_PIN))
}

#[test]
fn backupable_keys_round_trip_into_a_fresh_token() {
    let t = TestToken::new("origin");
    t.add_token("fresh");
    let (so, user) = pins();
    let kek = [0x5au8; 32];
    for alg in [
        Algorithm::EcdsaP256,
        Algorithm::EcdsaP384,
        Algorithm::Rsa(3072),
    ] {
        let label = format!("backup-{alg}");
        let original = {
            let s = t.open_session();
            let k = s
                .generate_key_with(alg, &label, KeyProtection::Backupable)
                .unwrap();
            assert!(k.attributes.backupable(), "{:?}", k.attributes);
            assert!(!k.attributes.hardware_bound());
            assert!(k.attributes.sensitive && k.attributes.wrap_with_trusted);
            k
        };
        let module = Module::load(t.module_path(), &t.policy()).unwrap();
        let wrapped = module
            .wrap_key(
                &TokenSelector::label("origin"),
                &KeySelector::from(&original),
                &so,
                &user,
                &kek,
            )
            .unwrap();
        assert_eq!(wrapped.key.public_key, original.public_key);
        // The wrapped form is not the key in the clear: another key does not unwrap it.
        let wrong = module.unwrap_key(
            &TokenSelector::label("fresh"),
            &user,
            &[0x11; 32],
            &wrapped.wrapped,
            &RestoreTarget {
                label: &label,
                id: &original.id,
                public_key: &original.public_key,
            },
        );
        assert!(
            matches!(wrong, Err(HsmError::RestoredKeyMismatch { .. })),
            "{:?}",
            wrong.err()
        );
        let restored = module
            .unwrap_key(
                &TokenSelector::label("fresh"),
                &user,
                &kek,
                &wrapped.wrapped,
                &RestoreTarget {
                    label: &label,
                    id: &original.id,
                    public_key: &original.public_key,
                },
            )
            .unwrap();
        drop(module);
        assert_eq!(restored.public_key, original.public_key);
        assert_eq!(restored.id, original.id);
        assert!(restored.attributes.sensitive && restored.attributes.backupable());
        // pkcs11-tool (OpenSC) reads the same public key, under the same CKA_ID, on both.
        t.assert_tool_reads_spki("origin", &original);
        t.assert_tool_reads_spki("fresh", &original);
        // The restored key signs, and the original public key verifies it.
        let s = TokenSession::open(
            t.module_path(),
            &t.policy(),
            &TokenSelector::label("fresh"),
            user.clone(),
        )
        .unwrap();
        let key = s.find_key(KeySelector::Id(original.id.clone())).unwrap();
        assert!(!s.private_value_exposed(&key).unwrap());
        let signer = HsmSigner::new(Arc::new(s), key);
        let sig = signer.sign(b"after the restore").unwrap();
        original
            .public_key
            .verify(b"after the restore", &sig)
            .unwrap();
    }
}

#[test]
fn a_never_extractable_key_is_not_backed_up() {
    let t = TestToken::new("origin");
    let (so, user) = pins();
    let key = t
        .open_session()
        .generate_key(Algorithm::EcdsaP256, "sealed")
        .unwrap();
    let module = Module::load(t.module_path(), &t.policy()).unwrap();
    let e = module
        .wrap_key(
            &TokenSelector::label("origin"),
            &KeySelector::from(&key),
            &so,
            &user,
            &[1; 32],
        )
        .err()
        .unwrap();
    assert!(matches!(e, HsmError::NotBackupable { .. }), "{e}");
    assert!(e.to_string().contains("never extractable"), "{e}");
}

#[test]
fn a_wrong_so_pin_wraps_nothing() {
    let t = TestToken::new("origin");
    let (_, user) = pins();
    let key = t
        .open_session()
        .generate_key_with(Algorithm::EcdsaP256, "k", KeyProtection::Backupable)
        .unwrap();
    let module = Module::load(t.module_path(), &t.policy()).unwrap();
    let e = module
        .wrap_key(
            &TokenSelector::label("origin"),
            &KeySelector::from(&key),
            &SecretString::from("00000000"),
            &user,
            &[1; 32],
        )
        .err()
        .unwrap();
    assert!(matches!(e, HsmError::SoPinIncorrect), "{e}");
}

/// SoftHSM before 2.7 cannot wrap Ed25519 keys; a backup-able one is then refused before it is
/// made, with the reason. Where the token can wrap them, it is made backup-able.
#[test]
fn ed25519_is_backupable_only_where_the_token_can_wrap_it() {
    let t = TestToken::new("origin");
    let s = t.open_session();
    match s.generate_key_with(Algorithm::Ed25519, "ed", KeyProtection::Backupable) {
        Ok(k) => assert!(k.attributes.backupable()),
        Err(e) => {
            assert!(matches!(e, HsmError::NotWrappable { .. }), "{e}");
            assert!(e.to_string().contains("cannot wrap Ed25519"), "{e}");
            // Nothing was left behind by the probe.
            assert!(s.list_keys().unwrap().keys.is_empty());
        }
    }
}
