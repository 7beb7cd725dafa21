//! Data-driven vectors (DSSE PAE) and golden bundles: our output for the public test keys in
//! `keys-fixtures/` must not drift. Set `UPDATE_GOLDEN=1` to rewrite the golden files after an
//! intentional format change.

use std::path::{Path, PathBuf};

use strongroom_core::artifact::sign_artifact;
use strongroom_core::bundle::CheckedDocument;
use strongroom_core::digest::hash_reader;
use strongroom_core::dsse::pae;
use strongroom_core::verify::{verify_document, ArtifactFacts};
use strongroom_core::{PublicKey, Signer, SoftwareKey};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../keys-fixtures")
}

#[test]
fn pae_vectors() {
    let text = include_str!("data/pae.txt");
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<String> = line.split('\t').map(|c| c.replace("\\n", "\n")).collect();
        assert_eq!(cols.len(), 3, "bad vector line {line:?}");
        assert_eq!(
            String::from_utf8(pae(&cols[0], cols[1].as_bytes())).unwrap(),
            cols[2],
            "vector {line:?}"
        );
        n += 1;
    }
    assert_eq!(n, 7);
}

#[test]
fn golden_bundles_are_stable_and_verify() {
    let dir = fixtures();
    let artifact = std::fs::read(dir.join("golden/hello.txt")).unwrap();
    let digests = hash_reader(
        &artifact[..],
        &[strongroom_core::HashAlg::Sha256],
        &mut |_| {},
        None,
    )
    .unwrap();
    for name in ["ed25519", "p256"] {
        let pem = std::fs::read_to_string(dir.join(format!("software/{name}.pem"))).unwrap();
        let key = SoftwareKey::from_pkcs8_pem(&pem).unwrap();
        let public = PublicKey::from_pem(
            &std::fs::read_to_string(dir.join(format!("software/{name}.pub"))).unwrap(),
        )
        .unwrap();
        assert_eq!(key.public_key(), &public);
        // Ed25519 and RFC 6979 ECDSA are deterministic, so the bytes are too.
        let json = sign_artifact(&key, "hello.txt", &digests)
            .unwrap()
            .to_pretty_json();
        let golden = dir.join(format!("golden/hello.txt.{name}.sigstore.json"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &json).unwrap();
        }
        assert_eq!(
            json,
            std::fs::read_to_string(&golden).unwrap(),
            "{name} drifted"
        );
        let doc = CheckedDocument::parse(json.as_bytes()).unwrap();
        let facts = ArtifactFacts {
            name: "hello.txt".into(),
            digests: digests.clone(),
            streamed_signature: None,
        };
        assert!(verify_document(&doc, &public, Some(&facts)).passed());
    }
}
