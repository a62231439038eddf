//! The streaming scanner: bytes of one file in, flagged rows and an honest
//! account of every record out.
//!
//! [`FileScan`] recognises the format ([`crate::format::sniff`]) from the first
//! bytes unless told, feeds every chunk to the format's decoder, and runs the
//! [`CompiledRule`] on each record as it completes. Memory holds the flagged
//! rows and one record, whatever the file's size.
//!
//! The time window is *not* applied here: it needs the newest event of all
//! files, so it is applied afterwards by [`crate::results`], which lets the
//! page change the window without reading files again.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::event::{Position, ProcessEvent, ProcessIds, Record, RecordClass, RecordSink, Skip};
use crate::format::{sniff_or_error, DecodeError, Decoder, Format, SNIFF_BYTES};
use crate::hardened::{self, Detection, HardenedHit, HardenedRules};
use crate::histogram::TimeHistogram;
use crate::matcher::{CompiledRule, Verdict};
use crate::time::Timestamp;

/// How many skips a summary keeps in detail (all are counted).
pub const MAX_SKIPS_KEPT: usize = 1000;

/// One row the rule returns (before the time window).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FlaggedRow {
    /// The projected event.
    pub event: ProcessEvent,
    /// Which patterns and parents matched, and the flags (all empty for a
    /// hardened child row: the KQL never evaluates a process that is not `cmd.exe`).
    pub verdict: Verdict,
    /// [`Detection::Parity`] when the Sentinel rule returns the row (always,
    /// unless the scan runs [`hardened`](FileScan::hardened) rules);
    /// [`Detection::Hardened`] when only the hardened rules flag it.
    pub detection: Detection,
    /// The hardened rules the row fires and the evasions undone (empty
    /// unless the scan runs hardened rules; a parity row lists them too).
    pub hardened: HardenedHit,
    /// Index of the file among those scanned together.
    pub file: u32,
    /// Where the record is in that file.
    pub position: Position,
    /// Every original field of the record, in source order (empty when the
    /// scan ran [`without_fields`](FileScan::without_fields)).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub fields: Vec<(String, String)>,
}

/// What happened to one file: every record is counted exactly once, as a
/// process creation, another event, or a skip (`records == process_creations
/// + other_events + skipped`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FileSummary {
    /// The file's name as the user gave it.
    pub name: String,
    /// The format decoded (detected or forced), once known.
    pub format: Option<Format>,
    /// Bytes read.
    pub bytes: u64,
    /// Records read (analysed + skipped).
    pub records: u64,
    /// Records that are process creations (what the rule runs on).
    pub process_creations: u64,
    /// Other events, counted by label (`ActionType FileCreated`: 12).
    pub other_events: BTreeMap<String, u64>,
    /// Process creations whose `FileName` is `cmd.exe`.
    pub shell: u64,
    /// Their times, binned ([`TimeHistogram`]: bounded memory), for the page's timeline.
    pub shell_times: TimeHistogram,
    /// Rows the rule returns for this file before the time window.
    pub flagged: u64,
    /// Per flag (rule order), how many flagged rows have it.
    pub flag_counts: [u64; 5],
    /// Records skipped.
    pub skipped: u64,
    /// The first [`MAX_SKIPS_KEPT`] skips, with positions and reasons.
    pub skips: Vec<Skip>,
    /// Process creations whose time field held unreadable text (their
    /// `Timestamp` is null, so no time window includes them).
    pub bad_timestamps: u64,
    /// The first unreadable time text seen, with its position.
    pub first_bad_timestamp: Option<(Position, String)>,
    /// Newest and oldest process-creation time in the file.
    pub newest: Option<Timestamp>,
    /// Oldest process-creation time in the file.
    pub oldest: Option<Timestamp>,
    /// A failure that stopped decoding (the records before it still count).
    pub error: Option<DecodeError>,
}

impl FileSummary {
    /// Records that were analysed (not skipped).
    pub fn analysed(&self) -> u64 {
        self.process_creations + self.other_events.values().sum::<u64>()
    }
}

/// The rule applied to records as a decoder delivers them.
struct Analyzer<'r> {
    rule: &'r CompiledRule,
    file: u32,
    summary: FileSummary,
    rows: Vec<FlaggedRow>,
    /// (computer, process id) → image basename, for 4688 parent inference.
    processes: BTreeMap<(String, u64), String>,
    /// Parent inferences that found no earlier process ([`FileScan::parents_not_found`]).
    parents_not_found: u64,
    /// Whether flagged rows carry every original field ([`FlaggedRow::fields`]).
    keep_fields: bool,
    /// The hardened rules, in hardened mode.
    hardened: Option<&'r HardenedRules>,
    /// A CSV or XLSX file (one header for every record) without an
    /// `OriginalFileName` column: no record's fields need reading for it.
    no_original_column: bool,
}

impl Analyzer<'_> {
    /// Hardened mode, a process creation that is not `cmd.exe`: a child of
    /// `cmd.exe` running a watched tool, or a renamed `cmd.exe`.
    fn hardened_other(&mut self, h: &HardenedRules, record: &dyn Record, ids: Option<ProcessIds>) {
        if ids.is_none() {
            // Most records stop here, on the two columns the CSV reads cheaply.
            if let Some((command_line, parent)) = record.rule_inputs() {
                let renamed_shell_possible =
                    !self.no_original_column && has_shell_switch(&command_line);
                let from_shell = self.rule.is_shell(&parent);
                if !from_shell && !renamed_shell_possible {
                    return;
                }
                // A child of cmd.exe no rule watches, and no column to say it
                // is a renamed copy: decided on its name alone.
                let image = hardened::normalise::tool_name(&record.file_name());
                if from_shell && self.no_original_column && !h.watches(&image) {
                    return;
                }
            }
        }
        let mut event = record.event();
        if let Some(ids) = ids {
            self.infer_parent(&ids, &mut event);
            self.remember(ids);
        }
        let from_shell = self.rule.is_shell(&event.initiating_process_file_name);
        let watched = h.watches(&hardened::normalise::tool_name(&event.file_name));
        if !from_shell
            && (self.no_original_column || !has_shell_switch(&event.process_command_line))
        {
            return;
        }
        // Reading every field is costly: only for images that may be renamed,
        // and never again in a one-header file that has no such column.
        let original = if watched || self.no_original_column {
            None
        } else {
            let found = hardened::original_file_name(record);
            let one_header = matches!(self.summary.format, Some(Format::Csv) | Some(Format::Xlsx));
            self.no_original_column = found.is_none() && one_header;
            found.flatten()
        };
        let renamed_shell = original
            .as_deref()
            .is_some_and(|o| hardened::normalise::tool_name(o) == "cmd");
        if !from_shell && !renamed_shell {
            return;
        }
        let hit = h.child(
            &event.file_name,
            original.as_deref(),
            &event.process_command_line,
        );
        if !hit.fired() {
            return;
        }
        self.push_row(record, event, Verdict::default(), Detection::Hardened, hit);
    }

    /// Keep a flagged row of `record` (with every original field when the
    /// scan keeps them).
    fn push_row(
        &mut self,
        record: &dyn Record,
        event: ProcessEvent,
        verdict: Verdict,
        detection: Detection,
        hardened: HardenedHit,
    ) {
        self.rows.push(FlaggedRow {
            event,
            verdict,
            detection,
            hardened,
            file: self.file,
            position: record.position(),
            fields: if self.keep_fields {
                record.fields()
            } else {
                Vec::new()
            },
        });
    }

    fn remember(&mut self, ids: ProcessIds) {
        let key = (ids.computer.to_lowercase(), ids.new_process_id);
        self.processes.insert(key, ids.new_process_file_name);
    }

    /// A 4688 event without `ParentProcessName` (older Windows) gets its parent
    /// from an earlier event that created the parent's process id on the same computer.
    fn infer_parent(&mut self, ids: &ProcessIds, event: &mut ProcessEvent) {
        if ids.has_parent_name || !event.initiating_process_file_name.is_empty() {
            return;
        }
        let key = (ids.computer.to_lowercase(), ids.parent_process_id);
        if let Some(parent) = self.processes.get(&key) {
            event.initiating_process_file_name = parent.clone();
            event.parent_inferred = true;
        } else {
            self.parents_not_found += 1;
        }
    }
}

impl RecordSink for Analyzer<'_> {
    fn record(&mut self, record: &dyn Record) {
        let s = &mut self.summary;
        s.records += 1;
        if let RecordClass::Other(label) = record.class() {
            *s.other_events.entry(label).or_insert(0) += 1;
            return;
        }
        s.process_creations += 1;
        let timestamp = match record.timestamp() {
            Ok(t) => t,
            Err(text) => {
                s.bad_timestamps += 1;
                if s.first_bad_timestamp.is_none() {
                    s.first_bad_timestamp = Some((record.position(), text));
                }
                None
            }
        };
        if let Some(t) = timestamp {
            s.newest = Some(s.newest.map_or(t, |n| n.max(t)));
            s.oldest = Some(s.oldest.map_or(t, |o| o.min(t)));
        }
        let is_shell = self.rule.is_shell(&record.file_name());
        let ids = record.process_ids();
        let hardened_rules = self.hardened;
        if !is_shell {
            if let Some(h) = hardened_rules {
                self.hardened_other(h, record, ids);
                return;
            }
            if let Some(ids) = ids {
                self.remember(ids);
            }
            return;
        }
        if ids.is_none() {
            // Most shell events are not flagged: decide on the two columns
            // before building the whole event.
            if let Some((command_line, parent)) = record.rule_inputs() {
                if !self.rule.verdict(&command_line, &parent).is_flagged()
                    && hardened_rules.is_none_or(|h| !h.shell(&command_line).fired())
                {
                    self.summary.shell += 1;
                    self.summary.shell_times.add(timestamp);
                    return;
                }
            }
        }
        let mut event = record.event();
        if let Some(ids) = ids {
            self.infer_parent(&ids, &mut event);
            self.remember(ids);
        }
        let s = &mut self.summary;
        s.shell += 1;
        s.shell_times.add(timestamp);
        let verdict = self.rule.verdict(
            &event.process_command_line,
            &event.initiating_process_file_name,
        );
        let hit = match hardened_rules {
            Some(h) => h.shell(&event.process_command_line),
            None => HardenedHit::default(),
        };
        if !verdict.is_flagged() && !hit.fired() {
            return;
        }
        let detection = if verdict.is_flagged() {
            s.flagged += 1;
            for (count, on) in s.flag_counts.iter_mut().zip(verdict.flags.0) {
                *count += u64::from(on);
            }
            Detection::Parity
        } else {
            Detection::Hardened
        };
        self.push_row(record, event, verdict, detection, hit);
    }

    fn skip(&mut self, skip: Skip) {
        let s = &mut self.summary;
        s.records += 1;
        s.skipped += 1;
        if s.skips.len() < MAX_SKIPS_KEPT {
            s.skips.push(skip);
        }
    }
}

/// Whether a command line carries a `cmd` run switch (`/c`, `/k`, `/r`,
/// any case): the cheap test before looking for a renamed `cmd.exe`.
fn has_shell_switch(command_line: &str) -> bool {
    let b = command_line.as_bytes();
    memchr::memchr_iter(b'/', b).any(|i| {
        matches!(b.get(i + 1), Some(b'c' | b'C' | b'k' | b'K' | b'r' | b'R'))
            && matches!(b.get(i + 2), None | Some(b' ' | b'"' | b'\t'))
    })
}

/// Scans one file, chunk by chunk.
///
/// ```
/// use cmdhunt_core::{matcher::CompiledRule, scan::FileScan};
/// let rule = CompiledRule::new();
/// let csv = "Timestamp,DeviceName,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
///            2024-01-01T00:00:00Z,pc1,cmd.exe,cmd /c reg add HKCU\\x,explorer.exe\n";
/// let mut scan = FileScan::new(&rule, 0, "x.csv", None);
/// for chunk in csv.as_bytes().chunks(7) {
///     scan.push(chunk);
/// }
/// let (summary, rows) = scan.finish();
/// assert_eq!((summary.records, summary.flagged), (1, 1));
/// assert_eq!(rows[0].event.device_name, "pc1");
/// ```
pub struct FileScan<'r> {
    analyzer: Analyzer<'r>,
    decoder: Option<Box<dyn Decoder>>,
    /// First bytes held until the format is recognised.
    head: Vec<u8>,
    failed: bool,
}

impl<'r> FileScan<'r> {
    /// Start scanning file number `file` called `name`; `format` forces a
    /// decoder, `None` recognises it from the content.
    pub fn new(rule: &'r CompiledRule, file: u32, name: &str, format: Option<Format>) -> Self {
        let summary = FileSummary {
            name: name.to_owned(),
            format,
            ..FileSummary::default()
        };
        FileScan {
            analyzer: Analyzer {
                rule,
                file,
                summary,
                rows: Vec::new(),
                processes: BTreeMap::new(),
                parents_not_found: 0,
                keep_fields: true,
                hardened: None,
                no_original_column: false,
            },
            decoder: format.map(Format::decoder),
            head: Vec::new(),
            failed: false,
        }
    }

    /// Do not keep each flagged row's original fields ([`FlaggedRow::fields`]
    /// stays empty): for callers that only show the projected columns, such as
    /// the CLI. Splitting and copying every field of a flagged row was ~8% of
    /// a CSV scan's time. Call before the first [`push`](Self::push).
    pub fn without_fields(mut self) -> Self {
        self.analyzer.keep_fields = false;
        self
    }

    /// Also run the hardened rules (hardened mode, [`crate::hardened`]):
    /// rows only they flag are added, labelled [`Detection::Hardened`]; parity
    /// rows and every count of the summary stay as they are. Call before the
    /// first [`push`](Self::push).
    pub fn hardened(mut self, rules: &'r HardenedRules) -> Self {
        self.analyzer.hardened = Some(rules);
        self
    }

    /// Security 4688 process creations without `ParentProcessName` whose
    /// parent was looked up among the earlier records of this scan and not
    /// found. A scan that starts inside a file ([`crate::split`]) gives the
    /// whole file's result only when this is 0: such a lookup could have
    /// found the parent before the scan's start.
    pub fn parents_not_found(&self) -> u64 {
        self.analyzer.parents_not_found
    }

    /// The summary so far (for progress displays).
    pub fn summary(&self) -> &FileSummary {
        &self.analyzer.summary
    }

    /// Whether decoding has stopped on an error (further input is ignored).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Rows flagged since the last call (for streaming them to a display).
    pub fn take_rows(&mut self) -> Vec<FlaggedRow> {
        core::mem::take(&mut self.analyzer.rows)
    }

    /// Feed the next bytes of the file.
    pub fn push(&mut self, chunk: &[u8]) {
        self.analyzer.summary.bytes += chunk.len() as u64;
        if self.failed {
            return;
        }
        if self.decoder.is_none() {
            self.head.extend_from_slice(chunk);
            if self.head.len() >= SNIFF_BYTES {
                self.start_decoder();
            }
            return;
        }
        self.run(|d, sink| d.push(chunk, sink));
    }

    /// Feed `bytes` zero bytes: the same result as [`push`](Self::push)ing
    /// them, in O(1) where the decoder can pass over them unread
    /// ([`Decoder::skip_zeros`]; an EVTX decoder at a chunk boundary), else
    /// pushed 64 KiB at a time.
    pub fn push_zeros(&mut self, bytes: u64) {
        let skipped = match self.decoder.as_deref_mut() {
            _ if self.failed => true,
            Some(decoder) => decoder.skip_zeros(bytes),
            None => false,
        };
        if skipped {
            self.analyzer.summary.bytes += bytes;
            return;
        }
        static ZEROS: [u8; 1 << 16] = [0; 1 << 16];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(ZEROS.len() as u64);
            self.push(&ZEROS[..n as usize]);
            left -= n;
        }
    }

    /// End of file: flush, and return the summary and the remaining rows.
    pub fn finish(mut self) -> (FileSummary, Vec<FlaggedRow>) {
        if self.decoder.is_none() && !self.failed {
            self.start_decoder();
        }
        if !self.failed {
            self.run(|d, sink| d.finish(sink));
        }
        (self.analyzer.summary, self.analyzer.rows)
    }

    /// Stop without reading further (the file could not be opened or read):
    /// the summary carries `error`, the rows found so far are kept.
    pub fn abandon(mut self, error: DecodeError) -> (FileSummary, Vec<FlaggedRow>) {
        self.fail(error);
        (self.analyzer.summary, self.analyzer.rows)
    }

    fn start_decoder(&mut self) {
        let head = core::mem::take(&mut self.head);
        match sniff_or_error(&head) {
            Ok(format) => {
                self.analyzer.summary.format = Some(format);
                self.decoder = Some(format.decoder());
                self.run(|d, sink| d.push(&head, sink));
            }
            Err(error) => self.fail(error),
        }
    }

    fn run(
        &mut self,
        step: impl FnOnce(&mut dyn Decoder, &mut dyn RecordSink) -> Result<(), DecodeError>,
    ) {
        let Some(decoder) = self.decoder.as_deref_mut() else {
            return;
        };
        if let Err(e) = step(decoder, &mut self.analyzer) {
            self.fail(e);
        }
    }

    fn fail(&mut self, error: DecodeError) {
        self.failed = true;
        self.analyzer.summary.error = Some(error);
    }
}
