//! The page's side of the workers: start one per file run, route its
//! messages into the reducer, stop it when its run is over.
//!
//! Messages are not applied as they arrive: they are queued, decoded
//! together at most every [`FLUSH_INTERVAL_MS`] within a time budget, and
//! applied in the next task, so the page renders about ten times a second
//! while files stream in, in short tasks, whatever the number of workers and
//! messages.
//!
//! Workers come from `globalThis.cmdhuntSpawnWorker()` (defined by
//! `static/bootstrap.js`): a Blob URL of the page's own inline script in the
//! single-file build, the script's URL when served. The wasm is not fetched
//! again: the page posts its compiled `WebAssembly.Module`
//! (`wasm_bindgen::module()`), which the worker instantiates.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, File, MessageEvent, Worker};

use crate::protocol::{self, FieldBlock, FromWorker, ScanRules, ToWorker, CHUNK_BYTES};
use crate::state::{Action, AppState};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = globalThis, js_name = cmdhuntSpawnWorker, catch)]
    fn spawn_worker() -> Result<Worker, JsValue>;
}

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

/// A running worker and the closures that must outlive it.
struct Running {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// A run to start: what [`AppState::jobs_to_start`] names, with what the worker needs.
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
}

/// Worker messages are applied at most this often (ms): every flush is one
/// render, whatever number of messages (progress, rows, two workers) it applies.
const FLUSH_INTERVAL_MS: f64 = 100.0;
/// A flush stops decoding after this many milliseconds and leaves the rest
/// to the next one, so no single task grows with a backlog.
const FLUSH_BUDGET_MS: f64 = 8.0;

/// Messages received and not yet applied, in arrival order.
#[derive(Default)]
struct Inbox {
    queue: VecDeque<(u32, JsValue)>,
    scheduled: bool,
    last_flush_ms: f64,
}

/// Queue a worker message; schedule a flush if none is pending.
fn receive(inbox: &Rc<RefCell<Inbox>>, dispatch: &Rc<dyn Fn(Action)>, job: u32, data: JsValue) {
    let delay = {
        let mut ib = inbox.borrow_mut();
        ib.queue.push_back((job, data));
        if ib.scheduled {
            return;
        }
        ib.scheduled = true;
        (ib.last_flush_ms + FLUSH_INTERVAL_MS - crate::browser::now_ms()).max(0.0)
    };
    schedule_flush(inbox, dispatch, delay);
}

fn schedule_flush(inbox: &Rc<RefCell<Inbox>>, dispatch: &Rc<dyn Fn(Action)>, delay_ms: f64) {
    let (ib, d) = (inbox.clone(), dispatch.clone());
    let flush = Closure::once_into_js(move || flush(&ib, &d));
    let scheduled = web_sys::window().map(|w| {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(
            flush.unchecked_ref(),
            delay_ms as i32,
        )
    });
    if !matches!(scheduled, Some(Ok(_))) {
        // No timer (cannot happen on a page): apply now rather than never.
        self::flush(inbox, dispatch);
    }
}

/// The action for a message `data` from the worker of `job`.
fn decode_message(job: u32, data: &JsValue) -> Action {
    // A frame (JSON, then the rows' field block); a JSON string is accepted too.
    let decoded = match data.dyn_ref::<Uint8Array>() {
        Some(bytes) => decode_frame(bytes),
        None => protocol::decode::<FromWorker>(&data.as_string().unwrap_or_default()),
    };
    match decoded {
        // A worker speaks for its own job only: a failure it could not
        // number (a malformed start message) is still its file's.
        Ok(FromWorker::Panicked { message, .. }) => Action::Worker(
            FromWorker::Panicked { job, message },
            crate::browser::now_ms(),
        ),
        Ok(message) => Action::Worker(message, crate::browser::now_ms()),
        Err(message) => Action::WorkerFailed { job, message },
    }
}

/// Decode queued messages for up to [`FLUSH_BUDGET_MS`], then apply them in
/// the next task ([`apply`]), where Yew renders once: decoding and rendering
/// are two short tasks rather than one long one.
fn flush(inbox: &Rc<RefCell<Inbox>>, dispatch: &Rc<dyn Fn(Action)>) {
    let start = crate::browser::now_ms();
    let mut actions = Vec::new();
    loop {
        let next = inbox.borrow_mut().queue.pop_front();
        let Some((job, data)) = next else { break };
        actions.push(decode_message(job, &data));
        if crate::browser::now_ms() - start > FLUSH_BUDGET_MS {
            break;
        }
    }
    let (ib, d) = (inbox.clone(), dispatch.clone());
    crate::browser::later(0, move || apply(&ib, &d, actions));
}

/// Apply decoded messages in arrival order (one Yew render follows), then
/// schedule the next flush if more messages are waiting.
fn apply(inbox: &Rc<RefCell<Inbox>>, dispatch: &Rc<dyn Fn(Action)>, actions: Vec<Action>) {
    for action in actions {
        dispatch(action);
    }
    let more = {
        let mut ib = inbox.borrow_mut();
        ib.last_flush_ms = crate::browser::now_ms();
        ib.scheduled = !ib.queue.is_empty();
        ib.scheduled
    };
    if more {
        schedule_flush(inbox, dispatch, FLUSH_INTERVAL_MS / 4.0);
    }
}

/// The `File` handles (by file id), the live workers (by job) and the
/// messages they sent that are not applied yet.
#[derive(Default)]
pub struct Workers {
    files: HashMap<u32, File>,
    running: HashMap<u32, Running>,
    inbox: Rc<RefCell<Inbox>>,
}

impl Workers {
    /// Keep a file's handle so it can be read (and re-read with another format).
    pub fn add_file(&mut self, id: u32, file: File) {
        self.files.insert(id, file);
    }

    /// The messages of `job` received and not yet applied, decoded, taken
    /// out of the queue: a cancel applies them first, so the file keeps the
    /// latest account that already reached the page (the rows shown and the
    /// `Progress` that counts them), not an older one.
    pub fn take_queued(&mut self, job: u32) -> Vec<Action> {
        let mut inbox = self.inbox.borrow_mut();
        let (mine, others): (VecDeque<_>, VecDeque<_>) =
            inbox.queue.drain(..).partition(|(j, _)| *j == job);
        inbox.queue = others;
        drop(inbox);
        mine.iter()
            .map(|(job, data)| decode_message(*job, data))
            .collect()
    }

    /// Forget every file and stop every worker.
    pub fn clear(&mut self) {
        self.running.clear();
        self.files.clear();
    }

    /// Bring the workers in line with the state: stop those whose job is not
    /// in `live`, start the `to_start` jobs. `dispatch` feeds actions back to
    /// the reducer (never called while the state is borrowed).
    pub fn sync(&mut self, live: &[u32], to_start: &[JobStart], dispatch: &Rc<dyn Fn(Action)>) {
        self.running.retain(|job, _| live.contains(job));
        for start in to_start {
            let started = match self.files.get(&start.file).cloned() {
                Some(file) => self.start(start, &file, dispatch),
                None => Err(format!(
                    "{}: the file handle was lost; add the file again",
                    start.name
                )),
            };
            let job = start.job;
            match started {
                Ok(()) => dispatch(Action::Started {
                    job,
                    now_ms: crate::browser::now_ms(),
                }),
                Err(message) => dispatch(Action::WorkerFailed { job, message }),
            }
        }
    }

    fn start(
        &mut self,
        start: &JobStart,
        file: &File,
        dispatch: &Rc<dyn Fn(Action)>,
    ) -> Result<(), String> {
        let job = start.job;
        let worker = spawn_worker().map_err(|e| format!("could not start a worker: {e:?}"))?;
        let (d, inbox) = (dispatch.clone(), self.inbox.clone());
        // Only queued here: decoding and applying happen in a flush.
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            receive(&inbox, &d, job, event.data());
        });
        let d = dispatch.clone();
        let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            event.prevent_default();
            // An ErrorEvent (uncaught error, wasm trap) has a message; a
            // script that failed to load gives a plain Event.
            let detail = Reflect::get(&event, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "its script could not be loaded".into());
            let message = format!("the worker stopped: {detail}");
            d(Action::WorkerFailed { job, message });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let msg = protocol::encode(&ToWorker::Scan {
            job,
            file: start.file,
            name: start.name.clone(),
            format: start.format.clone(),
            chunk_bytes: CHUNK_BYTES,
            rules: start.rules.clone(),
            validate: start.validate,
            range: None,
        })
        .map_err(|e| format!("{}: {e}", start.name))?;
        let envelope = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&envelope, &JsValue::from_str(k), v);
        set("module", &wasm_bindgen::module())
            .and_then(|_| set("msg", &JsValue::from_str(&msg)))
            .and_then(|_| set("file", file.as_ref()))
            .map_err(|e| format!("{e:?}"))?;
        worker
            .post_message(&envelope)
            .map_err(|e| format!("could not send the file to its worker: {e:?}"))?;
        self.running.insert(
            job,
            Running {
                worker,
                _on_message: on_message,
                _on_error: on_error,
            },
        );
        Ok(())
    }
}
