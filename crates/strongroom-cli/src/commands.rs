//! One function per subcommand: build the request, call the operation, print the result.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use strongroom_ops::dto::VerifyReport;
use strongroom_ops::{
    load_public_key_file, verify_signature, GenerateKey, SignRequest, Station, VerifyRequest,
    BUNDLE_SUFFIX,
};

use crate::cli::{Cli, Command, KeyCommand, SignArgs, VerifyArgs};
use crate::exit;
use crate::terminal::Terminal;

fn home_dir(cli_home: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match cli_home {
        Some(h) => Ok(h),
        None => directories::ProjectDirs::from("", "", "strongroom")
            .map(|d| d.data_dir().to_owned())
            .context("no home directory: give --home DIR or set STRONGROOM_HOME"),
    }
}

fn open_station(home: Option<PathBuf>) -> anyhow::Result<Station> {
    Ok(Station::open(&home_dir(home)?)?)
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Key(k) => key(cli.home, k),
        Command::Sign(s) => sign(cli.home, s),
        Command::Verify(v) => verify(cli.home, v),
    }
}

fn key(home: Option<PathBuf>, cmd: KeyCommand) -> anyhow::Result<u8> {
    match cmd {
        KeyCommand::Generate(g) => {
            let station = open_station(home)?;
            let cb = Terminal::new(g.secrets.passphrase_file.as_deref())?;
            let info = station.generate_software_key(
                &GenerateKey {
                    label: g.label,
                    algorithm: g.algorithm.parse()?,
                },
                &cb,
            )?;
            if g.json {
                print_json(&info)?;
            } else {
                println!(
                    "generated {} key {:?}\nkey id: {}",
                    info.algorithm, info.label, info.key_id
                );
            }
        }
        KeyCommand::List { json } => {
            let keys = open_station(home)?.list_keys()?;
            if json {
                print_json(&keys)?;
            } else if keys.is_empty() {
                println!("no keys yet: create one with `strongroom key generate`");
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "{:<24} {:<11} {:<9} {:<8} {:<21} KEY ID",
                    "LABEL", "ALGORITHM", "BACKEND", "STATUS", "CREATED"
                )?;
                for k in keys {
                    writeln!(
                        out,
                        "{:<24} {:<11} {:<9} {:<8} {:<21} {}",
                        k.label, k.algorithm, k.backend, k.status, k.created, k.key_id
                    )?;
                }
            }
        }
        KeyCommand::Export { key, output } => {
            let pem = open_station(home)?.public_key(&key)?.to_pem();
            match output {
                Some(path) => strongroom_store::fsutil::write_atomic(
                    &path,
                    strongroom_store::fsutil::Overwrite::Allow,
                    |f| f.write_all(pem.as_bytes()),
                )
                .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().lock().write_all(pem.as_bytes())?,
            }
        }
    }
    Ok(exit::OK)
}

fn sign(home: Option<PathBuf>, s: SignArgs) -> anyhow::Result<u8> {
    let station = open_station(home)?;
    let cb = Terminal::new(s.secrets.passphrase_file.as_deref())?;
    let signed = station.sign_files(
        &SignRequest {
            key: s.key,
            files: s.files,
            out_dir: s.output_dir,
            force: s.force,
        },
        &cb,
    )?;
    if s.json {
        print_json(&signed)?;
    } else {
        for f in signed {
            println!("signed {} -> {} ({})", f.artifact, f.bundle, f.form);
        }
    }
    Ok(exit::OK)
}

/// `--key` is a PEM file when such a file exists, else a key of the inventory.
fn verification_key(
    home: Option<PathBuf>,
    key: &str,
) -> anyhow::Result<strongroom_core::PublicKey> {
    let path = Path::new(key);
    if path.exists() {
        return Ok(load_public_key_file(path)?);
    }
    let home = home_dir(home)?;
    if !home.join("strongroom.db").exists() {
        anyhow::bail!(
            "{key}: no such public key file, and no station at {} to look the key up in",
            home.display()
        );
    }
    Ok(Station::open(&home)?.public_key(key)?)
}

fn verify(home: Option<PathBuf>, v: VerifyArgs) -> anyhow::Result<u8> {
    let document = match (&v.bundle, &v.file) {
        (Some(b), _) => b.clone(),
        (None, Some(f)) => {
            let mut name = f.as_os_str().to_owned();
            name.push(BUNDLE_SUFFIX);
            PathBuf::from(name)
        }
        (None, None) => anyhow::bail!("give the signed FILE, or --bundle BUNDLE"),
    };
    let key = verification_key(home, &v.key)?;
    let cb = Terminal::new(None)?;
    let report = verify_signature(
        &VerifyRequest {
            document,
            key,
            artifact: v.file.clone(),
        },
        &cb,
    )?;
    let dto = VerifyReport::from(&report);
    if v.json {
        print_json(&dto)?;
    } else {
        let mut out = std::io::stdout().lock();
        for c in &dto.checks {
            writeln!(
                out,
                "{:<5} {:<17} {}",
                c.outcome.to_uppercase(),
                c.id,
                c.detail
            )?;
        }
        let what = v
            .file
            .as_ref()
            .map_or("the envelope".to_owned(), |f| f.display().to_string());
        if dto.verified {
            writeln!(out, "VERIFIED: {what}")?;
        } else {
            let n = dto.checks.iter().filter(|c| c.outcome == "fail").count();
            writeln!(
                out,
                "NOT VERIFIED: {what} ({n} check{} failed)",
                if n == 1 { "" } else { "s" }
            )?;
        }
    }
    Ok(if dto.verified {
        exit::OK
    } else {
        exit::VERIFY_FAILED
    })
}
