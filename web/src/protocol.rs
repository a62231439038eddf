//! The worker protocol: one message enum each way, carried as JSON (a string
//! to the worker; UTF-8 bytes in a transferred `ArrayBuffer` back).
//!
//! The page starts one Web Worker per file (run). It posts a single JS object
//! `{ module, msg, file }`: the page's compiled `WebAssembly.Module` (the
//! worker instantiates the same module, nothing is fetched), `msg` =
//! [`ToWorker`] as JSON, and the `File` itself (a handle, not its bytes). The
//! worker reads the file in [`CHUNK_BYTES`] slices and answers with
//! [`FromWorker`] messages, JSON as UTF-8 bytes ([`decode_bytes`]): the page
//! copies them into wasm memory in one `memcpy` rather than re-encoding a
//! big UTF-16 string character by character:
//!
//! ```text
//! page                                   worker
//!  | -- {module, Scan{job,..}, file} -->  |  instantiate module, read slice 1..n
//!  | <------------ Progress ------------- |  after every slice
//!  | <-------------- Rows --------------- |  batched: every 200 ms or 500 rows
//!  | <-------------- Done --------------- |  summary (error inside when the file broke)
//!  | <------------ Panicked ------------- |  only if the decoder panicked
//! ```
//!
//! Cancelling is `Worker.terminate()`; a job number tells stale messages
//! apart when a file is re-run with another format.
//!
//! Core types have no serde derives (the core stays dependency-light), so
//! rows and summaries travel as the DTOs below, converted losslessly.
//!
//! Keeping the page responsive: a row's original fields (dozens of name/value
//! pairs, most of a row's bytes) travel as [`RawFields`], JSON the page does
//! not parse when the rows arrive: decoding a `Rows` message only checks that
//! part and copies it as one string. The page parses it when the detail panel
//! of that row opens. [`FromWorker`] is externally tagged (`{"Rows":{..}}`)
//! so serde decodes it in one pass, without first buffering the whole message
//! as an internally tagged enum would (which also cannot carry raw JSON).

use std::collections::BTreeMap;

use cmdhunt_core::event::{Position, ProcessEvent, Skip};
use cmdhunt_core::format::{DecodeError, Format};
use cmdhunt_core::matcher::{Flags, Verdict};
use cmdhunt_core::scan::{FileSummary, FlaggedRow};
use cmdhunt_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// How many bytes the worker reads per `File.slice` (1 MiB).
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
        /// Bytes per slice.
        chunk_bytes: u32,
    },
}

/// Worker → page (externally tagged: `{"Progress":{..}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FromWorker {
    /// After each slice: how far the scan is.
    Progress {
        /// The run.
        job: u32,
        /// Bytes read so far.
        bytes: u64,
        /// Records read so far.
        records: u64,
        /// Rows flagged so far.
        flagged: u64,
        /// The format, once recognised ([`Format::name`]).
        format: Option<String>,
        /// Newest process-creation time so far (ticks).
        newest: Option<i64>,
    },
    /// Flagged rows, in file order.
    Rows {
        /// The run.
        job: u32,
        /// The rows.
        rows: Vec<RowDto>,
    },
    /// The file is finished (or stopped on an error, named in the summary).
    Done {
        /// The run.
        job: u32,
        /// Every count, skip and error.
        summary: Box<SummaryDto>,
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
    /// The run a message belongs to.
    pub fn job(&self) -> u32 {
        match self {
            FromWorker::Progress { job, .. }
            | FromWorker::Rows { job, .. }
            | FromWorker::Done { job, .. }
            | FromWorker::Panicked { job, .. } => *job,
        }
    }
}

/// [`Position`] on the wire: `(byte, line, record)`.
pub type PositionDto = (u64, u64, u64);

fn pos_to(p: &Position) -> PositionDto {
    (p.byte, p.line, p.record)
}

fn pos_from((byte, line, record): PositionDto) -> Position {
    Position { byte, line, record }
}

/// A [`FlaggedRow`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowDto {
    /// `Timestamp` in ticks.
    pub ts: Option<i64>,
    /// `DeviceName`, `AccountName`, `FileName`, `ProcessCommandLine`,
    /// `InitiatingProcessFileName`, `InitiatingProcessCommandLine`.
    pub text: [String; 6],
    /// Parent inferred from an earlier event.
    pub parent_inferred: bool,
    /// Matched pattern bits.
    pub patterns: u32,
    /// Matched parent bits.
    pub parents: u32,
    /// The five flags.
    pub flags: [bool; 5],
    /// File index.
    pub file: u32,
    /// Position in the file.
    pub pos: PositionDto,
    /// Every original field, unparsed until the detail panel needs it.
    pub fields: RawFields,
}

/// Every original field of a record as the JSON array of `[name, value]`
/// pairs it travels as, kept unparsed: the page copies it as one string when
/// the rows arrive and parses it with [`RawFields::parse`] only for the
/// detail panel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawFields(Box<RawValue>);

impl RawFields {
    /// Encode fields (a JSON array of `[name, value]` pairs).
    pub fn encode(fields: &[(String, String)]) -> Self {
        // Serialising strings cannot fail; `null` would parse as an error.
        RawFields(
            serde_json::value::to_raw_value(fields).unwrap_or_else(|_| RawValue::NULL.to_owned()),
        )
    }

    /// Parse the fields; the error says what was wrong with them.
    pub fn parse(&self) -> Result<Vec<(String, String)>, String> {
        serde_json::from_str(self.0.get())
            .map_err(|e| format!("the record's fields could not be read: {e}"))
    }

    /// The JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl Default for RawFields {
    /// No fields (`[]`).
    fn default() -> Self {
        RawFields::encode(&[])
    }
}

impl PartialEq for RawFields {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Eq for RawFields {}

impl RowDto {
    /// The row without its fields (left empty), and the fields unparsed: what
    /// the page keeps when rows arrive.
    pub fn into_row_and_fields(mut self) -> (FlaggedRow, RawFields) {
        let fields = std::mem::take(&mut self.fields);
        (self.into_row(Vec::new()), fields)
    }

    fn into_row(self, fields: Vec<(String, String)>) -> FlaggedRow {
        let [device_name, account_name, file_name, process_command_line, initiating_process_file_name, initiating_process_command_line] =
            self.text;
        FlaggedRow {
            event: ProcessEvent {
                timestamp: self.ts.map(Timestamp),
                device_name,
                account_name,
                file_name,
                process_command_line,
                initiating_process_file_name,
                initiating_process_command_line,
                parent_inferred: self.parent_inferred,
            },
            verdict: Verdict {
                patterns: self.patterns,
                parents: self.parents,
                flags: Flags(self.flags),
            },
            file: self.file,
            position: pos_from(self.pos),
            fields,
        }
    }
}

impl From<&FlaggedRow> for RowDto {
    fn from(r: &FlaggedRow) -> Self {
        let e = &r.event;
        RowDto {
            ts: e.timestamp.map(|t| t.0),
            text: [
                e.device_name.clone(),
                e.account_name.clone(),
                e.file_name.clone(),
                e.process_command_line.clone(),
                e.initiating_process_file_name.clone(),
                e.initiating_process_command_line.clone(),
            ],
            parent_inferred: e.parent_inferred,
            patterns: r.verdict.patterns,
            parents: r.verdict.parents,
            flags: r.verdict.flags.0,
            file: r.file,
            pos: pos_to(&r.position),
            fields: RawFields::encode(&r.fields),
        }
    }
}

impl From<RowDto> for FlaggedRow {
    /// The whole row, fields parsed (unreadable fields become none; the page
    /// uses [`RowDto::into_row_and_fields`] instead).
    fn from(d: RowDto) -> Self {
        let fields = d.fields.parse().unwrap_or_default();
        d.into_row(fields)
    }
}

/// A [`FileSummary`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryDto {
    /// File name.
    pub name: String,
    /// Format name.
    pub format: Option<String>,
    /// Bytes read.
    pub bytes: u64,
    /// Records read.
    pub records: u64,
    /// Process creations.
    pub process_creations: u64,
    /// Other events by label.
    pub other_events: BTreeMap<String, u64>,
    /// cmd.exe records.
    pub shell: u64,
    /// Flagged rows.
    pub flagged: u64,
    /// Per-flag counts.
    pub flag_counts: [u64; 5],
    /// Skipped records.
    pub skipped: u64,
    /// Kept skips.
    pub skips: Vec<(PositionDto, String)>,
    /// Unreadable times.
    pub bad_timestamps: u64,
    /// First unreadable time.
    pub first_bad_timestamp: Option<(PositionDto, String)>,
    /// Newest time (ticks).
    pub newest: Option<i64>,
    /// Oldest time (ticks).
    pub oldest: Option<i64>,
    /// The error that stopped decoding.
    pub error: Option<(PositionDto, String)>,
}

impl From<&FileSummary> for SummaryDto {
    fn from(s: &FileSummary) -> Self {
        SummaryDto {
            name: s.name.clone(),
            format: s.format.map(|f| f.name().to_owned()),
            bytes: s.bytes,
            records: s.records,
            process_creations: s.process_creations,
            other_events: s.other_events.clone().into_iter().collect(),
            shell: s.shell,
            flagged: s.flagged,
            flag_counts: s.flag_counts,
            skipped: s.skipped,
            skips: s
                .skips
                .iter()
                .map(|k| (pos_to(&k.position), k.reason.clone()))
                .collect(),
            bad_timestamps: s.bad_timestamps,
            first_bad_timestamp: s
                .first_bad_timestamp
                .as_ref()
                .map(|(p, t)| (pos_to(p), t.clone())),
            newest: s.newest.map(|t| t.0),
            oldest: s.oldest.map(|t| t.0),
            error: s
                .error
                .as_ref()
                .map(|e| (pos_to(&e.position), e.message.clone())),
        }
    }
}

impl From<SummaryDto> for FileSummary {
    fn from(d: SummaryDto) -> Self {
        FileSummary {
            name: d.name,
            format: d.format.as_deref().and_then(Format::from_name),
            bytes: d.bytes,
            records: d.records,
            process_creations: d.process_creations,
            other_events: d.other_events.into_iter().collect(),
            shell: d.shell,
            flagged: d.flagged,
            flag_counts: d.flag_counts,
            skipped: d.skipped,
            skips: d
                .skips
                .into_iter()
                .map(|(p, reason)| Skip {
                    position: pos_from(p),
                    reason,
                })
                .collect(),
            bad_timestamps: d.bad_timestamps,
            first_bad_timestamp: d.first_bad_timestamp.map(|(p, t)| (pos_from(p), t)),
            newest: d.newest.map(Timestamp),
            oldest: d.oldest.map(Timestamp),
            error: d.error.map(|(p, message)| DecodeError {
                position: pos_from(p),
                message,
            }),
        }
    }
}

/// Encode a message as the JSON string that crosses the worker boundary.
pub fn encode<T: Serialize>(message: &T) -> String {
    // Serialising these plain structs cannot fail (string keys, no floats).
    serde_json::to_string(message).unwrap_or_default()
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
        assert!(!rows.is_empty());
        let wire = encode(&FromWorker::Rows {
            job: 3,
            rows: rows.iter().map(RowDto::from).collect(),
        });
        assert_eq!(
            decode_bytes::<FromWorker>(wire.as_bytes()),
            decode::<FromWorker>(&wire),
            "bytes and string decode alike"
        );
        assert!(decode_bytes::<FromWorker>(&wire.as_bytes()[..wire.len() / 2]).is_err());
        let Ok(FromWorker::Rows { job, rows: back }) = decode::<FromWorker>(&wire) else {
            panic!("rows message did not decode: {wire}");
        };
        assert_eq!(job, 3);
        let back: Vec<FlaggedRow> = back.into_iter().map(FlaggedRow::from).collect();
        assert_eq!(back, rows);

        let wire = encode(&FromWorker::Done {
            job: 3,
            summary: Box::new(SummaryDto::from(&summary)),
        });
        let Ok(FromWorker::Done { summary: back, .. }) = decode::<FromWorker>(&wire) else {
            panic!("done message did not decode");
        };
        assert_eq!(FileSummary::from(*back), summary);
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
        let back: FileSummary = decode::<SummaryDto>(&encode(&SummaryDto::from(&summary)))
            .expect("decodes")
            .into();
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
        };
        assert_eq!(decode::<ToWorker>(&encode(&m)), Ok(m));
        let err = decode::<ToWorker>("{\"type\":\"Nope\"}").unwrap_err();
        assert!(err.starts_with("bad worker message"), "{err}");
    }
}
