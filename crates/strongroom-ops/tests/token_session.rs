//! The operations layer against SoftHSM2 in-process: a batch of files is signed in one login
//! session, and a wrong PIN costs exactly one login attempt.

use secrecy::SecretString;
use strongroom_core::Algorithm;
use strongroom_hsm::testing::{login_attempts, TestToken, USER_PIN};
use strongroom_ops::{
    Callbacks, ErrorKind, GenerateTokenKey, SecretRequest, SignRequest, Station, TokenTarget,
};

struct Pin(&'static str);

impl Callbacks for Pin {
    fn secret(&self, request: &SecretRequest) -> Option<SecretString> {
        matches!(request, SecretRequest::TokenPin { .. }).then(|| SecretString::from(self.0))
    }
}

#[test]
fn a_batch_is_signed_in_one_login_and_a_wrong_pin_is_tried_once() {
    let token = TestToken::new("ops-token");
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut station = Station::open(home.path()).unwrap();
    station
        .init_operator(
            "admin",
            &[strongroom_ops::Role::ReleaseOfficer],
            &SecretString::from("admin passphrase"),
        )
        .unwrap();
    station
        .generate_token_key(
            &GenerateTokenKey {
                target: TokenTarget::label(token.label(), None),
                algorithm: Algorithm::EcdsaP256,
                label: "k".into(),
                purpose: strongroom_core::Purpose::Signer,
                protection: Default::default(),
            },
            &Pin(USER_PIN),
        )
        .unwrap();
    let files: Vec<_> = (0..25)
        .map(|i| {
            let p = work.path().join(format!("f{i}"));
            std::fs::write(&p, format!("{i}")).unwrap();
            p
        })
        .collect();
    let request = SignRequest {
        key: "k".into(),
        files: files.clone(),
        images: Vec::new(),
        out_dir: None,
        force: false,
        allow_pin_in_uri: false,
    };
    let before = login_attempts();
    let signed = station.sign_files(&request, &Pin(USER_PIN)).unwrap();
    assert_eq!(signed.len(), 25);
    assert_eq!(
        login_attempts() - before,
        1,
        "one login for the whole batch"
    );

    let before = login_attempts();
    let err = station
        .sign_files(
            &SignRequest {
                force: true,
                ..request
            },
            &Pin("000000"),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("PIN incorrect"), "{err}");
    assert_eq!(login_attempts() - before, 1, "a wrong PIN is never retried");
    drop(station);
    drop(token);
}
