//! Command-line syntax (clap). Raw flags only; `commands` turns them into operation requests.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Offline signing and verification of software releases.
#[derive(Debug, Parser)]
#[command(name = "strongroom", version = crate::VERSION, max_term_width = 100)]
pub struct Cli {
    /// Data directory (database and encrypted keys). Default: the platform data directory.
    #[arg(long, global = true, env = "STRONGROOM_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// The operator account to act as (default: the login name). Its passphrase comes from
    /// --operator-passphrase-file, STRONGROOM_OPERATOR_PASSPHRASE or a prompt.
    #[arg(long, global = true, env = "STRONGROOM_OPERATOR", value_name = "NAME")]
    pub operator: Option<String>,

    /// Read the operator's passphrase from the first line of FILE.
    #[arg(long, global = true, value_name = "FILE")]
    pub operator_passphrase_file: Option<PathBuf>,

    /// A second custodian who consents to this command's change (repeat for a quorum of more
    /// than 2). Their passphrase comes from --cosigner-passphrase-file (one per --cosigner, in
    /// order), STRONGROOM_COSIGNER_PASSPHRASE (one cosigner) or a prompt.
    #[arg(long, global = true, value_name = "NAME")]
    pub cosigner: Vec<String>,

    /// Read a cosigner's passphrase from the first line of FILE (repeat, in --cosigner order).
    #[arg(long, global = true, value_name = "FILE")]
    pub cosigner_passphrase_file: Vec<PathBuf>,

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
    /// Verify a release bundle (BUNDLE.zip), or a Sigstore bundle or DSSE envelope against a
    /// public key and the file.
    Verify(Box<VerifyArgs>),
    /// Create release bundles and approve them.
    #[command(subcommand)]
    Release(crate::commands::ReleaseCommand),
    /// Sign a predicate (SBOM, provenance, scan, custom) about artifacts as an in-toto attestation.
    Attest(AttestArgs),
    /// Generate an SBOM for an artifact or directory, offline; or validate or convert one.
    Sbom(SbomArgs),
    /// Build an SLSA provenance v1 statement from CI's build metadata.
    Provenance(ProvenanceArgs),
    /// The offline vulnerability database (OSV data carried in as files).
    #[command(subcommand)]
    Vulndb(VulndbCommand),
    /// Scan an SBOM or an artifact for known vulnerabilities, offline.
    Scan(ScanArgs),
    /// Read and check the station's hash-chained audit log; sign checkpoints of it.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Operator accounts and their roles.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// List PKCS#11 tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the allowlist of PKCS#11 modules that may be loaded.
    #[command(subcommand)]
    Module(ModuleCommand),
    /// The station's timestamp authority (RFC 3161), its keys on a token.
    #[command(subcommand)]
    Tsa(TsaCommand),
    /// Scripted key ceremonies: run one step by step, and check its signed record.
    #[command(subcommand)]
    Ceremony(CeremonyCommand),
    /// The trust store: trusted keys (roles, stages, validity), revocations, the trust policy,
    /// and signed trust packages to move them between stations.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Print a completion script for a shell (the packages install them already).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (strongroom.1 and one per subcommand) into DIR.
    #[command(hide = true)]
    Manpages {
        /// The directory to write them into (it is created).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Slots and tokens of every allowed module: label, maker, serial, PIN flags, mechanisms.
    List {
        /// Only this module (it must be on the allowlist).
        #[arg(long, value_name = "PATH")]
        module: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Initialise a token in a free slot: its security officer's PIN, then its user PIN (each
    /// asked twice). A token already initialised is never wiped.
    Init {
        /// The new token's label (1 to 32 bytes).
        #[arg(long)]
        label: String,
        /// The slot (default: the first free one).
        #[arg(long)]
        slot: Option<u64>,
        /// The module (it must be on the allowlist; default: the first with a free slot).
        #[arg(long, value_name = "PATH")]
        module: Option<PathBuf>,
        #[command(flatten)]
        pins: AdminPinArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a token's user PIN: the current one (--pin-file, STRONGROOM_PIN or a prompt),
    /// then the new one.
    ChangePin {
        /// The token's label.
        token: String,
        /// The module that has the token (it must be on the allowlist; default: any allowed).
        #[arg(long, value_name = "PATH")]
        module: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
        #[command(flatten)]
        pins: AdminPinArgs,
    },
    /// Unlock a token's user PIN (locked by wrong tries, or forgotten) as its security officer:
    /// the SO PIN, then a new user PIN.
    Unlock {
        /// The token's label.
        token: String,
        /// The module that has the token (it must be on the allowlist; default: any allowed).
        #[arg(long, value_name = "PATH")]
        module: Option<PathBuf>,
        #[command(flatten)]
        pins: AdminPinArgs,
    },
}

/// Where a token's administration PINs come from (else STRONGROOM_SO_PIN and
/// STRONGROOM_NEW_PIN, else a prompt, new PINs asked twice).
#[derive(Debug, Args)]
pub struct AdminPinArgs {
    /// The security officer's PIN, from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub so_pin_file: Option<PathBuf>,
    /// The new user PIN, from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub new_pin_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CeremonyCommand {
    /// Run a ceremony script (TOML: its name, its participants and their custodian keys, and
    /// its steps: init-token, generate-key, backup-key, export-public-key, sign-trust-package,
    /// checkpoint, each with the role and the quorum it needs). The participants other than the
    /// operator consent with --cosigner. Writes NAME.ceremony.json (an in-toto statement in a
    /// DSSE envelope signed by every participant's key) and NAME.ceremony.html (a sheet to print
    /// and initial) to the output folder, with what the steps write.
    Run {
        /// The ceremony script.
        script: PathBuf,
        /// Folder for the record, the sheet and the steps' files.
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: PathBuf,
        #[command(flatten)]
        secrets: SecretArgs,
        #[command(flatten)]
        pin: PinArgs,
        /// Read the SO PIN (init-token, backup-key steps) from the first line of FILE (else
        /// STRONGROOM_SO_PIN, else a prompt).
        #[arg(long, value_name = "FILE")]
        so_pin_file: Option<PathBuf>,
        /// Read a new token's user PIN (init-token steps) from the first line of FILE (else
        /// STRONGROOM_NEW_PIN, else a prompt, twice).
        #[arg(long, value_name = "FILE")]
        new_pin_file: Option<PathBuf>,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Check a ceremony record with every participant's public key (no station needed): each
    /// signed it, and no step was removed, added or reordered.
    Verify {
        /// The NAME.ceremony.json record.
        record: PathBuf,
        /// A participant's public key (PEM); give one --key per participant.
        #[arg(long = "key", value_name = "PEM", required = true)]
        keys: Vec<PathBuf>,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TsaCommand {
    /// Make the station's timestamp authority: a CA key and a TSA key (ECDSA P-256, never
    /// extractable) on the token, the CA's self-signed certificate and the TSA certificate it
    /// issues (timeStamping). From then on every signature the station makes carries an RFC 3161
    /// stamp. Writes station-tsa.trusted_root.json (trust it with `trust root import`),
    /// station-ca.pem and station-tsa.pem to the output folder.
    Init {
        #[command(flatten)]
        token: TokenArgs,
        /// Folder for the trusted root and the certificates (never over existing files).
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: PathBuf,
        /// How many years the certificates are valid.
        #[arg(long, default_value_t = 10)]
        years: u32,
        #[command(flatten)]
        pin: PinArgs,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Show the station's timestamp authority: its keys and when its certificates end.
    Show {
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModuleCommand {
    /// Show the allowed modules.
    List {
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Allow a PKCS#11 module (its canonical path is recorded).
    Allow {
        /// The PKCS#11 module (a shared library).
        path: PathBuf,
    },
    /// Stop allowing a module.
    Remove {
        /// The PKCS#11 module.
        path: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The token's label (or serial number, with --by-serial).
    #[arg(long, value_name = "LABEL")]
    pub token: Option<String>,
    /// Select the token by serial number instead of label.
    #[arg(long, requires = "token")]
    pub by_serial: bool,
    /// The PKCS#11 module holding the token (default: search every allowed module).
    #[arg(long, value_name = "PATH")]
    pub module: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Read the token PIN from the first line of FILE (else STRONGROOM_PIN, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub pin_file: Option<PathBuf>,
    /// Accept `pin-value` in a pkcs11: URI. It puts the PIN on the command line: avoid.
    #[arg(long)]
    pub allow_pin_in_uri: bool,
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
    /// Show one key: its inventory record and, for token keys, the URI and protection attributes.
    Show {
        /// Key label or key id.
        key: String,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Record a key that already exists on a token (made by another tool).
    Adopt {
        #[command(flatten)]
        token: TokenArgs,
        /// The key on the token: its CKA_LABEL (with --token), or a pkcs11: URI (whose token= or
        /// serial= picks the token when --token is not given).
        #[arg(long)]
        object: String,
        /// The inventory label to record it under.
        #[arg(long)]
        label: String,
        /// What the key signs: signer, approver, custodian or audit.
        #[arg(long, default_value = "signer")]
        purpose: String,
        #[command(flatten)]
        pin: PinArgs,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Print a key's public key as PEM (SubjectPublicKeyInfo), the form cosign and openssl read.
    Export {
        /// Key label or key id.
        key: String,
        /// Write to FILE instead of standard output (never over an existing file without
        /// --force).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// The fingerprint of a PEM public key file, to compare a key out of band (no station
    /// needed): its algorithm and key id, in base64 and in hex.
    Fingerprint {
        /// The public key (PEM SubjectPublicKeyInfo).
        file: PathBuf,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Retire a key: it stays listed and its signatures still verify, but it signs nothing more.
    Retire {
        /// Key label or key id.
        key: String,
    },
    /// Rotate a key: generate its successor beside it (same token or software, same algorithm),
    /// sign a statement introducing the new key with the old one, and retire the old key.
    /// Writes NEW.pub.pem and NEW.rotation.sigstore.json to --out; anyone with the old public
    /// key checks them with `strongroom verify --key OLD.pem --type key-rotation --bundle
    /// NEW.rotation.sigstore.json NEW.pub.pem`.
    Rotate(RotateArgs),
    /// Back a key up for a quorum of custodians: the key, wrapped under a one-time AES-256 key,
    /// goes to KEY.backup.json, and that wrapping key is split into --shares share files, any
    /// --threshold of which restore it. A token key must have been generated --backupable; its
    /// token's SO PIN and user PIN are both needed.
    Backup(BackupArgs),
    /// Restore a key from its backup file and at least its threshold of shares: into a token
    /// (the same key: same public key, key id and CKA_ID), or, for a software key, into a new
    /// key file. A key the inventory holds (its token was lost) is pointed at the restored key.
    Restore(RestoreArgs),
    /// Revoke a key (lost or compromised): it signs nothing more, and this station's trust store
    /// revokes it too when it trusts it; the reason is recorded.
    Revoke {
        /// Key label or key id.
        key: String,
        /// Why (recorded in the audit log).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Software: ed25519 or ecdsa-p256. On a token also ecdsa-p384, rsa-3072, rsa-4096.
    #[arg(long, value_name = "ALG")]
    pub algorithm: String,
    /// Inventory label (and, on a token, CKA_LABEL): letters, digits, '.', '_' and '-'.
    #[arg(long)]
    pub label: String,
    /// What the key will sign, its one purpose: signer (releases, artifacts, attestations),
    /// approver (release approvals), custodian (trust packages) or audit (audit checkpoints).
    #[arg(long, default_value = "signer")]
    pub purpose: String,
    /// Generate the key on this PKCS#11 token instead of in software.
    #[command(flatten)]
    pub token: TokenArgs,
    /// On a token: make the key backup-able (sensitive, extractable only wrapped under a key
    /// the token's security officer trusts), so that `key backup` can split it among
    /// custodians. Without it a token key is never extractable. Decided now, for good.
    #[arg(long, requires = "token")]
    pub backupable: bool,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub pin: PinArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The key to back up: label or key id.
    pub key: String,
    /// How many shares to make (one per custodian), 2 to 255.
    #[arg(long, value_name = "N")]
    pub shares: u8,
    /// How many shares restore the key, 2 to N.
    #[arg(long, value_name = "M")]
    pub threshold: u8,
    /// The custodian who receives the next share (give it once per share, in order); written on
    /// the share and in its hand-over audit row.
    #[arg(long, value_name = "NAME")]
    pub custodian: Vec<String>,
    /// Folder for KEY.backup.json and KEY.share-I-of-N.txt (never over existing files).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub pin: PinArgs,
    /// Read the token's security officer PIN from the first line of FILE (else
    /// STRONGROOM_SO_PIN, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub so_pin_file: Option<PathBuf>,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The KEY.backup.json file `key backup` wrote.
    pub backup: PathBuf,
    /// A custodian's share file; give one --share per share.
    #[arg(long = "share", value_name = "FILE", required = true)]
    pub shares: Vec<PathBuf>,
    /// Restore into this token (required for a token key's backup).
    #[command(flatten)]
    pub token: TokenArgs,
    #[command(flatten)]
    pub pin: PinArgs,
    /// For a software key: read its new passphrase from the first line of FILE (else
    /// STRONGROOM_NEW_PASSPHRASE, else a prompt, twice).
    #[arg(long, value_name = "FILE")]
    pub new_passphrase_file: Option<PathBuf>,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The key to replace: label or key id.
    pub key: String,
    /// Label of the new key.
    #[arg(long)]
    pub label: String,
    /// Folder for the new public key and the rotation statement (`--out` is the older name).
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "out",
        value_name = "DIR"
    )]
    pub out: PathBuf,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Read the new software key's passphrase from the first line of FILE (else
    /// STRONGROOM_NEW_PASSPHRASE, else a prompt, twice).
    #[arg(long, value_name = "FILE")]
    pub new_passphrase_file: Option<PathBuf>,
    /// Also trust the new key in this station's trust store as the old one is trusted (same
    /// purpose, stages and holder, under the new label), in the act that retires the old key.
    #[arg(long)]
    pub carry_trust: bool,
    #[command(flatten)]
    pub pin: PinArgs,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
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
    /// Key label, key id, or pkcs11: URI.
    #[arg(long)]
    pub key: String,
    #[command(flatten)]
    pub pin: PinArgs,
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
    /// A container image to sign, as REFERENCE=SOURCE (an OCI image layout folder or a tarball
    /// of one, with :TAG or @sha256:DIGEST): writes NAME.manifest.json with its Sigstore bundle,
    /// and the cosign signature NAME.cosign.json and NAME.cosign.sig, into --output-dir or
    /// beside SOURCE. Repeatable.
    #[arg(long, value_name = "REFERENCE=SOURCE")]
    pub image: Vec<strongroom_ops::image::ImageSpec>,
    /// Files to sign.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SbomArgs {
    #[command(subcommand)]
    pub command: Option<SbomCommand>,
    /// The artifact, archive, image (OCI layout or docker-save tarball) or directory.
    #[arg(value_name = "ARTIFACT_OR_DIR")]
    pub path: Option<PathBuf>,
    /// spdx-json or cyclonedx-json.
    #[arg(long, default_value = "spdx-json")]
    pub format: String,
    /// Write the SBOM to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SbomCommand {
    /// Check an SBOM (yours or another tool's, e.g. syft's) against the official JSON schema.
    Validate {
        /// The SBOM (SPDX 2.3 or CycloneDX 1.4–1.6 JSON).
        file: PathBuf,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Convert between SPDX 2.3 and CycloneDX 1.6, where the information allows.
    Convert {
        /// The SBOM to convert.
        file: PathBuf,
        /// spdx-json or cyclonedx-json.
        #[arg(long)]
        to: String,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum VulndbCommand {
    /// Import OSV all.zip files (any ecosystem); re-importing is idempotent, newer records replace.
    Import {
        /// OSV all.zip files, one per ecosystem.
        #[arg(value_name = "FILE.zip", required = true)]
        files: Vec<PathBuf>,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Ecosystems, record counts and the snapshot's age (a warning past the threshold).
    Status {
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Set the age in days past which the snapshot is reported as stale (default 30).
    MaxAge {
        /// Days after which the database is reported stale.
        days: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Claim a new station: create the first operator, a custodian. Refused once any exists.
    Init {
        /// The first operator's account name.
        #[arg(long)]
        name: String,
        /// Further roles for this first account (comma-separated), e.g. for a one-person test
        /// station: release-officer,approver,auditor.
        #[arg(long, value_name = "ROLES")]
        roles: Option<String>,
    },
    /// Add an operator (custodian only).
    Add {
        /// The new account's name.
        name: String,
        /// Comma-separated: custodian, release-officer, approver, auditor.
        #[arg(long, value_name = "ROLES")]
        roles: String,
        #[command(flatten)]
        new: NewPassphraseArgs,
    },
    /// List operators and their roles.
    List {
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Change your passphrase, or (custodian) another operator's.
    Passwd {
        /// The account (default: the operator logged in).
        name: Option<String>,
        #[command(flatten)]
        new: NewPassphraseArgs,
    },
    /// Disable an account (custodian only); it can no longer log in.
    Disable {
        /// The account.
        name: String,
    },
    /// Re-enable a disabled account (custodian only).
    Enable {
        /// The account.
        name: String,
    },
    /// Give an operator more roles (custodian only).
    Grant {
        /// The account.
        name: String,
        /// Roles to add, comma-separated: custodian, release-officer, approver, auditor.
        #[arg(value_name = "ROLES")]
        roles: String,
    },
    /// Take roles from an operator (custodian only).
    Revoke {
        /// The account.
        name: String,
        /// Roles to take away, comma-separated.
        #[arg(value_name = "ROLES")]
        roles: String,
    },
    /// Show the custodian quorum, or set it (custodian only, with the quorum in force): how many
    /// distinct custodians must consent to a change of who is trusted.
    Quorum {
        /// The new quorum: distinct custodians whose consent a change of trust or accounts
        /// needs (omit it to show the one in force).
        quorum: Option<u32>,
    },
}

#[derive(Debug, Args)]
pub struct NewPassphraseArgs {
    /// Read the new operator passphrase from the first line of FILE (else
    /// STRONGROOM_NEW_OPERATOR_PASSPHRASE, else a prompt, twice).
    #[arg(long, value_name = "FILE")]
    pub new_passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AuditKeyCommand {
    /// Set the key that signs checkpoints: the label or key id of a key of purpose audit
    /// (custodian only, with the quorum's consent).
    Set {
        /// The audit key: label or key id of a key of purpose audit.
        key: String,
        /// A file (mode 600) holding the audit key's passphrase or PIN: the station then signs
        /// the checkpoint of each release and approval itself, without asking for it.
        #[arg(long, value_name = "FILE")]
        secret_file: Option<PathBuf>,
    },
    /// Show the configured audit key.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain and the checkpoints; exit 1 and name the first edited, deleted or
    /// inserted row, or the first checkpoint the chain no longer matches.
    Verify {
        /// Require every checkpoint to be signed by this public key (a PEM file, or a label or
        /// key id of the inventory), and at least one checkpoint.
        #[arg(long, value_name = "PUB")]
        key: Option<String>,
        /// Require the log to extend a checkpoint witnessed earlier: a release bundle, a
        /// checkpoint or excerpt file, or ROWS:HEAD as `audit checkpoint` prints it.
        #[arg(long, value_name = "CHECKPOINT")]
        since: Option<String>,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Sign the current chain head (row count and hash) with the audit key.
    Checkpoint {
        /// Sign with this key instead of the configured audit key.
        #[arg(long)]
        key: Option<String>,
        #[command(flatten)]
        secrets: SecretArgs,
        #[command(flatten)]
        pin: PinArgs,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// The audit key setting.
    #[command(subcommand)]
    Key(AuditKeyCommand),
    /// Write the rows about OBJECTs (a release's `manifest:sha256:HEX`, a bundle or artifact sha256) with the chain that
    /// links them to the latest checkpoint, as JSON.
    Excerpt {
        /// The `manifest:sha256:HEX` that `release create` prints (a release's rows: create,
        /// approvals, export), bundle or artifact SHA-256s, or `release:NAME@VERSION` (the rows of
        /// creates that failed before a manifest existed).
        #[arg(required = true, value_name = "OBJECT")]
        objects: Vec<String>,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check an excerpt with the audit key's public key alone (no station needed).
    VerifyExcerpt {
        /// The excerpt (a bundle's audit/excerpt.json, or `audit excerpt` output).
        file: PathBuf,
        /// The audit key's public key (PEM file).
        #[arg(long, value_name = "PUB")]
        key: PathBuf,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// List rows, oldest first.
    List {
        #[command(flatten)]
        filter: AuditFilterArgs,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Export rows (every row unless filtered).
    Export {
        /// jsonl: one JSON object per line; csv: RFC 4180 with a header line.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: AuditExportFormat,
        #[command(flatten)]
        filter: AuditFilterArgs,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Which audit rows to show; all that are given must match.
#[derive(Debug, Args)]
pub struct AuditFilterArgs {
    /// Only rows at or after this time: RFC 3339, or a date (from its start).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only rows at or before this time: RFC 3339, or a date (through its end).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this action (sign, key.generate, login.failed, …).
    #[arg(long)]
    pub action: Option<String>,
    /// Only acts by this operator (`--operator` names who runs the command).
    #[arg(long, value_name = "OPERATOR")]
    pub by: Option<String>,
    /// Only this outcome: ok, failed or denied.
    #[arg(long)]
    pub outcome: Option<String>,
    /// Only the latest N matching rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

/// `audit export --format`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum AuditExportFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// An SBOM (SPDX or CycloneDX JSON) or an artifact, archive, image or directory.
    #[arg(value_name = "SBOM_OR_ARTIFACT")]
    pub input: PathBuf,
    /// Exit 1 when a finding is at or above this severity: critical, high, medium or low.
    #[arg(long, value_name = "LEVEL")]
    pub fail_on: Option<String>,
    /// Also write the result as an in-toto vulns predicate (sign it with `attest --type vulns`).
    #[arg(long, value_name = "FILE")]
    pub predicate_out: Option<PathBuf>,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ProvenanceArgs {
    /// The build metadata JSON that CI wrote (docs/build-meta.md).
    #[arg(long, value_name = "META.json")]
    pub build_meta: PathBuf,
    /// Write the statement to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The artifacts the build produced (the statement's subjects).
    #[arg(value_name = "ARTIFACT", required = true)]
    pub artifacts: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AttestArgs {
    /// Key label, key id, or pkcs11: URI.
    #[arg(long)]
    pub key: String,
    /// sbom, provenance, vulns, or custom:URI.
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: String,
    /// The predicate: a JSON file (an SBOM, an SLSA provenance predicate, a scan result…).
    #[arg(long, value_name = "FILE")]
    pub predicate: PathBuf,
    /// Where to write the bundle. Default: FIRST_ARTIFACT.TYPE.sigstore.json.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing bundle.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub pin: PinArgs,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
    /// The artifacts the statement is about (its subjects).
    #[arg(value_name = "ARTIFACT", required = true)]
    pub artifacts: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// For attestations: require this predicate type (sbom, provenance, vulns, key-rotation or
    /// custom:URI).
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// The public key: a PEM file, or the label or key id of a key in the inventory. For
    /// release bundles (whose keys are checked against the trust store), only with
    /// --summary-out: the signer key (label, key id or pkcs11: URI) that signs the summary.
    #[arg(long)]
    pub key: Option<String>,
    /// Release bundles: also write a signed SLSA verification summary (VSA v1) of the result
    /// to FILE, signed with --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub summary_out: Option<PathBuf>,
    /// Replace an existing --summary-out file.
    #[arg(long, requires = "summary_out")]
    pub force: bool,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub pin: PinArgs,
    /// The bundle or envelope. Default: FILE.sigstore.json.
    #[arg(long, value_name = "BUNDLE")]
    pub bundle: Option<PathBuf>,
    /// Print a JSON report with one entry per check.
    #[arg(long)]
    pub json: bool,
    /// Release bundles: a directory holding the artifacts (when the bundle does not carry them).
    /// A folder of signatures: where their files are (default: beside them).
    #[arg(long, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
    /// Release bundles: with --artifacts, an artifact absent from DIR only warns (otherwise it
    /// fails the verification).
    #[arg(long, requires = "artifacts")]
    pub allow_missing: bool,
    /// Release bundles: verify against this trust package instead of the station's trust store.
    #[arg(long, value_name = "PKG.json")]
    pub trust: Option<PathBuf>,
    /// Release bundles: your own Rego rules on top of the stage's policy; repeatable.
    #[arg(long, value_name = "FILE.rego")]
    pub policy: Vec<PathBuf>,
    /// Release bundles: also write the report to FILE: JSON for FILE.json (as --json prints
    /// it), else a printable HTML page. Either names who checked, on which station, against
    /// which trust (a package's digest and signers), and each artifact's SBOM, scan and
    /// provenance.
    #[arg(long, value_name = "FILE.html|FILE.json")]
    pub report: Option<PathBuf>,
    /// Release bundles: an age identity file for an encrypted bundle.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Release bundles: read an encrypted bundle's passphrase from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub bundle_passphrase_file: Option<PathBuf>,
    /// Keyless Sigstore bundles made by other clients (GitHub, npm, PyPI, cosign): verify
    /// offline against this trusted root (trusted_root.json, or gh's JSON lines).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// With --trusted-root: the signer's identity (the certificate's URI or email), exactly.
    #[arg(
        long,
        value_name = "IDENTITY",
        requires = "trusted_root",
        conflicts_with = "certificate_identity_regexp"
    )]
    pub certificate_identity: Option<String>,
    /// With --trusted-root: the signer's identity as a regular expression over the whole value.
    #[arg(long, value_name = "REGEXP", requires = "trusted_root")]
    pub certificate_identity_regexp: Option<String>,
    /// With --trusted-root: the OIDC issuer that vouched for the identity, exactly.
    #[arg(
        long,
        value_name = "URL",
        requires = "trusted_root",
        conflicts_with = "certificate_oidc_issuer_regexp"
    )]
    pub certificate_oidc_issuer: Option<String>,
    /// With --trusted-root: the OIDC issuer as a regular expression over the whole value.
    #[arg(long, value_name = "REGEXP", requires = "trusted_root")]
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// With --trusted-root: the GitHub repository the workflow ran in (source repository URI).
    #[arg(long, value_name = "REPOSITORY", requires = "trusted_root")]
    pub certificate_github_workflow_repository: Option<String>,
    /// With --trusted-root: the git ref the workflow ran on (`refs/heads/main`, `refs/tags/v1`).
    #[arg(long, value_name = "REF", requires = "trusted_root")]
    pub certificate_github_workflow_ref: Option<String>,
    /// With --trusted-root: the workflow file that signed (the build signer URI, `…/.github/workflows/F.yml@REF`).
    #[arg(long, value_name = "URI", requires = "trusted_root")]
    pub certificate_build_signer_uri: Option<String>,
    /// With --trusted-root: log entries that must verify (default 1; 0 for a root with no
    /// transparency logs, such as GitHub's own instance).
    #[arg(long, value_name = "N", requires = "trusted_root")]
    pub tlog_threshold: Option<usize>,
    /// With --trusted-root: embedded SCTs that must verify (default 1; 0 for a root with no CT
    /// logs).
    #[arg(long, value_name = "N", requires = "trusted_root")]
    pub sct_threshold: Option<usize>,
    /// With --trusted-root: RFC 3161 timestamps that must verify (default 0; 1 for a root with
    /// no transparency logs).
    #[arg(long, value_name = "N", requires = "trusted_root")]
    pub timestamp_threshold: Option<usize>,
    /// The signed files, a folder `sign` wrote into (every FILE.sigstore.json in it with its
    /// FILE), or release bundles (BUNDLE.zip). With --trusted-root: one FILE, or its digest as
    /// sha256:HEX.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Trust a public key (PEM SubjectPublicKeyInfo) under a name.
    Add(TrustAddArgs),
    /// Add your custodian signature to a trust package (written back in place): how the second
    /// custodian of a quorum signs a package the first exported.
    Countersign {
        /// The trust package to sign (written back in place).
        #[arg(value_name = "PACKAGE.json")]
        file: PathBuf,
        /// Your custodian key (label, key id or pkcs11: URI).
        #[arg(long)]
        key: String,
        #[command(flatten)]
        secrets: SecretArgs,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Revoke a trusted key: signatures it made from --at on do not count; earlier ones stand,
    /// flagged.
    Revoke {
        /// The trusted key's name or key id.
        #[arg(value_name = "KEY|NAME")]
        key: String,
        /// When the key stopped being trustworthy (RFC 3339). Default: now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Why (goes into the audit log and the trust package).
        #[arg(long, value_name = "TEXT", default_value = "")]
        reason: String,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Show trusted keys, revocations and the trust policy.
    List {
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Sign the station's trust (keys, revocations, policy) into a trust package, with the
    /// custodian keys of the quorum (yours, and each cosigner's).
    Export(TrustExportArgs),
    /// Import a trust package signed by the threshold of custodians this station trusts; its
    /// keys and policy replace the station's, the station's revocations are kept.
    Import {
        /// The trust package.
        #[arg(value_name = "PACKAGE.json")]
        file: PathBuf,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// The trust policy's Rego modules (exported with the trust).
    #[command(subcommand)]
    Policy(TrustPolicyCommand),
    /// Sigstore trusted roots, for verifying keyless bundles (exported with the trust).
    #[command(subcommand)]
    Root(TrustRootCommand),
    /// Replace the trust policy's data: a JSON object (allowed_builders, min_approvers, …).
    Data {
        /// A JSON object.
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct TrustAddArgs {
    /// The public key to trust (PEM SubjectPublicKeyInfo).
    #[arg(value_name = "PUB.pem")]
    pub pem: PathBuf,
    /// The trust name: letters, digits, '.', '_' and '-'.
    #[arg(long)]
    pub name: String,
    /// Comma-separated: dev, test, staging, production. Default: every stage.
    #[arg(long, value_name = "STAGES")]
    pub stages: Option<String>,
    /// What the key is trusted to sign: signer, approver, custodian or audit (one).
    #[arg(long, default_value = "signer")]
    pub purpose: String,
    /// Who holds the key: an operator name. Approvals are counted by holder, so one person
    /// with two keys counts once.
    #[arg(long, value_name = "OPERATOR")]
    pub holder: String,
    /// The key is not valid before this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub not_before: Option<String>,
    /// The key is not valid after this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub not_after: Option<String>,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrustExportArgs {
    /// A custodian key to sign with (label, key id or pkcs11: URI); repeat, one per
    /// custodian of the quorum. Importers must trust them as custodian keys.
    #[arg(long, required = true)]
    pub key: Vec<String>,
    /// Where to write the trust package.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
    /// Write the package even with fewer custodian signatures than the quorum; the others
    /// add theirs with `trust countersign`. No station imports it until they have.
    #[arg(long)]
    pub partial: bool,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub pin: PinArgs,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TrustRootCommand {
    /// Trust a Sigstore trusted root (trusted_root.json, or gh's JSON lines) under a name;
    /// `verify --trusted-root NAME` then uses it. Replaces a root of the same name.
    Import {
        /// The trusted root.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The name to trust it under (letters, digits, '.', '_', '-').
        #[arg(long)]
        name: String,
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Show each trusted root's certificate authorities, logs and timestamp authorities, with
    /// their validity windows.
    List {
        /// Print the result as JSON (the shape `docs/cli.md` documents).
        #[arg(long)]
        json: bool,
    },
    /// Stop trusting a root.
    Remove {
        /// The root's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrustPolicyCommand {
    /// Add a Rego module (or replace the one with the same file name).
    Add {
        /// The Rego module.
        #[arg(value_name = "FILE.rego")]
        file: PathBuf,
    },
    /// Remove a Rego module by file name.
    Remove {
        /// The module's file name.
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every argument of every subcommand says what it is in `--help` (`--name`, `--version`
    /// and `--json` said nothing).
    #[test]
    fn every_argument_has_help_text() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path}: {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "", &mut missing);
        assert!(
            missing.is_empty(),
            "arguments without help:\n{}",
            missing.join("\n")
        );
    }
}
