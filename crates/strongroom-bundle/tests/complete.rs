//! Completeness: a bundle is complete exactly when it holds what its manifest lists, plus only
//! the allowed unlisted entries (paired approvals, the audit excerpt).

mod common;

use std::path::{Path, PathBuf};

use common::{sample_manifest, sample_writer, KEY_HEX};
use strongroom_bundle::{
    approvals, audit_excerpt, check_completeness, read_manifest, BundleWriter, Limits, Problem,
    SafeZip, Sha256Digest,
};

fn write(dir: &Path, name: &str, w: &BundleWriter) -> PathBuf {
    let p = dir.join(name);
    w.write_atomic(&p, false).unwrap();
    p
}

fn problems(p: &Path) -> Vec<Problem> {
    let z = SafeZip::open(p, &Limits::default()).unwrap();
    let (m, _) = read_manifest(&z).unwrap();
    check_completeness(&m, &z)
}

#[test]
fn a_complete_bundle_has_no_problems() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "b.zip", &sample_writer());
    let z = SafeZip::open(&p, &Limits::default()).unwrap();
    let (m, bytes) = read_manifest(&z).unwrap();
    assert_eq!(m, sample_manifest());
    assert_eq!(bytes, sample_manifest().to_bytes());
    assert_eq!(check_completeness(&m, &z), []);
    assert_eq!(approvals(&z).unwrap(), []);
    assert_eq!(audit_excerpt(&z).unwrap(), None);
}

#[test]
fn removed_added_and_altered_entries_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let sig = "signatures/app.tar.gz.sigstore.json";

    let mut w = sample_writer();
    w.remove(sig);
    assert_eq!(
        problems(&write(dir.path(), "removed.zip", &w)),
        [Problem::Missing { path: sig.into() }]
    );

    let mut w = sample_writer();
    w.add_bytes("extra/payload.sh", b"echo hi".to_vec())
        .unwrap();
    w.add_bytes("approvals/not-a-key-id.pem", b"x".to_vec())
        .unwrap();
    assert_eq!(
        problems(&write(dir.path(), "added.zip", &w)),
        [
            Problem::Unlisted {
                path: "approvals/not-a-key-id.pem".into()
            },
            Problem::Unlisted {
                path: "extra/payload.sh".into()
            },
        ]
    );

    // One byte flipped in the SBOM: same size, other digest.
    let sbom = "sboms/app.tar.gz.spdx.json";
    let original = br#"{"spdxVersion":"SPDX-2.3"}"#;
    let mut flipped = original.to_vec();
    flipped[5] ^= 1;
    let mut w = sample_writer();
    w.remove(sbom);
    w.add_bytes(sbom, flipped.clone()).unwrap();
    assert_eq!(
        problems(&write(dir.path(), "flipped.zip", &w)),
        [Problem::Altered {
            path: sbom.into(),
            expected: Sha256Digest::of_bytes(original),
            actual: Sha256Digest::of_bytes(&flipped),
        }]
    );

    // A swapped artifact of another size.
    let art = "artifacts/app.tar.gz";
    let mut w = sample_writer();
    w.remove(art);
    w.add_bytes(art, b"evil".to_vec()).unwrap();
    assert!(matches!(
        problems(&write(dir.path(), "swapped.zip", &w)).as_slice(),
        [Problem::SizeMismatch { path, actual: 4, .. }] if path == art
    ));

    // No manifest at all.
    let mut w = sample_writer();
    w.remove("manifest.json");
    let p = write(dir.path(), "nomanifest.zip", &w);
    let z = SafeZip::open(&p, &Limits::default()).unwrap();
    assert!(read_manifest(&z).is_err());
    let found = check_completeness(&sample_manifest(), &z);
    assert_eq!(
        found,
        [Problem::Missing {
            path: "manifest.json".into()
        }]
    );
}

#[test]
fn approvals_and_the_audit_excerpt_may_be_unlisted() {
    let dir = tempfile::tempdir().unwrap();
    let other = "fe".repeat(32);
    let mut w = sample_writer();
    w.add_bytes(
        &format!("approvals/{KEY_HEX}.sigstore.json"),
        b"{\"a\":1}".to_vec(),
    )
    .unwrap();
    w.add_bytes(&format!("approvals/{KEY_HEX}.pem"), b"PEM1".to_vec())
        .unwrap();
    w.add_bytes(
        &format!("approvals/{other}.sigstore.json"),
        b"{\"b\":2}".to_vec(),
    )
    .unwrap();
    w.add_bytes(&format!("approvals/{other}.pem"), b"PEM2".to_vec())
        .unwrap();
    w.add_bytes("audit/excerpt.json", b"[]".to_vec()).unwrap();
    let p = write(dir.path(), "approved.zip", &w);
    assert_eq!(problems(&p), []);
    let z = SafeZip::open(&p, &Limits::default()).unwrap();
    let a = approvals(&z).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].key_id_hex, KEY_HEX);
    assert_eq!(a[0].bundle, b"{\"a\":1}");
    assert_eq!(a[0].public_key_pem, b"PEM1");
    assert_eq!(a[1].key_id_hex, other);
    assert_eq!(audit_excerpt(&z).unwrap().as_deref(), Some(&b"[]"[..]));

    // An approval without its key, and a key without its approval.
    let lone = "11".repeat(32);
    let mut w = sample_writer();
    w.add_bytes(
        &format!("approvals/{KEY_HEX}.sigstore.json"),
        b"{}".to_vec(),
    )
    .unwrap();
    w.add_bytes(&format!("approvals/{lone}.pem"), b"PEM".to_vec())
        .unwrap();
    let p = write(dir.path(), "unpaired.zip", &w);
    assert_eq!(
        problems(&p),
        [
            Problem::UnpairedApproval {
                path: format!("approvals/{KEY_HEX}.sigstore.json")
            },
            Problem::UnpairedApproval {
                path: format!("approvals/{lone}.pem")
            },
        ]
    );
    let z = SafeZip::open(&p, &Limits::default()).unwrap();
    assert_eq!(approvals(&z).unwrap(), []);
}
