//! README.txt: deterministic, and its by-hand recipes work. The shell lines are taken from the
//! README itself and run with bash, jq, sha256sum and openssl against a bundle holding real
//! signatures (ECDSA messageSignature, Ed25519 DSSE, ECDSA DSSE), so the text cannot drift from
//! what actually verifies.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{name, release};
use strongroom_bundle::manifest::media_types;
use strongroom_bundle::paths::layout;
use strongroom_bundle::{
    readme_text, ArtifactName, ArtifactRecord, BundleWriter, Entry, EntryRole, KeyNote, Limits,
    Manifest, ReadmeInfo, SafeZip, Sha256Digest,
};
use strongroom_core::artifact::{digests_needed, sign_artifact};
use strongroom_core::digest::hash_reader;
use strongroom_core::dsse::Envelope;
use strongroom_core::intoto::{Statement, Subject};
use strongroom_core::{Algorithm, Signer, SoftwareKey};

const APPROVAL_PREDICATE: &str = "https://strongroom.dev/attestation/approval/v1";

fn key_hex(k: &SoftwareKey) -> String {
    Sha256Digest::of_bytes(&k.public_key().to_spki_der()).to_hex()
}

fn sign(key: &SoftwareKey, artifact: &str, bytes: &[u8]) -> Vec<u8> {
    let digests = hash_reader(bytes, &digests_needed(key), &mut |_| {}, None).unwrap();
    sign_artifact(key, artifact, &digests)
        .unwrap()
        .to_pretty_json()
        .into_bytes()
}

/// The README's indented command lines from the line containing `from` through the line
/// containing `to`.
fn lines(readme: &str, from: &str, to: &str) -> String {
    let cmds: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(|l| &l[4..])
        .collect();
    let start = cmds.iter().position(|l| l.contains(from)).expect(from);
    let end = start + cmds[start..].iter().position(|l| l.contains(to)).expect(to);
    cmds[start..=end].join("\n")
}

fn bash(dir: &Path, script: &str, env: &[(&str, &str)]) -> std::process::Output {
    Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn readme_recipes_verify_a_real_bundle() {
    let ecdsa = SoftwareKey::generate(Algorithm::EcdsaP256).unwrap();
    let ed = SoftwareKey::generate(Algorithm::Ed25519).unwrap();
    let (app, tool) = (name("app.tar.gz"), name("tool.bin"));
    let app_bytes = common::noise(5000, 1);
    let tool_bytes = common::noise(3000, 2);

    let mut files: Vec<(String, Vec<u8>, Entry)> = Vec::new();
    let mut add = |path: String,
                   bytes: Vec<u8>,
                   role: EntryRole,
                   mt: &str,
                   subject: Option<&ArtifactName>| {
        let mut e = Entry::from_bytes(&path, role, mt, &bytes);
        if let Some(s) = subject {
            e = e.with_subjects([s.clone()]);
        }
        files.push((path, bytes, e));
    };
    add(
        layout::artifact(&app),
        app_bytes.clone(),
        EntryRole::Artifact,
        media_types::OCTET_STREAM,
        Some(&app),
    );
    add(
        layout::artifact(&tool),
        tool_bytes.clone(),
        EntryRole::Artifact,
        media_types::OCTET_STREAM,
        Some(&tool),
    );
    add(
        layout::artifact_signature(&app),
        sign(&ecdsa, "app.tar.gz", &app_bytes),
        EntryRole::ArtifactSignature,
        media_types::SIGSTORE_BUNDLE,
        Some(&app),
    );
    add(
        layout::artifact_signature(&tool),
        sign(&ed, "tool.bin", &tool_bytes),
        EntryRole::ArtifactSignature,
        media_types::SIGSTORE_BUNDLE,
        Some(&tool),
    );
    for k in [&ecdsa, &ed] {
        add(
            layout::public_key(&key_hex(k)),
            k.public_key().to_pem().into_bytes(),
            EntryRole::PublicKey,
            media_types::PEM,
            None,
        );
    }
    let artifacts = vec![
        ArtifactRecord {
            name: app.clone(),
            sha256: Sha256Digest::of_bytes(&app_bytes),
            size: app_bytes.len() as u64,
            included: true,
            image: None,
        },
        ArtifactRecord {
            name: tool.clone(),
            sha256: Sha256Digest::of_bytes(&tool_bytes),
            size: tool_bytes.len() as u64,
            included: true,
            image: None,
        },
    ];
    let draft = Manifest::new(
        release(),
        artifacts,
        files.iter().map(|f| f.2.clone()).collect(),
    )
    .unwrap();
    let mut signed_by = BTreeMap::new();
    signed_by.insert(
        layout::artifact_signature(&app),
        KeyNote {
            key_id_hex: key_hex(&ecdsa),
            algorithm: Algorithm::EcdsaP256,
        },
    );
    signed_by.insert(
        layout::artifact_signature(&tool),
        KeyNote {
            key_id_hex: key_hex(&ed),
            algorithm: Algorithm::Ed25519,
        },
    );
    let info = ReadmeInfo {
        signed_by,
        approval_predicate_type: APPROVAL_PREDICATE.into(),
    };
    let readme = readme_text(&draft, &info);
    let manifest = draft
        .with_entry(Entry::from_bytes(
            "README.txt",
            EntryRole::Readme,
            media_types::TEXT,
            readme.as_bytes(),
        ))
        .unwrap();
    // The README entry does not change the text: rendering is stable before and after.
    assert_eq!(readme_text(&manifest, &info), readme);
    assert!(readme.contains("Release:  app 1.2.3"));
    assert!(readme.contains("Created:  2026-11-22T10:00:00Z"));
    assert!(readme.contains(&format!("--type {APPROVAL_PREDICATE} manifest.json")));
    assert!(readme.contains("strongroom verify BUNDLE.zip --trust"));
    assert!(readme.contains("cosign verify-blob --key keys/KEYID.pem"));
    assert!(readme.contains(&format!("keys/{}.pem: DSSE, openssl pkeyutl", key_hex(&ed))));

    // An approval by the ECDSA key: a DSSE statement over manifest.json.
    let manifest_bytes = manifest.to_bytes();
    let digests = hash_reader(&manifest_bytes[..], &[], &mut |_| {}, None).unwrap();
    let statement = Statement::new(
        vec![Subject::new("manifest.json", &[digests.sha256()])],
        APPROVAL_PREDICATE,
        serde_json::json!({}),
    );
    let envelope = Envelope::sign(
        &ecdsa,
        "application/vnd.in-toto+json",
        statement.to_json_bytes(),
    )
    .unwrap();
    let approval =
        strongroom_core::bundle::BundleJson::dsse(ecdsa.public_key(), &envelope).to_pretty_json();

    let mut w = BundleWriter::new();
    for (path, bytes, _) in &files {
        w.add_bytes(path, bytes.clone()).unwrap();
    }
    w.add_bytes("README.txt", readme.clone().into_bytes())
        .unwrap();
    w.add_bytes("manifest.json", manifest_bytes.clone())
        .unwrap();
    let h = key_hex(&ecdsa);
    w.add_bytes(&layout::approval_bundle(&h), approval.into_bytes())
        .unwrap();
    w.add_bytes(
        &layout::approval_key(&h),
        ecdsa.public_key().to_pem().into_bytes(),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("bundle.zip");
    w.write_atomic(&zip_path, false).unwrap();
    let extracted = SafeZip::open(&zip_path, &Limits::default())
        .unwrap()
        .extract_to_fresh_tempdir_in(tmp.path())
        .unwrap();
    let dir = extracted.path();

    // 2. The contents against the manifest: every line OK, nothing unexpected.
    let check = lines(&readme, "sha256sum -c", "comm -23");
    let out = bash(dir, &format!("{check} || true"), &[]);
    let text = ok(&out);
    assert_eq!(
        text.matches(": OK").count(),
        manifest.entries().len(),
        "{text}"
    );
    assert!(!text.contains("FAILED"));
    assert_eq!(
        text.lines().filter(|l| !l.ends_with(": OK")).count(),
        0,
        "{text}"
    );
    // A stray file is printed by the last line.
    std::fs::write(dir.join("stray.sh"), b"x").unwrap();
    let out = bash(dir, &format!("{check} || true"), &[]);
    assert!(ok(&out).lines().any(|l| l == "stray.sh"));
    std::fs::remove_file(dir.join("stray.sh")).unwrap();

    // 3. The approver's key id.
    let id_line = lines(&readme, "openssl pkey -pubin", "openssl pkey -pubin").replace("KEYID", &h);
    assert!(ok(&bash(dir, &id_line, &[])).starts_with(&h));

    let message_sig = lines(&readme, ".messageSignature.signature", "openssl dgst");
    let dsse = lines(&readme, ".dsseEnvelope.payload", "signatures[0].sig");
    let ed_verify = lines(&readme, "openssl pkeyutl", "openssl pkeyutl");
    let ec_verify = lines(
        &readme,
        "-signature sig.bin pae.bin",
        "-signature sig.bin pae.bin",
    );
    let subjects = lines(&readme, ".subject[]", ".subject[]");
    let k_ec = format!("keys/{}.pem", key_hex(&ecdsa));
    let k_ed = format!("keys/{}.pem", key_hex(&ed));

    // 5a. ECDSA messageSignature over the artifact.
    let env = [
        ("B", "signatures/app.tar.gz.sigstore.json"),
        ("K", k_ec.as_str()),
        ("A", "artifacts/app.tar.gz"),
    ];
    assert!(ok(&bash(dir, &message_sig, &env)).contains("Verified OK"));
    let bad = [env[0], env[1], ("A", "artifacts/tool.bin")];
    assert!(!bash(dir, &message_sig, &bad).status.success());

    // 5b. Ed25519 DSSE: the PAE verifies, and the subject digest is the artifact's.
    let env = [
        ("B", "signatures/tool.bin.sigstore.json"),
        ("K", k_ed.as_str()),
        ("A", "artifacts/tool.bin"),
    ];
    assert!(ok(&bash(dir, &format!("{dsse}\n{ed_verify}"), &env))
        .contains("Signature Verified Successfully"));
    let listed = ok(&bash(dir, &format!("{dsse}\n{subjects}"), &env));
    let tool_hex = Sha256Digest::of_bytes(&tool_bytes).to_hex();
    assert!(
        listed.contains(&format!("{tool_hex}  tool.bin")),
        "{listed}"
    );
    // With another key it fails.
    let wrong = [env[0], ("K", k_ec.as_str()), env[2]];
    assert!(!bash(dir, &format!("{dsse}\n{ec_verify}"), &wrong)
        .status
        .success());

    // 5c. ECDSA DSSE: the approval over manifest.json.
    let approval_path = layout::approval_bundle(&h);
    let approval_key = layout::approval_key(&h);
    let env = [
        ("B", approval_path.as_str()),
        ("K", approval_key.as_str()),
        ("A", "manifest.json"),
    ];
    assert!(ok(&bash(dir, &format!("{dsse}\n{ec_verify}"), &env)).contains("Verified OK"));
    let listed = ok(&bash(dir, &format!("{dsse}\n{subjects}"), &env));
    assert!(listed.contains(&format!("{}  manifest.json", digests.sha256().to_hex())));
}
