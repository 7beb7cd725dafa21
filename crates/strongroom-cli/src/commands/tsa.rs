//! `strongroom tsa init|show`: the station's own RFC 3161 timestamp authority.

use super::{open_station, print_json, Ctx};
use crate::cli::TsaCommand;
use crate::exit;
use crate::terminal::Terminal;
use strongroom_ops::tsa::TsaInit;

pub(super) fn tsa(ctx: &Ctx, cmd: TsaCommand) -> anyhow::Result<u8> {
    match cmd {
        TsaCommand::Init {
            token,
            output,
            years,
            pin,
            json,
        } => {
            let Some(target) = super::key::target(&token) else {
                anyhow::bail!("give the token for the timestamp authority's keys: --token LABEL");
            };
            let cb = Terminal::new(None, pin.pin_file.as_deref())?;
            let out = open_station(ctx)?.tsa_init(
                &TsaInit {
                    target,
                    output,
                    years,
                },
                &cb,
            )?;
            if json {
                print_json(&out)?;
            } else {
                println!(
                    "the station's timestamp authority is made; its certificates end {}",
                    out.not_after
                );
                println!("TSA key: {}", out.tsa_key_id);
                println!("CA key:  {}", out.ca_key_id);
                println!(
                    "trusted root: {} (trust it: strongroom trust root import station-tsa {})",
                    out.trusted_root, out.trusted_root
                );
                println!(
                    "certificates: {}, {}",
                    out.ca_certificate, out.tsa_certificate
                );
            }
        }
        TsaCommand::Show { json } => {
            let config = open_station(ctx)?.tsa_show()?;
            match (config, json) {
                (Some(c), true) => print_json(&c)?,
                (None, true) => println!("null"),
                (Some(c), false) => {
                    println!("TSA key: {}", c.tsa_key);
                    println!("CA key:  {}", c.ca_key);
                    println!("certificates end: {}", c.not_after);
                }
                (None, false) => println!(
                    "this station has no timestamp authority: make one with `strongroom tsa init --token LABEL -o DIR`"
                ),
            }
        }
    }
    Ok(exit::OK)
}
