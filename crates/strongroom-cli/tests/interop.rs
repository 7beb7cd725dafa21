//! Interop: our outputs checked by verifiers we did not write (openssl, sigstore-js,
//! securesystemslib), and their outputs checked by ours. `scripts/setup-interop.sh` installs the
//! JS and Python tools; openssl comes from Debian.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use sha2::Digest as _;

/// A station with one key of `alg`, one artifact signed with it.
fn signed(alg: &str) -> (Env, PathBuf, PathBuf, PathBuf) {
    let env = Env::new();
    let key = env.key("k", alg);
    let art = env.file("release.tar.gz", b"pretend this is a release tarball\n");
    env.run(&["sign", "--key", "k", s(&art)]).ok();
    let bundle = env.path("release.tar.gz.sigstore.json");
    (env, key, art, bundle)
}

#[test]
fn key_hint_is_base64_sha256_of_der_spki_per_openssl() {
    for alg in ["ed25519", "ecdsa-p256"] {
        let (env, key, _, bundle) = signed(alg);
        let der = env.path("k.der");
        external(
            "openssl",
            &[
                "pkey",
                "-pubin",
                "-in",
                s(&key),
                "-outform",
                "DER",
                "-out",
                s(&der),
            ],
            env.work.path(),
        )
        .ok();
        let want = b64e(&sha2::Sha256::digest(std::fs::read(&der).unwrap()));
        let b = env.read_json("release.tar.gz.sigstore.json");
        assert_eq!(
            b["verificationMaterial"]["publicKey"]["hint"],
            want.as_str()
        );
        if alg == "ed25519" {
            assert_eq!(b["dsseEnvelope"]["signatures"][0]["keyid"], want.as_str());
        }
        assert!(bundle.exists());
    }
}

#[test]
fn openssl_verifies_our_raw_ecdsa_signature() {
    let (env, key, art, _) = signed("ecdsa-p256");
    let b = env.read_json("release.tar.gz.sigstore.json");
    let digest = b64(b["messageSignature"]["messageDigest"]["digest"]
        .as_str()
        .unwrap());
    assert_eq!(
        digest,
        sha2::Sha256::digest(std::fs::read(&art).unwrap()).to_vec()
    );
    openssl_check_bundle(&env, &b, &key, &art)
        .ok()
        .stdout_has("Verified OK");
    // The oracle is not vacuous: a different file fails.
    let other = env.file("other", b"different bytes");
    assert_ne!(openssl_check_bundle(&env, &b, &key, &other).code, 0);
}

#[test]
fn openssl_verifies_our_raw_ed25519_signature_over_the_pae() {
    let (env, key, art, _) = signed("ed25519");
    let mut b = env.read_json("release.tar.gz.sigstore.json");
    openssl_check_bundle(&env, &b, &key, &art)
        .ok()
        .stdout_has("Signature Verified Successfully");
    // One more byte in the payload: the PAE changes and openssl refuses.
    let mut payload = b64(b["dsseEnvelope"]["payload"].as_str().unwrap());
    payload.push(b' ');
    b["dsseEnvelope"]["payload"] = b64e(&payload).into();
    assert_ne!(openssl_check_bundle(&env, &b, &key, &art).code, 0);
}

#[test]
fn sigstore_js_verifies_our_bundles_with_only_the_public_key() {
    for alg in ["ecdsa-p256", "ed25519"] {
        let (env, key, art, bundle) = signed(alg);
        sigstore_js(&bundle, &key, &art, env.work.path())
            .ok()
            .stdout_has("OK");
        // Tampering is caught by the same oracle.
        let other = env.file("other", b"not the release");
        let out = node(
            "sigstore_verify.mjs",
            &[
                "--bundle",
                s(&bundle),
                "--key",
                s(&key),
                "--artifact",
                s(&other),
            ],
            env.work.path(),
        );
        assert_eq!(out.code, 1, "{alg}: {}{}", out.stdout, out.stderr);
        let other_station = Env::new();
        let wrong = other_station.key("w", alg);
        let out = node(
            "sigstore_verify.mjs",
            &[
                "--bundle",
                s(&bundle),
                "--key",
                s(&wrong),
                "--artifact",
                s(&art),
            ],
            env.work.path(),
        );
        assert_eq!(out.code, 1, "{alg}: {}{}", out.stdout, out.stderr);
    }
}

#[test]
fn securesystemslib_verifies_our_dsse_envelopes() {
    let (env, key, art, bundle) = signed("ed25519");
    python(
        "dsse_verify.py",
        &[
            "--bundle",
            s(&bundle),
            "--key",
            s(&key),
            "--artifact",
            s(&art),
        ],
        env.work.path(),
    )
    .ok()
    .stdout_has("OK");
    let mut b = env.read_json("release.tar.gz.sigstore.json");
    let mut payload = b64(b["dsseEnvelope"]["payload"].as_str().unwrap());
    payload.insert(1, b' ');
    b["dsseEnvelope"]["payload"] = b64e(&payload).into();
    env.write_json("tampered.json", &b);
    let out = python(
        "dsse_verify.py",
        &["--bundle", s(&env.path("tampered.json")), "--key", s(&key)],
        env.work.path(),
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
}

/// An openssl key pair: (private PEM, public PEM).
fn openssl_key(env: &Env, name: &str, genpkey_args: &[&str]) -> (PathBuf, PathBuf) {
    let private = env.path(&format!("{name}.key"));
    let public = env.path(&format!("{name}.pub"));
    let mut args = vec!["genpkey"];
    args.extend_from_slice(genpkey_args);
    args.extend_from_slice(&["-out", s(&private)]);
    external("openssl", &args, env.work.path()).ok();
    external(
        "openssl",
        &["pkey", "-in", s(&private), "-pubout", "-out", s(&public)],
        env.work.path(),
    )
    .ok();
    (private, public)
}

/// Our verifier. Foreign DSSE bundles carry SLSA provenance, so they are verified as such.
fn our_verify(env: &Env, key: &Path, bundle: &Path, art: &Path) -> Out {
    let text = std::fs::read_to_string(bundle).unwrap();
    if text.contains("payloadType") {
        env.run(&[
            "verify",
            "--key",
            s(key),
            "--bundle",
            s(bundle),
            "--type",
            "provenance",
            s(art),
        ])
    } else {
        env.run(&["verify", "--key", s(key), "--bundle", s(bundle), s(art)])
    }
}

#[test]
fn we_verify_securesystemslib_envelopes() {
    let env = Env::new();
    let art = env.file("app.bin", b"application bytes");
    for (name, args) in [
        ("ed", vec!["-algorithm", "ed25519"]),
        (
            "ec",
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
        (
            "ec384",
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        ),
    ] {
        let (private, public) = openssl_key(&env, name, &args);
        let out_env = env.path(&format!("{name}.dsse.json"));
        python(
            "foreign_sign.py",
            &[
                "dsse",
                "--key",
                s(&private),
                "--artifact",
                s(&art),
                "-o",
                s(&out_env),
            ],
            env.work.path(),
        )
        .ok();
        our_verify(&env, &public, &out_env, &art)
            .ok()
            .stdout_has("bare DSSE envelope")
            .stdout_has("PASS  subject");
        let other = env.file("other.bin", b"other bytes");
        our_verify(&env, &public, &out_env, &other)
            .code(1)
            .stdout_has("FAIL  subject");
    }
}

#[test]
fn we_verify_sigstore_js_bundles() {
    let env = Env::new();
    let art = env.file("app.bin", b"application bytes");
    let (ec_priv, ec_pub) = openssl_key(
        &env,
        "ec",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let (ed_priv, ed_pub) = openssl_key(&env, "ed", &["-algorithm", "ed25519"]);
    for (mode, private, public, extra) in [
        ("blob", &ec_priv, &ec_pub, None),
        ("blob", &ec_priv, &ec_pub, Some("--keep-media-type")),
        ("dsse", &ec_priv, &ec_pub, None),
        ("dsse", &ed_priv, &ed_pub, None),
    ] {
        let out = env.path("js.sigstore.json");
        let mut args = vec![
            mode,
            "--key",
            s(private),
            "--artifact",
            s(&art),
            "-o",
            s(&out),
        ];
        args.extend(extra);
        node("foreign_sign.mjs", &args, env.work.path()).ok();
        our_verify(&env, public, &out, &art)
            .ok()
            .stdout_has("PASS  signature");
        let other = env.file("other.bin", b"other bytes");
        our_verify(&env, public, &out, &other).code(1);
    }
}

/// Bundles assembled from openssl signatures: P-384 with SHA-384, RSA PKCS#1 v1.5 and PSS, and
/// cosign's legacy `--bundle` shape with a (not checkable offline) transparency-log entry.
#[test]
fn we_verify_openssl_signatures_in_every_bundle_shape() {
    let env = Env::new();
    let art = env.file("app.bin", b"application bytes");
    let data = std::fs::read(&art).unwrap();
    let cases: Vec<(&str, Vec<&str>, &str, Vec<&str>)> = vec![
        (
            "p384",
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            "SHA2_384",
            vec!["-sha384"],
        ),
        (
            "rsa",
            vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
            "SHA2_256",
            vec!["-sha256"],
        ),
        (
            "rsapss",
            vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
            "SHA2_256",
            vec![
                "-sha256",
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:32",
            ],
        ),
    ];
    for (name, gen, alg, dgst) in cases {
        let (private, public) = openssl_key(&env, name, &gen);
        let sig = env.path(&format!("{name}.sig"));
        let mut args = vec!["dgst"];
        args.extend_from_slice(&dgst);
        args.extend_from_slice(&["-sign", s(&private), "-out", s(&sig), s(&art)]);
        external("openssl", &args, env.work.path()).ok();
        let sig_b = std::fs::read(&sig).unwrap();
        let digest = if alg == "SHA2_384" {
            sha2::Sha384::digest(&data).to_vec()
        } else {
            sha2::Sha256::digest(&data).to_vec()
        };
        let bundle = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
            "messageSignature": {"messageDigest": {"algorithm": alg, "digest": b64e(&digest)}, "signature": b64e(&sig_b)}
        });
        env.write_json("b.json", &bundle);
        our_verify(&env, &public, &env.path("b.json"), &art)
            .ok()
            .stdout_has("PASS  signature");
        let legacy = serde_json::json!({
            "base64Signature": b64e(&sig_b),
            "cert": "",
            "rekorBundle": {"SignedEntryTimestamp": "AAAA", "Payload": {"logIndex": 1}}
        });
        env.write_json("legacy.json", &legacy);
        if alg == "SHA2_256" {
            our_verify(&env, &public, &env.path("legacy.json"), &art)
                .ok()
                .stdout_has("cosign legacy bundle")
                .stdout_has("WARN  transparency-log");
        }
        let other = env.file("other.bin", b"other bytes");
        our_verify(&env, &public, &env.path("b.json"), &other).code(1);
    }
}
