//! The station's own timestamp authority, against SoftHSM2: `tsa init` makes its keys on the
//! token and its certificates; signatures then carry RFC 3161 stamps that `openssl ts -verify`
//! (not our code) accepts with the exported CA certificate; and a release verifies by its stamp:
//! a key revoked after the stamped time still verifies, while an unstamped signature by a revoked
//! key, or one stamped after the revocation, does not.

mod common;

use common::*;
use strongroom_hsm::testing::TestToken;

const TOKEN: &str = "room-hsm";

fn pin_run(env: &Env, args: &[&str]) -> Out {
    env.run_pin_as(ADMIN, args)
}

/// A trusted signer key on the token.
fn token_signer(env: &Env, label: &str) {
    pin_run(
        env,
        &[
            "key",
            "generate",
            "--token",
            TOKEN,
            "--algorithm",
            "ecdsa-p256",
            "--label",
            label,
        ],
    )
    .ok();
    let pem = env.path(&format!("{label}.pem"));
    env.run(&["key", "export", label, "-o", s(&pem)]).ok();
    env.trust(&pem, label, "signer", ADMIN, &[]);
}

fn release(env: &Env, key: &str, out: &str) {
    pin_run(
        env,
        &[
            "release",
            "create",
            "--name",
            "t",
            "--version",
            out,
            "--stage",
            "dev",
            "--key",
            key,
            "--sbom",
            "none",
            "-o",
            out,
            "a.bin",
        ],
    )
    .ok();
}

/// The bundle `name` inside the zip `zip`, as JSON.
fn zip_json(env: &Env, zip: &str, prefix: &str) -> serde_json::Value {
    let listing = external("unzip", &["-Z1", zip], env.work.path()).ok();
    let name = listing
        .stdout
        .lines()
        .find(|l| l.starts_with(prefix) && l.ends_with(".sigstore.json"))
        .unwrap_or_else(|| panic!("no {prefix}… in {zip}: {}", listing.stdout))
        .to_owned();
    let o = external("unzip", &["-p", zip, &name], env.work.path()).ok();
    serde_json::from_str(&o.stdout).unwrap()
}

/// Writes a bundle's first stamp and the signature it is over, and asks openssl to verify it.
fn openssl_ts_verify(env: &Env, bundle: &serde_json::Value, tag: &str) -> Out {
    let stamp = bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
        ["signedTimestamp"]
        .as_str()
        .unwrap_or_else(|| panic!("no stamp in {bundle}"));
    let sig = bundle["messageSignature"]["signature"]
        .as_str()
        .or_else(|| bundle["dsseEnvelope"]["signatures"][0]["sig"].as_str())
        .unwrap();
    let tsr = env.file(&format!("{tag}.tsr"), &b64(stamp));
    let data = env.file(&format!("{tag}.sig"), &b64(sig));
    external(
        "openssl",
        &[
            "ts",
            "-verify",
            "-data",
            s(&data),
            "-in",
            s(&tsr),
            "-CAfile",
            "tsa/station-ca.pem",
            "-untrusted",
            "tsa/station-tsa.pem",
        ],
        env.work.path(),
    )
}

#[test]
fn the_station_tsa_dates_signatures_for_revocation_and_openssl_checks_its_stamps() {
    let _token = TestToken::new(TOKEN);
    let env = Env::new();
    env.file("a.bin", b"release bytes");
    env.audit_key();
    token_signer(&env, "k1");
    token_signer(&env, "k2");
    // Before the station has a TSA: an unstamped release.
    release(&env, "k1", "r0.zip");

    std::fs::create_dir(env.path("tsa")).unwrap();
    let init = json(
        &pin_run(
            &env,
            &["tsa", "init", "--token", TOKEN, "-o", "tsa", "--json"],
        )
        .ok(),
    );
    assert!(init["tsa_key_id"].is_string());
    pin_run(&env, &["tsa", "init", "--token", TOKEN, "-o", "tsa"])
        .stderr_has("already has a timestamp authority");
    env.run(&["tsa", "show"])
        .ok()
        .stdout_has("TSA key: pkcs11:");
    // The TSA's keys never become inventory keys, so `sign` cannot reach them.
    pin_run(
        &env,
        &[
            "key",
            "adopt",
            "--token",
            TOKEN,
            "--object",
            "strongroom-station-tsa",
            "--label",
            "stamper",
        ],
    )
    .stderr_has("a key of the station's timestamp authority");
    // The CA certificate is a CA; the TSA certificate has the critical timeStamping usage.
    let tsa_cert = external(
        "openssl",
        &["x509", "-in", "tsa/station-tsa.pem", "-noout", "-text"],
        env.work.path(),
    )
    .ok();
    assert!(
        tsa_cert
            .stdout
            .contains("X509v3 Extended Key Usage: critical")
            && tsa_cert.stdout.contains("Time Stamping"),
        "{}",
        tsa_cert.stdout
    );
    external(
        "openssl",
        &[
            "verify",
            "-CAfile",
            "tsa/station-ca.pem",
            "-purpose",
            "timestampsign",
            "tsa/station-tsa.pem",
        ],
        env.work.path(),
    )
    .ok();
    env.run(&[
        "trust",
        "root",
        "import",
        "tsa/station-tsa.trusted_root.json",
        "--name",
        "station-tsa",
    ])
    .ok();

    // A signed file carries a stamp over its signature; openssl verifies it, and refuses it
    // over other bytes.
    env.file("doc.txt", b"a document");
    pin_run(&env, &["sign", "--key", "k1", "doc.txt"]).ok();
    let signed = env.read_json("doc.txt.sigstore.json");
    let o = openssl_ts_verify(&env, &signed, "doc").ok();
    assert!(o.stdout.contains("Verification: OK"), "{}", o.stdout);
    let mut other = signed.clone();
    other["messageSignature"]["signature"] = serde_json::json!(b64e(b"other signature bytes"));
    assert_ne!(openssl_ts_verify(&env, &other, "other").code, 0);

    // Stamped releases by k1 and k2.
    release(&env, "k1", "r1.zip");
    release(&env, "k2", "r2.zip");
    // The audit checkpoint the release carries is stamped too.
    let excerpt = external(
        "unzip",
        &["-p", "r1.zip", "audit/excerpt.json"],
        env.work.path(),
    )
    .ok();
    let excerpt: serde_json::Value = serde_json::from_str(&excerpt.stdout).unwrap();
    let o = openssl_ts_verify(&env, &excerpt["checkpoint"], "checkpoint").ok();
    assert!(o.stdout.contains("Verification: OK"), "{}", o.stdout);
    let approval = zip_json(&env, "r1.zip", "approvals/");
    let o = openssl_ts_verify(&env, &approval, "r1").ok();
    assert!(o.stdout.contains("Verification: OK"), "{}", o.stdout);
    env.run(&["verify", "r1.zip"])
        .ok()
        .stdout_has("timestamped at");
    // A release with an SBOM: its attestation is stamped too.
    pin_run(
        &env,
        &[
            "release",
            "create",
            "--name",
            "t",
            "--version",
            "3",
            "--stage",
            "dev",
            "--key",
            "k1",
            "-o",
            "r3.zip",
            "a.bin",
        ],
    )
    .ok();
    let attestation = zip_json(&env, "r3.zip", "attestations/");
    let o = openssl_ts_verify(&env, &attestation, "r3").ok();
    assert!(o.stdout.contains("Verification: OK"), "{}", o.stdout);

    // k1 is revoked after its stamped signature; k2's revocation is dated an hour before its
    // stamp.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    env.run(&["key", "revoke", "k1", "--reason", "token lost"])
        .ok();
    let stamped_at = json(&env.run(&["verify", "r2.zip", "--json"]).ok());
    let line = stamped_at["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "timestamp")
        .unwrap_or_else(|| panic!("no timestamp check: {stamped_at}"))
        .clone();
    let detail = line["detail"].as_str().unwrap();
    let t = detail
        .split("timestamped at ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap();
    let stamp_time = strongroom_core::Timestamp::parse(t).unwrap();
    let before = strongroom_core::Timestamp::from_unix_seconds(stamp_time.unix_seconds() - 3600)
        .unwrap()
        .to_rfc3339();
    env.run(&[
        "trust",
        "revoke",
        "k2",
        "--at",
        &before,
        "--reason",
        "compromised",
    ])
    .ok();

    // Revoked after the stamp: still valid (the revocation warns).
    let o = env.run(&["verify", "r1.zip"]).ok();
    assert!(o.stdout.contains("VERIFIED WITH WARNINGS"), "{}", o.stdout);
    assert!(o.stdout.contains("timestamped at"), "{}", o.stdout);
    // No stamp, key revoked since: only the signer's word dates it, which is not enough.
    let o = env.run(&["verify", "r0.zip"]).code(1);
    assert!(
        o.stdout
            .contains("has no timestamp, and its key was revoked"),
        "{}",
        o.stdout
    );
    // Stamped after the revocation: refused.
    let o = env.run(&["verify", "r2.zip"]).code(1);
    assert!(o.stdout.contains("revoked at"), "{}", o.stdout);
    assert!(o.stdout.contains("NOT VERIFIED"), "{}", o.stdout);
}

#[test]
fn a_clock_that_jumps_backwards_is_refused_and_recorded() {
    let _token = TestToken::new(TOKEN);
    let env = Env::new();
    token_signer(&env, "k1");
    std::fs::create_dir(env.path("tsa")).unwrap();
    pin_run(&env, &["tsa", "init", "--token", TOKEN, "-o", "tsa"]).ok();
    // The station last read its clock a day from now: now reads as a jump backwards.
    let tomorrow = strongroom_core::Timestamp::from_unix_seconds(
        strongroom_core::Timestamp::now().unix_seconds() + 86_400,
    )
    .unwrap();
    std::fs::write(env.home.path().join("clock.last"), tomorrow.to_rfc3339()).unwrap();
    env.file("doc.txt", b"a document");
    pin_run(&env, &["sign", "--key", "k1", "doc.txt"]).stderr_has("earlier than");
    assert!(!env.path("doc.txt.sigstore.json").exists());
    let rows = json(&env.run(&["audit", "list", "--json"]).ok());
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "clock.backwards"),
        "{rows}"
    );
}
