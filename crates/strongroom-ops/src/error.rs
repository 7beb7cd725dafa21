//! The operations error: what went wrong, its kind (for exit codes and IPC codes), and what the
//! user can do about it.

use std::path::PathBuf;

use strongroom_core::bundle::BundleError;
use strongroom_core::keyref::KeyRefError;
use strongroom_core::keys::KeyError;
use strongroom_core::SignError;
use strongroom_hsm::HsmError;
use strongroom_policy::{PackageError, PolicyError, TrustError};
use strongroom_sbom::provenance::ProvenanceError;
use strongroom_sbom::SbomError;
use strongroom_store::StoreError;
use strongroom_vuln::VulnError;

/// Broad classes of failure, stable across versions: the CLI maps them to exit codes and the app
/// to error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request itself is wrong (bad arguments, malformed input documents).
    Usage,
    /// A named file or key does not exist.
    NotFound,
    /// A passphrase or PIN was wrong or missing.
    Auth,
    /// Something already exists, or conflicts.
    Conflict,
    /// A token or module failed.
    Device,
    /// Local storage failed (database, disk).
    Storage,
    /// A verification refused the input: an untrusted, revoked or altered trust package (and,
    /// for release code, a policy denial). The CLI exits 1, as for a failed `verify`.
    Rejected,
    /// The operator's roles do not allow the action, or the station has no operators yet.
    Forbidden,
}

impl ErrorKind {
    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Auth => "auth",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Device => "device",
            ErrorKind::Storage => "storage",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Forbidden => "forbidden",
        }
    }
}

/// Who reads a remedy. The CLI's name flags and commands; the app's name its screens and buttons,
/// since most of its users never open a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    Cli,
    App,
}

impl Edge {
    /// The remedy in this edge's words.
    fn say(self, cli: &str, app: &str) -> String {
        match self {
            Edge::Cli => cli,
            Edge::App => app,
        }
        .to_owned()
    }
}

/// Why an operation could not be carried out. Nothing was written when one of these is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpsError {
    #[error("no files given")]
    NoFiles,
    #[error("{}: no such file", .0.display())]
    MissingFile(PathBuf),
    #[error("{} is a directory, not a file", .0.display())]
    IsDirectory(PathBuf),
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("{} is not a regular file", .0.display())]
    NotRegularFile(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is {size} bytes, more than the {limit}-byte limit for this kind of file", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{} already exists", .0.display())]
    OutputExists(PathBuf),
    #[error("scanning needs an SBOM for {0}, and none was chosen")]
    ScanNeedsSbom(String),
    #[error("the artifact name {name:?} is {} bytes long; a release holds names of at most {most} bytes, so that the names of its attestation files stay within 255 bytes", name.len())]
    ArtifactNameTooLong { name: String, most: usize },
    #[error("{} is inside the station's data directory {}", path.display(), home.display())]
    InsideStation { path: PathBuf, home: PathBuf },
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Sbom(#[from] SbomError),
    #[error(transparent)]
    BuildMeta(#[from] ProvenanceError),
    #[error(transparent)]
    Vuln(#[from] VulnError),
    #[error("two inputs would write the same output {}", .0.display())]
    OutputClash(PathBuf),
    #[error("{}: {source}", path.display())]
    Bundle {
        path: PathBuf,
        #[source]
        source: BundleError,
    },
    #[error("{}: {source}", path.display())]
    PublicKeyFile {
        path: PathBuf,
        #[source]
        source: KeyError,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    KeyRef(#[from] KeyRefError),
    #[error("signing failed: {0}")]
    Sign(#[from] SignError),
    #[error("{what} is needed and none was given")]
    SecretUnavailable { what: String },
    #[error("the passphrase is too short: {0}")]
    WeakPassphrase(String),
    #[error("{label:?} is a {backend} key; {reason}")]
    WrongBackend {
        label: String,
        backend: String,
        reason: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hsm(#[from] HsmError),
    #[error("the key {label:?} is {status} and signs nothing more")]
    KeyNotActive { label: String, status: String },
    #[error("the token key {label:?} no longer matches the inventory: {reason}")]
    TokenKeyChanged { label: String, reason: String },
    /// A rotation failed after its new key was made: the new key is recorded, the old one is
    /// still active.
    #[error("the new key {new:?} was generated and recorded, but the rotation of {old:?} did not finish: {cause}")]
    RotationIncomplete {
        old: String,
        new: String,
        cause: Box<OpsError>,
    },
    #[error("{key}: no such key in the inventory at {} and no such public key file", home.display())]
    VerificationKeyNotFound { key: String, home: PathBuf },
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),
    #[error("{}: {source}", path.display())]
    TrustPackage {
        path: PathBuf,
        #[source]
        source: Box<PackageError>,
    },
    #[error("no trusted key {0:?} in the trust store")]
    TrustKeyNotFound(String),
    #[error("the trusted key {name:?} is already revoked as of {revoked_at}")]
    AlreadyRevoked { name: String, revoked_at: String },
    #[error("{}: this station trusts no active custodian key, so it cannot accept a trust package (this one is signed by key {signer})", path.display())]
    NoCustodian { path: PathBuf, signer: String },
    #[error("{}: the trust package was issued at {issued_at}, before the one imported last ({last}); importing it could undo newer trust decisions", path.display())]
    StaleTrustPackage {
        path: PathBuf,
        issued_at: String,
        last: String,
    },
    #[error("no policy module {0:?} in the trust policy")]
    PolicyModuleNotFound(String),
    #[error(
        "operator {operator:?} (roles: {}) may not perform {action:?}: it needs the role {}",
        crate::operators::held_names(held),
        crate::operators::names(allowed)
    )]
    Forbidden {
        operator: String,
        action: String,
        held: Vec<crate::operators::Role>,
        allowed: Vec<crate::operators::Role>,
    },
    #[error("this station has no operator accounts yet, so nobody may perform {action:?}")]
    Unclaimed { action: String },
    #[error("{action:?} needs a logged-in operator")]
    NotLoggedIn { action: String },
    #[error(
        "login failed for operator {0:?}: unknown operator, wrong passphrase or disabled account"
    )]
    LoginFailed(String),
    #[error("the passphrase of operator {0:?} is needed and none was given")]
    OperatorPassphraseUnavailable(String),
    #[error(
        "no audit key is set, so no checkpoint can be signed: every release bundle carries one"
    )]
    NoAuditKey,
    #[error("the audit log has no signed checkpoint yet")]
    NoCheckpoint,
    #[error("no audit row up to the latest checkpoint is about {0}")]
    NoAuditRows(String),
    #[error(transparent)]
    ReleaseBundle(#[from] strongroom_bundle::BundleError),
    #[error("the {stage} policy refuses this release, so nothing was signed:\n  - {}", reasons.join("\n  - "))]
    PolicyDenied {
        stage: String,
        reasons: Vec<String>,
        /// The remedies the denying rules named.
        fixes: Vec<strongroom_policy::Fix>,
    },
    #[error("{} does not verify, so it cannot be approved:\n  - {}", bundle.display(), reasons.join("\n  - "))]
    BundleRejected {
        bundle: PathBuf,
        reasons: Vec<String>,
    },
    #[error("key {key} has already signed this release; the same key counts once")]
    AlreadyApproved { key: String },
    #[error("{} is age-encrypted", .0.display())]
    EncryptedBundle(PathBuf),
    #[error("the station refuses to act: {0}")]
    Tampered(crate::access::Tamper),
    #[error("{action} changes who is trusted and needs the consent of {quorum} distinct custodians; it has {}", consent_list(consenting))]
    QuorumRequired {
        action: String,
        quorum: u32,
        consenting: Vec<String>,
    },
    #[error("the change would leave {custodians} enabled custodian(s), fewer than the custodian quorum of {quorum}")]
    BelowQuorum { custodians: usize, quorum: u32 },
    #[error("{0} is not an enabled custodian")]
    NotACustodian(String),
    #[error("operator {name:?} has failed to log in too often: refused for {minutes} minutes from the last failure, without checking the passphrase")]
    LoginThrottled { name: String, minutes: i64 },
    #[error("{key:?} is a {purpose} key: it signs {}, not {}", purpose.signs(), needed.signs())]
    WrongPurpose {
        key: String,
        purpose: strongroom_core::Purpose,
        needed: strongroom_core::Purpose,
    },
    #[error("{0}: the key is not in this station's inventory, so its purpose is unknown")]
    UnknownKeyPurpose(String),
}

fn consent_list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// The kind and remedy of a PKCS#11 failure.
fn hsm_kind(e: &HsmError) -> ErrorKind {
    match e {
        HsmError::PinIncorrect { .. } | HsmError::PinLocked | HsmError::Pin(_) => ErrorKind::Auth,
        HsmError::TokenNotFound { .. } | HsmError::KeyNotFound { .. } => ErrorKind::NotFound,
        HsmError::LabelInUse { .. } => ErrorKind::Conflict,
        HsmError::ModuleNotAllowed { .. }
        | HsmError::Uri(_)
        | HsmError::InvalidLabel { .. }
        | HsmError::AmbiguousKey { .. }
        | HsmError::AmbiguousToken { .. }
        | HsmError::TokenMismatch { .. }
        | HsmError::MechanismUnsupported { .. }
        | HsmError::UnsupportedKey { .. } => ErrorKind::Usage,
        _ => ErrorKind::Device,
    }
}

fn hsm_remedy(e: &HsmError, to: Edge) -> Option<String> {
    Some(match e {
        HsmError::ModuleNotAllowed { .. } => to.say(
            "a key custodian can allow it with `strongroom module allow PATH`",
            "a key custodian can allow it under Settings, Allowed PKCS#11 modules",
        ),
        HsmError::PinIncorrect { .. } => {
            "check the PIN and try again; it was tried once and not retried, and nothing was signed".into()
        }
        HsmError::PinLocked => "the token's security officer must unlock the user PIN".into(),
        HsmError::TokenNotFound { .. } => to.say(
            "insert the token, or list the tokens with `strongroom token list`",
            "insert the token; Keys, Tokens and slots lists the tokens present",
        ),
        HsmError::AmbiguousKey { .. } => {
            "name the key more precisely: add id=… to the pkcs11: URI, or adopt it under its own label".into()
        }
        HsmError::TokenRemoved { .. } => to.say(
            "reinsert the token and run the command again; nothing was written",
            "reinsert the token and try again; nothing was written",
        ),
        HsmError::Uri(_) => "see `docs/cli.md` for the pkcs11: URI form".into(),
        _ => return None,
    })
}

/// What the CLI says to do about a fix a policy rule or a check names (the app words the same
/// fixes as its own wizard steps, in `ui/src/lib/format.ts`).
pub fn cli_hint(fix: strongroom_policy::Fix) -> &'static str {
    use strongroom_policy::Fix;
    match fix {
        Fix::Sbom => "generate an SBOM with `--sbom auto`, or give one with `--sbom FILE`",
        Fix::Scan => "create the release with `--scan` (import OSV data with `strongroom vulndb import` first)",
        Fix::Provenance => "give CI's build metadata with `--provenance META.json`",
        Fix::Approvals => "collect approvals with `strongroom release approve BUNDLE --key KEY`",
        Fix::Artifacts => "give `--artifacts DIR`, a directory holding the artifacts, to check their bytes",
    }
}

/// What to do about a refused trust package.
fn package_remedy(e: &PackageError, to: Edge) -> Option<String> {
    Some(match e {
        PackageError::BelowThreshold { counted, .. } if counted.is_empty() => to.say(
            "if you trust its issuers, add their custodian keys first with `strongroom trust add ISSUER.pem --name NAME --purpose custodian --holder PERSON`; nothing was imported",
            "if you trust its issuers, first trust their keys with the custodian purpose (Trust, Trust a key from a PEM file); nothing was imported",
        ),
        PackageError::BelowThreshold { .. } => to.say(
            "more custodians must sign it: each adds a signature with `strongroom trust countersign PKG --key THEIR-KEY`; nothing was imported",
            "more custodians must sign it on their station; nothing was imported",
        ),
        PackageError::NotAnEnvelope(_) | PackageError::WrongPayloadType(_) => to.say(
            "give the file that `strongroom trust export` wrote",
            "give the file that the issuing station wrote with Export a signed trust package",
        ),
        PackageError::Stale { .. } => {
            "get the newest trust package from its issuers; nothing was imported".into()
        }
        _ => return None,
    })
}

impl OpsError {
    pub fn kind(&self) -> ErrorKind {
        use OpsError::*;
        match self {
            NoFiles
            | IsDirectory(_)
            | NotADirectory(_)
            | NotRegularFile(_)
            | TooLarge { .. }
            | OutputClash(_)
            | OutputExists(_)
            | InsideStation { .. }
            | ScanNeedsSbom(_)
            | ArtifactNameTooLong { .. }
            | BadInput(_)
            | BuildMeta(_)
            | Bundle { .. }
            | PublicKeyFile { .. }
            | Key(_)
            | KeyRef(_)
            | WeakPassphrase(_)
            | WrongBackend { .. } => ErrorKind::Usage,
            MissingFile(_) => ErrorKind::NotFound,
            Read { .. } => ErrorKind::Storage,
            Sign(SignError::Backend(src)) => src
                .downcast_ref::<HsmError>()
                .map_or(ErrorKind::Device, hsm_kind),
            Sign(_) => ErrorKind::Usage,
            SecretUnavailable { .. } => ErrorKind::Auth,
            Store(e) => match e {
                StoreError::KeyNotFound(_) => ErrorKind::NotFound,
                StoreError::KeyStatus { .. } => ErrorKind::Conflict,
                StoreError::WrongPassphrase { .. } => ErrorKind::Auth,
                StoreError::LabelTaken(_) | StoreError::KeyIdTaken(_) => ErrorKind::Conflict,
                StoreError::TrustNameTaken(_) | StoreError::TrustKeyTaken(_) => ErrorKind::Conflict,
                StoreError::NewerSchema { .. } | StoreError::OldStation { .. } => ErrorKind::Usage,
                StoreError::OperatorNotFound(_) => ErrorKind::NotFound,
                StoreError::OperatorExists(_)
                | StoreError::StationClaimed
                | StoreError::LastCustodian => ErrorKind::Conflict,
                _ => ErrorKind::Storage,
            },
            Hsm(e) => hsm_kind(e),
            Sbom(SbomError::Io { .. }) => ErrorKind::Storage,
            Sbom(_) => ErrorKind::Usage,
            Vuln(VulnError::Io { .. } | VulnError::Sqlite(_)) => ErrorKind::Storage,
            Vuln(_) => ErrorKind::Usage,
            TokenKeyChanged { .. } => ErrorKind::Device,
            KeyNotActive { .. } => ErrorKind::Usage,
            RotationIncomplete { cause, .. } => cause.kind(),
            Trust(_) | Policy(_) => ErrorKind::Usage,
            Sandbox(
                crate::sandbox::SandboxError::Spawn { .. }
                | crate::sandbox::SandboxError::Died { .. },
            ) => ErrorKind::Storage,
            Sandbox(_) => ErrorKind::Usage,
            TrustPackage { source, .. } if source.is_refusal() => ErrorKind::Rejected,
            TrustPackage { .. } => ErrorKind::Usage,
            NoCustodian { .. } | StaleTrustPackage { .. } => ErrorKind::Rejected,
            TrustKeyNotFound(_) | PolicyModuleNotFound(_) | VerificationKeyNotFound { .. } => {
                ErrorKind::NotFound
            }
            AlreadyRevoked { .. } => ErrorKind::Conflict,
            Forbidden { .. } | Unclaimed { .. } => ErrorKind::Forbidden,
            NotLoggedIn { .. } | LoginFailed(_) | OperatorPassphraseUnavailable(_) => {
                ErrorKind::Auth
            }
            NoAuditKey | NoCheckpoint | NoAuditRows(_) => ErrorKind::NotFound,
            ReleaseBundle(e) => {
                use strongroom_bundle::BundleError as B;
                match e {
                    B::Io { .. } | B::Write { .. } => ErrorKind::Storage,
                    B::OutputExists(_) => ErrorKind::Conflict,
                    B::NoMatchingIdentity(_)
                    | B::WrongPassphrase(_)
                    | B::IdentityNeeded(_)
                    | B::PassphraseNeeded(_) => ErrorKind::Auth,
                    _ => ErrorKind::Usage,
                }
            }
            PolicyDenied { .. } | BundleRejected { .. } => ErrorKind::Rejected,
            AlreadyApproved { .. } => ErrorKind::Conflict,
            EncryptedBundle(_) => ErrorKind::Usage,
            Tampered(_) => ErrorKind::Rejected,
            QuorumRequired { .. } | NotACustodian(_) => ErrorKind::Forbidden,
            BelowQuorum { .. } => ErrorKind::Conflict,
            LoginThrottled { .. } => ErrorKind::Auth,
            WrongPurpose { .. } | UnknownKeyPurpose(_) => ErrorKind::Usage,
        }
    }

    /// The file that was not replaced, when the refusal is that an output exists: a shell may
    /// ask the person and try again with their consent to replace it.
    pub fn existing_output(&self) -> Option<&std::path::Path> {
        match self {
            OpsError::OutputExists(p) => Some(p),
            OpsError::ReleaseBundle(strongroom_bundle::BundleError::OutputExists(p)) => Some(p),
            _ => None,
        }
    }

    /// The token's PIN state after a refused PIN (few tries left, final try, locked), for a
    /// dialog that shows how many tries remain; `None` for any other error.
    pub fn pin_flags(&self) -> Option<strongroom_hsm::PinFlags> {
        let hsm = match self {
            OpsError::Hsm(e) => e,
            OpsError::Sign(SignError::Backend(src)) => src.downcast_ref::<HsmError>()?,
            _ => return None,
        };
        match hsm {
            HsmError::PinIncorrect { flags } => Some(*flags),
            HsmError::PinLocked => Some(strongroom_hsm::PinFlags {
                locked: true,
                ..Default::default()
            }),
            _ => None,
        }
    }

    /// What the user can do next, when there is something useful to say, in the words of the
    /// edge that shows it.
    pub fn remedy(&self, to: Edge) -> Option<String> {
        use OpsError::*;
        Some(match self {
            Store(e) if e.is_busy() => {
                "another Strongroom process is writing to the station: try again in a moment; nothing was changed".into()
            }
            NoFiles => to.say("name at least one file", "add at least one file"),
            MissingFile(_) => "check the path; nothing was signed or written".into(),
            IsDirectory(_) => to.say(
                "name the files inside it (for example dir/*)",
                "add the files inside it, not the folder",
            ),
            NotADirectory(_) => to.say(
                "give a directory for -o; it must exist",
                "choose a folder that exists",
            ),
            TooLarge { .. } => "check that this is the file you meant".into(),
            OutputExists(_) => to.say(
                "nothing was written; add --force to replace it",
                "nothing was written; choose another file name or folder, or confirm that it may be replaced",
            ),
            ScanNeedsSbom(_) => to.say(
                "use --sbom auto, or give the artifact's SBOM with --sbom FILE",
                "choose Generate or give the artifact's SBOM file in the SBOM step, or turn scanning off",
            ),
            ArtifactNameTooLong { .. } => {
                "rename the file to a shorter name, then add it again; nothing was signed".into()
            }
            InsideStation { .. } => {
                "only the station writes there: choose a folder outside it (removable media, or your home folder); nothing was written".into()
            }
            OutputClash(_) => to.say(
                "sign files with the same name into different -o directories",
                "two of the files have the same name: sign them in separate releases",
            ),
            Bundle { .. } => {
                "give the .sigstore.json bundle or DSSE envelope that was written when the file was signed".into()
            }
            PublicKeyFile { .. } => to.say(
                "give the PEM public key (-----BEGIN PUBLIC KEY-----), as `strongroom key export` writes it",
                "give the PEM public key (-----BEGIN PUBLIC KEY-----), as Export public key on the Keys screen saves it",
            ),
            VerificationKeyNotFound { .. } => to.say(
                "give --key a key of this station (`strongroom key list`) or a PEM public key file",
                "choose a key of this station, or a PEM public key file",
            ),
            KeyRef(_) | Store(StoreError::KeyNotFound(_)) => to.say(
                "list keys with `strongroom key list`",
                "the Keys screen lists this station's keys",
            ),
            SecretUnavailable { .. } => to.say(
                "give it with --passphrase-file FILE or STRONGROOM_PASSPHRASE, or run on a terminal to be asked",
                "type it in the dialog that asks for it",
            ),
            WeakPassphrase(_) => "choose a longer passphrase: at least 12 characters for an operator, 8 for a key".into(),
            Store(StoreError::WrongPassphrase { .. }) => {
                "try again with the right passphrase; nothing was signed. A lost passphrase cannot be recovered".into()
            }
            Store(StoreError::LabelTaken(_)) => to.say("choose another --label", "choose another label"),
            Store(StoreError::NewerSchema { .. }) => "upgrade strongroom".into(),
            Store(StoreError::OldStation { .. }) => {
                "keep using the Strongroom that made it for this station, or start a new station (its trust moves in a trust package); nothing was changed".into()
            }
            Read { .. } => "check the file's permissions and the medium".into(),
            Hsm(e) => return hsm_remedy(e, to),
            Sbom(SbomError::LimitExceeded { .. }) => {
                "the input exceeds a safety limit (size, depth, entries, components or compression ratio); check that it is the artifact you meant".into()
            }
            Sbom(SbomError::NotAnSbom(_)) => "give an SPDX 2.3 or CycloneDX 1.4-1.6 JSON document".into(),
            BuildMeta(_) => "see docs/build-meta.md for the fields CI must write".into(),
            Vuln(VulnError::NotAZip { .. } | VulnError::CorruptEntry { .. } | VulnError::UnsafeEntry { .. } | VulnError::LimitExceeded { .. }) => {
                "nothing was imported; download the ecosystem's all.zip again on the connected side".into()
            }
            Sign(SignError::Backend(src)) => {
                return src.downcast_ref::<HsmError>().and_then(|e| hsm_remedy(e, to))
            }
            RotationIncomplete { old, new, cause } => format!(
                "{old:?} is still active and nothing was written; {}then either retire {new:?} and rotate again, or retire {old:?} and publish {new:?} by other means",
                cause.remedy(to).map(|r| format!("{r}; ")).unwrap_or_default()
            ),
            KeyNotActive { .. } => to.say(
                "choose an active key (key list shows each key's status); signatures it made earlier still verify",
                "choose an active key (the Keys screen shows each key's status); signatures it made earlier still verify",
            ),
            TokenKeyChanged { .. } => to.say(
                "the key on the token was replaced or the wrong token is inserted; check `strongroom key show`",
                "the key on the token was replaced or the wrong token is inserted; compare the token with the key's details on the Keys screen",
            ),
            Key(KeyError::UnknownAlgorithm(_)) => to.say(
                "give --algorithm one of: ed25519, ecdsa-p256, ecdsa-p384, rsa-3072, rsa-4096",
                "choose one of the algorithms offered: Ed25519, ECDSA P-256 or P-384, RSA 3072 or 4096",
            ),
            ReleaseBundle(strongroom_bundle::BundleError::InvalidRecipient { .. }) => to.say(
                "give --encrypt-to the recipient's age public key (age1…, as `age-keygen -y IDENTITY` prints it), once per recipient",
                "paste the recipient's age public key: one line starting with age1",
            ),
            Trust(TrustError::UnknownStage(_)) => "stages are dev, test, staging and production, comma-separated".into(),
            Trust(TrustError::UnknownPurpose(_)) => "a key's purpose is one of signer, approver, custodian or audit".into(),
            Trust(TrustError::BadHolder(_)) => "name the person who holds the key by their operator name".into(),
            Policy(PolicyError::Syntax { .. }) => "fix the Rego at that line; docs/policy.md shows the rule forms".into(),
            Policy(PolicyError::TimeLimit { .. })
            | Sandbox(
                crate::sandbox::SandboxError::MemoryLimit { .. }
                | crate::sandbox::SandboxError::CpuLimit { .. }
                | crate::sandbox::SandboxError::WallLimit { .. }
                | crate::sandbox::SandboxError::OutputLimit { .. },
            ) => "simplify the rule: iterate over input, not over large ranges; a policy from a trust package is the issuer's to fix".into(),
            Sandbox(crate::sandbox::SandboxError::Spawn { .. } | crate::sandbox::SandboxError::Died { .. }) => {
                "the policy evaluator runs as a child of this program; check that the program's file is intact and that processes can be started, then try again".into()
            }
            TrustPackage { source, .. } => return package_remedy(source, to),
            NoCustodian { .. } => to.say(
                "add the issuers' keys first with `strongroom trust add ISSUER.pem --purpose custodian --holder PERSON`",
                "first trust the issuer's key with the custodian role (Trust, Trust a key from a PEM file)",
            ),
            StaleTrustPackage { .. } => "get the newest trust package from its issuer; nothing was imported".into(),
            TrustKeyNotFound(_) => to.say(
                "list trusted keys with `strongroom trust list`",
                "the Trust screen lists the trusted keys",
            ),
            PolicyModuleNotFound(_) => to.say(
                "list the policy modules with `strongroom trust list`",
                "the Trust screen lists the policy modules",
            ),
            AlreadyRevoked { .. } => to.say(
                "nothing changed; give an earlier --at to move the revocation earlier",
                "nothing changed; the revocation stands as it was",
            ),
            Store(StoreError::TrustNameTaken(_)) => to.say("choose another --name", "choose another name"),
            Store(StoreError::TrustKeyTaken(_)) => to.say(
                "the key is trusted already; see `strongroom trust list`",
                "the key is trusted already; the Trust screen lists it",
            ),
            Forbidden { operator, allowed, .. } => {
                let role = allowed.first().map_or("ROLE", |r| r.as_str());
                match to {
                    Edge::Cli => format!(
                        "run it as an operator holding the role (--operator NAME), or ask a custodian to grant it: `strongroom operator grant {operator} {role}`"
                    ),
                    Edge::App => format!(
                        "log out and in again as an operator holding the role {role}, or ask a custodian to grant it to {operator}"
                    ),
                }
            }
            Unclaimed { .. } => to.say(
                "create the first custodian with `strongroom operator init --name NAME`",
                "claim the station first: the login screen offers it while no operator exists",
            ),
            NotLoggedIn { .. } => to.say(
                "give the operator with --operator NAME (or STRONGROOM_OPERATOR) and the passphrase",
                "log in first",
            ),
            LoginFailed(_) => to.say(
                "check the operator name and passphrase (--operator-passphrase-file, STRONGROOM_OPERATOR_PASSPHRASE or the prompt); it was tried once and recorded",
                "check the operator name and passphrase; the failed try was recorded",
            ),
            OperatorPassphraseUnavailable(_) => to.say(
                "give it with --operator-passphrase-file FILE or STRONGROOM_OPERATOR_PASSPHRASE, or run on a terminal to be asked",
                "type the operator's passphrase",
            ),
            NoAuditKey => to.say(
                "custodians set one (a key of purpose audit, with the quorum's consent) with `strongroom audit key set KEY`; nothing was signed",
                "custodians set one under Settings, Audit key (a key of purpose audit, with the quorum's consent); nothing was signed",
            ),
            NoCheckpoint => "sign one with `strongroom audit checkpoint`".into(),
            ReleaseBundle(e) => return e.remedy(),
            PolicyDenied { fixes, .. } => {
                let mut named: Vec<&str> = fixes.iter().map(|f| cli_hint(*f)).collect();
                named.dedup();
                match to {
                    Edge::Cli if !named.is_empty() => format!(
                        "{}; then run `release create` again (see `docs/policy.md`); the refusal is in the audit log",
                        named.join("; ")
                    ),
                    _ => to.say(
                        "fix what the policy names (see `docs/policy.md`) and run `release create` again; the refusal is in the audit log",
                        "fix what the policy names (see docs/policy.md) and sign again; the refusal is in the audit log",
                    ),
                }
            }
            BundleRejected { .. } => to.say(
                "do not approve it: ask the release officer for a fresh bundle, and run `strongroom verify` on it to see every check",
                "do not approve it: ask the release officer for a fresh bundle, and open it on the Verify screen to see every check",
            ),
            AlreadyApproved { .. } => {
                "a second approval must come from another operator with another key".into()
            }
            EncryptedBundle(_) => to.say(
                "give the identity with --identity FILE (an age key file), or --passphrase-file for a passphrase-encrypted bundle",
                "give the age identity file of a recipient it was encrypted to, or tick \"The bundle is encrypted with a passphrase\", and verify again",
            ),
            Tampered(_) => to.say(
                "the database was changed outside Strongroom: stop using this station, keep the file as evidence, and compare it with a copy you trust; `strongroom audit verify` and `audit list` still work",
                "the database was changed outside Strongroom: stop using this station, keep the file as evidence, and compare it with a copy you trust; the Audit screen still works",
            ),
            QuorumRequired { .. } => to.say(
                "a second custodian must consent: add --cosigner NAME (their passphrase from --cosigner-passphrase-file, STRONGROOM_COSIGNER_PASSPHRASE or the prompt); nothing was changed",
                "a second custodian must consent: choose Add a custodian's consent and have them type their passphrase; nothing was changed",
            ),
            BelowQuorum { .. } => to.say(
                "add or enable another custodian first, or lower the quorum with `strongroom operator quorum N` (which needs the quorum itself)",
                "add or enable another custodian first, or lower the custodian quorum under Settings (which needs the quorum itself)",
            ),
            NotACustodian(_) => "a consent counts only from an enabled operator holding the custodian role".into(),
            LoginThrottled { .. } => "wait, then try again with the right passphrase; every try is in the audit log".into(),
            WrongPurpose { .. } => to.say(
                "use a key made for this purpose (`strongroom key list` shows each key's purpose), or generate one with --purpose",
                "choose a key made for this purpose (the Keys screen shows each key's purpose)",
            ),
            UnknownKeyPurpose(_) => to.say(
                "record the token key with `strongroom key adopt --purpose PURPOSE` first",
                "record the token key on the Keys screen (Adopt a token key) with its purpose first",
            ),
            NoAuditRows(_) => "check the object names (a release id, a bundle or artifact sha256), and run `strongroom audit checkpoint` if the rows are newer than the last checkpoint".into(),
            Store(StoreError::StationClaimed) => to.say(
                "log in as a custodian and use `strongroom operator add NAME --roles ROLES`",
                "log in as a custodian and add operators under Settings, Operators",
            ),
            Store(StoreError::LastCustodian) => {
                "grant the custodian role to another operator first".into()
            }
            Store(StoreError::OperatorNotFound(_)) => to.say(
                "list operators with `strongroom operator list`",
                "Settings, Operators lists this station's operators",
            ),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::Role;

    /// Every error whose CLI remedy names a flag, a variable or a command.
    fn cli_worded() -> Vec<OpsError> {
        let p = || PathBuf::from("/media/x");
        let s = || "x".to_owned();
        vec![
            OpsError::NotADirectory(p()),
            OpsError::OutputExists(p()),
            OpsError::OutputClash(p()),
            OpsError::PublicKeyFile {
                path: p(),
                source: KeyError::Pem(s()),
            },
            OpsError::SecretUnavailable { what: s() },
            OpsError::Store(StoreError::KeyNotFound(s())),
            OpsError::Store(StoreError::LabelTaken(s())),
            OpsError::Hsm(HsmError::ModuleNotAllowed {
                path: p(),
                allowed: vec![],
            }),
            OpsError::Hsm(HsmError::TokenNotFound {
                wanted: s(),
                available: vec![],
            }),
            OpsError::Hsm(HsmError::TokenRemoved {
                rv: s(),
                function: s(),
            }),
            OpsError::KeyNotActive {
                label: s(),
                status: s(),
            },
            OpsError::TokenKeyChanged {
                label: s(),
                reason: s(),
            },
            OpsError::NoCustodian {
                path: p(),
                signer: s(),
            },
            OpsError::TrustKeyNotFound(s()),
            OpsError::PolicyModuleNotFound(s()),
            OpsError::VerificationKeyNotFound {
                key: s(),
                home: p(),
            },
            OpsError::Key(KeyError::UnknownAlgorithm(s())),
            OpsError::ReleaseBundle(strongroom_bundle::BundleError::InvalidRecipient {
                recipient: s(),
                reason: s(),
            }),
            OpsError::AlreadyRevoked {
                name: s(),
                revoked_at: s(),
            },
            OpsError::Store(StoreError::TrustNameTaken(s())),
            OpsError::Store(StoreError::TrustKeyTaken(s())),
            OpsError::Forbidden {
                operator: s(),
                action: s(),
                held: vec![],
                allowed: vec![Role::Custodian],
            },
            OpsError::Unclaimed { action: s() },
            OpsError::NotLoggedIn { action: s() },
            OpsError::LoginFailed(s()),
            OpsError::OperatorPassphraseUnavailable(s()),
            OpsError::PolicyDenied {
                stage: s(),
                reasons: vec![],
                fixes: vec![],
            },
            OpsError::BundleRejected {
                bundle: p(),
                reasons: vec![],
            },
            OpsError::EncryptedBundle(p()),
            OpsError::Store(StoreError::StationClaimed),
            OpsError::Store(StoreError::OperatorNotFound(s())),
            OpsError::RotationIncomplete {
                old: s(),
                new: s(),
                cause: Box::new(OpsError::OutputExists(p())),
            },
        ]
    }

    fn speaks_cli(remedy: &str) -> bool {
        let flag = remedy
            .match_indices("--")
            .any(|(i, _)| remedy[i + 2..].starts_with(|c: char| c.is_ascii_lowercase()));
        flag || [" -o", "STRONGROOM_", "`", "key list", "the command"]
            .iter()
            .any(|cli| remedy.contains(cli))
    }

    #[test]
    fn the_app_is_never_told_to_use_a_flag_or_a_command() {
        for e in cli_worded() {
            let cli = e
                .remedy(Edge::Cli)
                .unwrap_or_else(|| panic!("{e:?}: no CLI remedy"));
            let app = e
                .remedy(Edge::App)
                .unwrap_or_else(|| panic!("{e:?}: no app remedy"));
            assert!(
                speaks_cli(&cli),
                "{e:?}: the CLI remedy {cli:?} names no flag or command; drop it from this list"
            );
            assert!(!speaks_cli(&app), "{e:?}: the app is told {app:?}");
        }
    }

    #[test]
    fn a_rotation_cut_short_explains_its_cause_in_each_edges_words() {
        let e = OpsError::RotationIncomplete {
            old: "old".into(),
            new: "new".into(),
            cause: Box::new(OpsError::OutputExists("/media/new.pub.pem".into())),
        };
        assert!(e.remedy(Edge::Cli).unwrap().contains("add --force"));
        let app = e.remedy(Edge::App).unwrap();
        assert!(app.contains("choose another file name or folder"), "{app}");
        assert!(app.starts_with("\"old\" is still active"), "{app}");
    }
}
