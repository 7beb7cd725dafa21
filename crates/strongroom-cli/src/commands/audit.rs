//! `strongroom audit …`: verify, list, export and excerpt the audit log; sign checkpoints; the
//! audit key.

use std::io::Write;
use std::path::{Path, PathBuf};

use strongroom_ops::{load_public_key_file, AuditFormat, AuditQuery, Station};

use super::{open_station, print_json, printed, warn_keys, write_json_output, write_output, Ctx};
use crate::cli::{
    AuditCommand, AuditExportFormat, AuditFilterArgs, AuditKeyCommand, PinArgs, SecretArgs,
};
use crate::exit;
use crate::terminal::Terminal;

pub(super) fn audit(ctx: &Ctx, cmd: AuditCommand) -> anyhow::Result<u8> {
    if let AuditCommand::VerifyExcerpt { file, key, json } = &cmd {
        return verify_excerpt(file, key, *json);
    }
    let station = open_station(ctx)?;
    match cmd {
        AuditCommand::Verify { key, since, json } => audit_verify(&station, key, since, json),
        AuditCommand::List { filter, json } => audit_list(&station, filter, json),
        AuditCommand::Export {
            format,
            filter,
            output,
        } => audit_export(&station, format, filter, output),
        AuditCommand::Checkpoint {
            key,
            secrets,
            pin,
            json,
        } => audit_checkpoint(&station, key, &secrets, &pin, json),
        AuditCommand::Key(k) => audit_key(&station, k),
        AuditCommand::Excerpt { objects, output } => audit_excerpt(&station, &objects, output),
        AuditCommand::VerifyExcerpt { .. } => unreachable!("handled before opening the station"),
    }
}

fn audit_verify(
    station: &Station,
    key: Option<String>,
    since: Option<String>,
    json: bool,
) -> anyhow::Result<u8> {
    let pinned = match key {
        Some(k) => Some(audit_public_key(station, &k)?),
        None => None,
    };
    let witness = since
        .as_deref()
        .map(|w| strongroom_ops::Witness::parse(w, None))
        .transpose()?;
    let report = station.audit_verify_since(pinned.as_ref(), witness.as_ref())?;
    printed((|| -> anyhow::Result<()> {
        if json {
            print_json(&report)?;
        } else if let Some(p) = &report.problem {
            println!("BROKEN: {p} ({} rows)", report.rows);
        } else {
            println!(
                "intact: {} rows, head {}",
                report.rows,
                report.head.as_deref().unwrap_or("(empty)")
            );
            match &report.last_checkpoint {
                Some(c) => println!(
                    "{} checkpoint{} verified, each chained to the one before; the latest covers row {} ({}), signed by {}",
                    report.checkpoints,
                    if report.checkpoints == 1 { "" } else { "s" },
                    c.rows,
                    c.time,
                    c.key_id
                ),
                None => println!("no checkpoints yet"),
            }
            if let Some(w) = &witness {
                println!(
                    "the log extends the witnessed checkpoint of row {} ({})",
                    w.rows, w.source
                );
            }
            if report.uncovered > 0 {
                println!(
                    "{} row{} after the latest checkpoint {} covered by no signature yet: sign a checkpoint (`strongroom audit checkpoint`) to cover them",
                    report.uncovered,
                    if report.uncovered == 1 { "" } else { "s" },
                    if report.uncovered == 1 { "is" } else { "are" }
                );
            }
        }
        Ok(())
    })())?;
    Ok(if report.problem.is_some() {
        exit::VERIFY_FAILED
    } else {
        exit::OK
    })
}

fn query(f: AuditFilterArgs) -> AuditQuery {
    AuditQuery {
        action: f.action,
        operator: f.by,
        outcome: f.outcome,
        since: f.since,
        until: f.until,
        limit: f.limit,
    }
}

fn audit_list(station: &Station, filter: AuditFilterArgs, json: bool) -> anyhow::Result<u8> {
    let rows = station.audit_list(&query(filter))?;
    if json {
        print_json(&rows)?;
    } else {
        let mut out = std::io::stdout().lock();
        for r in rows {
            writeln!(
                out,
                "{:>6} {} {:<12} {:<16} {:<7} {}",
                r.seq, r.time, r.operator, r.action, r.outcome, r.object
            )?;
        }
    }
    Ok(exit::OK)
}

fn audit_export(
    station: &Station,
    format: AuditExportFormat,
    filter: AuditFilterArgs,
    output: Option<PathBuf>,
) -> anyhow::Result<u8> {
    let format = match format {
        AuditExportFormat::Jsonl => AuditFormat::Jsonl,
        AuditExportFormat::Csv => AuditFormat::Csv,
    };
    write_output(
        &Some(station.home().to_owned()),
        station.audit_text(&query(filter), format)?.as_bytes(),
        output.as_deref(),
    )?;
    Ok(exit::OK)
}

fn audit_checkpoint(
    station: &Station,
    key: Option<String>,
    secrets: &SecretArgs,
    pin: &PinArgs,
    json: bool,
) -> anyhow::Result<u8> {
    let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?;
    let c = station.audit_checkpoint(key.as_deref(), &cb)?;
    if json {
        print_json(&c)?;
    } else {
        println!(
            "checkpoint {}: row {} head {} signed by {}",
            c.id, c.rows, c.head, c.key_id
        );
        println!(
            "witness (keep it outside the station; `audit verify --since` checks the log still extends it): {}:{}",
            c.rows, c.head
        );
    }
    Ok(exit::OK)
}

fn audit_key(station: &Station, cmd: AuditKeyCommand) -> anyhow::Result<u8> {
    match cmd {
        AuditKeyCommand::Set { key, secret_file } => {
            station.set_audit_key(&key, secret_file.as_deref())?;
            println!("audit checkpoints are signed with {key}");
            warn_keys(station)?;
        }
        AuditKeyCommand::Show => match station.audit_key()? {
            Some(k) => println!("{k}"),
            None => println!("no audit key: set one with `strongroom audit key set KEY`"),
        },
    }
    Ok(exit::OK)
}

fn audit_excerpt(
    station: &Station,
    objects: &[String],
    output: Option<PathBuf>,
) -> anyhow::Result<u8> {
    let objects: Vec<&str> = objects.iter().map(String::as_str).collect();
    let excerpt = station.audit_excerpt(&objects)?;
    write_json_output(
        &Some(station.home().to_owned()),
        &serde_json::to_value(&excerpt)?,
        output.as_deref(),
    )?;
    Ok(exit::OK)
}

/// `audit verify --key`: a PEM file, or an inventory key of this station.
fn audit_public_key(station: &Station, key: &str) -> anyhow::Result<strongroom_core::PublicKey> {
    if station.has_key(key)? {
        return Ok(station.public_key(key)?);
    }
    Ok(load_public_key_file(Path::new(key))?)
}

/// `audit verify-excerpt`: stateless, like `verify` with a key file.
fn verify_excerpt(file: &Path, key: &Path, json: bool) -> anyhow::Result<u8> {
    let (excerpt, result) = strongroom_ops::verify_excerpt_file(file, key)?;
    printed((|| -> anyhow::Result<()> {
        match (&result, json) {
            (Ok(r), true) => print_json(&serde_json::json!({"verified": true, "report": r}))?,
            (Err(e), true) => {
                print_json(&serde_json::json!({"verified": false, "error": e.to_string()}))?
            }
            (Ok(r), false) => {
                let mut out = std::io::stdout().lock();
                for row in &r.rows {
                    writeln!(
                        out,
                        "{:>6} {} {:<12} {:<16} {:<7} {}",
                        row.seq, row.time, row.operator, row.action, row.outcome, row.object
                    )?;
                }
                writeln!(
                    out,
                    "VERIFIED: {} rows (and {} linked) are in the chain that station {} signed at row {} ({}) with key {}",
                    r.rows.len(),
                    r.links,
                    r.checkpoint.station,
                    r.checkpoint.rows,
                    r.checkpoint.time,
                    r.key_id
                )?;
                if excerpt.later_rows > 0 {
                    writeln!(
                        out,
                        "note: {} later rows about these objects are not covered by this checkpoint",
                        excerpt.later_rows
                    )?;
                }
            }
            (Err(e), false) => println!("NOT VERIFIED: {e}"),
        }
        Ok(())
    })())?;
    Ok(if result.is_ok() {
        exit::OK
    } else {
        exit::VERIFY_FAILED
    })
}
