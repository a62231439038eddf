//! The page's state and its reducer: every change is an [`Action`] applied by
//! [`AppState::apply`], a plain function that tests natively. Side effects
//! (starting and stopping workers) are decided from the state afterwards by
//! [`AppState::jobs_to_start`] and [`AppState::live_jobs`].

use cmdhunt_core::export::CsvCells;
use cmdhunt_core::format::Format;
use cmdhunt_core::results::{self, Window};
use cmdhunt_core::scan::{FileSummary, FlaggedRow};
use cmdhunt_core::time::Timestamp;

use cmdhunt_core::tuning::{Config, Mode};

use crate::protocol::{FieldBlock, FromWorker, RowDto, ScanRules};
use crate::tuning;
use crate::validation::ValidationDto;
use crate::view::{merge_new_rows_where, visible_rows_where, Column, ViewSpec};
use crate::window::{timestamp_from_ms, WindowChoice};

/// How many files are scanned at once (one worker each).
pub const MAX_PARALLEL: usize = 2;

/// Where a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Waiting for a free worker.
    Queued,
    /// Being scanned.
    Running,
    /// Finished (the summary may still carry a decoding error).
    Done,
    /// Stopped by the analyst. The file's account and rows cover its bytes
    /// before `at` (the last consistent account the worker sent).
    Cancelled {
        /// Bytes read when the account was taken.
        at: u64,
    },
    /// The worker died (panic, failed start); the message says why.
    Failed(String),
    /// The same name, size and first and last 64 KiB as file `of`: not
    /// scanned (its rows would double the other's) unless the analyst asks.
    Duplicate {
        /// The file it repeats.
        of: u32,
    },
}

/// A file given to the page: what [`Action::AddFiles`] carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// The file's name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// [`crate::fingerprint::of`] its first and last 64 KiB, when it could
    /// be read; `None` never matches another file.
    pub fingerprint: Option<u64>,
}

impl NewFile {
    /// A file with no fingerprint (never taken for a duplicate).
    pub fn new(name: impl Into<String>, size: u64) -> Self {
        NewFile {
            name: name.into(),
            size,
            fingerprint: None,
        }
    }

    /// The same, with its fingerprint.
    pub fn with_fingerprint(self, fingerprint: u64) -> Self {
        NewFile {
            fingerprint: Some(fingerprint),
            ..self
        }
    }
}

/// One file given to the page.
#[derive(Debug, Clone, PartialEq)]
pub struct FileEntry {
    /// Index, also [`FlaggedRow::file`] of its rows.
    pub id: u32,
    /// The file's name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The format forced by the analyst, `None` to detect.
    pub forced: Option<Format>,
    /// The current run's job number.
    pub job: u32,
    /// Where it is.
    pub status: Status,
    /// Bytes read in this run (the progress bar; a split file's workers
    /// together can be ahead of [`live`](Self::live)).
    pub bytes_done: u64,
    /// When the run started and when progress last came (ms, `Date.now()`).
    pub started_ms: f64,
    /// Last progress time.
    pub updated_ms: f64,
    /// The final account, once done (for a cancelled file, the account of
    /// the bytes read before the cancel, equal to its rows).
    pub summary: Option<FileSummary>,
    /// The file's account as the worker sent it: while reading, the latest
    /// (every count at that point, with every row flagged up to it already
    /// received); once done, the final one. Before any, the counts are 0
    /// and the format is the forced one.
    pub live: FileSummary,
    /// The fingerprint given when the file was added.
    pub fingerprint: Option<u64>,
    /// Rows received and not yet counted by an account (they are shown
    /// with the `Progress` or `Done` that follows them).
    pub pending: Vec<(Vec<RowDto>, FieldBlock)>,
    /// The file's validation against the seed's tests, once its run (with
    /// [`AppState::validate`] on) is done.
    pub validation: Option<ValidationDto>,
}

impl FileEntry {
    /// Read rate in MB/s (10^6 bytes) so far.
    pub fn rate_mb_s(&self) -> f64 {
        let secs = (self.updated_ms - self.started_ms) / 1000.0;
        if secs <= 0.0 {
            0.0
        } else {
            self.bytes_done as f64 / 1e6 / secs
        }
    }

    /// Whether the file is finished one way or another.
    pub fn is_settled(&self) -> bool {
        !matches!(self.status, Status::Queued | Status::Running)
    }

    /// Why the file gave no (or only some) rows, when it failed: the worker's
    /// message, or the decoding error that stopped it.
    pub fn failure(&self) -> Option<String> {
        match &self.status {
            Status::Failed(m) => Some(m.clone()),
            Status::Done => self
                .summary
                .as_ref()
                .and_then(|s| s.error.as_ref())
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// `Some((at, size))` when the file was cancelled: its numbers cover its
    /// first `at` bytes of `size`.
    pub fn partial(&self) -> Option<(u64, u64)> {
        match self.status {
            Status::Cancelled { at } => Some((at, self.size)),
            _ => None,
        }
    }

    /// The file's name as exports write it: marked partial when it was cancelled.
    pub fn export_name(&self) -> String {
        match self.partial() {
            Some((at, size)) => {
                format!("{} (partial: cancelled at byte {at} of {size})", self.name)
            }
            None => self.name.clone(),
        }
    }
}

/// Everything the page changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Files were dropped or picked; ids are assigned in order. A file with
    /// the name, size and fingerprint of one already given is a
    /// [`Status::Duplicate`].
    AddFiles(Vec<NewFile>),
    /// Scan a [`Status::Duplicate`] file after all.
    ScanAnyway(u32),
    /// The page started a worker for this job.
    Started {
        /// The job.
        job: u32,
        /// `Date.now()`.
        now_ms: f64,
    },
    /// A worker message (stale jobs are ignored).
    Worker(FromWorker, f64),
    /// The workers of a file split across several have read this many of
    /// its bytes together: its progress bar (its account is the last
    /// `Progress`, of the file's first bytes).
    Read {
        /// The job.
        job: u32,
        /// Bytes read.
        bytes: u64,
        /// `Date.now()`.
        now_ms: f64,
    },
    /// A worker could not start or died without a message.
    WorkerFailed {
        /// The job.
        job: u32,
        /// Why.
        message: String,
    },
    /// Stop a file.
    Cancel(u32),
    /// Scan a file again with a forced format (`None`: detect).
    Rerun(u32, Option<Format>),
    /// Remove every file and row.
    Clear,
    /// Header click.
    SortBy(Column),
    /// Flip a flag chip.
    ToggleFlag(usize),
    /// New search text.
    Search(String),
    /// New window choice, with `Date.now()` for "now".
    SetWindow(WindowChoice, f64),
    /// Open (or close, `None`) the detail panel of a row.
    Select(Option<usize>),
    /// Show every flagged row: all time, no chip, no search.
    ShowAll,
    /// Write the CSV export raw (`true`) or with formula-like cells neutralised.
    SetCsvRaw(bool),
    /// Parity or hardened: every file is scanned again in that mode.
    SetMode(Mode),
    /// A new tuning config (edited, imported, loaded), with `Date.now()`
    /// (entries' expiry). A change of mode or lists scans every file again;
    /// an allowlist change only re-sorts rows into kept and suppressed.
    SetConfig(Box<Config>, f64),
    /// Why a config could not be taken (`None` clears the message).
    ConfigError(Option<String>),
    /// Flip a detection chip (0 parity, 1 hardened).
    ToggleDetection(usize),
    /// Show the suppressed rows instead of the kept ones.
    ShowSuppressed(bool),
    /// Validate the files against the seed's four tests (`true`: every file
    /// without a validation is scanned again with it; new files get it).
    SetValidate(bool),
    /// A why chip ([`crate::why`]): a pattern, "pattern only", "parent only".
    Why(crate::why::WhyAction),
    /// A grid setting ([`crate::columns`]): grouping, local time, wrap, columns.
    Grid(crate::columns::GridAction),
}

/// The page's state.
#[derive(Debug, Clone, Default)]
pub struct AppState {
    /// Files, by id (index).
    pub files: Vec<FileEntry>,
    /// Every flagged row received, in arrival order. Their
    /// [`FlaggedRow::fields`] are empty: the fields stay in their batch's block.
    pub rows: Vec<FlaggedRow>,
    /// Where each row's original fields are (same index as `rows`): the
    /// index in `blocks` and the byte range in that block. Parsed only when
    /// the detail panel shows the row ([`AppState::row_fields`]).
    pub fields: Vec<(usize, (u64, u64))>,
    /// The field block of every batch received, with its file id; a
    /// re-run file's blocks are emptied (indices stay valid).
    pub blocks: Vec<(u32, FieldBlock)>,
    /// What the table shows.
    pub spec: ViewSpec,
    /// The window control's value.
    pub window_choice: WindowChoice,
    /// Why the window control's value is unusable (the previous window stays).
    pub window_error: Option<String>,
    /// Indices of `rows` shown, in order (kept up to date by `apply`).
    pub shown: Vec<usize>,
    /// The row in the detail panel.
    pub selected: Option<usize>,
    /// The CSV export writes the exact text (no formula neutralisation).
    pub csv_raw: bool,
    /// The tuning config: mode, lists, allowlist ([`cmdhunt_core::tuning`]).
    pub config: Config,
    /// Bumped whenever `config` changes (the page then stores it).
    pub config_version: u64,
    /// Why the last config given was refused.
    pub config_error: Option<String>,
    /// Files are validated against the seed's tests as they are scanned
    /// ([`crate::validation`]).
    pub validate: bool,
    /// The allowlist entries (indices) that suppress each row (same index
    /// as `rows`); `None` for a kept row.
    pub suppressed_by: Vec<Option<Box<[u32]>>>,
    /// The clock the allowlist's expiries were judged at (`None`: the
    /// start of time, every entry unexpired).
    pub now: Option<Timestamp>,
    /// Changes whenever what the results table shows may have changed
    /// (rows, order, selection, sort): the table re-renders only then, not
    /// on every progress message.
    pub view_version: u64,
    /// The grid's settings: grouping, local time, wrap, hidden columns.
    pub grid: crate::columns::Grid,
    next_job: u32,
}

impl AppState {
    /// Apply one action.
    pub fn apply(&mut self, action: Action) {
        let mut refresh = true;
        match action {
            Action::AddFiles(files) => {
                for NewFile {
                    name,
                    size,
                    fingerprint,
                } in files
                {
                    let id = self.files.len() as u32;
                    let job = self.new_job();
                    let original = fingerprint.and_then(|fp| {
                        self.files.iter().find(|f| {
                            f.fingerprint == Some(fp)
                                && f.size == size
                                && f.name == name
                                && !matches!(f.status, Status::Duplicate { .. })
                        })
                    });
                    let status = match original {
                        Some(f) => Status::Duplicate { of: f.id },
                        None => Status::Queued,
                    };
                    self.spec.context.files.push(name.clone()); // the search matches file names
                    self.files.push(FileEntry {
                        id,
                        name: name.clone(),
                        size,
                        forced: None,
                        job,
                        status,
                        bytes_done: 0,
                        live: FileSummary {
                            name,
                            ..FileSummary::default()
                        },
                        started_ms: 0.0,
                        updated_ms: 0.0,
                        summary: None,
                        fingerprint,
                        pending: Vec::new(),
                        validation: None,
                    });
                }
                refresh = false;
            }
            Action::ScanAnyway(id) => {
                if let Some(f) = self.files.get_mut(id as usize) {
                    if matches!(f.status, Status::Duplicate { .. }) {
                        f.status = Status::Queued;
                    }
                }
                refresh = false;
            }
            Action::Started { job, now_ms } => {
                if let Some(f) = self.file_of_job(job) {
                    f.status = Status::Running;
                    f.started_ms = now_ms;
                    f.updated_ms = now_ms;
                }
                refresh = false;
            }
            Action::Worker(message, now_ms) => refresh = self.on_worker(message, now_ms),
            Action::Read { job, bytes, now_ms } => {
                if let Some(f) = self.file_of_job(job) {
                    if f.status == Status::Running {
                        f.bytes_done = bytes;
                        f.updated_ms = now_ms;
                    }
                }
                refresh = false;
            }
            Action::WorkerFailed { job, message } => {
                if let Some(f) = self.file_of_job(job) {
                    if !f.is_settled() {
                        f.status = Status::Failed(message);
                    }
                }
                refresh = false;
            }
            Action::Cancel(id) => refresh = self.cancel(id),
            Action::Rerun(id, forced) => self.rerun(id, forced),
            Action::Clear => {
                self.files.clear();
                self.rows.clear();
                self.fields.clear();
                self.blocks.clear();
                self.suppressed_by.clear();
                self.selected = None;
                self.spec.context.files.clear();
            }
            Action::SortBy(column) => self.spec.sort = self.spec.sort.clicked(column),
            Action::ToggleFlag(f) => {
                if let Some(chip) = self.spec.flags.get_mut(f) {
                    *chip = !*chip;
                }
            }
            Action::Search(text) => self.spec.search = text,
            Action::SetWindow(choice, now_ms) => {
                match choice.window(now_ms) {
                    Ok(w) => {
                        self.spec.window = w;
                        self.window_error = None;
                    }
                    Err(e) => self.window_error = Some(e),
                }
                self.window_choice = choice;
            }
            Action::Select(row) => {
                self.selected = row.filter(|&i| i < self.rows.len());
                self.view_version += 1;
                refresh = false;
            }
            Action::ShowAll => {
                self.window_choice = WindowChoice::All;
                self.window_error = None;
                self.spec.window = Window::All;
                self.spec.flags = [false; 5];
                self.spec.search.clear();
                self.spec.why = Default::default();
            }
            Action::SetCsvRaw(raw) => {
                self.csv_raw = raw;
                refresh = false;
            }
            Action::SetMode(mode) => {
                if mode != self.config.mode {
                    self.config.mode = mode;
                    self.config_version += 1;
                    self.spec.detection = [false; 2];
                    self.rerun_all();
                }
            }
            Action::SetConfig(config, now_ms) => {
                let rescan = config.mode != self.config.mode
                    || config.patterns != self.config.patterns
                    || config.parents != self.config.parents;
                self.config = *config;
                self.spec.context.set_lists(&self.config); // `pattern:` names the tuned lists
                self.config_version += 1;
                self.config_error = None;
                self.now = Some(timestamp_from_ms(now_ms));
                if rescan {
                    self.spec.detection = [false; 2];
                    self.rerun_all();
                } else {
                    self.suppressed_by.clear();
                    self.judge_from(0);
                }
            }
            Action::ConfigError(error) => {
                self.config_error = error;
                refresh = false;
            }
            Action::ToggleDetection(d) => {
                if let Some(chip) = self.spec.detection.get_mut(d) {
                    *chip = !*chip;
                }
            }
            Action::ShowSuppressed(on) => {
                self.spec.show_suppressed = on;
                self.selected = None;
            }
            Action::Why(change) => self.spec.why.apply(change),
            Action::Grid(change) => {
                self.grid.apply(change);
                self.view_version += 1;
                // The search matches times as the grid shows them.
                refresh = self.spec.context.set_local_time(self.grid.local_time);
            }
            Action::SetValidate(on) => {
                self.validate = on;
                let missing = self.files.iter().any(|f| {
                    f.validation.is_none() && !matches!(f.status, Status::Duplicate { .. })
                });
                if on && missing {
                    self.rerun_all();
                } else {
                    refresh = false;
                }
            }
        }
        if refresh {
            self.refresh();
        }
    }

    /// Scan file `id` again (a new job) with format `forced`, its rows dropped.
    fn rerun(&mut self, id: u32, forced: Option<Format>) {
        let job = self.new_job();
        if let Some(f) = self.files.get_mut(id as usize) {
            f.forced = forced;
            f.job = job;
            f.status = Status::Queued;
            f.bytes_done = 0;
            f.live = FileSummary {
                name: f.name.clone(),
                format: forced,
                ..FileSummary::default()
            };
            f.summary = None;
            f.pending.clear();
            f.validation = None;
            let keep: Vec<bool> = self.rows.iter().map(|r| r.file != id).collect();
            self.retain_rows(&keep);
            for (file, block) in &mut self.blocks {
                if *file == id {
                    *block = FieldBlock::default();
                }
            }
            self.selected = None;
        }
    }

    /// Scan every file again (the mode or the lists changed); a duplicate
    /// stays unscanned.
    fn rerun_all(&mut self) {
        let files: Vec<(u32, Option<Format>)> = self
            .files
            .iter()
            .filter(|f| !matches!(f.status, Status::Duplicate { .. }))
            .map(|f| (f.id, f.forced))
            .collect();
        for (id, forced) in files {
            self.rerun(id, forced);
        }
    }

    /// What a worker runs now: the config's mode and lists.
    pub fn scan_rules(&self) -> ScanRules {
        tuning::scan_rules(&self.config)
    }

    /// Judge rows `first..` against the allowlist (`suppressed_by`).
    fn judge_from(&mut self, first: usize) {
        self.suppressed_by.truncate(first);
        let (allow, now) = (
            &self.config.allowlist,
            self.now.unwrap_or(Timestamp(i64::MIN)),
        );
        let active = !allow.entries.is_empty();
        self.suppressed_by
            .extend(self.rows[first..].iter().map(|r| {
                if !active {
                    return None;
                }
                let hits = allow.suppressing(&r.event, now);
                (!hits.is_empty()).then(|| hits.into_iter().map(|i| i as u32).collect())
            }));
    }

    /// Whether row `i` is shown under the current "show suppressed" choice.
    fn kept_in_view(suppressed_by: &[Option<Box<[u32]>>], show_suppressed: bool, i: usize) -> bool {
        suppressed_by.get(i).is_some_and(Option::is_some) == show_suppressed
    }

    /// Per allowlist entry (config order): how many rows in the time window
    /// it matched. A row two entries match counts for both.
    pub fn allow_counts(&self) -> Vec<u64> {
        let mut counts = vec![0u64; self.config.allowlist.entries.len()];
        for (r, hits) in self.rows.iter().zip(&self.suppressed_by) {
            let Some(hits) = hits else { continue };
            if self.spec.window.admits(r.event.timestamp, self.spec.newest) {
                for &h in hits.iter() {
                    if let Some(c) = counts.get_mut(h as usize) {
                        *c += 1;
                    }
                }
            }
        }
        counts
    }

    /// Rows in the time window the allowlist suppressed.
    pub fn suppressed_in_window(&self) -> usize {
        self.rows
            .iter()
            .zip(&self.suppressed_by)
            .filter(|(r, hits)| {
                hits.is_some() && self.spec.window.admits(r.event.timestamp, self.spec.newest)
            })
            .count()
    }

    /// Handle a worker message; returns whether the rows shown may have changed.
    fn on_worker(&mut self, message: FromWorker, now_ms: f64) -> bool {
        let job = message.job();
        let Some(f) = self.file_of_job(job) else {
            return false; // a cancelled or superseded run
        };
        if f.status != Status::Running {
            return false;
        }
        match message {
            FromWorker::Progress { account, .. } => {
                f.bytes_done = account.bytes;
                f.updated_ms = now_ms;
                let format = account.format.or(f.live.format);
                f.live = FileSummary {
                    name: f.name.clone(),
                    format,
                    ..*account
                };
                let id = f.id;
                self.follow_newest();
                // The rows this account counts join the table with it.
                self.commit_pending(id);
                false
            }
            FromWorker::Rows { rows, fields, .. } => {
                // Held until the account that counts them (the Progress
                // right after them): the table and the counts never disagree,
                // and a cancel in between drops them with nothing to undo.
                f.pending.push((rows, fields));
                false
            }
            FromWorker::Done { summary, .. } => {
                let id = f.id;
                // The last rows come before the final summary.
                let newest = results::newest(
                    f.pending
                        .iter()
                        .map(|(rows, _)| newest_of(rows))
                        .chain([f.live.newest]),
                );
                f.live.newest = newest;
                self.follow_newest();
                self.commit_pending(id);
                let Some(f) = self.files.get_mut(id as usize) else {
                    return true;
                };
                let summary = *summary;
                f.bytes_done = summary.bytes;
                f.live = summary.clone();
                f.updated_ms = now_ms;
                f.summary = Some(summary);
                f.status = Status::Done;
                true
            }
            FromWorker::Validated { result, .. } => {
                f.validation = Some(*result);
                false
            }
            // A split file's workers' control message, consumed by the
            // bridge (`split_job`); nothing to show.
            FromWorker::RangeRead { .. } => false,
            // Answered to the detail panel (crate::context_job), never here.
            FromWorker::Context { .. } => false,
            FromWorker::Panicked { message, .. } => {
                f.status = Status::Failed(format!("the decoder crashed: {message}"));
                false
            }
        }
    }

    /// Move file `id`'s pending rows (received, not yet counted) into the
    /// rows shown, merged into the shown order.
    fn commit_pending(&mut self, id: u32) {
        let Some(f) = self.files.get_mut(id as usize) else {
            return;
        };
        let pending = std::mem::take(&mut f.pending);
        if pending.is_empty() {
            return;
        }
        let first = self.rows.len();
        for (rows, fields) in pending {
            let block = self.blocks.len();
            self.blocks.push((id, fields));
            self.rows.reserve(rows.len());
            self.fields.reserve(rows.len());
            for dto in rows {
                self.fields.push((block, dto.fields));
                // A row's file index is the page's, whatever the worker says.
                self.rows.push(FlaggedRow {
                    file: id,
                    ..dto.into_row()
                });
            }
        }
        self.judge_from(first);
        let (sup, show) = (&self.suppressed_by, self.spec.show_suppressed);
        merge_new_rows_where(&self.rows, &mut self.shown, first, &self.spec, |i| {
            Self::kept_in_view(sup, show, i)
        });
        self.view_version += 1;
    }

    /// Stop file `id`: its rows are cut back to the last account the worker
    /// sent (rows that arrived after it are not counted by it), and that
    /// account becomes its summary, marked partial. Returns whether rows
    /// may have changed.
    fn cancel(&mut self, id: u32) -> bool {
        let Some(f) = self.files.get_mut(id as usize) else {
            return false;
        };
        if f.is_settled() {
            return false;
        }
        f.pending.clear();
        let account = f.live.clone();
        f.status = Status::Cancelled { at: account.bytes };
        f.bytes_done = account.bytes;
        let keep_rows = account.flagged;
        f.summary = Some(account);
        let mut seen = 0u64;
        let keep: Vec<bool> = self
            .rows
            .iter()
            .map(|r| {
                if r.file != id {
                    return true;
                }
                seen += 1;
                seen <= keep_rows
            })
            .collect();
        if keep.iter().all(|&k| k) {
            return false;
        }
        self.retain_rows(&keep);
        self.selected = None;
        true
    }

    /// Keep the rows (and their fields) whose `keep` entry is true.
    fn retain_rows(&mut self, keep: &[bool]) {
        let mut keep_row = keep.iter();
        self.rows.retain(|_| keep_row.next() == Some(&true));
        let mut keep_fields = keep.iter();
        self.fields.retain(|_| keep_fields.next() == Some(&true));
        let mut keep_judged = keep.iter();
        self.suppressed_by
            .retain(|_| keep_judged.next() == Some(&true));
    }

    /// While files stream in, the newest event time only grows, so a window
    /// anchored at it only loses rows: drop them without re-sorting (the
    /// first time known, or a smaller one, needs a full recompute).
    fn follow_newest(&mut self) {
        let newest = results::newest(self.files.iter().map(|f| f.live.newest));
        if newest == self.spec.newest {
            return;
        }
        if self.spec.newest.is_none() || newest < self.spec.newest {
            self.refresh();
        } else {
            self.spec.newest = newest;
            let (rows, spec) = (&self.rows, &self.spec);
            self.shown
                .retain(|&i| spec.window.admits(rows[i].event.timestamp, spec.newest));
            self.view_version += 1;
        }
    }

    /// Recompute the newest event time and the rows shown.
    fn refresh(&mut self) {
        self.spec.newest = results::newest(self.files.iter().map(|f| f.live.newest));
        let (sup, show) = (&self.suppressed_by, self.spec.show_suppressed);
        self.shown =
            visible_rows_where(&self.rows, &self.spec, |i| Self::kept_in_view(sup, show, i));
        self.view_version += 1;
    }

    fn new_job(&mut self) -> u32 {
        self.next_job += 1;
        self.next_job
    }

    fn file_of_job(&mut self, job: u32) -> Option<&mut FileEntry> {
        self.files.iter_mut().find(|f| f.job == job)
    }

    /// Queued files that may start now, oldest first (at most [`MAX_PARALLEL`] run).
    pub fn jobs_to_start(&self) -> Vec<(u32, u32)> {
        let running = self
            .files
            .iter()
            .filter(|f| f.status == Status::Running)
            .count();
        self.files
            .iter()
            .filter(|f| f.status == Status::Queued)
            .take(MAX_PARALLEL.saturating_sub(running))
            .map(|f| (f.id, f.job))
            .collect()
    }

    /// Jobs whose worker should be alive (running ones); any other worker is stopped.
    pub fn live_jobs(&self) -> Vec<u32> {
        self.files
            .iter()
            .filter(|f| f.status == Status::Running)
            .map(|f| f.job)
            .collect()
    }

    /// Every original field of row `index`, parsed now (for the detail
    /// panel); the error says why they cannot be shown.
    pub fn row_fields(&self, index: usize) -> Result<Vec<(String, String)>, String> {
        let (block, range) = self
            .fields
            .get(index)
            .ok_or_else(|| format!("no row {index}"))?;
        self.blocks
            .get(*block)
            .ok_or_else(|| format!("no field block {block}"))?
            .1
            .parse(*range)
    }

    /// The names of the files, by id, as exports write them (a cancelled
    /// file's marked partial: [`FileEntry::export_name`]).
    pub fn file_names(&self) -> Vec<String> {
        self.files.iter().map(FileEntry::export_name).collect()
    }

    /// How the CSV export writes formula-like cells.
    pub fn csv_cells(&self) -> CsvCells {
        if self.csv_raw {
            CsvCells::Raw
        } else {
            CsvCells::Neutralised
        }
    }

    /// Per file (by id), how many of its flagged rows the time window admits.
    pub fn in_window(&self) -> Vec<u64> {
        let mut counts = vec![0u64; self.files.len()];
        for r in &self.rows {
            if self.spec.window.admits(r.event.timestamp, self.spec.newest) {
                if let Some(n) = counts.get_mut(r.file as usize) {
                    *n += 1;
                }
            }
        }
        counts
    }

    /// Flagged rows the time window leaves out (whatever the chips and search).
    pub fn outside_window(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| !self.spec.window.admits(r.event.timestamp, self.spec.newest))
            .count()
    }

    /// What the results table says when it shows no row, and why.
    pub fn empty_text(&self) -> String {
        if self.files.is_empty() {
            return "No flagged rows yet: add files or try the sample.".into();
        }
        if !self.rows.is_empty() {
            let outside = self.outside_window();
            return if outside > 0 {
                format!(
                    "No row matches: {outside} of the {} flagged rows are outside the time window; the chips and search hide the rest.",
                    self.rows.len()
                )
            } else {
                "No row matches the chips and search.".into()
            };
        }
        if self.files.iter().any(|f| !f.is_settled()) {
            return "No flagged rows yet: reading.".into();
        }
        let failed = self.files.iter().filter(|f| f.failure().is_some()).count();
        if failed == self.files.len() {
            let reasons: Vec<String> = self
                .files
                .iter()
                .filter_map(|f| Some(format!("{}: {}", f.name, f.failure()?)))
                .collect();
            return format!("No rows: no file could be read ({}).", reasons.join("; "));
        }
        if failed > 0 {
            return format!(
                "No flagged rows in the files read; {failed} of {} could not be read (see the errors above).",
                self.files.len()
            );
        }
        "No flagged rows: the rule found nothing in these files.".into()
    }
}

/// The newest time among rows on the wire.
fn newest_of(rows: &[RowDto]) -> Option<Timestamp> {
    rows.iter().filter_map(|r| r.row.event.timestamp).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::ScanSession;
    use crate::testdata::sample_csv;
    use crate::view::visible_rows;
    use cmdhunt_core::matcher::CompiledRule;

    /// Messages a worker would send for `bytes` as job `job`.
    fn worker_messages(job: u32, bytes: &[u8], format: Option<&str>) -> Vec<FromWorker> {
        let rule = CompiledRule::new();
        let mut s = ScanSession::new(&rule, job, 99, "w", format).expect("session");
        let mut out = Vec::new();
        for c in bytes.chunks(512) {
            out.extend(s.push(c, 1000.0));
        }
        out.extend(s.finish());
        out
    }

    fn loaded(files: usize) -> AppState {
        let mut st = AppState::default();
        st.apply(Action::AddFiles(
            (0..files)
                .map(|i| NewFile::new(format!("f{i}.csv"), sample_csv().len() as u64))
                .collect(),
        ));
        st
    }

    fn run_job(st: &mut AppState, job: u32, bytes: &[u8]) {
        st.apply(Action::Started { job, now_ms: 0.0 });
        for m in worker_messages(job, bytes, None) {
            st.apply(Action::Worker(m, 2000.0));
        }
    }

    /// Run `job` as a worker given `rules` would.
    fn run_job_with(st: &mut AppState, job: u32, bytes: &[u8], rules: &ScanRules) {
        let rule = match &rules.lists {
            Some((p, q)) => CompiledRule::from_lists(p, q).expect("lists"),
            None => CompiledRule::new(),
        };
        let hardened = cmdhunt_core::hardened::HardenedRules::new();
        let mut s = ScanSession::new(&rule, job, 0, "w", None).expect("session");
        if rules.hardened {
            s = s.hardened(&hardened);
        }
        st.apply(Action::Started { job, now_ms: 0.0 });
        let mut out = Vec::new();
        for c in bytes.chunks(512) {
            out.extend(s.push(c, 1000.0));
        }
        out.extend(s.finish());
        for m in out {
            st.apply(Action::Worker(m, 2000.0));
        }
    }

    #[test]
    fn the_mode_switch_rescans_every_file_and_chips_filter_by_detection() {
        use cmdhunt_core::hardened::Detection;
        let csv = "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
                   2024-01-01T00:00:01Z,cmd.exe,cmd /c reg.exe add HKCU\\x,explorer.exe\n\
                   2024-01-01T00:00:03Z,cmd.exe,cmd /c reg add HKCU\\x,explorer.exe\n";
        let mut st = AppState::default();
        st.apply(Action::AddFiles(vec![NewFile::new(
            "a.csv",
            csv.len() as u64,
        )]));
        let rules = st.scan_rules();
        run_job_with(&mut st, 1, csv.as_bytes(), &rules);
        assert_eq!(st.rows.len(), 1);
        st.apply(Action::SetMode(Mode::Hardened));
        assert!(st.rows.is_empty(), "the old run's rows are gone");
        assert_eq!(st.jobs_to_start(), vec![(0, 2)]);
        assert!(st.scan_rules().hardened);
        let rules = st.scan_rules();
        run_job_with(&mut st, 2, csv.as_bytes(), &rules);
        let kinds: Vec<Detection> = st.rows.iter().map(|r| r.detection).collect();
        assert_eq!(kinds, [Detection::Hardened, Detection::Parity]);
        st.apply(Action::ToggleDetection(1));
        assert_eq!(st.shown.len(), 1);
        assert_eq!(st.rows[st.shown[0]].detection, Detection::Hardened);
        // The same mode again changes nothing.
        st.apply(Action::SetMode(Mode::Hardened));
        assert_eq!(st.rows.len(), 2);
    }

    #[test]
    fn the_allowlist_suppresses_and_counts_exactly_as_the_core_does() {
        let mut st = loaded(1);
        st.apply(Action::SetWindow(WindowChoice::All, 0.0));
        run_job(&mut st, 1, sample_csv());
        let all = st.rows.len();
        let device = st.rows[0].event.device_name.clone();
        let form = tuning::EntryForm {
            id: "dev".into(),
            field: "DeviceName".into(),
            kind: "=~".into(),
            value: device,
            reason: "lab host".into(),
            expires: String::new(),
        };
        let config = tuning::add_entry(&st.config, &form).expect("entry");
        st.apply(Action::SetConfig(Box::new(config.clone()), 0.0));
        assert_eq!(
            st.jobs_to_start(),
            vec![],
            "an allowlist change rescans nothing"
        );
        let order: Vec<usize> = (0..st.rows.len()).collect();
        let applied = config.allowlist.apply(&st.rows, &order, Timestamp(0));
        assert!(!applied.suppressed.is_empty() && !applied.kept.is_empty());
        assert_eq!(st.allow_counts(), applied.counts);
        let mut shown = st.shown.clone();
        shown.sort_unstable();
        assert_eq!(shown, applied.kept);
        st.apply(Action::ShowSuppressed(true));
        let mut shown = st.shown.clone();
        shown.sort_unstable();
        assert_eq!(shown, applied.suppressed);
        assert_eq!(applied.kept.len() + applied.suppressed.len(), all);
    }

    #[test]
    fn files_queue_two_at_a_time_and_finish() {
        let mut st = loaded(3);
        assert_eq!(st.jobs_to_start(), vec![(0, 1), (1, 2)]);
        st.apply(Action::Started {
            job: 1,
            now_ms: 0.0,
        });
        assert_eq!(st.jobs_to_start(), vec![(1, 2)]);
        st.apply(Action::Started {
            job: 2,
            now_ms: 0.0,
        });
        assert!(st.jobs_to_start().is_empty());
        for m in worker_messages(1, sample_csv(), None) {
            st.apply(Action::Worker(m, 2000.0));
        }
        assert_eq!(st.files[0].status, Status::Done);
        assert_eq!(st.jobs_to_start(), vec![(2, 3)]);
        assert_eq!(st.live_jobs(), vec![2]);
        assert_eq!(st.rows.len(), 15);
        assert!(
            st.rows.iter().all(|r| r.file == 0),
            "file index is the page's"
        );
        assert_eq!(st.shown.len(), 14);
        let rate = st.files[0].rate_mb_s();
        assert!(
            (rate - sample_csv().len() as f64 / 1e6 / 2.0).abs() < 1e-9,
            "{rate}"
        );
    }

    #[test]
    fn fields_stay_unparsed_until_asked_and_follow_their_rows() {
        // Two files; re-running the first drops its rows and their fields:
        // the second file's rows still get their own fields.
        let (_, scanned) = crate::testdata::scan_all(sample_csv(), 0, None);
        assert!(scanned.iter().all(|r| !r.fields.is_empty()));
        let mut st = loaded(2);
        run_job(&mut st, 1, sample_csv());
        run_job(&mut st, 2, sample_csv());
        assert_eq!(st.rows.len(), 2 * scanned.len());
        assert_eq!(st.fields.len(), st.rows.len());
        assert!(
            st.rows.iter().all(|r| r.fields.is_empty()),
            "not parsed on arrival"
        );
        st.apply(Action::Rerun(0, Some(Format::Json)));
        assert_eq!(st.rows.len(), scanned.len());
        assert_eq!(st.fields.len(), scanned.len());
        for (i, want) in scanned.iter().enumerate() {
            assert_eq!(st.rows[i].file, 1);
            assert_eq!(st.rows[i].position, want.position);
            assert_eq!(st.row_fields(i).as_ref(), Ok(&want.fields), "row {i}");
        }
        assert!(st.row_fields(scanned.len()).is_err());
    }

    #[test]
    fn the_view_version_moves_with_what_the_table_shows_only() {
        let mut st = loaded(1);
        st.apply(Action::Started {
            job: 1,
            now_ms: 0.0,
        });
        let mut last = st.view_version;
        for m in worker_messages(1, sample_csv(), None) {
            let before = (st.shown.clone(), st.rows.len(), st.spec.clone());
            st.apply(Action::Worker(m, 1.0));
            let changed = before != (st.shown.clone(), st.rows.len(), st.spec.clone());
            assert!(
                !changed || st.view_version != last,
                "the table changed and its version did not"
            );
            last = st.view_version;
        }
        let before = st.view_version;
        st.apply(Action::Cancel(0));
        assert_eq!(
            st.view_version, before,
            "a file's status is not the table's"
        );
        for action in [
            Action::Select(Some(0)),
            Action::SortBy(Column(1)),
            Action::ToggleFlag(0),
            Action::Search("x".into()),
            Action::Clear,
        ] {
            let before = st.view_version;
            st.apply(action.clone());
            assert_ne!(st.view_version, before, "{action:?}");
        }
    }

    #[test]
    fn streamed_rows_show_what_a_full_recompute_shows() {
        // Two files, interleaved batches: the incremental path (merge, and
        // dropping rows as the newest time grows) equals recomputing.
        let mut st = loaded(2);
        st.apply(Action::Started {
            job: 1,
            now_ms: 0.0,
        });
        st.apply(Action::Started {
            job: 2,
            now_ms: 0.0,
        });
        let a = worker_messages(1, sample_csv(), None);
        let b = worker_messages(2, sample_csv(), None);
        for pair in a.iter().zip(b.iter()) {
            for m in [pair.0, pair.1] {
                st.apply(Action::Worker(m.clone(), 1.0));
                assert_eq!(st.shown, visible_rows(&st.rows, &st.spec));
                // Rows join the table with the account that counts them.
                for f in &st.files {
                    let held = st.rows.iter().filter(|r| r.file == f.id).count() as u64;
                    assert_eq!(held, f.live.flagged, "file {}", f.id);
                }
            }
        }
        assert_eq!(st.rows.len(), 30);
        assert_eq!(st.shown.len(), 28);
    }

    #[test]
    fn the_window_uses_the_newest_event_of_all_files_and_refilters() {
        let mut st = loaded(1);
        run_job(&mut st, 1, sample_csv());
        assert_eq!(st.shown.len(), 14);
        st.apply(Action::SetWindow(WindowChoice::All, 0.0));
        assert_eq!(st.shown.len(), 15);
        // "now" is 2026: nothing from 2024 is within 24 hours of it.
        st.apply(Action::SetWindow(WindowChoice::NowDay, 1_780_000_000_000.0));
        assert_eq!(st.shown.len(), 0);
        let bad = WindowChoice::Custom {
            duration: "x".into(),
            anchor: String::new(),
        };
        st.apply(Action::SetWindow(bad, 0.0));
        assert!(st.window_error.is_some());
        assert_eq!(st.shown.len(), 0, "the previous window stays");
    }

    #[test]
    fn cancel_ignores_later_messages_and_rerun_replaces_rows() {
        let mut st = loaded(1);
        st.apply(Action::Started {
            job: 1,
            now_ms: 0.0,
        });
        st.apply(Action::Cancel(0));
        for m in worker_messages(1, sample_csv(), None) {
            st.apply(Action::Worker(m, 1.0));
        }
        assert_eq!(st.files[0].status, Status::Cancelled { at: 0 });
        assert!(st.rows.is_empty() && st.live_jobs().is_empty());

        st.apply(Action::Rerun(0, Some(Format::Csv)));
        assert_eq!(st.jobs_to_start(), vec![(0, 2)]);
        run_job(&mut st, 2, sample_csv());
        assert_eq!(st.rows.len(), 15);
        st.apply(Action::Rerun(0, Some(Format::Json)));
        assert!(st.rows.is_empty(), "rows of the earlier run are gone");
        assert_eq!(st.files[0].forced, Some(Format::Json));
        // Messages of the superseded job 2 change nothing.
        for m in worker_messages(2, sample_csv(), None) {
            st.apply(Action::Worker(m, 1.0));
        }
        assert!(st.rows.is_empty());
    }

    #[test]
    fn a_panic_fails_one_file_and_the_other_finishes() {
        let mut st = loaded(2);
        st.apply(Action::Started {
            job: 1,
            now_ms: 0.0,
        });
        run_job(&mut st, 2, sample_csv());
        st.apply(Action::Worker(
            FromWorker::Panicked {
                job: 1,
                message: "boom".into(),
            },
            1.0,
        ));
        st.apply(Action::WorkerFailed {
            job: 1,
            message: "RuntimeError: unreachable".into(),
        });
        assert_eq!(
            st.files[0].status,
            Status::Failed("the decoder crashed: boom".into())
        );
        assert_eq!(st.files[1].status, Status::Done);
        assert_eq!(st.rows.len(), 15);
    }

    #[test]
    fn sort_chips_search_and_selection() {
        let mut st = loaded(1);
        run_job(&mut st, 1, sample_csv());
        st.apply(Action::ToggleFlag(3));
        assert_eq!(st.shown.len(), 2, "two ShadowDelete rows");
        st.apply(Action::ToggleFlag(3));
        st.apply(Action::Search("certutil".into()));
        assert_eq!(st.shown.len(), 2);
        st.apply(Action::Search(String::new()));
        st.apply(Action::SortBy(Column(1)));
        assert_eq!(st.spec.sort.column, Column(1));
        let first = &st.rows[st.shown[0]].event.device_name;
        assert!(first.starts_with("dev-ws-031"), "{first}");
        st.apply(Action::Select(Some(st.shown[0])));
        assert!(st.selected.is_some());
        st.apply(Action::Select(Some(10_000)));
        assert_eq!(st.selected, None);
        st.apply(Action::Clear);
        assert!(st.rows.is_empty() && st.files.is_empty() && st.shown.is_empty());
    }

    /// A bigger export than the sample: the sample's records repeated.
    fn repeated_sample(times: usize) -> Vec<u8> {
        let text = std::str::from_utf8(sample_csv()).expect("utf-8");
        let (header, body) = text.split_once('\n').expect("header");
        let mut out = format!("{header}\n");
        for _ in 0..times {
            out.push_str(body);
            if !body.ends_with('\n') {
                out.push('\n');
            }
        }
        out.into_bytes()
    }

    #[test]
    fn a_cancelled_file_counts_exactly_its_rows_and_is_marked_partial() {
        // Cancel after every possible message: the summary's flagged and
        // per-flag counts always equal the rows held, and the file says
        // where it stopped (before: the last progress's record count, a
        // flagged count from rows never received, zeros elsewhere).
        let bytes = repeated_sample(20);
        let rule = CompiledRule::new();
        let mut s = ScanSession::new(&rule, 1, 0, "big.csv", None).expect("session");
        let mut messages = Vec::new();
        for (i, c) in bytes.chunks(700).enumerate() {
            messages.extend(s.push(c, i as f64 * 40.0));
        }
        let full = messages.len();
        messages.extend(s.finish());
        assert!(full > 10, "{full} messages before the end");
        for cut in 0..full {
            let mut st = AppState::default();
            st.apply(Action::AddFiles(vec![NewFile::new(
                "big.csv",
                bytes.len() as u64,
            )]));
            st.apply(Action::Started {
                job: 1,
                now_ms: 0.0,
            });
            for m in &messages[..cut] {
                st.apply(Action::Worker(m.clone(), 1.0));
            }
            st.apply(Action::Cancel(0));
            let f = &st.files[0];
            let Status::Cancelled { at } = f.status else {
                panic!("cut {cut}: {:?}", f.status);
            };
            let summary = f.summary.as_ref().expect("a partial summary");
            assert_eq!(summary.bytes, at, "cut {cut}");
            assert!(at <= bytes.len() as u64);
            assert_eq!(summary.flagged, st.rows.len() as u64, "cut {cut}");
            for flag in 0..5 {
                let have = st.rows.iter().filter(|r| r.verdict.flags.0[flag]).count();
                assert_eq!(
                    summary.flag_counts[flag], have as u64,
                    "cut {cut} flag {flag}"
                );
            }
            assert_eq!(summary.records, summary.analysed() + summary.skipped);
            assert!(summary.shell >= summary.flagged && summary.process_creations >= summary.shell);
            assert_eq!(st.fields.len(), st.rows.len());
            assert_eq!(
                st.file_names(),
                vec![format!(
                    "big.csv (partial: cancelled at byte {at} of {})",
                    bytes.len()
                )]
            );
            assert_eq!(st.shown, visible_rows(&st.rows, &st.spec));
        }
    }

    #[test]
    fn the_same_file_twice_is_a_duplicate_until_asked() {
        let mut st = AppState::default();
        let size = sample_csv().len() as u64;
        let file = |name: &str, fp: u64| NewFile::new(name, size).with_fingerprint(fp);
        st.apply(Action::AddFiles(vec![file("a.csv", 1)]));
        run_job(&mut st, 1, sample_csv());
        st.apply(Action::AddFiles(vec![
            file("a.csv", 1),            // the same file again
            file("a.csv", 2),            // same name and size, other content
            file("b.csv", 1),            // same content, other name
            NewFile::new("a.csv", size), // unreadable ends: never a duplicate
        ]));
        assert_eq!(st.files[1].status, Status::Duplicate { of: 0 });
        for i in 2..5 {
            assert_eq!(st.files[i].status, Status::Queued, "file {i}");
        }
        assert!(st.jobs_to_start().iter().all(|&(id, _)| id != 1));
        assert_eq!(st.rows.len(), 15, "not doubled");
        st.apply(Action::ScanAnyway(1));
        assert_eq!(st.files[1].status, Status::Queued);
        let job = st.files[1].job;
        run_job(&mut st, job, sample_csv());
        assert_eq!(st.rows.iter().filter(|r| r.file == 1).count(), 15);
        // A third copy is a duplicate of the first, not of the second.
        st.apply(Action::AddFiles(vec![file("a.csv", 1)]));
        assert_eq!(st.files[5].status, Status::Duplicate { of: 0 });
    }

    #[test]
    fn the_window_says_what_it_hides_per_file_and_show_all_shows_it() {
        // Two files: the second one's events are 2 days later, so the
        // default window (24 h back from the newest of all) hides the first.
        let later = String::from_utf8(sample_csv().to_vec())
            .expect("utf-8")
            .replace("2024-05-", "2024-07-");
        let mut st = loaded(2);
        run_job(&mut st, 1, sample_csv());
        run_job(&mut st, 2, later.as_bytes());
        assert_eq!(st.rows.len(), 30);
        assert_eq!(st.in_window(), vec![0, 14]);
        assert_eq!(st.outside_window(), 16);
        st.apply(Action::ToggleFlag(0));
        st.apply(Action::Search("x".into()));
        st.apply(Action::ShowAll);
        assert_eq!(st.shown.len(), 30);
        assert_eq!(st.window_choice, WindowChoice::All);
        assert_eq!(st.in_window(), vec![15, 15]);
        assert_eq!(st.outside_window(), 0);
    }

    #[test]
    fn the_empty_table_says_why() {
        let mut st = AppState::default();
        assert!(st.empty_text().contains("try the sample"));
        st.apply(Action::AddFiles(vec![
            NewFile::new("junk.csv", 3),
            NewFile::new("x.csv", 3),
        ]));
        st.apply(Action::Started {
            job: 1,
            now_ms: 0.0,
        });
        for m in worker_messages(1, b"\x01\x02\x03", None) {
            st.apply(Action::Worker(m, 1.0));
        }
        st.apply(Action::WorkerFailed {
            job: 2,
            message: "could not start a worker".into(),
        });
        let text = st.empty_text();
        assert!(!text.contains("try the sample"), "{text}");
        assert!(text.contains("junk.csv: unrecognised format"), "{text}");
        assert!(text.contains("x.csv: could not start a worker"), "{text}");
        assert_eq!(
            st.files[0].failure().as_deref(),
            Some("unrecognised format: not CSV, EVTX, XML, JSON or XLSX")
        );
    }
}
