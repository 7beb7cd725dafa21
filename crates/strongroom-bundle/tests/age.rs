//! age encryption of bundles: round trips in Rust, interop with Debian's `age` CLI in both
//! directions (X25519 recipients and passphrases, binary and armored), and typed errors for the
//! wrong identity, the wrong passphrase and damaged files.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use secrecy::SecretString;
use strongroom_bundle::age::{decrypt_to_temp, encrypt_file, is_age, Identity, Recipient};
use strongroom_bundle::{BundleError, Limits, SafeZip};

fn bundle(dir: &Path) -> PathBuf {
    let p = dir.join("bundle.zip");
    common::sample_writer().write_atomic(&p, false).unwrap();
    p
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A fresh age identity file from `age-keygen`, and its recipient.
fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    run(Command::new("age-keygen").arg("-o").arg(&key));
    let recipient = run(Command::new("age-keygen").arg("-y").arg(&key));
    (key, recipient.trim().to_owned())
}

/// Runs the age CLI on a pseudo-terminal (it reads passphrases only from a terminal), typing
/// `input` into it.
fn age_on_tty(args: &str, input: &str) {
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &format!("age {args}"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script(1) runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "age {args} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

#[test]
fn x25519_round_trip_wrong_identity_and_wrong_kind() {
    let dir = tempfile::tempdir().unwrap();
    let src = bundle(dir.path());
    let (key, recipient) = keygen(dir.path(), "key.txt");
    let (other_key, other_recipient) = keygen(dir.path(), "other.txt");

    // Two recipients; each can decrypt alone. The identity file has comments and blank lines.
    let out = dir.path().join("bundle.zip.age");
    let written = encrypt_file(
        &src,
        &out,
        &[
            Recipient::parse_x25519(&recipient).unwrap(),
            Recipient::parse_x25519(&other_recipient).unwrap(),
        ],
        false,
    )
    .unwrap();
    assert_eq!(written.size, std::fs::metadata(&out).unwrap().len());
    assert!(is_age(&out).unwrap());
    assert!(!is_age(&src).unwrap());
    let plain = decrypt_to_temp(&out, &Identity::File(key.clone())).unwrap();
    assert_eq!(read_all(plain), std::fs::read(&src).unwrap());
    let plain = decrypt_to_temp(&out, &Identity::File(other_key)).unwrap();
    assert!(SafeZip::from_file(plain, &out, &Limits::default()).is_ok());

    // Not one of the recipients.
    let (stranger, _) = keygen(dir.path(), "stranger.txt");
    assert!(matches!(
        decrypt_to_temp(&out, &Identity::File(stranger)),
        Err(BundleError::NoMatchingIdentity(_))
    ));
    // A passphrase for a file encrypted to recipients.
    assert!(matches!(
        decrypt_to_temp(&out, &Identity::Passphrase(pass("x"))),
        Err(BundleError::IdentityNeeded(_))
    ));
    // Not an identity file.
    let junk = common::put(dir.path(), "junk.txt", b"# comment\nnot a key\n");
    assert!(matches!(
        decrypt_to_temp(&out, &Identity::File(junk)),
        Err(BundleError::IdentityFile { .. })
    ));
    // The output is never replaced unless asked.
    assert!(matches!(
        encrypt_file(
            &src,
            &out,
            &[Recipient::parse_x25519(&recipient).unwrap()],
            false
        ),
        Err(BundleError::OutputExists(_))
    ));
}

#[test]
fn passphrase_round_trip_and_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let src = bundle(dir.path());
    let out = dir.path().join("bundle.zip.age");
    encrypt_file(
        &src,
        &out,
        &[Recipient::Passphrase(pass("correct horse"))],
        false,
    )
    .unwrap();
    let head = std::fs::read(&out).unwrap();
    assert!(String::from_utf8_lossy(&head[..80]).contains("-> scrypt "));
    let plain = decrypt_to_temp(&out, &Identity::Passphrase(pass("correct horse"))).unwrap();
    assert_eq!(read_all(plain), std::fs::read(&src).unwrap());
    assert!(matches!(
        decrypt_to_temp(&out, &Identity::Passphrase(pass("wrong horse"))),
        Err(BundleError::WrongPassphrase(_))
    ));
    let (key, _) = keygen(dir.path(), "key.txt");
    assert!(matches!(
        decrypt_to_temp(&out, &Identity::File(key)),
        Err(BundleError::PassphraseNeeded(_))
    ));
}

#[test]
fn damaged_and_foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = bundle(dir.path());
    let (key, recipient) = keygen(dir.path(), "key.txt");
    let out = dir.path().join("b.age");
    encrypt_file(
        &src,
        &out,
        &[Recipient::parse_x25519(&recipient).unwrap()],
        false,
    )
    .unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let id = Identity::File(key);

    // Truncated ciphertext.
    let cut = common::put(dir.path(), "cut.age", &bytes[..bytes.len() - 100]);
    assert!(matches!(
        decrypt_to_temp(&cut, &id),
        Err(BundleError::AgeCorrupt { reason, .. }) if reason.contains("truncated")
    ));
    // One payload byte flipped.
    let mut flipped = bytes.clone();
    let n = flipped.len();
    flipped[n - 50] ^= 1;
    let flipped = common::put(dir.path(), "flipped.age", &flipped);
    assert!(matches!(
        decrypt_to_temp(&flipped, &id),
        Err(BundleError::AgeCorrupt { .. })
    ));
    // A damaged header (the recipient stanza).
    let mut header = bytes.clone();
    header[40] ^= 1;
    let header = common::put(dir.path(), "header.age", &header);
    assert!(decrypt_to_temp(&header, &id).is_err());
    // Not age at all.
    assert!(matches!(
        decrypt_to_temp(&src, &id),
        Err(BundleError::NotAge { .. })
    ));
}

#[test]
fn recipient_lists_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let src = bundle(dir.path());
    let out = dir.path().join("x.age");
    assert!(matches!(
        encrypt_file(&src, &out, &[], false),
        Err(BundleError::Recipients(_))
    ));
    let (_, r) = keygen(dir.path(), "k.txt");
    assert!(matches!(
        encrypt_file(
            &src,
            &out,
            &[
                Recipient::parse_x25519(&r).unwrap(),
                Recipient::Passphrase(pass("p"))
            ],
            false
        ),
        Err(BundleError::Recipients(_))
    ));
    for bad in ["", "age1", "AGE-SECRET-KEY-1ABC", "ssh-ed25519 AAAA"] {
        assert!(
            matches!(
                Recipient::parse_x25519(bad),
                Err(BundleError::InvalidRecipient { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(!out.exists());
    // Secrets never show in Debug.
    let shown = format!("{:?}", Recipient::Passphrase(pass("hunter2")));
    assert!(!shown.contains("hunter2"));
}

#[test]
fn the_age_cli_reads_what_we_encrypt_to_recipients() {
    let dir = tempfile::tempdir().unwrap();
    let src = bundle(dir.path());
    let (key, recipient) = keygen(dir.path(), "key.txt");
    let out = dir.path().join("b.age");
    encrypt_file(
        &src,
        &out,
        &[Recipient::parse_x25519(&recipient).unwrap()],
        false,
    )
    .unwrap();
    let dec = dir.path().join("b.zip");
    run(Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg("-o")
        .arg(&dec)
        .arg(&out));
    assert_eq!(std::fs::read(&dec).unwrap(), std::fs::read(&src).unwrap());
}

#[test]
fn we_read_what_the_age_cli_encrypts_to_recipients_binary_and_armored() {
    let dir = tempfile::tempdir().unwrap();
    let src = bundle(dir.path());
    let (key, recipient) = keygen(dir.path(), "key.txt");
    for armor in [false, true] {
        let out = dir.path().join(format!("cli-{armor}.age"));
        let mut cmd = Command::new("age");
        cmd.arg("-r").arg(&recipient).arg("-o").arg(&out);
        if armor {
            cmd.arg("-a");
        }
        run(cmd.arg(&src));
        assert!(is_age(&out).unwrap());
        let plain = decrypt_to_temp(&out, &Identity::File(key.clone())).unwrap();
        assert_eq!(read_all(plain), std::fs::read(&src).unwrap());
    }
}

#[test]
fn passphrases_interoperate_with_the_age_cli() {
    let dir = tempfile::tempdir().unwrap();
    let src = bundle(dir.path());
    let d = dir.path().display();

    // Ours → age -d, the passphrase typed on a pseudo-terminal.
    let ours = dir.path().join("ours.age");
    encrypt_file(
        &src,
        &ours,
        &[Recipient::Passphrase(pass("tr0ub4dor&3"))],
        false,
    )
    .unwrap();
    age_on_tty(&format!("-d -o {d}/ours.zip {d}/ours.age"), "tr0ub4dor&3\n");
    assert_eq!(
        std::fs::read(dir.path().join("ours.zip")).unwrap(),
        std::fs::read(&src).unwrap()
    );

    // age -p (passphrase typed twice) → ours.
    age_on_tty(
        &format!("-p -o {d}/theirs.age {d}/bundle.zip"),
        "tr0ub4dor&3\ntr0ub4dor&3\n",
    );
    let plain = decrypt_to_temp(
        &dir.path().join("theirs.age"),
        &Identity::Passphrase(pass("tr0ub4dor&3")),
    )
    .unwrap();
    assert_eq!(read_all(plain), std::fs::read(&src).unwrap());
}

/// Everything a (decrypted, nameless) file holds from its current position.
fn read_all(mut f: std::fs::File) -> Vec<u8> {
    let mut v = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut v).unwrap();
    v
}
