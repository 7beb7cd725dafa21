//! Streaming SHA-2 digests over any reader, in constant memory, with a progress callback.

use std::fmt;
use std::io::{self, Read};

use sha2::{Digest as _, Sha256, Sha384, Sha512};

/// Size of the read buffer used when hashing a stream. 1 MiB keeps syscalls rare while the
/// working set stays well inside the 64 MiB budget, whatever the file size.
pub const HASH_BUFFER_SIZE: usize = 1 << 20;

/// A hash algorithm of the SHA-2 family, named as the Sigstore protobuf `HashAlgorithm` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// The name used in Sigstore bundles (`SHA2_256`, …).
    pub fn sigstore_name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "SHA2_256",
            HashAlg::Sha384 => "SHA2_384",
            HashAlg::Sha512 => "SHA2_512",
        }
    }

    /// Parses the Sigstore protobuf name of a hash algorithm.
    pub fn from_sigstore_name(name: &str) -> Option<Self> {
        match name {
            "SHA2_256" => Some(HashAlg::Sha256),
            "SHA2_384" => Some(HashAlg::Sha384),
            "SHA2_512" => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    /// The name used in in-toto `DigestSet`s (`sha256`, …).
    pub fn intoto_name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha384 => "sha384",
            HashAlg::Sha512 => "sha512",
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// Digest of an in-memory message.
    pub fn hash(self, data: &[u8]) -> Digest {
        let bytes = match self {
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => Sha512::digest(data).to_vec(),
        };
        Digest { alg: self, bytes }
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.intoto_name())
    }
}

/// A digest value together with the algorithm that produced it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Digest {
    alg: HashAlg,
    bytes: Vec<u8>,
}

/// True for a SHA-256 digest written as Strongroom writes them: 64 lowercase hex digits (key
/// ids in file names, audit hashes, OCI digests after `sha256:`). The one copy of this check.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Digest {
    /// Wraps raw digest bytes; `None` if the length does not fit the algorithm.
    pub fn new(alg: HashAlg, bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() == alg.output_len()).then_some(Digest { alg, bytes })
    }

    /// Parses lower- or upper-case hex.
    pub fn from_hex(alg: HashAlg, hex_str: &str) -> Option<Self> {
        Digest::new(alg, hex::decode(hex_str).ok()?)
    }

    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Lower-case hex, as in-toto `DigestSet`s and `sha256sum` print it.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.bytes)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.alg, self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.alg, self.to_hex())
    }
}

/// All the digests of one stream, computed in a single pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestSet {
    /// Number of bytes hashed.
    pub len: u64,
    digests: Vec<Digest>,
}

impl DigestSet {
    /// A set of digests learnt elsewhere (a manifest's record of a file of `len` bytes), for
    /// checking signatures without the bytes. Must hold a SHA-256 digest.
    pub fn from_digests(len: u64, digests: Vec<Digest>) -> Self {
        assert!(
            digests.iter().any(|d| d.alg == HashAlg::Sha256),
            "a DigestSet always holds SHA-256"
        );
        DigestSet { len, digests }
    }

    /// The digest for `alg`, if it was requested.
    pub fn get(&self, alg: HashAlg) -> Option<&Digest> {
        self.digests.iter().find(|d| d.alg == alg)
    }

    /// The SHA-256 digest, which every [`hash_reader`] call computes.
    pub fn sha256(&self) -> &Digest {
        self.get(HashAlg::Sha256)
            .expect("hash_reader always computes SHA-256")
    }

    pub fn iter(&self) -> impl Iterator<Item = &Digest> {
        self.digests.iter()
    }
}

enum Hasher {
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    fn new(alg: HashAlg) -> Self {
        match alg {
            HashAlg::Sha256 => Hasher::Sha256(Sha256::new()),
            HashAlg::Sha384 => Hasher::Sha384(Sha384::new()),
            HashAlg::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn finish(self) -> Digest {
        let (alg, bytes) = match self {
            Hasher::Sha256(h) => (HashAlg::Sha256, h.finalize().to_vec()),
            Hasher::Sha384(h) => (HashAlg::Sha384, h.finalize().to_vec()),
            Hasher::Sha512(h) => (HashAlg::Sha512, h.finalize().to_vec()),
        };
        Digest { alg, bytes }
    }
}

/// Sees every chunk of a hashed stream, in order.
pub type ChunkObserver<'a> = &'a mut dyn FnMut(&[u8]);

/// Hashes `reader` to its end with SHA-256 plus every algorithm in `extra`, in one pass and a
/// fixed 1 MiB buffer. `progress` is called after each chunk with the number of bytes just read.
/// `observer` sees every chunk too (used to stream-verify pure Ed25519 signatures).
pub fn hash_reader<R: Read>(
    mut reader: R,
    extra: &[HashAlg],
    progress: &mut dyn FnMut(u64),
    mut observer: Option<ChunkObserver<'_>>,
) -> io::Result<DigestSet> {
    let mut algs = vec![HashAlg::Sha256];
    for alg in extra {
        if !algs.contains(alg) {
            algs.push(*alg);
        }
    }
    let mut hashers: Vec<Hasher> = algs.iter().map(|a| Hasher::new(*a)).collect();
    let mut buf = vec![0u8; HASH_BUFFER_SIZE];
    let mut len = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        for h in &mut hashers {
            h.update(chunk);
        }
        if let Some(obs) = observer.as_mut() {
            obs(chunk);
        }
        len += n as u64;
        progress(n as u64);
    }
    Ok(DigestSet {
        len,
        digests: hashers.into_iter().map(Hasher::finish).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // FIPS 180-2 appendix B.1 / C.1 / D.1: "abc".
        let set = hash_reader(
            &b"abc"[..],
            &[HashAlg::Sha384, HashAlg::Sha512],
            &mut |_| {},
            None,
        )
        .unwrap();
        assert_eq!(set.len, 3);
        assert_eq!(
            set.sha256().to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            set.get(HashAlg::Sha384).unwrap().to_hex(),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
        assert!(set
            .get(HashAlg::Sha512)
            .unwrap()
            .to_hex()
            .starts_with("ddaf35a193617aba"));
    }

    #[test]
    fn streaming_equals_one_shot_across_buffer_boundaries() {
        let data: Vec<u8> = (0..(HASH_BUFFER_SIZE * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut seen = 0u64;
        let mut observed = 0usize;
        let mut obs = |c: &[u8]| observed += c.len();
        let set = hash_reader(&data[..], &[], &mut |n| seen += n, Some(&mut obs)).unwrap();
        assert_eq!(set.sha256(), &HashAlg::Sha256.hash(&data));
        assert_eq!(seen, data.len() as u64);
        assert_eq!(observed, data.len());
    }

    #[test]
    fn digest_length_is_checked() {
        assert!(Digest::new(HashAlg::Sha256, vec![0; 31]).is_none());
        assert!(Digest::from_hex(HashAlg::Sha256, "zz").is_none());
    }
}
