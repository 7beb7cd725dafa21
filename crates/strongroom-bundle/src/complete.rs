//! Manifest completeness: every listed entry present with its size and SHA-256, nothing else in
//! the zip but the allowed unlisted entries (approvals and the audit excerpt); and reading those
//! unlisted entries.

use std::fmt;

use crate::error::BundleError;
use crate::manifest::{Manifest, Sha256Digest, MAX_MANIFEST_BYTES};
use crate::paths::{classify_unlisted, layout, Unlisted, AUDIT_EXCERPT_PATH, MANIFEST_PATH};
use crate::reader::SafeZip;

/// Largest approval Sigstore bundle (or its PEM key) accepted: an approval is a few KiB.
pub const MAX_APPROVAL_BYTES: u64 = 256 << 10;
/// Most approvals one bundle may carry (each is one person's signature over the manifest).
pub const MAX_APPROVALS: usize = 64;
/// Largest PEM public key read into memory.
pub const MAX_PEM_BYTES: u64 = 64 << 10;
/// Largest audit excerpt read into memory.
pub const MAX_AUDIT_EXCERPT_BYTES: u64 = 64 << 20;

/// One way a bundle differs from its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A listed entry is not in the zip (also `manifest.json` itself).
    Missing { path: String },
    /// An entry is in the zip but neither listed nor an allowed unlisted entry.
    Unlisted { path: String },
    /// A listed entry has another size than the manifest says.
    SizeMismatch {
        path: String,
        expected: u64,
        actual: u64,
    },
    /// A listed entry has another SHA-256 than the manifest says.
    Altered {
        path: String,
        expected: Sha256Digest,
        actual: Sha256Digest,
    },
    /// A listed entry could not be read back (corrupt data, lying sizes).
    Unreadable { path: String, reason: String },
    /// An approval bundle without its public key, or a key without its bundle.
    UnpairedApproval { path: String },
}

impl Problem {
    /// The entry the problem is about.
    pub fn path(&self) -> &str {
        match self {
            Problem::Missing { path }
            | Problem::Unlisted { path }
            | Problem::SizeMismatch { path, .. }
            | Problem::Altered { path, .. }
            | Problem::Unreadable { path, .. }
            | Problem::UnpairedApproval { path } => path,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { path } => write!(f, "{path}: listed in the manifest but missing"),
            Problem::Unlisted { path } => {
                write!(f, "{path}: in the bundle but not listed in the manifest")
            }
            Problem::SizeMismatch {
                path,
                expected,
                actual,
            } => write!(f, "{path}: {actual} bytes, the manifest says {expected}"),
            Problem::Altered {
                path,
                expected,
                actual,
            } => write!(f, "{path}: SHA-256 {actual}, the manifest says {expected}"),
            Problem::Unreadable { path, reason } => write!(f, "{path}: cannot be read: {reason}"),
            Problem::UnpairedApproval { path } => {
                write!(
                    f,
                    "{path}: an approval needs both its .sigstore.json and its .pem"
                )
            }
        }
    }
}

/// Compares the zip with its manifest. An empty list means complete: every listed entry is
/// present with the listed size and SHA-256 (hashed by streaming, on all cores), and the only
/// other entries are `manifest.json`, paired `approvals/<keyid-hex>.{sigstore.json,pem}` and
/// `audit/excerpt.json`. Problems come sorted by path.
pub fn check_completeness(manifest: &Manifest, zip: &SafeZip) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !zip.contains(MANIFEST_PATH) {
        problems.push(Problem::Missing {
            path: MANIFEST_PATH.into(),
        });
    }
    let mut to_hash = Vec::new();
    for e in manifest.entries() {
        match zip.entry(&e.path) {
            None => problems.push(Problem::Missing {
                path: e.path.clone(),
            }),
            Some(z) if z.size() != e.size => problems.push(Problem::SizeMismatch {
                path: e.path.clone(),
                expected: e.size,
                actual: z.size(),
            }),
            Some(_) => to_hash.push(e),
        }
    }
    for name in zip.names() {
        if manifest.entry(name).is_some() {
            continue;
        }
        match classify_unlisted(name) {
            None => problems.push(Problem::Unlisted { path: name.into() }),
            Some(Unlisted::ApprovalBundle(id)) if !zip.contains(&layout::approval_key(&id)) => {
                problems.push(Problem::UnpairedApproval { path: name.into() })
            }
            Some(Unlisted::ApprovalKey(id)) if !zip.contains(&layout::approval_bundle(&id)) => {
                problems.push(Problem::UnpairedApproval { path: name.into() })
            }
            Some(_) => {}
        }
    }

    // Hash the present entries on all cores.
    use rayon::prelude::*;
    let found: Vec<Problem> = to_hash
        .par_iter()
        .filter_map(|e| match zip.hash(&e.path) {
            Ok((actual, _)) if actual == e.sha256 => None,
            Ok((actual, _)) => Some(Problem::Altered {
                path: e.path.clone(),
                expected: e.sha256,
                actual,
            }),
            Err(err) => Some(Problem::Unreadable {
                path: e.path.clone(),
                reason: err.to_string(),
            }),
        })
        .collect();
    problems.extend(found);
    problems.sort_by(|a, b| a.path().cmp(b.path()));
    problems
}

/// Reads and parses `manifest.json`; returns it with its exact bytes (what approvals sign).
pub fn read_manifest(zip: &SafeZip) -> Result<(Manifest, Vec<u8>), BundleError> {
    let bytes = zip.read(MANIFEST_PATH, MAX_MANIFEST_BYTES)?;
    let manifest = Manifest::parse(&bytes)?;
    Ok((manifest, bytes))
}

/// One officer's approval: a DSSE Sigstore bundle over `manifest.json` and the public key it
/// claims, as found under `approvals/`. Nothing here is verified: the file name's key id, the
/// key and the signature are the caller's to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// The 64-hex-digit key id from the file names.
    pub key_id_hex: String,
    /// `approvals/<keyid-hex>.sigstore.json`
    pub bundle: Vec<u8>,
    /// `approvals/<keyid-hex>.pem`
    pub public_key_pem: Vec<u8>,
}

/// The approvals in the zip, sorted by key id. Only complete pairs are returned;
/// [`check_completeness`] reports the unpaired files. Their count ([`MAX_APPROVALS`]) and sizes
/// ([`MAX_APPROVAL_BYTES`]) are checked from the central directory before anything is read.
pub fn approvals(zip: &SafeZip) -> Result<Vec<Approval>, BundleError> {
    let mut pairs = Vec::new();
    for name in zip.names() {
        if let Some(Unlisted::ApprovalBundle(id)) = classify_unlisted(name) {
            let key = layout::approval_key(&id);
            if zip.contains(&key) {
                pairs.push((name.to_owned(), key, id));
            }
        }
    }
    let limit = |entry: Option<String>, limit, actual, allowed| BundleError::LimitExceeded {
        path: zip.path().to_owned(),
        entry,
        limit,
        actual,
        allowed,
    };
    if pairs.len() > MAX_APPROVALS {
        return Err(limit(
            None,
            crate::error::LimitKind::Approvals,
            pairs.len() as u64,
            MAX_APPROVALS as u64,
        ));
    }
    for (name, key, _) in &pairs {
        for (entry, allowed) in [(name, MAX_APPROVAL_BYTES), (key, MAX_PEM_BYTES)] {
            let size = zip.entry(entry).map_or(0, |e| e.size());
            if size > allowed {
                return Err(limit(
                    Some(entry.clone()),
                    crate::error::LimitKind::ApprovalBytes,
                    size,
                    allowed,
                ));
            }
        }
    }
    pairs
        .into_iter()
        .map(|(name, key, id)| {
            Ok(Approval {
                bundle: zip.read(&name, MAX_APPROVAL_BYTES)?,
                public_key_pem: zip.read(&key, MAX_PEM_BYTES)?,
                key_id_hex: id,
            })
        })
        .collect()
}

/// The audit excerpt's bytes, if the zip has one.
pub fn audit_excerpt(zip: &SafeZip) -> Result<Option<Vec<u8>>, BundleError> {
    if !zip.contains(AUDIT_EXCERPT_PATH) {
        return Ok(None);
    }
    zip.read(AUDIT_EXCERPT_PATH, MAX_AUDIT_EXCERPT_BYTES)
        .map(Some)
}
