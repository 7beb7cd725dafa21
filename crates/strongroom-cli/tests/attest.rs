//! Attestations: predicates wrapped in in-toto Statement v1 and signed as DSSE bundles, checked by
//! our verifier, sigstore-js, securesystemslib and the in-toto-attestation strict parser.

mod common;

use common::*;

const PROVENANCE: &str = r#"{
  "buildDefinition": {
    "buildType": "https://strongroom.dev/test/build/v1",
    "externalParameters": {"source": {"repository": "https://git.example.com/app", "ref": "refs/tags/v1.0.0"}},
    "resolvedDependencies": [{"uri": "git+https://git.example.com/app@refs/tags/v1.0.0", "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}]
  },
  "runDetails": {
    "builder": {"id": "https://ci.example.com/builders/release"},
    "metadata": {"invocationId": "build-42", "startedOn": "2026-11-20T10:00:00Z", "finishedOn": "2026-11-20T10:05:00Z"}
  }
}"#;

#[test]
fn provenance_attestation_passes_every_verifier() {
    let env = Env::new();
    let key = env.key("k", "ecdsa-p256");
    let a = env.file("app.tar.gz", b"application");
    let b = env.file("app.deb", b"debian package");
    let pred = env.file("prov.json", PROVENANCE.as_bytes());
    let out = env
        .run(&[
            "attest",
            "--key",
            "k",
            "--type",
            "provenance",
            "--predicate",
            s(&pred),
            "--json",
            s(&a),
            s(&b),
        ])
        .ok();
    let done: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(done["predicate_type"], "https://slsa.dev/provenance/v1");
    let bundle = env.path("app.tar.gz.provenance.sigstore.json");
    assert_eq!(done["bundle"], s(&bundle));
    for art in [&a, &b] {
        env.run(&[
            "verify",
            "--key",
            s(&key),
            "--bundle",
            s(&bundle),
            "--type",
            "provenance",
            s(art),
        ])
        .ok()
        .stdout_has("PASS  predicate-type");
        sigstore_js(&bundle, &key, art, env.work.path()).ok();
    }
    python(
        "dsse_verify.py",
        &["--bundle", s(&bundle), "--key", s(&key)],
        env.work.path(),
    )
    .ok();
    python(
        "intoto_validate.py",
        &["--bundle", s(&bundle), "--provenance"],
        env.work.path(),
    )
    .ok()
    .stdout_has("OK");
    // The wrong type, or a file that is not a subject, fails.
    env.run(&[
        "verify",
        "--key",
        s(&key),
        "--bundle",
        s(&bundle),
        "--type",
        "sbom",
        s(&a),
    ])
    .code(1)
    .stdout_has("FAIL  predicate-type");
    let other = env.file("other", b"x");
    env.run(&[
        "verify",
        "--key",
        s(&key),
        "--bundle",
        s(&bundle),
        s(&other),
    ])
    .code(1)
    .stdout_has("FAIL  subject");
}

#[test]
fn custom_attestation_with_an_ed25519_key() {
    let env = Env::new();
    let key = env.key("ed", "ed25519");
    let a = env.file("a.bin", b"a");
    let pred = env.file("p.json", br#"{"reviewed": true, "by": "release board"}"#);
    env.run(&[
        "attest",
        "--key",
        "ed",
        "--type",
        "custom:https://example.com/review/v1",
        "--predicate",
        s(&pred),
        "-o",
        "review.json",
        s(&a),
    ])
    .ok();
    let bundle = env.path("review.json");
    env.run(&[
        "verify",
        "--key",
        s(&key),
        "--bundle",
        s(&bundle),
        "--type",
        "custom:https://example.com/review/v1",
        s(&a),
    ])
    .ok();
    sigstore_js(&bundle, &key, &a, env.work.path()).ok();
    python(
        "dsse_verify.py",
        &["--bundle", s(&bundle), "--key", s(&key)],
        env.work.path(),
    )
    .ok();
    python(
        "intoto_validate.py",
        &["--bundle", s(&bundle)],
        env.work.path(),
    )
    .ok();
}

#[test]
fn bad_predicates_are_refused_and_nothing_is_written() {
    let env = Env::new();
    env.key("k", "ecdsa-p256");
    let a = env.file("a.bin", b"a");
    let cases: [(&str, &[u8], &str); 4] = [
        ("provenance", b"{not json", "not valid JSON"),
        ("provenance", b"[1, 2]", "must be a JSON object"),
        (
            "provenance",
            br#"{"buildDefinition": {"buildType": "x"}}"#,
            "externalParameters",
        ),
        ("sbom", br#"{"hello": "world"}"#, "neither an SPDX document"),
    ];
    for (kind, bytes, message) in cases {
        let pred = env.file("p.json", bytes);
        env.run(&[
            "attest",
            "--key",
            "k",
            "--type",
            kind,
            "--predicate",
            s(&pred),
            s(&a),
        ])
        .code(2)
        .stderr_has(message);
    }
    env.run(&[
        "attest",
        "--key",
        "k",
        "--type",
        "bogus",
        "--predicate",
        "p.json",
        s(&a),
    ])
    .code(2)
    .stderr_has("unknown attestation type");
    let names: Vec<_> = std::fs::read_dir(env.work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.to_string_lossy().ends_with(".sigstore.json")),
        "{names:?}"
    );
}

#[test]
fn a_statement_about_other_files_is_refused() {
    let env = Env::new();
    env.key("k", "ecdsa-p256");
    let a = env.file("a.bin", b"a");
    let b = env.file("b.bin", b"b");
    let meta = repo_root().join("docs/build-meta.example.json");
    env.run(&[
        "provenance",
        "--build-meta",
        s(&meta),
        "-o",
        "prov.json",
        s(&a),
    ])
    .ok();
    env.run(&[
        "attest",
        "--key",
        "k",
        "--type",
        "provenance",
        "--predicate",
        "prov.json",
        s(&b),
    ])
    .code(2)
    .stderr_has("other files");
    env.run(&[
        "attest",
        "--key",
        "k",
        "--type",
        "provenance",
        "--predicate",
        "prov.json",
        s(&a),
    ])
    .ok();
}
