//! OSV records as the importer checks them (ranges, versions, severities).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = strongroom_vuln::check_osv_record(&doc);
    }
});
