//! `strongroom completions` and the hidden `strongroom manpages`: shell completion scripts and
//! man pages generated from the clap definitions, so they never drift from the syntax.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit;

/// Writes the completion script for `shell` to standard output.
pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<u8> {
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics on a failed write, and a closed pipe
    // (`strongroom completions bash | head`) is not a failure.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "strongroom", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(exit::OK)
}

/// Writes `strongroom.1` and one page per subcommand (`strongroom-key-generate.1`, …) into
/// `dir`. The pages carry no date, so two builds write the same bytes.
pub(super) fn manpages(dir: &Path) -> anyhow::Result<u8> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create it", dir.display()))?;
    let mut cmd = Cli::command();
    cmd.build();
    let mut written = 0;
    page(&cmd, dir, &mut written)?;
    eprintln!("{written} man pages written to {}", dir.display());
    Ok(exit::OK)
}

fn page(cmd: &clap::Command, dir: &Path, written: &mut usize) -> anyhow::Result<()> {
    if cmd.is_hide_set() || cmd.get_name() == "help" {
        return Ok(());
    }
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_owned();
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .section("1")
        .manual("Strongroom manual")
        .source(format!("Strongroom {}", env!("CARGO_PKG_VERSION")))
        .render(&mut roff)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, roff).with_context(|| format!("{}: cannot write it", path.display()))?;
    *written += 1;
    for sub in cmd.get_subcommands() {
        page(sub, dir, written)?;
    }
    Ok(())
}
