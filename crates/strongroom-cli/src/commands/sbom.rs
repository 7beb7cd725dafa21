//! `strongroom sbom`: generate an SBOM, or validate or convert one.

use super::{print_json, printed, write_json_output};
use crate::cli::{SbomArgs, SbomCommand};
use crate::exit;

pub(super) fn sbom(ctx: &super::Ctx, a: SbomArgs) -> anyhow::Result<u8> {
    use strongroom_ops::sbom::{convert_sbom, generate_sbom, validate_sbom};
    match (a.command, a.path) {
        (Some(SbomCommand::Validate { file, json }), _) => {
            let v = validate_sbom(&file)?;
            printed((|| -> anyhow::Result<()> {
                if json {
                    print_json(&v)?;
                } else if v.valid {
                    println!(
                        "valid {} ({})",
                        v.kind.as_deref().unwrap_or("SBOM"),
                        match (v.components, v.with_purl) {
                            (Some(n), Some(p)) => format!(
                                "{}, {p} with a package URL",
                                super::count(n as u64, "component", "components")
                            ),
                            _ => "? components".into(),
                        }
                    );
                } else {
                    println!(
                        "INVALID {}: {}",
                        file.display(),
                        v.kind.as_deref().unwrap_or("not an SBOM")
                    );
                    for p in &v.problems {
                        println!("  {p}");
                    }
                }
                Ok(())
            })())?;
            Ok(if v.valid {
                exit::OK
            } else {
                exit::VERIFY_FAILED
            })
        }
        (Some(SbomCommand::Convert { file, to, output }), _) => {
            let doc = convert_sbom(&file, to.parse()?)?;
            write_json_output(&ctx.home, &doc, output.as_deref())?;
            Ok(exit::OK)
        }
        (None, Some(path)) => {
            let sbom = generate_sbom(&path, a.format.parse()?)?;
            for w in &sbom.warnings {
                eprintln!("warning: {w}");
            }
            write_json_output(&ctx.home, &sbom.document, a.output.as_deref())?;
            if a.output.is_some() {
                eprintln!(
                    "{} in {} (sha256 {})",
                    super::count(sbom.components as u64, "component", "components"),
                    sbom.subject,
                    sbom.sha256
                );
            }
            Ok(exit::OK)
        }
        (None, None) => anyhow::bail!("give an artifact or directory, or `sbom validate FILE`"),
    }
}
