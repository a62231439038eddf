//! Process creations read from a record's template values, without rendering it.
//!
//! Nearly every EVTX record is one `TemplateInstance`: a template definition
//! (the event's XML with numbered substitutions, kept once per chunk) and the
//! record's own values (read by `super::values`). [`Templates`] reads a
//! chunk's template definitions into a [`Shape`]: the fields the rendered XML
//! would give to the fast XML reader (`super::scanner`), in the same order, each taken from a literal or
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
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use super::caches::Classes;
use super::canon::{canonical, Known};
use super::values::{filled, not_null, textual, u16_at, u32_at, utf16_text, Nested, Value, Values};
use super::walk::RecordBytes;
use crate::binxml::token::*;
use crate::event::RecordClass;
use crate::format::winevent::{self, Section, SystemField};
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
    /// What a record's values must be for this shape to read it: every
    /// substitution the templates use, once, `(instance, slot, checks)`,
    /// where `checks` holds [`FILLED`] for a substitution in a `Name` or
    /// `SystemTime` attribute (an empty value leaves the attribute out),
    /// [`TEXTUAL`] for one in a field's contents or beside elements (an
    /// array would repeat the element) and [`NOT_NULL`] for an element
    /// dependency (a null value leaves the element out). One pass per record.
    checks: Vec<(usize, u16, u8)>,
    provider: Option<usize>,
    event_id: Option<usize>,
    /// Classes of records of this shape, by the values their provider and
    /// event id come from ([`ClassKey`]): the text of a value is a function
    /// of its type and bytes, so a record with the same ones has the same
    /// class, without rendering those values nor comparing their text with
    /// every class known ([`Classes`]). At most [`CLASSES_PER_SHAPE`].
    classes: RefCell<Vec<(ClassKey, RecordClass)>>,
    /// Whether `evtx` built a record of this shape (its templates, nested
    /// ones included): then it builds every record of this shape whose
    /// values this module reads (`super::walk`).
    trusted: Cell<bool>,
}

/// How many classes a [`Shape`] keeps (a template is usually one event id
/// of one provider: one class).
const CLASSES_PER_SHAPE: usize = 8;

/// What a record's provider and event id come from, in a [`Shape`]: for
/// each, the type and bytes of its value (empty for a literal or no field).
#[derive(Debug, PartialEq, Eq)]
struct ClassKey {
    provider: (u8, Vec<u8>),
    event_id: (u8, Vec<u8>),
}

/// Whether `a` and `b` hold the same bytes, written to vectorise (OR-folding
/// the XOR of 64-byte blocks), since slice equality calls `memcmp`, which in
/// WebAssembly compares one byte at a time (template definitions, several
/// KiB, are compared once per chunk).
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let differ = |x: &[u8], y: &[u8]| x.iter().zip(y).fold(0u8, |acc, (p, q)| acc | (p ^ q));
    let (ba, bb) = (a.chunks_exact(64), b.chunks_exact(64));
    differ(ba.remainder(), bb.remainder()) == 0 && ba.zip(bb).all(|(x, y)| differ(x, y) == 0)
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

/// A string-table name: plain ASCII only (anything else is left to the
/// renderer). A function of the entry's length and units alone, which is
/// what `super::canon` writes of a name.
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

/// The local part of a name (`e:Event` → `Event`).
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

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
    section: Section,
    unnamed: usize,
    root_done: bool,
    /// Nested instances spliced so far (their instance number is this + 1).
    spliced: usize,
}

impl Walk {
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
        // The attribute being read: its local name and pieces.
        let mut attribute: Option<(String, Vec<Piece>)> = None;
        let mut pending: Option<Open> = None;
        while c.pos < c.data.len() {
            let token = c.u8()?;
            if matches!(
                token,
                ATTRIBUTE
                    | ATTRIBUTE_MORE
                    | CLOSE_START_ELEMENT
                    | CLOSE_EMPTY_ELEMENT
                    | END_OF_STREAM
            ) {
                if let Some((key, pieces)) = attribute.take() {
                    let open = pending.as_mut()?;
                    let relevant =
                        key == winevent::NAME_ATTRIBUTE || key == winevent::TIME_ATTRIBUTE;
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
                            winevent::NAME_ATTRIBUTE if open.name_attr.is_none() => {
                                open.name_attr = Some(piece)
                            }
                            winevent::TIME_ATTRIBUTE if open.time_attr.is_none() => {
                                open.time_attr = Some(piece)
                            }
                            _ => {}
                        }
                    }
                }
            }
            match token {
                FRAGMENT_HEADER => c.pos += 3,
                OPEN_START_ELEMENT | OPEN_START_ELEMENT_WITH_ATTRIBUTES => {
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
                    let name = name_at(chunk, at)?;
                    if token == OPEN_START_ELEMENT_WITH_ATTRIBUTES {
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
                ATTRIBUTE | ATTRIBUTE_MORE => {
                    pending.as_ref()?;
                    let at = c.name()?;
                    let name = name_at(chunk, at)?;
                    attribute = Some((String::from(local(&name)), Vec::new()));
                }
                CLOSE_START_ELEMENT | CLOSE_EMPTY_ELEMENT => {
                    self.start(pending.take()?, token == CLOSE_EMPTY_ELEMENT)?
                }
                END_ELEMENT => self.end()?,
                VALUE | VALUE_MORE | NORMAL_SUBSTITUTION | OPTIONAL_SUBSTITUTION => {
                    let piece = if token == VALUE || token == VALUE_MORE {
                        if c.u8()? != STRING_VALUE {
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
                END_OF_STREAM => break,
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
            self.section = match Section::of(open.local.as_bytes()) {
                Section::UserData => return None,
                section => section,
            };
        }
        let field = match (self.section, at) {
            (Section::System, 3) => match winevent::system_field(open.local.as_bytes()) {
                Some(SystemField::Attribute { field, attribute }) => {
                    let value = if attribute == winevent::NAME_ATTRIBUTE {
                        open.name_attr.take()
                    } else {
                        open.time_attr.take()
                    };
                    if let Some(value) = value {
                        self.fields.push(Field {
                            name: String::from(field),
                            value,
                        });
                    }
                    None
                }
                Some(SystemField::Text(field)) => Some(String::from(field)),
                None => None,
            },
            (Section::EventData, 3) => match (open.local.as_str(), open.name_attr.take()) {
                (winevent::DATA, Some(Piece::Literal(name))) => Some(name),
                (winevent::DATA, Some(_)) => return None,
                (winevent::DATA, None) => {
                    self.unnamed += 1;
                    Some(winevent::unnamed_data(self.unnamed))
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
    pub(super) fn read(chunk: &[u8], offset: usize, nested: &Nested) -> Option<Shape> {
        let mut walk = Walk::default();
        walk.template(chunk, offset, 0, nested)?;
        if !walk.root_done || walk.spliced != nested.len() {
            return None;
        }
        let names: Vec<&str> = walk.fields.iter().map(|f| f.name.as_str()).collect();
        let schema = Schema::resolve(&names);
        let provider = walk
            .fields
            .iter()
            .position(|f| f.name == winevent::PROVIDER);
        let event_id = walk
            .fields
            .iter()
            .position(|f| f.name == winevent::EVENT_ID);
        let checks = checks(&[
            (&walk.used, 0),
            (&walk.attributes, FILLED),
            (&walk.contents, TEXTUAL),
            (&walk.dependencies, NOT_NULL),
        ]);
        Some(Shape {
            fields: walk.fields,
            schema,
            checks,
            provider,
            event_id,
            classes: RefCell::new(Vec::new()),
            trusted: Cell::new(false),
        })
    }

    /// Whether `evtx` was seen to build a record of this shape.
    pub(super) fn trusted(&self) -> bool {
        self.trusted.get()
    }

    /// Note that `evtx` built a record of this shape.
    pub(super) fn trust(&self) {
        self.trusted.set(true);
    }

    /// The class kept for a record whose provider and event id values are
    /// `provider` and `event_id` (type and bytes).
    fn class_of(&self, provider: (u8, &[u8]), event_id: (u8, &[u8])) -> Option<RecordClass> {
        let same =
            |(kind, bytes): &(u8, Vec<u8>), (k, b): (u8, &[u8])| *kind == k && same_bytes(bytes, b);
        let classes = self.classes.borrow();
        let (_, class) = classes
            .iter()
            .find(|(key, _)| same(&key.event_id, event_id) && same(&key.provider, provider))?;
        Some(class.clone())
    }

    /// Keep the class of a record whose values are `provider` and `event_id`.
    fn keep_class(&self, provider: (u8, &[u8]), event_id: (u8, &[u8]), class: &RecordClass) {
        let mut classes = self.classes.borrow_mut();
        if classes.len() < CLASSES_PER_SHAPE {
            let key = ClassKey {
                provider: (provider.0, provider.1.to_vec()),
                event_id: (event_id.0, event_id.1.to_vec()),
            };
            classes.push((key, class.clone()));
        }
    }
}

/// A [`Shape::checks`] flag: the value must be [`filled`].
const FILLED: u8 = 1;
/// A [`Shape::checks`] flag: the value must be [`textual`].
const TEXTUAL: u8 = 2;
/// A [`Shape::checks`] flag: the value must be [`not_null`].
const NOT_NULL: u8 = 4;

/// The substitutions of `lists`, each once, sorted, with the flags of
/// every list it is in (a list's flag may be 0: present only).
fn checks(lists: &[(&Vec<(usize, u16)>, u8)]) -> Vec<(usize, u16, u8)> {
    let mut all: Vec<(usize, u16, u8)> = lists
        .iter()
        .flat_map(|(list, flag)| list.iter().map(move |&(i, slot)| (i, slot, *flag)))
        .collect();
    all.sort_unstable();
    let mut merged: Vec<(usize, u16, u8)> = Vec::with_capacity(all.len());
    for (i, slot, flag) in all {
        match merged.last_mut() {
            Some(last) if (last.0, last.1) == (i, slot) => last.2 |= flag,
            _ => merged.push((i, slot, flag)),
        }
    }
    merged
}

/// Whether value `v` passes the [`Shape::checks`] flags `checks`.
fn passes(data: &[u8], v: Value, checks: u8) -> bool {
    (checks & FILLED == 0 || filled(data, v))
        && (checks & TEXTUAL == 0 || textual(v))
        && (checks & NOT_NULL == 0 || not_null(v))
}

/// What a shape is read from: a definition offset, and the instances nested in the values.
type ShapeKey = (usize, Nested);

/// How many shapes of one chunk [`Templates`] keeps.
const SHAPES: usize = 64;

/// Template shapes of the chunk being read, by definition offsets.
#[derive(Default)]
pub(super) struct Templates {
    shapes: Vec<(ShapeKey, Option<Rc<Shape>>)>,
    /// Shapes of earlier chunks, by canonical form (`super::canon`), tried
    /// before reading a template again.
    known: Known,
    /// The canonical form of the definition being looked up (one buffer, reused).
    form: Vec<u8>,
    /// How many times a shape was read ([`Shape::read`]; the tests count them).
    #[cfg(test)]
    pub(super) shape_reads: usize,
    values: Values,
    classes: Classes,
    /// Where in `shapes` the last record's shape was found.
    last: usize,
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
    pub(super) fn view(&mut self, record: &RecordBytes<'_>) -> Option<(View, RecordClass)> {
        let definition = self.values.read(record)?;
        let data = record.data;
        let nested = &self.values.nested;
        // Records of one template mostly come in runs: the last shape first
        // (the keys are unique, so this finds what a search from the start finds).
        let same = |((at, n), _): &&(ShapeKey, Option<Rc<Shape>>)| *at == definition && n == nested;
        let known = match self.shapes.get(self.last).filter(same) {
            Some(hit) => Some(hit),
            None => {
                let i = self.shapes.iter().position(|s| same(&s));
                if let Some(i) = i {
                    self.last = i;
                }
                i.and_then(|i| self.shapes.get(i))
            }
        };
        let shape = match known {
            Some((_, shape)) => shape.clone()?,
            None => {
                // A definition of an earlier chunk with the same canonical
                // form has the same shape (or none): see `super::canon`.
                let form = canonical(data, definition, nested, &mut self.form);
                let shape = match form.and_then(|()| self.known.get(&self.form)) {
                    Some(shape) => shape,
                    None => {
                        #[cfg(test)]
                        {
                            self.shape_reads += 1;
                        }
                        let shape = Shape::read(data, definition, nested).map(Rc::new);
                        if form.is_some() {
                            self.known.keep(&self.form, shape.clone());
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
        if !shape
            .checks
            .iter()
            .all(|&(i, slot, checks)| values.get(i, slot).is_some_and(|v| passes(data, v, checks)))
        {
            return None;
        }
        // The type and bytes of the value a field is (empty for a literal).
        let raw = |i: Option<usize>| -> Option<(u8, &[u8])> {
            match i.and_then(|i| shape.fields.get(i)).map(|f| &f.value) {
                Some(&Piece::Slot { instance, slot }) => {
                    let (kind, at, size) = values.get(instance, slot)?;
                    Some((kind, data.get(at..at + size)?))
                }
                _ => Some((0, &[])),
            }
        };
        let (provider_raw, event_id_raw) = (raw(shape.provider)?, raw(shape.event_id)?);
        if let Some(class) = shape.class_of(provider_raw, event_id_raw) {
            return Some((View { shape }, class));
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
        shape.keep_class(provider_raw, event_id_raw, &class);
        Some((View { shape }, class))
    }

    /// Whether `evtx` builds the current record (of `view`) as read here,
    /// and at least how many nodes it builds for it (see `super::walk`):
    /// `None` when that is not known.
    pub(super) fn built_alike(&self, data: &[u8], view: &View) -> Option<usize> {
        (view.shape.trusted() && self.values.flat()).then(|| self.values.node_bound(data))
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
    use super::same_bytes;
    use super::{checks, passes, FILLED, NOT_NULL, TEXTUAL};
    use crate::binxml::value::{ARRAY, NULL, STRING};
    use crate::format::evtx::values::{filled, not_null, textual};

    #[test]
    fn merged_checks_are_each_lists_checks() {
        let used = alloc::vec![(0, 3), (0, 1), (1, 0), (0, 1)];
        let attributes = alloc::vec![(0, 1)];
        let contents = alloc::vec![(0, 3), (0, 1)];
        let dependencies = alloc::vec![(1, 0), (0, 5)];
        let merged = checks(&[
            (&used, 0),
            (&attributes, FILLED),
            (&contents, TEXTUAL),
            (&dependencies, NOT_NULL),
        ]);
        assert_eq!(
            merged,
            alloc::vec![
                (0, 1, FILLED | TEXTUAL),
                (0, 3, TEXTUAL),
                (0, 5, NOT_NULL),
                (1, 0, NOT_NULL)
            ]
        );
        // A value passes the merged flags when it passes each list's test.
        let data = [b'a', 0, 0, 0];
        let values = [
            (STRING, 0, 2),
            (STRING, 2, 2),
            (NULL, 0, 0),
            (STRING | ARRAY, 0, 2),
        ];
        for v in values {
            for flags in 0..8u8 {
                let each = (flags & FILLED == 0 || filled(&data, v))
                    && (flags & TEXTUAL == 0 || textual(v))
                    && (flags & NOT_NULL == 0 || not_null(v));
                assert_eq!(passes(&data, v, flags), each, "{v:?} {flags}");
            }
        }
    }

    #[test]
    fn same_bytes_is_slice_equality() {
        let long: alloc::vec::Vec<u8> = (0..=255).collect();
        let cases: [(&[u8], &[u8]); 8] = [
            (b"", b""),
            (b"a", b"a"),
            (b"a", b"b"),
            (b"abcdefgh", b"abcdefgh"),
            (b"abcdefghi", b"abcdefghj"),
            (b"abcdefgh1", b"abcdefgh"),
            (b"xbcdefghijklmnop", b"abcdefghijklmnop"),
            (&long, &long),
        ];
        for (a, b) in cases {
            assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
        }
        let mut other = long.clone();
        for i in [0, 7, 8, 100, 255] {
            other[i] ^= 1;
            assert!(!same_bytes(&long, &other), "{i}");
            other[i] ^= 1;
        }
    }
}
