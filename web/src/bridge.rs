//! The page's side of the workers: start one per file run, route its
//! messages into the reducer, stop it when its run is over.
//!
//! Messages are not applied as they arrive: they are queued, decoded
//! together at most every [`FLUSH_INTERVAL_MS`] within a time budget, and
//! applied in the next task, so the page renders about ten times a second
//! while files stream in, in short tasks, whatever the number of workers and
//! messages.
//!
//! A CSV, EVTX log or JSON lines file of at least [`split_threshold`] bytes
//! is read by two workers at once, over two byte ranges: the page reads its
//! first bytes and a window at its middle, [`split::plan`] (or
//! [`split::evtx::plan`], [`split::json::plan`]) finds the boundary, and every
//! message of either worker goes through a [`SplitJob`], which gives the
//! reducer the messages one worker reading the whole file would have sent
//! (`split_job.rs` says how: held rows, shifted positions, merged
//! accounts, the seam's rescan). Its progress bar counts both workers'
//! bytes ([`Action::Read`]); a cancel stops both.
//!
//! Workers come from `globalThis.cmdhuntSpawnWorker()` (defined by
//! `static/bootstrap.js`): a Blob URL of the page's own inline script in the
//! single-file build, the script's URL when served. The wasm is not fetched
//! again: the page posts its compiled `WebAssembly.Module`
//! (`wasm_bindgen::module()`), which the worker instantiates.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use cmdhunt_core::format::Format;
use cmdhunt_core::split;
use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Timeout;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, MessageEvent, Worker};

use crate::browser::SliceRead;
use crate::protocol::{self, FieldBlock, FromWorker, ScanRange, ScanRules, ToWorker, CHUNK_BYTES};
use crate::split_job::{cut_of, Cut, SplitJob, SplitOut, SplitSettings};
use crate::state::{Action, AppState};
use crate::worker_pool::Pool;

/// Decode a worker's [`protocol::frame`] where it arrived: only the JSON is
/// copied into wasm memory; a `Rows` message's field block stays a view of
/// the transferred buffer, unread.
fn decode_frame(bytes: &Uint8Array) -> Result<FromWorker, String> {
    let total = bytes.length();
    let mut head = [0u8; 4];
    if total < 4 {
        return Err(format!("bad worker message: {total} bytes"));
    }
    bytes.subarray(0, 4).copy_to(&mut head);
    let end = protocol::frame_json_end(head, total as usize)?;
    // `end` is at most `total`, a u32.
    let end = end as u32;
    let mut message = protocol::decode_bytes::<FromWorker>(&bytes.subarray(4, end).to_vec())?;
    if let FromWorker::Rows { fields, .. } = &mut message {
        *fields = FieldBlock::Js(bytes.subarray(end, total));
    }
    Ok(message)
}

/// A running worker and its listeners (removed when dropped, with the
/// worker terminated).
struct Running {
    worker: Worker,
    _listeners: [EventListener; 2],
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Run `f` in a task of its own, `delay_ms` from now.
fn later(delay_ms: f64, f: impl FnOnce() + 'static) {
    Timeout::new(delay_ms.max(0.0) as u32, f).forget();
}

/// A run to start: what [`AppState::jobs_to_start`] names, with what the worker needs.
#[derive(Clone)]
pub struct JobStart {
    /// The job.
    pub job: u32,
    /// The file id.
    pub file: u32,
    /// The file name.
    pub name: String,
    /// The forced format's name.
    pub format: Option<String>,
    /// The mode and lists to scan with.
    pub rules: ScanRules,
    /// Validate the file against the seed's tests too (one worker reads it).
    pub validate: bool,
}

impl JobStart {
    /// The runs `state` wants started now.
    pub fn pending(state: &AppState) -> Vec<JobStart> {
        state
            .jobs_to_start()
            .into_iter()
            .filter_map(|(id, job)| {
                let f = state.files.get(id as usize)?;
                Some(JobStart {
                    job,
                    file: id,
                    name: f.name.clone(),
                    format: f.forced.map(|f| f.name().to_owned()),
                    rules: state.scan_rules(),
                    validate: state.validate,
                })
            })
            .collect()
    }

    /// Whether a file of `size` bytes may be split across workers (its
    /// content decides after: [`split::plan`]): big enough, not validated
    /// (the validation reads the whole file in order), not forced to a
    /// format other than CSV, EVTX or JSON.
    fn may_split(&self, size: u64, threshold: u64) -> bool {
        size >= threshold
            && !self.validate
            && self.format.as_deref().is_none_or(|f| {
                matches!(
                    Format::from_name(f),
                    Some(Format::Csv | Format::Evtx | Format::Json)
                )
            })
    }

    /// The start message for this run (`range`: one range of a split file).
    fn message(&self, range: Option<ScanRange>) -> Result<String, String> {
        // A later range's format is forced: its decoder starts after the
        // sniffed bytes.
        let format = match range {
            Some(r) if r.start > 0 => Some(r.kind.format().name().to_owned()),
            _ => self.format.clone(),
        };
        protocol::encode(&ToWorker::Scan {
            job: self.job,
            file: self.file,
            name: self.name.clone(),
            format,
            chunk_bytes: CHUNK_BYTES,
            rules: self.rules.clone(),
            validate: self.validate,
            range,
        })
        .map_err(|e| format!("{}: {e}", self.name))
    }
}

/// Worker messages are applied at most this often (ms): every flush is one
/// render, whatever number of messages (progress, rows, two workers) it applies.
const FLUSH_INTERVAL_MS: f64 = 100.0;
/// A flush stops decoding after this many milliseconds and leaves the rest
/// to the next one, so no single task grows with a backlog.
const FLUSH_BUDGET_MS: f64 = 8.0;

/// What the page's workers share with their message handlers and flushes.
#[derive(Default)]
struct Shared {
    /// Messages received and not yet applied, in arrival order: the job,
    /// the range of the worker that sent it (0 for a whole file), the data.
    queue: VecDeque<(u32, usize, JsValue)>,
    scheduled: bool,
    last_flush_ms: f64,
    /// The live workers of each job, by range (one for a whole file).
    running: HashMap<u32, Vec<Running>>,
    /// Jobs whose file is being planned (its head and middle being read).
    planning: HashSet<u32>,
    /// The split files' accounts, by job.
    splits: HashMap<u32, SplitJob>,
    /// Actions decoded by a flush and not yet applied (the next task
    /// applies them; a cancel in between applies them first).
    decoded: Vec<Action>,
    /// Workers started ahead for the next runs (filled while idle).
    pool: Pool,
}

type SharedRef = Rc<RefCell<Shared>>;

/// Queue a worker message; schedule a flush if none is pending.
fn receive(
    shared: &SharedRef,
    dispatch: &Rc<dyn Fn(Action)>,
    job: u32,
    range: usize,
    data: JsValue,
) {
    // A file's last message is applied at once, not at the next tick: the
    // file is done (and its workers free) up to a tick sooner.
    let last = is_done_frame(&data);
    let delay = {
        let mut sh = shared.borrow_mut();
        sh.queue.push_back((job, range, data));
        if sh.scheduled && !last {
            return;
        }
        sh.scheduled = true;
        if last {
            0.0
        } else {
            (sh.last_flush_ms + FLUSH_INTERVAL_MS - crate::browser::now_ms()).max(0.0)
        }
    };
    schedule_flush(shared, dispatch, delay);
}

/// Whether `data` is a `Done` frame (its JSON starts `{"Done"`), read
/// without decoding it.
fn is_done_frame(data: &JsValue) -> bool {
    const DONE: &[u8] = b"{\"Done\"";
    let Some(bytes) = data.dyn_ref::<Uint8Array>() else {
        return false;
    };
    let end = 4 + DONE.len() as u32;
    if bytes.length() < end {
        return false;
    }
    let mut head = [0u8; DONE.len()];
    bytes.subarray(4, end).copy_to(&mut head);
    head == DONE
}

fn schedule_flush(shared: &SharedRef, dispatch: &Rc<dyn Fn(Action)>, delay_ms: f64) {
    let (sh, d) = (shared.clone(), dispatch.clone());
    later(delay_ms, move || flush(&sh, &d));
}

/// The message `data` from the worker of `job`, decoded.
fn decode_message(job: u32, data: &JsValue) -> Result<FromWorker, String> {
    // A frame (JSON, then the rows' field block); a JSON string is accepted too.
    let decoded = match data.dyn_ref::<Uint8Array>() {
        Some(bytes) => decode_frame(bytes),
        None => protocol::decode::<FromWorker>(&data.as_string().unwrap_or_default()),
    };
    match decoded {
        // A worker speaks for its own job only: a failure it could not
        // number (a malformed start message) is still its file's.
        Ok(FromWorker::Panicked { message, .. }) => Ok(FromWorker::Panicked { job, message }),
        other => other,
    }
}

/// The actions for a message `data` from range `range`'s worker of `job`
/// (through the file's [`SplitJob`] when it is split); a second worker
/// whose work is no longer needed is stopped.
fn actions_of(sh: &mut Shared, job: u32, range: usize, data: &JsValue, out: &mut Vec<Action>) {
    let now_ms = crate::browser::now_ms();
    let message = match decode_message(job, data) {
        Ok(message) => message,
        Err(message) => {
            out.push(Action::WorkerFailed { job, message });
            return;
        }
    };
    let Some(split) = sh.splits.get_mut(&job) else {
        out.push(Action::Worker(message, now_ms));
        return;
    };
    for o in split.receive(range, message) {
        match o {
            SplitOut::Message(m) => out.push(Action::Worker(m, now_ms)),
            SplitOut::Read(bytes) => out.push(Action::Read { job, bytes, now_ms }),
            SplitOut::StopSecond => {
                if let Some(workers) = sh.running.get_mut(&job) {
                    workers.truncate(1);
                }
            }
            SplitOut::Decide(read_on) => {
                // The first range's worker waits for it (an EVTX log).
                let first = sh.running.get(&job).and_then(|w| w.first());
                let word = Object::new();
                let posted = Reflect::set(&word, &"readOn".into(), &read_on.into())
                    .ok()
                    .zip(first)
                    .map(|(_, w)| w.worker.post_message(&word));
                if let Some(Err(e)) = posted {
                    let message = format!("could not tell the first worker where to stop: {e:?}");
                    out.push(Action::WorkerFailed { job, message });
                }
            }
        }
    }
}

/// Decode queued messages for up to [`FLUSH_BUDGET_MS`], then apply them in
/// the next task ([`apply`]), where Yew renders once: decoding and rendering
/// are two short tasks rather than one long one.
fn flush(shared: &SharedRef, dispatch: &Rc<dyn Fn(Action)>) {
    let start = crate::browser::now_ms();
    loop {
        let mut sh = shared.borrow_mut();
        let Some((job, range, data)) = sh.queue.pop_front() else {
            break;
        };
        let mut actions = std::mem::take(&mut sh.decoded);
        actions_of(&mut sh, job, range, &data, &mut actions);
        sh.decoded = actions;
        if crate::browser::now_ms() - start > FLUSH_BUDGET_MS {
            break;
        }
    }
    let (sh, d) = (shared.clone(), dispatch.clone());
    later(0.0, move || apply(&sh, &d));
}

/// Apply decoded messages in arrival order (one Yew render follows), then
/// schedule the next flush if more messages are waiting.
fn apply(shared: &SharedRef, dispatch: &Rc<dyn Fn(Action)>) {
    let actions = std::mem::take(&mut shared.borrow_mut().decoded);
    for action in actions {
        dispatch(action);
    }
    let more = {
        let mut sh = shared.borrow_mut();
        sh.last_flush_ms = crate::browser::now_ms();
        sh.scheduled = !sh.queue.is_empty();
        sh.scheduled
    };
    if more {
        schedule_flush(shared, dispatch, FLUSH_INTERVAL_MS / 4.0);
    }
}

/// Where to cut `file` ([`cut_of`]); `None`: read it whole. `head`: its
/// first bytes if already read ([`Workers::add_file`]).
async fn plan_of(file: &File, head: Option<Vec<u8>>, at: f64) -> Option<Cut> {
    let size = file.size() as u64;
    // The window's read starts first, so the head's (if it was not read
    // already) is under way at the same time (the window's is wasted on an
    // EVTX log).
    let (window_start, window_end) = split::window(size, at);
    let window = SliceRead::start(file, window_start, window_end);
    let head = match head {
        Some(head) => head,
        None => {
            let head_end = size.min(split::HEAD_BYTES as u64);
            SliceRead::start(file, 0, head_end).bytes().await?
        }
    };
    if let Some(cut) = cut_of(&head, size, None) {
        return Some(cut);
    }
    let window = window.bytes().await?;
    cut_of(&head, size, Some((window_start, &window)))
}

/// The File handles (by file id) and the live workers, their messages and
/// the split files' accounts.
#[derive(Default)]
pub struct Workers {
    files: HashMap<u32, File>,
    /// The first [`split::HEAD_BYTES`] of files big enough to be split,
    /// read when they were added (for their fingerprint): planning a split
    /// then reads only the middle.
    heads: HashMap<u32, Vec<u8>>,
    shared: SharedRef,
}

impl Workers {
    /// Keep a file's handle so it can be read (and re-read with another
    /// format), with its first bytes if they were read (`head`: kept for a
    /// file that may be split).
    pub fn add_file(&mut self, id: u32, file: File, head: Option<Vec<u8>>) {
        let size = file.size() as u64;
        let whole_head = size.min(split::HEAD_BYTES as u64);
        if let Some(head) = head.filter(|h| h.len() as u64 == whole_head) {
            if size >= SplitSettings::of_page().threshold {
                self.heads.insert(id, head);
            }
        }
        self.files.insert(id, file);
    }

    /// The handle of file `id` (a second read: `crate::context_job`).
    pub fn file(&self, id: u32) -> Option<File> {
        self.files.get(&id).cloned()
    }

    /// The messages of `job` received and not yet applied, decoded, taken
    /// out of the queue, after every action a flush decoded and did not
    /// apply yet: a cancel applies them first, so the file keeps the
    /// latest account that already reached the page (the rows shown and the
    /// `Progress` that counts them), not an older one.
    pub fn take_queued(&mut self, job: u32) -> Vec<Action> {
        let mut sh = self.shared.borrow_mut();
        let (mine, others): (VecDeque<_>, VecDeque<_>) =
            sh.queue.drain(..).partition(|(j, _, _)| *j == job);
        sh.queue = others;
        // What a flush already decoded comes first (any file's: they keep
        // their order), or a later account would overtake the rows it counts.
        let mut out = std::mem::take(&mut sh.decoded);
        for (job, range, data) in mine {
            actions_of(&mut sh, job, range, &data, &mut out);
        }
        out
    }

    /// Forget every file and stop every worker.
    pub fn clear(&mut self) {
        let mut sh = self.shared.borrow_mut();
        sh.running.clear();
        sh.planning.clear();
        sh.splits.clear();
        self.files.clear();
        self.heads.clear();
    }

    /// Bring the workers in line with the state: stop those whose job is not
    /// in `live`, start the `to_start` jobs (a big CSV after reading where
    /// to split it). `dispatch` feeds actions back to the reducer (never
    /// called while the state is borrowed).
    pub fn sync(&mut self, live: &[u32], to_start: &[JobStart], dispatch: &Rc<dyn Fn(Action)>) {
        {
            let mut sh = self.shared.borrow_mut();
            sh.running.retain(|job, _| live.contains(job));
            sh.planning.retain(|job| live.contains(job));
            sh.splits.retain(|job, _| live.contains(job));
        }
        let settings = SplitSettings::of_page();
        for start in to_start {
            let job = start.job;
            let Some(file) = self.files.get(&start.file).cloned() else {
                let message = format!(
                    "{}: the file handle was lost; add the file again",
                    start.name
                );
                dispatch(Action::WorkerFailed { job, message });
                continue;
            };
            if start.may_split(file.size() as u64, settings.threshold) {
                // Running from now (a cancel stops it); its workers start
                // once the plan is read.
                self.shared.borrow_mut().planning.insert(job);
                dispatch(Action::Started {
                    job,
                    now_ms: crate::browser::now_ms(),
                });
                let (shared, dispatch, start) =
                    (self.shared.clone(), dispatch.clone(), start.clone());
                let head = self.heads.get(&start.file).cloned();
                wasm_bindgen_futures::spawn_local(async move {
                    let plan = plan_of(&file, head, settings.at).await;
                    if !shared.borrow_mut().planning.remove(&start.job) {
                        return; // cancelled or cleared meanwhile
                    }
                    let started = match plan {
                        Some(cut) => start_split(&shared, &start, &file, cut, &dispatch),
                        None => start_whole(&shared, &start, &file, &dispatch),
                    };
                    if let Err(message) = started {
                        shared.borrow_mut().running.remove(&start.job);
                        dispatch(Action::WorkerFailed {
                            job: start.job,
                            message,
                        });
                    }
                });
                continue;
            }
            match start_whole(&self.shared, start, &file, dispatch) {
                Ok(()) => dispatch(Action::Started {
                    job,
                    now_ms: crate::browser::now_ms(),
                }),
                Err(message) => dispatch(Action::WorkerFailed { job, message }),
            }
        }
        // Idle: start the next runs' workers soon, so they need not wait
        // for their script and module (`worker_pool.rs`); not in this task,
        // which may be the one that shows a file done.
        let idle = {
            let sh = self.shared.borrow();
            sh.running.is_empty() && sh.planning.is_empty() && !sh.pool.is_full()
        };
        if idle {
            let shared = self.shared.clone();
            later(POOL_FILL_DELAY_MS, move || {
                let mut sh = shared.borrow_mut();
                if sh.running.is_empty() && sh.planning.is_empty() {
                    sh.pool.fill();
                }
            });
        }
    }
}

/// How long after the page is idle its pool is filled (ms).
const POOL_FILL_DELAY_MS: f64 = 20.0;

/// Start one worker reading the whole file.
fn start_whole(
    shared: &SharedRef,
    start: &JobStart,
    file: &File,
    dispatch: &Rc<dyn Fn(Action)>,
) -> Result<(), String> {
    let worker = spawn(shared, start.job, 0, &start.message(None)?, file, dispatch)?;
    shared.borrow_mut().running.insert(start.job, vec![worker]);
    Ok(())
}

/// Start two workers on the ranges of `plan`: `[0, boundary)` and the
/// header then `[boundary, size)`.
fn start_split(
    shared: &SharedRef,
    start: &JobStart,
    file: &File,
    cut: Cut,
    dispatch: &Rc<dyn Fn(Action)>,
) -> Result<(), String> {
    // The plan follows the content; a file forced to another format is
    // read whole as that format (both ranges must decode alike).
    let forced = start.format.as_deref().and_then(Format::from_name);
    if forced.is_some_and(|f| f != cut.kind.format()) {
        return start_whole(shared, start, file, dispatch);
    }
    let size = file.size() as u64;
    let ranges = cut.ranges(size);
    let job = cut.job(start.job, size);
    shared.borrow_mut().splits.insert(start.job, job);
    let mut workers = Vec::with_capacity(ranges.len());
    for (i, range) in ranges.into_iter().enumerate() {
        let msg = start.message(Some(range))?;
        workers.push(spawn(shared, start.job, i, &msg, file, dispatch)?);
    }
    shared.borrow_mut().running.insert(start.job, workers);
    Ok(())
}

/// Start a worker for range `range` of `job` (0 for a whole file) with the
/// start message `msg`.
fn spawn(
    shared: &SharedRef,
    job: u32,
    range: usize,
    msg: &str,
    file: &File,
    dispatch: &Rc<dyn Fn(Action)>,
) -> Result<Running, String> {
    let taken = shared.borrow_mut().pool.take();
    let worker = taken.map_err(|e| format!("could not start a worker: {e:?}"))?;
    let (d, sh) = (dispatch.clone(), shared.clone());
    // Only queued here: decoding and applying happen in a flush.
    let on_message = EventListener::new(&worker, "message", move |event| {
        if let Some(event) = event.dyn_ref::<MessageEvent>() {
            receive(&sh, &d, job, range, event.data());
        }
    });
    let d = dispatch.clone();
    let options = EventListenerOptions::enable_prevent_default();
    let on_error = EventListener::new_with_options(&worker, "error", options, move |event| {
        event.prevent_default();
        // An ErrorEvent (uncaught error, wasm trap) has a message; a
        // script that failed to load gives a plain Event.
        let detail = Reflect::get(event, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "its script could not be loaded".into());
        let message = format!("the worker stopped: {detail}");
        d(Action::WorkerFailed { job, message });
    });
    let envelope = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&envelope, &JsValue::from_str(k), v);
    set("module", &wasm_bindgen::module())
        .and_then(|_| set("msg", &JsValue::from_str(msg)))
        .and_then(|_| set("file", file.as_ref()))
        .and_then(|_| set("byob", &JsValue::from_bool(SplitSettings::of_page().byob)))
        .map_err(|e| format!("{e:?}"))?;
    worker
        .post_message(&envelope)
        .map_err(|e| format!("could not send the file to its worker: {e:?}"))?;
    Ok(Running {
        worker,
        _listeners: [on_message, on_error],
    })
}
