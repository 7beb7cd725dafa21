//! Audit excerpts carried in release bundles, checked against a fixed audit key.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use strongroom_core::audit_chain::{verify_excerpt, AuditExcerpt};
use strongroom_core::keys::PublicKey;

fn key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        PublicKey::from_pem(include_str!("../../keys-fixtures/software/ed25519.pub")).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(excerpt) = serde_json::from_slice::<AuditExcerpt>(data) {
        let _ = verify_excerpt(&excerpt, key(), &["widget@1.0.0"]);
    }
});
