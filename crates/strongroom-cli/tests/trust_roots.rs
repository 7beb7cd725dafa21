//! Sigstore trusted roots in the trust store, from the CLI: `trust root import` (checked, named,
//! audited), `list` (each certificate authority, log and timestamp authority with its window),
//! `remove`; `verify --trusted-root NAME` with a stored root; a file that is not a root refused
//! with nothing stored; and roots carried in a trust package to another station. Uses the
//! fixtures in `tests/fixtures/sigstore/keyless/` (no `../shared/` needed).

mod common;

use common::*;

const IDENTITY: &str = "appu@google.com";
const ISSUER: &str = "https://accounts.google.com";

fn json(out: Out) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap()
}

fn fixture(env: &Env, name: &str) -> String {
    let from = repo_root()
        .join("tests/fixtures/sigstore/keyless")
        .join(name);
    std::fs::copy(&from, env.path(name)).unwrap();
    name.to_owned()
}

fn verify_with(env: &Env, root: &str) -> Out {
    fixture(env, "bundle.v3.sigstore");
    fixture(env, "artifact.txt");
    env.run(&[
        "verify",
        "--trusted-root",
        root,
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
        "--bundle",
        "bundle.v3.sigstore",
        "artifact.txt",
    ])
}

fn actions(env: &Env, action: &str) -> Vec<String> {
    json(
        env.run(&["audit", "list", "--json", "--action", action])
            .ok(),
    )
    .as_array()
    .unwrap()
    .iter()
    .map(|r| {
        format!(
            "{} {}",
            r["object"].as_str().unwrap(),
            r["outcome"].as_str().unwrap()
        )
    })
    .collect()
}

#[test]
fn roots_are_imported_listed_used_by_name_and_removed() {
    let env = Env::new();
    let file = fixture(&env, "public-good-trusted_root.json");
    let imported = json(
        env.run(&[
            "trust",
            "root",
            "import",
            &file,
            "--name",
            "public-good",
            "--json",
        ])
        .ok(),
    );
    assert_eq!(imported["name"], "public-good");
    assert_eq!(
        imported["sha256"].as_str().unwrap(),
        sha256_hex(&std::fs::read(env.path(&file)).unwrap())
    );
    let kinds: Vec<&str> = imported["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    for kind in ["fulcio", "tlog", "ctlog", "tsa"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    // Every part has a window; the listing shows the same, the trust listing names the root.
    env.run(&["trust", "root", "list"])
        .ok()
        .stdout_has("public-good (sha256:")
        .stdout_has("https://fulcio.sigstore.dev")
        .stdout_has("https://rekor.sigstore.dev")
        .stdout_has("to now");
    assert_eq!(
        json(env.run(&["trust", "list", "--json"]).ok())["roots"][0]["name"],
        "public-good"
    );

    // Verified against the stored root by name; the report says which root.
    verify_with(&env, "public-good")
        .ok()
        .stdout_has("VERIFIED")
        .stdout_has("signer: appu@google.com");
    // The same bundle against a root that is not its instance fails (the CA is not trusted).
    let github = fixture(&env, "github-instance-trusted_root.json");
    env.run(&["trust", "root", "import", &github, "--name", "github"])
        .ok()
        .stdout_has("fulcio.githubapp.com");
    verify_with(&env, "github")
        .code(1)
        .stdout_has("NOT VERIFIED");

    // A name that is no root: named, with a suggestion and the remedy.
    verify_with(&env, "public-goods")
        .code(3)
        .stderr_has("no Sigstore trusted root \"public-goods\"")
        .stderr_has("did you mean \"public-good\"?")
        .stderr_has("strongroom trust root list");

    env.run(&["trust", "root", "remove", "github"]).ok();
    verify_with(&env, "github")
        .code(3)
        .stderr_has("no Sigstore trusted root");
    assert_eq!(
        actions(&env, "trust.root.import"),
        ["public-good ok", "github ok"]
    );
    assert_eq!(actions(&env, "trust.root.remove"), ["github ok"]);
}

#[test]
fn what_is_not_a_root_is_refused_and_nothing_is_stored() {
    let env = Env::new();
    let before = json(env.run(&["trust", "list", "--json"]).ok());
    env.file("notes.json", br#"{"mediaType": "something else"}"#);
    env.run(&["trust", "root", "import", "notes.json", "--name", "notes"])
        .code(2)
        .stderr_has("notes.json");
    // A name that could be mistaken for a path is refused too.
    let file = fixture(&env, "public-good-trusted_root.json");
    env.run(&["trust", "root", "import", &file, "--name", "../x"])
        .code(2)
        .stderr_has("is not a trusted root name");
    assert_eq!(json(env.run(&["trust", "list", "--json"]).ok()), before);
    assert_eq!(
        actions(&env, "trust.root.import"),
        ["notes failed", "../x failed"]
    );
}

#[test]
fn roots_travel_in_trust_packages() {
    let a = Env::new();
    let custodian = a.key_for("custodian", "ecdsa-p256", "custodian");
    a.trust(&custodian, "acme-custodian", "custodian", ADMIN, &[]);
    let file = fixture(&a, "public-good-trusted_root.json");
    a.run(&["trust", "root", "import", &file, "--name", "public-good"])
        .ok();
    a.run(&["trust", "export", "--key", "custodian", "-o", "pkg.json"])
        .ok();
    let envelope = a.read_json("pkg.json");
    let payload: serde_json::Value =
        serde_json::from_slice(&b64(envelope["payload"].as_str().unwrap())).unwrap();
    assert_eq!(payload["sigstoreRoots"][0]["name"], "public-good");

    let b = Env::new();
    std::fs::copy(a.path("pkg.json"), b.path("pkg.json")).unwrap();
    std::fs::copy(&custodian, b.path("issuer.pub")).unwrap();
    b.trust(&b.path("issuer.pub"), "issuer", "custodian", ADMIN, &[]);
    let imported = json(b.run(&["trust", "import", "pkg.json", "--json"]).ok());
    assert_eq!(imported["roots"], serde_json::json!(["public-good"]));
    verify_with(&b, "public-good").ok().stdout_has("VERIFIED");
}
