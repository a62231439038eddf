//! A record read from its template values (see `super::template`).
//!
//! The scanner asks an event for its class, and a process creation for its
//! time, its `FileName`, its command line and parent (to judge `cmd.exe`)
//! and, for Security 4688, its process ids: those come from the values, each
//! when first asked for (a value this reader does not render, or text the
//! renderer would change, is taken from the rendered record). Anything else (the whole event of a
//! flagged row, every field) renders the record as XML when asked, and reads
//! it as the rendering path does. Should that rendering fail (never seen on
//! real logs: `evtx` renders what it could read), the fields are the ones
//! the values give.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::OnceCell;

use evtx::EvtxRecord;

use super::fast::{self, Scan};
use super::template::{Templates, View};
use crate::event::{Position, ProcessEvent, ProcessIds, Record, RecordClass};
use crate::format::named::NamedRecord;
use crate::format::xml::event_fields;
use crate::mapping::{self, Target};
use crate::time::Timestamp;

/// The columns read from the values, in this order.
const COLUMNS: [Target; 7] = [
    Target::Timestamp,
    Target::FileName,
    Target::DeviceName,
    Target::InitiatingProcessFileName,
    Target::NewProcessId,
    Target::CreatorProcessId,
    Target::ProcessCommandLine,
];

/// A record whose class (and, for a process creation, rule columns) come from its values.
pub(super) struct ValueRecord<'r, 'c> {
    record: &'r EvtxRecord<'c>,
    templates: &'r Templates,
    view: View,
    class: RecordClass,
    position: Position,
    /// Columns read so far (`None`: not readable from the values).
    columns: [OnceCell<Option<String>>; COLUMNS.len()],
    full: OnceCell<NamedRecord>,
}

impl<'r, 'c> ValueRecord<'r, 'c> {
    /// The record of `view`, of class `class`.
    pub(super) fn new(
        record: &'r EvtxRecord<'c>,
        templates: &'r Templates,
        view: View,
        class: RecordClass,
        position: Position,
    ) -> Self {
        ValueRecord {
            record,
            templates,
            view,
            class,
            position,
            columns: Default::default(),
            full: OnceCell::new(),
        }
    }

    /// Whether the columns were read (a process creation).
    fn creation(&self) -> bool {
        self.class == RecordClass::ProcessCreation
    }

    /// The mapped value of `target`: from the values, or from the rendered
    /// record when they cannot give it.
    fn column(&self, target: Target) -> Cow<'_, str> {
        let read = COLUMNS
            .iter()
            .position(|&t| t == target)
            .and_then(|i| self.columns.get(i))
            .and_then(|cell| {
                let data = self.record.chunk.data;
                cell.get_or_init(|| self.templates.column(data, &self.view, target))
                    .as_deref()
            });
        match read {
            Some(text) => Cow::Borrowed(text),
            None => self.full().value(target),
        }
    }

    /// The record rendered and read as the rendering path reads it (or,
    /// should rendering fail, the fields its values give).
    fn full(&self) -> &NamedRecord {
        self.full.get_or_init(|| {
            let fields = match self.record.clone().into_xml_bytes() {
                Ok(xml) => {
                    let text = super::super::text::lossy(&xml.data);
                    let mut spans = Vec::new();
                    match Scan::new(text.as_bytes()).run(&mut spans, false) {
                        Some(_) => fast::materialize(&text, &spans),
                        None => event_fields(&text).unwrap_or_default(),
                    }
                }
                Err(_) => {
                    let data = self.record.chunk.data;
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
            };
            NamedRecord::new(fields, self.position).with_class(self.class.clone())
        })
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
        Timestamp::from_field(&self.column(Target::Timestamp))
    }
    fn file_name(&self) -> Cow<'_, str> {
        if !self.creation() {
            return self.full().file_name();
        }
        self.column(Target::FileName)
    }
    fn event(&self) -> ProcessEvent {
        self.full().event()
    }
    fn fields(&self) -> Vec<(String, String)> {
        self.full().fields()
    }
    fn process_ids(&self) -> Option<ProcessIds> {
        if !self.creation() {
            return self.full().process_ids();
        }
        self.view.shape.schema.get(Target::NewProcessId)?;
        Some(ProcessIds {
            computer: self.column(Target::DeviceName).into_owned(),
            new_process_id: mapping::parse_process_id(&self.column(Target::NewProcessId))?,
            parent_process_id: mapping::parse_process_id(&self.column(Target::CreatorProcessId))?,
            new_process_file_name: self.column(Target::FileName).into_owned(),
            has_parent_name: !self.column(Target::InitiatingProcessFileName).is_empty(),
        })
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
