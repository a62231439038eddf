//! A record read from its template values (see `super::template`).
//!
//! The scanner asks an event for its class, and a process creation for its
//! time, its `FileName`, its process ids (Security 4688) and, for `cmd.exe`,
//! its whole event: those come from the values, each when first asked for.
//! Every field of a flagged row comes from the values too, when each of
//! them renders there (the shape's fields are the rendered record's, in
//! order; `super::value_tests` compares them on every record of every log).
//! A value this reader does not render (or text the renderer would change)
//! is taken from the rendered record instead, and so is anything else (a
//! non-creation's time, fields of a record with such a value): the record
//! is then rendered as XML and read as the rendering path reads it.
//!
//! Whether the rendering will be needed is known before the record is handed
//! on ([`ValueRecord::unreadable`]): if it is, the record is rendered then, and
//! should the rendering fail or not be readable (never seen from `evtx`), the
//! record is a skip with the same reason the rendering path gives, never an
//! event with empty fields. Fields only an analyst reads (not the rule's
//! columns) fall back to the ones the values give.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::OnceCell;

use super::scanner::{self, Scan};
use super::template::{Templates, View};
use super::walk::Source;
use super::Render;
use crate::event::{Columns, Position, ProcessEvent, ProcessIds, Record, RecordClass};
use crate::format::named::NamedRecord;
use crate::format::xml::event_fields;
use crate::mapping::{Target, TARGETS};
use crate::time::Timestamp;

/// The columns the scanner reads of every process creation.
const ALWAYS: [Target; 2] = [Target::Timestamp, Target::FileName];
/// The columns of the process ids (when the record has a `NewProcessId`).
const IDS: [Target; 5] = [
    Target::DeviceName,
    Target::NewProcessId,
    Target::CreatorProcessId,
    Target::FileName,
    Target::InitiatingProcessFileName,
];

/// Why a record's rendering cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unreadable {
    /// `evtx` could not render it (its reason).
    Render(String),
    /// Neither XML reader could read the rendering (the full reader's reason).
    Read(String),
}

/// A record whose class (and, for a process creation, rule columns) come from its values.
pub(super) struct ValueRecord<'r, 'c> {
    source: Source<'r, 'c>,
    templates: &'r Templates,
    view: View,
    class: RecordClass,
    position: Position,
    /// Columns read so far, by [`Target::ALL`] order (`None`: not readable from the values).
    columns: [OnceCell<Option<String>>; TARGETS],
    /// The rendered record's fields (the values' fields when it could not
    /// be read), and why it could not.
    full: OnceCell<(NamedRecord, Option<Unreadable>)>,
    render: Render,
}

impl<'r, 'c> ValueRecord<'r, 'c> {
    /// The record of `view`, of class `class`.
    pub(super) fn new(
        source: Source<'r, 'c>,
        templates: &'r Templates,
        view: View,
        class: RecordClass,
        position: Position,
        render: Render,
    ) -> Self {
        ValueRecord {
            source,
            templates,
            view,
            class,
            position,
            columns: Default::default(),
            full: OnceCell::new(),
            render,
        }
    }

    /// Whether the columns were read (a process creation).
    fn creation(&self) -> bool {
        self.class == RecordClass::ProcessCreation
    }

    /// The mapped value of `target` as the values give it (`None`: they cannot).
    fn read(&self, target: Target) -> Option<&str> {
        let i = Target::ALL.iter().position(|&t| t == target)?;
        let data = self.source.bytes().data;
        self.columns[i]
            .get_or_init(|| self.templates.column(data, &self.view, target))
            .as_deref()
    }

    /// Why this record must be a skip: a process creation whose columns the
    /// scanner will read (time and `FileName`; the process ids; the whole
    /// event of a `cmd.exe` one) are not all in its values, and whose
    /// rendering cannot be read either. Renders the record only then.
    pub(super) fn unreadable(&self) -> Option<&Unreadable> {
        if !self.creation() {
            return None;
        }
        let readable = |targets: &[Target]| targets.iter().all(|&t| self.read(t).is_some());
        let shell = self
            .read(Target::FileName)
            .is_some_and(|f| f.eq_ignore_ascii_case(crate::rule::SHELL_FILE_NAME));
        let ids = self.view.shape.schema.get(Target::NewProcessId).is_some();
        if readable(&ALWAYS)
            && (!ids || readable(&IDS))
            && (!shell || readable(ProcessEvent::COLUMNS))
        {
            return None;
        }
        self.rendered().1.as_ref()
    }

    fn full(&self) -> &NamedRecord {
        &self.rendered().0
    }

    /// The record rendered and read as the rendering path reads it (or,
    /// should that fail, the fields its values give, and why).
    fn rendered(&self) -> &(NamedRecord, Option<Unreadable>) {
        self.full.get_or_init(|| {
            let (fields, unreadable) = match self.source.render(self.render) {
                Ok(xml) => {
                    let text = super::super::text::lossy(&xml);
                    let mut spans = Vec::new();
                    match Scan::new(text.as_bytes()).run(&mut spans, false) {
                        Some(_) => (scanner::materialize(&text, &spans), None),
                        None => match event_fields(&text) {
                            Ok(fields) => (fields, None),
                            Err(e) => (self.value_fields(), Some(Unreadable::Read(e))),
                        },
                    }
                }
                Err(e) => (self.value_fields(), Some(Unreadable::Render(e))),
            };
            let record = NamedRecord::new(fields, self.position).with_class(self.class.clone());
            (record, unreadable)
        })
    }

    /// Every field as the values give it; `None` if one cannot be read there.
    fn read_fields(&self) -> Option<Vec<(String, String)>> {
        let data = self.source.bytes().data;
        let fields = &self.view.shape.fields;
        let mut out = Vec::with_capacity(fields.len());
        for f in fields {
            out.push((f.name.clone(), self.templates.piece(data, &f.value)?));
        }
        Some(out)
    }

    /// The fields as the values give them (a value not rendered here is empty).
    fn value_fields(&self) -> Vec<(String, String)> {
        let data = self.source.bytes().data;
        self.view
            .shape
            .fields
            .iter()
            .map(|f| {
                let value = self.templates.piece(data, &f.value);
                (f.name.clone(), value.unwrap_or_default())
            })
            .collect()
    }
}

impl Columns for ValueRecord<'_, '_> {
    /// From the values, or from the rendered record when they cannot give it.
    fn column(&self, target: Target) -> Cow<'_, str> {
        match self.read(target) {
            Some(text) => Cow::Borrowed(text),
            None => self.full().value(target),
        }
    }
    fn has_column(&self, target: Target) -> bool {
        self.view.shape.schema.get(target).is_some()
    }
}

impl Record for ValueRecord<'_, '_> {
    fn position(&self) -> Position {
        self.position
    }
    fn class(&self) -> RecordClass {
        self.class.clone()
    }
    fn timestamp(&self) -> Result<Option<Timestamp>, String> {
        if !self.creation() {
            return self.full().timestamp();
        }
        self.column_timestamp()
    }
    fn file_name(&self) -> Cow<'_, str> {
        if !self.creation() {
            return self.full().file_name();
        }
        self.column(Target::FileName)
    }
    fn event(&self) -> ProcessEvent {
        if !self.creation() {
            return self.full().event();
        }
        self.column_event()
    }
    /// From the values when each field's value can be read there (the
    /// shape's fields are the rendered record's, in order), else rendered.
    fn fields(&self) -> Vec<(String, String)> {
        if self.full.get().is_none() {
            if let Some(fields) = self.read_fields() {
                return fields;
            }
        }
        self.full().fields()
    }
    fn process_ids(&self) -> Option<ProcessIds> {
        if !self.creation() {
            return self.full().process_ids();
        }
        self.column_process_ids()
    }
    fn rule_inputs(&self) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
        if !self.creation() {
            return None;
        }
        Some((
            self.column(Target::ProcessCommandLine),
            self.column(Target::InitiatingProcessFileName),
        ))
    }
}
