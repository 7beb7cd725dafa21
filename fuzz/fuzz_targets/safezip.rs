//! SafeZip, the reader of every untrusted release bundle: open, then read and hash every entry,
//! then check completeness against a manifest when there is one.
#![no_main]
use std::io::{Seek, Write};

use libfuzzer_sys::fuzz_target;
use strongroom_bundle::{complete, Limits, SafeZip};

fuzz_target!(|data: &[u8]| {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(data).unwrap();
    f.rewind().unwrap();
    let Ok(zip) = SafeZip::from_file(f, std::path::Path::new("fuzz.zip"), &Limits::default())
    else {
        return;
    };
    let names: Vec<String> = zip.names().map(str::to_owned).collect();
    for n in &names {
        let _ = zip.read(n, 1 << 20);
        let _ = zip.hash(n);
    }
    if let Ok((manifest, _)) = complete::read_manifest(&zip) {
        let _ = complete::check_completeness(&manifest, &zip);
    }
    let _ = complete::approvals(&zip);
    let _ = complete::audit_excerpt(&zip);
});
