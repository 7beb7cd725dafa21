//! Token keys end to end, against SoftHSM2 (a real PKCS#11 module): on-token generation for every
//! algorithm, signing by label and by RFC 7512 URI, PIN handling, the module allowlist, adoption
//! of keys made by pkcs11-tool, and interop of the signatures with openssl and sigstore-js.
//! Each test gets its own token directory (`TestToken`), and runs in its own process (nextest).

mod common;

use common::*;
use strongroom_hsm::testing::{TestToken, USER_PIN};

const TOKEN: &str = "release-hsm";

/// A station and a token; the CLI children inherit `SOFTHSM2_CONF` from this process.
fn setup() -> (TestToken, Env) {
    let token = TestToken::new(TOKEN);
    let env = Env::new();
    (token, env)
}

fn hsm_run(env: &Env, args: &[&str]) -> Out {
    env.run_pin_as(ADMIN, args)
}

/// A P-256 key pair made on the token by pkcs11-tool, not by us.
fn tool_keypair(token: &TestToken, label: &str, id: &str) {
    let o = token
        .pkcs11_tool()
        .args([
            "--login",
            "--pin",
            USER_PIN,
            "--keypairgen",
            "--key-type",
            "EC:prime256v1",
        ])
        .args(["--label", label, "--id", id])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Generates `label` on the token, checks its attributes, exports it; returns the public key path.
fn token_key(env: &Env, label: &str, alg: &str) -> std::path::PathBuf {
    let info = json(
        &hsm_run(
            env,
            &[
                "key",
                "generate",
                "--token",
                TOKEN,
                "--algorithm",
                alg,
                "--label",
                label,
                "--json",
            ],
        )
        .ok(),
    );
    assert_eq!(info["backend"], "pkcs11");
    assert_eq!(info["algorithm"], alg);
    let cka = &info["attributes"]["cka"];
    for (attr, want) in [
        ("local", true),
        ("never_extractable", true),
        ("always_sensitive", true),
        ("sensitive", true),
        ("extractable", false),
        ("sign", true),
        ("decrypt", false),
    ] {
        assert_eq!(cka[attr], want, "{alg}: {attr}");
    }
    assert!(info["uri"]
        .as_str()
        .unwrap()
        .starts_with(&format!("pkcs11:token={TOKEN};object={label};id=")));
    let shown = hsm_run(env, &["key", "show", label]).ok();
    assert!(
        shown.stdout.contains("CKA_NEVER_EXTRACTABLE  true"),
        "{}",
        shown.stdout
    );
    let pub_path = env.path(&format!("{label}.pub"));
    hsm_run(env, &["key", "export", label, "-o", s(&pub_path)]).ok();
    pub_path
}

fn sign_and_check(alg: &str) {
    let (token, env) = setup();
    let key = token_key(&env, "k", alg);
    let art = env.file("app.bin", b"token-signed release bytes\n");
    hsm_run(&env, &["sign", "--key", "k", s(&art)]).ok();
    let bundle = env.path("app.bin.sigstore.json");
    env.run(&["verify", "--key", s(&key), s(&art)])
        .ok()
        .stdout_has("VERIFIED");
    let b = env.read_json("app.bin.sigstore.json");
    // openssl checks the raw signature.
    let ok = openssl_check_bundle(&env, &b, &key, &art);
    assert_eq!(
        ok.code, 0,
        "openssl rejected the {alg} signature: {}{}",
        ok.stdout, ok.stderr
    );
    // sigstore-js checks the bundle with only the public key. It verifies RSA only as PKCS#1
    // v1.5, so RSA-PSS bundles are checked by openssl and our verifier alone (docs/formats.md).
    if !alg.starts_with("rsa") {
        sigstore_js(&bundle, &key, &art, env.work.path()).ok();
    }
    drop(token);
}

#[test]
fn ed25519_token_key() {
    sign_and_check("ed25519");
}

#[test]
fn p256_token_key() {
    sign_and_check("ecdsa-p256");
}

#[test]
fn p384_token_key_signs_sha384() {
    sign_and_check("ecdsa-p384");
}

#[test]
fn rsa3072_pss_token_key() {
    sign_and_check("rsa-3072");
}

#[test]
fn rsa4096_pss_token_key() {
    sign_and_check("rsa-4096");
}

#[test]
fn token_list_shows_the_token_its_flags_and_mechanisms() {
    let (_token, env) = setup();
    let out = json(&env.run(&["token", "list", "--json"]).ok());
    let tokens = &out[0]["tokens"];
    let t = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == TOKEN)
        .expect("token listed");
    assert_eq!(t["manufacturer"], "SoftHSM project");
    assert_eq!(t["login_required"], true);
    assert_eq!(t["user_pin"]["locked"], false);
    for m in ["EDDSA", "ECDSA", "EC_KEY_PAIR_GEN"] {
        assert!(
            t["mechanisms"].as_array().unwrap().iter().any(|x| x == m),
            "{m}"
        );
    }
}

#[test]
fn private_key_is_never_extractable_per_pkcs11_tool() {
    let (token, env) = setup();
    token_key(&env, "k", "ecdsa-p256");
    let out = token
        .pkcs11_tool()
        .args(["--login", "--pin", USER_PIN, "--list-objects"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let private = text
        .split("Private Key Object")
        .nth(1)
        .expect("a private key object");
    assert!(private.contains("never extractable"), "{text}");
    assert!(private.contains("sensitive"), "{text}");
}

#[test]
fn batch_signs_every_file_in_one_command() {
    let (_token, env) = setup();
    let key = token_key(&env, "k", "ed25519");
    std::fs::create_dir(env.path("out")).unwrap();
    let files: Vec<String> = (0..40)
        .map(|i| s(&env.file(&format!("f{i}"), format!("file {i}").as_bytes())).to_owned())
        .collect();
    let mut args = vec!["sign", "--key", "k", "-o", "out", "--json"];
    args.extend(files.iter().map(String::as_str));
    let signed = json(&hsm_run(&env, &args).ok());
    assert_eq!(signed.as_array().unwrap().len(), 40);
    for (i, f) in files.iter().enumerate() {
        let b = env.path(&format!("out/f{i}.sigstore.json"));
        env.run(&["verify", "--key", s(&key), "--bundle", s(&b), f])
            .ok();
    }
}

#[test]
fn sign_by_uri_with_pin_source_and_pin_value_gate() {
    let (_token, env) = setup();
    let key = token_key(&env, "urikey", "ecdsa-p256");
    let art = env.file("a", b"x");
    let pin_file = env.file("pin", format!("{USER_PIN}\n").as_bytes());
    let uri = format!(
        "pkcs11:token={TOKEN};object=urikey;type=private?pin-source=file:{}",
        s(&pin_file)
    );
    // No STRONGROOM_PIN here: the PIN comes from the URI's pin-source.
    env.run(&["sign", "--key", &uri, s(&art)]).ok();
    env.run(&["verify", "--key", s(&key), s(&art)]).ok();
    let with_value = format!("pkcs11:token={TOKEN};object=urikey?pin-value={USER_PIN}");
    env.run(&["sign", "--key", &with_value, "--force", s(&art)])
        .code(2)
        .stderr_has("--allow-pin-in-uri");
    env.run(&[
        "sign",
        "--key",
        &with_value,
        "--force",
        "--allow-pin-in-uri",
        s(&art),
    ])
    .ok();
}

#[test]
fn wrong_pin_is_reported_once_and_nothing_is_signed() {
    let (_token, env) = setup();
    token_key(&env, "k", "ecdsa-p256");
    let art = env.file("a", b"x");
    let o = env
        .cmd()
        .env("STRONGROOM_PIN", "999999")
        .args(["sign", "--key", "k", s(&art)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("PIN incorrect"), "{err}");
    assert!(err.contains("not retried"), "{err}");
    assert!(!err.contains("999999"), "the PIN leaked: {err}");
    assert!(!env.path("a.sigstore.json").exists());
}

#[test]
fn unknown_token_names_the_tokens_present() {
    let (_token, env) = setup();
    hsm_run(
        &env,
        &[
            "key",
            "generate",
            "--token",
            "no-such-token",
            "--algorithm",
            "ed25519",
            "--label",
            "k",
        ],
    )
    .code(3)
    .stderr_has("no-such-token")
    .stderr_has(TOKEN);
    env.run(&["key", "list", "--json"]).ok().stdout_has("[]");
}

#[test]
fn module_not_on_the_allowlist_is_refused_before_loading() {
    let (token, env) = setup();
    let copy = env.path("libcopy.so");
    std::fs::copy(token.module_path(), &copy).unwrap();
    env.run(&["token", "list", "--module", s(&copy)])
        .code(2)
        .stderr_has("not on the module allowlist")
        .stderr_has("strongroom module allow");
    hsm_run(
        &env,
        &[
            "key",
            "generate",
            "--token",
            TOKEN,
            "--module",
            "/nonexistent/p11.so",
            "--algorithm",
            "ed25519",
            "--label",
            "k",
        ],
    )
    .code(2)
    .stderr_has("not on the module allowlist");
    // `module allow libc.so.6` was accepted; a file that exports no C_GetFunctionList, or is no
    // library, is refused from its bytes (never loaded), and the allowlist is unchanged.
    env.run(&["module", "allow", "/usr/lib/x86_64-linux-gnu/libc.so.6"])
        .code(2)
        .stderr_has("is not a PKCS#11 module: it does not export C_GetFunctionList");
    let text = env.file("notes.so", b"not a library");
    env.run(&["module", "allow", s(&text)])
        .code(2)
        .stderr_has("it is not an ELF shared library");
    // A custodian can allow it; then it loads.
    env.run(&["module", "allow", s(&copy)]).ok();
    env.run(&["token", "list", "--module", s(&copy)])
        .ok()
        .stdout_has(TOKEN);
    // An empty allowlist allows nothing, not even SoftHSM.
    env.run(&["module", "remove", s(&copy)]).ok();
    env.run(&["module", "remove", s(token.module_path())]).ok();
    env.run(&["token", "list", "--json"]).ok().stdout_has("[]");
}

#[test]
fn uri_matching_two_objects_is_refused_naming_both() {
    let (token, env) = setup();
    tool_keypair(&token, "dup", "01");
    tool_keypair(&token, "dup", "02");
    let art = env.file("a", b"x");
    let out = hsm_run(
        &env,
        &[
            "sign",
            "--key",
            &format!("pkcs11:token={TOKEN};object=dup"),
            s(&art),
        ],
    )
    .code(2);
    assert!(
        out.stderr.contains("01") && out.stderr.contains("02"),
        "{}",
        out.stderr
    );
    assert!(!env.path("a.sigstore.json").exists());
    // Adding the id makes it unique; a key another tool made must be adopted (with its purpose)
    // before it signs anything: until then its purpose is unknown.
    let uri = format!("pkcs11:token={TOKEN};object=dup;id=%02");
    hsm_run(&env, &["sign", "--key", &uri, s(&art)])
        .code(2)
        .stderr_has("its purpose is unknown")
        .stderr_has("key adopt --object URI");
    // The URI names the token: no --token is needed (it was required, and the help hid it).
    hsm_run(
        &env,
        &["key", "adopt", "--object", &uri, "--label", "dup-2"],
    )
    .ok();
    hsm_run(
        &env,
        &["key", "adopt", "--object", "dup", "--label", "dup-3"],
    )
    .code(2)
    .stderr_has("which token holds \"dup\"?");
    hsm_run(&env, &["sign", "--key", &uri, s(&art)]).ok();
}

#[test]
fn adopts_a_key_made_by_pkcs11_tool() {
    let (token, env) = setup();
    tool_keypair(&token, "ext", "0a");
    let info = json(
        &hsm_run(
            &env,
            &[
                "key", "adopt", "--token", TOKEN, "--object", "ext", "--label", "adopted", "--json",
            ],
        )
        .ok(),
    );
    assert_eq!(info["algorithm"], "ecdsa-p256");
    assert_eq!(info["attributes"]["id"], "0a");
    let key = env.path("adopted.pub");
    env.run(&["key", "export", "adopted", "-o", s(&key)]).ok();
    let art = env.file("a", b"x");
    hsm_run(&env, &["sign", "--key", "adopted", s(&art)]).ok();
    env.run(&["verify", "--key", s(&key), s(&art)]).ok();

    // The URI's own PIN source is used, as `sign` uses it (it was ignored: "the PIN is needed").
    tool_keypair(&token, "ext2", "0b");
    let pin = env.file("pin.txt", format!("{USER_PIN}\n").as_bytes());
    let uri = format!(
        "pkcs11:token={TOKEN};object=ext2?pin-source=file:{}",
        s(&pin)
    );
    env.run(&["key", "adopt", "--object", &uri, "--label", "adopted-2"])
        .ok()
        .stdout_has("adopted");
}

#[test]
fn attestations_with_token_keys() {
    let (_token, env) = setup();
    let art = env.file("app.bin", b"app");
    let pred = env.file("p.json", br#"{"note": "token-signed attestation"}"#);
    for (label, alg) in [("a256", "ecdsa-p256"), ("a384", "ecdsa-p384")] {
        let key = token_key(&env, label, alg);
        let out = format!("{label}.att.json");
        hsm_run(
            &env,
            &[
                "attest",
                "--key",
                label,
                "--type",
                "custom:https://example.com/t/v1",
                "--predicate",
                s(&pred),
                "-o",
                &out,
                s(&art),
            ],
        )
        .ok();
        let bundle = env.path(&out);
        env.run(&[
            "verify",
            "--key",
            s(&key),
            "--bundle",
            s(&bundle),
            "--type",
            "custom:https://example.com/t/v1",
            s(&art),
        ])
        .ok();
        python(
            "dsse_verify.py",
            &["--bundle", s(&bundle), "--key", s(&key)],
            env.work.path(),
        )
        .ok();
        if alg == "ecdsa-p256" {
            // sigstore-js hashes DSSE with SHA-256 for every EC key, so it checks P-256 only.
            sigstore_js(&bundle, &key, &art, env.work.path()).ok();
        }
    }
}

#[test]
fn a_token_key_rotates_on_its_token_with_one_pin() {
    let (_token, env) = setup();
    let t1_pub = token_key(&env, "t1", "ecdsa-p256");
    // A wrong PIN: nothing made, the old key still active.
    let o = env
        .cmd()
        .env("STRONGROOM_PIN", "999999")
        .args(["key", "rotate", "t1", "--label", "t2", "--out", "."])
        .output()
        .map(Out::from)
        .unwrap()
        .code(4)
        .stderr_has("PIN incorrect");
    assert!(!o.stderr.contains("999999"));
    let list = hsm_run(&env, &["key", "list"]).ok().stdout;
    assert!(!list.contains("t2"), "{list}");
    assert!(!env.path("t2.pub.pem").exists());

    let r = json(
        &hsm_run(
            &env,
            &[
                "key", "rotate", "t1", "--label", "t2", "--out", ".", "--json",
            ],
        )
        .ok(),
    );
    assert_eq!(r["old"]["status"], "retired");
    assert_eq!(r["new"]["backend"], "pkcs11");
    assert_eq!(r["new"]["algorithm"], "ecdsa-p256");
    assert!(r["new"]["uri"]
        .as_str()
        .unwrap()
        .starts_with(&format!("pkcs11:token={TOKEN};object=t2;id=")));
    assert_eq!(r["new"]["attributes"]["cka"]["never_extractable"], true);
    assert_eq!(r["new"]["attributes"]["cka"]["local"], true);
    // The statement verifies with the old public key, here and with securesystemslib.
    let (pem, statement) = (
        env.path("t2.pub.pem"),
        env.path("t2.rotation.sigstore.json"),
    );
    hsm_run(
        &env,
        &[
            "verify",
            "--key",
            s(&t1_pub),
            "--type",
            "key-rotation",
            "--bundle",
            s(&statement),
            s(&pem),
        ],
    )
    .ok();
    python(
        "dsse_verify.py",
        &[
            "--bundle",
            s(&statement),
            "--key",
            s(&t1_pub),
            "--artifact",
            s(&pem),
            "--strict",
        ],
        env.work.path(),
    )
    .ok();
    // The successor signs; the retired key does not.
    let art = env.file("a", b"x");
    hsm_run(&env, &["sign", "--key", "t2", s(&art)]).ok();
    hsm_run(&env, &["verify", "--key", s(&pem), s(&art)]).ok();
    hsm_run(&env, &["sign", "--key", "t1", "--force", s(&art)])
        .code(2)
        .stderr_has("is retired");
}

/// Without a PIN (no file, no variable, no terminal), the hint names the PIN's flag and variable,
/// not the key passphrase's.
#[test]
fn a_missing_pin_names_the_pin_flags() {
    let (_token, env) = setup();
    token_key(&env, "k", "ecdsa-p256");
    env.file("a.bin", b"a");
    let o = env.run(&["sign", "--key", "k", "a.bin"]).code(4);
    assert!(o.stderr.contains("the PIN of token"), "{}", o.stderr);
    assert!(
        o.stderr.contains("--pin-file FILE or STRONGROOM_PIN"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("--passphrase-file"), "{}", o.stderr);
}

/// The security team's PIN work from the CLI, on a real SoftHSM slot: `token init` in a free
/// slot, `token change-pin` and `token unlock` with the SO PIN. pkcs11-tool (OpenSC) checks
/// which PIN logs in after each; wrong PINs are named; each act is an audit row; a release
/// officer may do none of it.
#[test]
fn tokens_are_initialised_and_their_pins_changed_and_unlocked_with_audit_rows() {
    let (token, env) = setup();
    let logs_in = |user_pin: &str| {
        token
            .pkcs11_tool()
            .args([
                "--token-label",
                "fresh",
                "--login",
                "--pin",
                user_pin,
                "--list-objects",
            ])
            .output()
            .unwrap()
            .status
            .success()
    };
    let run_with_pin = |pin: &str, args: &[&str]| {
        Out::from(
            env.cmd()
                .env("STRONGROOM_PIN", pin)
                .args(args)
                .output()
                .unwrap(),
        )
    };
    env.file("so.txt", b"so-secret\n");
    env.file("bad-so.txt", b"not-it\n");
    for (name, pin) in [
        ("p1.txt", "111111"),
        ("p2.txt", "222222"),
        ("p3.txt", "333333"),
    ] {
        env.file(name, format!("{pin}\n").as_bytes());
    }
    let info = json(
        &env.run(&[
            "token",
            "init",
            "--label",
            "fresh",
            "--so-pin-file",
            "so.txt",
            "--new-pin-file",
            "p1.txt",
            "--json",
        ])
        .ok(),
    );
    assert_eq!(info["label"], "fresh");
    assert_eq!(info["user_pin_initialized"], true);
    assert!(logs_in("111111"));
    // A label in use is refused; the existing token is untouched.
    env.run(&[
        "token",
        "init",
        "--label",
        TOKEN,
        "--so-pin-file",
        "so.txt",
        "--new-pin-file",
        "p1.txt",
    ])
    .stderr_has("already used");

    let wrong = run_with_pin(
        "000000",
        &["token", "change-pin", "fresh", "--new-pin-file", "p2.txt"],
    );
    assert_ne!(wrong.code, 0);
    assert!(wrong.stderr.contains("PIN incorrect"), "{}", wrong.stderr);
    run_with_pin(
        "111111",
        &["token", "change-pin", "fresh", "--new-pin-file", "p2.txt"],
    )
    .ok();
    assert!(!logs_in("111111") && logs_in("222222"));

    let wrong_so = env.run(&[
        "token",
        "unlock",
        "fresh",
        "--so-pin-file",
        "bad-so.txt",
        "--new-pin-file",
        "p3.txt",
    ]);
    assert_ne!(wrong_so.code, 0);
    assert!(
        wrong_so
            .stderr
            .contains("security officer's PIN is incorrect"),
        "{}",
        wrong_so.stderr
    );
    env.run(&[
        "token",
        "unlock",
        "fresh",
        "--so-pin-file",
        "so.txt",
        "--new-pin-file",
        "p3.txt",
    ])
    .ok();
    assert!(!logs_in("222222") && logs_in("333333"));

    env.add_operator("rita", "release-officer");
    let refused = env.run_as(
        "rita",
        &[
            "token",
            "unlock",
            "fresh",
            "--so-pin-file",
            "so.txt",
            "--new-pin-file",
            "p1.txt",
        ],
    );
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("token.admin"), "{}", refused.stderr);
    assert!(logs_in("333333"), "the refused unlock changed nothing");

    let rows = json(&env.run(&["audit", "list", "--json"]).ok());
    let actions: Vec<(String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            // A wrong PIN is a guess: a `login.failed` row, naming the act it was for.
            let action = match r["details"]["while"].as_str() {
                Some(w) if r["action"] == "login.failed" => format!("{w} (wrong PIN)"),
                _ => r["action"].as_str().unwrap_or_default().to_owned(),
            };
            (action, r["outcome"].as_str().unwrap_or_default().to_owned())
        })
        .filter(|(a, _)| a.starts_with("token."))
        .collect();
    for want in ["token.init", "token.pin.change", "token.pin.unlock"] {
        assert!(
            actions.iter().any(|(a, o)| a == want && o == "ok"),
            "{want} in {actions:?}"
        );
    }
    for guess in [
        "token.pin.change (wrong PIN)",
        "token.pin.unlock (wrong PIN)",
    ] {
        assert!(
            actions.iter().any(|(a, o)| a == guess && o == "denied"),
            "{guess} in {actions:?}"
        );
    }
}
