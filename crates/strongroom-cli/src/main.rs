//! The `strongroom` binary: parses arguments, runs one operation, prints its result, and maps
//! errors to an exit code and a line that says what to do.

mod cli;
mod commands;
mod remedy;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

/// What `--version` prints: the version, the commit and the build profile (set by
/// `strongroom-build` in `build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("STRONGROOM_COMMIT"),
    ", ",
    env!("STRONGROOM_PROFILE"),
    " build)"
);

/// Exit codes, documented in `docs/cli.md`.
pub mod exit {
    pub const OK: u8 = 0;
    pub const VERIFY_FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const NOT_FOUND: u8 = 3;
    pub const AUTH: u8 = 4;
    pub const CONFLICT: u8 = 5;
    pub const DEVICE: u8 = 6;
    pub const STORAGE: u8 = 7;
    pub const FORBIDDEN: u8 = 8;
}

fn main() -> ExitCode {
    // Started again as the policy evaluator (see strongroom_ops::sandbox)?
    if let Some(code) = strongroom_ops::sandbox::serve_if_child() {
        return ExitCode::from(u8::try_from(code).unwrap_or(70));
    }
    let args = cli::Cli::parse();
    // A script that asked for JSON gets its error as JSON too (on standard output, where it
    // reads the result), besides the lines for a person on standard error.
    let json = std::env::args_os().any(|a| a == "--json");
    match commands::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::from(exit::OK);
            }
            let text = message(&err);
            eprintln!("error: {text}");
            let (code, kind, remedy) = match err.downcast_ref::<strongroom_ops::OpsError>() {
                Some(e) => (
                    exit_code(e.kind()),
                    e.kind(),
                    e.remedy().map(|r| remedy::words(&r)),
                ),
                None => (exit::USAGE, strongroom_ops::ErrorKind::Usage, None),
            };
            if let Some(r) = &remedy {
                eprintln!("hint: {r}");
            }
            if json {
                let doc = serde_json::json!({"error": {
                    "code": kind, "exit": code, "message": text, "remedy": remedy,
                }});
                println!("{doc}");
            }
            ExitCode::from(code)
        }
    }
}

fn exit_code(kind: strongroom_ops::ErrorKind) -> u8 {
    use strongroom_ops::ErrorKind::*;
    match kind {
        Usage => exit::USAGE,
        NotFound => exit::NOT_FOUND,
        Auth => exit::AUTH,
        Conflict => exit::CONFLICT,
        Device => exit::DEVICE,
        Storage => exit::STORAGE,
        Rejected => exit::VERIFY_FAILED,
        Forbidden => exit::FORBIDDEN,
        _ => exit::USAGE,
    }
}

/// The error and its causes, each said once: many errors already name their cause in their
/// own message (`PATH: cause`), which `{:#}` would repeat.
fn message(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
