//! A record made of named fields (an XML `<Event>`, a JSON object, an EVTX
//! record), mapped to the rule's columns through [`crate::mapping`].
//!
//! Decoders of formats with named fields build a [`NamedRecord`] per event and
//! hand it to the sink; the mapping, classification and 4688 parent-inference
//! keys then behave the same for every such format.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use super::winevent;
use crate::event::{Columns, Position, ProcessEvent, ProcessIds, Record, RecordClass};
use crate::mapping::{Schema, Target};
use crate::time::Timestamp;

/// One event as `(name, value)` pairs in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRecord {
    /// The fields, in source order. Names may be dotted (`process.name`) for
    /// nested formats; the mapping compares them case-insensitively.
    pub fields: Vec<(String, String)>,
    /// Where the event starts.
    pub position: Position,
    /// A class decided by the decoder (XML and EVTX class every event by its
    /// `Provider`); `None` classifies by the provider when the fields name
    /// one, else by `ActionType` / `EventID` as for CSV
    /// ([`winevent::class_of_fields`]).
    pub class: Option<RecordClass>,
    schema: Schema,
}

impl NamedRecord {
    /// Build a record and resolve its field names.
    pub fn new(fields: Vec<(String, String)>, position: Position) -> Self {
        let schema = Schema::resolve(&fields.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>());
        NamedRecord {
            fields,
            position,
            class: None,
            schema,
        }
    }

    /// Set the class explicitly (see [`NamedRecord::class`]).
    pub fn with_class(mut self, class: RecordClass) -> Self {
        self.class = Some(class);
        self
    }

    /// The mapped value of `target` (empty when the record has no source for it).
    pub fn value(&self, target: Target) -> Cow<'_, str> {
        match self.schema.get(target) {
            Some((i, transform)) => transform.apply(Cow::Borrowed(self.fields[i].1.as_str())),
            None => Cow::Borrowed(""),
        }
    }

    /// Whether the record has a source field for `target`.
    pub fn has(&self, target: Target) -> bool {
        self.schema.get(target).is_some()
    }
}

impl Columns for NamedRecord {
    fn column(&self, target: Target) -> Cow<'_, str> {
        self.value(target)
    }
    fn has_column(&self, target: Target) -> bool {
        self.has(target)
    }
}

impl Record for NamedRecord {
    fn position(&self) -> Position {
        self.position
    }

    fn class(&self) -> RecordClass {
        if let Some(class) = &self.class {
            return class.clone();
        }
        let action = self
            .has(Target::ActionType)
            .then(|| self.value(Target::ActionType));
        let event_id = self
            .has(Target::EventId)
            .then(|| self.value(Target::EventId));
        winevent::class_of_fields(&self.fields, action.as_deref(), event_id.as_deref())
    }

    fn timestamp(&self) -> Result<Option<Timestamp>, String> {
        self.column_timestamp()
    }

    fn file_name(&self) -> Cow<'_, str> {
        self.value(Target::FileName)
    }

    fn event(&self) -> ProcessEvent {
        self.column_event()
    }

    fn fields(&self) -> Vec<(String, String)> {
        self.fields.clone()
    }

    fn process_ids(&self) -> Option<ProcessIds> {
        self.column_process_ids()
    }
}
