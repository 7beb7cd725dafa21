//! Files a person names for the station to write, on a real station: never inside its data
//! directory (not even through a symbolic link), never over an existing file unless the person
//! said to replace it, and nothing is written or changed when one is refused.

use strongroom_core::{Algorithm, Purpose};
use strongroom_ops::{ErrorKind, GenerateKey, OpsError, Role, Station};

mod common;
use common::{pass, Secrets};

fn station() -> (tempfile::TempDir, Station) {
    let home = tempfile::tempdir().unwrap();
    let mut s = Station::open(&home.path().join("station")).unwrap();
    s.init_operator("root", &[Role::Auditor], &pass("root"))
        .unwrap();
    s.generate_software_key(
        &GenerateKey {
            label: "k".into(),
            algorithm: Algorithm::Ed25519,
            purpose: Purpose::Signer,
        },
        &Secrets,
    )
    .unwrap();
    (home, s)
}

#[test]
fn nothing_is_written_inside_the_station_or_over_a_file_without_consent() {
    let (dir, s) = station();
    let home = s.home().to_owned();
    let db = home.join("strongroom.db");
    let db_before = std::fs::read(&db).unwrap();

    // The station's own database, as a public key, an audit export: refused, untouched.
    for e in [
        s.save_public_key("k", &db, true).unwrap_err(),
        s.audit_export(&db, true).unwrap_err(),
        s.audit_export(&home.join("keys").join("new.jsonl"), false)
            .unwrap_err(),
    ] {
        assert!(matches!(e, OpsError::InsideStation { .. }), "{e}");
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(
            e.to_string()
                .contains("inside the station's data directory"),
            "{e}"
        );
        match e.remedy() {
            Some(strongroom_ops::Remedy::Plain(w)) => assert!(w.contains("outside"), "{w}"),
            other => panic!("{other:?}"),
        }
    }
    // A symbolic link outside that points in is followed, and refused too.
    let link = dir.path().join("innocent.pem");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    let e = s.save_public_key("k", &link, true).unwrap_err();
    assert!(matches!(e, OpsError::InsideStation { .. }), "{e}");
    let linked_dir = dir.path().join("looks-elsewhere");
    std::os::unix::fs::symlink(&home, &linked_dir).unwrap();
    let e = s
        .audit_export(&linked_dir.join("audit.jsonl"), false)
        .unwrap_err();
    assert!(matches!(e, OpsError::InsideStation { .. }), "{e}");
    assert!(!home.join("audit.jsonl").exists());
    assert_eq!(std::fs::read(&db).unwrap(), db_before.as_slice());

    // Outside: written; a second time refused unless replacing was confirmed.
    let out = dir.path().join("k.pem");
    s.save_public_key("k", &out, false).unwrap();
    std::fs::write(&out, b"the person's own file").unwrap();
    let e = s.save_public_key("k", &out, false).unwrap_err();
    assert_eq!(e.existing_output(), Some(out.as_path()));
    assert_eq!(std::fs::read(&out).unwrap(), b"the person's own file");
    s.save_public_key("k", &out, true).unwrap();
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));

    let log = dir.path().join("audit.jsonl");
    let rows = s.audit_export(&log, false).unwrap();
    assert!(rows > 0);
    let e = s.audit_export(&log, false).unwrap_err();
    assert_eq!(e.existing_output(), Some(log.as_path()));
    assert!(s.audit_export(&log, true).unwrap() >= rows);

    // A folder is never "replaced".
    let e = s.audit_export(dir.path(), true).unwrap_err();
    assert!(matches!(e, OpsError::IsDirectory(_)), "{e}");
}

#[test]
fn writing_a_file_needs_a_login_that_may_do_the_act() {
    let (dir, s) = station();
    let mut other = Station::open(s.home()).unwrap();
    let out = dir.path().join("k.pem");
    // Before a login: refused before the path is even looked at.
    std::fs::write(&out, b"x").unwrap();
    let e = other.save_public_key("k", &out, false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    let e = other.audit_export(&out, true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert_eq!(std::fs::read(&out).unwrap(), b"x");
    // An auditor may export the audit log, not a key.
    let mut root = Station::open(s.home()).unwrap();
    root.login("root", &pass("root")).unwrap();
    root.add_operator("aud", &[Role::Auditor], &pass("aud"))
        .unwrap();
    other.login("aud", &pass("aud")).unwrap();
    let e = other.save_public_key("k", &out, true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    other.audit_export(&out, true).unwrap();
}
