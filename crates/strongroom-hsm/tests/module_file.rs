//! `module allow` judges a file from its bytes: real PKCS#11 modules (SoftHSM's, OpenSC's when
//! installed) pass; the C library, an executable, a text file and a module cut short do not.
//! Nothing here loads a library.

use std::path::Path;

use strongroom_hsm::elf::{check_module_bytes, check_module_file, NotAModule};

#[test]
fn real_modules_pass_and_other_files_are_named_for_what_they_lack() {
    let softhsm = strongroom_hsm::testing::test_module_path();
    check_module_file(&softhsm).unwrap();
    let opensc = Path::new("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");
    if opensc.exists() {
        check_module_file(opensc).unwrap();
    }
    let libc = Path::new("/usr/lib/x86_64-linux-gnu/libc.so.6");
    assert_eq!(check_module_file(libc), Err(NotAModule::NoEntryPoint));
    // A position-independent executable is a shared object too, and exports no entry point.
    assert_eq!(
        check_module_file(Path::new("/bin/ls")),
        Err(NotAModule::NoEntryPoint)
    );
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("module.so");
    std::fs::write(&text, "not a library\n").unwrap();
    assert_eq!(check_module_file(&text), Err(NotAModule::NotElf));
    assert!(matches!(
        check_module_file(&dir.path().join("absent.so")),
        Err(NotAModule::Unreadable(_))
    ));
    // Cut short: the section headers (at the end of the file) are gone.
    let bytes = std::fs::read(&softhsm).unwrap();
    assert_eq!(
        check_module_bytes(&bytes[..bytes.len() / 2]),
        Err(NotAModule::Truncated)
    );
    // The entry point's name renamed in the string table: no longer a module.
    let needle = b"C_GetFunctionList\0";
    let mut renamed = bytes.clone();
    let mut found = 0;
    for i in 0..renamed.len() - needle.len() {
        if &renamed[i..i + needle.len()] == needle {
            renamed[i] = b'X';
            found += 1;
        }
    }
    assert!(found > 0);
    assert_eq!(check_module_bytes(&renamed), Err(NotAModule::NoEntryPoint));
}
