//! The values of a record's template instance, read from the chunk bytes
//! (the value table `super::template` takes a record's columns from), and
//! the text the renderer writes for each.
//!
//! A record that is one `TemplateInstance` carries its definition's offset
//! and an array of `(size, type)` descriptors followed by the values
//! themselves; a value of type BinXML is itself one template instance
//! (nested). Only what this module reads exactly as `evtx` reads it is taken
//! (each value's size must be its type's); anything else leaves the record
//! to the rendering path.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::walk::RecordBytes;
use crate::binxml::value::*;
use crate::binxml::{filetime_text, token};

/// Template instances nested in a record's values: `(slot, definition offset)`.
pub(super) type Nested = Vec<(u16, usize)>;

pub(super) fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

pub(super) fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// UTF-16LE text as the renderer writes it and the XML reader reads it back,
/// up to the first NUL; `None` when it holds anything the renderer changes
/// (control characters, surrogates, U+FFFE/U+FFFF) or is empty.
pub(super) fn utf16_text(bytes: &[u8]) -> Option<String> {
    let mut text = Vec::with_capacity(bytes.len() / 2);
    for unit in bytes.chunks_exact(2) {
        match u16::from_le_bytes([unit[0], unit[1]]) {
            0 => break,
            c @ 0x20..0x80 => text.push(c as u8),
            c if c < 0x20 || (0xD800..=0xDFFF).contains(&c) || c >= 0xFFFE => return None,
            c => {
                let mut buf = [0; 4];
                text.extend_from_slice(
                    char::from_u32(u32::from(c))?
                        .encode_utf8(&mut buf)
                        .as_bytes(),
                );
            }
        }
    }
    if text.is_empty() {
        return None;
    }
    String::from_utf8(text).ok()
}

/// A value: `(type, start in the chunk, size)`.
pub(super) type Value = (u8, usize, usize);

/// The values of a record's template instance and of the instances nested
/// in them.
#[derive(Default)]
pub(super) struct Values {
    /// Each instance's values: `(first, end)` in `list`.
    instances: Vec<(usize, usize)>,
    list: Vec<Value>,
    pub(super) nested: Nested,
    /// The record's own template definition offset.
    definition: usize,
}

/// Whether the `evtx` crate reads a value of this type in exactly its
/// descriptor's `size` (so that the values after it are where this module
/// looks): fixed-size types of their size, SIDs of the size their count of
/// sub-authorities gives, the rest by size.
fn size_fits(data: &[u8], (kind, at, size): Value) -> Option<bool> {
    Some(match kind {
        INT8 | UINT8 => size == 1,
        INT16 | UINT16 => size == 2,
        INT32 | UINT32 | REAL32 | BOOL | HEX32 => size == 4,
        INT64 | UINT64 | REAL64 | FILETIME | HEX64 => size == 8,
        GUID | SYSTEMTIME => size == 16,
        SIZE_T => size == 4 || size == 8,
        SID => size >= 8 && usize::from(*data.get(at + 1)?) * 4 + 8 == size,
        STRING => size % 2 == 0,
        NULL | ANSI_STRING | BINARY | BINXML => true,
        _ => false,
    })
}

/// Whether a value renders as some text (an attribute with an empty value
/// is left out): not null, not empty, not an array nor BinXML.
pub(super) fn filled(data: &[u8], (kind, at, size): Value) -> bool {
    match kind {
        NULL | ANSI_STRING | BINXML => false,
        STRING => size >= 2 && u16_at(data, at) != Some(0),
        BINARY => size > 0,
        k => k < ARRAY,
    }
}

/// Whether a value renders as text, maybe empty (not an array, which
/// repeats its element, nor BinXML, which gives elements).
pub(super) fn textual((kind, _, size): Value) -> bool {
    kind < ARRAY && (kind != BINXML || size == 0)
}

/// Whether a value is not null (an element that depends on a null value is left out).
pub(super) fn not_null((kind, _, size): Value) -> bool {
    kind != NULL && size > 0
}

impl Values {
    /// Read the values of the template instance at `stream[pos]` (after its
    /// token) into `list`; its definition offset.
    fn instance(&mut self, data: &[u8], mut pos: usize, end: usize) -> Option<usize> {
        pos += 1;
        let definition = u32_at(data, pos + 4)? as usize;
        pos += 8;
        if pos == definition {
            pos += 24 + u32_at(data, pos + 20)? as usize;
        }
        let count = u32_at(data, pos)? as usize;
        pos += 4;
        let mut at = pos.checked_add(count.checked_mul(4)?)?;
        // The `(size, type)` descriptors, all at once (a record whose
        // descriptors run past the chunk is not read, as before one by one).
        let descriptors = data.get(pos..at)?;
        let first = self.list.len();
        self.list.reserve(count);
        for d in descriptors.chunks_exact(4) {
            let size = usize::from(u16::from_le_bytes([d[0], d[1]]));
            let kind = d[2];
            let value = (kind, at, size);
            if at + size > end || !size_fits(data, value)? {
                return None;
            }
            self.list.push(value);
            at += size;
        }
        self.instances.push((first, self.list.len()));
        matches!(data.get(at..end)?, [] | [token::END_OF_STREAM, ..]).then_some(definition)
    }

    /// Read the values of `record`, a single template instance (whose
    /// BinXML values, if any, are single template instances too); its
    /// definition offset, `None` for any other record.
    pub(super) fn read(&mut self, record: &RecordBytes<'_>) -> Option<usize> {
        self.instances.clear();
        self.list.clear();
        self.nested.clear();
        let data = record.data;
        let start = usize::try_from(record.binxml_offset).ok()?;
        let end = start.checked_add(record.binxml_size as usize)?;
        let at = single_instance(data.get(start..end)?)?;
        let definition = self.instance(data, start + at, end)?;
        self.definition = definition;
        let top = self.list.len();
        for slot in 0..top {
            let (kind, at, size) = *self.list.get(slot)?;
            if kind == BINXML && size > 0 {
                let inner = single_instance(data.get(at..at + size)?)?;
                let nested = self.instance(data, at + inner, at + size)?;
                self.nested.push((u16::try_from(slot).ok()?, nested));
            }
        }
        Some(definition)
    }

    /// Whether `evtx` builds this record's values as this module read them
    /// (`super::walk`): no instance nested in a nested instance (which
    /// `evtx` builds as it does a record, not read here).
    pub(super) fn flat(&self) -> bool {
        let top = self.instances.first().map_or(0, |&(_, end)| end);
        self.list.get(top..).is_some_and(|inner| {
            inner
                .iter()
                .all(|&(kind, _, size)| kind != BINXML || size == 0)
        })
    }

    /// At least as many nodes as `evtx` builds for this record: one per
    /// byte of each instance's template definition (every token is at
    /// least a byte) and one per value.
    pub(super) fn node_bound(&self, data: &[u8]) -> usize {
        let size = |at: usize| at.checked_add(20).and_then(|at| u32_at(data, at));
        let definitions =
            core::iter::once(self.definition).chain(self.nested.iter().map(|&(_, at)| at));
        definitions
            .map(|at| size(at).map_or(usize::MAX / 4, |s| s as usize))
            .fold(self.list.len(), usize::saturating_add)
    }

    /// How many values each instance read has (the tests compare them
    /// with the `evtx` crate's reading).
    #[cfg(test)]
    pub(super) fn instance_sizes(&self) -> Vec<usize> {
        self.instances
            .iter()
            .map(|(first, end)| end - first)
            .collect()
    }

    /// Value `slot` of instance `instance`.
    pub(super) fn get(&self, instance: usize, slot: u16) -> Option<Value> {
        let &(first, end) = self.instances.get(instance)?;
        let i = first.checked_add(usize::from(slot))?;
        if i >= end {
            return None;
        }
        self.list.get(i).copied()
    }

    /// The text the renderer writes for a value, as read back; `None` for a
    /// type this module does not render.
    pub(super) fn text(&self, data: &[u8], instance: usize, slot: u16) -> Option<String> {
        let (kind, at, size) = self.get(instance, slot)?;
        let bytes = data.get(at..at + size)?;
        let mut b = [0u8; 8];
        if let Some(part) = b.get_mut(..size.min(8)) {
            part.copy_from_slice(bytes.get(..size.min(8))?);
        }
        let n = u64::from_le_bytes(b);
        Some(match kind {
            NULL | BINXML if size == 0 || kind == NULL => String::new(),
            STRING if u16_at(bytes, 0).unwrap_or(0) == 0 => String::new(),
            STRING => utf16_text(bytes)?,
            INT8 => format!("{}", n as u8 as i8),
            INT16 => format!("{}", n as u16 as i16),
            INT32 => format!("{}", n as u32 as i32),
            INT64 => format!("{}", n as i64),
            UINT8 | UINT16 | UINT32 | UINT64 => format!("{n}"),
            SIZE_T | HEX32 | HEX64 => format!("0x{n:x}"),
            FILETIME => filetime_text(n),
            BOOL => match n as u32 as i32 {
                0 => String::from("false"),
                1 => String::from("true"),
                raw => format!("{raw}"),
            },
            GUID => guid_text(bytes)?,
            SID => sid_text(bytes)?,
            _ => return None,
        })
    }
}

/// A GUID as the renderer writes it: `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`,
/// lower-case, the first three groups little-endian.
fn guid_text(bytes: &[u8]) -> Option<String> {
    let b: &[u8; 16] = bytes.try_into().ok()?;
    let hex =
        |range: &[usize]| -> String { range.iter().map(|&i| format!("{:02x}", b[i])).collect() };
    Some(format!(
        "{{{}-{}-{}-{}-{}}}",
        hex(&[3, 2, 1, 0]),
        hex(&[5, 4]),
        hex(&[7, 6]),
        hex(&[8, 9]),
        hex(&[10, 11, 12, 13, 14, 15])
    ))
}

/// A SID as the renderer writes it: `S-revision-authority-sub-…` (the
/// authority 48-bit big-endian, each sub-authority 32-bit little-endian; as
/// many as its count says, which [`size_fits`] held to its size).
fn sid_text(bytes: &[u8]) -> Option<String> {
    let [revision, count, a0, a1, a2, a3, a4, a5, ref subs @ ..] = *bytes else {
        return None;
    };
    let authority = u64::from_be_bytes([0, 0, a0, a1, a2, a3, a4, a5]);
    let mut text = format!("S-{revision}-{authority}");
    for sub in subs.chunks_exact(4).take(usize::from(count)) {
        let sub = u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]]);
        text.push_str(&format!("-{sub}"));
    }
    Some(text)
}

/// Where the `TemplateInstance` token's body starts in a stream that is
/// one instance (after a fragment header or not).
fn single_instance(stream: &[u8]) -> Option<usize> {
    match stream {
        [token::FRAGMENT_HEADER, _, _, _, token::TEMPLATE_INSTANCE, ..] => Some(5),
        [token::TEMPLATE_INSTANCE, ..] => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn text_the_renderer_would_change_is_left_to_it() {
        assert_eq!(
            utf16_text(&utf16("cmd.exe /c \u{e9}\u{4e2d}")).as_deref(),
            Some("cmd.exe /c \u{e9}\u{4e2d}")
        );
        assert_eq!(utf16_text(&utf16("a\0b")).as_deref(), Some("a"));
        for odd in ["a\tb", "a\nb", "\u{fffe}"] {
            assert_eq!(utf16_text(&utf16(odd)), None, "{odd:?}");
        }
        // A lone surrogate.
        assert_eq!(utf16_text(&[0x00, 0xd8, b'a', 0]), None);
        assert_eq!(utf16_text(&[]), None);
    }
}
