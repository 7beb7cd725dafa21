//! DSSE envelopes and in-toto statements.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strongroom_core::dsse::{Envelope, EnvelopeJson};
use strongroom_core::intoto::CheckedStatement;

fuzz_target!(|data: &[u8]| {
    if let Ok(json) = serde_json::from_slice::<EnvelopeJson>(data) {
        let _ = Envelope::from_json(&json);
    }
    let _ = CheckedStatement::parse(data);
});
