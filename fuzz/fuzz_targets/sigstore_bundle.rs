//! Sigstore bundles from anyone (v0.1 to v0.3, message signatures and DSSE).
#![no_main]
use libfuzzer_sys::fuzz_target;
use strongroom_core::bundle::CheckedDocument;

fuzz_target!(|data: &[u8]| {
    let _ = CheckedDocument::parse(data);
});
