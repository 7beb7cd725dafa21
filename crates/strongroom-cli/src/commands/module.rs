//! `strongroom module list|allow|remove`: the allowlist of PKCS#11 modules.

use super::{open_station, print_json, Ctx};
use crate::cli::ModuleCommand;
use crate::exit;

pub(super) fn module(ctx: &Ctx, cmd: ModuleCommand) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    let (list, json) = match cmd {
        ModuleCommand::List { json } => (station.allowed_modules()?, json),
        ModuleCommand::Allow { path } => (station.allow_module(&path)?, false),
        ModuleCommand::Remove { path } => (station.disallow_module(&path)?, false),
    };
    if json {
        print_json(&list)?;
    } else if list.is_empty() {
        println!("no PKCS#11 module is allowed");
    } else {
        for p in list {
            println!("{}", p.display());
        }
    }
    Ok(exit::OK)
}
