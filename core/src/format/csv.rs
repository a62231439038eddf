//! CSV exports: Defender advanced hunting, Sentinel `DeviceProcessEvents` and
//! `SecurityEvent` (4688), Sysmon-field CSV, the older Defender timeline.
//!
//! # Dialect
//!
//! RFC 4180: `,` separates fields, `"` quotes a field, `""` inside quotes is
//! one `"`, quoted fields may hold commas and line breaks; records end with
//! LF or CRLF. Malformed quoting is read the way Python's `csv` module and
//! spreadsheet programs read it: a `"` opens a quoted field only at the start
//! of a field; after the closing quote, anything up to the next comma is kept
//! literally, quotes included (a real 4688 export writes
//! `".\powershell -c "x"",` this way). The record splitter and the field
//! parser share these rules, so they always agree. The first
//! non-blank record is the header; columns are found by name through
//! [`crate::mapping`], in any order. Records with fewer fields than the header
//! read the missing ones as empty. A record is classified as every format
//! classifies one ([`winevent::classify_fields`]): by its provider and event
//! id when a provider column (`SourceName`, ...) names one, else by
//! `ActionType` / `EventID`.
//!
//! # Speed
//!
//! Records are found 64 bytes at a time from bit masks (`csv/blocks.rs`, with an
//! exact byte-wise splitter behind it), and only the leading fields the
//! scanner needs for every record (time, action type, `FileName`) are split
//! (`csv/fields.rs`, commas from bit masks too); the rule's two columns are split
//! only for `cmd.exe` records, and the whole record only for flagged ones.

mod blocks;
mod fields;
mod iso;

pub use blocks::record_end_kernels;

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use memchr::{memchr, memchr2};

use super::text::{self, Front};
use super::winevent;
use super::{DecodeError, DecodeErrorKind, Decoder, MAX_RECORD_BYTES};
use crate::event::{
    Columns, Position, ProcessEvent, ProcessIds, Record, RecordClass, RecordSink, Skip,
};
use crate::mapping::{self, Schema, Target, Transform};
use crate::time::Timestamp;

use fields::{quoted_end, split_fields, split_fields_from, Span};

/// The Defender `ActionType` of a process creation.
const PROCESS_CREATED: &str = "ProcessCreated";

/// The header, resolved.
#[derive(Debug, Clone)]
struct Header {
    names: Vec<String>,
    schema: Schema,
    /// The column naming the event's provider, if any
    /// ([`winevent::PROVIDER_FIELDS`]): records are then classified by it.
    provider: Option<usize>,
    /// How many leading fields every record must be split into.
    prefix: usize,
    /// `ActionType` field index when a raw `ProcessCreated` there alone makes
    /// a record a process creation (Verbatim mapping, no `EventID` column):
    /// lets [`CsvRecord::class`] skip decoding the field.
    created_fast: Option<usize>,
    /// Reads the usual time form, remembering the last date.
    clock: iso::IsoClock,
}

/// Streaming CSV decoder. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct CsvDecoder {
    front: Front,
    /// Length of the byte-order mark (added to reported byte offsets).
    bom: u64,
    /// Splitter: where the last chunk ended, quote-wise.
    quote: QuoteState,
    /// Splitter: the byte before the current chunk (`\n` at the start).
    prev: u8,
    /// The start of a record that spans chunks.
    carry: Vec<u8>,
    /// The carried record is over [`MAX_RECORD_BYTES`]: its bytes are dropped.
    overflow: u64,
    /// Line breaks inside the dropped bytes of an oversized record.
    overflow_lines: u64,
    /// Byte offset and line where the current (unfinished) record starts.
    record_byte: u64,
    record_line: u64,
    /// Records seen so far (header excluded).
    records: u64,
    header: Option<Header>,
    spans: Vec<Span>,
}

impl Default for CsvDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvDecoder {
    /// A decoder at the start of a file.
    pub fn new() -> Self {
        CsvDecoder {
            front: Front::new(),
            bom: 0,
            quote: QuoteState::Unquoted,
            prev: b'\n',
            carry: Vec::new(),
            overflow: 0,
            overflow_lines: 0,
            record_byte: 0,
            record_line: 1,
            records: 0,
            header: None,
            spans: Vec::new(),
        }
    }

    /// The header's field names, once read.
    pub fn header(&self) -> Option<&[String]> {
        self.header.as_ref().map(|h| h.names.as_slice())
    }

    fn position(&self) -> Position {
        Position {
            byte: self.record_byte + self.bom,
            line: self.record_line,
            record: self.records,
        }
    }

    /// Split `data` into records, handing complete ones on.
    fn split(&mut self, data: &[u8], sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        let mut start = 0;
        let mut i = 0;
        let len = data.len();
        // Try the block splitter at each record start; after it declines, the
        // exact loop below takes the record to its end.
        let mut fast = true;
        while i < len {
            if fast
                && i == start
                && self.quote == QuoteState::Unquoted
                && self.carry.is_empty()
                && self.overflow == 0
            {
                if let Some((j, newlines)) = blocks::record_end(&data[start..]) {
                    let end = start + j;
                    self.complete(&data[start..end], Some(newlines), sink)?;
                    start = end + 1;
                    i = start;
                    continue;
                }
                fast = false;
            }
            match self.quote {
                QuoteState::Quoted => match memchr(b'"', &data[i..]) {
                    Some(j) => {
                        self.quote = QuoteState::QuoteInQuoted;
                        i += j + 1;
                    }
                    None => break,
                },
                QuoteState::QuoteInQuoted => {
                    // `""` is an escaped quote; anything else closes the field.
                    self.quote = if data[i] == b'"' {
                        QuoteState::Quoted
                    } else {
                        QuoteState::Unquoted
                    };
                    i += usize::from(data[i] == b'"');
                }
                QuoteState::Unquoted => match memchr2(b'"', b'\n', &data[i..]) {
                    Some(j) if data[i + j] == b'"' => {
                        let at = i + j;
                        let before = if at == 0 { self.prev } else { data[at - 1] };
                        if before == b',' || before == b'\n' {
                            self.quote = QuoteState::Quoted;
                        }
                        i = at + 1;
                    }
                    Some(j) => {
                        let end = i + j;
                        if self.carry.is_empty() && self.overflow == 0 {
                            self.complete(&data[start..end], None, sink)?;
                        } else {
                            let carried = core::mem::take(&mut self.carry);
                            self.carried(carried, &data[start..end], sink)?;
                        }
                        start = end + 1;
                        i = start;
                        fast = true;
                    }
                    None => break,
                },
            }
        }
        if let Some(&last) = data.last() {
            self.prev = last;
        }
        // Keep the unfinished record.
        let rest = &data[start..];
        if self.overflow > 0 || self.carry.len() + rest.len() > MAX_RECORD_BYTES {
            self.overflow += (self.carry.len() + rest.len()) as u64;
            self.overflow_lines += count_newlines(&self.carry) + count_newlines(rest);
            self.carry = Vec::new();
        } else {
            self.carry.extend_from_slice(rest);
        }
        Ok(())
    }

    /// A record whose start was carried over from earlier chunks.
    fn carried(
        &mut self,
        mut carried: Vec<u8>,
        tail: &[u8],
        sink: &mut dyn RecordSink,
    ) -> Result<(), DecodeError> {
        let total = self.overflow + (carried.len() + tail.len()) as u64;
        if total > MAX_RECORD_BYTES as u64 {
            let lines = self.overflow_lines + count_newlines(&carried) + count_newlines(tail);
            self.oversized(total, sink);
            self.after_record(total + 1, lines);
            return Ok(());
        }
        carried.extend_from_slice(tail);
        let result = self.complete(&carried, None, sink);
        carried.clear();
        self.carry = carried; // keep the allocation
        result
    }

    fn oversized(&mut self, bytes: u64, sink: &mut dyn RecordSink) {
        self.records += 1;
        let reason = format!(
            "record is {} bytes, over the {} MiB record cap (an unbalanced quote makes a record run on)",
            bytes,
            MAX_RECORD_BYTES >> 20
        );
        sink.skip(Skip::new(
            DecodeErrorKind::RecordTooLarge,
            self.position(),
            reason,
        ));
    }

    /// Move the record cursor past a record of `bytes` bytes holding `newlines`
    /// line breaks (plus its terminator).
    fn after_record(&mut self, bytes: u64, newlines: u64) {
        self.record_byte += bytes;
        self.record_line += newlines + 1;
        self.overflow = 0;
        self.overflow_lines = 0;
    }

    /// One complete record (without its `\n`), with its count of interior
    /// line breaks when the splitter already knows it.
    fn complete(
        &mut self,
        raw: &[u8],
        newlines: Option<u64>,
        sink: &mut dyn RecordSink,
    ) -> Result<(), DecodeError> {
        let rec = raw.strip_suffix(b"\r").unwrap_or(raw);
        let newlines = match newlines {
            Some(n) => n,
            None if memchr(b'"', rec).is_some() => count_newlines(rec),
            None => 0,
        };
        let result = if rec.iter().all(|b| *b == b' ' || *b == b'\t') {
            Ok(()) // blank line: not a record
        } else if self.header.is_none() {
            self.read_header(rec)
        } else {
            self.records += 1;
            self.data_record(rec, sink);
            Ok(())
        };
        self.after_record(raw.len() as u64 + 1, newlines);
        result
    }

    fn read_header(&mut self, rec: &[u8]) -> Result<(), DecodeError> {
        self.spans.clear();
        split_fields(rec, usize::MAX, &mut self.spans);
        let names: Vec<String> = self
            .spans
            .iter()
            .map(|&s| unescape(&rec[s.0..s.1]).into_owned())
            .collect();
        let schema = Schema::resolve(&names);
        if let Some(wanted) = schema.missing_required_message() {
            return Err(DecodeError::new(
                DecodeErrorKind::MissingColumns,
                Position {
                    byte: self.record_byte + self.bom,
                    line: self.record_line,
                    record: 0,
                },
                format!("CSV header lacks required columns: {wanted}"),
            ));
        }
        let provider = winevent::PROVIDER_FIELDS.iter().find_map(|wanted| {
            names
                .iter()
                .position(|n| mapping::normalize_name(n).eq_ignore_ascii_case(wanted))
        });
        let prefix = schema
            .max_index(&[
                Target::Timestamp,
                Target::ActionType,
                Target::EventId,
                Target::FileName,
            ])
            .max(provider)
            .map_or(0, |m| m + 1);
        let created_fast = match (schema.get(Target::ActionType), schema.get(Target::EventId)) {
            (Some((i, Transform::Verbatim)), None)
                if provider.is_none() && mapping::classify(Some(PROCESS_CREATED), None).is_ok() =>
            {
                Some(i)
            }
            _ => None,
        };
        self.header = Some(Header {
            names,
            schema,
            provider,
            prefix,
            created_fast,
            clock: iso::IsoClock::default(),
        });
        Ok(())
    }

    fn data_record(&mut self, rec: &[u8], sink: &mut dyn RecordSink) {
        let position = self.position();
        let Some(header) = self.header.as_ref() else {
            return;
        };
        self.spans.clear();
        split_fields(rec, header.prefix, &mut self.spans);
        let record = CsvRecord {
            bytes: rec,
            prefix: &self.spans,
            header,
            position,
        };
        sink.record(&record);
    }
}

impl Decoder for CsvDecoder {
    fn push(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        self.split_text(Some(chunk), sink)
    }

    fn finish(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        self.split_text(None, sink)?;
        let unterminated = self.quote == QuoteState::Quoted;
        let carried = core::mem::take(&mut self.carry);
        if self.overflow > 0 {
            let total = self.overflow + carried.len() as u64;
            self.oversized(total, sink);
            self.after_record(total, 0);
        } else if unterminated {
            self.records += 1;
            let reason = format!(
                "unterminated quoted field: the record runs {} bytes to the end of the file",
                carried.len()
            );
            sink.skip(Skip::new(
                DecodeErrorKind::CsvQuote,
                self.position(),
                reason,
            ));
        } else if !carried.is_empty() {
            self.complete(&carried, None, sink)?;
        }
        if self.header.is_none() {
            return Err(DecodeError::new(
                DecodeErrorKind::Empty,
                Position {
                    byte: self.record_byte + self.bom,
                    line: self.record_line,
                    record: 0,
                },
                "no CSV header: the file is empty or blank",
            ));
        }
        Ok(())
    }
}

impl CsvDecoder {
    /// Split the text of `chunk` (`None`: the text the front end still
    /// holds at the end of the file). The front end is taken out meanwhile:
    /// its text borrows it.
    fn split_text(
        &mut self,
        chunk: Option<&[u8]>,
        sink: &mut dyn RecordSink,
    ) -> Result<(), DecodeError> {
        let mut front = core::mem::take(&mut self.front);
        let (text, bom) = match chunk {
            Some(chunk) => front.text(chunk),
            None => front.finish(),
        };
        self.bom = bom as u64;
        let result = if text.is_empty() {
            Ok(())
        } else {
            self.split(text, sink)
        };
        self.front = front;
        result
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Where the splitter stands with respect to quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    /// Outside quotes (a `"` here opens quotes only at the start of a field).
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Inside a quoted field, just after a `"`: the next byte decides.
    QuoteInQuoted,
}

/// A raw field's value: a leading quoted part unquoted (`""` made `"`), the
/// rest kept as is.
fn unescape(raw: &[u8]) -> Cow<'_, str> {
    if raw.first() != Some(&b'"') {
        return match core::str::from_utf8(raw) {
            Ok(valid) => Cow::Borrowed(valid),
            Err(_) => text::lossy(raw),
        };
    }
    let end = quoted_end(raw, 1);
    let closed = end > 1 && raw.get(end - 1) == Some(&b'"') && end <= raw.len();
    let inner = &raw[1..if closed { end - 1 } else { raw.len() }];
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < inner.len() {
        out.push(inner[i]);
        i += if inner[i] == b'"' { 2 } else { 1 };
    }
    if closed {
        out.extend_from_slice(&raw[end..]);
    }
    Cow::Owned(text::lossy(&out).into_owned())
}

/// One data record, split lazily.
struct CsvRecord<'a> {
    bytes: &'a [u8],
    /// Spans of the leading fields ([`Header::prefix`] of them, or fewer).
    prefix: &'a [Span],
    header: &'a Header,
    position: Position,
}

impl CsvRecord<'_> {
    fn raw(&self, spans: &[Span], index: usize) -> Cow<'_, str> {
        match spans.get(index) {
            Some(&(s, e)) => unescape(&self.bytes[s..e]),
            None => Cow::Borrowed(""),
        }
    }

    /// A target's value from the leading fields.
    fn prefix_value(&self, target: Target) -> Option<Cow<'_, str>> {
        let (index, transform) = self.header.schema.get(target)?;
        Some(transform.apply(self.raw(self.prefix, index)))
    }

    fn all_spans(&self) -> Vec<Span> {
        let mut spans = Vec::with_capacity(self.header.names.len());
        split_fields(self.bytes, usize::MAX, &mut spans);
        spans
    }

    /// The record split whole, for its columns.
    fn split(&self) -> Split<'_> {
        Split {
            record: self,
            spans: self.all_spans(),
        }
    }
}

/// A record split into all its fields.
struct Split<'a> {
    record: &'a CsvRecord<'a>,
    spans: Vec<Span>,
}

impl Columns for Split<'_> {
    fn column(&self, target: Target) -> Cow<'_, str> {
        match self.record.header.schema.get(target) {
            Some((index, transform)) => transform.apply(self.record.raw(&self.spans, index)),
            None => Cow::Borrowed(""),
        }
    }
    fn has_column(&self, target: Target) -> bool {
        self.record.header.schema.get(target).is_some()
    }
}

impl Record for CsvRecord<'_> {
    fn position(&self) -> Position {
        self.position
    }

    fn class(&self) -> RecordClass {
        if let Some(i) = self.header.created_fast {
            if let Some(&(s, e)) = self.prefix.get(i) {
                if self.bytes.get(s..e) == Some(PROCESS_CREATED.as_bytes()) {
                    return RecordClass::ProcessCreation;
                }
            }
        }
        let provider = self.header.provider.map(|i| self.raw(self.prefix, i));
        let action = self.prefix_value(Target::ActionType);
        let event_id = self.prefix_value(Target::EventId);
        winevent::classify_fields(provider.as_deref(), action.as_deref(), event_id.as_deref())
    }

    fn timestamp(&self) -> Result<Option<Timestamp>, String> {
        if let Some((i, Transform::Verbatim)) = self.header.schema.get(Target::Timestamp) {
            let raw = self.prefix.get(i).and_then(|&(s, e)| self.bytes.get(s..e));
            if let Some(t) = raw.and_then(|raw| self.header.clock.read(raw)) {
                return Ok(Some(t));
            }
        }
        match self.prefix_value(Target::Timestamp) {
            Some(text) => Timestamp::from_field(&text),
            None => Ok(None),
        }
    }

    fn file_name(&self) -> Cow<'_, str> {
        self.prefix_value(Target::FileName)
            .unwrap_or(Cow::Borrowed(""))
    }

    fn event(&self) -> ProcessEvent {
        let split = self.split();
        // The time as `timestamp` reads it (the same value, read faster).
        ProcessEvent::from_columns(self.timestamp().ok().flatten(), |t| {
            split.column(t).into_owned()
        })
    }

    fn fields(&self) -> Vec<(String, String)> {
        let spans = self.all_spans();
        let names = &self.header.names;
        let mut out: Vec<(String, String)> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), self.raw(&spans, i).into_owned()))
            .collect();
        // Fields beyond the header keep their place, under a made-up name.
        for i in names.len()..spans.len() {
            out.push((
                format!("(extra field {})", i + 1),
                self.raw(&spans, i).into_owned(),
            ));
        }
        out
    }

    fn rule_inputs(&self) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
        let schema = &self.header.schema;
        let (cmd, cmd_transform) = schema.get(Target::ProcessCommandLine)?;
        let (parent, parent_transform) = schema.get(Target::InitiatingProcessFileName)?;
        let wanted = cmd.max(parent) + 1;
        let mut spans = Vec::with_capacity(wanted.max(self.prefix.len()));
        spans.extend_from_slice(self.prefix);
        match self.prefix.last() {
            // The leading fields are split already: go on after them.
            Some(&(_, end)) if end < self.bytes.len() => {
                split_fields_from(self.bytes, end + 1, wanted, &mut spans)
            }
            Some(_) => {} // the record ended within them
            None => split_fields(self.bytes, wanted, &mut spans),
        }
        Some((
            cmd_transform.apply(self.raw(&spans, cmd)),
            parent_transform.apply(self.raw(&spans, parent)),
        ))
    }

    fn process_ids(&self) -> Option<ProcessIds> {
        self.header.schema.get(Target::NewProcessId)?;
        self.split().column_process_ids()
    }
}
