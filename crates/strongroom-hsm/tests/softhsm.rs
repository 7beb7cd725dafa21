//! End-to-end tests of the PKCS#11 adapter against a real SoftHSM2 token, with OpenSSL and
//! OpenSC's pkcs11-tool as independent checkers. Each test gets its own token directory.
//!
//! Needs `softhsm2`, `opensc` and `openssl` installed. `TEST_PKCS11_MODULE` selects the module
//! (default: SoftHSM2). Tests serialise themselves inside one process (see `testing`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use secrecy::SecretString;
use strongroom_core::{Algorithm, HashAlg, SignError, Signer};
use strongroom_hsm::testing::{self, TestToken, USER_PIN};
use strongroom_hsm::{
    HsmError, HsmSigner, KeySelector, Module, ModulePolicy, Pkcs11Uri, RsaScheme, TokenKey,
    TokenSelector, TokenSession,
};

fn run(mut c: Command) -> Output {
    let out = c.output().expect("run an external checker");
    assert!(
        out.status.success(),
        "{c:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// Verifies `sig` over `msg` with the openssl command-line tool.
fn openssl_verify(t: &TestToken, key: &TokenKey, msg: &[u8], sig: &[u8], scheme: RsaScheme) {
    let dir = t.dir();
    let pem = write(dir, "k.pem", key.public_key.to_pem().as_bytes());
    let m = write(dir, "msg.bin", msg);
    let s = write(dir, "sig.bin", sig);
    let mut c = Command::new("openssl");
    match key.algorithm {
        Algorithm::Ed25519 => {
            c.args(["pkeyutl", "-verify", "-pubin", "-rawin", "-inkey"])
                .arg(&pem)
                .arg("-in")
                .arg(&m)
                .arg("-sigfile")
                .arg(&s);
        }
        alg => {
            let digest = if alg == Algorithm::EcdsaP384 {
                "-sha384"
            } else {
                "-sha256"
            };
            c.args(["dgst", digest, "-verify"])
                .arg(&pem)
                .arg("-signature")
                .arg(&s);
            if matches!(alg, Algorithm::Rsa(_)) && scheme == RsaScheme::Pss {
                c.args([
                    "-sigopt",
                    "rsa_padding_mode:pss",
                    "-sigopt",
                    "rsa_pss_saltlen:32",
                ]);
            }
            c.arg(&m);
        }
    }
    // `dgst` prints "Verified OK", `pkeyutl` "Signature Verified Successfully"; both exit 1 on
    // a bad signature.
    let out = run(c);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verified"));
}

/// Generation, attributes, export and signatures for one algorithm, each checked by someone else.
fn key_lifecycle(alg: Algorithm) {
    let t = TestToken::new("lifecycle");
    let session = Arc::new(t.open_session());
    let key = session.generate_key(alg, "release-key").unwrap();
    assert_eq!(key.algorithm, alg);
    assert_eq!(key.label, "release-key");
    assert_eq!(key.id.len(), 16);
    assert_eq!(
        key.uri,
        format!(
            "pkcs11:token=lifecycle;object=release-key;id={};type=private",
            key.id
                .iter()
                .map(|b| format!("%{b:02x}"))
                .collect::<String>()
        )
    );

    let a = key.attributes;
    assert!(a.local && a.never_extractable && a.always_sensitive && a.sensitive);
    assert!(!a.extractable && !a.decrypt && a.sign);
    assert!(a.hardware_bound());
    assert_eq!(session.key_attributes(&key).unwrap(), a);
    assert!(!session.private_value_exposed(&key).unwrap());

    // The exported SPKI is what pkcs11-tool reads from the token.
    t.assert_tool_reads_spki(t.label(), &key);

    // Found again by URI and by label, with the same public key.
    let uri = Pkcs11Uri::parse(&key.uri, false).unwrap();
    assert_eq!(session.find_key(&uri).unwrap().public_key, key.public_key);
    assert_eq!(
        session.find_key("release-key").unwrap().public_key,
        key.public_key
    );

    let msg = b"strongroom release artifact v1.2.3\n";
    let schemes: &[RsaScheme] = if matches!(alg, Algorithm::Rsa(_)) {
        &[RsaScheme::Pss, RsaScheme::Pkcs1v15]
    } else {
        &[RsaScheme::Pss]
    };
    for &scheme in schemes {
        let signer = HsmSigner::new(session.clone(), key.clone()).with_rsa_scheme(scheme);
        let sig = signer.sign(msg).unwrap();
        key.public_key.verify(msg, &sig).unwrap();
        assert!(key.public_key.verify(b"tampered", &sig).is_err());
        openssl_verify(&t, &key, msg, &sig, scheme);
        match alg.prehash() {
            None => {
                assert_eq!(sig.len(), 64);
                assert!(matches!(
                    signer.sign_prehashed(&HashAlg::Sha256.hash(msg)),
                    Err(SignError::PrehashUnsupported { .. })
                ));
            }
            Some(h) => {
                let digest = h.hash(msg);
                let sig2 = signer.sign_prehashed(&digest).unwrap();
                key.public_key.verify_prehashed(&digest, &sig2).unwrap();
                openssl_verify(&t, &key, msg, &sig2, scheme);
                let other = if h == HashAlg::Sha256 {
                    HashAlg::Sha384
                } else {
                    HashAlg::Sha256
                };
                assert!(matches!(
                    signer.sign_prehashed(&other.hash(msg)),
                    Err(SignError::WrongDigest { .. })
                ));
            }
        }
    }
}

#[test]
fn ed25519_key_lifecycle() {
    key_lifecycle(Algorithm::Ed25519);
}

#[test]
fn p256_key_lifecycle() {
    key_lifecycle(Algorithm::EcdsaP256);
}

#[test]
fn p384_key_lifecycle() {
    key_lifecycle(Algorithm::EcdsaP384);
}

#[test]
fn rsa3072_key_lifecycle() {
    key_lifecycle(Algorithm::Rsa(3072));
}

#[test]
fn rsa4096_key_lifecycle() {
    key_lifecycle(Algorithm::Rsa(4096));
}

#[test]
fn pkcs11_tool_sees_a_never_extractable_key_it_cannot_read() {
    let t = TestToken::new("nx");
    let session = t.open_session();
    let key = session
        .generate_key(Algorithm::EcdsaP256, "sealed")
        .unwrap();
    let blocks = t.tool_objects(t.label());
    let block = blocks
        .iter()
        .find(|b| {
            b.starts_with("Private Key Object") && testing::tool_field(b, "label") == "sealed"
        })
        .unwrap_or_else(|| panic!("no private key 'sealed' in:\n{}", blocks.concat()));
    let access = testing::tool_field(block, "Access");
    assert_eq!(
        access,
        "sensitive, always sensitive, never extractable, local"
    );
    assert_eq!(testing::tool_field(block, "Usage"), "sign");

    // Reading the private value fails, through pkcs11-tool and through us.
    let mut c = t.pkcs11_tool();
    c.args([
        "--login",
        "--pin",
        USER_PIN,
        "--read-object",
        "--type",
        "privkey",
    ])
    .args(["--id", &key.id_hex(), "-o"])
    .arg(t.dir().join("priv.der"));
    // (OpenSC 0.23 says "reading private keys not (yet) supported" and exits 0: what matters is
    // that nothing comes out.)
    c.output().unwrap();
    let written = std::fs::read(t.dir().join("priv.der")).unwrap_or_default();
    assert!(written.is_empty());
    assert!(!session.private_value_exposed(&key).unwrap());
}

#[test]
fn wrong_pin_is_reported_once_and_not_retried() {
    let t = TestToken::new("pins");
    let before = testing::login_attempts();
    let err = TokenSession::open(
        t.module_path(),
        &t.policy(),
        &t.selector(),
        SecretString::from("000000"),
    )
    .unwrap_err();
    assert_eq!(testing::login_attempts() - before, 1, "exactly one C_Login");
    let HsmError::PinIncorrect { flags } = &err else {
        panic!("expected PinIncorrect, got {err:?}");
    };
    let msg = err.to_string();
    assert!(msg.contains("PIN incorrect"), "{msg}");
    // SoftHSM raises COUNT_LOW after a failure (and never locks); the message says so.
    assert!(flags.count_low && !flags.locked, "{flags:?}");
    assert!(msg.contains("few tries left"), "{msg}");
    assert!(!msg.contains("000000"));

    // The right PIN still works, and the token clears the warning.
    let session = t.open_session();
    assert!(!session.refresh_token_info().unwrap().user_pin.count_low);
    assert_eq!(testing::login_attempts() - before, 2);
}

#[test]
fn unknown_token_lists_the_tokens_present() {
    let t = TestToken::new("present");
    t.add_token("second");
    let err = TokenSession::open(
        t.module_path(),
        &t.policy(),
        &TokenSelector::label("absent"),
        t.pin(),
    )
    .unwrap_err();
    let HsmError::TokenNotFound {
        wanted,
        available,
        suggestion,
    } = &err
    else {
        panic!("expected TokenNotFound, got {err:?}");
    };
    assert!(wanted.contains("absent"));
    assert_eq!(*suggestion, None, "nothing is near \"absent\"");
    let mut available = available.clone();
    available.sort();
    assert_eq!(available, ["present", "second"]);
    assert!(err.to_string().contains("\"present\""), "{err}");
    // A mistyped label is answered with the nearest one present.
    let err = TokenSession::open(
        t.module_path(),
        &t.policy(),
        &TokenSelector::label("secnod"),
        t.pin(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("(did you mean \"second\"?)"),
        "{err}"
    );

    let module = Module::load(t.module_path(), &t.policy()).unwrap();
    let tokens = module.list_tokens().unwrap();
    assert_eq!(tokens.len(), 2);
    let info = module.find_token(&t.selector()).unwrap();
    assert!(info.login_required && info.user_pin_initialized);
    for m in [
        "EC_EDWARDS_KEY_PAIR_GEN",
        "EDDSA",
        "EC_KEY_PAIR_GEN",
        "ECDSA",
        "RSA_PKCS_KEY_PAIR_GEN",
        "RSA_PKCS_PSS",
        "SHA256_RSA_PKCS_PSS",
        "SHA256_RSA_PKCS",
    ] {
        assert!(info.supports(m), "{m} missing from {:?}", info.mechanisms);
    }
    assert_eq!(
        info.algorithms
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>(),
        [
            "ed25519",
            "ecdsa-p256",
            "ecdsa-p384",
            "rsa-3072",
            "rsa-4096"
        ]
    );
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["label"], "present");
    assert_eq!(json["user_pin"]["locked"], false);
    // By serial, too.
    let by_serial = module
        .find_token(&TokenSelector::serial(&info.serial))
        .unwrap();
    assert_eq!(by_serial.label, "present");
}

fn mapped(path: &Path) -> bool {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.contains(&path.display().to_string())
}

#[test]
fn modules_off_the_allowlist_are_refused_before_loading() {
    let t = TestToken::new("policy");
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("libnotallowed.so");
    std::fs::copy(t.module_path().canonicalize().unwrap(), &copy).unwrap();
    let missing = copy_dir.path().join("libmissing.so");

    for path in [&copy, &missing] {
        let err = Module::load(path, &t.policy()).unwrap_err();
        let HsmError::ModuleNotAllowed { path: p, allowed } = &err else {
            panic!("expected ModuleNotAllowed, got {err:?}");
        };
        assert_eq!(p, path);
        assert_eq!(allowed, &[t.module_path().to_path_buf()]);
        let err = TokenSession::open(path, &t.policy(), &t.selector(), t.pin()).unwrap_err();
        assert!(matches!(err, HsmError::ModuleNotAllowed { .. }), "{err:?}");
    }
    assert!(
        !mapped(&copy),
        "the refused module was mapped into the process"
    );
    assert_eq!(strongroom_hsm::module::live_modules(), 0);

    // Control: the same file, once allowed, is loaded (so the check above means something).
    let module = Module::load(&copy, &ModulePolicy::new([&copy])).unwrap();
    assert!(mapped(&copy));
    assert_eq!(module.list_tokens().unwrap()[0].label, "policy");
}

#[test]
fn a_uri_matching_two_keys_is_ambiguous() {
    let t = TestToken::new("dups");
    for id in ["02", "03"] {
        let mut c = t.pkcs11_tool();
        c.args(["--login", "--pin", USER_PIN, "--keypairgen"])
            .args(["--key-type", "EC:prime256v1", "--label", "dup", "--id", id]);
        run(c);
    }
    let session = t.open_session();
    let uri = Pkcs11Uri::parse("pkcs11:token=dups;object=dup;type=private", false).unwrap();
    for err in [
        session.find_key(&uri).unwrap_err(),
        session.find_key("dup").unwrap_err(),
    ] {
        let HsmError::AmbiguousKey { matches, .. } = &err else {
            panic!("expected AmbiguousKey, got {err:?}");
        };
        let mut matches = matches.clone();
        matches.sort();
        assert_eq!(matches, ["\"dup\" (id 02)", "\"dup\" (id 03)"]);
        assert!(err.to_string().contains("id 02"), "{err}");
    }
    // Adding the id disambiguates.
    let one = Pkcs11Uri::parse("pkcs11:object=dup;id=%03", false).unwrap();
    assert_eq!(session.find_key(&one).unwrap().id, [3]);
    assert_eq!(session.find_key(KeySelector::Id(vec![2])).unwrap().id, [2]);
    // Our generator refuses the label.
    assert!(matches!(
        session.generate_key(Algorithm::EcdsaP256, "dup"),
        Err(HsmError::LabelInUse { .. })
    ));
    assert!(matches!(
        session.find_key("nothing"),
        Err(HsmError::KeyNotFound { .. })
    ));
    let other_token = Pkcs11Uri::parse("pkcs11:token=elsewhere;object=dup;id=%02", false).unwrap();
    assert!(matches!(
        session.find_key(&other_token),
        Err(HsmError::TokenMismatch { .. })
    ));
    let public = Pkcs11Uri::parse("pkcs11:object=dup;type=public", false).unwrap();
    assert!(matches!(session.find_key(&public), Err(HsmError::Uri(_))));
}

#[test]
fn keys_made_by_pkcs11_tool_can_be_adopted() {
    let t = TestToken::new("adopt");
    for (kt, label, id) in [
        ("EC:prime256v1", "ext", "01"),
        ("EC:edwards25519", "ext-ed", "05"),
        ("rsa:2048", "ext-rsa", "06"),
        ("EC:secp256k1", "ext-k1", "07"),
    ] {
        let mut c = t.pkcs11_tool();
        c.args(["--login", "--pin", USER_PIN, "--keypairgen", "--usage-sign"])
            .args(["--key-type", kt, "--label", label, "--id", id]);
        run(c);
    }
    let session = Arc::new(t.open_session());
    let listing = session.list_keys().unwrap();
    let mut labels: Vec<&str> = listing.keys.iter().map(|k| k.label.as_str()).collect();
    labels.sort();
    assert_eq!(labels, ["ext", "ext-ed", "ext-rsa"]);
    assert_eq!(listing.unusable.len(), 1);
    assert_eq!(listing.unusable[0].label, "ext-k1");
    assert_eq!(listing.unusable[0].id_hex, "07");
    assert!(listing.unusable[0].reason.contains("curve"));

    for key in listing.keys {
        assert!(key.attributes.local && key.attributes.never_extractable);
        t.assert_tool_reads_spki(t.label(), &key);
        let signer = HsmSigner::new(session.clone(), key.clone());
        let sig = signer.sign(b"adopted").unwrap();
        key.public_key.verify(b"adopted", &sig).unwrap();
        openssl_verify(&t, &key, b"adopted", &sig, RsaScheme::Pss);
        if key.label == "ext" {
            assert_eq!(key.id, [1]);
            assert_eq!(key.algorithm, Algorithm::EcdsaP256);
            assert_eq!(key.uri, "pkcs11:token=adopt;object=ext;id=%01;type=private");
        }
    }
}

#[test]
fn a_batch_of_digests_is_one_request_and_every_signature_verifies() {
    let t = TestToken::new("batch");
    let session = Arc::new(t.open_session());
    for alg in [Algorithm::EcdsaP256, Algorithm::Ed25519] {
        let key = session.generate_key(alg, &format!("batch-{alg}")).unwrap();
        let signer = HsmSigner::new(session.clone(), key.clone());
        let messages: Vec<Vec<u8>> = (0..100u32)
            .map(|i| format!("artifact {i}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let sigs = signer.sign_message_batch(&refs).unwrap();
        assert_eq!(sigs.len(), 100);
        for (m, s) in messages.iter().zip(&sigs) {
            key.public_key.verify(m, s).unwrap();
        }
        if alg == Algorithm::EcdsaP256 {
            let digests: Vec<_> = messages.iter().map(|m| HashAlg::Sha256.hash(m)).collect();
            let refs: Vec<_> = digests.iter().collect();
            let sigs = signer.sign_digest_batch(&refs).unwrap();
            for (d, s) in digests.iter().zip(&sigs) {
                key.public_key.verify_prehashed(d, s).unwrap();
            }
        } else {
            assert!(matches!(
                signer.sign_digest_batch(&[&HashAlg::Sha256.hash(b"x")]),
                Err(SignError::PrehashUnsupported { .. })
            ));
        }
    }
}

#[test]
fn the_session_handle_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TokenSession>();
    assert_send_sync::<HsmSigner>();

    let t = TestToken::new("threads");
    let session = Arc::new(t.open_session());
    let key = session
        .generate_key(Algorithm::EcdsaP256, "shared")
        .unwrap();
    let handles: Vec<_> = (0..4)
        .map(|n| {
            let signer = HsmSigner::new(session.clone(), key.clone());
            std::thread::spawn(move || {
                for i in 0..25 {
                    let msg = format!("thread {n} message {i}");
                    let sig = signer.sign(msg.as_bytes()).unwrap();
                    signer.public_key().verify(msg.as_bytes(), &sig).unwrap();
                }
            })
        })
        .collect();
    // Meanwhile this thread keeps using the same session.
    for _ in 0..10 {
        assert_eq!(session.list_keys().unwrap().keys.len(), 1);
    }
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn sessions_share_a_login_and_release_the_module() {
    let t = TestToken::new("shared-login");
    let first = Arc::new(t.open_session());
    let key = first.generate_key(Algorithm::Ed25519, "k").unwrap();
    {
        let second = t.open_session();
        assert_eq!(second.find_key("k").unwrap().id, key.id);
        assert_eq!(strongroom_hsm::module::live_modules(), 1);
    }
    // Closing the second session did not log the first one out.
    HsmSigner::new(first.clone(), key)
        .sign(b"still logged in")
        .unwrap();
    drop(first);
    assert_eq!(strongroom_hsm::module::live_modules(), 0);
}

#[test]
fn imported_and_non_sensitive_keys_are_reported_honestly() {
    let t = TestToken::new("honest");
    // A key pair made outside our templates: not sensitive, extractable, not generated by us.
    {
        use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
        use cryptoki::mechanism::Mechanism;
        use cryptoki::object::Attribute;
        use cryptoki::session::UserType;
        let ctx = Pkcs11::new(t.module_path()).unwrap();
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .unwrap();
        let slot = ctx.get_slots_with_initialized_token().unwrap()[0];
        let s = ctx.open_rw_session(slot).unwrap();
        s.login(UserType::User, Some(&t.pin())).unwrap();
        let params = vec![0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let id = Attribute::Id(vec![0x42]);
        let label = Attribute::Label(b"weak".to_vec());
        s.generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[
                Attribute::Token(true),
                Attribute::EcParams(params),
                id.clone(),
                label.clone(),
            ],
            &[
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(false),
                Attribute::Extractable(true),
                Attribute::Sign(true),
                id,
                label,
            ],
        )
        .unwrap();
        drop(s);
        ctx.finalize().unwrap();
    }
    let session = t.open_session();
    let key = session.find_key("weak").unwrap();
    assert!(key.attributes.local && key.attributes.extractable && !key.attributes.sensitive);
    assert!(!key.attributes.hardware_bound());
    assert!(session.private_value_exposed(&key).unwrap());
}

/// The security team's PIN work on a real token, checked by pkcs11-tool: a token initialised in
/// a free slot (refused over an initialised one, or under a label in use), its user PIN changed
/// (the old one then fails), and a forgotten user PIN reset with the SO PIN.
#[test]
fn a_token_is_initialised_its_pin_changed_and_unlocked_by_its_security_officer() {
    let t = TestToken::new("existing");
    let pin = |s: &str| SecretString::from(s.to_owned());
    let logs_in = |label: &str, user_pin: &str| {
        let mut c = t.pkcs11_tool();
        c.args([
            "--token-label",
            label,
            "--login",
            "--pin",
            user_pin,
            "--list-objects",
        ]);
        c.output().unwrap().status.success()
    };
    {
        let module = Module::load(t.module_path(), &t.policy()).unwrap();
        let free = module.free_slots().unwrap();
        assert!(!free.is_empty(), "SoftHSM keeps a free slot");
        let existing = module.find_token(&t.selector()).unwrap();
        assert!(matches!(
            module.init_token(
                Some(existing.slot_id),
                "again",
                &pin("so-secret"),
                &pin("111111")
            ),
            Err(HsmError::SlotNotFree { .. })
        ));
        assert!(matches!(
            module.init_token(None, "existing", &pin("so-secret"), &pin("111111")),
            Err(HsmError::LabelInUse { .. })
        ));
        assert!(matches!(
            module.init_token(None, &"x".repeat(33), &pin("so-secret"), &pin("111111")),
            Err(HsmError::InvalidTokenLabel { .. })
        ));
        let fresh = module
            .init_token(None, "fresh", &pin("so-secret"), &pin("111111"))
            .unwrap();
        assert_eq!(fresh.label, "fresh");
        assert!(fresh.user_pin_initialized);
    }
    assert!(
        logs_in("fresh", "111111"),
        "pkcs11-tool logs in with the new user PIN"
    );

    let module = Module::load(t.module_path(), &t.policy()).unwrap();
    let fresh = TokenSelector::label("fresh");
    assert!(matches!(
        module.change_user_pin(&fresh, &pin("999999"), &pin("222222")),
        Err(HsmError::PinIncorrect { .. })
    ));
    module
        .change_user_pin(&fresh, &pin("111111"), &pin("222222"))
        .unwrap();
    assert!(matches!(
        module.unlock_user_pin(&fresh, &pin("not-the-so-pin"), &pin("333333")),
        Err(HsmError::SoPinIncorrect)
    ));
    drop(module);
    assert!(!logs_in("fresh", "111111"), "the old PIN no longer works");
    assert!(logs_in("fresh", "222222"));

    let module = Module::load(t.module_path(), &t.policy()).unwrap();
    module
        .unlock_user_pin(&fresh, &pin("so-secret"), &pin("333333"))
        .unwrap();
    drop(module);
    assert!(logs_in("fresh", "333333"), "the SO's new user PIN works");
    assert!(!logs_in("fresh", "222222"));
    // The other token was not touched.
    assert!(logs_in("existing", USER_PIN));
}
