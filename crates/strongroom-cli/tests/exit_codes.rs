//! Exit codes exactly as `docs/cli.md`'s table says: a real case of every documented code, run
//! against the binary, and no documented code without a case.

mod common;

use common::*;

/// The codes `docs/cli.md` documents (its "Exit codes" table: `| N | meaning |`).
fn documented_codes() -> Vec<i32> {
    let doc = std::fs::read_to_string(repo_root().join("docs/cli.md")).unwrap();
    let mut codes: Vec<i32> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next()?.trim().parse().ok())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

#[test]
fn every_documented_exit_code_is_what_the_binary_returns() {
    let env = Env::new();
    env.add_operator("bob", "approver");
    env.key("k", "ed25519");
    env.file("a.txt", b"a");
    env.run(&["sign", "--key", "k", "a.txt"]).ok();

    let mut cases: Vec<(i32, &str, Out)> = vec![(
        0,
        "a signature that verifies",
        env.run(&["verify", "--key", "k", "a.txt"]),
    )];
    cases.push((
        2,
        "an unknown flag",
        env.run(&["sign", "--no-such-flag", "a.txt"]),
    ));
    cases.push((
        2,
        "an output that exists",
        env.run(&["sign", "--key", "k", "a.txt"]),
    ));
    cases.push((
        2,
        "an unknown algorithm",
        env.run(&["key", "generate", "--algorithm", "ed448", "--label", "x"]),
    ));
    cases.push((
        3,
        "a file that does not exist",
        env.run(&["sign", "--key", "k", "missing.txt"]),
    ));
    cases.push((
        3,
        "a key that is nowhere",
        env.run(&["verify", "--key", "nosuch", "a.txt"]),
    ));
    cases.push((
        4,
        "a wrong operator passphrase",
        Out::from(
            env.bare_cmd()
                .env("STRONGROOM_OPERATOR", ADMIN)
                .env("STRONGROOM_OPERATOR_PASSPHRASE", "not the passphrase")
                .args(["key", "list"])
                .output()
                .unwrap(),
        ),
    ));
    cases.push((
        5,
        "a key label that is taken",
        env.run(&["key", "generate", "--algorithm", "ed25519", "--label", "k"]),
    ));
    // A real module that cannot start: SoftHSM without its configuration file. (A file that is
    // no PKCS#11 module at all is refused by `module allow`, exit 2.)
    let module = env.path("p11copy.so");
    std::fs::copy(strongroom_hsm::testing::test_module_path(), &module).unwrap();
    let module = module.to_str().unwrap();
    env.run(&["module", "allow", module]).ok();
    cases.push((
        6,
        "a module that cannot start",
        Out::from(
            env.cmd()
                .env("SOFTHSM2_CONF", "/nonexistent/softhsm2.conf")
                .args(["token", "list", "--module", module])
                .output()
                .unwrap(),
        ),
    ));
    let broken = Env::unclaimed();
    std::fs::create_dir(broken.home.path().join("strongroom.db")).unwrap();
    cases.push((
        7,
        "a database that cannot be opened",
        broken.run(&["key", "list"]),
    ));
    cases.push((
        8,
        "an approver trusting a key",
        env.run_as(
            "bob",
            &[
                "trust",
                "add",
                "k.pub",
                "--name",
                "k2",
                "--purpose",
                "signer",
                "--holder",
                "bob",
            ],
        ),
    ));
    // The signed file changes: the same verification now fails.
    std::fs::write(env.path("a.txt"), b"changed").unwrap();
    cases.push((
        1,
        "a signature over other bytes",
        env.run(&["verify", "--key", "k", "a.txt"]),
    ));

    for (code, what, out) in &cases {
        assert_eq!(
            out.code, *code,
            "{what}: exit {} where docs/cli.md says {code}\nstdout: {}\nstderr: {}",
            out.code, out.stdout, out.stderr
        );
        if *code >= 2 {
            assert!(
                out.stderr.contains("error"),
                "{what}: no error line: {}",
                out.stderr
            );
        }
    }
    assert_eq!(
        documented_codes(),
        (0..=8).collect::<Vec<_>>(),
        "docs/cli.md's exit code table changed"
    );
    let covered: std::collections::BTreeSet<i32> = cases.iter().map(|(c, _, _)| *c).collect();
    for code in documented_codes() {
        assert!(
            covered.contains(&code),
            "docs/cli.md documents exit code {code}, and no case here shows it"
        );
    }
}

/// `verify nosuch.zip` exited 2 asking for --key; a file that is not there is exit 3, as
/// docs/cli.md says, naming the file.
#[test]
fn verifying_a_file_that_is_not_there_is_exit_3() {
    let env = Env::new();
    for args in [
        &["verify", "nosuch.zip"][..],
        &["verify", "--key", "k.pem", "nosuch.bin"],
    ] {
        let o = env.run(args);
        assert_eq!(o.code, 3, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains("nosuch"), "{}", o.stderr);
    }
}

/// With --json, an error is a JSON object on standard output too (the person's lines stay on
/// standard error): its code, exit code, message and remedy.
#[test]
fn with_json_an_error_is_a_json_object() {
    let env = Env::new();
    let o = env.run(&["key", "show", "nosuch", "--json"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    let doc: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(doc["error"]["code"], "not_found");
    assert_eq!(doc["error"]["exit"], 3);
    assert!(doc["error"]["message"].as_str().unwrap().contains("nosuch"));
    assert!(doc["error"]["remedy"]
        .as_str()
        .unwrap()
        .contains("key list"));
    assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
}

/// A mistyped key label names the key it most likely meant.
#[test]
fn a_mistyped_key_label_is_answered_with_the_nearest_one() {
    let env = Env::new();
    env.key("release-2026", "ed25519");
    env.run(&["key", "show", "release-2025"])
        .code(3)
        .stderr_has("did you mean \"release-2026\"?");
    let o = env.run(&["key", "show", "backup"]).code(3);
    assert!(!o.stderr.contains("did you mean"), "{}", o.stderr);
}

/// `--version` names the version, the commit this checkout is at and the build profile, as
/// `docs/cli.md` says.
#[test]
fn version_names_the_commit_and_the_build_profile() {
    let out = Env::new().run(&["--version"]).ok();
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_owned());
    let commit = std::env::var("STRONGROOM_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or(commit)
        .unwrap_or_else(|| "unknown".into());
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    assert_eq!(
        out.stdout.trim(),
        format!(
            "strongroom {} (commit {commit}, {profile} build)",
            env!("CARGO_PKG_VERSION")
        )
    );
}

/// The man pages cover every subcommand and are well-formed roff (man itself renders them);
/// the completion scripts name every subcommand.
#[test]
fn man_pages_and_completions_cover_every_subcommand() {
    let env = Env::new();
    let dir = env.path("man");
    env.run(&["manpages", dir.to_str().unwrap()]).ok();
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    for page in [
        "strongroom.1",
        "strongroom-key.1",
        "strongroom-key-generate.1",
        "strongroom-release-create.1",
        "strongroom-verify.1",
        "strongroom-completions.1",
    ] {
        assert!(pages.contains(&page.to_owned()), "no {page} in {pages:?}");
    }
    assert!(
        !pages
            .iter()
            .any(|p| p.contains("help") || p.contains("manpages")),
        "{pages:?}"
    );
    let root = std::fs::read_to_string(dir.join("strongroom.1")).unwrap();
    assert!(root.contains("Offline signing and verification"), "{root}");
    assert!(root.contains("strongroom\\-release(1)"), "{root}");
    // Two runs write the same bytes (no date in the pages).
    let again = env.path("man2");
    env.run(&["manpages", again.to_str().unwrap()]).ok();
    for p in &pages {
        assert_eq!(
            std::fs::read(dir.join(p)).unwrap(),
            std::fs::read(again.join(p)).unwrap(),
            "{p}"
        );
    }
    // man renders a page without a warning, when man is here.
    if let Ok(o) = std::process::Command::new("man")
        .args(["--warnings", "-l", "-Tutf8"])
        .arg(dir.join("strongroom-release-create.1"))
        .env("MANWIDTH", "80")
        .output()
    {
        // Without a terminal man overstrikes bold text ("X\x08X"): keep what is struck.
        let mut text = String::new();
        for c in String::from_utf8_lossy(&o.stdout).chars() {
            if c == '\u{8}' {
                text.pop();
            } else {
                text.push(c);
            }
        }
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            o.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(text.contains("--stage"), "{text}");
    }
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef strongroom"),
        ("fish", "complete -c strongroom"),
    ] {
        let script = env.run(&["completions", shell]).ok().stdout;
        assert!(script.contains(marker), "{shell}: {script}");
        for sub in ["release", "verify", "ceremony", "tsa"] {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
    }
}
