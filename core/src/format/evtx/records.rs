//! The records of the EVTX rendering path: a record rendered as XML by
//! `evtx` and read by the fast reader (`super::scanner`), or by the full XML
//! reader when the fast one gives up.
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

use super::caches::{Head, Schemas};
use super::scanner::{materialize, FieldSpan, Reached, Scan};
use crate::event::{
    Columns, Position, ProcessEvent, ProcessIds, Record, RecordClass, RecordSink, Skip,
};
use crate::format::named::NamedRecord;
use crate::format::winevent;
use crate::format::xml::{event_fields, event_record};
use crate::format::DecodeErrorKind;
use crate::mapping::{Schema, Target};
use crate::time::Timestamp;

/// What the rendering path keeps between records.
#[derive(Default)]
pub(super) struct Rendering {
    /// Field spans of the record being read (kept for their allocation).
    spans: Vec<FieldSpan>,
    /// Field maps of process creations, one per set of field names.
    schemas: Schemas,
    /// The quick class read.
    head: Head,
}

impl Rendering {
    /// Hand on record `id`, rendered as `xml` by `evtx`.
    pub(super) fn read(
        &mut self,
        xml: &[u8],
        position: Position,
        id: u64,
        sink: &mut dyn RecordSink,
    ) {
        // `evtx` writes UTF-8; the check is cheap when it holds.
        let text = match core::str::from_utf8(xml) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => crate::format::text::lossy(xml),
        };
        let mut spans = core::mem::take(&mut self.spans);
        spans.clear();
        self.read_text(&text, &mut spans, position, id, sink);
        self.spans = spans;
    }

    fn read_text(
        &mut self,
        text: &str,
        spans: &mut Vec<FieldSpan>,
        position: Position,
        id: u64,
        sink: &mut dyn RecordSink,
    ) {
        // The class needs `System` only, most often just its head; process
        // creations are read on.
        let mut scan = Scan::new(text.as_bytes());
        let (class, mut read) = match self.head.class(text.as_bytes()) {
            Some(RecordClass::ProcessCreation) | None => {
                let read = scan.run(spans, true);
                let class = read.map(|_| class_of(text, spans));
                (class, read)
            }
            known => (known, None),
        };
        match class {
            Some(RecordClass::ProcessCreation) => {}
            Some(class) => {
                return sink.record(&SystemOnly {
                    xml: text,
                    system: spans,
                    position,
                    class,
                    full: OnceCell::new(),
                });
            }
            None => {}
        }
        if read == Some(Reached::SystemEnd) {
            read = scan.run(spans, false);
        }
        if read.is_some() {
            let schema = self.schemas.get(text, spans);
            sink.record(&SpanRecord {
                xml: text,
                spans,
                schema,
                position,
                class: RecordClass::ProcessCreation,
            });
            return;
        }
        // Markup the fast reader does not take (none seen in real logs): the full parser.
        match event_record(text, position) {
            Ok(record) => sink.record(&record),
            Err((_, e)) => {
                let reason = format!("record {id}: unreadable rendered XML: {e}");
                sink.skip(Skip::new(DecodeErrorKind::EvtxRecord, position, reason));
            }
        }
    }
}

/// The class of a record from its spans.
fn class_of(xml: &str, spans: &[FieldSpan]) -> RecordClass {
    let get = |name: &str| {
        spans
            .iter()
            .find(|s| s.name_is(xml, name))
            .map(|s| s.value(xml))
    };
    let provider = get(winevent::PROVIDER);
    let id = get(winevent::EVENT_ID);
    winevent::classify(provider.as_deref(), id.as_deref())
}

/// An event that is not a process creation, read up to `System`.
struct SystemOnly<'a> {
    xml: &'a str,
    system: &'a [FieldSpan],
    position: Position,
    class: RecordClass,
    full: OnceCell<NamedRecord>,
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

/// A process creation read as spans of the rendered text, mapped like a
/// [`NamedRecord`] of the same fields would be.
struct SpanRecord<'a> {
    xml: &'a str,
    spans: &'a [FieldSpan],
    schema: &'a Schema,
    position: Position,
    class: RecordClass,
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
