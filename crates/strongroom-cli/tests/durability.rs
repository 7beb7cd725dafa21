//! Durability and concurrency of the station database, with the real binary: SIGKILL at random
//! moments of audit-writing commands (and of a schema migration) never leaves a broken chain or
//! a half-applied migration, and two writers at once lose no row.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use strongroom_hsm::testing::{TestToken, USER_PIN};

/// A small xorshift generator; the seed is printed so a failing run can be repeated
/// (`STRONGROOM_TEST_SEED`).
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = std::env::var("STRONGROOM_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("STRONGROOM_TEST_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `SELECT …` on the station database through the sqlite3 shell.
fn query(db: &std::path::Path, sql: &str) -> String {
    let o = Command::new("sqlite3").arg(db).arg(sql).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// Kills a whole process group (the shell loop and the strongroom it is running).
fn kill_group(child: &mut Child) {
    let pgid = child.id().to_string();
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .status();
    let _ = child.wait();
}

#[test]
fn sigkill_at_random_points_of_audit_writes_never_breaks_the_chain() {
    let _token = TestToken::new("audit-hsm");
    let env = Env::new();
    // A copy of a real module: `module allow` reads it (never loads it) and refuses others.
    let module = env.path("module.so");
    std::fs::copy(strongroom_hsm::testing::test_module_path(), &module).unwrap();
    // The audit key lives on the token, so a checkpoint (PIN login, sign, one transaction for the
    // checkpoint and its row) is fast enough to be cut at any point.
    let hsm = |args: &[&str]| {
        let o = env
            .cmd()
            .env("STRONGROOM_PIN", USER_PIN)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    };
    hsm(&[
        "key",
        "generate",
        "--token",
        "audit-hsm",
        "--algorithm",
        "ecdsa-p256",
        "--label",
        "audit",
        "--purpose",
        "audit",
    ]);
    hsm(&["audit", "key", "set", "audit"]);

    let exe = env!("CARGO_BIN_EXE_strongroom");
    let db = env.home.path().join("strongroom.db");
    let script = format!(
        "while :; do '{exe}' module allow '{m}'; '{exe}' audit checkpoint; '{exe}' module remove '{m}'; '{exe}' key export audit; done >/dev/null 2>&1",
        m = module.display()
    );
    let mut rng = Rng::new();
    let mut last_rows = 0u64;
    for run in 0..40 {
        // The environment of `env.cmd()` (operator, passphrases), for a shell loop in its own
        // process group.
        let template = env.cmd();
        let mut sh = Command::new("sh");
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        sh.arg("-c")
            .arg(&script)
            .env("STRONGROOM_HOME", env.home.path())
            .env("STRONGROOM_PIN", USER_PIN)
            .current_dir(env.work.path())
            .stdin(Stdio::null())
            .process_group(0);
        let mut proc = sh.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(20 + rng.below(400)));
        kill_group(&mut proc);

        let out = env.run(&["audit", "verify", "--json"]);
        assert_eq!(out.code, 0, "run {run}: {}{}", out.stdout, out.stderr);
        let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let rows = report["rows"].as_u64().unwrap();
        assert!(
            rows >= last_rows,
            "run {run}: rows went from {last_rows} to {rows}"
        );
        last_rows = rows;
        assert_eq!(
            query(&db, "PRAGMA user_version"),
            strongroom_store::SCHEMA_VERSION.to_string(),
            "run {run}"
        );
        // A checkpoint and its row are one transaction: never one without the other.
        assert_eq!(
            query(&db, "SELECT count(*) FROM audit_checkpoints"),
            query(
                &db,
                "SELECT count(*) FROM audit_log WHERE action = 'audit.checkpoint' AND outcome = 'ok'"
            ),
            "run {run}"
        );
    }
    assert!(last_rows > 40, "the loops wrote only {last_rows} rows");
    // Acts that failed (for example a token left busy by a killed process) are recorded as such.
    eprintln!(
        "{last_rows} rows; failures recorded: {}",
        query(
            &db,
            "SELECT group_concat(action || ': ' || json_extract(details, '$.error'), '; ') FROM audit_log WHERE outcome != 'ok'"
        )
    );
}

#[test]
fn sigkill_during_a_migration_leaves_the_old_or_the_new_schema() {
    let exe = env!("CARGO_BIN_EXE_strongroom");
    let mut rng = Rng::new();
    let (mut old, mut new) = (0, 0);
    for run in 0..30 {
        let home = tempfile::tempdir().unwrap();
        let db = home.path().join("strongroom.db");
        // A new station's database, before its first migration (every table is made in one
        // transaction when it is first opened).
        strongroom_store::create_db_at_version(&db, 0).unwrap();
        let mut child = Command::new(exe)
            .args(["--home", home.path().to_str().unwrap(), "operator", "list"])
            .env_remove("STRONGROOM_OPERATOR_PASSPHRASE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(12_000)));
        kill_group(&mut child);

        let version: u32 = query(&db, "PRAGMA user_version").parse().unwrap();
        let tables = query(
            &db,
            "SELECT count(*) FROM sqlite_master WHERE name IN ('operators', 'audit_checkpoints', 'audit_checkpoints_no_update')",
        );
        if version == 0 {
            old += 1;
            assert_eq!(tables.as_str(), "0", "run {run}");
        } else {
            let station_id = query(
                &db,
                "SELECT count(*) FROM settings WHERE key = 'station.id'",
            );
            new += 1;
            assert_eq!(version, strongroom_store::SCHEMA_VERSION, "run {run}");
            assert_eq!(
                (tables.as_str(), station_id.as_str()),
                ("3", "1"),
                "run {run}"
            );
        }
        // Either way the station opens and works afterwards.
        let o = Command::new(exe)
            .args(["--home", home.path().to_str().unwrap()])
            .args(["operator", "init", "--name", "admin"])
            .env("STRONGROOM_OPERATOR_PASSPHRASE", "admin passphrase")
            .output()
            .unwrap();
        assert!(o.status.success(), "run {run}: {o:?}");
        assert_eq!(
            query(
                &db,
                "SELECT count(*) FROM settings WHERE key = 'station.id'"
            ),
            "1"
        );
    }
    eprintln!("{old} runs were killed before the migration committed, {new} after");
}

#[test]
fn a_station_made_before_the_access_log_is_refused_unchanged() {
    let exe = env!("CARGO_BIN_EXE_strongroom");
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("strongroom.db");
    strongroom_store::create_db_at_version(&db, 6).unwrap();
    let o = Command::new(exe)
        .args(["--home", home.path().to_str().unwrap(), "operator", "list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("made by an older Strongroom (schema version 6)"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(query(&db, "PRAGMA user_version"), "6");
}

#[test]
fn two_writers_at_once_lose_no_row() {
    let env = Env::new();
    // A copy of a real module: `module allow` reads it (never loads it) and refuses others.
    let module = env.path("module.so");
    std::fs::copy(strongroom_hsm::testing::test_module_path(), &module).unwrap();
    let before = {
        let out = env.run(&["audit", "verify", "--json"]).ok();
        serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(4);
    let home = env.home.path().to_owned();
    let m = module.clone();
    // The in-process writer stands in for the desktop app: the same operations API, its own
    // connection, one row per call.
    let app = std::thread::spawn(move || {
        let mut station = strongroom_ops::Station::open(&home).unwrap();
        station
            .login(ADMIN, &secrecy::SecretString::from(op_passphrase(ADMIN)))
            .unwrap();
        let mut n = 0u64;
        while Instant::now() < deadline {
            station.allow_module(&m).unwrap();
            station.disallow_module(&m).unwrap();
            n += 2;
        }
        n
    });
    // Meanwhile the CLI, one process per command.
    let mut cli = 0u64;
    let m = module.to_str().unwrap();
    while Instant::now() < deadline {
        env.run(&["module", "allow", m]).ok();
        env.run(&["module", "remove", m]).ok();
        cli += 2;
    }
    let app = app.join().unwrap();
    let out = env.run(&["audit", "verify", "--json"]).ok();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["problem"], serde_json::Value::Null);
    assert_eq!(report["rows"].as_u64().unwrap(), before + app + cli);
    assert!(app > 0 && cli > 0);
    eprintln!("{app} rows from the app side and {cli} from the CLI");
}

/// Every file under `dir` (recursively) that starts like a zip: plaintext of a bundle.
fn plaintext_zips(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let mut head = [0u8; 4];
                let n = std::fs::File::open(&p)
                    .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                    .unwrap_or(0);
                if n == 4 && &head == b"PK\x03\x04" {
                    found.push(p);
                }
            }
        }
    }
    found
}

#[test]
fn sigkill_while_encrypting_or_decrypting_leaves_no_plaintext_behind() {
    let env = Env::new();
    env.signer("dev-key", "ed25519");
    env.audit_key();
    // Random bytes do not compress: the bundle is as large as the artifact, so encryption and
    // decryption take long enough to be cut.
    let mut bytes = vec![0u8; 48 << 20];
    let mut rng = Rng::new();
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&rng.below(u64::MAX).to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(env.path("big.bin"), &bytes).unwrap();
    drop(bytes);
    external("age-keygen", &["-o", "id.txt"], env.work.path()).ok();
    let id = std::fs::read_to_string(env.path("id.txt")).unwrap();
    let recipient = id
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_owned();
    let media = env.path("media");
    let tmp = env.path("tmp");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let create = |out: &str| {
        let mut c = env.cmd();
        c.env("TMPDIR", &tmp).args([
            "release",
            "create",
            "--name",
            "big",
            "--version",
            "1",
            "--stage",
            "dev",
            "--key",
            "dev-key",
            "--sbom",
            "none",
            "--include-artifacts",
            "--encrypt-to",
            &recipient,
            "-o",
            out,
            "big.bin",
        ]);
        c
    };
    // A complete one, to verify below.
    let o = create("whole.zip.age").output().unwrap();
    assert!(o.status.success(), "{o:?}");
    // Waits until `ready` says the command reached the moment to cut (or `most` passed).
    let cut = |mut child: Child, most: Duration, ready: &dyn Fn() -> bool| {
        let start = Instant::now();
        while start.elapsed() < most && !ready() && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
    };
    let any_file = |dir: &std::path::Path| std::fs::read_dir(dir).unwrap().next().is_some();
    for run in 0..4 {
        // Cut while the ciphertext is being written (its temporary file exists on the medium):
        // the plaintext zip exists then, and it must not be on the medium.
        let out = format!("media/cut-{run}.zip.age");
        let child = create(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        cut(child, Duration::from_secs(20), &|| any_file(&media));
        // Cut a verification while it decrypts (a file appears in the temp directory, or at a
        // random moment when none does).
        let mut verify = env.cmd();
        let child = verify
            .env("TMPDIR", &tmp)
            .args(["verify", "whole.zip.age", "--identity", "id.txt"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        cut(child, Duration::from_millis(100 + rng.below(800)), &|| {
            any_file(&tmp)
        });
        let left: Vec<_> = plaintext_zips(&media)
            .into_iter()
            .chain(plaintext_zips(&tmp))
            .collect();
        assert!(
            left.is_empty(),
            "run {run}: plaintext left behind: {left:?}"
        );
    }
}

#[test]
fn sigkill_while_signing_leaves_no_usable_bundle_and_the_intent_recorded() {
    let env = Env::new();
    env.key("k", "ecdsa-p256");
    let dir = env.path("files");
    std::fs::create_dir(&dir).unwrap();
    let mut files = Vec::new();
    for i in 0..3000 {
        let p = dir.join(format!("f{i:04}.bin"));
        std::fs::write(&p, format!("file {i}")).unwrap();
        files.push(p.display().to_string());
    }
    let mut c = env.cmd();
    c.args(["sign", "--key", "k"]).args(&files);
    let mut child = c
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once signatures are being staged (a temporary file appears beside the files).
    let staged = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
    };
    let start = Instant::now();
    while !staged() && start.elapsed() < Duration::from_secs(60) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "sign ended before it was cut"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut leftovers = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".sigstore.json") {
            panic!("{name}: a bundle was renamed into place before every file was signed");
        }
        if name.ends_with(".tmp") {
            leftovers += 1;
            let bytes = std::fs::read(e.path()).unwrap();
            assert!(
                serde_json::from_slice::<serde_json::Value>(&bytes).is_err(),
                "{name} is a usable signature bundle"
            );
        }
    }
    assert!(leftovers > 0, "the cut came too late to test anything");
    // The audit trail says what was being signed, with which key.
    env.run(&["audit", "list", "--action", "sign.intent"])
        .ok()
        .stdout_has("sign.intent");
    // The next signing run into that folder removes the debris, and records how much it was.
    let one = dir.join("f0000.bin").display().to_string();
    env.run(&["sign", "--key", "k", &one]).ok();
    let tmp_left = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(tmp_left, 0, "leftovers of the killed run remain");
    let rows: serde_json::Value = serde_json::from_str(
        &env.run(&["audit", "list", "--action", "sign.intent", "--json"])
            .ok()
            .stdout,
    )
    .unwrap();
    let removed: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["details"]["leftovers_removed"])
        .collect();
    assert_eq!(removed, [0, leftovers], "{rows:#}");
}
