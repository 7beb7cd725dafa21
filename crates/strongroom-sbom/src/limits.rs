//! Resource limits for hostile input ([`Limits`]) and the metering readers that enforce them.

use std::cell::{Cell, RefCell};
use std::io::{self, Read};

use crate::error::{LimitKind, SbomError};

/// Bounds on what cataloguing one input may cost. Limits marked *hard* stop the whole run with
/// [`SbomError::LimitExceeded`] (an archive bomb must not be half-scanned into a misleading SBOM);
/// the others skip the one file with a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Archive nesting depth (`a.tar.gz` → `app.war` → `lib.jar` is depth 3). Hard.
    pub max_depth: u32,
    /// Archive entries and directory entries seen in total. Hard.
    pub max_entries: u64,
    /// Largest single archive entry that is read whole: a zip entry, or a zip nested in a
    /// stream (held in memory). Declared larger: skipped with a warning; found larger while
    /// reading (a lying header): hard. Tar entries and decompressed streams are read as streams
    /// and bounded by `max_total_bytes` and `max_ratio` instead.
    pub max_entry_bytes: u64,
    /// Bytes read in total, after decompression, over all nesting levels. Hard.
    pub max_total_bytes: u64,
    /// Largest uncompressed/compressed ratio of a gzip/xz/zstd stream or a zip entry, checked
    /// once the output passes 1 MiB. Hard.
    pub max_ratio: u64,
    /// Largest lockfile or metadata file parsed (they are parsed in memory). Skipped with a
    /// warning inside an archive, an error for a lockfile given directly.
    pub max_lockfile_bytes: u64,
    /// Components listed in total: each costs a few KiB on its way to an SBOM, so a hostile
    /// lockfile of a million tiny packages would take gigabytes. Hard.
    pub max_components: u64,
    /// Nested zips (a jar inside a war or a tar) need random access, so they are read into
    /// memory; this bounds the bytes held that way at once. Larger ones are skipped with a warning.
    pub max_buffered_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 4,
            max_entries: 100_000,
            max_entry_bytes: 512 << 20,
            max_total_bytes: 4 << 30,
            max_ratio: 1000,
            max_lockfile_bytes: 16 << 20,
            max_components: 100_000,
            max_buffered_bytes: 256 << 20,
        }
    }
}

/// Output below this many bytes is never judged by its compression ratio.
pub(crate) const RATIO_FLOOR: u64 = 1 << 20;

/// Shared counters of one cataloguing run.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    pub limits: Limits,
    entries: Cell<u64>,
    total: Cell<u64>,
    buffered: Cell<u64>,
    /// The first hard limit a reader tripped; readers can only return `io::Error`, so the typed
    /// error waits here until the walker converts the I/O error.
    trip: RefCell<Option<SbomError>>,
}

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Budget {
            limits,
            ..Budget::default()
        }
    }

    pub fn add_entries(&self, n: u64, path: &str) -> Result<(), SbomError> {
        let v = self.entries.get().saturating_add(n);
        self.entries.set(v);
        if v > self.limits.max_entries {
            return Err(SbomError::LimitExceeded {
                path: path.to_string(),
                limit: LimitKind::Entries,
                detail: format!("more than {} entries", self.limits.max_entries),
            });
        }
        Ok(())
    }

    /// Reserves `n` bytes of in-memory buffer; `false` when that would pass the limit.
    pub fn reserve_buffer(&self, n: u64) -> bool {
        let v = self.buffered.get().saturating_add(n);
        if v > self.limits.max_buffered_bytes {
            return false;
        }
        self.buffered.set(v);
        true
    }

    pub fn release_buffer(&self, n: u64) {
        self.buffered.set(self.buffered.get().saturating_sub(n));
    }

    pub fn available_buffer(&self) -> u64 {
        self.limits
            .max_buffered_bytes
            .saturating_sub(self.buffered.get())
    }

    fn trip(&self, e: SbomError) -> io::Error {
        let msg = e.to_string();
        let mut slot = self.trip.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
        io::Error::other(msg)
    }

    /// Takes the tripped limit error, if a reader tripped one.
    pub fn take_trip(&self) -> Option<SbomError> {
        self.trip.borrow_mut().take()
    }

    pub fn tripped(&self) -> bool {
        self.trip.borrow().is_some()
    }

    /// Converts an I/O error from reading `path` (a `format` stream) into the typed error: a
    /// tripped limit if there is one, else corruption/truncation.
    pub fn io_error(&self, path: &str, format: &'static str, e: io::Error) -> SbomError {
        if let Some(t) = self.take_trip() {
            return t;
        }
        let message = if e.kind() == io::ErrorKind::UnexpectedEof {
            format!("unexpected end of data ({e})")
        } else {
            e.to_string()
        };
        SbomError::Corrupt {
            path: path.to_string(),
            format,
            message,
        }
    }
}

/// Counts the bytes read through it (the compressed side of a decompressor).
pub(crate) struct Counting<'c, R> {
    pub inner: R,
    pub count: &'c Cell<u64>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Meters the output of a stream: per-stream size, run total, and (with `compressed`) the ratio
/// against the bytes a [`Counting`] reader saw on the compressed side.
pub(crate) struct Metered<'a, R> {
    inner: R,
    budget: &'a Budget,
    path: &'a str,
    read: u64,
    max: u64,
    compressed: Option<&'a Cell<u64>>,
    /// A fixed compressed size (zip entries), used when no counter is given.
    compressed_fixed: Option<u64>,
}

impl<'a, R: Read> Metered<'a, R> {
    pub fn new(inner: R, budget: &'a Budget, path: &'a str, max: u64) -> Self {
        Metered {
            inner,
            budget,
            path,
            read: 0,
            max,
            compressed: None,
            compressed_fixed: None,
        }
    }

    pub fn with_ratio_counter(mut self, c: &'a Cell<u64>) -> Self {
        self.compressed = Some(c);
        self
    }

    pub fn with_compressed_size(mut self, n: u64) -> Self {
        self.compressed_fixed = Some(n);
        self
    }
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let n64 = n as u64;
        self.read += n64;
        let b = self.budget;
        b.total.set(b.total.get().saturating_add(n64));
        if self.read > self.max {
            return Err(b.trip(SbomError::LimitExceeded {
                path: self.path.to_string(),
                limit: LimitKind::EntryBytes,
                detail: format!("stream inflates past {} bytes", self.max),
            }));
        }
        if b.total.get() > b.limits.max_total_bytes {
            return Err(b.trip(SbomError::LimitExceeded {
                path: self.path.to_string(),
                limit: LimitKind::TotalBytes,
                detail: format!("more than {} bytes read in total", b.limits.max_total_bytes),
            }));
        }
        if self.read > RATIO_FLOOR {
            let compressed = self
                .compressed
                .map(Cell::get)
                .or(self.compressed_fixed)
                .unwrap_or(u64::MAX);
            if self.read / compressed.max(1) > b.limits.max_ratio {
                return Err(b.trip(SbomError::LimitExceeded {
                    path: self.path.to_string(),
                    limit: LimitKind::Ratio,
                    detail: format!(
                        "{} bytes inflated from {} (more than {}:1): compression bomb?",
                        self.read, compressed, b.limits.max_ratio
                    ),
                }));
            }
        }
        Ok(n)
    }
}
