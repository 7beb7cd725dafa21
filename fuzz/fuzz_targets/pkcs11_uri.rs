//! PKCS#11 URIs (RFC 7512), with and without a PIN allowed in them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strongroom_hsm::Pkcs11Uri;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(u) = Pkcs11Uri::parse(s, true) {
            let _ = format!("{u:?}");
        }
        let _ = Pkcs11Uri::parse(s, false);
    }
});
