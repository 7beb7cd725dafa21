//! `strongroom token list|init|change-pin|unlock`: the PKCS#11 tokens of every allowed module,
//! and their PIN administration.

use std::io::Write;

use super::{open_station, print_json, Ctx};
use crate::cli::TokenCommand;
use crate::exit;
use crate::terminal::Terminal;
use strongroom_ops::{InitToken, TokenTarget};

pub(super) fn token(ctx: &Ctx, cmd: TokenCommand) -> anyhow::Result<u8> {
    let (module, json) = match cmd {
        TokenCommand::List { module, json } => (module, json),
        TokenCommand::Init {
            label,
            slot,
            module,
            pins,
            json,
        } => {
            let cb = Terminal::new(None, None)?
                .token_admin_pins(pins.so_pin_file.as_deref(), pins.new_pin_file.as_deref())?;
            let info = open_station(ctx)?.token_init(
                &InitToken {
                    module,
                    slot,
                    label,
                },
                &cb,
            )?;
            if json {
                print_json(&info)?;
            } else {
                println!(
                    "initialised token {:?} (serial {}) in slot {}; its user PIN is set",
                    info.label, info.serial, info.slot_id
                );
            }
            return Ok(exit::OK);
        }
        TokenCommand::ChangePin {
            token,
            module,
            pin,
            pins,
        } => {
            let cb = Terminal::new(None, pin.pin_file.as_deref())?
                .token_admin_pins(None, pins.new_pin_file.as_deref())?;
            open_station(ctx)?.token_change_pin(&TokenTarget::label(&token, module), &cb)?;
            println!("the user PIN of token {token:?} is changed");
            return Ok(exit::OK);
        }
        TokenCommand::Unlock {
            token,
            module,
            pins,
        } => {
            let cb = Terminal::new(None, None)?
                .token_admin_pins(pins.so_pin_file.as_deref(), pins.new_pin_file.as_deref())?;
            open_station(ctx)?.token_unlock(&TokenTarget::label(&token, module), &cb)?;
            println!("the user PIN of token {token:?} is set anew by its security officer");
            return Ok(exit::OK);
        }
    };
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
