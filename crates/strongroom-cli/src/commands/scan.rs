//! `strongroom scan`: an SBOM or artifact matched against the offline vulnerability database.

use std::io::Write;

use super::{open_station, print_json, printed, write_json_output, Ctx};
use crate::cli::ScanArgs;
use crate::exit;
use crate::terminal::Terminal;

pub(super) fn scan(ctx: &Ctx, a: ScanArgs) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(None, None)?;
    let report = station.scan(
        &strongroom_ops::vulns::ScanRequest {
            input: a.input,
            fail_on: a
                .fail_on
                .as_deref()
                .map(strongroom_ops::vulns::parse_level)
                .transpose()?,
        },
        &cb,
    )?;
    if let Some(path) = &a.predicate_out {
        write_json_output(&ctx.home, &report.predicate, Some(path))?;
    }
    printed((|| -> anyhow::Result<()> {
        if a.json {
            print_json(&report)?;
        } else {
            let mut out = std::io::stdout().lock();
            for f in &report.findings {
                let sev =
                    f.severity
                        .as_ref()
                        .map_or("unknown".to_owned(), |s| match s.cvss_score {
                            Some(score) => format!("{} {score:.1}", s.level),
                            None => s.level.to_string(),
                        });
                writeln!(
                    out,
                    "{:<20} {:<14} {} {} ({})",
                    f.id, sev, f.package.name, f.package.version, f.package.ecosystem
                )?;
                if !f.aliases.is_empty() {
                    writeln!(out, "    aliases: {}", f.aliases.join(", "))?;
                }
                writeln!(out, "    affected: {}", f.affected_ranges)?;
                if !f.fixed_versions.is_empty() {
                    writeln!(out, "    fixed in: {}", f.fixed_versions.join(", "))?;
                }
                if let Some(found) = &f.package.found_in {
                    writeln!(out, "    found in: {found}")?;
                }
            }
            let counts: Vec<String> = report
                .counts
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect();
            writeln!(
                out,
                "{} in {}{}",
                super::count(report.findings.len() as u64, "finding", "findings"),
                super::count(report.components as u64, "component", "components"),
                if counts.is_empty() {
                    String::new()
                } else {
                    format!(": {}", counts.join(", "))
                }
            )?;
        }
        Ok(())
    })())?;
    Ok(if report.failed {
        exit::VERIFY_FAILED
    } else {
        exit::OK
    })
}
