//! A minimal streaming reader for tar (ustar, GNU and pax) and ar (Debian `.deb`) archives,
//! with every header-side allocation bounded.
//!
//! Why not the `tar` crate: it reads GNU long names and pax records whole into memory, whatever
//! size the header claims; here those records are capped at [`MAX_META`].

use std::io::{self, Read};

/// Largest pax or GNU long-name record accepted.
pub(crate) const MAX_META: u64 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    /// Devices, FIFOs, sparse files and other types we never read.
    Other(u8),
}

#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub path: String,
    pub link: String,
    pub kind: EntryKind,
    pub size: u64,
}

fn corrupt(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn skip<R: Read>(r: &mut R, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), &mut io::sink())?;
    if copied < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "archive ends inside an entry",
        ));
    }
    Ok(())
}

fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

fn octal(field: &[u8]) -> io::Result<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // GNU base-256: big-endian binary in the remaining bytes.
        let mut v: u64 = 0;
        for (i, &b) in field.iter().enumerate() {
            let b = if i == 0 { b & 0x7f } else { b };
            v = v
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(b)))
                .ok_or_else(|| corrupt("numeric field overflows"))?;
        }
        return Ok(v);
    }
    let s = std::str::from_utf8(cstr(field)).map_err(|_| corrupt("non-ASCII numeric field"))?;
    let s = s.trim_matches(|c| c == ' ' || c == '\0');
    if s.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(s, 8).map_err(|_| corrupt(format!("bad octal field {s:?}")))
}

/// Streams the entries of a tar archive. After [`TarStream::next_entry`], the entry's data can
/// be read with [`TarStream::data`]; whatever is left unread is skipped by the next call.
pub(crate) struct TarStream<R> {
    inner: R,
    remaining: u64,
    padding: u64,
    done: bool,
}

impl<R: Read> TarStream<R> {
    pub fn new(inner: R) -> Self {
        TarStream {
            inner,
            remaining: 0,
            padding: 0,
            done: false,
        }
    }

    fn read_meta(&mut self, size: u64) -> io::Result<Vec<u8>> {
        if size > MAX_META {
            return Err(corrupt(format!(
                "metadata record of {size} bytes (more than {MAX_META})"
            )));
        }
        let mut v = vec![0u8; size as usize];
        if read_full(&mut self.inner, &mut v)? < v.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside a metadata record",
            ));
        }
        skip(&mut self.inner, pad512(size))?;
        Ok(v)
    }

    pub fn next_entry(&mut self) -> io::Result<Option<Entry>> {
        if self.done {
            return Ok(None);
        }
        skip(&mut self.inner, self.remaining.saturating_add(self.padding))?;
        self.remaining = 0;
        self.padding = 0;
        let mut long_name: Option<String> = None;
        let mut long_link: Option<String> = None;
        let mut pax_path: Option<String> = None;
        let mut pax_link: Option<String> = None;
        let mut pax_size: Option<u64> = None;
        loop {
            let mut h = [0u8; 512];
            let got = read_full(&mut self.inner, &mut h)?;
            if got == 0 {
                // No end-of-archive marker; GNU tar accepts this too.
                self.done = true;
                return Ok(None);
            }
            if got < 512 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "archive ends inside a header",
                ));
            }
            if h.iter().all(|&b| b == 0) {
                self.done = true;
                return Ok(None);
            }
            let stored = octal(&h[148..156])?;
            let sum: u64 = h
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if (148..156).contains(&i) {
                        32
                    } else {
                        u64::from(b)
                    }
                })
                .sum();
            if stored != sum {
                return Err(corrupt("header checksum mismatch (not a tar archive?)"));
            }
            let size = octal(&h[124..136])?;
            let flag = h[156];
            match flag {
                b'L' => {
                    let v = self.read_meta(size)?;
                    long_name = Some(String::from_utf8_lossy(cstr(&v)).into_owned());
                    continue;
                }
                b'K' => {
                    let v = self.read_meta(size)?;
                    long_link = Some(String::from_utf8_lossy(cstr(&v)).into_owned());
                    continue;
                }
                b'x' | b'X' => {
                    let v = self.read_meta(size)?;
                    for (k, val) in parse_pax(&v)? {
                        match k.as_str() {
                            "path" => pax_path = Some(val),
                            "linkpath" => pax_link = Some(val),
                            "size" => {
                                pax_size =
                                    Some(val.parse().map_err(|_| corrupt("bad pax size record"))?)
                            }
                            _ => {}
                        }
                    }
                    continue;
                }
                b'g' => {
                    self.read_meta(size)?;
                    continue;
                }
                _ => {}
            }
            let ustar = &h[257..263] == b"ustar\0";
            let mut name = String::from_utf8_lossy(cstr(&h[0..100])).into_owned();
            if ustar {
                let prefix = cstr(&h[345..500]);
                if !prefix.is_empty() {
                    name = format!("{}/{}", String::from_utf8_lossy(prefix), name);
                }
            }
            let path = pax_path.or(long_name).unwrap_or(name);
            let link = pax_link
                .or(long_link)
                .unwrap_or_else(|| String::from_utf8_lossy(cstr(&h[157..257])).into_owned());
            let size = pax_size.unwrap_or(size);
            let kind = match flag {
                b'0' | 0 | b'7' => {
                    if path.ends_with('/') {
                        EntryKind::Dir
                    } else {
                        EntryKind::File
                    }
                }
                b'1' => EntryKind::Hardlink,
                b'2' => EntryKind::Symlink,
                b'5' => EntryKind::Dir,
                other => EntryKind::Other(other),
            };
            self.remaining = size;
            self.padding = pad512(size);
            return Ok(Some(Entry {
                path,
                link,
                kind,
                size,
            }));
        }
    }

    /// The current entry's data.
    pub fn data(&mut self) -> EntryData<'_, R> {
        EntryData {
            inner: &mut self.inner,
            remaining: &mut self.remaining,
        }
    }
}

fn pad512(n: u64) -> u64 {
    (512 - n % 512) % 512
}

fn parse_pax(mut v: &[u8]) -> io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    while !v.is_empty() {
        let sp = v
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| corrupt("bad pax record"))?;
        let len: usize = std::str::from_utf8(&v[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| corrupt("bad pax record length"))?;
        if len <= sp + 1 || len > v.len() {
            return Err(corrupt("bad pax record length"));
        }
        let rec = &v[sp + 1..len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        if let Some(eq) = rec.iter().position(|&b| b == b'=') {
            out.push((
                String::from_utf8_lossy(&rec[..eq]).into_owned(),
                String::from_utf8_lossy(&rec[eq + 1..]).into_owned(),
            ));
        }
        v = &v[len..];
    }
    Ok(out)
}

/// Reads one archive entry's data, and no further.
pub(crate) struct EntryData<'a, R> {
    inner: &'a mut R,
    remaining: &'a mut u64,
}

impl<R: Read> Read for EntryData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if *self.remaining == 0 {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(*self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside an entry",
            ));
        }
        *self.remaining -= n as u64;
        Ok(n)
    }
}

/// Streams the members of a Unix `ar` archive (the container of a `.deb`).
pub(crate) struct ArStream<R> {
    inner: R,
    remaining: u64,
    padding: u64,
    started: bool,
}

impl<R: Read> ArStream<R> {
    pub fn new(inner: R) -> Self {
        ArStream {
            inner,
            remaining: 0,
            padding: 0,
            started: false,
        }
    }

    /// The next member's name and size.
    pub fn next_member(&mut self) -> io::Result<Option<(String, u64)>> {
        if !self.started {
            let mut magic = [0u8; 8];
            if read_full(&mut self.inner, &mut magic)? < 8 || &magic != b"!<arch>\n" {
                return Err(corrupt("not an ar archive"));
            }
            self.started = true;
        }
        skip(&mut self.inner, self.remaining.saturating_add(self.padding))?;
        self.remaining = 0;
        self.padding = 0;
        let mut h = [0u8; 60];
        let got = read_full(&mut self.inner, &mut h)?;
        if got == 0 {
            return Ok(None);
        }
        if got < 60 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "ar archive ends inside a header",
            ));
        }
        if &h[58..60] != b"`\n" {
            return Err(corrupt("bad ar member header"));
        }
        let name = String::from_utf8_lossy(&h[0..16])
            .trim_end()
            .trim_end_matches('/')
            .to_string();
        let size: u64 = std::str::from_utf8(&h[48..58])
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| corrupt("bad ar member size"))?;
        self.remaining = size;
        self.padding = size % 2;
        Ok(Some((name, size)))
    }

    pub fn data(&mut self) -> EntryData<'_, R> {
        EntryData {
            inner: &mut self.inner,
            remaining: &mut self.remaining,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_and_base256() {
        assert_eq!(octal(b"0000644\0").unwrap(), 0o644);
        assert_eq!(octal(b"        ").unwrap(), 0);
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[11] = 5;
        assert_eq!(octal(&f).unwrap(), 5);
        assert!(octal(b"zz").is_err());
    }

    #[test]
    fn pax_records() {
        let recs = parse_pax(b"19 path=a/b/c.lock\n").unwrap();
        assert_eq!(recs, vec![("path".into(), "a/b/c.lock".into())]);
        assert!(parse_pax(b"999 path=x\n").is_err());
    }

    #[test]
    fn garbage_is_rejected() {
        let junk = vec![0x41u8; 2048];
        let mut t = TarStream::new(&junk[..]);
        assert!(t.next_entry().is_err());
    }
}
