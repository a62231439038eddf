//! One big CSV file scanned as two byte ranges (by two workers on the page),
//! with results identical to a scan of the whole file.
//!
//! The protocol, all of it here as pure functions so it is tested natively
//! (`core/tests/split.rs`):
//!
//! 1. [`plan`] reads the file's first bytes and a window at the middle: the
//!    file must be a UTF-8 CSV whose header maps every required column and
//!    has no `NewProcessId` (Security 4688 parent inference looks back at
//!    earlier records, so such a file stays whole). The second range starts
//!    at the first line start at or after the middle: a *candidate* record
//!    boundary, since that `\n` may lie inside a quoted field.
//! 2. The first range `[0, boundary)` is scanned by [`RangeScan::first`], the
//!    second by [`RangeScan::after`], which feeds the header's bytes to its
//!    decoder first and scans `[boundary, end)` after them.
//! 3. The seam: when the first range has read all its bytes,
//!    [`RangeScan::at_record_start`] tells whether its last record ended
//!    exactly at the boundary, by the decoder's own quote rule (a `"` opens a
//!    quoted field only at a field's start, `""` inside is an escape). If it
//!    did not, the second range's work is thrown away and the first range
//!    reads on to the end of the file: the rescan.
//! 4. [`merge`] adds the second range's summary to the first's and shifts its
//!    positions (byte, line, record) by what the first range read.
//!
//! More than two ranges: [`plan_n`] plans one cut per window, the middle
//! ranges are scanned by [`RangeScan::middle`] (which follows quotes, so its
//! own end seam can be checked), the seams are checked in order (a range
//! whose seam fails is read on by the last range accepted), and
//! [`merge_all`] folds the parts.
//!
//! EVTX logs are split on chunk boundaries into up to eight ranges by
//! [`evtx`] (whose docs show the protocol in code), JSON lines with clean
//! lines by [`json`]; their parts merge with [`merge_all`] as these do.
//!
//! What stays single-worker, and why:
//!
//! - CSV with a `NewProcessId` column (Security 4688: parent inference
//!   looks back at earlier records; EVTX checks it at the seam instead, with
//!   [`FileScan::parents_not_found`]), UTF-16 CSV (byte offsets are not text
//!   offsets).
//! - JSON lines are split by [`json`] only where the lines are *clean* (one
//!   whole object per line, no string broken by a line break, no stray
//!   text, no Log Analytics table): the JSON scanner's state between lines is
//!   not exposed, and after an unclean line it depends on every earlier line
//!   (whether each top-level object so far sat on one line, how many closed,
//!   the last significant byte) and some skip reasons name line numbers, so
//!   from the first unclean line on one scanner reads to the end. A hook in
//!   `format/json/scanner.rs` exposing that state would let unclean files
//!   split too.
//! - JSON arrays and API envelopes (`Results`, Log Analytics `tables`): a
//!   later range does not know which container it is in, and a table's
//!   `columns` may come after its `rows`.
//! - XML: an `<Event` at a candidate boundary may lie inside a comment,
//!   CDATA, a processing instruction or an attribute value; only the
//!   tokenizer's state says, and it is not exposed.
//! - XLSX: a zip, read whole.

use alloc::vec::Vec;

#[cfg(feature = "std")]
pub mod evtx;
pub mod json;

use memchr::memchr;

use crate::event::Position;
use crate::format::{sniff, Format};
use crate::mapping::{Schema, Target};
use crate::scan::{FileScan, FileSummary, FlaggedRow, MAX_SKIPS_KEPT};

/// Files at least this big are split in two (smaller ones are read faster
/// than a second worker starts).
pub const SPLIT_THRESHOLD: u64 = 64 << 20;

/// How many bytes of the file's start [`plan`] needs at most to find the
/// header (a longer header: no split).
pub const HEAD_BYTES: usize = 64 << 10;

/// How many bytes at the middle [`plan`] reads to find a line start (a
/// longer line there: no split).
pub const WINDOW_BYTES: usize = 1 << 20;

/// The window of a file of `size` bytes in which the page looks for a cut
/// at fraction `at` of it (`0.5`: the middle): `[start, end)`, starting one
/// byte before that point (so a line start exactly there is found) and at
/// most [`WINDOW_BYTES`] long. [`plan`] and [`json::plan`] take its bytes.
pub fn window(size: u64, at: f64) -> (u64, u64) {
    let start = ((size as f64 * at) as u64).saturating_sub(1);
    (start, size.min(start + WINDOW_BYTES as u64))
}

/// Where a file is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The header's bytes are `[0, header_end)` (byte-order mark, blank
    /// lines and the header record with its `\n`).
    pub header_end: usize,
    /// Length of the UTF-8 byte-order mark (0 or 3).
    pub bom: usize,
    /// The second range's first byte: a candidate record start (the byte
    /// before it is a `\n`).
    pub boundary: u64,
}

/// Plan a split of a file of `size` bytes: `head` is its first bytes (up to
/// [`HEAD_BYTES`]), `window` the bytes from offset `window_start` (the
/// middle minus one; up to [`WINDOW_BYTES`]). `None`: scan it whole (not a
/// CSV this can split, or no line start in the window).
pub fn plan(head: &[u8], window: &[u8], window_start: u64, size: u64) -> Option<Plan> {
    if sniff(head) != Some(Format::Csv) || head.starts_with(&[0xff, 0xfe]) {
        return None;
    }
    if head.starts_with(&[0xfe, 0xff]) {
        return None;
    }
    let bom = if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        3
    } else {
        0
    };
    let (start, end, header_end) = header_record(head, bom)?;
    let names = header_names(&head[start..end]);
    let schema = Schema::resolve(&names);
    if !schema.missing_required().is_empty() || schema.get(Target::NewProcessId).is_some() {
        return None;
    }
    let boundary = window_start + memchr(b'\n', window)? as u64 + 1;
    if boundary <= header_end as u64 || boundary >= size {
        return None;
    }
    Some(Plan {
        header_end,
        bom,
        boundary,
    })
}

/// Plan a split into several ranges: one [`Plan`] per later range, in
/// file order. `windows` are `(window_start, window)` pairs as for [`plan`],
/// one per wanted cut (for `k` ranges, say at `size * i / k - 1` for `i` in
/// `1..k`), in increasing order. Cuts that land on the same line start as
/// the one before are dropped; `None` when no cut is left (scan it whole).
/// The first range is scanned by [`RangeScan::first`], the middle ones by
/// [`RangeScan::middle`], the last by [`RangeScan::after`] (or `middle`);
/// seams are checked in order as in [`plan`]'s protocol: the scanner of the
/// last range accepted must be [at a record start](RangeScan::at_record_start)
/// after its bytes, else it reads on through the next range (the rescan).
/// [`merge_all`] folds the parts.
pub fn plan_n(head: &[u8], windows: &[(u64, &[u8])], size: u64) -> Option<Vec<Plan>> {
    let mut plans: Vec<Plan> = Vec::new();
    for &(start, window) in windows {
        let p = plan(head, window, start, size)?;
        if plans.last().is_none_or(|last| p.boundary > last.boundary) {
            plans.push(p);
        }
    }
    (!plans.is_empty()).then_some(plans)
}

/// The first non-blank record of `head` (skipping `bom` bytes), by the
/// decoder's quote rule: `(its first byte, its end before `\r\n`, the byte
/// after its `\n`)`.
fn header_record(head: &[u8], bom: usize) -> Option<(usize, usize, usize)> {
    let mut quotes = Quotes::new(bom);
    quotes.push(&head[..bom.min(head.len())]);
    let mut record = bom;
    let mut at = bom;
    loop {
        let nl = at + memchr(b'\n', head.get(at..)?)?;
        quotes.push(&head[at..=nl]);
        at = nl + 1;
        if quotes.at_record_start() {
            let text = &head[record..nl];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if !text.iter().all(|b| *b == b' ' || *b == b'\t') {
                return Some((record, record + text.len(), at));
            }
            record = at;
        }
    }
}

/// The header's field names (quotes removed, `""` unescaped; invalid UTF-8
/// replaced).
fn header_names(rec: &[u8]) -> Vec<alloc::string::String> {
    let mut names = Vec::new();
    let mut field = Vec::new();
    let mut i = 0;
    let mut quoted = false;
    let mut at_start = true;
    while i < rec.len() {
        let b = rec[i];
        if quoted {
            if b == b'"' {
                if rec.get(i + 1) == Some(&b'"') {
                    field.push(b'"');
                    i += 1;
                } else {
                    quoted = false;
                }
            } else {
                field.push(b);
            }
        } else if b == b'"' && at_start {
            quoted = true;
        } else if b == b',' {
            names.push(alloc::string::String::from_utf8_lossy(&field).into_owned());
            field.clear();
            at_start = true;
            i += 1;
            continue;
        } else {
            field.push(b);
        }
        at_start = false;
        i += 1;
    }
    names.push(alloc::string::String::from_utf8_lossy(&field).into_owned());
    names
}

/// The CSV decoder's quote state, tracked over the bytes of a range
/// (only quotes change it, so this visits quotes alone).
#[derive(Debug, Clone)]
struct Quotes {
    state: QuoteState,
    /// The byte before the next one (`\n` at the start of the text).
    prev: u8,
    /// Bytes still to ignore (the byte-order mark, which the decoder strips).
    skip: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl Quotes {
    fn new(bom: usize) -> Self {
        Quotes {
            state: QuoteState::Unquoted,
            prev: b'\n',
            skip: bom,
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        let skip = self.skip.min(chunk.len());
        self.skip -= skip;
        let data = &chunk[skip..];
        let mut i = 0;
        while i < data.len() {
            match self.state {
                QuoteState::Unquoted => match memchr(b'"', &data[i..]) {
                    Some(j) => {
                        let at = i + j;
                        let before = if at == 0 { self.prev } else { data[at - 1] };
                        if before == b',' || before == b'\n' {
                            self.state = QuoteState::Quoted;
                        }
                        i = at + 1;
                    }
                    None => break,
                },
                QuoteState::Quoted => match memchr(b'"', &data[i..]) {
                    Some(j) => {
                        self.state = QuoteState::QuoteInQuoted;
                        i += j + 1;
                    }
                    None => break,
                },
                QuoteState::QuoteInQuoted => {
                    if data[i] == b'"' {
                        self.state = QuoteState::Quoted;
                        i += 1;
                    } else {
                        self.state = QuoteState::Unquoted;
                    }
                }
            }
        }
        if let Some(&last) = data.last() {
            self.prev = last;
        }
    }

    /// The bytes so far end a record: the last is a `\n` outside quotes.
    fn at_record_start(&self) -> bool {
        self.skip == 0 && self.prev == b'\n' && self.state != QuoteState::Quoted
    }
}

/// A scan of one byte range of a file.
pub struct RangeScan<'r> {
    scan: FileScan<'r>,
    /// The range's first byte in the file.
    start: u64,
    /// Header bytes fed to the decoder before the range (0 for the first).
    prefix: u64,
    /// Line breaks in those header bytes.
    prefix_newlines: u64,
    /// Line breaks in the range's bytes so far.
    newlines: u64,
    /// The range's bytes so far.
    bytes: u64,
    /// The first range's quote state (`None` for later ranges).
    quotes: Option<Quotes>,
}

/// What a range's scan found, with what [`merge`] needs to place it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangePart {
    /// The range's summary (positions relative to its decoder's input).
    pub summary: FileSummary,
    /// Its flagged rows (positions likewise).
    pub rows: Vec<FlaggedRow>,
    /// The range's first byte in the file.
    pub start: u64,
    /// Header bytes fed before the range.
    pub prefix: u64,
    /// Line breaks in those header bytes.
    pub prefix_newlines: u64,
    /// Line breaks in the range's bytes.
    pub newlines: u64,
    /// The range's bytes.
    pub bytes: u64,
}

impl<'r> RangeScan<'r> {
    /// The first range (from byte 0) of a file planned by [`plan`]; `scan`
    /// is a fresh [`FileScan`] set up as for the whole file.
    pub fn first(scan: FileScan<'r>, plan: &Plan) -> Self {
        RangeScan {
            scan,
            start: 0,
            prefix: 0,
            prefix_newlines: 0,
            newlines: 0,
            bytes: 0,
            quotes: Some(Quotes::new(plan.bom)),
        }
    }

    /// A later range starting at `start` (a candidate record start):
    /// `header` (the file's bytes `[0, plan.header_end)`) is fed to `scan`
    /// first. `scan` should force [`Format::Csv`].
    pub fn after(mut scan: FileScan<'r>, header: &[u8], start: u64) -> Self {
        scan.push(header);
        RangeScan {
            scan,
            start,
            prefix: header.len() as u64,
            prefix_newlines: count_newlines(header),
            newlines: 0,
            bytes: 0,
            quotes: None,
        }
    }

    /// A later range that is not the last one ([`plan_n`]): as
    /// [`after`](Self::after), and it follows the quotes of its bytes, so
    /// that [`at_record_start`](Self::at_record_start) tells whether the seam
    /// at its end holds (when its own start was a record start).
    pub fn middle(scan: FileScan<'r>, header: &[u8], start: u64) -> Self {
        let mut range = Self::after(scan, header, start);
        range.quotes = Some(Quotes::new(0));
        range
    }

    /// Feed the range's next bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.newlines += count_newlines(chunk);
        self.bytes += chunk.len() as u64;
        if let Some(q) = self.quotes.as_mut() {
            q.push(chunk);
        }
        self.scan.push(chunk);
    }

    /// The first range, after its last byte: did its last record end
    /// exactly there (the seam holds)? When not, push the rest of the file
    /// (the rescan) and drop the second range. Always `true` for a range
    /// made by [`after`](Self::after); for one made by
    /// [`middle`](Self::middle), whether its bytes end a record.
    pub fn at_record_start(&self) -> bool {
        self.quotes.as_ref().is_none_or(Quotes::at_record_start)
    }

    /// The summary so far (bytes include the header fed to a later range).
    pub fn summary(&self) -> &FileSummary {
        self.scan.summary()
    }

    /// Rows flagged since the last call (positions relative to the range:
    /// place them with [`Shift::apply`]).
    pub fn take_rows(&mut self) -> Vec<FlaggedRow> {
        self.scan.take_rows()
    }

    /// The range's bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Line breaks in the range's bytes so far.
    pub fn newlines(&self) -> u64 {
        self.newlines
    }

    /// End of the range (for the last range, of the file).
    pub fn finish(self) -> RangePart {
        let (summary, rows) = self.scan.finish();
        RangePart {
            summary,
            rows,
            start: self.start,
            prefix: self.prefix,
            prefix_newlines: self.prefix_newlines,
            newlines: self.newlines,
            bytes: self.bytes,
        }
    }
}

/// Line breaks in `data`.
fn count_newlines(data: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', data).count() as u64
}

/// How a later range's positions move into the file's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shift {
    /// Added to byte offsets: the range's start minus the header bytes fed.
    pub byte: u64,
    /// Added to line numbers: line breaks before the range minus those in
    /// the header fed.
    pub line: u64,
    /// Added to record numbers: records before the range.
    pub record: u64,
}

impl Shift {
    /// The shift for a later range `(start, prefix, prefix_newlines)` after
    /// a first range that read `records` records and `newlines` line breaks.
    pub fn new(start: u64, prefix: u64, prefix_newlines: u64, records: u64, newlines: u64) -> Self {
        Shift {
            byte: start - prefix,
            line: newlines - prefix_newlines,
            record: records,
        }
    }

    /// Move one position.
    pub fn position(&self, p: &mut Position) {
        p.byte += self.byte;
        if p.line > 0 {
            p.line += self.line;
        }
        if p.record > 0 {
            p.record += self.record;
        }
    }

    /// Move every row's position.
    pub fn apply(&self, rows: &mut [FlaggedRow]) {
        for row in rows {
            self.position(&mut row.position);
        }
    }
}

/// The whole file's summary and rows from its two ranges' (the seam held):
/// what a scan of the whole file gives.
pub fn merge(first: RangePart, second: RangePart) -> (FileSummary, Vec<FlaggedRow>) {
    let shift = Shift::new(
        second.start,
        second.prefix,
        second.prefix_newlines,
        first.summary.records,
        first.newlines,
    );
    let mut a = first.summary;
    let mut rows = first.rows;
    a.bytes = first.bytes + second.bytes;
    if a.error.is_some() {
        // The whole-file scan stops at the error too.
        return (a, rows);
    }
    let mut b = second.summary;
    a.records += b.records;
    a.process_creations += b.process_creations;
    for (label, n) in b.other_events {
        *a.other_events.entry(label).or_insert(0) += n;
    }
    a.shell += b.shell;
    a.shell_times.merge(&b.shell_times);
    a.flagged += b.flagged;
    for (x, y) in a.flag_counts.iter_mut().zip(b.flag_counts) {
        *x += y;
    }
    a.skipped += b.skipped;
    for mut skip in b.skips {
        if a.skips.len() >= MAX_SKIPS_KEPT {
            break;
        }
        shift.position(&mut skip.position);
        a.skips.push(skip);
    }
    a.bad_timestamps += b.bad_timestamps;
    if a.first_bad_timestamp.is_none() {
        if let Some((mut p, text)) = b.first_bad_timestamp.take() {
            shift.position(&mut p);
            a.first_bad_timestamp = Some((p, text));
        }
    }
    a.newest = a.newest.max(b.newest);
    a.oldest = match (a.oldest, b.oldest) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    if let Some(mut e) = b.error.take() {
        shift.position(&mut e.position);
        a.error = Some(e);
    }
    let mut later = second.rows;
    shift.apply(&mut later);
    rows.extend(later);
    (a, rows)
}

/// The whole file's summary and rows from the parts of its ranges, in file
/// order (every seam held, or was rescanned: a range read on through the
/// next one, whose part is then left out): [`merge`] folded over them.
/// `None` for no parts.
pub fn merge_all(parts: Vec<RangePart>) -> Option<(FileSummary, Vec<FlaggedRow>)> {
    let mut parts = parts.into_iter();
    let mut acc = parts.next()?;
    for next in parts {
        let newlines = acc.newlines + next.newlines;
        let (summary, rows) = merge(acc, next);
        acc = RangePart {
            bytes: summary.bytes,
            summary,
            rows,
            start: 0,
            prefix: 0,
            prefix_newlines: 0,
            newlines,
        };
    }
    Some((acc.summary, acc.rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_a_byte_before_the_cut_point() {
        let w = WINDOW_BYTES as u64;
        for (size, at, want) in [
            (0, 0.5, (0, 0)),
            (1, 0.5, (0, 1)),
            (100, 0.5, (49, 100)),
            (100, 0.1, (9, 100)),
            (10 * w, 0.5, (5 * w - 1, 6 * w - 1)),
            (10 * w, 0.95, (9 * w + w / 2 - 1, 10 * w)),
        ] {
            assert_eq!(window(size, at), want, "size {size}, at {at}");
        }
    }

    #[test]
    fn quotes_follow_the_decoder_rule() {
        let at_start = |data: &[u8]| {
            let mut q = Quotes::new(0);
            q.push(data);
            q.at_record_start()
        };
        assert!(at_start(b"a,b\n"));
        assert!(at_start(b"a,\"b\nc\",d\n"));
        assert!(!at_start(b"a,\"b\n"));
        // A quote inside an unquoted field is literal.
        assert!(at_start(b"a,b\"c\n"));
        // `""` inside quotes is an escape.
        assert!(!at_start(b"a,\"b\"\"\n"));
        assert!(at_start(b"a,\"b\"\"\"\n"));
        // Not ending in a line break.
        assert!(!at_start(b"a,b"));
        // Byte by byte, the same answers.
        for data in [&b"a,\"b\nc\",d\n"[..], b"a,\"b\"\"\n", b"x,\"\"\"\"\n"] {
            let mut q = Quotes::new(0);
            for b in data {
                q.push(core::slice::from_ref(b));
            }
            let mut whole = Quotes::new(0);
            whole.push(data);
            assert_eq!(q.at_record_start(), whole.at_record_start());
        }
    }

    #[test]
    fn header_record_skips_blank_lines_and_quoted_breaks() {
        assert_eq!(header_record(b"a,b\nc,d\n", 0), Some((0, 3, 4)));
        assert_eq!(header_record(b"\n  \r\na,b\r\nc\n", 0), Some((5, 8, 10)));
        assert_eq!(header_record(b"\"a\nx\",b\nc\n", 0), Some((0, 7, 8)));
        assert_eq!(header_record(b"\xef\xbb\xbf\"a\",b\n", 3), Some((3, 8, 9)));
        assert_eq!(header_record(b"a,b", 0), None);
        assert_eq!(
            header_names(b"\"File\"\"Name\",x,\"a,b\""),
            ["File\"Name", "x", "a,b"]
        );
    }
}
