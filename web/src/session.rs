//! The worker's side of one scan, free of browser APIs so it tests natively:
//! chunks in, [`FromWorker`] messages out.
//!
//! The browser shell ([`crate::worker`]) only feeds the file's chunks and posts
//! what this returns.

use cmdhunt_core::event::Position;
use cmdhunt_core::format::{DecodeError, DecodeErrorKind, Format};
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};
use cmdhunt_core::split::evtx::EvtxRangeScan;
use cmdhunt_core::split::json::{JsonPlan, JsonRangeScan};
use cmdhunt_core::split::{Plan, RangeScan};
use cmdhunt_core::validation::FileValidation;

use crate::protocol::{rows_message, FromWorker, RangeKind, ScanRange};

/// Rows are sent when this many are waiting, and no message carries more
/// (a slice can complete hundreds of rows: they go as several messages, so
/// the page can spread their decoding over its flushes)...
pub const ROWS_PER_BATCH: usize = 250;
/// ...except the file's first message of rows, which carries at most this
/// many: the page's first render of the table (new DOM rows) comes with
/// little decoding.
pub const FIRST_BATCH_ROWS: usize = 50;
/// Progress (the file's account so far) is reported at most this often,
/// the waiting rows always just before it, and after every batch of rows.
pub const PROGRESS_INTERVAL_MS: f64 = 100.0;

/// What a session scans: the whole file, or one byte range of it (a big
/// CSV split across workers, [`cmdhunt_core::split`]).
enum Scanner<'r> {
    Whole(FileScan<'r>),
    Range(RangeScan<'r>),
    Evtx(EvtxRangeScan<'r>),
    Json(JsonRangeScan<'r>),
}

impl<'r> Scanner<'r> {
    fn push(&mut self, chunk: &[u8]) {
        match self {
            Scanner::Whole(s) => s.push(chunk),
            Scanner::Range(s) => s.push(chunk),
            Scanner::Evtx(s) => s.push(chunk),
            Scanner::Json(s) => s.push(chunk),
        }
    }

    fn summary(&self) -> &FileSummary {
        match self {
            Scanner::Whole(s) => s.summary(),
            Scanner::Range(s) => s.summary(),
            Scanner::Evtx(s) => s.summary(),
            Scanner::Json(s) => s.summary(),
        }
    }

    fn take_rows(&mut self) -> Vec<FlaggedRow> {
        match self {
            Scanner::Whole(s) => s.take_rows(),
            Scanner::Range(s) => s.take_rows(),
            Scanner::Evtx(s) => s.take_rows(),
            Scanner::Json(s) => s.take_rows(),
        }
    }

    fn finish(self) -> (FileSummary, Vec<FlaggedRow>) {
        match self {
            Scanner::Whole(s) => s.finish(),
            Scanner::Range(s) => {
                let part = s.finish();
                (part.summary, part.rows)
            }
            Scanner::Evtx(s) => {
                let part = s.finish();
                (part.summary, part.rows)
            }
            Scanner::Json(s) => {
                let part = s.finish();
                (part.summary, part.rows)
            }
        }
    }
}

/// One file (or one byte range of it) being scanned in a worker.
pub struct ScanSession<'r> {
    job: u32,
    scan: Scanner<'r>,
    pending: Vec<FlaggedRow>,
    rows_sent: bool,
    last_progress_ms: f64,
    validation: Option<FileValidation<'r>>,
}

impl<'r> ScanSession<'r> {
    /// Start run `job` of file number `file`; `format` is a forced format
    /// name, `None` to recognise it. An unknown format name is an error.
    pub fn new(
        rule: &'r CompiledRule,
        job: u32,
        file: u32,
        name: &str,
        format: Option<&str>,
    ) -> Result<Self, String> {
        let forced = match format {
            None => None,
            Some(n) => Some(Format::from_name(n).ok_or_else(|| format!("unknown format {n:?}"))?),
        };
        Ok(ScanSession {
            job,
            scan: Scanner::Whole(FileScan::new(rule, file, name, forced)),
            pending: Vec::new(),
            rows_sent: false,
            last_progress_ms: f64::NEG_INFINITY,
            validation: None,
        })
    }

    /// Feed every chunk to `validation` too ([`crate::validation`]); its
    /// result goes out as `Validated` just before `Done`.
    pub fn validating(self, validation: FileValidation<'r>) -> Self {
        ScanSession {
            validation: Some(validation),
            ..self
        }
    }

    /// Run the hardened rules too ([`FileScan::hardened`]): hardened rows
    /// join the parity rows, labelled.
    pub fn hardened(self, rules: &'r HardenedRules) -> Self {
        let scan = match self.scan {
            Scanner::Whole(s) => Scanner::Whole(s.hardened(rules)),
            range => range,
        };
        ScanSession { scan, ..self }
    }

    /// Scan only the first range `[0, plan.boundary)` of a split file
    /// ([`RangeScan::first`]); the caller feeds the range's bytes, then
    /// calls [`end_range`](Self::end_range). Call before any `push`.
    pub fn first_range(self, plan: &Plan) -> Self {
        let scan = match self.scan {
            Scanner::Whole(s) => Scanner::Range(RangeScan::first(s, plan)),
            range => range,
        };
        ScanSession { scan, ..self }
    }

    /// Scan a later range starting at `start` ([`RangeScan::after`]):
    /// `header` (the file's bytes `[0, header_end)`) is fed first; the
    /// session should force the CSV format. Call before any `push`.
    pub fn later_range(self, header: &[u8], start: u64) -> Self {
        let scan = match self.scan {
            Scanner::Whole(s) => Scanner::Range(RangeScan::after(s, header, start)),
            range => range,
        };
        ScanSession { scan, ..self }
    }

    /// Scan only the first range of an EVTX log cut on chunk boundaries
    /// ([`EvtxRangeScan::first`]). Call before any `push`.
    pub fn evtx_first_range(self) -> Self {
        let scan = match self.scan {
            Scanner::Whole(s) => Scanner::Evtx(EvtxRangeScan::first(s)),
            range => range,
        };
        ScanSession { scan, ..self }
    }

    /// Scan a later range of an EVTX log, from chunk boundary `start`
    /// ([`EvtxRangeScan::after`]): `header` is the file's 4 KiB header; the
    /// session should force the EVTX format. An error when `start` is not a
    /// chunk boundary or `header` not an EVTX header. Call before any `push`.
    pub fn evtx_later_range(self, header: &[u8], start: u64) -> Result<Self, String> {
        let scan = match self.scan {
            Scanner::Whole(s) => Scanner::Evtx(
                EvtxRangeScan::after(s, header, start)
                    .ok_or_else(|| format!("byte {start} is not an EVTX chunk boundary"))?,
            ),
            range => range,
        };
        Ok(ScanSession { scan, ..self })
    }

    /// Scan only the first range `[0, end)` of a JSON lines file cut at
    /// `end` ([`JsonRangeScan::first`]; `bom`: the plan's byte-order mark).
    /// Call before any `push`.
    pub fn json_first_range(self, bom: usize, end: u64) -> Self {
        let plan = JsonPlan {
            bom,
            starts: vec![end],
        };
        let scan = match self.scan {
            Scanner::Whole(s) => Scanner::Json(JsonRangeScan::first(s, &plan)),
            range => range,
        };
        ScanSession { scan, ..self }
    }

    /// Scan a later range of a JSON lines file from line start `start`
    /// ([`JsonRangeScan::after`]: nothing is fed before it); the session
    /// should force the JSON format. Call before any `push`.
    pub fn json_later_range(self, start: u64) -> Self {
        let scan = match self.scan {
            Scanner::Whole(s) => Scanner::Json(JsonRangeScan::after(s, start)),
            range => range,
        };
        ScanSession { scan, ..self }
    }

    /// Scan only `range` of a split file (a CSV's, an EVTX log's or a JSON
    /// lines file's, [`ScanRange::kind`]), as its worker does: a later
    /// CSV or EVTX range needs `header`, the file's bytes
    /// `[0, range.header_end)`. Call before any `push`.
    pub fn for_range(self, range: &ScanRange, header: Option<&[u8]>) -> Result<Self, String> {
        let header = || header.ok_or_else(|| "a later range needs the file's header".to_owned());
        match range.kind {
            RangeKind::Json if range.start == 0 => {
                Ok(self.json_first_range(range.bom as usize, range.end))
            }
            RangeKind::Json => Ok(self.json_later_range(range.start)),
            RangeKind::Evtx if range.start == 0 => Ok(self.evtx_first_range()),
            RangeKind::Evtx => self.evtx_later_range(header()?, range.start),
            RangeKind::Csv if range.start == 0 => Ok(self.first_range(&Plan {
                header_end: range.header_end as usize,
                bom: range.bom as usize,
                boundary: range.end,
            })),
            RangeKind::Csv => Ok(self.later_range(header()?, range.start)),
        }
    }

    /// The range's last byte was pushed: a [`FromWorker::RangeRead`] (the
    /// range's line breaks; its word on the seam, `held`: for a CSV's first
    /// range whether its last record ended at the boundary, for a later
    /// EVTX or JSON range whether it stands alone, for a JSON first range
    /// whether its lines were clean), and whether to read on to the end of
    /// the file (a CSV's first range whose seam did not hold: the rescan;
    /// EVTX and JSON first ranges wait for the page's word instead). For a
    /// whole-file session, nothing.
    pub fn end_range(&mut self) -> (Vec<FromWorker>, bool) {
        let (newlines, held, read_on) = match &self.scan {
            Scanner::Whole(_) => return (Vec::new(), false),
            Scanner::Range(s) => (s.newlines(), s.at_record_start(), !s.at_record_start()),
            // An EVTX range's seam is the range *after* it: the page says
            // whether the first reads on (`WorkerScan::end_range`).
            Scanner::Evtx(s) => (0, s.stands_alone(), false),
            // A JSON range's seam needs both sides: the first's lines clean
            // and the later range standing alone; the page decides.
            Scanner::Json(s) => (s.newlines(), s.stands_alone() && s.clean(), false),
        };
        let message = FromWorker::RangeRead {
            job: self.job,
            newlines,
            held,
        };
        (vec![message], read_on)
    }

    /// Feed the next slice; returns, when due, the waiting rows and then the
    /// account that counts them (a `Progress`): every `Progress` follows
    /// every row it counts as flagged, so a page that stops after any of
    /// them (a cancel) holds rows and counts that agree.
    pub fn push(&mut self, chunk: &[u8], now_ms: f64) -> Vec<FromWorker> {
        self.scan.push(chunk);
        if let Some(v) = &mut self.validation {
            v.push(chunk);
        }
        self.pending.extend(self.scan.take_rows());
        let mut out = Vec::new();
        if self.pending.len() >= ROWS_PER_BATCH
            || now_ms - self.last_progress_ms >= PROGRESS_INTERVAL_MS
        {
            self.last_progress_ms = now_ms;
            self.rows_messages(&mut out);
            out.push(self.progress());
        }
        out
    }

    /// The account so far, as a `Progress` message.
    fn progress(&self) -> FromWorker {
        FromWorker::progress(self.job, self.scan.summary())
    }

    /// End of file: the last rows and the summary.
    pub fn finish(mut self) -> Vec<FromWorker> {
        let job = self.job;
        let (summary, rows) = self.scan.finish();
        self.pending.extend(rows);
        let mut out = Vec::with_capacity(3);
        rows_messages(job, &self.pending, &mut self.rows_sent, &mut out);
        if let Some(v) = self.validation.take() {
            out.push(validated(job, &v.finish()));
        }
        out.push(FromWorker::Done {
            job,
            summary: Box::new(summary),
        });
        out
    }

    /// The file could not be read at byte `byte`: the rows found so far and a
    /// summary whose error names the position.
    pub fn fail_read(mut self, byte: u64, message: &str) -> Vec<FromWorker> {
        self.pending.extend(self.scan.take_rows());
        let mut summary = self.scan.summary().clone();
        summary.error = Some(DecodeError::new(
            DecodeErrorKind::Read,
            Position {
                byte,
                line: 0,
                record: summary.records,
            },
            format!("the file could not be read: {message}"),
        ));
        let mut out = Vec::with_capacity(3);
        self.rows_messages(&mut out);
        if let (Some(v), Some(error)) = (self.validation.take(), summary.error.clone()) {
            out.push(validated(self.job, &v.abandon(error)));
        }
        out.push(FromWorker::Done {
            job: self.job,
            summary: Box::new(summary),
        });
        out
    }

    /// The waiting rows as `Rows` messages (see [`rows_messages`]).
    fn rows_messages(&mut self, out: &mut Vec<FromWorker>) {
        let rows = std::mem::take(&mut self.pending);
        rows_messages(self.job, &rows, &mut self.rows_sent, out);
    }
}

/// A `Validated` message for `result`.
fn validated(job: u32, result: &cmdhunt_core::validation::FileResult) -> FromWorker {
    FromWorker::Validated {
        job,
        result: Box::new(crate::validation::ValidationDto::new(result)),
    }
}

/// `rows` as `Rows` messages of at most [`ROWS_PER_BATCH`] rows
/// ([`FIRST_BATCH_ROWS`] for the run's first, while `rows_sent` is false), in
/// file order.
fn rows_messages(job: u32, rows: &[FlaggedRow], rows_sent: &mut bool, out: &mut Vec<FromWorker>) {
    let mut rest = rows;
    while !rest.is_empty() {
        let size = if *rows_sent {
            ROWS_PER_BATCH
        } else {
            FIRST_BATCH_ROWS
        };
        let (batch, after) = rest.split_at(size.min(rest.len()));
        out.push(rows_message(job, batch));
        *rows_sent = true;
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::full_rows;
    use crate::testdata::{sample_csv, scan_all, shared_data};
    use cmdhunt_core::scan::FileSummary;

    /// Run a session over `bytes` in `chunk`-byte slices, one millisecond apart.
    fn run(bytes: &[u8], chunk: usize) -> (Vec<FromWorker>, FileSummary, Vec<FlaggedRow>) {
        run_timed(bytes, chunk, 1.0)
    }

    /// The same, slices `step_ms` apart.
    fn run_timed(
        bytes: &[u8],
        chunk: usize,
        step_ms: f64,
    ) -> (Vec<FromWorker>, FileSummary, Vec<FlaggedRow>) {
        let rule = CompiledRule::new();
        let mut s = ScanSession::new(&rule, 7, 0, "test", None).expect("session");
        let mut messages = Vec::new();
        for (i, c) in bytes.chunks(chunk).enumerate() {
            messages.extend(s.push(c, i as f64 * step_ms));
        }
        messages.extend(s.finish());
        let mut rows = Vec::new();
        let mut summary = None;
        for m in &messages {
            assert_eq!(m.job(), 7);
            match m {
                FromWorker::Rows {
                    rows: r, fields, ..
                } => rows.extend(full_rows(r.clone(), fields)),
                FromWorker::Done { summary: s, .. } => summary = Some((**s).clone()),
                _ => {}
            }
        }
        (messages, summary.expect("a Done message"), rows)
    }

    #[test]
    fn streamed_rows_and_summary_equal_a_one_shot_scan() {
        let (one_summary, one_rows) = scan_all(sample_csv(), 0, None);
        for chunk in [1, 7, 4096, 1 << 20] {
            let (messages, summary, rows) = run(sample_csv(), chunk);
            let mut expected = one_summary.clone();
            expected.name = "test".into();
            assert_eq!(summary, expected, "chunk {chunk}");
            assert_eq!(rows, one_rows, "chunk {chunk}");
            assert!(matches!(messages.last(), Some(FromWorker::Done { .. })));
        }
    }

    #[test]
    fn progress_counts_bytes_and_reports_the_format() {
        let (messages, summary, _) = run_timed(sample_csv(), 1000, PROGRESS_INTERVAL_MS);
        let progress: Vec<(u64, Option<String>)> = messages
            .iter()
            .filter_map(|m| match m {
                FromWorker::Progress { account, .. } => {
                    Some((account.bytes, account.format.map(|f| f.name().to_owned())))
                }
                _ => None,
            })
            .collect();
        assert_eq!(progress.len(), sample_csv().len().div_ceil(1000));
        assert!(progress.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(progress.last().map(|p| p.0), Some(summary.bytes));
        assert_eq!(
            progress.last().and_then(|p| p.1.clone()).as_deref(),
            Some("csv")
        );
    }

    #[test]
    fn progress_is_throttled() {
        // One-byte slices one millisecond apart: one progress per 100 ms,
        // plus one after each batch of rows.
        let (messages, _, _) = run(sample_csv(), 1);
        let count = |f: fn(&FromWorker) -> bool| messages.iter().filter(|m| f(m)).count();
        let progress = count(|m| matches!(m, FromWorker::Progress { .. }));
        let batches = count(|m| matches!(m, FromWorker::Rows { .. })) - 1; // the last comes from finish
        let ticks = sample_csv().len().div_ceil(PROGRESS_INTERVAL_MS as usize);
        assert!(
            progress >= ticks && progress <= ticks + batches,
            "{progress} for {ticks} ticks, {batches} batches"
        );
        let last = messages.len() - 2; // finish: the last rows, then Done
        for (i, (m, after)) in messages.iter().zip(messages.iter().skip(1)).enumerate() {
            if matches!(m, FromWorker::Rows { .. }) && i != last {
                assert!(
                    matches!(after, FromWorker::Progress { .. } | FromWorker::Rows { .. }),
                    "rows are followed by the progress that counts them"
                );
            }
        }
    }

    #[test]
    fn every_progress_counts_exactly_the_rows_sent_before_it() {
        // A cancel stops the page after any message: at every Progress the
        // rows received so far must be the ones it counts, flag by flag.
        let (one, _) = scan_all(sample_csv(), 0, None);
        for (chunk, step) in [(1, 1.0), (7, 30.0), (64, 100.0), (4096, 0.0)] {
            let (messages, _, _) = run_timed(sample_csv(), chunk, step);
            let mut rows: Vec<FlaggedRow> = Vec::new();
            let mut checked = 0;
            for m in &messages {
                match m {
                    FromWorker::Rows {
                        rows: r, fields, ..
                    } => rows.extend(full_rows(r.clone(), fields)),
                    FromWorker::Progress { account, .. } => {
                        let FileSummary {
                            records,
                            flagged,
                            flag_counts,
                            process_creations,
                            shell,
                            skipped,
                            other_events,
                            ..
                        } = &**account;
                        assert_eq!(*flagged, rows.len() as u64, "chunk {chunk}");
                        for (f, n) in flag_counts.iter().enumerate() {
                            let have = rows.iter().filter(|r| r.verdict.flags.0[f]).count();
                            assert_eq!(*n, have as u64, "flag {f}, chunk {chunk}");
                        }
                        let other: u64 = other_events.values().sum();
                        assert_eq!(*records, process_creations + other + skipped);
                        assert!(*shell >= *flagged);
                        checked += 1;
                    }
                    _ => {}
                }
            }
            assert!(checked > 0 && one.flagged > 0, "chunk {chunk}");
        }
    }

    #[test]
    fn big_slices_give_bounded_messages_and_a_small_first_one() {
        // The whole sample in one slice, as a 1 MiB slice of a big export
        // would: its rows leave as several messages, the first a small one.
        let (_, one_rows) = scan_all(sample_csv(), 0, None);
        let rows: Vec<FlaggedRow> = one_rows.iter().cycle().take(700).cloned().collect();
        let (mut sent, mut out) = (false, Vec::new());
        rows_messages(1, &rows, &mut sent, &mut out);
        let sizes: Vec<usize> = out
            .iter()
            .map(|m| match m {
                FromWorker::Rows { rows, .. } => rows.len(),
                _ => 0,
            })
            .collect();
        assert_eq!(sizes, vec![FIRST_BATCH_ROWS, 250, 250, 150]);
        let mut back = Vec::new();
        for m in out {
            if let FromWorker::Rows { rows, fields, .. } = m {
                back.extend(full_rows(rows, &fields));
            }
        }
        assert_eq!(back, rows, "in file order, fields intact");
        assert!(sent);
    }

    #[test]
    fn rows_are_batched_not_sent_per_slice() {
        // One-byte slices a tenth of a millisecond apart: rows go out with
        // progress, every 100 ms, so far fewer Rows messages than slices
        // that completed a flagged record.
        let (messages, summary, _) = run_timed(sample_csv(), 1, 0.1);
        let batches = messages
            .iter()
            .filter(|m| matches!(m, FromWorker::Rows { .. }))
            .count() as u64;
        assert!(
            batches >= 2 && batches < summary.flagged,
            "{batches} batches"
        );
    }

    #[test]
    fn a_read_failure_keeps_rows_and_names_the_position() {
        let rule = CompiledRule::new();
        let mut s = ScanSession::new(&rule, 1, 0, "x.csv", None).expect("session");
        let half = sample_csv().len() / 2;
        let mut messages = s.push(&sample_csv()[..half], 0.0);
        messages.extend(s.fail_read(half as u64, "NotReadableError"));
        let Some(FromWorker::Done { summary, .. }) = messages.last() else {
            panic!("no Done");
        };
        let error = summary.error.clone().expect("an error");
        assert_eq!(error.position.byte, half as u64);
        assert_eq!(error.kind, DecodeErrorKind::Read);
        assert!(error.message.contains("NotReadableError"), "{error:?}");
        let rows: usize = messages
            .iter()
            .map(|m| match m {
                FromWorker::Rows { rows, .. } => rows.len(),
                _ => 0,
            })
            .sum();
        assert!(rows > 0 && (rows as u64) == summary.flagged);
    }

    #[test]
    fn hardened_rows_cross_the_wire_labelled_as_the_core_labels_them() {
        use cmdhunt_core::hardened::Detection;
        let Some(bytes) = shared_data("defender/mde_proc_cs1.csv") else {
            return; // no shared data in this checkout
        };
        let (rule, hardened) = (CompiledRule::new(), HardenedRules::new());
        let mut want = FileScan::new(&rule, 0, "test", None).hardened(&hardened);
        want.push(&bytes);
        let (_, want) = want.finish();
        assert!(want.iter().any(|r| r.detection == Detection::Hardened));
        let mut s = ScanSession::new(&rule, 1, 0, "test", None)
            .expect("session")
            .hardened(&hardened);
        let mut messages = Vec::new();
        for c in bytes.chunks(4096) {
            messages.extend(s.push(c, 0.0));
        }
        messages.extend(s.finish());
        let got: Vec<FlaggedRow> = messages
            .into_iter()
            .flat_map(|m| match m {
                FromWorker::Rows { rows, fields, .. } => full_rows(rows, &fields),
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn forced_format_and_unknown_format_name() {
        let rule = CompiledRule::new();
        assert!(ScanSession::new(&rule, 1, 0, "x", Some("docx")).is_err());
        // The sample forced as JSON fails with a positioned error, not a panic.
        let s = ScanSession::new(&rule, 1, 0, "x", Some("json")).expect("session");
        let mut s = s;
        let mut messages = s.push(sample_csv(), 0.0);
        messages.extend(s.finish());
        let Some(FromWorker::Done { summary, .. }) = messages.last() else {
            panic!("no Done");
        };
        assert_eq!(summary.format.map(|f| f.name()), Some("json"));
        assert!(
            summary.error.is_some() || summary.skipped > 0,
            "{summary:?}"
        );
    }

    #[test]
    fn a_real_defender_export_streams_like_a_one_shot_scan() {
        let Some(dir) = std::fs::read_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/defender"
        ))
        .ok() else {
            return; // no shared data beside this checkout
        };
        let mut checked = 0;
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".csv") {
                continue;
            }
            let Some(bytes) = shared_data(&format!("defender/{name}")) else {
                continue;
            };
            let (one, one_rows) = scan_all(&bytes, 0, None);
            let (_, summary, rows) = run(&bytes, 65_536);
            assert_eq!(
                (summary.records, summary.flagged),
                (one.records, one.flagged),
                "{name}"
            );
            assert_eq!(rows, one_rows, "{name}");
            checked += 1;
        }
        assert!(checked > 0, "shared/data/defender has CSV files");
    }
}
