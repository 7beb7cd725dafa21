//! `strongroom vulndb import|status|max-age`: the offline vulnerability database.

use super::{open_station, print_json, Ctx};
use crate::cli::VulndbCommand;
use crate::exit;
use crate::terminal::Terminal;

pub(super) fn vulndb(ctx: &Ctx, cmd: VulndbCommand) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    match cmd {
        VulndbCommand::Import { files, json } => {
            let cb = Terminal::new(None, None)?;
            let reports = station.import_vulndb(&files, &cb)?;
            if json {
                print_json(&reports)?;
            } else {
                for r in reports {
                    println!(
                        "{}: {}: {} new, {} updated, {} unchanged, {} withdrawn skipped, {} rejected",
                        r.file,
                        super::count(r.records_total as u64, "record", "records"),
                        r.imported,
                        r.updated,
                        r.unchanged,
                        r.skipped_withdrawn,
                        r.rejected
                    );
                    for (eco, n) in &r.ecosystems {
                        println!("  {eco}: {n}");
                    }
                    if !r.unknown_ecosystems.is_empty() {
                        println!(
                            "  kept, but no version ordering for: {}",
                            r.unknown_ecosystems.join(", ")
                        );
                    }
                    for w in &r.warnings {
                        eprintln!("warning: {w}");
                    }
                }
            }
        }
        VulndbCommand::Status { json } => {
            let st = station.vulndb_status()?;
            if json {
                print_json(&st)?;
            } else {
                println!("{} records", st.records);
                for (eco, n) in &st.ecosystems {
                    println!("  {eco:<20} {n}");
                }
                match (&st.snapshot, st.snapshot_age_days) {
                    (Some(s), Some(age)) => println!("snapshot {s} ({age} days old)"),
                    _ => println!("no data imported"),
                }
                if !st.imports.is_empty() {
                    println!("imports, newest first:");
                    for i in &st.imports {
                        println!("  {}  sha256:{}  {}", i.imported_at, i.sha256, i.file);
                    }
                }
            }
            if st.stale {
                eprintln!(
                    "warning: the vulnerability data is missing or older than {} days; import newer OSV files",
                    st.max_age_days
                );
            }
        }
        VulndbCommand::MaxAge { days } => {
            station.set_vulndb_max_age_days(days)?;
            println!("the vulnerability snapshot is stale after {days} days");
        }
    }
    Ok(exit::OK)
}
