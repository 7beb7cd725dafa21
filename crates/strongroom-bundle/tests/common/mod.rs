//! Shared test helpers: a sample release manifest, and a byte-level zip builder for hostile
//! zips that no well-behaved writer produces (lying sizes, bad names, patched flags, overlaps).
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use strongroom_bundle::manifest::media_types;
use strongroom_bundle::paths::layout;
use strongroom_bundle::{
    ArtifactName, ArtifactRecord, BundleWriter, Entry, EntryRole, Manifest, Release, Sha256Digest,
    Stage,
};

pub const KEY_HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub fn release() -> Release {
    Release::new(
        "app",
        "1.2.3",
        Stage::Production,
        time::macros::datetime!(2026-11-22 10:00:00 UTC),
    )
    .unwrap()
}

pub fn name(s: &str) -> ArtifactName {
    ArtifactName::parse(s).unwrap()
}

/// The files of a small release: one included artifact, its signature, an SBOM, an attestation
/// and a key; returns (path, bytes, entry) in no particular order.
pub fn sample_files() -> Vec<(String, Vec<u8>, Entry)> {
    let app = name("app.tar.gz");
    let artifact = b"the artifact bytes".repeat(1000);
    // (path, bytes, role, media type, about the artifact?, predicate type)
    type Spec<'a> = (String, Vec<u8>, EntryRole, &'a str, bool, Option<&'a str>);
    let files: Vec<Spec> = vec![
        (
            layout::artifact(&app),
            artifact,
            EntryRole::Artifact,
            media_types::OCTET_STREAM,
            true,
            None,
        ),
        (
            layout::artifact_signature(&app),
            br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#.to_vec(),
            EntryRole::ArtifactSignature,
            media_types::SIGSTORE_BUNDLE,
            true,
            None,
        ),
        (
            layout::spdx_sbom(&app),
            br#"{"spdxVersion":"SPDX-2.3"}"#.to_vec(),
            EntryRole::Sbom,
            media_types::SPDX_JSON,
            true,
            None,
        ),
        (
            layout::attestation(&app, "sbom"),
            br#"{"dsseEnvelope":{}}"#.to_vec(),
            EntryRole::Attestation,
            media_types::SIGSTORE_BUNDLE,
            true,
            Some("https://spdx.dev/Document/v2.3"),
        ),
        (
            layout::public_key(KEY_HEX),
            b"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".to_vec(),
            EntryRole::PublicKey,
            media_types::PEM,
            false,
            None,
        ),
    ];
    files
        .into_iter()
        .map(|(path, bytes, role, mt, subj, pt)| {
            let mut e = Entry::from_bytes(&path, role, mt, &bytes);
            if subj {
                e = e.with_subjects([app.clone()]);
            }
            if let Some(pt) = pt {
                e = e.with_predicate_type(pt);
            }
            (path, bytes, e)
        })
        .collect()
}

pub fn sample_manifest() -> Manifest {
    let files = sample_files();
    let artifact = &files[0].1;
    Manifest::new(
        release(),
        vec![ArtifactRecord {
            name: name("app.tar.gz"),
            sha256: Sha256Digest::of_bytes(artifact),
            size: artifact.len() as u64,
            included: true,
            image: None,
        }],
        files.into_iter().map(|f| f.2).collect(),
    )
    .unwrap()
}

/// A writer holding the sample files and their manifest.
pub fn sample_writer() -> BundleWriter {
    let mut w = BundleWriter::new();
    for (path, bytes, _) in sample_files() {
        w.add_bytes(&path, bytes).unwrap();
    }
    w.add_bytes("manifest.json", sample_manifest().to_bytes())
        .unwrap();
    w
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}

pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// One entry as it will be written, every field open to tampering.
#[derive(Clone, Debug)]
pub struct Raw {
    pub name: Vec<u8>,
    /// The stored bytes (already compressed for method 8).
    pub data: Vec<u8>,
    pub method: u16,
    pub flags: u16,
    pub crc: u32,
    pub csize: u64,
    pub usize: u64,
    pub made_by: u16,
    pub external: u32,
    /// Name in the local header, when it should differ.
    pub local_name: Option<Vec<u8>>,
    pub cd_extra: Vec<u8>,
    pub local_extra: Vec<u8>,
    /// Central-directory offset to claim instead of the real one (index of another entry).
    pub offset_of: Option<usize>,
    /// Write sizes and offset through a zip64 extra field in the central directory.
    pub cd_zip64: bool,
}

impl Raw {
    pub fn stored(name: &str, data: &[u8]) -> Raw {
        Raw {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            method: 0,
            flags: if name.is_ascii() { 0 } else { 1 << 11 },
            crc: crc32(data),
            csize: data.len() as u64,
            usize: data.len() as u64,
            made_by: (3 << 8) | 20,
            external: (0o100644) << 16,
            local_name: None,
            cd_extra: Vec::new(),
            local_extra: Vec::new(),
            offset_of: None,
            cd_zip64: false,
        }
    }

    pub fn deflated(name: &str, data: &[u8]) -> Raw {
        let packed = deflate(data);
        Raw {
            csize: packed.len() as u64,
            data: packed,
            method: 8,
            ..Raw::stored(name, data)
        }
    }
}

/// Options for the end of the archive.
#[derive(Clone, Debug, Default)]
pub struct End {
    /// Write a zip64 end record and locator, and saturate the classic end record.
    pub zip64: bool,
    /// Bytes after the end record.
    pub trailing: Vec<u8>,
    /// Entry count to claim instead of the real one.
    pub claimed_count: Option<u64>,
}

pub fn build(entries: &[Raw]) -> Vec<u8> {
    build_with(entries, &End::default())
}

pub fn build_with(entries: &[Raw], end: &End) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(out.len() as u64);
        let lname = e.local_name.as_ref().unwrap_or(&e.name);
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&e.flags.to_le_bytes());
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x21u16.to_le_bytes());
        out.extend_from_slice(&e.crc.to_le_bytes());
        out.extend_from_slice(&(e.csize as u32).to_le_bytes());
        out.extend_from_slice(&(e.usize as u32).to_le_bytes());
        out.extend_from_slice(&(lname.len() as u16).to_le_bytes());
        out.extend_from_slice(&(e.local_extra.len() as u16).to_le_bytes());
        out.extend_from_slice(lname);
        out.extend_from_slice(&e.local_extra);
        out.extend_from_slice(&e.data);
    }
    let cd_start = out.len() as u64;
    for (i, e) in entries.iter().enumerate() {
        let offset = e.offset_of.map_or(offsets[i], |j| offsets[j]);
        let mut extra = e.cd_extra.clone();
        let (csize, usize, off32) = if e.cd_zip64 {
            extra.extend_from_slice(&1u16.to_le_bytes());
            extra.extend_from_slice(&24u16.to_le_bytes());
            extra.extend_from_slice(&e.usize.to_le_bytes());
            extra.extend_from_slice(&e.csize.to_le_bytes());
            extra.extend_from_slice(&offset.to_le_bytes());
            (u32::MAX, u32::MAX, u32::MAX)
        } else {
            (e.csize as u32, e.usize as u32, offset as u32)
        };
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        out.extend_from_slice(&e.made_by.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&e.flags.to_le_bytes());
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x21u16.to_le_bytes());
        out.extend_from_slice(&e.crc.to_le_bytes());
        out.extend_from_slice(&csize.to_le_bytes());
        out.extend_from_slice(&usize.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&e.external.to_le_bytes());
        out.extend_from_slice(&off32.to_le_bytes());
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&extra);
    }
    let cd_end = out.len() as u64;
    let cd_size = cd_end - cd_start;
    let count = end.claimed_count.unwrap_or(entries.len() as u64);
    if end.zip64 {
        out.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        out.extend_from_slice(&44u64.to_le_bytes());
        out.extend_from_slice(&45u16.to_le_bytes());
        out.extend_from_slice(&45u16.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&cd_start.to_le_bytes());
        out.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&cd_end.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
    }
    let (c16, size32, off32) = if end.zip64 {
        (u16::MAX, u32::MAX, u32::MAX)
    } else {
        (
            count.min(u16::MAX as u64) as u16,
            cd_size as u32,
            cd_start as u32,
        )
    };
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&c16.to_le_bytes());
    out.extend_from_slice(&c16.to_le_bytes());
    out.extend_from_slice(&size32.to_le_bytes());
    out.extend_from_slice(&off32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&end.trailing);
    out
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn put(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs python3 with `script` and `args`; panics with its stderr on failure.
pub fn python(script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `n` bytes that do not compress (xorshift), the same on every run.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
