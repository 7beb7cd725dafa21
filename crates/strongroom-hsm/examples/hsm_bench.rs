//! Benchmark: raw `C_Sign` through cryptoki on one session versus signing through `HsmSigner`
//! (one request per signature, and `sign_message_batch`), for Ed25519 and P-256.
//!
//! ```sh
//! cargo run -p strongroom-hsm --example hsm_bench            # makes a throw-away SoftHSM token
//! BENCH_TOKEN=mytoken BENCH_PIN=123456 SOFTHSM2_CONF=… cargo run -p strongroom-hsm --example hsm_bench
//! ```
//! `BENCH_N` sets the number of messages (default 10000); `TEST_PKCS11_MODULE` the module.

use std::sync::Arc;
use std::time::Instant;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::UserType;
use secrecy::SecretString;
use strongroom_core::{Algorithm, Signer};
use strongroom_hsm::testing::{test_module_path, TestToken, USER_PIN};
use strongroom_hsm::{HsmSigner, ModulePolicy, TokenSelector, TokenSession};

fn rate(n: usize, secs: f64) -> f64 {
    n as f64 / secs
}

/// Signs `inputs` with cryptoki directly: one session, one thread, no channel.
fn raw_rate(
    module: &std::path::Path,
    token: &str,
    pin: &str,
    label: &str,
    inputs: &[Vec<u8>],
) -> f64 {
    let ctx = Pkcs11::new(module).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slot = ctx
        .get_slots_with_initialized_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label() == token)
        .expect("token");
    let session = ctx.open_rw_session(slot).unwrap();
    session
        .login(UserType::User, Some(&SecretString::from(pin)))
        .unwrap();
    let key = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .unwrap()[0];
    let mech = if label.contains("ed25519") {
        Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure))
    } else {
        Mechanism::Ecdsa
    };
    for input in inputs.iter().take(100) {
        session.sign(&mech, key, input).unwrap();
    }
    let start = Instant::now();
    for input in inputs {
        session.sign(&mech, key, input).unwrap();
    }
    let r = rate(inputs.len(), start.elapsed().as_secs_f64());
    let _ = session.logout();
    drop(session);
    ctx.finalize().unwrap();
    r
}

fn main() {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let module = test_module_path();
    let (_token_guard, token, pin) = match std::env::var("BENCH_TOKEN") {
        Ok(label) => (
            None,
            label,
            std::env::var("BENCH_PIN").unwrap_or_else(|_| USER_PIN.into()),
        ),
        Err(_) => (
            Some(TestToken::new("bench")),
            "bench".into(),
            USER_PIN.into(),
        ),
    };
    let policy = ModulePolicy::new([&module]);
    let open = || {
        TokenSession::open(
            &module,
            &policy,
            &TokenSelector::label(&token),
            SecretString::from(pin.as_str()),
        )
        .unwrap()
    };
    let messages: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("small message number {i}").into_bytes())
        .collect();
    println!(
        "module {}, token {token:?}, {n} messages, 1 thread",
        module.display()
    );
    println!(
        "{:<8} {:>12} {:>14} {:>8} {:>14} {:>8}",
        "alg", "raw C_Sign/s", "HsmSigner/s", "ratio", "batch/s", "ratio"
    );
    for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
        let label = format!("bench-{alg}");
        {
            let s = open();
            if s.find_key(label.as_str()).is_err() {
                s.generate_key(alg, &label).unwrap();
            }
        }
        // What the token is given: the message (Ed25519) or its SHA-256 digest (P-256).
        let inputs: Vec<Vec<u8>> = match alg.prehash() {
            None => messages.clone(),
            Some(h) => messages
                .iter()
                .map(|m| h.hash(m).as_bytes().to_vec())
                .collect(),
        };
        let raw = raw_rate(&module, &token, &pin, &label, &inputs);

        let session = Arc::new(open());
        let key = session.find_key(label.as_str()).unwrap();
        let signer = HsmSigner::new(session.clone(), key);
        for m in messages.iter().take(100) {
            signer.sign(m).unwrap();
        }
        let start = Instant::now();
        for m in &messages {
            signer.sign(m).unwrap();
        }
        let single = rate(n, start.elapsed().as_secs_f64());

        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let start = Instant::now();
        let sigs = signer.sign_message_batch(&refs).unwrap();
        let batch = rate(n, start.elapsed().as_secs_f64());
        assert_eq!(sigs.len(), n);
        // Spot-check the batch (full verification would measure the verifier, not the token).
        for i in [0, n / 2, n - 1] {
            signer.public_key().verify(&messages[i], &sigs[i]).unwrap();
        }
        println!(
            "{:<8} {:>12.0} {:>14.0} {:>7.2}x {:>14.0} {:>7.2}x",
            alg.to_string(),
            raw,
            single,
            single / raw,
            batch,
            batch / raw
        );
    }
}
