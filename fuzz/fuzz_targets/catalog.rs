//! The SBOM catalogue of an artifact: tar, gzip, ar (.deb), zip (jar) streams and every lockfile
//! parser, chosen by the name the first byte picks, under the default limits.
#![no_main]
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 12] = [
    "a.tar",
    "a.tar.gz",
    "a.deb",
    "a.jar",
    "a.whl",
    "Cargo.lock",
    "package-lock.json",
    "poetry.lock",
    "go.sum",
    "requirements.txt",
    "status",
    "pom.xml",
];

fuzz_target!(|data: &[u8]| {
    let Some((pick, body)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(NAMES[*pick as usize % NAMES.len()]);
    std::fs::write(&path, body).unwrap();
    let _ = strongroom_sbom::catalog(&path, &strongroom_sbom::Limits::default());
});
