//! `strongroom operator …`: claiming the station, operator accounts, roles and the quorum.

use std::io::Write;

use strongroom_ops::Station;

use super::{home_dir, open_station, print_json, Ctx};
use crate::cli::{NewPassphraseArgs, OperatorCommand};
use crate::exit;

pub(super) fn operator(ctx: &Ctx, cmd: OperatorCommand) -> anyhow::Result<u8> {
    if let OperatorCommand::Init { name, roles } = &cmd {
        let mut station = Station::open(&home_dir(ctx.home.clone())?)?;
        station.set_operator(name);
        let extra = match roles {
            Some(r) => strongroom_ops::Role::parse_list(r)?,
            None => Vec::new(),
        };
        station.check_unclaimed()?;
        let passphrase = match crate::terminal::preset(
            ctx.operator_passphrase_file.as_deref(),
            crate::terminal::OPERATOR_PASSPHRASE_ENV,
        )? {
            Some(p) => p,
            None => {
                crate::terminal::prompt_new(&format!("operator {name:?}")).ok_or_else(|| {
                    strongroom_ops::OpsError::OperatorPassphraseUnavailable(name.clone())
                })?
            }
        };
        let info = station.init_operator(name, &extra, &passphrase)?;
        println!(
            "station claimed: operator {:?} with roles {}",
            info.name,
            role_list(&info.roles)
        );
        eprintln!("{}", no_quorum_warning());
        return Ok(exit::OK);
    }
    let station = open_station(ctx)?;
    let info = match cmd {
        OperatorCommand::Init { .. } => unreachable!("handled above"),
        OperatorCommand::List { json } => {
            let ops = station.list_operators()?;
            if json {
                print_json(&ops)?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "{:<20} {:<40} {:<9} {:<21} CREATED BY",
                    "NAME", "ROLES", "STATUS", "CREATED"
                )?;
                for o in ops {
                    writeln!(
                        out,
                        "{:<20} {:<40} {:<9} {:<21} {}",
                        o.name,
                        role_list(&o.roles),
                        if o.disabled { "disabled" } else { "enabled" },
                        o.created_at,
                        o.created_by
                    )?;
                }
            }
            return Ok(exit::OK);
        }
        OperatorCommand::Add { name, roles, new } => {
            let roles = strongroom_ops::Role::parse_list(&roles)?;
            let passphrase = new_passphrase(&new, &name)?;
            station.add_operator(&name, &roles, &passphrase)?
        }
        OperatorCommand::Passwd { name, new } => {
            let who = name
                .clone()
                .unwrap_or_else(|| station.operator().to_owned());
            let passphrase = new_passphrase(&new, &who)?;
            station.change_operator_passphrase(name.as_deref(), &passphrase)?
        }
        OperatorCommand::Quorum { quorum } => {
            if let Some(q) = quorum {
                station.set_quorum(q)?;
            }
            let (q, custodians) = station.quorum();
            println!(
                "custodian quorum: {q} of {custodians} enabled custodian{}",
                if custodians == 1 { "" } else { "s" }
            );
            if q < 2 {
                eprintln!("{}", no_quorum_warning());
            }
            return Ok(exit::OK);
        }
        OperatorCommand::Disable { name } => station.set_operator_disabled(&name, true)?,
        OperatorCommand::Enable { name } => station.set_operator_disabled(&name, false)?,
        OperatorCommand::Grant { name, roles } => {
            station.grant_roles(&name, &strongroom_ops::Role::parse_list(&roles)?)?
        }
        OperatorCommand::Revoke { name, roles } => {
            station.revoke_roles(&name, &strongroom_ops::Role::parse_list(&roles)?)?
        }
    };
    println!(
        "operator {:?}: roles {}{}",
        info.name,
        role_list(&info.roles),
        if info.disabled { " (disabled)" } else { "" }
    );
    Ok(exit::OK)
}

fn role_list(roles: &[strongroom_ops::Role]) -> String {
    if roles.is_empty() {
        return "none".into();
    }
    super::joined(roles, ",")
}

/// What a one-custodian station says, loudly.
fn no_quorum_warning() -> String {
    format!("WARNING: {}", strongroom_ops::overview::NO_QUORUM)
}

/// A new operator passphrase: FILE, STRONGROOM_NEW_OPERATOR_PASSPHRASE, or a prompt (twice).
fn new_passphrase(args: &NewPassphraseArgs, name: &str) -> anyhow::Result<secrecy::SecretString> {
    match crate::terminal::preset(
        args.new_passphrase_file.as_deref(),
        crate::terminal::NEW_OPERATOR_PASSPHRASE_ENV,
    )? {
        Some(p) => Ok(p),
        None => crate::terminal::prompt_new(&format!("operator {name:?}")).ok_or_else(|| {
            strongroom_ops::OpsError::OperatorPassphraseUnavailable(name.to_owned()).into()
        }),
    }
}
