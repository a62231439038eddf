//! Process creations read from a record's template values, without rendering it.
//!
//! Nearly every EVTX record is one `TemplateInstance`: a template definition
//! (the event's XML with numbered substitutions, kept once per chunk) and the
//! record's own values. [`Templates`] reads a chunk's template definitions
//! into a [`Shape`]: the fields the rendered XML would give to the fast XML
//! reader (`super::fast`), in the same order, each taken from a literal or
//! from one substitution. A record of a regular shape is then classed, and a
//! process creation's rule columns read, from the values alone: the text the
//! renderer would write for each value, as the XML reader would read it back.
//!
//! Anything this module does not reproduce exactly is left to the rendering
//! path, which is then taken for the record as before: template markup other
//! than elements, attributes, text and substitutions (or with `UserData`, or
//! mixed content in a field), values of other types (arrays, nested BinXML,
//! ANSI strings), any empty or null value (the renderer may leave elements or
//! attributes out for those), a string with control characters, surrogates
//! or non-characters (escaped or replaced by the renderer), a value whose
//! size is not its type's, a record that is not a single template instance.
//! `cmd.exe` creations are rendered too (the scanner reads them whole). The
//! tests compare both paths on every record of every real log.

use alloc::borrow::Cow;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use evtx::EvtxRecord;

use super::caches::Classes;
use crate::event::RecordClass;
use crate::mapping::{Schema, Target};

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    /// No content: `<X/>` or `<X></X>`.
    Empty,
    /// Text of the template itself.
    Literal(String),
    /// A substitution: value `slot` of template instance `instance` (0: the
    /// record's own, then the ones nested in its values).
    Slot { instance: usize, slot: u16 },
}

/// One field of a [`Shape`], as the XML reader would name it.
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) name: String,
    pub(super) value: Piece,
}

/// The fields a template (with the templates nested in its values) gives,
/// and what they map to.
#[derive(Debug)]
pub(super) struct Shape {
    pub(super) fields: Vec<Field>,
    pub(super) schema: Schema,
    /// Substitutions in `Name` and `SystemTime` attributes: an empty value
    /// leaves the attribute out.
    attributes: Vec<(usize, u16)>,
    /// Substitutions in field contents and beside elements: an array would
    /// repeat the element.
    contents: Vec<(usize, u16)>,
    /// Element dependencies: a null value leaves the element out.
    dependencies: Vec<(usize, u16)>,
    /// Every substitution the templates use.
    used: Vec<(usize, u16)>,
    provider: Option<usize>,
    event_id: Option<usize>,
    /// The chunk bytes it was read from, `(offset, bytes)`: template
    /// definitions and names. A chunk with the same bytes at the same
    /// offsets has the same shape.
    sources: Vec<(usize, Vec<u8>)>,
}

/// An element being read from a template definition.
struct Open {
    local: String,
    /// `Name` and `SystemTime` attributes (first of each), as pieces.
    name_attr: Option<Piece>,
    time_attr: Option<Piece>,
    /// Content pieces (text and substitutions).
    content: Vec<Piece>,
    /// Whether a child element started (the field is then dropped).
    child: bool,
    /// The field this element captures, if any.
    field: Option<String>,
}

/// A little-endian reader over chunk bytes that fails instead of panicking.
struct Cursor<'c> {
    data: &'c [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        let v = u16_at(self.data, self.pos)?;
        self.pos += 2;
        Some(v)
    }
    fn u32(&mut self) -> Option<u32> {
        let v = u32_at(self.data, self.pos)?;
        self.pos += 4;
        Some(v)
    }
    /// A name reference: the chunk offset of a string-table name, skipping
    /// the name when it is stored right here.
    fn name(&mut self) -> Option<usize> {
        let offset = self.u32()? as usize;
        if offset == self.pos {
            let len = usize::from(u16_at(self.data, self.pos + 6)?);
            self.pos += 10 + 2 * len;
        }
        Some(offset)
    }
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A string-table name: plain ASCII only (anything else is left to the renderer).
fn name_at(data: &[u8], offset: usize) -> Option<String> {
    let len = usize::from(u16_at(data, offset.checked_add(6)?)?);
    let units = data.get(offset + 8..offset + 8 + 2 * len)?;
    let mut name = String::with_capacity(len);
    for unit in units.chunks_exact(2) {
        let c = u16::from_le_bytes([unit[0], unit[1]]);
        match u8::try_from(c) {
            Ok(b) if b.is_ascii_graphic() && !b"<>&\"'/=".contains(&b) => name.push(char::from(b)),
            _ => return None,
        }
    }
    (!name.is_empty()).then_some(name)
}

/// UTF-16LE text as the renderer writes it and the XML reader reads it back,
/// up to the first NUL; `None` when it holds anything the renderer changes
/// (control characters, surrogates, U+FFFE/U+FFFF) or is empty.
fn utf16_text(bytes: &[u8]) -> Option<String> {
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

/// The local part of a name (`e:Event` → `Event`).
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Template instances nested in a record's values: `(slot, definition offset)`.
type Nested = Vec<(u16, usize)>;

/// The state of a walk through a template definition (and the ones nested
/// in it), following the fast XML reader's rules over the rendering.
#[derive(Default)]
struct Walk {
    stack: Vec<Open>,
    fields: Vec<Field>,
    attributes: Vec<(usize, u16)>,
    contents: Vec<(usize, u16)>,
    dependencies: Vec<(usize, u16)>,
    used: Vec<(usize, u16)>,
    section: &'static str,
    unnamed: usize,
    root_done: bool,
    /// Nested instances spliced so far (their instance number is this + 1).
    spliced: usize,
    /// The chunk bytes read: template definitions and names.
    sources: Vec<(usize, Vec<u8>)>,
}

impl Walk {
    /// The name at chunk offset `offset` (noted as a source).
    fn name(&mut self, chunk: &[u8], offset: usize) -> Option<String> {
        let len = usize::from(u16_at(chunk, offset.checked_add(6)?)?);
        let bytes = chunk.get(offset + 6..offset + 8 + 2 * len)?;
        self.sources.push((offset + 6, bytes.to_vec()));
        name_at(chunk, offset)
    }

    /// Walk the template definition at `offset` in `chunk`, for instance
    /// number `instance`; `None` on anything [the module](self) leaves to the renderer.
    fn template(
        &mut self,
        chunk: &[u8],
        offset: usize,
        instance: usize,
        nested: &Nested,
    ) -> Option<()> {
        let size = u32_at(chunk, offset.checked_add(20)?)? as usize;
        let body = offset + 24;
        let mut c = Cursor {
            data: chunk.get(..body.checked_add(size)?)?,
            pos: body,
        };
        self.sources
            .push((offset + 4, c.data.get(offset + 4..)?.to_vec()));
        // The attribute being read: its local name and pieces.
        let mut attribute: Option<(String, Vec<Piece>)> = None;
        let mut pending: Option<Open> = None;
        while c.pos < c.data.len() {
            let token = c.u8()?;
            if matches!(token, 0x06 | 0x46 | 0x02 | 0x03 | 0x00) {
                if let Some((key, pieces)) = attribute.take() {
                    let open = pending.as_mut()?;
                    let relevant = matches!(key.as_str(), "Name" | "SystemTime");
                    for piece in &pieces {
                        if let Piece::Slot { instance, slot } = *piece {
                            if relevant {
                                self.attributes.push((instance, slot));
                            }
                        }
                    }
                    if relevant {
                        let [piece] = <[Piece; 1]>::try_from(pieces).ok()?;
                        match key.as_str() {
                            "Name" if open.name_attr.is_none() => open.name_attr = Some(piece),
                            "SystemTime" if open.time_attr.is_none() => {
                                open.time_attr = Some(piece)
                            }
                            _ => {}
                        }
                    }
                }
            }
            match token {
                0x0f => c.pos += 3,
                0x01 | 0x41 => {
                    if self.root_done || pending.is_some() {
                        return None;
                    }
                    let dependency = c.u16()?;
                    if dependency != 0xffff {
                        self.dependencies.push((instance, dependency));
                        self.used.push((instance, dependency));
                    }
                    c.u32()?;
                    let at = c.name()?;
                    let name = self.name(chunk, at)?;
                    if token == 0x41 {
                        c.u32()?;
                    }
                    pending = Some(Open {
                        local: String::from(local(&name)),
                        name_attr: None,
                        time_attr: None,
                        content: Vec::new(),
                        child: false,
                        field: None,
                    });
                }
                0x06 | 0x46 => {
                    pending.as_ref()?;
                    let at = c.name()?;
                    let name = self.name(chunk, at)?;
                    attribute = Some((String::from(local(&name)), Vec::new()));
                }
                0x02 | 0x03 => self.start(pending.take()?, token == 0x03)?,
                0x04 => self.end()?,
                0x05 | 0x45 | 0x0d | 0x0e => {
                    let piece = if token & 0x0f == 0x05 {
                        if c.u8()? != 0x01 {
                            return None;
                        }
                        let len = usize::from(c.u16()?);
                        let bytes = c.data.get(c.pos..c.pos + 2 * len)?;
                        c.pos += 2 * len;
                        Piece::Literal(utf16_text(bytes)?)
                    } else {
                        let slot = c.u16()?;
                        c.u8()?;
                        self.used.push((instance, slot));
                        Piece::Slot { instance, slot }
                    };
                    let splice = match piece {
                        Piece::Slot { slot, .. } if instance == 0 => {
                            nested.iter().find(|(s, _)| *s == slot).map(|&(_, at)| at)
                        }
                        _ => None,
                    };
                    if let Some((_, pieces)) = attribute.as_mut() {
                        if splice.is_some() {
                            return None;
                        }
                        pieces.push(piece);
                    } else if let Some(at) = splice {
                        // Elements of a nested instance, in place.
                        if self.stack.is_empty() {
                            return None;
                        }
                        self.spliced += 1;
                        self.template(chunk, at, self.spliced, nested)?;
                    } else {
                        self.stack.last_mut()?.content.push(piece);
                    }
                }
                0x00 => break,
                _ => return None,
            }
        }
        (attribute.is_none() && pending.is_none()).then_some(())
    }

    /// The end of an element's start tag (`empty`: `<X .../>`).
    fn start(&mut self, mut open: Open, empty: bool) -> Option<()> {
        let at = self.stack.len() + 1;
        if let Some(parent) = self.stack.last_mut() {
            parent.child = true;
        }
        if !empty && at == 2 {
            self.section = match open.local.as_str() {
                "System" => "System",
                "EventData" => "EventData",
                "UserData" => return None,
                _ => "",
            };
        }
        let field = match (self.section, at) {
            ("System", 3) => match open.local.as_str() {
                "Provider" | "TimeCreated" => {
                    let (attr, name) = if open.local == "Provider" {
                        (open.name_attr.take(), "Provider")
                    } else {
                        (open.time_attr.take(), "TimeCreated")
                    };
                    if let Some(value) = attr {
                        self.fields.push(Field {
                            name: String::from(name),
                            value,
                        });
                    }
                    None
                }
                n @ ("EventID" | "EventRecordID" | "Channel" | "Computer") => Some(String::from(n)),
                _ => None,
            },
            ("EventData", 3) => match (open.local.as_str(), open.name_attr.take()) {
                ("Data", Some(Piece::Literal(name))) => Some(name),
                ("Data", Some(_)) => return None,
                ("Data", None) => {
                    self.unnamed += 1;
                    Some(format!("Data[{}]", self.unnamed))
                }
                (other, _) => Some(String::from(other)),
            },
            _ => None,
        };
        if empty {
            if at == 1 {
                return None;
            }
            if let Some(name) = field {
                self.fields.push(Field {
                    name,
                    value: Piece::Empty,
                });
            }
        } else {
            open.field = field;
            self.stack.push(open);
        }
        Some(())
    }

    /// An end tag.
    fn end(&mut self) -> Option<()> {
        let open = self.stack.pop()?;
        let slots = open.content.iter().filter_map(|p| match *p {
            Piece::Slot { instance, slot } => Some((instance, slot)),
            _ => None,
        });
        // A field's content, or content beside elements, must render as
        // read here; the lone content of another element may be anything.
        if open.field.is_some() || open.child {
            self.contents.extend(slots);
        }
        if let Some(name) = open.field {
            if open.child {
                return None;
            }
            let mut content = open.content;
            let value = match content.len() {
                0 => Piece::Empty,
                1 => content.pop()?,
                _ => return None,
            };
            self.fields.push(Field { name, value });
        }
        self.root_done = self.stack.is_empty();
        Some(())
    }
}

impl Shape {
    /// Read the template definition at `offset` in `chunk`, with the
    /// `nested` instances spliced in; `None` when it has anything [the
    /// module](self) leaves to the renderer.
    fn read(chunk: &[u8], offset: usize, nested: &Nested) -> Option<Shape> {
        let mut walk = Walk::default();
        walk.template(chunk, offset, 0, nested)?;
        if !walk.root_done || walk.spliced != nested.len() {
            return None;
        }
        let names: Vec<&str> = walk.fields.iter().map(|f| f.name.as_str()).collect();
        let schema = Schema::resolve(&names);
        let provider = walk.fields.iter().position(|f| f.name == "Provider");
        let event_id = walk.fields.iter().position(|f| f.name == "EventID");
        for list in [
            &mut walk.attributes,
            &mut walk.contents,
            &mut walk.dependencies,
            &mut walk.used,
        ] {
            list.sort_unstable();
            list.dedup();
        }
        Some(Shape {
            fields: walk.fields,
            schema,
            attributes: walk.attributes,
            contents: walk.contents,
            dependencies: walk.dependencies,
            used: walk.used,
            provider,
            event_id,
            sources: walk.sources,
        })
    }

    /// Whether `chunk` holds what this shape was read from.
    fn fits(&self, chunk: &[u8]) -> bool {
        self.sources
            .iter()
            .all(|(at, bytes)| chunk.get(*at..*at + bytes.len()) == Some(bytes.as_slice()))
    }
}

/// A value: `(type, start in the chunk, size)`.
type Value = (u8, usize, usize);

/// The values of a record's template instance and of the instances nested
/// in them.
#[derive(Default)]
pub(super) struct Values {
    /// Each instance's values: `(first, end)` in `list`.
    instances: Vec<(usize, usize)>,
    list: Vec<Value>,
    nested: Nested,
}

/// Whether the `evtx` crate reads a value of this type in exactly its
/// descriptor's `size` (so that the values after it are where this module
/// looks): fixed-size types of their size, SIDs of the size their count of
/// sub-authorities gives, the rest by size.
fn size_fits(data: &[u8], (kind, at, size): Value) -> Option<bool> {
    Some(match kind {
        0x03 | 0x04 => size == 1,
        0x05 | 0x06 => size == 2,
        0x07 | 0x08 | 0x0b | 0x0d | 0x14 => size == 4,
        0x09 | 0x0a | 0x0c | 0x11 | 0x15 => size == 8,
        0x0f | 0x12 => size == 16,
        0x10 => size == 4 || size == 8,
        0x13 => size >= 8 && usize::from(*data.get(at + 1)?) * 4 + 8 == size,
        0x01 => size % 2 == 0,
        0x00 | 0x02 | 0x0e | 0x21 => true,
        _ => false,
    })
}

/// Whether a value renders as some text (an attribute with an empty value
/// is left out): not null, not empty, not an array nor BinXML.
fn filled(data: &[u8], (kind, at, size): Value) -> bool {
    match kind {
        0x00 | 0x02 | 0x21 => false,
        0x01 => size >= 2 && u16_at(data, at) != Some(0),
        0x0e => size > 0,
        k => k < 0x80,
    }
}

/// Whether a value renders as text, maybe empty (not an array, which
/// repeats its element, nor BinXML, which gives elements).
fn textual((kind, _, size): Value) -> bool {
    kind < 0x80 && (kind != 0x21 || size == 0)
}

/// Whether a value is not null (an element that depends on a null value is left out).
fn not_null((kind, _, size): Value) -> bool {
    kind != 0x00 && size > 0
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
        let first = self.list.len();
        for i in 0..count {
            let size = usize::from(u16_at(data, pos + 4 * i)?);
            let kind = *data.get(pos + 4 * i + 2)?;
            let value = (kind, at, size);
            if at + size > end || !size_fits(data, value)? {
                return None;
            }
            self.list.push(value);
            at += size;
        }
        self.instances.push((first, self.list.len()));
        matches!(data.get(at..end)?, [] | [0x00, ..]).then_some(definition)
    }

    /// Read the values of `record`, a single template instance (whose
    /// BinXML values, if any, are single template instances too); its
    /// definition offset, `None` for any other record.
    fn read(&mut self, record: &EvtxRecord<'_>) -> Option<usize> {
        self.instances.clear();
        self.list.clear();
        self.nested.clear();
        let data = record.chunk.data;
        let start = usize::try_from(record.binxml_offset).ok()?;
        let end = start.checked_add(record.binxml_size as usize)?;
        let at = single_instance(data.get(start..end)?)?;
        let definition = self.instance(data, start + at, end)?;
        let top = self.list.len();
        for slot in 0..top {
            let (kind, at, size) = *self.list.get(slot)?;
            if kind == 0x21 && size > 0 {
                let inner = single_instance(data.get(at..at + size)?)?;
                let nested = self.instance(data, at + inner, at + size)?;
                self.nested.push((u16::try_from(slot).ok()?, nested));
            }
        }
        Some(definition)
    }

    /// Value `slot` of instance `instance`.
    fn get(&self, instance: usize, slot: u16) -> Option<Value> {
        let &(first, end) = self.instances.get(instance)?;
        let i = first.checked_add(usize::from(slot))?;
        if i >= end {
            return None;
        }
        self.list.get(i).copied()
    }

    /// The text the renderer writes for a value, as read back; `None` for a
    /// type this module does not render.
    fn text(&self, data: &[u8], instance: usize, slot: u16) -> Option<String> {
        let (kind, at, size) = self.get(instance, slot)?;
        let bytes = data.get(at..at + size)?;
        let mut b = [0u8; 8];
        if let Some(part) = b.get_mut(..size.min(8)) {
            part.copy_from_slice(bytes.get(..size.min(8))?);
        }
        let n = u64::from_le_bytes(b);
        Some(match kind {
            0x00 | 0x21 if size == 0 || kind == 0x00 => String::new(),
            0x01 if u16_at(bytes, 0).unwrap_or(0) == 0 => String::new(),
            0x01 => utf16_text(bytes)?,
            0x03 => format!("{}", n as u8 as i8),
            0x05 => format!("{}", n as u16 as i16),
            0x07 => format!("{}", n as u32 as i32),
            0x09 => format!("{}", n as i64),
            0x04 | 0x06 | 0x08 | 0x0a => format!("{n}"),
            0x10 | 0x14 | 0x15 => format!("0x{n:x}"),
            0x11 => filetime_text(n),
            _ => return None,
        })
    }
}

/// Where the `TemplateInstance` token's body starts in a stream that is
/// one instance (after a fragment header or not).
fn single_instance(stream: &[u8]) -> Option<usize> {
    match stream {
        [0x0f, _, _, _, 0x0c, ..] => Some(5),
        [0x0c, ..] => Some(1),
        _ => None,
    }
}

/// A FILETIME as the renderer writes it (`2019-03-19T23:34:25.3431560Z`).
fn filetime_text(filetime: u64) -> String {
    const TICKS_PER_SEC: u64 = 10_000_000;
    const TICKS_PER_DAY: u64 = 86_400 * TICKS_PER_SEC;
    if filetime > i64::MAX as u64 {
        return String::from("0000-00-00T00:00:00.0000000Z");
    }
    let (days, ticks) = (filetime / TICKS_PER_DAY, filetime % TICKS_PER_DAY);
    // Howard Hinnant's `civil_from_days`, from 0000-03-01 (584,694 days before 1601-01-01).
    let z = days + 584_694;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = (era * 400 + yoe + u64::from(month <= 2)) % 10_000;
    let secs = ticks / TICKS_PER_SEC;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:07}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60,
        ticks % TICKS_PER_SEC
    )
}

/// What a shape is read from: a definition offset, and the instances nested in the values.
type ShapeKey = (usize, Nested);

/// How many shapes of one chunk [`Templates`] keeps.
const SHAPES: usize = 64;

/// Template shapes of the chunk being read, by definition offsets.
#[derive(Default)]
pub(super) struct Templates {
    shapes: Vec<(ShapeKey, Option<Rc<Shape>>)>,
    /// Shapes of earlier chunks, tried before reading a template again.
    known: Vec<(ShapeKey, Rc<Shape>)>,
    values: Values,
    classes: Classes,
}

/// A record read from its values: its shape.
pub(super) struct View {
    pub(super) shape: Rc<Shape>,
}

impl Templates {
    /// Forget the shapes of the previous chunk (offsets are per chunk).
    pub(super) fn new_chunk(&mut self) {
        self.shapes.clear();
    }

    /// The shape and class of `record`, when it can be read from its values.
    pub(super) fn view(&mut self, record: &EvtxRecord<'_>) -> Option<(View, RecordClass)> {
        let definition = self.values.read(record)?;
        let data = record.chunk.data;
        let nested = &self.values.nested;
        let known = self
            .shapes
            .iter()
            .find(|((at, n), _)| *at == definition && n == nested);
        let shape = match known {
            Some((_, shape)) => shape.clone()?,
            None => {
                let known = self
                    .known
                    .iter()
                    .find(|((at, n), shape)| *at == definition && n == nested && shape.fits(data));
                let shape = match known {
                    Some((_, shape)) => Some(Rc::clone(shape)),
                    None => {
                        let shape = Shape::read(data, definition, nested).map(Rc::new);
                        if let (Some(shape), true) = (&shape, self.known.len() < SHAPES) {
                            self.known
                                .push(((definition, nested.clone()), Rc::clone(shape)));
                        }
                        shape
                    }
                };
                if self.shapes.len() < SHAPES {
                    self.shapes
                        .push(((definition, nested.clone()), shape.clone()));
                }
                shape?
            }
        };
        let values = &self.values;
        let present = |&(i, slot): &(usize, u16)| values.get(i, slot).is_some();
        let all = |list: &[(usize, u16)], test: &dyn Fn(Value) -> bool| {
            list.iter()
                .all(|&(i, slot)| values.get(i, slot).is_some_and(test))
        };
        if !shape.used.iter().all(present)
            || !all(&shape.attributes, &|v| filled(data, v))
            || !all(&shape.contents, &textual)
            || !all(&shape.dependencies, &not_null)
        {
            return None;
        }
        let text = |i: Option<usize>| -> Option<Option<Cow<'_, str>>> {
            let Some(i) = i else { return Some(None) };
            Some(Some(match &shape.fields.get(i)?.value {
                Piece::Literal(text) => Cow::Borrowed(text.as_str()),
                piece => Cow::Owned(self.piece(data, piece)?),
            }))
        };
        let provider = text(shape.provider)?;
        let event_id = text(shape.event_id)?;
        let provider = provider.as_deref().map(str::trim);
        let event_id = event_id.as_deref().map(str::trim);
        let class = self.classes.get(provider, event_id);
        Some((View { shape }, class))
    }

    /// The text of a piece of the current record.
    pub(super) fn piece(&self, data: &[u8], piece: &Piece) -> Option<String> {
        match piece {
            Piece::Empty => Some(String::new()),
            Piece::Literal(text) => Some(text.clone()),
            Piece::Slot { instance, slot } => self.values.text(data, *instance, *slot),
        }
    }

    /// The rule column `target` of the current record, as the rendering
    /// path would map it: `Some("")` when the shape has no such field, `None`
    /// when its value cannot be read here.
    pub(super) fn column(&self, data: &[u8], view: &View, target: Target) -> Option<String> {
        let Some((i, transform)) = view.shape.schema.get(target) else {
            return Some(String::new());
        };
        let mut text = self.piece(data, &view.shape.fields.get(i)?.value)?;
        // The transforms keep a suffix (a basename, the user part of `DOMAIN\user`).
        let part = transform.apply(Cow::Borrowed(&text));
        if !text.ends_with(&*part) {
            return Some(part.into_owned());
        }
        let cut = text.len() - part.len();
        text.drain(..cut);
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

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
