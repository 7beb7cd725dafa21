//! The operations error: what went wrong, its kind (for exit codes and IPC codes), and what the
//! user can do about it.

use std::path::PathBuf;

use strongroom_core::bundle::BundleError;
use strongroom_core::keyref::KeyRefError;
use strongroom_core::keys::KeyError;
use strongroom_core::SignError;
use strongroom_hsm::HsmError;
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
    #[error("the token key {label:?} no longer matches the inventory: {reason}")]
    TokenKeyChanged { label: String, reason: String },
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

fn hsm_remedy(e: &HsmError) -> Option<String> {
    Some(match e {
        HsmError::ModuleNotAllowed { .. } => {
            "a key custodian can allow it with `strongroom module allow PATH`".into()
        }
        HsmError::PinIncorrect { .. } => {
            "check the PIN and try again; it was tried once and not retried, and nothing was signed".into()
        }
        HsmError::PinLocked => "the token's security officer must unlock the user PIN".into(),
        HsmError::TokenNotFound { .. } => {
            "insert the token, or list the tokens with `strongroom token list`".into()
        }
        HsmError::AmbiguousKey { .. } => {
            "name the key more precisely: add id=… to the pkcs11: URI, or adopt it under its own label".into()
        }
        HsmError::TokenRemoved { .. } => {
            "reinsert the token and run the command again; nothing was written".into()
        }
        HsmError::Uri(_) => "see `docs/cli.md` for the pkcs11: URI form".into(),
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
                StoreError::WrongPassphrase { .. } => ErrorKind::Auth,
                StoreError::LabelTaken(_) | StoreError::KeyIdTaken(_) => ErrorKind::Conflict,
                StoreError::NewerSchema { .. } => ErrorKind::Usage,
                _ => ErrorKind::Storage,
            },
            Hsm(e) => hsm_kind(e),
            Sbom(SbomError::Io { .. }) => ErrorKind::Storage,
            Sbom(_) => ErrorKind::Usage,
            Vuln(VulnError::Io { .. } | VulnError::Sqlite(_)) => ErrorKind::Storage,
            Vuln(_) => ErrorKind::Usage,
            TokenKeyChanged { .. } => ErrorKind::Device,
        }
    }

    /// What the user can do next, when there is something useful to say.
    pub fn remedy(&self) -> Option<String> {
        use OpsError::*;
        Some(match self {
            NoFiles => "name at least one file".into(),
            MissingFile(_) => "check the path; nothing was signed or written".into(),
            IsDirectory(_) => "name the files inside it (for example dir/*)".into(),
            NotADirectory(_) => "give a directory for -o; it must exist".into(),
            TooLarge { .. } => "check that this is the file you meant".into(),
            OutputExists(_) => "nothing was written; add --force to replace existing bundles".into(),
            OutputClash(_) => "sign files with the same name into different -o directories".into(),
            Bundle { .. } => {
                "give the .sigstore.json bundle or DSSE envelope that was written when the file was signed".into()
            }
            PublicKeyFile { .. } => {
                "give the PEM public key (-----BEGIN PUBLIC KEY-----), as `strongroom key export` writes it".into()
            }
            KeyRef(_) => "list keys with `strongroom key list`".into(),
            SecretUnavailable { .. } => {
                "give it with --passphrase-file FILE or STRONGROOM_PASSPHRASE, or run on a terminal to be asked".into()
            }
            WeakPassphrase(_) => "use a passphrase of at least 8 characters".into(),
            Store(StoreError::KeyNotFound(_)) => "list keys with `strongroom key list`".into(),
            Store(StoreError::WrongPassphrase { .. }) => {
                "try again with the right passphrase; nothing was signed. A lost passphrase cannot be recovered".into()
            }
            Store(StoreError::LabelTaken(_)) => "choose another --label".into(),
            Store(StoreError::NewerSchema { .. }) => "upgrade strongroom".into(),
            Read { .. } => "check the file's permissions and the medium".into(),
            Hsm(e) => return hsm_remedy(e),
            Sbom(SbomError::LimitExceeded { .. }) => {
                "the input exceeds a safety limit (size, depth, entries or compression ratio); check that it is the artifact you meant".into()
            }
            Sbom(SbomError::NotAnSbom(_)) => "give an SPDX 2.3 or CycloneDX 1.4-1.6 JSON document".into(),
            BuildMeta(_) => "see docs/build-meta.md for the fields CI must write".into(),
            Vuln(VulnError::NotAZip { .. } | VulnError::CorruptEntry { .. } | VulnError::LimitExceeded { .. }) => {
                "nothing was imported; download the ecosystem's all.zip again on the connected side".into()
            }
            Sign(SignError::Backend(src)) => {
                return src.downcast_ref::<HsmError>().and_then(hsm_remedy)
            }
            TokenKeyChanged { .. } => {
                "the key on the token was replaced or the wrong token is inserted; check `strongroom key show`".into()
            }
            _ => return None,
        })
    }
}
