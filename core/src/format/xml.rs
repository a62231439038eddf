//! Windows event XML: Event Viewer "Save as XML" (an `<Events>` root around
//! `<Event>` elements), `wevtutil qe /f:xml` (a run of `<Event>` elements
//! with no root) and `evtx_dump` XML (`Record N` lines, each followed by an
//! `<?xml ...?>` declaration and one `<Event>`).
//!
//! # Streaming
//!
//! [`XmlDecoder`] splits the text into `<Event>` elements with a small
//! resumable tokenizer (tags, quoted attribute values, comments, CDATA,
//! processing instructions, `<!DOCTYPE>`), so only the current event is held in
//! memory, whatever the chunking. Everything outside `<Event>` elements (the
//! root, declarations, `Record N` lines) is passed over. An event over
//! [`MAX_RECORD_BYTES`] is skipped with a reason and the file goes on; an
//! `<Event>` that is not closed before the next one starts, or before the end
//! of the file, is skipped too.
//!
//! # Entities
//!
//! Only the five predefined entities and numeric character references are
//! expanded. A `<!DOCTYPE>` is read past and never processed: an event that
//! refers to an entity it declares (a "billion laughs" file, say) is skipped
//! with the entity's name, in bounded time and memory.
//!
//! # Fields
//!
//! [`event_fields`] turns one `<Event>` into named fields, shared with the
//! EVTX decoder so both give the same record for the same event: from
//! `System` the `Provider` (its `Name`), `EventID`, `TimeCreated` (its
//! `SystemTime`), `EventRecordID`, `Channel` and `Computer`; every
//! `EventData/Data` as its `Name` and text (an unnamed one as `Data[n]`, and
//! `Binary` as is); every leaf element of `UserData` by its name.
//! `RenderingInfo` (Event Viewer's rendered message) is left out. Text is
//! kept verbatim: no trimming, no line-end normalisation.
//! The names, and [`event_class`]'s classifier, are [`super::winevent`]'s,
//! shared with every other reader of Windows events.
//!
//! Byte positions count the UTF-8 text (for UTF-16 input, the text after
//! conversion), plus the byte-order mark.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use memchr::memmem;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::named::NamedRecord;
use super::text::{self, Front};
use super::winevent::{self, Section, SystemField};
use super::{DecodeError, DecodeErrorKind as Kind, Decoder, MAX_RECORD_BYTES};
use crate::event::{Position, RecordClass, RecordSink, Skip};

pub use super::winevent::{SECURITY_PROVIDER, SYSMON_PROVIDER};

/// An element whose text becomes a field.
struct Capture {
    name: String,
    value: String,
    depth: usize,
}

/// The fields of one `<Event>` element, in source order (see the
/// [module docs](self)). `Err` says why the XML cannot be read.
///
/// ```
/// use cmdhunt_core::format::xml::event_fields;
/// let xml = r#"<Event><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>1</EventID>
///   <Computer>pc1</Computer></System><EventData><Data Name="Image">C:\a&amp;b.exe</Data></EventData></Event>"#;
/// let fields = event_fields(xml).unwrap();
/// assert_eq!(fields[0], ("Provider".into(), "Microsoft-Windows-Sysmon".into()));
/// assert_eq!(fields[3], ("Image".into(), r"C:\a&b.exe".into()));
/// ```
pub fn event_fields(xml: &str) -> Result<Vec<(String, String)>, String> {
    event_fields_or_kind(xml).map_err(|(_, message)| message)
}

/// Why an event cannot be read: its kind ([`Kind::XmlSyntax`] or
/// [`Kind::XmlEntity`]) and the words.
pub(crate) type Unreadable = (Kind, String);

/// [`event_fields`], with the kind of failure.
pub(crate) fn event_fields_or_kind(xml: &str) -> Result<Vec<(String, String)>, Unreadable> {
    let mut fields = Vec::with_capacity(32);
    walk(xml, &mut fields)?;
    Ok(fields)
}

fn walk(xml: &str, out: &mut Vec<(String, String)>) -> Result<(), Unreadable> {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut section = Section::Ignored;
    let mut capture: Option<Capture> = None;
    let mut unnamed = 0usize;
    let mut seen_event = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            let at = reader.error_position();
            (Kind::XmlSyntax, format!("{e} (at byte {at} of the event)"))
        })?;
        match event {
            Event::Start(e) => {
                depth += 1;
                seen_event = true;
                // A child element: its parent's text is not a field.
                capture = None;
                let name = local(&e);
                if depth == 2 {
                    section = Section::of(name.as_bytes());
                }
                if let Some(field) = field_for(section, depth, name, &e, &mut unnamed, out)? {
                    capture = Some(Capture {
                        name: field,
                        value: String::new(),
                        depth,
                    });
                }
            }
            Event::Empty(e) => {
                seen_event = true;
                if depth == 0 {
                    break; // `<Event/>`: no fields.
                }
                let name = local(&e);
                capture = None;
                if let Some(field) = field_for(section, depth + 1, name, &e, &mut unnamed, out)? {
                    out.push((field, String::new()));
                }
            }
            Event::Text(t) => {
                if let Some(c) = capture.as_mut() {
                    c.value.push_str(&t);
                }
            }
            Event::CData(t) => {
                if let Some(c) = capture.as_mut() {
                    c.value.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let ch = resolve_reference(&r)?;
                if let Some(c) = capture.as_mut() {
                    c.value.push(ch);
                }
            }
            Event::End(_) => {
                if let Some(c) = capture.take() {
                    if c.depth == depth {
                        out.push((c.name, c.value));
                    }
                }
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            Event::Eof => {
                if depth > 0 {
                    return Err((
                        Kind::XmlSyntax,
                        "the event ends before its elements are closed".to_string(),
                    ));
                }
                break;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !seen_event {
        return Err((Kind::XmlSyntax, "no element in the event text".to_string()));
    }
    Ok(())
}

/// The local name of an element (`e:Data` → `Data`).
fn local<'a>(e: &'a BytesStart<'_>) -> &'a str {
    let name = e.name().0;
    name.rsplit(':').next().unwrap_or(name)
}

/// What an element at `depth` (the event is depth 1) contributes: `Ok(Some)`
/// the name of a field its text fills; attribute fields are pushed here.
fn field_for(
    section: Section,
    depth: usize,
    name: &str,
    e: &BytesStart<'_>,
    unnamed: &mut usize,
    out: &mut Vec<(String, String)>,
) -> Result<Option<String>, Unreadable> {
    match section {
        Section::System if depth == 3 => match winevent::system_field(name.as_bytes()) {
            Some(SystemField::Attribute {
                field,
                attribute: a,
            }) => {
                if let Some(v) = attribute(e, a)? {
                    out.push((field.to_string(), v));
                }
                Ok(None)
            }
            Some(SystemField::Text(field)) => Ok(Some(field.to_string())),
            None => Ok(None),
        },
        Section::EventData if depth == 3 => match name {
            winevent::DATA => match attribute(e, winevent::NAME_ATTRIBUTE)? {
                Some(n) => Ok(Some(n)),
                None => {
                    *unnamed += 1;
                    Ok(Some(winevent::unnamed_data(*unnamed)))
                }
            },
            other => Ok(Some(other.to_string())),
        },
        // The leaves under the provider's own element.
        Section::UserData if depth >= 3 => Ok(Some(name.to_string())),
        _ => Ok(None),
    }
}

/// An attribute's value with references expanded (predefined and numeric only).
fn attribute(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, Unreadable> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| (Kind::XmlSyntax, format!("bad attribute: {err}")))?;
        let k = a.key.0;
        if k.rsplit(':').next().unwrap_or(k) == key {
            let value = quick_xml::escape::unescape(&a.value).map_err(|err| {
                (Kind::XmlEntity, format!("attribute {key}: {err} (only the predefined XML entities and character references are expanded)"))
            })?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// A reference in text: a character reference or one of the five predefined entities.
fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<char, Unreadable> {
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(c),
            _ => Err((
                Kind::XmlEntity,
                format!("bad character reference &{};", &**r),
            )),
        };
    }
    match &**r {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err((
            Kind::XmlEntity,
            format!(
                "entity &{other}; is not expanded: only the five predefined XML entities and character references are (a DOCTYPE's entities never are)"
            ),
        )),
    }
}

/// The class of an event from its `Provider` and `EventID` fields
/// ([`winevent::classify`]): Sysmon 1 (Windows or Linux) and
/// Security-Auditing 4688 are process creations; anything else is labelled
/// `Sysmon event 3`, `Security event 4624`, `<provider> event <id>`.
pub fn event_class(fields: &[(String, String)]) -> RecordClass {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    winevent::classify(get(winevent::PROVIDER), get(winevent::EVENT_ID))
}

/// Turn the text of one `<Event>` into a record, or the reason it cannot be read.
pub(crate) fn event_record(xml: &str, position: Position) -> Result<NamedRecord, Unreadable> {
    let fields = event_fields_or_kind(xml)?;
    let class = event_class(&fields);
    Ok(NamedRecord::new(fields, position).with_class(class))
}

/// What the tokenizer is in the middle of, at [`XmlDecoder::scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Character data.
    Text,
    /// A start (`end == false`) or end tag, inside an attribute value when `quote` is set.
    Tag { end: bool, quote: Option<u8> },
    /// `<!-- ... -->`
    Comment,
    /// `<![CDATA[ ... ]]>`
    CData,
    /// `<? ... ?>`
    Pi,
    /// `<!DOCTYPE ...>` or another `<!...>` declaration: `bracket` inside its
    /// internal subset, `quote` inside a literal.
    Decl { bracket: bool, quote: Option<u8> },
}

/// The event being read.
#[derive(Debug, Clone)]
struct Current {
    /// Its position (record number assigned when it is reported).
    position: Position,
    /// Element depth inside it (its own start tag makes 1).
    depth: usize,
    /// Bytes dropped because it is over the cap (0: all of it is in the buffer).
    dropped: u64,
}

/// Streaming Windows event XML decoder. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct XmlDecoder {
    front: Front,
    /// Length of the byte-order mark (added to byte offsets).
    bom: u64,
    /// UTF-8 text not yet consumed; `buf[0]` is at byte `bom + base`.
    buf: Vec<u8>,
    base: u64,
    /// Newlines are counted up to `buf[line_at]`, which is on line `line`.
    line_at: usize,
    line: u64,
    /// Where the tokenizer resumes, and in what mode.
    scan: usize,
    mode: Mode,
    /// Where the current event starts in `buf` (it stays buffered from there).
    start: usize,
    current: Option<Current>,
    /// Records reported (read or skipped).
    records: u64,
    /// `<Event>` elements seen.
    events: u64,
    /// Entity declarations seen in a DOCTYPE (never expanded).
    entity_declarations: u64,
}

impl Default for XmlDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// Names longer than this are never `Event`, so need not be seen whole.
const NAME_LOOKAHEAD: usize = 16;

impl XmlDecoder {
    /// A decoder at the start of a file.
    pub fn new() -> Self {
        XmlDecoder {
            front: Front::new(),
            bom: 0,
            buf: Vec::new(),
            base: 0,
            line_at: 0,
            line: 1,
            scan: 0,
            mode: Mode::Text,
            start: 0,
            current: None,
            records: 0,
            events: 0,
            entity_declarations: 0,
        }
    }

    /// Line of `buf[i]`, counting newlines forward (`i` never goes back).
    fn line_of(&mut self, i: usize) -> u64 {
        if i > self.line_at {
            self.line += memchr::memchr_iter(b'\n', &self.buf[self.line_at..i]).count() as u64;
            self.line_at = i;
        }
        self.line
    }

    /// Tokenize `buf` from `scan`, reporting each event as it completes.
    fn tokenize(&mut self, at_end: bool, sink: &mut dyn RecordSink) {
        loop {
            let len = self.buf.len();
            let i = self.scan;
            match self.mode {
                Mode::Text => match memchr::memchr(b'<', &self.buf[i..]) {
                    None => {
                        self.scan = len;
                        return;
                    }
                    Some(j) => {
                        if !self.markup(i + j, at_end, sink) {
                            return;
                        }
                    }
                },
                Mode::Tag { end, quote } => {
                    let found = match quote {
                        Some(q) => memchr::memchr(q, &self.buf[i..]),
                        None => memchr::memchr3(b'>', b'"', b'\'', &self.buf[i..]),
                    };
                    let Some(j) = found else {
                        self.scan = len;
                        return;
                    };
                    let at = i + j;
                    let b = self.buf[at];
                    self.scan = at + 1;
                    if quote.is_some() {
                        self.mode = Mode::Tag { end, quote: None };
                    } else if b != b'>' {
                        self.mode = Mode::Tag {
                            end,
                            quote: Some(b),
                        };
                    } else {
                        self.mode = Mode::Text;
                        let empty = !end && at > 0 && self.buf[at - 1] == b'/';
                        self.tag_closed(end, empty, sink);
                    }
                }
                Mode::Comment | Mode::CData | Mode::Pi => {
                    let close: &[u8] = match self.mode {
                        Mode::Comment => b"-->",
                        Mode::CData => b"]]>",
                        _ => b"?>",
                    };
                    match memmem::find(&self.buf[i..], close) {
                        Some(j) => {
                            self.scan = i + j + close.len();
                            self.mode = Mode::Text;
                        }
                        None => {
                            // The closer may be cut: look at its first bytes again.
                            self.scan = len.saturating_sub(close.len() - 1).max(i);
                            return;
                        }
                    }
                }
                Mode::Decl { bracket, quote } => {
                    let found = match quote {
                        Some(q) => memchr::memchr(q, &self.buf[i..]),
                        None => self.buf[i..]
                            .iter()
                            .position(|&b| matches!(b, b'>' | b'"' | b'\'' | b'[' | b']' | b'<')),
                    };
                    let Some(j) = found else {
                        self.scan = len;
                        return;
                    };
                    let at = i + j;
                    let b = self.buf[at];
                    self.scan = at + 1;
                    self.mode = match (quote, b) {
                        (Some(_), _) => Mode::Decl {
                            bracket,
                            quote: None,
                        },
                        (None, b'"' | b'\'') => Mode::Decl {
                            bracket,
                            quote: Some(b),
                        },
                        (None, b'[') => Mode::Decl {
                            bracket: true,
                            quote: None,
                        },
                        (None, b']') => Mode::Decl {
                            bracket: false,
                            quote: None,
                        },
                        (None, b'<') => {
                            let rest = &self.buf[at..];
                            if rest.len() < 8 && b"<!ENTITY".starts_with(rest) && !at_end {
                                self.scan = at; // cut: look again with more bytes
                                return;
                            }
                            if rest.starts_with(b"<!ENTITY") {
                                self.entity_declarations += 1;
                            }
                            Mode::Decl { bracket, quote }
                        }
                        (None, _) if bracket => Mode::Decl { bracket, quote },
                        (None, _) => Mode::Text,
                    };
                }
            }
        }
    }

    /// Markup starting at `buf[at] == b'<'`. Returns false when more bytes are
    /// needed to tell what it is.
    fn markup(&mut self, at: usize, at_end: bool, sink: &mut dyn RecordSink) -> bool {
        let rest = &self.buf[at..];
        let prefix_of = |s: &[u8]| rest.len() < s.len() && s.starts_with(rest);
        let undecided = [&b"<!--"[..], b"<![CDATA[", b"<!DOCTYPE", b"<?"]
            .iter()
            .any(|s| prefix_of(s))
            || rest.len() < 2;
        if undecided && !at_end {
            self.scan = at;
            return false;
        }
        let (mode, skip) = if rest.starts_with(b"<!--") {
            (Mode::Comment, 4)
        } else if rest.starts_with(b"<![CDATA[") {
            (Mode::CData, 9)
        } else if rest.starts_with(b"<?") {
            (Mode::Pi, 2)
        } else if rest.starts_with(b"<!") {
            (
                Mode::Decl {
                    bracket: false,
                    quote: None,
                },
                2,
            )
        } else if rest.starts_with(b"</") {
            (
                Mode::Tag {
                    end: true,
                    quote: None,
                },
                2,
            )
        } else {
            // A start tag: is it an `<Event>`?
            let name_end = rest[1..]
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/');
            let name = match name_end {
                Some(n) => &rest[1..1 + n],
                None if rest.len() > NAME_LOOKAHEAD || at_end => &rest[1..],
                None => {
                    self.scan = at;
                    return false;
                }
            };
            let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
            if local == b"Event" {
                self.event_starts(at, sink);
            }
            (
                Mode::Tag {
                    end: false,
                    quote: None,
                },
                1,
            )
        };
        self.mode = mode;
        self.scan = (at + skip).min(self.buf.len());
        true
    }

    /// An `<Event` start tag at `buf[at]`.
    fn event_starts(&mut self, at: usize, sink: &mut dyn RecordSink) {
        let line = self.line_of(at);
        let byte = self.bom + self.base + at as u64;
        if let Some(open) = self.current.take() {
            let reason = format!(
                "<Event> is not closed before the next <Event> starts (line {line}, byte {byte})"
            );
            self.report_skip(Kind::XmlSyntax, open.position, reason, sink);
        }
        self.events += 1;
        self.start = at;
        self.current = Some(Current {
            position: Position {
                byte,
                line,
                record: 0,
            },
            depth: 0,
            dropped: 0,
        });
    }

    /// A tag ended at `buf[scan - 1]`.
    fn tag_closed(&mut self, end: bool, empty: bool, sink: &mut dyn RecordSink) {
        let Some(current) = self.current.as_mut() else {
            return; // outside events: a wrapper such as <Events>
        };
        if end {
            current.depth = current.depth.saturating_sub(1);
        } else if !empty {
            current.depth += 1;
        }
        if current.depth == 0 {
            self.event_ends(sink);
        }
    }

    /// The current event ends at `buf[scan]`.
    fn event_ends(&mut self, sink: &mut dyn RecordSink) {
        let Some(current) = self.current.take() else {
            return;
        };
        self.records += 1;
        let mut position = current.position;
        position.record = self.records;
        let total = current.dropped + (self.scan - self.start) as u64;
        if total > MAX_RECORD_BYTES as u64 {
            let reason = format!(
                "event is {total} bytes, over the {} MiB record cap",
                MAX_RECORD_BYTES >> 20
            );
            sink.skip(Skip::new(Kind::RecordTooLarge, position, reason));
            return;
        }
        let bytes = &self.buf[self.start..self.scan];
        let xml = match core::str::from_utf8(bytes) {
            Ok(xml) => alloc::borrow::Cow::Borrowed(xml),
            Err(_) => text::lossy(bytes),
        };
        match event_record(&xml, position) {
            Ok(record) => sink.record(&record),
            Err((kind, reason)) => sink.skip(Skip::new(
                kind,
                position,
                format!("unreadable event: {reason}"),
            )),
        }
    }

    fn report_skip(
        &mut self,
        kind: Kind,
        mut position: Position,
        reason: String,
        sink: &mut dyn RecordSink,
    ) {
        self.records += 1;
        position.record = self.records;
        sink.skip(Skip::new(kind, position, reason));
    }

    /// Drop what is no longer needed: everything before the current event (or
    /// before the scan point when there is none, or when it is over the cap).
    fn compact(&mut self) {
        let keep_from = match self.current.as_mut() {
            Some(current)
                if current.dropped == 0 && self.buf.len() - self.start > MAX_RECORD_BYTES =>
            {
                current.dropped = (self.scan - self.start) as u64;
                self.scan
            }
            Some(current) if current.dropped > 0 => {
                current.dropped += (self.scan - self.start) as u64;
                self.scan
            }
            Some(_) => self.start,
            None => self.scan,
        };
        let keep_from = keep_from.min(self.scan);
        if keep_from == 0 {
            return;
        }
        self.line_of(keep_from);
        self.buf.drain(..keep_from);
        self.base += keep_from as u64;
        self.line_at -= keep_from;
        self.scan -= keep_from;
        self.start = self.start.saturating_sub(keep_from);
    }
}

impl Decoder for XmlDecoder {
    fn push(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        let (text, bom) = self.front.text(chunk);
        self.bom = bom as u64;
        if !text.is_empty() {
            self.buf.extend_from_slice(text);
            self.tokenize(false, sink);
            self.compact();
        }
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        let (text, bom) = self.front.finish();
        self.bom = bom as u64;
        self.buf.extend_from_slice(text);
        self.tokenize(true, sink);
        if let Some(open) = self.current.take() {
            let reason = match self.mode {
                Mode::Text => "the file ends inside this <Event>: it is never closed".to_string(),
                _ => "the file ends inside this <Event>, in the middle of markup".to_string(),
            };
            self.report_skip(Kind::Truncated, open.position, reason, sink);
        }
        if self.events == 0 {
            let entities = if self.entity_declarations > 0 {
                format!(
                    " (its DOCTYPE declares {} entities, which are never expanded)",
                    self.entity_declarations
                )
            } else {
                String::new()
            };
            return Err(DecodeError::new(
                Kind::XmlNoEvent,
                Position {
                    byte: self.bom + self.base + self.buf.len() as u64,
                    line: self.line,
                    record: 0,
                },
                format!("no <Event> element in this XML: not Windows event XML{entities}"),
            ));
        }
        Ok(())
    }
}
