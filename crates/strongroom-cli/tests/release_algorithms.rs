//! Every signing algorithm through every release path, with the real binary: Ed25519 and P-256
//! software keys, P-384 and RSA-3072 keys on a SoftHSM token, each as the release officer's key
//! and as the approver's; bundles with and without the artifacts inside; verified with and
//! without `--artifacts`. (P-384 bundles could be created but never approved or verified: the
//! manifest and artifacts were checked with SHA-256 only.)

mod common;

use common::*;
use strongroom_hsm::testing::TestToken;

const TOKEN: &str = "algorithms";

/// `(algorithm, on the token)`.
const ALGORITHMS: [(&str, bool); 4] = [
    ("ed25519", false),
    ("ecdsa-p256", false),
    ("ecdsa-p384", true),
    ("rsa-3072", true),
];

fn generate(env: &Env, label: &str, alg: &str, token: bool, purpose: &str, holder: &str) {
    if token {
        env.run_pin_as(
            ADMIN,
            &[
                "key",
                "generate",
                "--token",
                TOKEN,
                "--algorithm",
                alg,
                "--label",
                label,
                "--purpose",
                purpose,
            ],
        )
        .ok();
        env.run(&["key", "export", label, "-o", &format!("{label}.pub")])
            .ok();
        env.trust(
            &env.path(&format!("{label}.pub")),
            label,
            purpose,
            holder,
            &[],
        );
    } else {
        let pem = env.key_for(label, alg, purpose);
        env.trust(&pem, label, purpose, holder, &[]);
    }
}

#[test]
fn every_algorithm_creates_approves_and_verifies_on_every_path() {
    let _token = TestToken::new(TOKEN);
    let env = Env::new();
    env.add_operator("alice", "release-officer");
    env.add_operator("bob", "approver");
    env.audit_key();
    std::fs::create_dir(env.path("dist")).unwrap();
    std::fs::write(env.path("dist/app.bin"), b"release bytes\n".repeat(1000)).unwrap();
    std::fs::write(env.path("dist/app.txt"), b"notes\n").unwrap();
    // The same names, one of them with other bytes: must fail wherever bytes are checked.
    std::fs::create_dir(env.path("swapped")).unwrap();
    std::fs::copy(env.path("dist/app.bin"), env.path("swapped/app.bin")).unwrap();
    std::fs::write(env.path("swapped/app.txt"), b"not the notes\n").unwrap();

    let mut failures = Vec::new();
    for (alg, token) in ALGORITHMS {
        let rel = format!("rel-{alg}");
        let appr = format!("appr-{alg}");
        generate(&env, &rel, alg, token, "signer", "alice");
        generate(&env, &appr, alg, token, "approver", "bob");
        for included in [false, true] {
            let bundle = format!("{alg}-{included}.zip");
            let mut args = vec![
                "release",
                "create",
                "--name",
                "app",
                "--version",
                "1.0.0",
                "--stage",
                "staging",
                "--key",
                &rel,
                "--sbom",
                "auto",
                "-o",
                &bundle,
            ];
            if included {
                args.push("--include-artifacts");
            }
            args.extend(["dist/app.bin", "dist/app.txt"]);
            let steps = [
                ("create", env.run_pin_as("alice", &args)),
                (
                    "approve",
                    env.run_pin_as("bob", &["release", "approve", &bundle, "--key", &appr]),
                ),
                ("verify", env.run_as(ADMIN, &["verify", &bundle])),
                (
                    "verify --artifacts",
                    env.run_as(ADMIN, &["verify", &bundle, "--artifacts", "dist"]),
                ),
            ];
            let swapped = env.run_as(ADMIN, &["verify", &bundle, "--artifacts", "swapped"]);
            if swapped.code != 1 || !swapped.stdout.contains("app.txt: the file has sha256:") {
                failures.push(format!(
                    "{alg}, artifacts included: {included}: a swapped artifact was not caught\n{}{}",
                    swapped.stdout, swapped.stderr
                ));
            }
            for (step, out) in steps {
                if out.code != 0 {
                    failures.push(format!(
                        "{alg}, artifacts included: {included}: {step} exited {}\n{}{}",
                        out.code, out.stdout, out.stderr
                    ));
                    break;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
