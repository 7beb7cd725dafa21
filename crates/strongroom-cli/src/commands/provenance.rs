//! `strongroom provenance`: an SLSA provenance statement from CI's build metadata.

use super::write_json_output;
use crate::cli::ProvenanceArgs;
use crate::exit;
use crate::terminal::Terminal;

pub(super) fn provenance(ctx: &super::Ctx, p: ProvenanceArgs) -> anyhow::Result<u8> {
    let cb = Terminal::new(None, None)?;
    let statement = strongroom_ops::sbom::build_provenance(
        &strongroom_ops::sbom::ProvenanceRequest {
            build_meta: p.build_meta,
            artifacts: p.artifacts,
        },
        &cb,
    )?;
    write_json_output(&ctx.home, &statement, p.output.as_deref())?;
    Ok(exit::OK)
}
