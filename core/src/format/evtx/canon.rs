//! Template shapes known by content: the canonical form of a template
//! definition, and the cache of shapes of earlier chunks keyed by it.
//!
//! Every chunk of a log defines its templates again, at its own offsets and
//! with its names in its own string table (inline the first time a chunk
//! uses a name, by offset after). [`Shape::read`](super::template) reads a
//! definition into a shape, allocating names, fields, checks and a schema;
//! [`Known`] lets a chunk find the shape an earlier chunk read from the same
//! template, wherever it now sits, without reading it again.
//!
//! # The canonical form
//!
//! [`canonical`] writes, into one reused buffer, without allocating
//! otherwise:
//!
//! 1. the nested instances' count and slots (`Nested`, in order);
//! 2. the definition's token stream, token by token, up to its
//!    `END_OF_STREAM` token (written) or the end of its declared size
//!    (nothing written: the stream just ends), each token with what the
//!    walk reads of it:
//!    - an element start: its dependency id and its name's *text*
//!      (the string-table entry's length and UTF-16 units, wherever the entry
//!      is and whether it is inline or referenced); the element and
//!      attribute-list sizes (which change with inline names) are skipped;
//!    - an attribute: its name's text;
//!    - a literal value: its type, length and UTF-16 units;
//!    - a substitution: its slot and type, then `0`, or, when it is a slot
//!      of the record's own instance that holds a nested instance, `1`, the
//!      length of the nested definition's canonical stream (4 bytes) and
//!      that stream (written as in 2);
//!    - a fragment header, element ends, start-tag ends: the token alone.
//!
//! Every part has a length fixed by the token before it or a length prefix,
//! so a canonical form reads back as one token sequence only.
//!
//! # Why the same canonical form gives the same shape
//!
//! `Shape::read` (the walk in `super::template`) reads of the chunk exactly:
//! the token bytes in order; each element's dependency id; each name's
//! length and units (`name_at`, a function of those bytes alone); each
//! literal's type, length and units; each substitution's slot (its type is
//! read and dropped); for each substitution of instance 0, whether its slot
//! is one of `nested`'s and, if so, the nested definition, walked the same
//! way; and `nested.len()` (compared with the splices made at the end).
//! Positions are read only to skip what the walk does not use (element and
//! attribute-list sizes, inline names, fragment headers) and to stop at the
//! end of the declared size; [`canonical`] gives up (and the shape is read
//! as before) wherever a skip would cross that end or a read would fail,
//! so where it succeeds, the walk meets the same tokens in the same order
//! and stops where the canonical stream does (after `END_OF_STREAM`, or at
//! the end). Every decision of the walk (fields, their names and pieces,
//! the instance numbers of splices, the checks' lists, `root_done`, the
//! splice count) is a function of that sequence of values, and the rest of
//! the shape (the `Schema` of the field names, the provider and event id
//! positions among the fields, the merged checks) a function of the walk's
//! result. So two definitions with the same canonical form, in any chunks,
//! give equal shapes (or both none), and a kept shape (with its classes,
//! which depend on record values only) serves both.
//!
//! A hostile log may reuse a template's GUID or make two canonical forms
//! hash alike: neither is trusted. The GUID is not part of the form, the hash
//! only finds candidates, and a shape is taken only when the whole canonical
//! form is byte for byte the one it was read from.

use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::vec::Vec;

use super::template::{same_bytes, Shape};
use super::values::{u16_at, u32_at, Nested};
use crate::binxml::token::*;

/// Write the canonical form of the definition at `offset` in `chunk`, with
/// the `nested` instances, into `out` (cleared first); `None` where the walk
/// would fail or the form would not say where it stops (see the [module
/// docs](self)).
pub(super) fn canonical(
    chunk: &[u8],
    offset: usize,
    nested: &Nested,
    out: &mut Vec<u8>,
) -> Option<()> {
    out.clear();
    out.extend_from_slice(&u32::try_from(nested.len()).ok()?.to_le_bytes());
    for (slot, _) in nested {
        out.extend_from_slice(&slot.to_le_bytes());
    }
    definition(chunk, offset, Some(nested), out)
}

/// A name's text (its string-table entry's length and units) at chunk
/// offset `at`, as the walk's `name` reads it.
fn name(chunk: &[u8], at: usize, out: &mut Vec<u8>) -> Option<()> {
    let len = usize::from(u16_at(chunk, at.checked_add(6)?)?);
    out.extend_from_slice(chunk.get(at + 6..at + 8 + 2 * len)?);
    Some(())
}

/// Write the canonical stream of the definition at `offset`; `nested` for
/// the record's own instance (whose substitutions may splice nested ones),
/// `None` for a nested one.
fn definition(
    chunk: &[u8],
    offset: usize,
    nested: Option<&Nested>,
    out: &mut Vec<u8>,
) -> Option<()> {
    let size = u32_at(chunk, offset.checked_add(20)?)? as usize;
    let body = offset + 24;
    let data = chunk.get(..body.checked_add(size)?)?;
    let mut pos = body;
    // A name reference (the walk's `Cursor::name`): its text, skipping an
    // inline entry, which must end inside the definition.
    let reference = |pos: &mut usize, out: &mut Vec<u8>| -> Option<()> {
        let at = u32_at(data, *pos)? as usize;
        *pos += 4;
        if at == *pos {
            let len = usize::from(u16_at(data, *pos + 6)?);
            *pos += 10 + 2 * len;
            if *pos > data.len() {
                return None;
            }
        }
        name(chunk, at, out)
    };
    while pos < data.len() {
        if out.len() > MAX_FORM {
            return None;
        }
        let token = data[pos];
        pos += 1;
        out.push(token);
        match token {
            FRAGMENT_HEADER => {
                pos += 3;
                if pos > data.len() {
                    return None;
                }
            }
            OPEN_START_ELEMENT | OPEN_START_ELEMENT_WITH_ATTRIBUTES => {
                out.extend_from_slice(data.get(pos..pos + 2)?);
                u32_at(data, pos + 2)?;
                pos += 6;
                reference(&mut pos, out)?;
                if token == OPEN_START_ELEMENT_WITH_ATTRIBUTES {
                    u32_at(data, pos)?;
                    pos += 4;
                }
            }
            ATTRIBUTE | ATTRIBUTE_MORE => reference(&mut pos, out)?,
            CLOSE_START_ELEMENT | CLOSE_EMPTY_ELEMENT | END_ELEMENT => {}
            VALUE | VALUE_MORE => {
                if *data.get(pos)? != STRING_VALUE {
                    return None;
                }
                let len = usize::from(u16_at(data, pos + 1)?);
                let end = pos + 3 + 2 * len;
                out.extend_from_slice(data.get(pos..end)?);
                pos = end;
            }
            NORMAL_SUBSTITUTION | OPTIONAL_SUBSTITUTION => {
                out.extend_from_slice(data.get(pos..pos + 3)?);
                let slot = u16_at(data, pos)?;
                pos += 3;
                let splice = nested.and_then(|n| n.iter().find(|(s, _)| *s == slot));
                match splice {
                    Some(&(_, at)) => {
                        out.push(1);
                        let len_at = out.len();
                        out.extend_from_slice(&[0; 4]);
                        definition(chunk, at, None, out)?;
                        let len = u32::try_from(out.len() - len_at - 4).ok()?;
                        out[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
                    }
                    None => out.push(0),
                }
            }
            END_OF_STREAM => break,
            _ => return None,
        }
    }
    Some(())
}

/// The longest canonical form written (a real one is a few KiB): a
/// definition can reference one long name, or splice one nested definition,
/// many times, and its form would be that many copies.
const MAX_FORM: usize = 256 << 10;

/// A hash of a canonical form (to find candidates only: see the [module
/// docs](self)): four independent lanes of eight bytes each per 32-byte
/// block (a form is a few KiB, hashed once per template a chunk uses; one
/// lane's multiply chain would be four times longer), then the rest.
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let word = |w: &[u8]| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
    let blocks = bytes.chunks_exact(32);
    let rest = blocks.remainder();
    let mut lanes = [bytes.len() as u64, 1, 2, 3];
    for b in blocks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane = mix(*lane, word(&b[8 * i..]));
        }
    }
    let words = rest.chunks_exact(8);
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    let h = lanes.iter().fold(0, |h, &lane| mix(h, lane));
    let h = words.fold(h, |h, w| mix(h, word(w)));
    mix(h, u64::from_le_bytes(last))
}

/// How many shapes [`Known`] keeps. A log's chunks mostly define the same
/// few dozen templates; a log that is several logs' chunks (merged, or the
/// split benchmark's) has a few hundred.
const KNOWN: usize = 1024;

/// How many bytes of canonical forms [`Known`] keeps (a form is about the
/// size of its definitions and names: 1 to 4 KiB).
const KNOWN_BYTES: usize = 8 << 20;

/// How many forms of one hash [`Known`] keeps (more can only be a collision,
/// maybe made on purpose: not worth comparing against on every lookup).
const PER_HASH: usize = 4;

/// A canonical form and the shape read from it (none: the value path cannot read it).
type Entry = (Vec<u8>, Option<Rc<Shape>>);

/// Shapes (or none, for a definition the value path cannot read) of earlier
/// chunks, by canonical form.
#[derive(Default)]
pub(super) struct Known {
    by_hash: BTreeMap<u64, Vec<Entry>>,
    /// How many forms are kept, and their bytes.
    count: usize,
    bytes: usize,
}

impl Known {
    /// The shape read from a definition of canonical form `form`, if kept:
    /// `Some(None)` for a definition the value path cannot read.
    pub(super) fn get(&self, form: &[u8]) -> Option<Option<Rc<Shape>>> {
        let list = self.by_hash.get(&hash(form))?;
        let (_, shape) = list.iter().find(|(f, _)| same_bytes(f, form))?;
        Some(shape.clone())
    }

    /// Keep `shape`, read from a definition of canonical form `form`
    /// (unless the cache is full).
    pub(super) fn keep(&mut self, form: &[u8], shape: Option<Rc<Shape>>) {
        if self.count >= KNOWN || self.bytes + form.len() > KNOWN_BYTES {
            return;
        }
        let list = self.by_hash.entry(hash(form)).or_default();
        if list.len() < PER_HASH && !list.iter().any(|(f, _)| same_bytes(f, form)) {
            list.push((form.to_vec(), shape));
            self.count += 1;
            self.bytes += form.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::{canonical, hash};
    use crate::binxml::token::*;
    use crate::format::evtx::template::Shape;

    /// One element of a definition: what the table below changes.
    #[derive(Clone, Copy)]
    struct Parts {
        /// `EventID`'s element name, dependency id, substitution slot and type.
        event_id: (&'static str, u16, u16, u8),
        /// `Computer`'s literal text.
        computer: &'static str,
        /// The `Data` element's `Name` attribute name and literal value.
        data: (&'static str, &'static str),
        /// The slot of the `Data` element's value (slot 5 holds a nested
        /// instance when `nested` is given).
        data_slot: u16,
    }

    const BASE: Parts = Parts {
        event_id: ("EventID", 0xffff, 3, 0x06),
        computer: "HOST",
        data: ("Name", "CommandLine"),
        data_slot: 4,
    };

    fn utf16(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// A chunk (64 KiB of zeros) with the definition of `parts` at
    /// `offset`, its names in a string table at `names` (`None`: each name
    /// inline, where it is first used), and a nested definition (`<Data>`
    /// holding slot 0) at 60,000.
    fn chunk(parts: Parts, offset: usize, names: Option<usize>) -> Vec<u8> {
        let mut chunk = alloc::vec![0u8; 65536];
        let mut table = names.unwrap_or(0);
        // A string-table entry: next, hash, length, units, NUL.
        let entry = |name: &str| -> Vec<u8> {
            let mut e = alloc::vec![0u8; 6];
            e.extend_from_slice(&(name.len() as u16).to_le_bytes());
            e.extend_from_slice(&utf16(name));
            e.extend_from_slice(&[0, 0]);
            e
        };
        let mut body: Vec<u8> = Vec::new();
        let body_at = offset + 24;
        let mut name = |body: &mut Vec<u8>, chunk: &mut Vec<u8>, text: &str| match names {
            Some(_) => {
                let e = entry(text);
                chunk[table..table + e.len()].copy_from_slice(&e);
                body.extend_from_slice(&(table as u32).to_le_bytes());
                table += e.len();
            }
            None => {
                let here = body_at + body.len() + 4;
                body.extend_from_slice(&(here as u32).to_le_bytes());
                body.extend_from_slice(&entry(text));
            }
        };
        let mut open =
            |body: &mut Vec<u8>, chunk: &mut Vec<u8>, text: &str, dep: u16, attrs: bool| {
                body.push(if attrs {
                    OPEN_START_ELEMENT_WITH_ATTRIBUTES
                } else {
                    OPEN_START_ELEMENT
                });
                body.extend_from_slice(&dep.to_le_bytes());
                body.extend_from_slice(&[0xaa; 4]);
                name(body, chunk, text);
                if attrs {
                    body.extend_from_slice(&[0xbb; 4]);
                }
            };
        let literal = |body: &mut Vec<u8>, text: &str| {
            body.extend_from_slice(&[VALUE, STRING_VALUE]);
            body.extend_from_slice(&(text.len() as u16).to_le_bytes());
            body.extend_from_slice(&utf16(text));
        };
        let subst = |body: &mut Vec<u8>, slot: u16, kind: u8| {
            body.push(OPTIONAL_SUBSTITUTION);
            body.extend_from_slice(&slot.to_le_bytes());
            body.push(kind);
        };
        let b = &mut body;
        let c = &mut chunk;
        b.extend_from_slice(&[FRAGMENT_HEADER, 1, 1, 0]);
        open(b, c, "Event", 0xffff, false);
        b.push(CLOSE_START_ELEMENT);
        open(b, c, "System", 0xffff, false);
        b.push(CLOSE_START_ELEMENT);
        let (id_name, dep, slot, kind) = parts.event_id;
        open(b, c, id_name, dep, false);
        b.push(CLOSE_START_ELEMENT);
        subst(b, slot, kind);
        b.push(END_ELEMENT);
        open(b, c, "Computer", 0xffff, false);
        b.push(CLOSE_START_ELEMENT);
        literal(b, parts.computer);
        b.push(END_ELEMENT);
        b.push(END_ELEMENT);
        open(b, c, "EventData", 0xffff, false);
        b.push(CLOSE_START_ELEMENT);
        open(b, c, "Data", 0xffff, true);
        b.push(ATTRIBUTE);
        name(b, c, parts.data.0);
        literal(b, parts.data.1);
        b.push(CLOSE_START_ELEMENT);
        subst(b, parts.data_slot, 0x01);
        b.push(END_ELEMENT);
        subst(b, 5, 0x21);
        b.extend_from_slice(&[END_ELEMENT, END_ELEMENT, END_OF_STREAM]);
        // Bytes after the end of the stream are not read.
        b.extend_from_slice(&[0xcc; 3]);
        chunk[offset + 4..offset + 20].copy_from_slice(&[0x11; 16]);
        chunk[offset + 20..offset + 24].copy_from_slice(&(body.len() as u32).to_le_bytes());
        chunk[body_at..body_at + body.len()].copy_from_slice(&body);
        // The nested definition: `<Data>` with slot 0, names inline.
        let at = 60_000;
        let mut nested = Vec::new();
        nested.push(OPEN_START_ELEMENT);
        nested.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        let here = at + 24 + nested.len() + 4;
        nested.extend_from_slice(&(here as u32).to_le_bytes());
        nested.extend_from_slice(&entry("Data"));
        nested.push(CLOSE_START_ELEMENT);
        subst(&mut nested, 0, 0x01);
        nested.extend_from_slice(&[END_ELEMENT, END_OF_STREAM]);
        chunk[at + 20..at + 24].copy_from_slice(&(nested.len() as u32).to_le_bytes());
        chunk[at + 24..at + 24 + nested.len()].copy_from_slice(&nested);
        chunk
    }

    /// The canonical form and the shape (as text) of a definition.
    fn read(chunk: &[u8], offset: usize, nested: &[(u16, usize)]) -> (Vec<u8>, String) {
        let nested = nested.to_vec();
        let mut form = Vec::new();
        canonical(chunk, offset, &nested, &mut form).expect("a canonical form");
        let shape = Shape::read(chunk, offset, &nested).expect("a shape");
        (form, format!("{shape:?}"))
    }

    #[test]
    fn a_definition_moved_or_with_its_names_elsewhere_has_the_same_form_and_shape() {
        let nested = [(5, 60_000)];
        let (form, shape) = read(&chunk(BASE, 512, Some(20_000)), 512, &nested);
        assert!(
            shape.contains("CommandLine") && shape.contains("EventID"),
            "{shape}"
        );
        for (offset, names) in [(512, None), (3000, Some(40_000)), (7000, None)] {
            let (f, s) = read(&chunk(BASE, offset, names), offset, &nested);
            assert_eq!(f, form, "{offset} {names:?}");
            assert_eq!(s, shape, "{offset} {names:?}");
        }
    }

    /// Definitions that differ in one element: a different form, and a
    /// different shape unless the shape does not use the element (a
    /// substitution's type).
    #[test]
    fn definitions_that_differ_in_one_element_have_different_forms() {
        let nested = [(5, 60_000)];
        let (form, shape) = read(&chunk(BASE, 512, Some(20_000)), 512, &nested);
        type Case<'n> = (&'static str, Parts, &'n [(u16, usize)], bool);
        let mut cases: Vec<Case> = Vec::new();
        let with = |f: &dyn Fn(&mut Parts)| {
            let mut p = BASE;
            f(&mut p);
            p
        };
        cases.push(("a slot", with(&|p| p.event_id.2 = 2), &nested, true));
        cases.push(("a type", with(&|p| p.event_id.3 = 0x08), &nested, false));
        cases.push((
            "a dependency id",
            with(&|p| p.event_id.1 = 3),
            &nested,
            true,
        ));
        cases.push((
            "an element name",
            with(&|p| p.event_id.0 = "EventId"),
            &nested,
            true,
        ));
        cases.push((
            "an attribute name",
            with(&|p| p.data.0 = "Nome"),
            &nested,
            true,
        ));
        cases.push(("a literal", with(&|p| p.computer = "HOSU"), &nested, true));
        cases.push((
            "a literal name",
            with(&|p| p.data.1 = "Image"),
            &nested,
            true,
        ));
        cases.push((
            "a substitution that is nested",
            with(&|p| p.data_slot = 5),
            &nested,
            true,
        ));
        cases.push(("no nested instance", BASE, &[], true));
        cases.push((
            "another nested slot",
            BASE,
            &[(5, 60_000), (6, 60_000)],
            true,
        ));
        for (what, parts, n, differs) in cases {
            let c = chunk(parts, 3000, None);
            let n = n.to_vec();
            let mut f = Vec::new();
            canonical(&c, 3000, &n, &mut f).expect("a canonical form");
            assert_ne!(f, form, "{what}");
            assert_ne!(hash(&f), hash(&form), "{what}");
            let s = Shape::read(&c, 3000, &n).map(|s| format!("{s:?}"));
            assert_eq!(s.as_ref() != Some(&shape), differs, "{what}: {s:?}");
        }
    }

    /// A short definition that references a 30,000-character name 10 times
    /// has no canonical form (it would be 600 KB); it is read as before.
    #[test]
    fn a_form_longer_than_the_limit_is_not_written() {
        let mut chunk = alloc::vec![0u8; 65536];
        let (name_at, def_at) = (1000, 62_000);
        chunk[name_at + 6..name_at + 8].copy_from_slice(&30_000u16.to_le_bytes());
        chunk[name_at + 8..name_at + 8 + 60_000].copy_from_slice(&utf16(&"n".repeat(30_000)));
        let mut body = Vec::new();
        for _ in 0..10 {
            body.push(OPEN_START_ELEMENT);
            body.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
            body.extend_from_slice(&(name_at as u32).to_le_bytes());
            body.push(CLOSE_EMPTY_ELEMENT);
        }
        body.push(END_OF_STREAM);
        chunk[def_at + 20..def_at + 24].copy_from_slice(&(body.len() as u32).to_le_bytes());
        chunk[def_at + 24..def_at + 24 + body.len()].copy_from_slice(&body);
        let mut form = Vec::new();
        // Two references fit; ten do not.
        let short = [&body[..24], &[END_OF_STREAM]].concat();
        let mut two = chunk.clone();
        two[def_at + 20..def_at + 24].copy_from_slice(&(short.len() as u32).to_le_bytes());
        two[def_at + 24..def_at + 24 + short.len()].copy_from_slice(&short);
        assert!(canonical(&two, def_at, &Vec::new(), &mut form).is_some());
        assert!(form.len() > 120_000, "{}", form.len());
        assert_eq!(canonical(&chunk, def_at, &Vec::new(), &mut form), None);
    }

    #[test]
    fn hash_sees_every_byte_and_the_length() {
        let base: alloc::vec::Vec<u8> = (0..101).collect();
        for len in [0, 7, 8, 31, 32, 37, 64, 101] {
            let base = &base[..len];
            let h = hash(base);
            for i in 0..len {
                let mut other = base.to_vec();
                other[i] ^= 0x80;
                assert_ne!(hash(&other), h, "{len} {i}");
            }
            if len > 0 {
                assert_ne!(hash(&base[..len - 1]), h, "{len}");
            }
        }
        assert_ne!(hash(&[0; 8]), hash(&[0; 9]));
    }
}
