//! Whether a file is a PKCS#11 module, judged from its ELF dynamic symbol table without loading
//! it: loading a library runs its constructors, so `module allow libc.so.6` (or a hostile file)
//! must be refused from the bytes alone. A PKCS#11 module exports `C_GetFunctionList`.

use std::io::Read;
use std::path::Path;

/// The entry point every PKCS#11 module exports.
pub const ENTRY_POINT: &str = "C_GetFunctionList";

/// Largest file read: PKCS#11 modules are a few MiB (OpenSC's is under 2).
const MAX_MODULE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a file is not taken for a PKCS#11 module.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotAModule {
    #[error("it could not be read: {0}")]
    Unreadable(String),
    #[error("it is larger than {} MiB", MAX_MODULE_BYTES >> 20)]
    TooLarge,
    #[error("it is not an ELF shared library")]
    NotElf,
    #[error("its ELF headers are cut short or point outside the file")]
    Truncated,
    #[error("it does not export {ENTRY_POINT}, the entry point of every PKCS#11 module")]
    NoEntryPoint,
}

/// Checks that `path` is an ELF shared object whose dynamic symbol table defines
/// [`ENTRY_POINT`] as a function. A library stripped of its section headers is judged by the
/// entry point's name in its dynamic string table.
pub fn check_module_file(path: &Path) -> Result<(), NotAModule> {
    let file = std::fs::File::open(path).map_err(|e| NotAModule::Unreadable(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_MODULE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| NotAModule::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_MODULE_BYTES {
        return Err(NotAModule::TooLarge);
    }
    check_module_bytes(&bytes)
}

/// [`check_module_file`] over a file's bytes.
pub fn check_module_bytes(bytes: &[u8]) -> Result<(), NotAModule> {
    let elf = Elf::parse(bytes)?;
    if elf.exports(ENTRY_POINT)? {
        Ok(())
    } else {
        Err(NotAModule::NoEntryPoint)
    }
}

/// The fields of an ELF file this check reads, for either class and byte order.
struct Elf<'a> {
    bytes: &'a [u8],
    wide: bool,
    big: bool,
    shoff: u64,
    shentsize: u64,
    shnum: u64,
}

const SHT_DYNSYM: u32 = 11;
const STT_FUNC: u8 = 2;
const STT_GNU_IFUNC: u8 = 10;
const ET_DYN: u16 = 3;

impl<'a> Elf<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, NotAModule> {
        if bytes.len() < 16 || &bytes[..4] != b"\x7fELF" {
            return Err(NotAModule::NotElf);
        }
        let wide = match bytes[4] {
            1 => false,
            2 => true,
            _ => return Err(NotAModule::NotElf),
        };
        let big = match bytes[5] {
            1 => false,
            2 => true,
            _ => return Err(NotAModule::NotElf),
        };
        let mut elf = Elf {
            bytes,
            wide,
            big,
            shoff: 0,
            shentsize: 0,
            shnum: 0,
        };
        if elf.u16(16)? != ET_DYN {
            return Err(NotAModule::NotElf);
        }
        let (shoff, shentsize, shnum) = if wide {
            (elf.u64(0x28)?, elf.u16(0x3a)?, elf.u16(0x3c)?)
        } else {
            (elf.u32(0x20)? as u64, elf.u16(0x2e)?, elf.u16(0x30)?)
        };
        elf.shoff = shoff;
        elf.shentsize = shentsize as u64;
        elf.shnum = shnum as u64;
        Ok(elf)
    }

    fn slice(&self, at: u64, len: u64) -> Result<&'a [u8], NotAModule> {
        let end = at.checked_add(len).ok_or(NotAModule::Truncated)?;
        self.bytes
            .get(usize::try_from(at).map_err(|_| NotAModule::Truncated)?..)
            .and_then(|b| b.get(..usize::try_from(end - at).ok()?))
            .ok_or(NotAModule::Truncated)
    }

    fn uint<const N: usize>(&self, at: u64) -> Result<[u8; N], NotAModule> {
        let mut b: [u8; N] = self.slice(at, N as u64)?.try_into().expect("N bytes");
        if !self.big {
            b.reverse();
        }
        Ok(b)
    }

    fn u16(&self, at: u64) -> Result<u16, NotAModule> {
        Ok(u16::from_be_bytes(self.uint(at)?))
    }

    fn u32(&self, at: u64) -> Result<u32, NotAModule> {
        Ok(u32::from_be_bytes(self.uint(at)?))
    }

    fn u64(&self, at: u64) -> Result<u64, NotAModule> {
        Ok(u64::from_be_bytes(self.uint(at)?))
    }

    /// A class-sized word: 8 bytes in ELF64, 4 in ELF32.
    fn word(&self, at: u64) -> Result<u64, NotAModule> {
        if self.wide {
            self.u64(at)
        } else {
            self.u32(at).map(u64::from)
        }
    }

    /// (type, link, offset, size, entsize) of section `i`.
    fn section(&self, i: u64) -> Result<(u32, u32, u64, u64, u64), NotAModule> {
        let at = self.shoff + i * self.shentsize;
        let w = if self.wide { 8 } else { 4 };
        let kind = self.u32(at + 4)?;
        // sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, …, sh_entsize
        let offset = self.word(at + 8 + 2 * w)?;
        let size = self.word(at + 8 + 3 * w)?;
        let link = self.u32(at + 8 + 4 * w)?;
        let entsize = self.word(at + 16 + 5 * w)?;
        Ok((kind, link, offset, size, entsize))
    }

    /// Whether the dynamic symbol table defines `name` as a function.
    fn exports(&self, name: &str) -> Result<bool, NotAModule> {
        if self.shnum == 0 {
            // Stripped of section headers: the name in the file is all that can be checked.
            let mut needle = name.as_bytes().to_vec();
            needle.push(0);
            return Ok(self.bytes.windows(needle.len()).any(|w| w == needle));
        }
        for i in 0..self.shnum {
            let (kind, link, offset, size, entsize) = self.section(i)?;
            if kind != SHT_DYNSYM || entsize == 0 {
                continue;
            }
            let (_, _, str_off, str_size, _) = self.section(u64::from(link))?;
            let strings = self.slice(str_off, str_size)?;
            for s in 0..size / entsize {
                let sym = offset + s * entsize;
                let name_at = self.u32(sym)? as usize;
                // ELF64: name, info, other, shndx; ELF32: name, value, size, info, other, shndx.
                let (info, shndx) = if self.wide {
                    (self.slice(sym + 4, 1)?[0], self.u16(sym + 6)?)
                } else {
                    (self.slice(sym + 12, 1)?[0], self.u16(sym + 14)?)
                };
                let is_func = matches!(info & 0xf, STT_FUNC | STT_GNU_IFUNC);
                if shndx == 0 || !is_func {
                    continue;
                }
                let Some(rest) = strings.get(name_at..) else {
                    return Err(NotAModule::Truncated);
                };
                let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
                if &rest[..end] == name.as_bytes() {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_foreign_files_are_not_modules() {
        assert_eq!(check_module_bytes(b""), Err(NotAModule::NotElf));
        assert_eq!(check_module_bytes(b"MZ\x90\x00"), Err(NotAModule::NotElf));
        let mut header = b"\x7fELF\x02\x01\x01".to_vec();
        header.resize(20, 0);
        assert_eq!(check_module_bytes(&header), Err(NotAModule::NotElf));
        // A shared object whose section table points past the end of the file.
        header[16] = ET_DYN as u8;
        header.resize(64, 0);
        header[0x28] = 0xff;
        header[0x3c] = 1;
        header[0x3a] = 64;
        assert_eq!(check_module_bytes(&header), Err(NotAModule::Truncated));
    }
}
