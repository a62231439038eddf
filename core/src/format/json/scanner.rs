//! The structural scanner: finds the byte ranges of events in a stream of
//! JSON, chunk by chunk, without parsing them.
//!
//! It follows strings (and their escapes) and brackets only. The few
//! containers whose *shape* matters (the top-level value, result envelopes,
//! tables, row arrays) get a [`Frame`]; everything nested deeper is just a
//! depth counter, so nesting costs no memory and no recursion. A value being
//! collected is a [`Capture`]; it is handed to [`super::event`] when its
//! closing bracket arrives.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use memchr::{memchr, memchr3};

use super::event;
use crate::event::{Position, RecordSink};
use crate::format::{is_record_separator, DecodeError, DecodeErrorKind as Kind, MAX_RECORD_BYTES};

/// The deepest nesting a captured value may have: serde_json's own limit
/// (its depth budget of 128 runs out on entering the 128th level).
pub const MAX_DEPTH: u64 = 127;

/// Keys longer than this are never wrapper keys; only this much is kept.
const KEY_CAP: usize = 16;

/// Stray text shown in a skip reason, at most.
const TEXT_CAP: usize = 80;

/// What a frame's next token should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Key,
    Colon,
    Value,
    Comma,
}

/// What the last key read in an object announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    Other,
    /// `Results` / `results` / `records`: an array of event objects.
    Results,
    /// `tables` / `Tables`: Log Analytics result tables.
    Tables,
    /// A table's `columns`.
    Columns,
    /// A table's `rows`.
    Rows,
}

/// A table whose rows may arrive before its columns.
#[derive(Debug, Default)]
struct Table {
    columns: Option<Vec<String>>,
    /// Why the columns could not be read, if they could not.
    columns_error: Option<String>,
    /// Rows read before the columns: (position, bytes).
    pending: Vec<(Position, Vec<u8>)>,
    pending_bytes: usize,
}

#[derive(Debug)]
enum Role {
    /// A top-level object: an event, unless a results/tables key turns it
    /// into an envelope.
    TopObject,
    /// A top-level object holding results or tables (Defender / Graph / Log
    /// Analytics API responses, Azure `records`).
    Envelope,
    /// A top-level array: its elements are events.
    TopArray,
    /// An envelope's results array: its elements are events.
    Records,
    /// An envelope's `tables` array.
    Tables,
    /// One table.
    Table(Table),
    /// A table's rows.
    Rows,
}

#[derive(Debug)]
struct Frame {
    role: Role,
    object: bool,
    expect: Expect,
    key: KeyClass,
    start: Position,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaptureKind {
    /// An event object.
    Event,
    /// A table row.
    Row,
    /// A table's column list.
    Columns,
}

/// A value being collected.
#[derive(Debug)]
struct Capture {
    kind: CaptureKind,
    /// The total depth once the value's own bracket is open.
    base: u64,
    start: Position,
    /// Bytes carried over from earlier chunks.
    buf: Vec<u8>,
    /// Where the value (or its continuation) starts in the current chunk.
    from: usize,
    /// Bytes read so far (all chunks).
    bytes: u64,
    oversize: bool,
    too_deep: bool,
    /// Started at top level (a line of JSON lines, a concatenated object).
    top_level: bool,
}

impl Capture {
    fn append(&mut self, part: &[u8]) {
        if self.oversize || self.too_deep {
            return;
        }
        if self.buf.len() + part.len() > MAX_RECORD_BYTES {
            self.oversize = true;
            self.buf = Vec::new();
        } else {
            self.buf.extend_from_slice(part);
        }
    }

    /// Why the value cannot be parsed, if it cannot.
    fn refusal(&self, total: u64) -> Option<(Kind, String)> {
        if self.too_deep {
            Some((
                Kind::JsonTooDeep,
                format!(
                    "value nested deeper than {MAX_DEPTH} levels ({total} bytes): not an event"
                ),
            ))
        } else if self.oversize || total > MAX_RECORD_BYTES as u64 {
            Some((
                Kind::RecordTooLarge,
                format!(
                    "value is {total} bytes, over the {} MiB record cap",
                    MAX_RECORD_BYTES >> 20
                ),
            ))
        } else {
            None
        }
    }
}

/// The scanner's state between chunks. See the [module docs](self).
#[derive(Debug, Default)]
pub(super) struct Scanner {
    /// Bytes of (UTF-8) input before the current chunk.
    offset: u64,
    /// Added to reported byte offsets (a byte-order mark).
    pub(super) bias: u64,
    line: u64,
    at_line_start: bool,
    in_string: bool,
    /// A backslash ended the last chunk inside a string.
    escape: bool,
    /// The string being read is a key of a tracked object.
    reading_key: bool,
    key: Vec<u8>,
    frames: Vec<Frame>,
    /// Depth below the innermost frame.
    untracked: u64,
    capture: Option<Capture>,
    /// The last byte outside strings that was not white space.
    last_significant: u8,
    /// Stray top-level text: where it started and its first bytes.
    text: Option<(Position, Vec<u8>)>,
    /// Every top-level object so far began and ended on one line (JSON lines).
    lines_mode: bool,
    top_values: u64,
    /// Top-level objects closed so far.
    completed_top: u64,
    /// Records and skips reported.
    records: u64,
}

impl Scanner {
    pub(super) fn new() -> Self {
        Scanner {
            line: 1,
            at_line_start: true,
            lines_mode: true,
            last_significant: b'\n',
            ..Scanner::default()
        }
    }

    fn depth(&self) -> u64 {
        self.frames.len() as u64 + self.untracked
    }

    fn position(&self, i: usize) -> Position {
        Position {
            byte: self.offset + i as u64 + self.bias,
            line: self.line,
            record: 0,
        }
    }

    fn next_record(&mut self, mut position: Position) -> Position {
        self.records += 1;
        position.record = self.records;
        position
    }

    fn skip(&mut self, kind: Kind, position: Position, reason: String, sink: &mut dyn RecordSink) {
        let position = self.next_record(position);
        event::skip(kind, position, reason, sink);
    }

    /// Scan the next chunk of UTF-8.
    pub(super) fn push(&mut self, data: &[u8], sink: &mut dyn RecordSink) {
        if let Some(c) = self.capture.as_mut() {
            c.from = 0;
        }
        let mut i = 0;
        if self.escape && !data.is_empty() {
            self.escape = false;
            self.string_bytes(&data[..1]);
            i = 1;
        }
        while i < data.len() {
            if self.in_string {
                i = self.string(data, i);
                continue;
            }
            if self.text.is_some() {
                i = self.stray_text(data, i, sink);
                continue;
            }
            let b = data[i];
            let line_start = self.at_line_start;
            self.at_line_start = b == b'\n';
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                b'"' => self.string_start(i, sink),
                b'{' | b'[' => self.open(b, i, line_start, sink),
                b'}' | b']' => self.close(data, i, sink),
                b',' => self.comma(),
                b':' => {
                    if let Some(f) = self.tracked() {
                        if f.expect == Expect::Colon {
                            f.expect = Expect::Value;
                        }
                    }
                }
                _ => self.scalar(b, i, sink),
            }
            if !matches!(b, b'\n' | b' ' | b'\t' | b'\r') {
                self.last_significant = b;
            }
            i += 1;
        }
        if let Some(c) = self.capture.as_mut() {
            let from = c.from.min(data.len());
            c.bytes += (data.len() - from) as u64;
            c.append(&data[from..]);
        }
        self.offset += data.len() as u64;
    }

    /// The innermost frame, when the scanner is directly inside it.
    fn tracked(&mut self) -> Option<&mut Frame> {
        if self.untracked > 0 {
            return None;
        }
        self.frames.last_mut()
    }

    /// Inside a string from `i`: find its end; returns where to go on.
    fn string(&mut self, data: &[u8], i: usize) -> usize {
        match memchr3(b'"', b'\\', b'\n', &data[i..]) {
            None => {
                self.string_bytes(&data[i..]);
                data.len()
            }
            Some(j) => {
                let k = i + j;
                self.string_bytes(&data[i..k]);
                match data[k] {
                    b'\\' => {
                        if k + 1 < data.len() {
                            self.string_bytes(&data[k..k + 2]);
                            k + 2
                        } else {
                            self.string_bytes(&data[k..k + 1]);
                            self.escape = true;
                            data.len()
                        }
                    }
                    b'"' => {
                        self.in_string = false;
                        self.last_significant = b'"';
                        self.at_line_start = false;
                        self.string_end();
                        k + 1
                    }
                    _ => {
                        // A raw line break cannot be inside a JSON string: the
                        // string is broken (the value will be reported); end it
                        // so the next line can be read afresh.
                        self.in_string = false;
                        self.reading_key = false;
                        self.line += 1;
                        self.at_line_start = true;
                        self.last_significant = b'"';
                        k + 1
                    }
                }
            }
        }
    }

    fn string_bytes(&mut self, part: &[u8]) {
        if self.reading_key && self.key.len() <= KEY_CAP {
            let room = KEY_CAP + 1 - self.key.len();
            self.key.extend_from_slice(&part[..part.len().min(room)]);
        }
    }

    fn string_start(&mut self, i: usize, sink: &mut dyn RecordSink) {
        if self.frames.is_empty() {
            self.start_text(b'"', i);
            return;
        }
        self.in_string = true;
        let Some(f) = self.tracked() else {
            return;
        };
        match f.expect {
            Expect::Key => {
                self.reading_key = true;
                self.key.clear();
            }
            Expect::Value => self.scalar_value("a string", i, sink),
            _ => {}
        }
    }

    fn string_end(&mut self) {
        if !self.reading_key {
            return;
        }
        self.reading_key = false;
        if self.untracked > 0 {
            return;
        }
        let key = self.key.as_slice();
        let Some(f) = self.frames.last_mut() else {
            return;
        };
        f.expect = Expect::Colon;
        f.key = match f.role {
            Role::TopObject | Role::Envelope => {
                if key == b"Results" || key == b"results" || key == b"records" {
                    KeyClass::Results
                } else if key.eq_ignore_ascii_case(b"tables") {
                    KeyClass::Tables
                } else {
                    KeyClass::Other
                }
            }
            Role::Table(_) if key.eq_ignore_ascii_case(b"columns") => KeyClass::Columns,
            Role::Table(_) if key.eq_ignore_ascii_case(b"rows") => KeyClass::Rows,
            _ => KeyClass::Other,
        };
    }

    fn comma(&mut self) {
        if let Some(f) = self.tracked() {
            f.expect = if f.object { Expect::Key } else { Expect::Value };
        }
    }

    /// A byte that can only belong to a number or literal (or is stray).
    fn scalar(&mut self, b: u8, i: usize, sink: &mut dyn RecordSink) {
        if self.frames.is_empty() {
            self.start_text(b, i);
            return;
        }
        let what = match b {
            b't' | b'f' => "a boolean",
            b'n' => "null",
            b'-' | b'0'..=b'9' => "a number",
            _ => "stray text",
        };
        self.scalar_value(what, i, sink);
    }

    /// A scalar starts at `i` where a tracked frame expects a value.
    fn scalar_value(&mut self, what: &str, i: usize, sink: &mut dyn RecordSink) {
        let position = self.position(i);
        let Some(f) = self.tracked() else {
            return;
        };
        if f.expect != Expect::Value {
            return;
        }
        f.expect = Expect::Comma;
        let element_of = match f.role {
            Role::TopArray | Role::Records => "an event",
            Role::Rows => "a table row",
            _ => return,
        };
        let reason = format!("array element is {what}, not {element_of}");
        self.skip(Kind::JsonNotEvent, position, reason, sink);
    }

    fn open(&mut self, b: u8, i: usize, line_start: bool, sink: &mut dyn RecordSink) {
        if line_start && b == b'{' && self.truncated_line() {
            let reason = format!(
                "JSON value not closed before line {}, where a new value starts",
                self.line
            );
            if let Some(c) = self.capture.take() {
                self.skip(Kind::Truncated, c.start, reason, sink);
            }
            self.frames.clear();
            self.untracked = 0;
            self.lines_mode = false;
        }
        let position = self.position(i);
        let object = b == b'{';
        if self.untracked > 0 {
            self.untracked += 1;
            self.check_depth();
            return;
        }
        let Some(f) = self.frames.last_mut() else {
            self.top_values += 1;
            let role = if object {
                Role::TopObject
            } else {
                Role::TopArray
            };
            self.push_frame(role, object, position);
            if object {
                self.start_capture(CaptureKind::Event, i, position, true);
            }
            return;
        };
        let key = f.key;
        f.expect = Expect::Comma;
        match f.role {
            Role::TopObject | Role::Envelope if !object && key == KeyClass::Results => {
                f.role = Role::Envelope;
                self.capture = None;
                self.push_frame(Role::Records, false, position);
            }
            Role::TopObject | Role::Envelope if !object && key == KeyClass::Tables => {
                f.role = Role::Envelope;
                self.capture = None;
                self.push_frame(Role::Tables, false, position);
            }
            Role::Tables if object => {
                self.push_frame(Role::Table(Table::default()), true, position)
            }
            Role::Table(_) if key == KeyClass::Rows && !object => {
                self.push_frame(Role::Rows, false, position)
            }
            Role::Table(_) if key == KeyClass::Columns => {
                self.untracked += 1;
                self.start_capture(CaptureKind::Columns, i, position, false);
            }
            Role::TopArray | Role::Records => {
                self.untracked += 1;
                self.start_capture(CaptureKind::Event, i, position, false);
            }
            Role::Rows => {
                self.untracked += 1;
                self.start_capture(CaptureKind::Row, i, position, false);
            }
            _ => {
                self.untracked += 1;
                self.check_depth();
            }
        }
    }

    /// At a `{` opening a line inside a top-level object: was that object cut
    /// short? Yes if its text cannot go on with a `{` here, or if the file
    /// has so far been JSON lines (one object per line).
    fn truncated_line(&self) -> bool {
        let inside_top_object = matches!(
            (self.frames.first(), &self.capture),
            (Some(Frame { role: Role::TopObject, .. }), Some(c)) if c.top_level
        );
        inside_top_object
            && (self.lines_mode && self.completed_top > 0
                || !matches!(self.last_significant, b':' | b',' | b'[' | b'{'))
    }

    fn push_frame(&mut self, role: Role, object: bool, start: Position) {
        self.frames.push(Frame {
            role,
            object,
            expect: if object { Expect::Key } else { Expect::Value },
            key: KeyClass::Other,
            start,
        });
    }

    fn start_capture(&mut self, kind: CaptureKind, i: usize, start: Position, top_level: bool) {
        self.capture = Some(Capture {
            kind,
            base: self.depth(),
            start,
            buf: Vec::new(),
            from: i,
            bytes: 0,
            oversize: false,
            too_deep: false,
            top_level,
        });
    }

    fn check_depth(&mut self) {
        let depth = self.depth();
        if let Some(c) = self.capture.as_mut() {
            if !c.too_deep && depth - c.base + 1 > MAX_DEPTH {
                c.too_deep = true;
                c.buf = Vec::new();
            }
        }
    }

    fn close(&mut self, data: &[u8], i: usize, sink: &mut dyn RecordSink) {
        let depth = self.depth();
        if depth == 0 {
            self.start_text(data[i], i);
            return;
        }
        if self.capture.as_ref().is_some_and(|c| c.base == depth) {
            self.end_capture(data, i, sink);
        }
        if self.untracked > 0 {
            self.untracked -= 1;
            return;
        }
        let Some(frame) = self.frames.pop() else {
            return;
        };
        match frame.role {
            Role::Table(table) => {
                for (position, _) in table.pending {
                    let reason = "table row without column names (the table has no columns)";
                    self.skip(Kind::JsonTableColumns, position, reason.into(), sink);
                }
            }
            Role::TopObject => {
                self.completed_top += 1;
                if frame.start.line != self.line {
                    self.lines_mode = false;
                }
            }
            _ => {}
        }
    }

    /// The captured value ends with `data[i]`.
    fn end_capture(&mut self, data: &[u8], i: usize, sink: &mut dyn RecordSink) {
        let Some(mut c) = self.capture.take() else {
            return;
        };
        let part = &data[c.from.min(i)..=i];
        let total = c.bytes + part.len() as u64;
        if let Some((kind, reason)) = c.refusal(total) {
            self.skip(kind, c.start, reason, sink);
            return;
        }
        let bytes: &[u8] = if c.buf.is_empty() {
            part
        } else {
            c.buf.extend_from_slice(part);
            &c.buf
        };
        match c.kind {
            CaptureKind::Event => {
                let position = self.next_record(c.start);
                match event::object_fields(bytes) {
                    Ok(fields) => event::emit(fields, position, sink),
                    Err((kind, reason)) => event::skip(kind, position, reason, sink),
                }
            }
            CaptureKind::Row => self.row(bytes, c.start, sink),
            CaptureKind::Columns => self.columns(bytes, c.start, sink),
        }
    }

    /// The table a row or column list belongs to.
    fn table(&mut self, from_rows: bool) -> Option<&mut Table> {
        let n = self.frames.len();
        let index = if from_rows {
            n.checked_sub(2)?
        } else {
            n.checked_sub(1)?
        };
        match &mut self.frames.get_mut(index)?.role {
            Role::Table(table) => Some(table),
            _ => None,
        }
    }

    fn row(&mut self, bytes: &[u8], start: Position, sink: &mut dyn RecordSink) {
        let Some(table) = self.table(true) else {
            return;
        };
        if let Some(error) = &table.columns_error {
            let reason = format!("table row without usable column names: {error}");
            self.skip(Kind::JsonTableColumns, start, reason, sink);
            return;
        }
        let Some(columns) = table.columns.take() else {
            if table.pending_bytes + bytes.len() > MAX_RECORD_BYTES {
                let reason = format!(
                    "table row arrives before the table's columns, and the rows held \
                     waiting for them exceed {} MiB",
                    MAX_RECORD_BYTES >> 20
                );
                self.skip(Kind::RecordTooLarge, start, reason, sink);
            } else {
                table.pending_bytes += bytes.len();
                table.pending.push((start, bytes.to_vec()));
            }
            return;
        };
        let position = self.next_record(start);
        match event::row_fields(bytes, &columns) {
            Ok(fields) => event::emit(fields, position, sink),
            Err((kind, reason)) => event::skip(kind, position, reason, sink),
        }
        if let Some(table) = self.table(true) {
            table.columns = Some(columns);
        }
    }

    fn columns(&mut self, bytes: &[u8], start: Position, sink: &mut dyn RecordSink) {
        let names = event::column_names(bytes);
        let Some(table) = self.table(false) else {
            return;
        };
        let names = match names {
            Ok(names) => names,
            Err(error) => {
                // Not a record itself: the table's rows are reported with it.
                let error = format!("{error} (columns at {start})");
                table.columns_error = Some(error.clone());
                for (position, _) in core::mem::take(&mut table.pending) {
                    let reason = format!("table row without usable column names: {error}");
                    self.skip(Kind::JsonTableColumns, position, reason, sink);
                }
                return;
            }
        };
        let pending = core::mem::take(&mut table.pending);
        table.pending_bytes = 0;
        for (position, row) in pending {
            let position = self.next_record(position);
            match event::row_fields(&row, &names) {
                Ok(fields) => event::emit(fields, position, sink),
                Err((kind, reason)) => event::skip(kind, position, reason, sink),
            }
        }
        if let Some(table) = self.table(false) {
            table.columns = Some(names);
        }
    }

    fn start_text(&mut self, b: u8, i: usize) {
        let position = self.position(i);
        self.text = Some((position, alloc::vec![b]));
    }

    /// Stray top-level text runs to the end of its line.
    fn stray_text(&mut self, data: &[u8], i: usize, sink: &mut dyn RecordSink) -> usize {
        let end = memchr(b'\n', &data[i..]).map(|j| i + j);
        let stop = end.unwrap_or(data.len());
        if let Some((_, text)) = self.text.as_mut() {
            let room = (TEXT_CAP + 1).saturating_sub(text.len());
            text.extend_from_slice(&data[i..stop.min(i + room)]);
        }
        match end {
            Some(k) => {
                self.end_text(sink);
                self.line += 1;
                self.at_line_start = true;
                self.last_significant = b'\n';
                k + 1
            }
            None => data.len(),
        }
    }

    fn end_text(&mut self, sink: &mut dyn RecordSink) {
        let Some((position, text)) = self.text.take() else {
            return;
        };
        let line = text.strip_suffix(b"\r").unwrap_or(&text);
        if is_record_separator(line) || line.iter().all(|b| matches!(b, b' ' | b'\t' | b',')) {
            return; // evtx_dump's `Record N`, or commas between values
        }
        let shown = String::from_utf8_lossy(&line[..line.len().min(TEXT_CAP)]);
        let more = if line.len() > TEXT_CAP { "…" } else { "" };
        let reason = format!("text outside any JSON object or array: `{shown}{more}`");
        self.skip(Kind::JsonNotEvent, position, reason, sink);
    }

    /// End of input: report what is unfinished.
    pub(super) fn finish(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        self.end_text(sink);
        if let Some(c) = self.capture.take() {
            let reason = format!(
                "JSON value not closed at end of file ({} bytes read{})",
                c.bytes,
                if c.too_deep { ", nested too deep" } else { "" }
            );
            self.skip(Kind::Truncated, c.start, reason, sink);
            if matches!(
                self.frames.first(),
                Some(Frame {
                    role: Role::TopObject,
                    ..
                })
            ) {
                self.frames.clear();
            }
        }
        if let Some(frame) = self.frames.first() {
            let what = if frame.object { "object" } else { "array" };
            return Err(DecodeError::new(
                Kind::Truncated,
                Position {
                    record: self.records,
                    ..frame.start
                },
                format!("the file ends inside a JSON {what} opened here (the file is truncated)"),
            ));
        }
        if self.top_values == 0 && self.records == 0 {
            return Err(DecodeError::new(
                Kind::Empty,
                self.position(0),
                "no JSON value in the file",
            ));
        }
        Ok(())
    }
}
