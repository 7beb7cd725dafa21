//! Trust packages: open, then the checks made before any signature is trusted.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strongroom_policy::{Timestamp, TrustPackage};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = TrustPackage::open(data) {
        let _ = p.signer_key_ids();
        let now = Timestamp::from_unix_seconds(1_800_000_000).unwrap();
        let _ = p.verify_self_signed(now);
    }
});
