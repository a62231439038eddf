//! The worker protocol: one message enum each way, carried as JSON (a string
//! to the worker; UTF-8 bytes in a transferred `ArrayBuffer` back).
//!
//! The page starts one Web Worker per file (run). It posts a single JS object
//! `{ module, msg, file }`: the page's compiled `WebAssembly.Module` (the
//! worker instantiates the same module, nothing is fetched), `msg` =
//! [`ToWorker`] as JSON, and the `File` itself (a handle, not its bytes). The
//! worker reads the file's stream, scans it in pieces of at most
//! [`CHUNK_BYTES`], and answers with
//! [`FromWorker`] messages, JSON as UTF-8 bytes ([`decode_bytes`]): the page
//! copies them into wasm memory in one `memcpy` rather than re-encoding a
//! big UTF-16 string character by character:
//!
//! ```text
//! page                                   worker
//!  | -- {module, Scan{job,..}, file} -->  |  instantiate module, read chunk 1..n
//!  | <------------ Progress ------------- |  at most every 100 ms
//!  | <-------------- Rows --------------- |  batched: every 200 ms or 500 rows
//!  | <----------- Validated ------------- |  only when asked (`validate`): the validation
//!  | <-------------- Done --------------- |  summary (error inside when the file broke)
//!  | <------------ Panicked ------------- |  only if the decoder panicked
//! ```
//!
//! Cancelling is `Worker.terminate()`; a job number tells stale messages
//! apart when a file is re-run with another format.
//!
//! Rows and summaries travel as the core's own types ([`FlaggedRow`],
//! [`FileSummary`]), serialised by the derives of `cmdhunt-core`'s `serde`
//! feature: there is no wire copy of them to keep in step.
//!
//! Keeping the page responsive: a row's original fields (dozens of name/value
//! pairs, most of a row's bytes) do not travel in the JSON. Each `Rows`
//! message carries them in a [`FieldBlock`]: every row's fields as a JSON
//! array of `[name, value]` pairs, concatenated, each row sent with its
//! [`FlaggedRow::fields`] empty (and so left out of its JSON) beside its
//! byte range ([`RowDto::fields`]). On the wire ([`frame`]) the block follows the
//! JSON in the same transferred buffer; the page copies only the JSON into
//! wasm memory and keeps the block as a JS view, never scanned, until the
//! detail panel of one of its rows opens ([`FieldBlock::parse`]). So a batch
//! costs the page the decoding of six short strings per row, whatever the
//! width of the export. [`FromWorker`] is externally tagged (`{"Rows":{..}}`)
//! so serde decodes it in one pass, without first buffering the whole
//! message as an internally tagged enum would.

use cmdhunt_core::scan::{FileSummary, FlaggedRow};
use serde::{Deserialize, Serialize};

/// The most bytes the worker hands its scan at once (1 MiB): a bigger
/// stream chunk is scanned in pieces of this size.
pub const CHUNK_BYTES: u32 = 1 << 20;

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ToWorker {
    /// Scan the `File` posted alongside.
    Scan {
        /// This run's number (unique per page; a re-run gets a new one).
        job: u32,
        /// The file's index, stored in every [`FlaggedRow::file`].
        file: u32,
        /// The file's name, for the summary.
        name: String,
        /// A forced format ([`Format::name`]); `None` sniffs the content.
        format: Option<String>,
        /// The most bytes handed to the scan at once.
        chunk_bytes: u32,
        /// Which rules run and with which lists (absent: parity, the
        /// rule's own lists).
        #[serde(default)]
        rules: ScanRules,
        /// Validate the file against the rule's four Atomic Red Team tests
        /// as well ([`crate::validation`]): the same chunks feed a
        /// `FileValidation`, whose result comes before `Done` as
        /// [`FromWorker::Validated`]. Such a file is read by one worker.
        #[serde(default, skip_serializing_if = "is_false")]
        validate: bool,
        /// Scan only this byte range of the file (a big CSV split across
        /// workers, [`cmdhunt_core::split`]); absent: the whole file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        range: Option<ScanRange>,
    },
    /// Read the `File` posted alongside again for one row's process context
    /// ([`cmdhunt_core::context`]; `crate::context_job`): answered by one
    /// [`FromWorker::Context`].
    Context {
        /// This request's number.
        job: u32,
        /// The file's name, for messages.
        name: String,
        /// A forced format ([`Format::name`]); `None` sniffs the content.
        format: Option<String>,
        /// The row.
        subject: Box<cmdhunt_core::context::Subject>,
    },
}

/// One byte range of a file split across workers ([`cmdhunt_core::split`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRange {
    /// The range's first byte: 0 for the first range (which checks the
    /// seam), else a candidate record start.
    pub start: u64,
    /// The byte after the range.
    pub end: u64,
    /// The header's bytes are `[0, header_end)`: a later range feeds them
    /// to its decoder first.
    pub header_end: u64,
    /// Length of the UTF-8 byte-order mark (0 or 3).
    pub bom: u32,
    /// What is split (absent: a CSV).
    #[serde(default, skip_serializing_if = "RangeKind::is_csv")]
    pub kind: RangeKind,
}

/// What kind of file a [`ScanRange`] cuts, which says how its ranges are
/// scanned and who judges the seam (`"kind"` on the wire, lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RangeKind {
    /// A CSV ([`cmdhunt_core::split::RangeScan`]): a later range reads the
    /// header record `[0, header_end)` first; the first range judges its own
    /// seam and reads on by itself when it does not hold.
    #[default]
    Csv,
    /// An EVTX log cut on chunk boundaries ([`cmdhunt_core::split::evtx`]);
    /// `header_end` is its 4 KiB file header. The first range waits, after
    /// its bytes, for the page to say whether to read on (a later range
    /// that did not stand alone).
    Evtx,
    /// JSON lines ([`cmdhunt_core::split::json`]); no header
    /// (`header_end` 0). The first range reports whether its lines were
    /// clean, the later one whether it stands alone, and the first waits for
    /// the page's word as an EVTX log's does.
    Json,
}

impl RangeKind {
    /// The default (left out of the JSON).
    pub fn is_csv(&self) -> bool {
        *self == RangeKind::Csv
    }

    /// The format such a file is read as (a later range's forced format).
    pub fn format(&self) -> cmdhunt_core::format::Format {
        use cmdhunt_core::format::Format;
        match self {
            RangeKind::Csv => Format::Csv,
            RangeKind::Evtx => Format::Evtx,
            RangeKind::Json => Format::Json,
        }
    }

    /// Whether the first range's worker waits after its bytes for the
    /// page's word on reading on ([`crate::split_job::SplitOut::Decide`]).
    pub fn first_waits(&self) -> bool {
        *self != RangeKind::Csv
    }
}

/// `SuspiciousPatterns` and `SuspiciousParents`, in that order.
pub type Lists = (Vec<String>, Vec<String>);

/// What a worker runs: the mode and, when tuned, the rule's lists.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScanRules {
    /// `true` runs the hardened rules beside the parity rule
    /// ([`cmdhunt_core::scan::FileScan::hardened`]).
    #[serde(default)]
    pub hardened: bool,
    /// `SuspiciousPatterns` and `SuspiciousParents` when they differ from
    /// the rule's own (`None`: the published rule, its parity path untouched).
    #[serde(default)]
    pub lists: Option<Lists>,
}

/// Worker → page (externally tagged: `{"Progress":{..}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FromWorker {
    /// While reading (at most every 100 ms, and after each batch of rows):
    /// the file's account so far. Every row it counts as flagged has been
    /// sent before it, so the page can stop at any `Progress` (a cancel)
    /// and hold rows and counts that agree.
    Progress {
        /// The run.
        job: u32,
        /// The file's account so far ([`FromWorker::progress`]): a
        /// [`FileSummary`] without its name, skips, unreadable times or
        /// error, which come with `Done`.
        account: Box<FileSummary>,
    },
    /// Flagged rows, in file order.
    Rows {
        /// The run.
        job: u32,
        /// The rows.
        rows: Vec<RowDto>,
        /// The rows' original fields (not JSON: it follows the JSON in the frame).
        #[serde(skip)]
        fields: FieldBlock,
    },
    /// The file is finished (or stopped on an error, named in the summary).
    Done {
        /// The run.
        job: u32,
        /// Every count, skip and error.
        summary: Box<FileSummary>,
    },
    /// The file's validation ([`crate::validation::ValidationDto`]), sent
    /// just before `Done` when the start message asked for it.
    Validated {
        /// The run.
        job: u32,
        /// The signals seen and the rows with a test's flag.
        result: Box<crate::validation::ValidationDto>,
    },
    /// A range worker read its range's last byte ([`ScanRange`]): the line
    /// breaks in the range, and `held`, its word on the seam. A CSV's first
    /// range: its last record ended exactly at the boundary (if not, its
    /// worker reads on to the end of the file, the rescan, and the page
    /// stops the others); a later CSV range: always `true`. An EVTX log's or
    /// a JSON lines file's later range: it stands alone. A JSON lines
    /// file's first range: its lines were all clean. For these two kinds the
    /// page then tells the first range's worker whether to read on.
    RangeRead {
        /// The run.
        job: u32,
        /// Line breaks in the range's bytes.
        newlines: u64,
        /// The seam held (see above for each kind).
        held: bool,
    },
    /// The answer to [`ToWorker::Context`]: the row's process context.
    Context {
        /// The request.
        job: u32,
        /// The context (its `error` says why the read stopped early, if it did).
        context: Box<cmdhunt_core::context::ProcessContext>,
    },
    /// The decoder panicked; the file failed, the worker is dead.
    Panicked {
        /// The run.
        job: u32,
        /// The panic message.
        message: String,
    },
}

impl FromWorker {
    /// `s` (the account so far) as a `Progress` of `job`: the counts, times
    /// and format, not the name, skips, unreadable times or error.
    pub fn progress(job: u32, s: &FileSummary) -> FromWorker {
        FromWorker::Progress {
            job,
            account: Box::new(FileSummary {
                name: String::new(),
                format: s.format,
                bytes: s.bytes,
                records: s.records,
                process_creations: s.process_creations,
                other_events: s.other_events.clone(),
                shell: s.shell,
                shell_times: s.shell_times.clone(),
                flagged: s.flagged,
                flag_counts: s.flag_counts,
                skipped: s.skipped,
                skips: Vec::new(),
                bad_timestamps: 0,
                first_bad_timestamp: None,
                newest: s.newest,
                oldest: s.oldest,
                error: None,
            }),
        }
    }

    /// The run a message belongs to.
    pub fn job(&self) -> u32 {
        match self {
            FromWorker::Progress { job, .. }
            | FromWorker::Rows { job, .. }
            | FromWorker::Done { job, .. }
            | FromWorker::Validated { job, .. }
            | FromWorker::RangeRead { job, .. }
            | FromWorker::Context { job, .. }
            | FromWorker::Panicked { job, .. } => *job,
        }
    }
}

/// A [`FlaggedRow`] on the wire: the core's row, its
/// [`fields`](FlaggedRow::fields) left empty (an empty list is not
/// serialised), and where they are in its batch's [`FieldBlock`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowDto {
    /// The row, without its original fields.
    pub row: FlaggedRow,
    /// Where this row's original fields are in its batch's [`FieldBlock`]:
    /// `(start, length)` in bytes.
    pub fields: (u64, u64),
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The original fields of a batch of rows: each row's as a JSON array of
/// `[name, value]` pairs, one after the other. The worker builds it as
/// bytes; the page keeps the JS view it arrived in (wasm32), unread until a
/// row's detail panel asks for its range.
#[derive(Debug, Clone)]
pub enum FieldBlock {
    /// The bytes, in wasm (or native) memory.
    Bytes(Vec<u8>),
    /// The bytes, left where the worker's message put them.
    #[cfg(target_arch = "wasm32")]
    Js(js_sys::Uint8Array),
}

impl PartialEq for FieldBlock {
    /// Same bytes (a JS view is copied out to compare).
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (FieldBlock::Bytes(a), FieldBlock::Bytes(b)) => a == b,
            #[cfg(target_arch = "wasm32")]
            (a, b) => a.to_vec() == b.to_vec(),
        }
    }
}

impl Eq for FieldBlock {}

impl Default for FieldBlock {
    /// No bytes.
    fn default() -> Self {
        FieldBlock::Bytes(Vec::new())
    }
}

impl FieldBlock {
    /// Append `fields` as JSON; returns their `(start, length)`.
    pub fn push(&mut self, fields: &[(String, String)]) -> (u64, u64) {
        match self {
            FieldBlock::Bytes(bytes) => {
                let start = bytes.len();
                // Writing strings into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *bytes, fields);
                (start as u64, (bytes.len() - start) as u64)
            }
            #[cfg(target_arch = "wasm32")]
            FieldBlock::Js(_) => (0, 0),
        }
    }

    /// A copy of the bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            FieldBlock::Bytes(bytes) => bytes.clone(),
            #[cfg(target_arch = "wasm32")]
            FieldBlock::Js(view) => view.to_vec(),
        }
    }

    /// The block's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            FieldBlock::Bytes(bytes) => bytes.len() as u64,
            #[cfg(target_arch = "wasm32")]
            FieldBlock::Js(view) => u64::from(view.length()),
        }
    }

    /// Whether the block is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fields at `(start, length)`, parsed; the error says what was wrong.
    pub fn parse(&self, (start, length): (u64, u64)) -> Result<Vec<(String, String)>, String> {
        let end = start
            .checked_add(length)
            .filter(|&end| end <= self.len())
            .ok_or_else(|| {
                format!(
                    "the record's fields are not in its batch: bytes {start}+{length} of {}",
                    self.len()
                )
            })?;
        let parse = |json: &[u8]| {
            serde_json::from_slice(json)
                .map_err(|e| format!("the record's fields could not be read: {e}"))
        };
        match self {
            FieldBlock::Bytes(bytes) => parse(&bytes[start as usize..end as usize]),
            #[cfg(target_arch = "wasm32")]
            // Both bounds are at most the view's u32 length (checked above).
            FieldBlock::Js(view) => parse(&view.subarray(start as u32, end as u32).to_vec()),
        }
    }
}

impl RowDto {
    /// The row with its fields left empty (the page keeps them in their block).
    pub fn into_row(self) -> FlaggedRow {
        self.row
    }

    /// The wire form of `r`, its fields appended to `block`.
    pub fn new(r: &FlaggedRow, block: &mut FieldBlock) -> Self {
        RowDto {
            // Field by field: cloning `r` would copy its fields only to drop them.
            row: FlaggedRow {
                event: r.event.clone(),
                verdict: r.verdict,
                detection: r.detection,
                hardened: r.hardened.clone(),
                file: r.file,
                position: r.position,
                fields: Vec::new(),
            },
            fields: block.push(&r.fields),
        }
    }
}

/// A `Rows` message for `rows`: their wire forms and their field block.
pub fn rows_message(job: u32, rows: &[FlaggedRow]) -> FromWorker {
    let mut fields = FieldBlock::default();
    let rows = rows.iter().map(|r| RowDto::new(r, &mut fields)).collect();
    FromWorker::Rows { job, rows, fields }
}

/// The whole rows of a `Rows` message, fields parsed (unreadable fields
/// become none): for tests and tools; the page keeps the block instead.
pub fn full_rows(rows: Vec<RowDto>, fields: &FieldBlock) -> Vec<FlaggedRow> {
    rows.into_iter()
        .map(|d| {
            let range = d.fields;
            FlaggedRow {
                fields: fields.parse(range).unwrap_or_default(),
                ..d.into_row()
            }
        })
        .collect()
}

/// The bytes a worker posts for `message`: the JSON's length (4 bytes,
/// little-endian), the JSON, then (for `Rows`) the field block. When the
/// message cannot be encoded, a `Panicked` frame for its job saying so
/// (naming `file`) takes its place: the page is never sent an empty message.
pub fn frame(message: &FromWorker, file: &str) -> Vec<u8> {
    match encode(message) {
        Ok(json) => frame_json(message, &json),
        Err(e) => failure_frame(message.job(), &format!("{file}: {e}")),
    }
}

/// A `Panicked` frame for `job` with `message`, built without anything that
/// can fail (for when a message could not be encoded).
pub fn failure_frame(job: u32, message: &str) -> Vec<u8> {
    let failed = FromWorker::Panicked {
        job,
        message: message.to_owned(),
    };
    let json = encode(&failed).unwrap_or_else(|_| {
        // A string always encodes; should it not, plain ASCII still does.
        let ascii: String = message
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || " .,:-_()".contains(*c))
            .collect();
        format!("{{\"Panicked\":{{\"job\":{job},\"message\":\"{ascii}\"}}}}")
    });
    frame_json(&failed, &json)
}

fn frame_json(message: &FromWorker, json: &str) -> Vec<u8> {
    let block: &[u8] = match message {
        FromWorker::Rows {
            fields: FieldBlock::Bytes(b),
            ..
        } => b,
        _ => &[],
    };
    let mut out = Vec::with_capacity(4 + json.len() + block.len());
    // A message over 4 GiB cannot be posted anyway; the page rejects a bad length.
    out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(block);
    out
}

/// Where the JSON of a frame of `total` bytes ends, from its first 4 bytes;
/// the error names what was wrong.
pub fn frame_json_end(head: [u8; 4], total: usize) -> Result<usize, String> {
    let end = (u32::from_le_bytes(head) as usize).saturating_add(4);
    if end > total {
        return Err(format!(
            "bad worker message: its JSON would end at byte {end} of {total}"
        ));
    }
    Ok(end)
}

/// Decode a frame held in memory (tests, and messages that arrive as copies).
pub fn unframe(bytes: &[u8]) -> Result<FromWorker, String> {
    let head: [u8; 4] = bytes
        .get(..4)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| format!("bad worker message: {} bytes", bytes.len()))?;
    let end = frame_json_end(head, bytes.len())?;
    let mut message = decode_bytes::<FromWorker>(&bytes[4..end])?;
    if let FromWorker::Rows { fields, .. } = &mut message {
        *fields = FieldBlock::Bytes(bytes[end..].to_vec());
    }
    Ok(message)
}

/// Encode a message as the JSON string that crosses the worker boundary;
/// the error says why it could not be (never an empty message instead).
pub fn encode<T: Serialize>(message: &T) -> Result<String, String> {
    serde_json::to_string(message)
        .map_err(|e| format!("a worker message could not be encoded: {e}"))
}

/// Read the start message a worker received ([`ToWorker`] as JSON). When it
/// is malformed, the error carries the job number and says which file it
/// was for, as far as they can be read from it (job 0 and "an unnamed file"
/// when they cannot), so the page can fail the right file with a reason.
pub fn start_request(message: &str) -> Result<ToWorker, (u32, String)> {
    decode::<ToWorker>(message).map_err(|e| {
        let value: Option<serde_json::Value> = serde_json::from_str(message).ok();
        let field = |name: &str| value.as_ref().and_then(|v| v.get(name));
        let job = field("job")
            .and_then(serde_json::Value::as_u64)
            .and_then(|j| u32::try_from(j).ok())
            .unwrap_or(0);
        let name = field("name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("an unnamed file");
        (job, format!("{name}: the scan could not start: {e}"))
    })
}

/// Decode a message from its UTF-8 bytes (how the worker posts them); the
/// error names what was wrong with it.
pub fn decode_bytes<T: for<'de> Deserialize<'de>>(json: &[u8]) -> Result<T, String> {
    serde_json::from_slice(json).map_err(|e| format!("bad worker message: {e}"))
}

/// Decode a message; the error names what was wrong with it.
pub fn decode<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| format!("bad worker message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample_csv, scan_all};

    #[test]
    fn rows_and_summary_survive_the_wire() {
        let (summary, rows) = scan_all(sample_csv(), 0, None);
        assert!(!rows.is_empty() && rows.iter().all(|r| !r.fields.is_empty()));
        let message = rows_message(3, &rows);
        let wire = frame(&message, "sample.csv");
        assert_eq!(unframe(&wire).as_ref(), Ok(&message));
        let Ok(FromWorker::Rows {
            job,
            rows: back,
            fields,
        }) = unframe(&wire)
        else {
            panic!("rows message did not decode");
        };
        assert_eq!(job, 3);
        // The JSON carries no field: they are all in the block after it.
        let json_len = u32::from_le_bytes([wire[0], wire[1], wire[2], wire[3]]) as usize;
        assert_eq!(4 + json_len + fields.len() as usize, wire.len());
        let json = std::str::from_utf8(&wire[4..4 + json_len]).expect("utf-8");
        let (name, value) = &rows[0].fields[0];
        assert!(!json.contains(&format!("[{name:?},{value:?}]")), "{json}");
        assert_eq!(full_rows(back, &fields), rows);

        let wire = encode(&FromWorker::Done {
            job: 3,
            summary: Box::new(summary.clone()),
        })
        .expect("encodes");
        let Ok(FromWorker::Done { summary: back, .. }) = decode::<FromWorker>(&wire) else {
            panic!("done message did not decode");
        };
        assert_eq!(*back, summary);
    }

    #[test]
    fn bad_frames_and_bad_ranges_are_errors_not_panics() {
        let (_, rows) = scan_all(sample_csv(), 0, None);
        let wire = frame(&rows_message(1, &rows), "sample.csv");
        // Cut inside the length or the JSON: an error. Cut inside the block:
        // the rows arrive, and the missing fields are an error when asked for.
        let json_end = 4 + u32::from_le_bytes([wire[0], wire[1], wire[2], wire[3]]) as usize;
        for cut in [0, 3, 4, 10, json_end / 2, json_end - 1] {
            assert!(unframe(&wire[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = wire.clone();
        long[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(unframe(&long).unwrap_err().contains("would end at byte"));
        let Ok(FromWorker::Rows {
            rows: back, fields, ..
        }) = unframe(&wire[..wire.len() - 10])
        else {
            panic!("the JSON part is whole");
        };
        let last = back.last().map(|r| r.fields).unwrap_or_default();
        assert!(fields.parse(last).unwrap_err().contains("not in its batch"));
        assert_eq!(fields.parse(back[0].fields), Ok(rows[0].fields.clone()));
        let short = FieldBlock::Bytes(b"[[\"a\",\"b\"]]".to_vec());
        assert_eq!(short.parse((0, 11)), Ok(vec![("a".into(), "b".into())]));
        assert!(short
            .parse((0, 12))
            .unwrap_err()
            .contains("not in its batch"));
        assert!(short.parse((u64::MAX, 2)).is_err());
        assert!(short
            .parse((1, 5))
            .unwrap_err()
            .contains("could not be read"));
        assert!(!back.is_empty());
    }

    #[test]
    fn summary_with_error_and_skips_survives_the_wire() {
        // A header without FileName cannot be analysed: the core reports an
        // error (or skips) with a position; either way it must round-trip.
        let (summary, _) = scan_all(b"a,b\n1,2\n\"unterminated\n", 0, None);
        assert!(
            summary.error.is_some() || summary.skipped > 0,
            "{summary:?}"
        );
        let back: FileSummary =
            decode::<FileSummary>(&encode(&summary).expect("encodes")).expect("decodes");
        assert_eq!(back, summary);
    }

    #[test]
    fn to_worker_round_trips_and_bad_json_is_an_error() {
        let m = ToWorker::Scan {
            job: 1,
            file: 2,
            name: "a \"quoted\" name.csv".into(),
            format: Some("csv".into()),
            chunk_bytes: CHUNK_BYTES,
            rules: ScanRules {
                hardened: true,
                lists: Some((vec!["reg add".into()], vec!["winword.exe".into()])),
            },
            validate: true,
            range: Some(ScanRange {
                start: 100,
                end: 200,
                header_end: 10,
                bom: 3,
                kind: RangeKind::Json,
            }),
        };
        assert_eq!(decode::<ToWorker>(&encode(&m).expect("encodes")), Ok(m));
        // A start message without rules (an older page) is parity.
        let old = r#"{"type":"Scan","job":1,"file":0,"name":"a","format":null,"chunk_bytes":1}"#;
        assert!(matches!(
            decode::<ToWorker>(old),
            Ok(ToWorker::Scan { rules, .. }) if rules == ScanRules::default()
        ));
        let err = decode::<ToWorker>("{\"type\":\"Nope\"}").unwrap_err();
        assert!(err.starts_with("bad worker message"), "{err}");
    }

    /// A value serde cannot encode (as a map with a non-string key would be).
    struct Unencodable;

    impl Serialize for Unencodable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("refused on purpose"))
        }
    }

    #[test]
    fn a_message_that_cannot_be_encoded_is_an_error_naming_the_file() {
        // Before: encode gave "" and the page got an empty message.
        let err = encode(&Unencodable).unwrap_err();
        assert!(err.contains("refused on purpose"), "{err}");
        let back = unframe(&failure_frame(4, "big.csv: refused on purpose")).expect("frame");
        assert_eq!(
            back,
            FromWorker::Panicked {
                job: 4,
                message: "big.csv: refused on purpose".into()
            }
        );
    }

    #[test]
    fn kinds_formats_and_detections_travel_as_their_stable_names() {
        use cmdhunt_core::format::{DecodeErrorKind, Format};
        use cmdhunt_core::hardened::Detection;
        for kind in DecodeErrorKind::ALL {
            let wire = encode(&kind).expect("encodes");
            assert_eq!(wire, format!("\"{}\"", kind.name()));
            assert_eq!(decode::<DecodeErrorKind>(&wire), Ok(kind));
        }
        for format in Format::ALL {
            let wire = encode(&format).expect("encodes");
            assert_eq!(wire, format!("\"{}\"", format.name()));
            assert_eq!(decode::<Format>(&wire), Ok(format));
        }
        for detection in [Detection::Parity, Detection::Hardened] {
            let wire = encode(&detection).expect("encodes");
            assert_eq!(wire, format!("\"{}\"", detection.name()));
        }
        assert!(decode::<DecodeErrorKind>("\"CsvQuote\"").is_err());
    }

    #[test]
    fn a_malformed_start_message_names_its_job_and_file() {
        // Before: the worker panicked on it, and the page never learnt which file failed.
        let (job, message) =
            start_request(r#"{"type":"Scan","job":7,"name":"dpe.csv","file":"x"}"#).unwrap_err();
        assert_eq!(job, 7);
        assert!(
            message.starts_with("dpe.csv: the scan could not start: bad worker message"),
            "{message}"
        );
        let (job, message) = start_request("not json").unwrap_err();
        assert_eq!(job, 0);
        assert!(message.starts_with("an unnamed file: "), "{message}");
        let good = ToWorker::Scan {
            job: 1,
            file: 0,
            name: "a.csv".into(),
            format: None,
            chunk_bytes: 1,
            rules: ScanRules::default(),
            validate: false,
            range: None,
        };
        assert_eq!(start_request(&encode(&good).expect("encodes")), Ok(good));
    }
}
