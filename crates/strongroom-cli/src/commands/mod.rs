//! The subcommands, one module per group: the global options every command shares (`Ctx`),
//! logging in, dispatch, and the helpers several groups use to print and write results.

mod attest;
mod audit;
mod ceremony;
mod docs;
mod key;
mod module;
mod operator;
mod provenance;
mod release;
mod sbom;
mod scan;
mod sign;
mod token;
mod trust;
mod tsa;
mod verify;
mod vulndb;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use strongroom_ops::Station;

use crate::cli::{Cli, Command};

pub(crate) use release::ReleaseCommand;

fn home_dir(cli_home: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match cli_home {
        Some(h) => Ok(h),
        None => Station::default_home()
            .context("no home directory: give --home DIR or set STRONGROOM_HOME"),
    }
}

/// What every command needs from the global options.
struct Ctx {
    home: Option<PathBuf>,
    /// `--operator`: the account to log in as (default: the login name).
    operator: Option<String>,
    /// `--operator-passphrase-file`.
    operator_passphrase_file: Option<PathBuf>,
    /// `--cosigner`: custodians who consent to this command's change.
    cosigners: Vec<String>,
    /// `--cosigner-passphrase-file`, in `--cosigner` order.
    cosigner_passphrase_files: Vec<PathBuf>,
}

impl Ctx {
    fn operator_name(&self) -> String {
        self.operator
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into())
    }

    /// The operator's passphrase: `--operator-passphrase-file`, the environment, or a prompt.
    fn operator_passphrase(&self, name: &str) -> anyhow::Result<secrecy::SecretString> {
        match crate::terminal::preset(
            self.operator_passphrase_file.as_deref(),
            crate::terminal::OPERATOR_PASSPHRASE_ENV,
        )? {
            Some(p) => Ok(p),
            None => crate::terminal::prompt(&format!("Passphrase for operator {name:?}: "))
                .ok_or_else(|| {
                    strongroom_ops::OpsError::OperatorPassphraseUnavailable(name.to_owned()).into()
                }),
        }
    }
}

/// Opens the station and, once it has operator accounts, logs in (once per command).
fn open_station(ctx: &Ctx) -> anyhow::Result<Station> {
    let mut station = Station::open_existing(&home_dir(ctx.home.clone())?)?;
    login(ctx, &mut station)?;
    Ok(station)
}

fn login(ctx: &Ctx, station: &mut Station) -> anyhow::Result<()> {
    let name = ctx.operator_name();
    station.set_operator(&name);
    if station.is_claimed()? {
        let passphrase = ctx.operator_passphrase(&name)?;
        station.login(&name, &passphrase)?;
    }
    anyhow::ensure!(
        ctx.cosigner_passphrase_files.len() <= ctx.cosigners.len(),
        "--cosigner-passphrase-file is given {} times for {} --cosigner",
        ctx.cosigner_passphrase_files.len(),
        ctx.cosigners.len()
    );
    for (i, cosigner) in ctx.cosigners.iter().enumerate() {
        let env = (ctx.cosigners.len() == 1).then_some(crate::terminal::COSIGNER_PASSPHRASE_ENV);
        let passphrase = match crate::terminal::preset_opt(
            ctx.cosigner_passphrase_files.get(i).map(PathBuf::as_path),
            env,
        )? {
            Some(p) => p,
            None => crate::terminal::prompt(&format!(
                "Passphrase for custodian {cosigner:?}, who consents to this change: "
            ))
            .ok_or_else(|| {
                strongroom_ops::OpsError::OperatorPassphraseUnavailable(cosigner.clone())
            })?,
        };
        station.add_cosigner(cosigner, &passphrase)?;
    }
    Ok(())
}

/// Treats a closed standard output (`| head`, `| grep -q`) as fine for printing a result whose
/// exit code is already decided, so a failed verdict is never turned into success.
fn printed(r: anyhow::Result<()>) -> anyhow::Result<()> {
    match r {
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// One line of a verification report: `PASS  check-id           detail`.
fn write_check(
    out: &mut impl Write,
    outcome: strongroom_core::verify::Outcome,
    id: impl std::fmt::Display,
    detail: &str,
) -> std::io::Result<()> {
    let id = id.to_string();
    writeln!(
        out,
        "{:<5} {id:<18} {detail}",
        outcome.as_str().to_uppercase()
    )
}

/// `n` and the noun, in the singular for one: `1 finding`, `3 findings`.
fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A table with a header, each column as wide as its widest cell (the last one unpadded).
pub(super) fn write_table<const N: usize>(
    out: &mut impl Write,
    header: &[&str; N],
    rows: &[[String; N]],
) -> std::io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: Vec<&str>| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}  "));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, header.to_vec())?;
    for row in rows {
        line(out, row.iter().map(String::as_str).collect())?;
    }
    Ok(())
}

/// `items` written out and joined with `sep`.
fn joined<T: std::fmt::Display>(items: &[T], sep: &str) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(sep)
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    // As an io::Error, so that a closed pipe is recognised as one.
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<u8> {
    let ctx = Ctx {
        home: cli.home,
        operator: cli.operator,
        operator_passphrase_file: cli.operator_passphrase_file,
        cosigners: cli.cosigner,
        cosigner_passphrase_files: cli.cosigner_passphrase_file,
    };
    match cli.command {
        Command::Key(k) => key::key(&ctx, k),
        Command::Sign(s) => sign::sign(&ctx, s),
        Command::Verify(v) => verify::verify(&ctx, *v),
        Command::Release(r) => release::release(&ctx, r),
        Command::Attest(a) => attest::attest(&ctx, a),
        Command::Sbom(a) => sbom::sbom(&ctx, a),
        Command::Provenance(p) => provenance::provenance(&ctx, p),
        Command::Vulndb(v) => vulndb::vulndb(&ctx, v),
        Command::Scan(a) => scan::scan(&ctx, a),
        Command::Audit(a) => audit::audit(&ctx, a),
        Command::Operator(o) => operator::operator(&ctx, o),
        Command::Token(t) => token::token(&ctx, t),
        Command::Module(m) => module::module(&ctx, m),
        Command::Tsa(t) => tsa::tsa(&ctx, t),
        Command::Ceremony(c) => ceremony::ceremony(&ctx, c),
        Command::Trust(t) => trust::trust(&ctx, t),
        Command::Completions { shell } => docs::completions(shell),
        Command::Manpages { dir } => docs::manpages(&dir),
    }
}

/// A key's purpose from a flag.
fn parse_purpose(s: &str) -> anyhow::Result<strongroom_core::Purpose> {
    Ok(strongroom_ops::trust::parse_purpose(s)?)
}

/// Prints the station's key warnings (trust-deciding keys sharing a token) to standard error.
fn warn_keys(station: &Station) -> anyhow::Result<()> {
    for w in station.key_warnings()? {
        eprintln!("warning: {w}");
    }
    Ok(())
}

/// Writes `bytes` to FILE atomically, or to standard output.
/// `bytes` to FILE (never inside the data directory of `home`), or to standard output.
fn write_output(home: &Option<PathBuf>, bytes: &[u8], output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        Some(path) => strongroom_ops::write_document(&home_dir(home.clone())?, path, bytes)?,
        None => std::io::stdout().lock().write_all(bytes)?,
    }
    Ok(())
}

/// Writes a JSON document (pretty, with a final newline) to FILE or standard output.
fn write_json_output(
    home: &Option<PathBuf>,
    value: &serde_json::Value,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_output(home, text.as_bytes(), output)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tables_align_every_column_to_its_widest_cell() {
        let mut out = Vec::new();
        let rows = [
            [
                "a-rather-long-name".to_owned(),
                "x".to_owned(),
                "k1".to_owned(),
            ],
            ["b".to_owned(), "yy".to_owned(), "k2".to_owned()],
        ];
        super::write_table(&mut out, &["NAME", "P", "KEY"], &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let col = |l: &str, needle: &str| l.find(needle).unwrap();
        assert_eq!(col(lines[0], "KEY"), col(lines[1], "k1"));
        assert_eq!(col(lines[1], "k1"), col(lines[2], "k2"));
        assert_eq!(col(lines[0], "P"), col(lines[2], "yy"));
    }

    #[test]
    fn counts_say_one_thing_in_the_singular() {
        assert_eq!(super::count(1u64, "finding", "findings"), "1 finding");
        assert_eq!(super::count(0u64, "finding", "findings"), "0 findings");
        assert_eq!(
            super::count(3u64, "component", "components"),
            "3 components"
        );
    }
}
