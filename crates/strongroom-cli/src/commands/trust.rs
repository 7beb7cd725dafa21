//! `strongroom trust …`: trusted keys, revocations, the trust policy and trust packages.

use std::io::Write;

use super::{open_station, parse_purpose, print_json, Ctx};
use crate::exit;
use crate::terminal::Terminal;

pub(super) fn trust(ctx: &Ctx, cmd: crate::cli::TrustCommand) -> anyhow::Result<u8> {
    use crate::cli::{TrustCommand, TrustPolicyCommand};
    use strongroom_ops::trust::{TrustAdd, TrustExport, TrustPolicyInfo};
    let time = |s: Option<String>| {
        s.as_deref()
            .map(strongroom_ops::trust::parse_time)
            .transpose()
    };
    let print_policy = |p: &TrustPolicyInfo| -> anyhow::Result<()> {
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
    };
    let station = open_station(ctx)?;
    match cmd {
        TrustCommand::Add {
            pem,
            name,
            stages,
            purpose,
            holder,
            not_before,
            not_after,
            json,
        } => {
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
                        info.stages.join(", ")
                    }
                );
            }
        }
        TrustCommand::Revoke {
            key,
            at,
            reason,
            json,
        } => {
            let r = station.trust_revoke(&key, time(at)?, &reason)?;
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
        }
        TrustCommand::List { json } => {
            let list = station.trust_list()?;
            if json {
                print_json(&list)?;
                return Ok(exit::OK);
            }
            let mut out = std::io::stdout().lock();
            if list.keys.is_empty() {
                writeln!(
                    out,
                    "no trusted keys: add one with `strongroom trust add PUB.pem --name NAME`"
                )?;
            } else {
                writeln!(
                    out,
                    "{:<20} {:<10} {:<16} {:<16} {:<13} {:<44} KEY ID",
                    "NAME", "PURPOSE", "HOLDER", "STAGES", "STATE", "VALID"
                )?;
                for k in &list.keys {
                    let stages = if k.stages.is_empty() {
                        "all".to_owned()
                    } else {
                        k.stages.join(",")
                    };
                    let valid = format!(
                        "{}..{}",
                        k.not_before.as_deref().unwrap_or(""),
                        k.not_after.as_deref().unwrap_or("")
                    );
                    writeln!(
                        out,
                        "{:<20} {:<10} {:<16} {:<16} {:<13} {:<44} {}",
                        k.name,
                        k.purpose.as_str(),
                        k.holder,
                        stages,
                        k.state,
                        valid,
                        k.key_id
                    )?;
                }
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
            drop(out);
            print_policy(&TrustPolicyInfo {
                policy_modules: list.policy_modules,
                policy_data: list.policy_data,
            })?;
        }
        TrustCommand::Export {
            key,
            output,
            force,
            partial,
            secrets,
            pin,
            json,
        } => {
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
        }
        TrustCommand::Countersign {
            file,
            key,
            secrets,
            pin,
        } => {
            let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?;
            let signers = station.trust_countersign(&file, &key, pin.allow_pin_in_uri, &cb)?;
            println!(
                "signed {}: it now carries {} signature(s)",
                file.display(),
                signers.len()
            );
        }
        TrustCommand::Import { file, json } => {
            let done = station.trust_import(&file)?;
            if json {
                print_json(&done)?;
            } else {
                println!(
                    "imported trust from {} issued {} by {:?}, signed by {} custodian(s) ({}): {} keys, {} revocations ({} kept from this station), {} policy modules; the next package needs {} custodian(s)",
                    file.display(),
                    done.issued_at,
                    done.issuer,
                    done.holders.len(),
                    done.holders.join(", "),
                    done.keys,
                    done.revocations,
                    done.kept_revocations,
                    done.policy_modules,
                    done.threshold
                );
            }
        }
        TrustCommand::Policy(TrustPolicyCommand::Add { file }) => {
            print_policy(&station.trust_policy_add(&file)?)?;
        }
        TrustCommand::Policy(TrustPolicyCommand::Remove { name }) => {
            print_policy(&station.trust_policy_remove(&name)?)?;
        }
        TrustCommand::Data { file } => {
            print_policy(&station.trust_data_set(&file)?)?;
        }
    }
    Ok(exit::OK)
}
