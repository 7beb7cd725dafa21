//! `verify --trusted-root … DIR`: a folder of keyless bundles, each beside its file, verified in
//! one command; each bundle gets its line, a wrong file or a missing one fails alone. Uses the
//! fixtures in `tests/fixtures/sigstore/keyless/` (no `../shared/` needed).

mod common;

use common::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        repo_root()
            .join("tests/fixtures/sigstore/keyless")
            .join(name),
    )
    .unwrap()
}

fn verify_folder(env: &Env, extra: &[&str]) -> Out {
    env.file("root.json", &fixture("public-good-trusted_root.json"));
    let mut args = vec![
        "verify",
        "--trusted-root",
        "root.json",
        "--certificate-identity",
        "appu@google.com",
        "--certificate-oidc-issuer",
        "https://accounts.google.com",
    ];
    args.extend_from_slice(extra);
    args.push("signed");
    env.run(&args)
}

#[test]
fn a_folder_of_bundles_is_verified_in_one_command() {
    let env = Env::new();
    std::fs::create_dir(env.path("signed")).unwrap();
    for name in ["a.txt", "b.txt"] {
        env.file(&format!("signed/{name}"), &fixture("artifact.txt"));
        env.file(
            &format!("signed/{name}.sigstore.json"),
            &fixture("bundle.v3.sigstore"),
        );
    }
    verify_folder(&env, &[])
        .ok()
        .stdout_has("PASS  signed/a.txt.sigstore.json (appu@google.com)")
        .stdout_has("VERIFIED: all 2 bundles in signed");

    // Another file under a bundle's name, and a bundle whose file is gone: each fails alone.
    env.file("signed/b.txt", b"not what was signed\n");
    env.file("signed/c.txt.sigstore", &fixture("bundle.v3.sigstore"));
    verify_folder(&env, &[])
        .code(1)
        .stdout_has("PASS  signed/a.txt.sigstore.json")
        .stdout_has("FAIL  signed/b.txt.sigstore.json (failed: ")
        .stdout_has("artifact-digest")
        .stdout_has("FAIL  signed/c.txt.sigstore (failed: artifact-digest)")
        .stdout_has("NOT VERIFIED: 2 of 3 bundles in signed failed");
    let reports =
        serde_json::from_str::<serde_json::Value>(&verify_folder(&env, &["--json"]).code(1).stdout)
            .unwrap();
    let verdicts: Vec<bool> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["verified"].as_bool().unwrap())
        .collect();
    assert_eq!(verdicts, [true, false, false]);

    // A folder with no bundle says so.
    std::fs::create_dir(env.path("empty")).unwrap();
    env.run(&[
        "verify",
        "--trusted-root",
        "root.json",
        "--certificate-identity",
        "appu@google.com",
        "--certificate-oidc-issuer",
        "https://accounts.google.com",
        "empty",
    ])
    .code(2)
    .stderr_has("no FILE.sigstore.json or FILE.sigstore bundle in this folder");
}
