//! Command-line syntax (clap). Raw flags only; `commands` turns them into operation requests.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Offline signing and verification of software releases.
#[derive(Debug, Parser)]
#[command(name = "strongroom", version, about, max_term_width = 100)]
pub struct Cli {
    /// Data directory (database and encrypted keys). Default: the platform data directory.
    #[arg(long, global = true, env = "STRONGROOM_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate, list and export keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Sign files into Sigstore bundles (FILE.sigstore.json).
    Sign(SignArgs),
    /// Verify a Sigstore bundle or DSSE envelope against a public key and the file.
    Verify(VerifyArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a new key (software keys are age-encrypted under the data directory).
    Generate(GenerateArgs),
    /// List the key inventory.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print a key's public key as PEM (SubjectPublicKeyInfo), the form cosign and openssl read.
    Export {
        /// Key label or key id.
        key: String,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// ed25519 or ecdsa-p256.
    #[arg(long, value_name = "ALG")]
    pub algorithm: String,
    /// Inventory label: letters, digits, '.', '_' and '-'.
    #[arg(long)]
    pub label: String,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SecretArgs {
    /// Read the key passphrase from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Key label or key id.
    #[arg(long)]
    pub key: String,
    /// Write the bundles into DIR instead of next to each file.
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Replace bundles that already exist.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Files to sign.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The public key: a PEM file, or the label or key id of a key in the inventory.
    #[arg(long)]
    pub key: String,
    /// The bundle or envelope. Default: FILE.sigstore.json.
    #[arg(long, value_name = "BUNDLE")]
    pub bundle: Option<PathBuf>,
    /// Print a JSON report with one entry per check.
    #[arg(long)]
    pub json: bool,
    /// The signed file.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}
