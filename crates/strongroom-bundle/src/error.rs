//! Typed errors of the bundle container layer: [`BundleError`], with what went wrong, which file
//! and entry, and (through [`BundleError::remedy`]) what the user can do about it.

use std::fmt;
use std::path::PathBuf;

/// Which bound of [`crate::reader::Limits`] (or of a single read) an input tried to exceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitKind {
    /// `max_entries`: too many entries in the central directory.
    Entries,
    /// `max_entry_bytes`: one entry declares more uncompressed bytes than allowed.
    EntryBytes,
    /// `max_total_bytes`: the entries together declare more uncompressed bytes than allowed.
    TotalBytes,
    /// `max_ratio`: an entry inflates too much for its compressed size (a zip bomb).
    Ratio,
    /// The `max_read` cap of one in-memory read ([`crate::reader::SafeZip::read`]).
    ReadCap,
    /// [`crate::complete::MAX_APPROVALS`]: too many approvals in one bundle.
    Approvals,
    /// [`crate::complete::MAX_APPROVAL_BYTES`]: one approval or its key is larger than any
    /// approval Strongroom writes.
    ApprovalBytes,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Entries => "entry count (max_entries)",
            LimitKind::EntryBytes => "entry size (max_entry_bytes)",
            LimitKind::TotalBytes => "total uncompressed size (max_total_bytes)",
            LimitKind::Ratio => "compression ratio (max_ratio)",
            LimitKind::ReadCap => "in-memory read size",
            LimitKind::Approvals => "approval count",
            LimitKind::ApprovalBytes => "approval size",
        })
    }
}

/// Why a path (a zip entry name, or a path in a manifest) is refused. Every reason is about the
/// name alone; see [`UnsafeEntry`] for the reasons that concern a zip entry as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathProblem {
    Empty,
    /// Longer than [`crate::paths::MAX_PATH_BYTES`].
    TooLong,
    /// One component is longer than [`crate::paths::MAX_COMPONENT_BYTES`].
    ComponentTooLong,
    /// Starts with `/`.
    Absolute,
    /// Starts with a drive letter (`C:`).
    DriveLetter,
    /// Contains `\`, which Windows reads as a separator.
    Backslash,
    /// A `.` component.
    DotComponent,
    /// A `..` component.
    DotDotComponent,
    /// Two separators in a row, or a trailing separator.
    EmptyComponent,
    /// A NUL or other control character.
    ControlCharacter,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "the name is empty",
            PathProblem::TooLong => "the name is too long",
            PathProblem::ComponentTooLong => "a path component is longer than 255 bytes",
            PathProblem::Absolute => "it is an absolute path",
            PathProblem::DriveLetter => "it starts with a drive letter",
            PathProblem::Backslash => "it contains a backslash",
            PathProblem::DotComponent => "it has a `.` component",
            PathProblem::DotDotComponent => "it has a `..` component (path traversal)",
            PathProblem::EmptyComponent => "it has an empty path component",
            PathProblem::ControlCharacter => "it contains a control character",
        })
    }
}

/// Why one entry of an untrusted zip is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnsafeEntry {
    /// The name breaks the path rules.
    Path(PathProblem),
    /// The name is not valid UTF-8, or is not ASCII and not flagged as UTF-8 (CP437 names are
    /// not read).
    NonUtf8Name,
    /// A symbolic link (`S_IFLNK` in the external attributes).
    Symlink,
    /// A device, FIFO, socket or other non-regular file; the Unix mode is given.
    NotRegularFile { mode: u32 },
    /// A directory entry that carries data or a name without a trailing `/`.
    BadDirectory,
    /// The same name appears twice.
    Duplicate,
    /// Another entry has the same name once letter case is ignored.
    DuplicateIgnoringCase { other: String },
    /// The name is used both as a file and as a directory (`a` and `a/b`).
    FileDirectoryConflict { other: String },
    /// An Info-ZIP Unicode Path extra field names another file than the entry's name, so other
    /// tools would extract it under a different name.
    UnicodePathMismatch,
    /// The local header disagrees with the central directory (name, method, flags or sizes),
    /// so a streaming extractor would see something else.
    LocalHeaderMismatch { detail: String },
    /// The entry's data overlaps another entry's (a trick of non-recursive zip bombs).
    Overlapping,
}

impl fmt::Display for UnsafeEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsafeEntry::Path(p) => write!(f, "unsafe name: {p}"),
            UnsafeEntry::NonUtf8Name => f.write_str("the name is not UTF-8"),
            UnsafeEntry::Symlink => f.write_str("it is a symbolic link"),
            UnsafeEntry::NotRegularFile { mode } => {
                write!(f, "it is not a regular file (mode {mode:o})")
            }
            UnsafeEntry::BadDirectory => {
                f.write_str("a directory entry with data or without a trailing `/`")
            }
            UnsafeEntry::Duplicate => f.write_str("the name appears more than once"),
            UnsafeEntry::DuplicateIgnoringCase { other } => {
                write!(f, "it differs from {other:?} only in letter case")
            }
            UnsafeEntry::FileDirectoryConflict { other } => {
                write!(f, "it is both a file and a directory (see {other:?})")
            }
            UnsafeEntry::UnicodePathMismatch => {
                f.write_str("its Unicode Path extra field names a different file")
            }
            UnsafeEntry::LocalHeaderMismatch { detail } => {
                write!(
                    f,
                    "its local header disagrees with the central directory: {detail}"
                )
            }
            UnsafeEntry::Overlapping => f.write_str("its data overlaps another entry"),
        }
    }
}

/// An error of the bundle container layer. Nothing is left half-written when one is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The file system failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a zip at all (no end-of-central-directory record).
    #[error("{}: not a zip file: {reason}", path.display())]
    NotAZip { path: PathBuf, reason: String },
    /// The zip structure is damaged or truncated, or an entry's data does not match its
    /// central-directory record (CRC, or more or fewer bytes than declared).
    #[error("{}: corrupt zip{}: {reason}", path.display(), entry_suffix(entry))]
    Corrupt {
        path: PathBuf,
        entry: Option<String>,
        reason: String,
    },
    /// The zip tried to exceed a safety limit.
    #[error("{}{}: {limit} exceeded: {actual} > {allowed}", path.display(), entry_suffix(entry))]
    LimitExceeded {
        path: PathBuf,
        entry: Option<String>,
        limit: LimitKind,
        actual: u64,
        allowed: u64,
    },
    /// An entry is refused for what it is or what it is called.
    #[error("{}: entry {entry:?} refused: {reason}", path.display())]
    UnsafeEntry {
        path: PathBuf,
        entry: String,
        reason: UnsafeEntry,
    },
    /// An entry is encrypted (ZipCrypto, AES or strong encryption).
    #[error("{}: entry {entry:?} is encrypted", path.display())]
    EncryptedEntry { path: PathBuf, entry: String },
    /// An entry uses a compression method other than stored (0) or deflate (8).
    #[error("{}: entry {entry:?} uses unsupported compression method {method}", path.display())]
    UnsupportedCompression {
        path: PathBuf,
        entry: String,
        method: u16,
    },
    /// An entry produced more bytes than its central-directory record declares (a lying
    /// central directory); reading stopped there.
    #[error("{}: entry {entry:?} inflates to more than the {declared} bytes it declares", path.display())]
    LongerThanDeclared {
        path: PathBuf,
        entry: String,
        declared: u64,
    },
    /// Writing an entry's bytes to the caller's writer failed.
    #[error("cannot write out entry {entry:?}: {source}")]
    Write {
        entry: String,
        #[source]
        source: std::io::Error,
    },
    /// The zip has no entry of that name.
    #[error("{}: no entry {entry:?}", path.display())]
    NoSuchEntry { path: PathBuf, entry: String },
    /// `manifest.json` does not parse or breaks a rule of the format.
    #[error("invalid manifest: {0}")]
    Manifest(String),
    /// An artifact name breaks the naming rules.
    #[error("invalid artifact name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    /// A path given to the writer breaks the path rules, or two sources share one path.
    #[error("invalid bundle entry {path:?}: {reason}")]
    InvalidEntryPath { path: String, reason: String },
    /// The output exists and overwriting was not asked for.
    #[error("{} already exists", .0.display())]
    OutputExists(PathBuf),
    /// A source file changed size while it was being packed.
    #[error("{} changed while it was being written into the bundle", .0.display())]
    SourceChanged(PathBuf),
    /// The file is not an age file (binary or ASCII-armored).
    #[error("{}: not an age-encrypted file: {reason}", path.display())]
    NotAge { path: PathBuf, reason: String },
    /// None of the given identities can decrypt the file.
    #[error("{}: none of the given identities can decrypt it", .0.display())]
    NoMatchingIdentity(PathBuf),
    /// The passphrase does not decrypt the file.
    #[error("{}: wrong passphrase", .0.display())]
    WrongPassphrase(PathBuf),
    /// A passphrase was given for a file encrypted to X25519 recipients.
    #[error("{}: encrypted to X25519 recipients, not a passphrase", .0.display())]
    IdentityNeeded(PathBuf),
    /// An identity file was given for a file encrypted to a passphrase.
    #[error("{}: encrypted to a passphrase, not to an X25519 recipient", .0.display())]
    PassphraseNeeded(PathBuf),
    /// The passphrase-encrypted file asks for more scrypt work than allowed.
    #[error("{}: the passphrase needs scrypt work factor 2^{required}, above the 2^{allowed} allowed", path.display())]
    ExcessiveWork {
        path: PathBuf,
        required: u8,
        allowed: u8,
    },
    /// The age file is damaged or truncated (bad header, MAC or payload).
    #[error("{}: damaged or truncated age file: {reason}", path.display())]
    AgeCorrupt { path: PathBuf, reason: String },
    /// An identity file could not be read or holds something other than age identities.
    #[error("{}: not an age identity file: {reason}", path.display())]
    IdentityFile { path: PathBuf, reason: String },
    /// A recipient string is not an age X25519 recipient.
    #[error("invalid age recipient {recipient:?}: {reason}")]
    InvalidRecipient { recipient: String, reason: String },
    /// The recipient list is empty, or mixes a passphrase with other recipients (the age format
    /// allows a passphrase only alone).
    #[error("invalid recipient list: {0}")]
    Recipients(String),
}

fn entry_suffix(entry: &Option<String>) -> String {
    entry
        .as_ref()
        .map(|e| format!(", entry {e:?}"))
        .unwrap_or_default()
}

impl BundleError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BundleError::Io {
            path: path.into(),
            source,
        }
    }

    /// What the user can do next, when there is something useful to say.
    pub fn remedy(&self) -> Option<String> {
        use BundleError::*;
        Some(match self {
            LimitExceeded {
                limit: LimitKind::Approvals | LimitKind::ApprovalBytes,
                ..
            } => {
                "no release has that many or that large approvals: someone added junk to the bundle; copy it again from its origin".into()
            }
            LimitExceeded { limit: LimitKind::ReadCap, .. } => {
                "this entry is far larger than a file of its kind should be; check the bundle's origin".into()
            }
            LimitExceeded { .. } => {
                "the zip exceeds a safety limit (it may be a zip bomb), so nothing was extracted; ask its sender for a bundle written by Strongroom, which stays within the limits".into()
            }
            NotAZip { .. } => "give the bundle .zip file (decrypt it first if it is age-encrypted)".into(),
            Corrupt { .. } | LongerThanDeclared { .. } => {
                "the zip is damaged, truncated or tampered with; copy the bundle again from its origin".into()
            }
            UnsafeEntry { .. } | EncryptedEntry { .. } | UnsupportedCompression { .. } => {
                "nothing was extracted; this zip was not written by Strongroom or was altered: do not trust it".into()
            }
            OutputExists(_) => "choose another output path, or allow overwriting it".into(),
            SourceChanged(_) => "make sure nothing writes the input files while the bundle is packed, then retry".into(),
            NotAge { .. } => "give the .age file, or use the bundle directly if it is not encrypted".into(),
            NoMatchingIdentity(_) => {
                "give the identity file (AGE-SECRET-KEY-1…) of one of the recipients the bundle was encrypted to".into()
            }
            WrongPassphrase(_) => "try again with the passphrase the bundle was encrypted with".into(),
            IdentityNeeded(_) => "give an age identity file instead of a passphrase".into(),
            PassphraseNeeded(_) => "give the passphrase instead of an identity file".into(),
            ExcessiveWork { .. } => {
                "the file demands an unreasonable amount of work to decrypt; if you trust it, decrypt it with the age CLI".into()
            }
            AgeCorrupt { .. } => "the encrypted file is damaged or incomplete; copy it again from its origin".into(),
            IdentityFile { .. } => {
                "give a file of AGE-SECRET-KEY-1… lines (as age-keygen writes), comments allowed".into()
            }
            InvalidRecipient { .. } => "an X25519 recipient looks like age1… (age-keygen -y prints it)".into(),
            InvalidName { .. } => {
                "artifact names are one path component of 1 to 255 bytes, without /, \\ or control characters".into()
            }
            _ => return None,
        })
    }
}
