//! `strongroom trust …`: trusted keys, revocations, the trust policy and trust packages.

use std::io::Write;
use std::path::Path;

use strongroom_ops::trust::{Timestamp, TrustAdd, TrustExport, TrustPolicyInfo};
use strongroom_ops::{OpsError, Station};

use super::{open_station, parse_purpose, print_json, Ctx};
use crate::cli::{
    PinArgs, SecretArgs, TrustAddArgs, TrustCommand, TrustExportArgs, TrustPolicyCommand,
    TrustRootCommand,
};
use crate::exit;
use crate::terminal::Terminal;

pub(super) fn trust(ctx: &Ctx, cmd: TrustCommand) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    match cmd {
        TrustCommand::Add(a) => trust_add(&station, a)?,
        TrustCommand::Revoke {
            key,
            at,
            reason,
            json,
        } => trust_revoke(&station, &key, at, &reason, json)?,
        TrustCommand::List { json } => trust_list(&station, json)?,
        TrustCommand::Export(a) => trust_export(&station, a)?,
        TrustCommand::Countersign {
            file,
            key,
            secrets,
            pin,
        } => trust_countersign(&station, &file, &key, &secrets, &pin)?,
        TrustCommand::Import { file, json } => trust_import(&station, &file, json)?,
        TrustCommand::Policy(TrustPolicyCommand::Add { file }) => {
            print_policy(&station.trust_policy_add(&file)?)?;
        }
        TrustCommand::Policy(TrustPolicyCommand::Remove { name }) => {
            print_policy(&station.trust_policy_remove(&name)?)?;
        }
        TrustCommand::Root(TrustRootCommand::Import { file, name, json }) => {
            let r = station.trust_root_import(&name, &file)?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "trusted the Sigstore root {:?} (sha256:{})",
                    r.name, r.sha256
                );
                print_root_parts(&r)?;
            }
        }
        TrustCommand::Root(TrustRootCommand::List { json }) => {
            let roots = station.trust_root_list()?;
            if json {
                print_json(&roots)?;
            } else if roots.is_empty() {
                println!("no Sigstore trusted roots: import one with `strongroom trust root import FILE --name NAME`");
            }
            for r in roots.iter().filter(|_| !json) {
                println!(
                    "{} (sha256:{}), added {} by {}",
                    r.name, r.sha256, r.added_at, r.added_by
                );
                print_root_parts(r)?;
            }
        }
        TrustCommand::Root(TrustRootCommand::Remove { name }) => {
            let r = station.trust_root_remove(&name)?;
            println!("no longer trusting the Sigstore root {:?}", r.name);
        }
        TrustCommand::Data { file } => {
            print_policy(&station.trust_data_set(&file)?)?;
        }
    }
    Ok(exit::OK)
}

fn trust_add(station: &Station, a: TrustAddArgs) -> anyhow::Result<()> {
    let TrustAddArgs {
        pem,
        name,
        stages,
        purpose,
        holder,
        not_before,
        not_after,
        json,
    } = a;
    let info = station.trust_add(&TrustAdd {
        pem_path: pem,
        name,
        stages: strongroom_ops::trust::parse_stages(stages.as_deref().unwrap_or(""))?,
        purpose: parse_purpose(&purpose)?,
        holder,
        not_before: time(not_before)?,
        not_after: time(not_after)?,
    })?;
    if json {
        print_json(&info)?;
    } else {
        println!(
            "trusted {:?} ({}), held by {}, to sign {} for {}",
            info.name,
            info.key_id,
            info.holder,
            info.purpose.signs(),
            if info.stages.is_empty() {
                "every stage".to_owned()
            } else {
                super::joined(&info.stages, ", ")
            }
        );
    }
    Ok(())
}

fn trust_revoke(
    station: &Station,
    key: &str,
    at: Option<String>,
    reason: &str,
    json: bool,
) -> anyhow::Result<()> {
    let r = station.trust_revoke(key, time(at)?, reason)?;
    if json {
        print_json(&r)?;
    } else {
        println!(
            "revoked {:?} ({}) as of {}: {}",
            r.name.as_deref().unwrap_or("?"),
            r.key_id,
            r.revoked_at,
            r.reason
        );
    }
    Ok(())
}

/// A root's authorities and logs, one table.
fn print_root_parts(r: &strongroom_ops::trust_roots::TrustRootInfo) -> anyhow::Result<()> {
    let rows: Vec<[String; 4]> = r
        .parts
        .iter()
        .map(|p| {
            [
                format!("  {}", p.kind),
                p.uri.clone(),
                p.name.clone(),
                format!(
                    "{} to {}",
                    p.valid_from,
                    p.valid_until.as_deref().unwrap_or("now")
                ),
            ]
        })
        .collect();
    let mut out = std::io::stdout().lock();
    super::write_table(&mut out, &["  KIND", "URI", "NAME", "VALID"], &rows)?;
    Ok(())
}

fn trust_list(station: &Station, json: bool) -> anyhow::Result<()> {
    let list = station.trust_list()?;
    if json {
        print_json(&list)?;
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    if list.keys.is_empty() {
        writeln!(
            out,
            "no trusted keys: add one with `strongroom trust add PUB.pem --name NAME`"
        )?;
    } else {
        let rows: Vec<[String; 7]> = list
            .keys
            .iter()
            .map(|k| {
                let stages = if k.stages.is_empty() {
                    "all".to_owned()
                } else {
                    super::joined(&k.stages, ",")
                };
                let valid = match (k.not_before.as_deref(), k.not_after.as_deref()) {
                    (None, None) => "always".to_owned(),
                    (Some(from), None) => format!("from {from}"),
                    (None, Some(to)) => format!("until {to}"),
                    (Some(from), Some(to)) => format!("{from} to {to}"),
                };
                [
                    k.name.clone(),
                    k.purpose.as_str().to_owned(),
                    k.holder.clone(),
                    stages,
                    k.state.to_string(),
                    valid,
                    k.key_id.clone(),
                ]
            })
            .collect();
        let header = [
            "NAME", "PURPOSE", "HOLDER", "STAGES", "STATE", "VALID", "KEY ID",
        ];
        super::write_table(&mut out, &header, &rows)?;
    }
    for r in &list.revocations {
        writeln!(
            out,
            "revoked: {} ({}) as of {}: {}",
            r.name.as_deref().unwrap_or("unknown key"),
            r.key_id,
            r.revoked_at,
            r.reason
        )?;
    }
    for r in &list.roots {
        writeln!(
            out,
            "Sigstore trusted root: {} (sha256:{}; `trust root list` shows its authorities)",
            r.name, r.sha256
        )?;
    }
    drop(out);
    print_policy(&TrustPolicyInfo {
        policy_modules: list.policy_modules,
        policy_data: list.policy_data,
    })
}

fn trust_export(station: &Station, a: TrustExportArgs) -> anyhow::Result<()> {
    let TrustExportArgs {
        key,
        output,
        force,
        partial,
        secrets,
        pin,
        json,
    } = a;
    let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?;
    let done = station.trust_export(
        &TrustExport {
            keys: key,
            output,
            force,
            allow_pin_in_uri: pin.allow_pin_in_uri,
            partial,
        },
        &cb,
    )?;
    if json {
        print_json(&done)?;
    } else {
        println!(
            "wrote {} ({} keys, {} revocations, {} policy modules), signed by {} custodian(s) ({}), threshold {}, sha256 {}",
            done.path,
            done.keys,
            done.revocations,
            done.policy_modules,
            done.holders.len(),
            done.holders.join(", "),
            done.threshold,
            done.sha256
        );
    }
    if (done.holders.len() as u32) < done.threshold {
        eprintln!(
            "note: {} more custodian(s) must countersign it (`strongroom trust countersign {} --key THEIR-KEY`) before any station imports it",
            done.threshold - done.holders.len() as u32,
            done.path
        );
    }
    Ok(())
}

fn trust_countersign(
    station: &Station,
    file: &Path,
    key: &str,
    secrets: &SecretArgs,
    pin: &PinArgs,
) -> anyhow::Result<()> {
    let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?;
    let signers = station.trust_countersign(file, key, pin.allow_pin_in_uri, &cb)?;
    println!(
        "signed {}: it now carries {} signature(s)",
        file.display(),
        signers.len()
    );
    Ok(())
}

fn trust_import(station: &Station, file: &Path, json: bool) -> anyhow::Result<()> {
    let done = station.trust_import(file)?;
    if json {
        print_json(&done)?;
    } else {
        println!(
            "imported trust package {} (sha256:{})",
            file.display(),
            done.sha256
        );
        println!("  issued {} by {:?}", done.issued_at, done.issuer);
        println!(
            "  signed by {} ({}) with {}: {}",
            super::count(done.holders.len() as u64, "custodian", "custodians"),
            done.holders.join(", "),
            if done.signer_key_ids.len() == 1 {
                "key"
            } else {
                "keys"
            },
            done.signer_key_ids.join(", ")
        );
        println!(
            "  {}, {} ({} kept from this station), {}; the next package needs {}",
            super::count(done.keys as u64, "key", "keys"),
            super::count(done.revocations as u64, "revocation", "revocations"),
            done.kept_revocations,
            super::count(
                done.policy_modules as u64,
                "policy module",
                "policy modules"
            ),
            super::count(done.threshold as u64, "custodian", "custodians")
        );
    }
    Ok(())
}

/// An optional RFC 3339 time from a flag.
fn time(s: Option<String>) -> Result<Option<Timestamp>, OpsError> {
    s.as_deref()
        .map(strongroom_ops::trust::parse_time)
        .transpose()
}

fn print_policy(p: &TrustPolicyInfo) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "policy modules: {}",
        if p.policy_modules.is_empty() {
            "(none)".to_owned()
        } else {
            p.policy_modules.join(", ")
        }
    )?;
    writeln!(out, "policy data: {}", p.policy_data)?;
    Ok(())
}
