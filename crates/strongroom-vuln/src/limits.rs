//! Bounds on what importing one OSV zip may cost ([`Limits`]), for hostile or damaged files.

/// Bounds on one [`crate::VulnDb::import_zip`]. Crossing any of them fails the whole import
/// with [`crate::VulnError::LimitExceeded`] and leaves the database unchanged: a zip bomb must
/// not be half-imported.
///
/// The defaults fit the largest public OSV ecosystem exports (npm's `all.zip` holds a few
/// hundred thousand records of a few KiB each) with a wide margin.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Members in the archive, read from the end-of-central-directory record before the
    /// central directory itself is parsed (so a 10-million-entry file is refused in
    /// microseconds and without memory). The parsed central directory costs about 200 bytes
    /// per entry.
    pub max_entries: u64,
    /// Size of the central directory, also checked before it is parsed.
    pub max_central_directory_bytes: u64,
    /// Largest uncompressed member, declared or actually read (records are parsed in memory).
    pub max_entry_bytes: u64,
    /// Bytes decompressed over the whole archive, counted as read.
    pub max_total_bytes: u64,
    /// Largest uncompressed/compressed ratio of a member, judged once the member passes
    /// [`Limits::ratio_floor`] bytes (declared and actual). Deflate peaks near 1032:1; real
    /// OSV records stay below 50:1.
    pub max_ratio: u64,
    /// Members smaller than this are never judged by their ratio.
    pub ratio_floor: u64,
    /// Unusable members (not JSON, no `id`, encrypted, …) tolerated before the file is
    /// refused as not an OSV export.
    pub max_bad_records: u64,
    /// Warnings kept in the [`crate::ImportReport`]; the rest are counted.
    pub max_warnings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 1_000_000,
            max_central_directory_bytes: 256 << 20,
            max_entry_bytes: 32 << 20,
            max_total_bytes: 8 << 30,
            max_ratio: 200,
            ratio_floor: 1 << 20,
            max_bad_records: 10_000,
            max_warnings: 1_000,
        }
    }
}

impl Limits {
    /// Same limits with another entry-count bound.
    pub fn with_max_entries(mut self, n: u64) -> Self {
        self.max_entries = n;
        self
    }

    /// Same limits with another per-entry size bound.
    pub fn with_max_entry_bytes(mut self, n: u64) -> Self {
        self.max_entry_bytes = n;
        self
    }

    /// Same limits with another ratio bound.
    pub fn with_max_ratio(mut self, n: u64) -> Self {
        self.max_ratio = n;
        self
    }

    /// Same limits with another bad-record bound.
    pub fn with_max_bad_records(mut self, n: u64) -> Self {
        self.max_bad_records = n;
        self
    }
}
