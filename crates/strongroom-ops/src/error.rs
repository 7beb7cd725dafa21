//! The operations error: what went wrong, its kind (for exit codes and IPC codes), and what the
//! user can do about it.

use std::path::PathBuf;

use strongroom_core::bundle::SigstoreBundleError;
use strongroom_core::keyref::KeyRefError;
use strongroom_core::keys::KeyError;
use strongroom_core::SignError;
use strongroom_hsm::HsmError;
use strongroom_policy::{PackageError, PolicyError, TrustError};
use strongroom_sbom::provenance::ProvenanceError;
use strongroom_sbom::SbomError;
use strongroom_store::StoreError;
use strongroom_vuln::VulnError;

use crate::remedy::Remedy;

/// Broad classes of failure, stable across versions: the CLI maps them to exit codes and the app
/// to error codes (serialised as [`ErrorKind::code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
    /// A failure of a shell itself (a worker panicked, a lock was poisoned); never an
    /// [`OpsError`]'s kind.
    Internal,
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
            ErrorKind::Internal => "internal",
        }
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
    #[error("the vulnerability database is empty: a scan against it would check nothing, yet the release would record its artifacts as scanned; nothing was signed")]
    EmptyVulnDb,
    #[error("the artifact name {name:?} is {} bytes long; a release holds names of at most {most} bytes, so that the names of its attestation files stay within 255 bytes", name.len())]
    ArtifactNameTooLong { name: String, most: usize },
    #[error("{} is inside the station's data directory {}", path.display(), home.display())]
    InsideStation { path: PathBuf, home: PathBuf },
    #[error("{0}")]
    BadInput(String),
    /// A container image given as an artifact cannot be read or is not one image.
    #[error("image {source_}: {problem}")]
    Image { source_: String, problem: String },
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
        source: SigstoreBundleError,
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
    #[error("a passphrase for the new key {label:?} is needed and none was given")]
    NewSecretUnavailable { label: String },
    #[error("the PIN of token {token:?} is needed and none was given")]
    PinUnavailable { token: String },
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
    #[error(transparent)]
    Backup(#[from] strongroom_core::backup::BackupError),
    #[error("the timestamp authority failed: {0}")]
    Timestamp(String),
    #[error("ceremony step {step} ({title}) failed: {cause}; the steps before it are done and in the audit log, no record was written")]
    CeremonyStep {
        step: usize,
        title: String,
        cause: Box<OpsError>,
    },
    #[error("the ceremony record does not verify: {0}")]
    CeremonyRejected(String),
    #[error("the station's clock reads {now}, earlier than {last}, a time it read before: a clock that jumps backwards would let signatures be dated before what already happened")]
    ClockBackwards { now: String, last: String },
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
    #[error("no key {key:?} in the inventory{}", suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default())]
    NoSuchKey {
        key: String,
        suggestion: Option<String>,
    },
    #[error("no station at {}: it holds no strongroom.db", home.display())]
    NoStation { home: PathBuf },
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
    #[error("no trusted key {key:?} in the trust store{}", suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default())]
    TrustKeyNotFound {
        key: String,
        suggestion: Option<String>,
    },
    #[error("no operator {name:?}{}", suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default())]
    NoSuchOperator {
        name: String,
        suggestion: Option<String>,
    },
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
    #[error("no Sigstore trusted root {name:?} in the trust store{}", suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default())]
    TrustRootNotFound {
        name: String,
        suggestion: Option<String>,
    },
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
    #[error("{check}; nothing was signed, since a bundle signed by this key could never verify")]
    SignerRejected { check: String },
    #[error("{} does not verify, so it is not carried out:\n  - {}", bundle.display(), reasons.join("\n  - "))]
    ExportRefused {
        bundle: PathBuf,
        reasons: Vec<String>,
    },
    #[error("{} does not verify, so nothing was extracted from it:\n  - {}", bundle.display(), reasons.join("\n  - "))]
    ExtractRefused {
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
    #[error("{key:?} is {}: it signs {}, not {}", purpose.a_key(), purpose.signs(), needed.signs())]
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

impl OpsError {
    /// A secret (a passphrase, PIN or age identity) was needed and none was given: no guess was
    /// made, so the failure does not count toward a name's login throttle.
    pub(crate) fn is_missing_secret(&self) -> bool {
        use strongroom_bundle::BundleError as B;
        matches!(
            self,
            OpsError::SecretUnavailable { .. }
                | OpsError::NewSecretUnavailable { .. }
                | OpsError::PinUnavailable { .. }
                | OpsError::OperatorPassphraseUnavailable(_)
                | OpsError::NotLoggedIn { .. }
                | OpsError::ReleaseBundle(B::IdentityNeeded(_) | B::PassphraseNeeded(_))
        )
    }
}

/// The kind and remedy of a PKCS#11 failure.
fn hsm_kind(e: &HsmError) -> ErrorKind {
    match e {
        HsmError::PinIncorrect { .. }
        | HsmError::PinLocked
        | HsmError::SoPinIncorrect
        | HsmError::SoPinLocked
        | HsmError::Pin(_) => ErrorKind::Auth,
        HsmError::TokenNotFound { .. } | HsmError::KeyNotFound { .. } => ErrorKind::NotFound,
        HsmError::LabelInUse { .. } => ErrorKind::Conflict,
        HsmError::ModuleNotAllowed { .. }
        | HsmError::NotAModule { .. }
        | HsmError::Uri(_)
        | HsmError::InvalidLabel { .. }
        | HsmError::InvalidTokenLabel { .. }
        | HsmError::SlotNotFree { .. }
        | HsmError::AmbiguousKey { .. }
        | HsmError::AmbiguousToken { .. }
        | HsmError::TokenMismatch { .. }
        | HsmError::MechanismUnsupported { .. }
        | HsmError::UnsupportedKey { .. }
        | HsmError::NotWrappable { .. }
        | HsmError::NotBackupable { .. } => ErrorKind::Usage,
        HsmError::RestoreTargetTaken { .. } => ErrorKind::Conflict,
        HsmError::RestoredKeyMismatch { .. } => ErrorKind::Rejected,
        _ => ErrorKind::Device,
    }
}

/// What to do about a refused backup, share or restore.
fn backup_remedy(e: &strongroom_core::backup::BackupError) -> Option<Remedy> {
    use strongroom_core::backup::BackupError as B;
    let plain = Remedy::plain;
    Some(match e {
        B::TooFewShares { .. } => plain(
            "bring more custodians with their shares (--share FILE, one per share); nothing was restored",
        ),
        B::ShareCorrupted { .. } => plain(
            "ask that share's custodian for their copy again (a mistyped line breaks the checksum), or use another custodian's share; nothing was restored",
        ),
        B::ShareFromOtherBackup { .. } => plain(
            "give the shares of this backup only: each share names its backup on its `backup:` line; nothing was restored",
        ),
        B::ShareNotHandedOut { .. } | B::WrongWrappingKey { .. } => plain(
            "that share is not the one this backup handed out; leave it out and ask how it came to differ (the audit log lists each hand-over); nothing was restored",
        ),
        B::BackupAltered { .. } | B::UnwrapFailed => plain(
            "use an unaltered copy of the backup file; nothing was restored",
        ),
        B::DuplicateShare { .. } => plain("give each share once; nothing was restored"),
        B::BadThreshold { .. } => plain(
            "choose --threshold from 2 to --shares, for example --shares 5 --threshold 3",
        ),
        B::NotABackup(_) => plain("give the KEY.backup.json file `key backup` wrote"),
        B::NotAShare { .. } => plain("give the share files `key backup` wrote, one per --share"),
        B::Sharing(_) => return None,
    })
}

/// What to do about a refusal of the station's database.
fn store_remedy(e: &StoreError) -> Option<Remedy> {
    use Remedy as R;
    let plain = Remedy::plain;
    if e.is_busy() {
        return Some(plain(
            "another Strongroom process is writing to the station: try again in a moment; nothing was changed",
        ));
    }
    Some(match e {
        StoreError::KeyNotFound(_) => R::ListKeys,
        StoreError::WrongPassphrase { .. } => plain(
            "try again with the right passphrase; nothing was signed. A lost passphrase cannot be recovered",
        ),
        StoreError::LabelTaken(_) => R::OtherLabel,
        StoreError::NewerSchema { .. } => plain("upgrade strongroom"),
        StoreError::OldStation { .. } => plain(
            "keep using the Strongroom that made it for this station, or start a new station (its trust moves in a trust package); nothing was changed",
        ),
        StoreError::TrustNameTaken(_) => R::OtherName,
        StoreError::TrustKeyTaken(_) => R::AlreadyTrusted,
        StoreError::StationClaimed => R::AddOperators,
        StoreError::LastCustodian => {
            plain("grant the custodian role to another operator first")
        }
        StoreError::OperatorNotFound(_) => R::ListOperators,
        _ => return None,
    })
}

/// What to do about a trusted key's fields that could not be read.
fn trust_remedy(e: &TrustError) -> Option<Remedy> {
    Some(Remedy::plain(match e {
        TrustError::UnknownStage(_) => {
            "stages are dev, test, staging and production, comma-separated"
        }
        TrustError::UnknownPurpose(_) => {
            "a key's purpose is one of signer, approver, custodian or audit"
        }
        TrustError::BadHolder(_) => "name the person who holds the key by their operator name",
        _ => return None,
    }))
}

/// What to do about a policy that could not be read or evaluated in time.
fn policy_remedy(e: &PolicyError) -> Option<Remedy> {
    Some(Remedy::plain(match e {
        PolicyError::Syntax { .. } => {
            "fix the Rego at that line; docs/policy.md shows the rule forms"
        }
        PolicyError::TimeLimit { .. } => SIMPLIFY_RULE,
        _ => return None,
    }))
}

/// What to do when the policy's sandbox stopped it, or could not run.
fn sandbox_remedy(e: &crate::sandbox::SandboxError) -> Option<Remedy> {
    use crate::sandbox::SandboxError as S;
    Some(Remedy::plain(match e {
        S::MemoryLimit { .. } | S::CpuLimit { .. } | S::WallLimit { .. } | S::OutputLimit { .. } => {
            SIMPLIFY_RULE
        }
        S::Spawn { .. } | S::Died { .. } => {
            "the policy evaluator runs as a child of this program; check that the program's file is intact and that processes can be started, then try again"
        }
    }))
}

/// A policy that asks for more than its limits.
const SIMPLIFY_RULE: &str = "simplify the rule: iterate over input, not over large ranges; a policy from a trust package is the issuer's to fix";

fn hsm_remedy(e: &HsmError) -> Option<Remedy> {
    Some(match e {
        HsmError::ModuleNotAllowed { .. } => Remedy::AllowModule,
        HsmError::NotAModule { .. } => Remedy::plain(
            "give the path of the token vendor's PKCS#11 library (OpenSC's is opensc-pkcs11.so, SoftHSM's libsofthsm2.so); nothing was allowed",
        ),
        HsmError::PinIncorrect { .. } => Remedy::plain(
            "check the PIN and try again; it was tried once and not retried, and the token was not used",
        ),
        HsmError::PinLocked => Remedy::plain("the token's security officer must unlock the user PIN"),
        HsmError::TokenNotFound { .. } => Remedy::InsertToken,
        HsmError::AmbiguousKey { .. } => Remedy::plain(
            "name the key more precisely: add id=… to the pkcs11: URI, or adopt it under its own label",
        ),
        HsmError::TokenRemoved { .. } => Remedy::ReinsertToken,
        HsmError::Uri(_) => Remedy::plain("see `docs/cli.md` for the pkcs11: URI form"),
        _ => return None,
    })
}

/// What to do about a refused trust package.
fn package_remedy(e: &PackageError) -> Option<Remedy> {
    Some(match e {
        PackageError::BelowThreshold { counted, .. } if counted.is_empty() => {
            Remedy::TrustIssuersFirst
        }
        PackageError::BelowThreshold { .. } => Remedy::MoreCustodianSignatures,
        PackageError::NotAnEnvelope(_) | PackageError::WrongPayloadType(_) => {
            Remedy::TrustPackageFile
        }
        PackageError::Stale { .. } => {
            Remedy::plain("get the newest trust package from its issuers; nothing was imported")
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
            | Image { .. }
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
            SecretUnavailable { .. } | NewSecretUnavailable { .. } | PinUnavailable { .. } => {
                ErrorKind::Auth
            }
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
            Timestamp(_) => ErrorKind::Device,
            CeremonyStep { cause, .. } => cause.kind(),
            CeremonyRejected(_) => ErrorKind::Rejected,
            ClockBackwards { .. } => ErrorKind::Rejected,
            Backup(e) => {
                use strongroom_core::backup::BackupError as B;
                match e {
                    B::BadThreshold { .. } | B::NotABackup(_) | B::NotAShare { .. } => {
                        ErrorKind::Usage
                    }
                    B::TooFewShares { .. } | B::DuplicateShare { .. } => ErrorKind::Usage,
                    _ => ErrorKind::Rejected,
                }
            }
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
            TrustKeyNotFound { .. }
            | NoSuchOperator { .. }
            | PolicyModuleNotFound(_)
            | TrustRootNotFound { .. }
            | VerificationKeyNotFound { .. }
            | NoStation { .. }
            | NoSuchKey { .. } => ErrorKind::NotFound,
            AlreadyRevoked { .. } => ErrorKind::Conflict,
            Forbidden { .. } | Unclaimed { .. } => ErrorKind::Forbidden,
            NotLoggedIn { .. } | LoginFailed(_) | OperatorPassphraseUnavailable(_) => {
                ErrorKind::Auth
            }
            NoAuditKey | NoCheckpoint | NoAuditRows(_) => ErrorKind::NotFound,
            EmptyVulnDb => ErrorKind::Rejected,
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
            PolicyDenied { .. }
            | BundleRejected { .. }
            | ExportRefused { .. }
            | ExtractRefused { .. }
            | SignerRejected { .. } => ErrorKind::Rejected,
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

    /// What the person can do next, when there is something useful to say; each shell words it
    /// (see [`Remedy`]).
    pub fn remedy(&self) -> Option<Remedy> {
        use OpsError::*;
        use Remedy as R;
        let plain = Remedy::plain;
        Some(match self {
            NoFiles => R::NameFiles,
            MissingFile(_) => plain("check the path"),
            IsDirectory(_) => R::FilesNotFolder,
            NotADirectory(_) => R::ExistingFolder,
            TooLarge { .. } => plain("check that this is the file you meant"),
            OutputExists(_) => R::ReplaceOutput,
            ScanNeedsSbom(_) => R::SbomForScan,
            EmptyVulnDb => R::ImportVulnData,
            ArtifactNameTooLong { .. } => {
                plain("rename the file to a shorter name, then add it again; nothing was signed")
            }
            InsideStation { .. } => plain(
                "only the station writes there: choose a folder outside it (removable media, or your home folder); nothing was written",
            ),
            OutputClash(_) => R::SameNames,
            Image { .. } => plain(
                "give REFERENCE=SOURCE, where SOURCE is an OCI image layout folder or a tarball of one (docker save from Docker 25 on, skopeo copy … oci-archive:FILE), followed by :TAG or @sha256:DIGEST when it holds several images; nothing was signed",
            ),
            Bundle { .. } => plain(
                "give the .sigstore.json bundle or DSSE envelope that was written when the file was signed",
            ),
            PublicKeyFile { .. } => R::PemPublicKey,
            VerificationKeyNotFound { .. } => R::VerificationKey,
            NoStation { .. } => R::CreateStation,
            KeyRef(_) | NoSuchKey { .. } => R::ListKeys,
            Store(e) => return store_remedy(e),
            SecretUnavailable { .. } => R::GiveSecret,
            NewSecretUnavailable { .. } => R::GiveNewSecret,
            PinUnavailable { .. } => R::GivePin,
            WeakPassphrase(_) => plain(
                "choose a longer passphrase: at least 12 characters for an operator, 8 for a key",
            ),
            Read { .. } => plain("check the file's permissions and the medium"),
            Hsm(e) => return hsm_remedy(e),
            Backup(e) => return backup_remedy(e),
            CeremonyStep { cause, .. } => return cause.remedy(),
            CeremonyRejected(_) => plain(
                "the record was altered, a step removed or reordered, or a key given is not a participant's: use the record as written and every participant's public key",
            ),
            ClockBackwards { .. } => plain(
                "set the station's clock right (a custodian, with the operating system's tools), then try again; the refusal is in the audit log",
            ),
            Sbom(SbomError::LimitExceeded { .. }) => plain(
                "the input exceeds a safety limit (size, depth, entries, components or compression ratio); check that it is the artifact you meant",
            ),
            Sbom(SbomError::NotAnSbom(_)) => {
                plain("give an SPDX 2.3 or CycloneDX 1.4-1.6 JSON document")
            }
            BuildMeta(_) => plain("see docs/build-meta.md for the fields CI must write"),
            Vuln(
                VulnError::NotAZip { .. }
                | VulnError::CorruptEntry { .. }
                | VulnError::UnsafeEntry { .. }
                | VulnError::LimitExceeded { .. },
            ) => plain(
                "nothing was imported; download the ecosystem's all.zip again on the connected side",
            ),
            Sign(SignError::Backend(src)) => return src.downcast_ref::<HsmError>().and_then(hsm_remedy),
            RotationIncomplete { old, new, cause } => R::RotationIncomplete {
                old: old.clone(),
                new: new.clone(),
                cause: cause.remedy().map(Box::new),
            },
            KeyNotActive { .. } => R::ActiveKey,
            TokenKeyChanged { .. } => R::TokenKeyChanged,
            Key(KeyError::UnknownAlgorithm(_)) => R::ChooseAlgorithm,
            ReleaseBundle(strongroom_bundle::BundleError::InvalidRecipient { .. }) => {
                R::AgeRecipient
            }
            Trust(e) => return trust_remedy(e),
            Policy(e) => return policy_remedy(e),
            Sandbox(e) => return sandbox_remedy(e),
            TrustPackage { source, .. } => return package_remedy(source),
            NoCustodian { .. } => R::TrustIssuerKey,
            StaleTrustPackage { .. } => {
                plain("get the newest trust package from its issuer; nothing was imported")
            }
            TrustKeyNotFound { .. } => R::ListTrustedKeys,
            NoSuchOperator { .. } => R::ListOperators,
            PolicyModuleNotFound(_) => R::ListPolicyModules,
            TrustRootNotFound { .. } => R::ListTrustRoots,
            AlreadyRevoked { .. } => R::RevocationStands,
            Forbidden {
                operator, allowed, ..
            } => R::NeedsRole {
                operator: operator.clone(),
                role: allowed.first().copied(),
            },
            Unclaimed { .. } => R::ClaimStation,
            NotLoggedIn { .. } => R::LogIn,
            LoginFailed(_) => R::CheckLogin,
            OperatorPassphraseUnavailable(_) => R::OperatorPassphrase,
            NoAuditKey => R::SetAuditKey,
            NoCheckpoint => R::SignCheckpoint,
            ReleaseBundle(e) => return e.remedy().map(Remedy::Plain),
            PolicyDenied { fixes, .. } => R::PolicyFixes(fixes.clone()),
            BundleRejected { .. } => R::DoNotApprove,
            ExportRefused { .. } | ExtractRefused { .. } => R::DoNotExport,
            SignerRejected { .. } => R::TrustSigner,
            AlreadyApproved { .. } => {
                plain("a second approval must come from another operator with another key")
            }
            EncryptedBundle(_) => R::DecryptBundle,
            Tampered(_) => R::StationTampered,
            QuorumRequired { .. } => R::CosignerConsent,
            BelowQuorum { .. } => R::RaiseCustodians,
            NotACustodian(_) => plain(
                "a consent counts only from an enabled operator holding the custodian role",
            ),
            LoginThrottled { .. } => plain(
                "wait, then try again with the right passphrase; every try is in the audit log",
            ),
            WrongPurpose { .. } => R::KeyForPurpose,
            UnknownKeyPurpose(_) => R::AdoptWithPurpose,
            NoAuditRows(_) => R::AuditObjects,
            _ => return None,
        })
    }
}

/// A file write of `strongroom-io`, failed: as the store reports it.
impl From<strongroom_store::IoError> for OpsError {
    fn from(e: strongroom_store::IoError) -> Self {
        OpsError::Store(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::Role;

    /// Every error whose CLI remedy names a flag, a variable or a command (so the app's must
    /// not).
    fn cli_worded() -> Vec<OpsError> {
        let p = || PathBuf::from("/media/x");
        let s = || "x".to_owned();
        vec![
            OpsError::NotADirectory(p()),
            OpsError::OutputExists(p()),
            OpsError::EmptyVulnDb,
            OpsError::OutputClash(p()),
            OpsError::PublicKeyFile {
                path: p(),
                source: KeyError::Pem(s()),
            },
            OpsError::SecretUnavailable { what: s() },
            OpsError::NewSecretUnavailable { label: s() },
            OpsError::Store(StoreError::KeyNotFound(s())),
            OpsError::Store(StoreError::LabelTaken(s())),
            OpsError::Hsm(HsmError::ModuleNotAllowed {
                path: p(),
                allowed: vec![],
            }),
            OpsError::Hsm(HsmError::TokenNotFound {
                wanted: s(),
                available: vec![],
                suggestion: None,
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
            OpsError::TrustKeyNotFound {
                key: s(),
                suggestion: None,
            },
            OpsError::NoSuchOperator {
                name: s(),
                suggestion: None,
            },
            OpsError::PolicyModuleNotFound(s()),
            OpsError::TrustRootNotFound {
                name: s(),
                suggestion: None,
            },
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

    #[test]
    fn remedies_that_name_a_flag_or_command_in_the_cli_are_left_to_the_shells() {
        for e in cli_worded() {
            match e.remedy() {
                None => panic!("{e:?}: no remedy"),
                Some(Remedy::Plain(words)) => {
                    panic!("{e:?}: {words:?} is worded in ops; each shell must word it")
                }
                Some(_) => {}
            }
        }
    }

    #[test]
    fn a_rotation_cut_short_carries_its_cause() {
        let e = OpsError::RotationIncomplete {
            old: "old".into(),
            new: "new".into(),
            cause: Box::new(OpsError::OutputExists("/media/new.pub.pem".into())),
        };
        assert_eq!(
            e.remedy(),
            Some(Remedy::RotationIncomplete {
                old: "old".into(),
                new: "new".into(),
                cause: Some(Box::new(Remedy::ReplaceOutput)),
            })
        );
    }
}
