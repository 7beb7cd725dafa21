//! SPDX and CycloneDX documents given to `scan` and `sbom convert`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = strongroom_sbom::components_from_sbom(&v);
    let _ = strongroom_sbom::convert_spdx_to_cyclonedx(&v);
});
