//! Typed errors: [`SbomError`] for cataloguing and conversion, [`ValidationErrors`] for schema checks.

use std::fmt;

/// Which resource limit of [`crate::Limits`] an input tried to exceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitKind {
    /// `max_depth`: archives nested too deeply.
    Depth,
    /// `max_entries`: too many archive entries in total.
    Entries,
    /// `max_entry_bytes`: one entry larger than allowed.
    EntryBytes,
    /// `max_total_bytes`: too many bytes read (after decompression) in total.
    TotalBytes,
    /// `max_ratio`: a compressed stream or zip entry inflates too much.
    Ratio,
    /// `max_lockfile_bytes`: a manifest or lockfile too large to parse in memory.
    LockfileBytes,
    /// `max_buffered_bytes`: a nested zip too large to hold in memory.
    BufferedBytes,
    /// `max_components`: more components than any real artifact holds.
    Components,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Depth => "nesting depth (max_depth)",
            LimitKind::Entries => "archive entry count (max_entries)",
            LimitKind::EntryBytes => "entry size (max_entry_bytes)",
            LimitKind::TotalBytes => "total bytes read (max_total_bytes)",
            LimitKind::Ratio => "compression ratio (max_ratio)",
            LimitKind::LockfileBytes => "lockfile size (max_lockfile_bytes)",
            LimitKind::Components => "component count (max_components)",
            LimitKind::BufferedBytes => "in-memory archive size (max_buffered_bytes)",
        })
    }
}

/// An error while cataloguing an artifact, converting or reading an SBOM.
///
/// `path` fields name the file the problem is in, with `!/` separating an archive from a path
/// inside it (`app.tar.gz!/srv/Cargo.lock`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// The file system or a stream failed.
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A lockfile, manifest or metadata file does not parse.
    #[error("{path}{}: {message}", line_suffix(.line))]
    Parse {
        path: String,
        /// 1-based line, when the parser knows it.
        line: Option<usize>,
        message: String,
    },
    /// An archive or compressed stream is corrupt or truncated.
    #[error("{path}: corrupt or truncated {format}: {message}")]
    Corrupt {
        path: String,
        format: &'static str,
        message: String,
    },
    /// The input tried to exceed a [`crate::Limits`] bound (an archive bomb, or just too big).
    #[error("{path}: {limit} exceeded: {detail}")]
    LimitExceeded {
        path: String,
        limit: LimitKind,
        detail: String,
    },
    /// The input uses a feature this crate does not read (encrypted zip entry, bzip2, …).
    #[error("{path}: unsupported: {message}")]
    Unsupported { path: String, message: String },
    /// A file name under a directory subject that its digest cannot list unambiguously: a
    /// control character (a newline would start a new manifest line) or not UTF-8.
    #[error("{path}: the file name holds {what}, so the directory's digest could not say which files it covers; rename the file")]
    AmbiguousName { path: String, what: &'static str },
    /// An OCI image layout or image tarball is inconsistent (missing blob, digest mismatch).
    #[error("{path}: invalid OCI image: {message}")]
    Image { path: String, message: String },
    /// A JSON document is not an SBOM in a format and version this crate reads.
    #[error("not a supported SBOM: {0}")]
    NotAnSbom(String),
}

fn line_suffix(line: &Option<usize>) -> String {
    line.map(|l| format!(": line {l}")).unwrap_or_default()
}

impl SbomError {
    /// `true` for problems that concern one file inside a larger input, which cataloguing may
    /// report as a warning and step over. Limit violations are never recoverable: they stop the
    /// whole run, because a bomb must not be half-scanned into a misleading SBOM.
    pub fn is_recoverable(&self) -> bool {
        matches!(
            self,
            SbomError::Parse { .. }
                | SbomError::Corrupt { .. }
                | SbomError::Unsupported { .. }
                | SbomError::Io { .. }
        )
    }

    /// The path the error is about, when it has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            SbomError::Io { path, .. }
            | SbomError::Parse { path, .. }
            | SbomError::Corrupt { path, .. }
            | SbomError::LimitExceeded { path, .. }
            | SbomError::Unsupported { path, .. }
            | SbomError::Image { path, .. }
            | SbomError::AmbiguousName { path, .. } => Some(path),
            SbomError::NotAnSbom(_) => None,
        }
    }
}

/// One schema violation: where in the document, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaIssue {
    /// JSON Pointer (RFC 6901) into the checked document; empty for the root.
    pub instance_path: String,
    /// JSON Pointer into the schema, naming the keyword that failed.
    pub schema_path: String,
    pub message: String,
}

impl fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "{at}: {}", self.message)
    }
}

/// Why a document failed [`crate::validate`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationErrors {
    /// Not JSON at all.
    #[error("not JSON: line {line}, column {column}: {message}")]
    NotJson {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but neither SPDX nor CycloneDX.
    #[error("not a supported SBOM: {0}")]
    UnknownFormat(String),
    /// SPDX or CycloneDX, in a version this build does not read.
    #[error("{format} {version} is not supported: {supported}")]
    UnsupportedVersion {
        format: &'static str,
        version: String,
        supported: &'static str,
    },
    /// The document names a format we know but fails its official schema.
    #[error("{kind} schema violations ({n}):\n{list}", n = issues.len(), list = issue_list(issues))]
    Schema {
        kind: crate::SbomKind,
        issues: Vec<SchemaIssue>,
    },
}

fn issue_list(issues: &[SchemaIssue]) -> String {
    issues
        .iter()
        .map(|i| format!("  {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}
