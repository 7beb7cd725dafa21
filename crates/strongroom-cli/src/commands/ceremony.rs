//! `strongroom ceremony run|verify`: scripted key ceremonies and their signed records.

use super::{open_station, print_json, Ctx};
use crate::cli::CeremonyCommand;
use crate::exit;
use crate::terminal::Terminal;
use strongroom_ops::ceremony::RunCeremony;

pub(super) fn ceremony(ctx: &Ctx, cmd: CeremonyCommand) -> anyhow::Result<u8> {
    match cmd {
        CeremonyCommand::Run {
            script,
            output,
            secrets,
            pin,
            so_pin_file,
            new_pin_file,
            json,
        } => {
            let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?
                .token_admin_pins(so_pin_file.as_deref(), new_pin_file.as_deref())?;
            let out = open_station(ctx)?.ceremony_run(&RunCeremony { script, output }, &cb)?;
            if json {
                print_json(&out)?;
            } else {
                println!("ceremony {:?}: {} steps done", out.name, out.steps.len());
                for s in &out.steps {
                    println!(
                        "  {}. {} ({}) by {} at {}",
                        s.number, s.title, s.act, s.operator, s.time
                    );
                }
                println!("record: {}", out.record);
                println!(
                    "sheet:  {} (print it; each step has a line for initials)",
                    out.sheet
                );
            }
        }
        CeremonyCommand::Verify { record, keys, json } => {
            let v = strongroom_ops::ceremony::ceremony_verify(&record, &keys)?;
            if json {
                print_json(&v)?;
            } else {
                println!(
                    "VERIFIED: ceremony {:?}, {} steps, signed by {}",
                    v.name,
                    v.steps.len(),
                    v.participants
                        .iter()
                        .map(|p| p.operator.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                for s in &v.steps {
                    println!(
                        "  {}. {} ({}) by {} at {}",
                        s.number, s.title, s.act, s.operator, s.time
                    );
                }
            }
        }
    }
    Ok(exit::OK)
}
