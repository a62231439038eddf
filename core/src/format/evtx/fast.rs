//! A fast field reader for the XML that `evtx` renders, and the records it feeds.
//!
//! It reads what [`crate::format::xml::event_fields`] reads, the same way (the
//! tests compare the two on every real log), but as byte ranges into the
//! rendered text, in one pass that can stop after `System`: elements,
//! attributes in either quote, text with references. Anything else
//! (comments, CDATA, a DOCTYPE, broken markup) makes it give up, and the full
//! XML reader takes the record.
//!
//! A process creation becomes a [`SpanRecord`]: its values are read from the
//! rendered text only when the scanner asks for them, through a
//! [`Schema`] resolved once per set of field names (records of one template
//! share them). Other events become a [`SystemOnly`]: their class is known
//! from `System`, and the rest is read if anyone asks.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::OnceCell;

use memchr::memchr;
use memchr::memmem::{self, Finder};

use crate::event::{Columns, Position, ProcessEvent, ProcessIds, Record, RecordClass};
use crate::format::named::NamedRecord;
use crate::format::winevent::classify;
use crate::format::xml::event_fields;
use crate::mapping::{Schema, Target};
use crate::time::Timestamp;

/// Where a field's name comes from.
#[derive(Debug, Clone, Copy)]
enum Name {
    /// A `System` field.
    Fixed(&'static str),
    /// Bytes of the text (an element name or a `Name` attribute), escaped or not.
    Text(usize, usize, bool),
    /// The n-th `Data` without a `Name`.
    Unnamed(usize),
}

/// One field: its name, and its value as a byte range (escaped or not).
#[derive(Debug, Clone, Copy)]
pub(super) struct FieldSpan {
    name: Name,
    start: usize,
    end: usize,
    escaped: bool,
}

fn text_of(xml: &str, start: usize, end: usize, escaped: bool) -> Cow<'_, str> {
    let raw = xml.get(start..end).unwrap_or("");
    if escaped {
        quick_xml::escape::unescape(raw).unwrap_or(Cow::Borrowed(raw))
    } else {
        Cow::Borrowed(raw)
    }
}

impl FieldSpan {
    fn name<'a>(&self, xml: &'a str) -> Cow<'a, str> {
        match self.name {
            Name::Fixed(n) => Cow::Borrowed(n),
            Name::Text(s, e, escaped) => text_of(xml, s, e, escaped),
            Name::Unnamed(n) => Cow::Owned(format!("Data[{n}]")),
        }
    }

    fn name_is(&self, xml: &str, wanted: &str) -> bool {
        match self.name {
            Name::Fixed(n) => n == wanted,
            Name::Text(s, e, false) => xml.get(s..e) == Some(wanted),
            _ => self.name(xml) == wanted,
        }
    }

    fn value<'a>(&self, xml: &'a str) -> Cow<'a, str> {
        text_of(xml, self.start, self.end, self.escaped)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    System,
    EventData,
    UserData,
    Ignored,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where a scan of one rendered record is.
pub(super) struct Scan<'x> {
    xml: &'x [u8],
    pos: usize,
    depth: usize,
    section: Section,
    /// The element whose text is being read: its field name, depth, and where its text starts.
    capture: Option<(Name, usize, usize)>,
    unnamed: usize,
    started: bool,
    /// Whether the record has any `&` at all (most have none).
    any_amp: bool,
}

/// How far a scan went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reached {
    /// The end of `System` (asked to stop there).
    SystemEnd,
    /// The end of the event.
    End,
}

impl<'x> Scan<'x> {
    /// A scan at the start of `xml`.
    pub(super) fn new(xml: &'x [u8]) -> Self {
        Scan {
            xml,
            pos: 0,
            depth: 0,
            section: Section::Ignored,
            capture: None,
            unnamed: 0,
            started: false,
            any_amp: memchr(b'&', xml).is_some(),
        }
    }

    /// Whether `xml[start..end]` is escaped text; `None` when a reference
    /// is not one the full reader takes.
    fn escaped(&self, start: usize, end: usize) -> Option<bool> {
        if !self.any_amp {
            return Some(false);
        }
        let raw = self.xml.get(start..end)?;
        if memchr(b'&', raw).is_none() {
            return Some(false);
        }
        let text = core::str::from_utf8(raw).ok()?;
        quick_xml::escape::unescape(text).ok()?;
        Some(true)
    }

    fn skip_space(&self, mut i: usize) -> Option<usize> {
        while is_space(*self.xml.get(i)?) {
            i += 1;
        }
        Some(i)
    }

    /// Read fields into `out` until the end of the event, or of `System`
    /// when `system_only`. `None`: markup this reader leaves to the full one.
    pub(super) fn run(&mut self, out: &mut Vec<FieldSpan>, system_only: bool) -> Option<Reached> {
        let xml = self.xml;
        while let Some(j) = memchr(b'<', xml.get(self.pos..)?) {
            let lt = self.pos + j;
            if self.section == Section::EventData && self.depth == 2 && self.data(lt, out)? {
                continue;
            }
            match *xml.get(lt + 1)? {
                b'?' if !self.started => {
                    self.pos = lt + memmem::find(xml.get(lt..)?, b"?>")? + 2;
                }
                b'?' | b'!' => return None,
                b'/' => {
                    let mut gt = lt + 2;
                    while *xml.get(gt)? != b'>' {
                        gt += 1;
                    }
                    if let Some((name, at, start)) = self.capture.take() {
                        if at == self.depth {
                            let escaped = self.escaped(start, lt)?;
                            out.push(FieldSpan {
                                name,
                                start,
                                end: lt,
                                escaped,
                            });
                        }
                    }
                    let system_end = self.depth == 2 && self.section == Section::System;
                    self.depth = self.depth.checked_sub(1)?;
                    self.pos = gt + 1;
                    if self.depth == 0 {
                        return Some(Reached::End);
                    }
                    if system_only && system_end {
                        return Some(Reached::SystemEnd);
                    }
                }
                _ => {
                    if self.start_tag(lt, out)? {
                        return Some(Reached::End); // `<Event/>`
                    }
                }
            }
        }
        None
    }

    /// The common shape of an `EventData` field, `<Data Name="N">value</Data>`
    /// (or `<Data Name="N"/>`), at `xml[lt]`, read in one go; `Some(false)`
    /// when it is something else (the general path reads it then).
    fn data(&mut self, lt: usize, out: &mut Vec<FieldSpan>) -> Option<bool> {
        const OPEN: &[u8] = b"<Data Name=\"";
        const CLOSE: &[u8] = b"</Data>";
        let xml = self.xml;
        let rest = xml.get(lt..)?;
        if !rest.starts_with(OPEN) {
            return Some(false);
        }
        let name_start = lt + OPEN.len();
        let name_end = name_start + memchr(b'"', xml.get(name_start..)?)?;
        let after = xml.get(name_end + 1..)?;
        let (start, end, next) = if after.starts_with(b">") {
            let start = name_end + 2;
            let end = start + memchr(b'<', xml.get(start..)?)?;
            if !xml.get(end..)?.starts_with(CLOSE) {
                return Some(false);
            }
            (start, end, end + CLOSE.len())
        } else if after.starts_with(b"/>") {
            (0, 0, name_end + 3)
        } else {
            return Some(false);
        };
        let name = Name::Text(name_start, name_end, self.escaped(name_start, name_end)?);
        let escaped = self.escaped(start, end)?;
        out.push(FieldSpan {
            name,
            start,
            end,
            escaped,
        });
        self.pos = next;
        Some(true)
    }

    /// A start tag at `xml[lt]`; `Some(true)` when it is an empty root.
    fn start_tag(&mut self, lt: usize, out: &mut Vec<FieldSpan>) -> Option<bool> {
        let xml = self.xml;
        if self.started && self.depth == 0 {
            return None;
        }
        self.started = true;
        let name_start = lt + 1;
        let mut name_end = name_start;
        let mut colon = name_start;
        loop {
            match *xml.get(name_end)? {
                b'>' | b'/' => break,
                b if is_space(b) => break,
                b':' => colon = name_end + 1,
                _ => {}
            }
            name_end += 1;
        }
        let local_start = colon;
        let local = xml.get(local_start..name_end)?;
        // Attributes: the ones a field needs.
        let mut i = name_end;
        let mut name_attr = None;
        let mut time_attr = None;
        let empty = loop {
            i = self.skip_space(i)?;
            match *xml.get(i)? {
                b'>' => {
                    i += 1;
                    break false;
                }
                b'/' if xml.get(i + 1) == Some(&b'>') => {
                    i += 2;
                    break true;
                }
                _ => {}
            }
            let key_start = i;
            let mut key_local = i;
            loop {
                match *xml.get(i)? {
                    b'=' | b'>' => break,
                    b if is_space(b) => break,
                    b':' => key_local = i + 1,
                    _ => {}
                }
                i += 1;
            }
            if i == key_start {
                return None;
            }
            let key = xml.get(key_local..i)?;
            i = self.skip_space(i)?;
            if *xml.get(i)? != b'=' {
                return None;
            }
            i = self.skip_space(i + 1)?;
            let quote = *xml.get(i)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            let v_start = i + 1;
            let v_end = v_start + memchr(quote, xml.get(v_start..)?)?;
            match key {
                b"Name" if name_attr.is_none() => {
                    name_attr = Some((v_start, v_end, self.escaped(v_start, v_end)?));
                }
                b"SystemTime" if time_attr.is_none() => {
                    time_attr = Some((v_start, v_end, self.escaped(v_start, v_end)?));
                }
                _ => {
                    self.escaped(v_start, v_end)?;
                }
            }
            i = v_end + 1;
        };
        self.pos = i;
        let at = self.depth + 1;
        self.capture = None;
        if !empty {
            self.depth += 1;
            if at == 2 {
                self.section = match local {
                    b"System" => Section::System,
                    b"EventData" => Section::EventData,
                    b"UserData" => Section::UserData,
                    _ => Section::Ignored,
                };
            }
        }
        let element = Name::Text(local_start, name_end, false);
        let field = match self.section {
            Section::System if at == 3 => match local {
                b"Provider" | b"TimeCreated" => {
                    let (attr, fixed) = if local == b"Provider" {
                        (name_attr, "Provider")
                    } else {
                        (time_attr, "TimeCreated")
                    };
                    if let Some((start, end, escaped)) = attr {
                        out.push(FieldSpan {
                            name: Name::Fixed(fixed),
                            start,
                            end,
                            escaped,
                        });
                    }
                    None
                }
                b"EventID" => Some(Name::Fixed("EventID")),
                b"EventRecordID" => Some(Name::Fixed("EventRecordID")),
                b"Channel" => Some(Name::Fixed("Channel")),
                b"Computer" => Some(Name::Fixed("Computer")),
                _ => None,
            },
            Section::EventData if at == 3 => match (local, name_attr) {
                (b"Data", Some((s, e, escaped))) => Some(Name::Text(s, e, escaped)),
                (b"Data", None) => {
                    self.unnamed += 1;
                    Some(Name::Unnamed(self.unnamed))
                }
                _ => Some(element),
            },
            Section::UserData if at >= 3 => Some(element),
            _ => None,
        };
        if let Some(name) = field {
            if empty {
                out.push(FieldSpan {
                    name,
                    start: 0,
                    end: 0,
                    escaped: false,
                });
            } else {
                self.capture = Some((name, at, i));
            }
        }
        Some(empty && at == 1)
    }
}

/// The usual head of a rendered record, found without reading it tag by tag:
/// `System`'s `<Provider Name="...">` and `<EventID ...>N</EventID>`.
pub(super) struct Head {
    system_end: Finder<'static>,
    provider: Finder<'static>,
    event_id: Finder<'static>,
    /// Classes already built, by provider and event id.
    classes: Vec<(Vec<u8>, Vec<u8>, RecordClass)>,
}

/// How many classes [`Head`] keeps.
const CLASSES: usize = 256;

impl Default for Head {
    fn default() -> Self {
        Head {
            system_end: Finder::new(b"</System>"),
            provider: Finder::new(b"<Provider Name=\""),
            event_id: Finder::new(b"<EventID"),
            classes: Vec::new(),
        }
    }
}

impl Head {
    /// The class of the record, when its head has the usual shape (no
    /// references, attributes where `evtx` puts them); `None` otherwise.
    pub(super) fn class(&mut self, xml: &[u8]) -> Option<RecordClass> {
        let system = xml.get(..self.system_end.find(xml)?)?;
        let p = self.provider.find(system)? + self.provider.needle().len();
        let provider = system.get(p..p + memchr(b'"', system.get(p..)?)?)?;
        let e = self.event_id.find(system)? + self.event_id.needle().len();
        let gt = e + memchr(b'>', system.get(e..)?)?;
        let attributes = system.get(e..gt)?;
        // `<EventID>` or `<EventID Qualifiers="...">`, whose `>` is not in a value.
        let quotes = attributes.iter().filter(|&&b| b == b'"').count();
        if !(attributes.is_empty() || attributes.starts_with(b" "))
            || quotes % 2 == 1
            || memchr(b'\'', attributes).is_some()
        {
            return None;
        }
        let text_end = gt + 1 + memchr(b'<', system.get(gt + 1..)?)?;
        if !system.get(text_end..)?.starts_with(b"</EventID") {
            return None;
        }
        let id = system.get(gt + 1..text_end)?;
        if memchr(b'&', provider).is_some() || memchr(b'&', id).is_some() {
            return None;
        }
        if let Some(i) = self
            .classes
            .iter()
            .position(|(p, e, _)| p == provider && e == id)
        {
            return Some(self.classes[i].2.clone());
        }
        let class = classify(
            Some(core::str::from_utf8(provider).ok()?.trim()),
            Some(core::str::from_utf8(id).ok()?.trim()),
        );
        if self.classes.len() < CLASSES {
            self.classes
                .push((provider.to_vec(), id.to_vec(), class.clone()));
        }
        Some(class)
    }
}

/// The class of a record from its spans.
pub(super) fn class_of(xml: &str, spans: &[FieldSpan]) -> RecordClass {
    let get = |name: &str| {
        spans
            .iter()
            .find(|s| s.name_is(xml, name))
            .map(|s| s.value(xml))
    };
    let provider = get("Provider");
    let id = get("EventID");
    classify(
        provider.as_deref().map(str::trim),
        id.as_deref().map(str::trim),
    )
}

pub(super) fn materialize(xml: &str, spans: &[FieldSpan]) -> Vec<(String, String)> {
    spans
        .iter()
        .map(|s| (s.name(xml).into_owned(), s.value(xml).into_owned()))
        .collect()
}

/// An event that is not a process creation, read up to `System`.
pub(super) struct SystemOnly<'a> {
    pub(super) xml: &'a str,
    pub(super) system: &'a [FieldSpan],
    pub(super) position: Position,
    pub(super) class: RecordClass,
    pub(super) full: OnceCell<NamedRecord>,
}

impl SystemOnly<'_> {
    fn full(&self) -> &NamedRecord {
        self.full.get_or_init(|| {
            let mut spans = Vec::new();
            let fields = match Scan::new(self.xml.as_bytes()).run(&mut spans, false) {
                Some(_) => materialize(self.xml, &spans),
                None => {
                    event_fields(self.xml).unwrap_or_else(|_| materialize(self.xml, self.system))
                }
            };
            NamedRecord::new(fields, self.position).with_class(self.class.clone())
        })
    }
}

impl Record for SystemOnly<'_> {
    fn position(&self) -> Position {
        self.position
    }
    fn class(&self) -> RecordClass {
        self.class.clone()
    }
    fn timestamp(&self) -> Result<Option<Timestamp>, String> {
        self.full().timestamp()
    }
    fn file_name(&self) -> Cow<'_, str> {
        self.full().file_name()
    }
    fn event(&self) -> ProcessEvent {
        self.full().event()
    }
    fn fields(&self) -> Vec<(String, String)> {
        self.full().fields()
    }
    fn process_ids(&self) -> Option<ProcessIds> {
        self.full().process_ids()
    }
}

/// How many sets of field names [`Schemas`] keeps.
const SCHEMAS: usize = 32;

/// Resolved schemas, one per set of field names, most recently used first.
#[derive(Default)]
pub(super) struct Schemas {
    list: Vec<(Vec<String>, Schema)>,
}

impl Schemas {
    /// The schema of the field names in `spans`.
    pub(super) fn get(&mut self, xml: &str, spans: &[FieldSpan]) -> &Schema {
        let same = |(names, _): &(Vec<String>, Schema)| {
            names.len() == spans.len()
                && names
                    .iter()
                    .zip(spans)
                    .all(|(name, span)| span.name_is(xml, name))
        };
        match self.list.iter().position(same) {
            Some(i) => self.list[..=i].rotate_right(1),
            None => {
                let names: Vec<String> = spans.iter().map(|s| s.name(xml).into_owned()).collect();
                let schema = Schema::resolve(&names);
                self.list.truncate(SCHEMAS - 1);
                self.list.insert(0, (names, schema));
            }
        }
        &self.list[0].1
    }
}

/// A process creation read as spans of the rendered text, mapped like a
/// [`NamedRecord`] of the same fields would be.
pub(super) struct SpanRecord<'a> {
    pub(super) xml: &'a str,
    pub(super) spans: &'a [FieldSpan],
    pub(super) schema: &'a Schema,
    pub(super) position: Position,
    pub(super) class: RecordClass,
}

impl Columns for SpanRecord<'_> {
    fn column(&self, target: Target) -> Cow<'_, str> {
        match self.schema.get(target) {
            Some((i, transform)) => match self.spans.get(i) {
                Some(span) => transform.apply(span.value(self.xml)),
                None => Cow::Borrowed(""),
            },
            None => Cow::Borrowed(""),
        }
    }
    fn has_column(&self, target: Target) -> bool {
        self.schema.get(target).is_some()
    }
}

impl Record for SpanRecord<'_> {
    fn position(&self) -> Position {
        self.position
    }
    fn class(&self) -> RecordClass {
        self.class.clone()
    }
    fn timestamp(&self) -> Result<Option<Timestamp>, String> {
        self.column_timestamp()
    }
    fn file_name(&self) -> Cow<'_, str> {
        self.column(Target::FileName)
    }
    fn event(&self) -> ProcessEvent {
        self.column_event()
    }
    fn fields(&self) -> Vec<(String, String)> {
        materialize(self.xml, self.spans)
    }
    fn process_ids(&self) -> Option<ProcessIds> {
        self.column_process_ids()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::xml::event_fields;

    fn fields(xml: &str) -> Option<Vec<(String, String)>> {
        let mut spans = Vec::new();
        Scan::new(xml.as_bytes()).run(&mut spans, false)?;
        Some(materialize(xml, &spans))
    }

    #[test]
    fn reads_what_the_full_reader_reads() {
        let cases = [
            "<?xml version=\"1.0\"?>\n<Event xmlns=\"x\"><System><Provider Name=\"P&amp;Q\" Guid='{1}'/><EventID Qualifiers=\"0\">1</EventID><TimeCreated SystemTime=\"2020-01-01T00:00:00Z\"/><Computer/></System><EventData><Data Name=\"A\">a &lt;b&gt; &#x41;</Data><Data>x</Data><Data Name=\"E\"></Data><Binary>00</Binary></EventData></Event>",
            "<Event><System><Channel>Security</Channel></System><UserData><W xmlns=\"u\"><A>1</A><B><C>2</C></B><D/></W></UserData></Event>",
            "<Event/>",
            "<e:Event xmlns:e=\"x\"><e:System><e:Provider e:Name=\"p\"/></e:System></e:Event>",
        ];
        for xml in cases {
            let full = event_fields(xml).unwrap();
            assert_eq!(fields(xml), Some(full), "{xml}");
        }
    }

    #[test]
    fn stops_after_system_when_asked_and_goes_on_from_there() {
        let xml = "<Event><System><Provider Name=\"p\"/><EventID>1</EventID></System><EventData><Data Name=\"A\">a</Data></EventData></Event>";
        let mut spans = Vec::new();
        let mut scan = Scan::new(xml.as_bytes());
        assert_eq!(scan.run(&mut spans, true), Some(Reached::SystemEnd));
        assert_eq!(spans.len(), 2);
        assert_eq!(scan.run(&mut spans, false), Some(Reached::End));
        assert_eq!(materialize(xml, &spans), event_fields(xml).unwrap());
    }

    #[test]
    fn leaves_other_markup_to_the_full_reader() {
        for xml in [
            "<Event><!-- c --><System/></Event>",
            "<Event><System><Computer><![CDATA[x]]></Computer></System></Event>",
            "<Event><System><Computer>&bogus;</Computer></System></Event>",
            "<Event><System></Event>",
            "<Event><System>",
            "<Event a=b/>",
        ] {
            assert_eq!(fields(xml), None, "{xml}");
        }
    }
}
