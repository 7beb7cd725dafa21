//! `strongroom token list`: the PKCS#11 tokens of every allowed module.

use std::io::Write;

use super::{open_station, print_json, Ctx};
use crate::cli::TokenCommand;
use crate::exit;

pub(super) fn token(ctx: &Ctx, cmd: TokenCommand) -> anyhow::Result<u8> {
    let TokenCommand::List { module, json } = cmd;
    let modules = open_station(ctx)?.list_tokens(module.as_deref())?;
    if json {
        print_json(&modules)?;
        return Ok(exit::OK);
    }
    let mut out = std::io::stdout().lock();
    if modules.is_empty() {
        writeln!(
            out,
            "no PKCS#11 module is allowed: add one with `strongroom module allow PATH`"
        )?;
    }
    for m in modules {
        writeln!(out, "module {}", m.module)?;
        if m.tokens.is_empty() {
            writeln!(out, "  no tokens")?;
        }
        for t in m.tokens {
            writeln!(
                out,
                "  slot {:<10} {:<20} {} {} serial {}",
                t.slot_id, t.label, t.manufacturer, t.model, t.serial
            )?;
            writeln!(
                out,
                "    login required: {}; PIN: {}",
                t.login_required, t.user_pin
            )?;
            writeln!(
                out,
                "    algorithms: {}",
                super::joined(&t.algorithms, ", ")
            )?;
            writeln!(out, "    mechanisms: {}", t.mechanisms.join(", "))?;
        }
    }
    Ok(exit::OK)
}
