//! The values a synthetic event holds: their BinXML type, their bytes in a
//! template instance, and the text a renderer writes for them (the `evtx`
//! crate's rendering, which is Event Viewer's but for GUIDs in lowercase).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// BinXML value types (`[MS-EVEN6]`), as the decoder names them.
pub(crate) use crate::binxml::value as kind;

/// A GUID, as the number its text spells (`{01234567-89ab-cdef-0123-456789abcdef}`
/// is `Guid(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Guid(pub u128);

impl Guid {
    /// The 16 bytes Windows stores: the first three groups little-endian,
    /// the last eight bytes in text order.
    pub fn to_bytes(self) -> [u8; 16] {
        let b = self.0.to_be_bytes();
        [
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
            b[14], b[15],
        ]
    }
}

impl fmt::Display for Guid {
    /// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`, lowercase (as `evtx` renders it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        write!(
            f,
            "{{{:08x}-{:04x}-{:04x}-{:04x}-{:012x}}}",
            (n >> 96) as u32,
            (n >> 80) as u16,
            (n >> 64) as u16,
            (n >> 48) as u16,
            n & 0xffff_ffff_ffff
        )
    }
}

/// A security identifier (`S-1-5-18`): revision 1, an identifier authority
/// and up to 15 sub-authorities.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sid {
    /// The identifier authority (48 bits; 5 is `NT AUTHORITY`).
    pub authority: u64,
    /// The sub-authorities (at most 15 are written).
    pub sub_authorities: Vec<u32>,
}

impl Sid {
    /// A SID of `authority` and `sub_authorities`.
    pub fn new(authority: u64, sub_authorities: &[u32]) -> Sid {
        Sid {
            authority,
            sub_authorities: sub_authorities.to_vec(),
        }
    }

    /// Read `S-1-<authority>-<sub>...`; `None` for anything else (another
    /// revision, an authority past 48 bits, more than 15 sub-authorities).
    pub fn parse(text: &str) -> Option<Sid> {
        let mut parts = text.strip_prefix("S-1-")?.split('-');
        let authority: u64 = parts.next()?.parse().ok()?;
        let sub_authorities = parts
            .map(|p| p.parse::<u32>().ok())
            .collect::<Option<Vec<u32>>>()?;
        (authority < 1 << 48 && sub_authorities.len() <= 15).then_some(Sid {
            authority,
            sub_authorities,
        })
    }

    /// The bytes Windows stores: revision, count, the authority big-endian
    /// in 6 bytes, the sub-authorities little-endian.
    fn write(&self, out: &mut Vec<u8>) {
        let subs = &self.sub_authorities[..self.sub_authorities.len().min(15)];
        out.push(1);
        out.push(subs.len() as u8);
        out.extend_from_slice(&(self.authority & 0xffff_ffff_ffff).to_be_bytes()[2..]);
        for s in subs {
            out.extend_from_slice(&s.to_le_bytes());
        }
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-1-{}", self.authority & 0xffff_ffff_ffff)?;
        for s in self.sub_authorities.iter().take(15) {
            write!(f, "-{s}")?;
        }
        Ok(())
    }
}

/// A value of an event: one substitution of its template instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SynthValue {
    /// No value (a null substitution: the element or attribute is left out).
    Null,
    /// UTF-16 text without a terminating NUL (as Sysmon and `System` write it).
    Str(String),
    /// UTF-16 text with a terminating NUL (as Security auditing writes its
    /// `EventData`); rendered without it.
    StrZ(String),
    /// `UInt8`.
    U8(u8),
    /// `UInt16`.
    U16(u16),
    /// `UInt32`.
    U32(u32),
    /// `UInt64`.
    U64(u64),
    /// `Boolean` (32 bits), rendered `true` / `false`.
    Bool(bool),
    /// `HexInt32`, rendered `0x…`.
    HexU32(u32),
    /// `HexInt64`, rendered `0x…`.
    HexU64(u64),
    /// `SizeT` of 8 bytes (a 64-bit pointer-sized integer), rendered `0x…`.
    SizeT(u64),
    /// `GUID`.
    Guid(Guid),
    /// `FILETIME`: 100 ns ticks since 1601-01-01.
    FileTime(u64),
    /// `SID`.
    Sid(Sid),
}

impl SynthValue {
    /// The BinXML value type.
    pub fn kind(&self) -> u8 {
        match self {
            SynthValue::Null => kind::NULL,
            SynthValue::Str(_) | SynthValue::StrZ(_) => kind::STRING,
            SynthValue::U8(_) => kind::UINT8,
            SynthValue::U16(_) => kind::UINT16,
            SynthValue::U32(_) => kind::UINT32,
            SynthValue::U64(_) => kind::UINT64,
            SynthValue::Bool(_) => kind::BOOL,
            SynthValue::HexU32(_) => kind::HEX32,
            SynthValue::HexU64(_) => kind::HEX64,
            SynthValue::SizeT(_) => kind::SIZE_T,
            SynthValue::Guid(_) => kind::GUID,
            SynthValue::FileTime(_) => kind::FILETIME,
            SynthValue::Sid(_) => kind::SID,
        }
    }

    /// Append the value's bytes (its descriptor gives their count).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            SynthValue::Null => {}
            SynthValue::Str(s) => utf16(s, out),
            SynthValue::StrZ(s) => {
                utf16(s, out);
                out.extend_from_slice(&[0, 0]);
            }
            SynthValue::U8(v) => out.push(*v),
            SynthValue::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
            SynthValue::U32(v) | SynthValue::HexU32(v) => out.extend_from_slice(&v.to_le_bytes()),
            SynthValue::Bool(v) => out.extend_from_slice(&u32::from(*v).to_le_bytes()),
            SynthValue::U64(v)
            | SynthValue::HexU64(v)
            | SynthValue::SizeT(v)
            | SynthValue::FileTime(v) => out.extend_from_slice(&v.to_le_bytes()),
            SynthValue::Guid(g) => out.extend_from_slice(&g.to_bytes()),
            SynthValue::Sid(s) => s.write(out),
        }
    }

    /// The text a renderer writes for the value (the `evtx` crate's: GUIDs
    /// lowercase in braces, times with seven fractional digits, hex with
    /// `0x`); empty for [`SynthValue::Null`].
    pub fn text(&self) -> String {
        match self {
            SynthValue::Null => String::new(),
            SynthValue::Str(s) | SynthValue::StrZ(s) => s.clone(),
            SynthValue::U8(v) => format!("{v}"),
            SynthValue::U16(v) => format!("{v}"),
            SynthValue::U32(v) => format!("{v}"),
            SynthValue::U64(v) => format!("{v}"),
            SynthValue::Bool(v) => format!("{v}"),
            SynthValue::HexU32(v) => format!("0x{v:x}"),
            SynthValue::HexU64(v) | SynthValue::SizeT(v) => format!("0x{v:x}"),
            SynthValue::Guid(g) => format!("{g}"),
            SynthValue::FileTime(t) => filetime_text(*t),
            SynthValue::Sid(s) => format!("{s}"),
        }
    }
}

/// Append `text` as UTF-16LE.
pub(crate) fn utf16(text: &str, out: &mut Vec<u8>) {
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
}

/// Ticks from 1601-01-01 to 1970-01-01.
pub const FILETIME_UNIX_EPOCH: u64 = 116_444_736_000_000_000;

/// A FILETIME as `2019-03-19T23:34:25.3431560Z`, the text the EVTX decoder
/// reads back for it (the `evtx` crate's rendering: year modulo 10,000).
pub fn filetime_text(filetime: u64) -> String {
    crate::binxml::filetime_text(filetime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn values_are_written_and_shown_as_windows_does() {
        // Bytes and text seen in real logs (Sysmon's provider GUID, SYSTEM's SID).
        let guid = Guid(0x5770385f_c22a_43e0_bf4c_06f5698ffbd9);
        assert_eq!(
            guid.to_bytes(),
            [
                0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43, 0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f,
                0xfb, 0xd9
            ]
        );
        assert_eq!(
            SynthValue::Guid(guid).text(),
            "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"
        );
        let sid = Sid::parse("S-1-5-18").unwrap();
        let mut bytes = Vec::new();
        SynthValue::Sid(sid.clone()).write(&mut bytes);
        assert_eq!(bytes, [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
        assert_eq!(sid.to_string(), "S-1-5-18");
        let long = "S-1-5-21-4230534742-2542757381-3142984815-1111";
        assert_eq!(Sid::parse(long).unwrap().to_string(), long);
        for bad in ["S-2-5-18", "S-1-x", "S-1-281474976710656", "1-5-18"] {
            assert_eq!(Sid::parse(bad), None, "{bad}");
        }
        // 132338033032573029 ticks: 2020-05-13T00:28:23.2573029Z (a Sysmon record's time).
        assert_eq!(
            filetime_text(132_338_033_032_573_029),
            "2020-05-13T00:28:23.2573029Z"
        );
        assert_eq!(
            filetime_text(FILETIME_UNIX_EPOCH),
            "1970-01-01T00:00:00.0000000Z"
        );
        let mut z = Vec::new();
        SynthValue::StrZ("-".into()).write(&mut z);
        assert_eq!(z, [b'-', 0, 0, 0]);
        assert_eq!(
            SynthValue::HexU64(0x8000_0000_0000_0000).text(),
            "0x8000000000000000"
        );
        assert_eq!(SynthValue::Bool(false).text(), "false");
    }
}
