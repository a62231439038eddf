//! The BinXML numbers of EVTX records (`[MS-EVEN6]` "BinXml", as the `evtx`
//! crate's own token and value-type enums name them): tokens of a template
//! definition, and the value types of a template instance's substitution
//! array; and the text a renderer writes for a FILETIME value. The EVTX
//! decoder's template reader (`format::evtx`) reads them and the synthetic
//! log writer ([`crate::synth`]) writes them. No `std`: the writer is `no_std`.
// Without `std` there is no decoder, and the writer uses only some of them.
#![cfg_attr(not(feature = "std"), allow(dead_code))]

use alloc::format;
use alloc::string::String;

use crate::time;

/// Token bytes of a BinXML stream (the low nibble; `0x40` marks an element
/// with attributes, or a value or attribute followed by more of its kind).
pub(crate) mod token {
    /// End of the stream (or of a template definition).
    pub const END_OF_STREAM: u8 = 0x00;
    /// `<name` of an element without attributes.
    pub const OPEN_START_ELEMENT: u8 = 0x01;
    /// `<name` of an element with attributes.
    pub const OPEN_START_ELEMENT_WITH_ATTRIBUTES: u8 = 0x41;
    /// `>` closing a start tag.
    pub const CLOSE_START_ELEMENT: u8 = 0x02;
    /// `/>` closing an empty element.
    pub const CLOSE_EMPTY_ELEMENT: u8 = 0x03;
    /// `</name>`.
    pub const END_ELEMENT: u8 = 0x04;
    /// Literal text (a value of the template itself).
    pub const VALUE: u8 = 0x05;
    /// Literal text, more values follow.
    pub const VALUE_MORE: u8 = 0x45;
    /// An attribute of the element being opened.
    pub const ATTRIBUTE: u8 = 0x06;
    /// An attribute, more attributes follow.
    pub const ATTRIBUTE_MORE: u8 = 0x46;
    /// A template instance: a definition and its values.
    pub const TEMPLATE_INSTANCE: u8 = 0x0c;
    /// A substitution of a value of the instance.
    pub const NORMAL_SUBSTITUTION: u8 = 0x0d;
    /// A substitution left out when its value is null.
    pub const OPTIONAL_SUBSTITUTION: u8 = 0x0e;
    /// The fragment header (major, minor version and flags follow).
    pub const FRAGMENT_HEADER: u8 = 0x0f;
    /// The string type of a literal value.
    pub const STRING_VALUE: u8 = 0x01;
}

/// Value types of a template instance's substitution array.
pub(crate) mod value {
    /// No value.
    pub const NULL: u8 = 0x00;
    /// UTF-16LE text.
    pub const STRING: u8 = 0x01;
    /// Text in the ANSI code page.
    pub const ANSI_STRING: u8 = 0x02;
    /// Signed 8-bit integer.
    pub const INT8: u8 = 0x03;
    /// Unsigned 8-bit integer.
    pub const UINT8: u8 = 0x04;
    /// Signed 16-bit integer.
    pub const INT16: u8 = 0x05;
    /// Unsigned 16-bit integer.
    pub const UINT16: u8 = 0x06;
    /// Signed 32-bit integer.
    pub const INT32: u8 = 0x07;
    /// Unsigned 32-bit integer.
    pub const UINT32: u8 = 0x08;
    /// Signed 64-bit integer.
    pub const INT64: u8 = 0x09;
    /// Unsigned 64-bit integer.
    pub const UINT64: u8 = 0x0a;
    /// 32-bit float.
    pub const REAL32: u8 = 0x0b;
    /// 64-bit float.
    pub const REAL64: u8 = 0x0c;
    /// Boolean (32 bits).
    pub const BOOL: u8 = 0x0d;
    /// Bytes.
    pub const BINARY: u8 = 0x0e;
    /// GUID (16 bytes).
    pub const GUID: u8 = 0x0f;
    /// Pointer-sized integer (4 or 8 bytes), rendered in hexadecimal.
    pub const SIZE_T: u8 = 0x10;
    /// FILETIME (100 ns ticks since 1601).
    pub const FILETIME: u8 = 0x11;
    /// SYSTEMTIME (16 bytes).
    pub const SYSTEMTIME: u8 = 0x12;
    /// Security identifier.
    pub const SID: u8 = 0x13;
    /// 32-bit integer rendered in hexadecimal.
    pub const HEX32: u8 = 0x14;
    /// 64-bit integer rendered in hexadecimal.
    pub const HEX64: u8 = 0x15;
    /// Nested BinXML (a template instance of its own).
    pub const BINXML: u8 = 0x21;
    /// The flag of an array of the type in the low bits.
    pub const ARRAY: u8 = 0x80;
}

/// A FILETIME as the renderer writes it (`2019-03-19T23:34:25.3431560Z`):
/// the civil date of [`time::civil_from_days`], its year taken modulo
/// 10,000 as `evtx` writes it, and the zero date past `i64::MAX` ticks.
pub(crate) fn filetime_text(filetime: u64) -> String {
    const TICKS_PER_SEC: u64 = time::TICKS_PER_SEC as u64;
    const TICKS_PER_DAY: u64 = 86_400 * TICKS_PER_SEC;
    /// Days from 1601-01-01 to 1970-01-01.
    const DAYS_1601_TO_1970: i64 = 134_774;
    if filetime > i64::MAX as u64 {
        return String::from("0000-00-00T00:00:00.0000000Z");
    }
    let (days, ticks) = (filetime / TICKS_PER_DAY, filetime % TICKS_PER_DAY);
    // `days` < 2^63 / 8.64e11 ticks a day: no overflow.
    let (year, month, day) = time::civil_from_days(days as i64 - DAYS_1601_TO_1970);
    let year = year.rem_euclid(10_000);
    let secs = ticks / TICKS_PER_SEC;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:07}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60,
        ticks % TICKS_PER_SEC
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes_render_as_evtx_writes_them() {
        // 0 is 1601-01-01; 132_000_000_000_000_000 is 2019-04-17T18:40:00Z (checked with
        // `date -u -d @$((132000000000000000 / 10000000 - 11644473600))`).
        assert_eq!(filetime_text(0), "1601-01-01T00:00:00.0000000Z");
        assert_eq!(
            filetime_text(132_000_000_000_000_000 + 1_234_567),
            "2019-04-17T18:40:00.1234567Z"
        );
        assert_eq!(filetime_text(u64::MAX), "0000-00-00T00:00:00.0000000Z");
    }
}
