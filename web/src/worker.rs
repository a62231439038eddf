//! The worker's side of a scan: a [`WorkerScan`] that `static/bootstrap.js`
//! feeds with the chunks of the file's `ReadableStream` (`File.stream()`).
//!
//! The read loop is the bootstrap's, in JavaScript, because every call into
//! wasm is then a plain synchronous call it can wrap in `try`/`catch`: a wasm
//! trap (a panic, after its hook has posted the message) is reported as a
//! message in order, never as an error event that could overtake it. Reading
//! by stream runs at about 1 GB/s in Chromium where `FileReaderSync` over
//! 1 MiB `File.slice`s ran at 0.3 GB/s, the page's limit on big CSVs.
//!
//! Every message goes back as a [`protocol::frame`] (JSON, then the rows'
//! field block) in a transferred `ArrayBuffer`: no copy on the way; the page
//! copies the JSON into its wasm memory in one `memcpy` and leaves the block
//! where it is. One stream chunk (at most a few MiB) is in memory at a time,
//! handed to the scan in pieces of at most [`ToWorker::Scan`]'s `chunk_bytes`.

use std::cell::{Cell, RefCell};
use std::sync::OnceLock;

use cmdhunt_core::format::Format;
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::validation::FileValidation;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::DedicatedWorkerGlobalScope;

use crate::protocol::{self, FromWorker, Lists, RangeKind, ScanRange, ScanRules, ToWorker};
use crate::session::ScanSession;

thread_local! {
    /// The job being run, for the panic hook's message.
    static CURRENT_JOB: Cell<u32> = const { Cell::new(0) };
    /// The file being read, for messages that must name it.
    static CURRENT_FILE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The rule, compiled once per worker (a worker scans one file).
static RULE: OnceLock<CompiledRule> = OnceLock::new();
/// The hardened rules, compiled once per worker when asked for.
static HARDENED: OnceLock<HardenedRules> = OnceLock::new();
/// The rule compiled from tuned lists (a worker scans one file, so one).
static TUNED: OnceLock<(Lists, CompiledRule)> = OnceLock::new();

/// The rule `rules` asks for: the published one, or one compiled from its
/// lists (an error names what is wrong with them).
fn tuned_rule(rules: &ScanRules) -> Result<&'static CompiledRule, String> {
    let Some(lists) = &rules.lists else {
        return Ok(RULE.get_or_init(CompiledRule::new));
    };
    if let Some((done, rule)) = TUNED.get() {
        return if done == lists {
            Ok(rule)
        } else {
            Err("this worker already scanned with other lists".into())
        };
    }
    let rule = CompiledRule::from_lists(&lists.0, &lists.1).map_err(|e| e.to_string())?;
    Ok(&TUNED.get_or_init(|| (lists.clone(), rule)).1)
}

fn scope() -> Option<DedicatedWorkerGlobalScope> {
    js_sys::global()
        .dyn_into::<DedicatedWorkerGlobalScope>()
        .ok()
}

/// Post `message` as a frame; one that cannot be encoded is replaced by a
/// `Panicked` naming the file ([`protocol::frame`]).
fn post(message: &FromWorker) {
    let file = CURRENT_FILE.with(|f| f.borrow().clone());
    post_frame(&protocol::frame(message, &file));
}

fn post_frame(frame: &[u8]) {
    if let Some(scope) = scope() {
        let bytes = Uint8Array::from(frame);
        let transfer = js_sys::Array::of1(&bytes.buffer());
        if scope.post_message_with_transfer(&bytes, &transfer).is_err() {
            // Not transferable here: send a copy.
            let _ = scope.post_message(&bytes);
        }
    }
}

/// On a panic, tell the page which job died and why (the worker is then
/// terminated by the page; other files' workers are untouched).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let job = CURRENT_JOB.with(Cell::get);
        post(&FromWorker::Panicked {
            job,
            message: info.to_string(),
        });
    }));
}

/// The page's self-test of its panic path (used by the browser tests): a
/// page opened with `#selftest-panic` names its workers
/// `cmdhunt-scan selftest-panic` (`static/bootstrap.js`), and such a worker
/// panics, for real, on a file whose name contains `selftest-panic`, once
/// its first chunk is read. Both are needed: a file name alone, which whoever
/// made the export may choose, does nothing.
const SELF_TEST_PANIC: &str = "selftest-panic";

fn self_test_panics_on(name: &str) -> bool {
    name.contains(SELF_TEST_PANIC)
        && scope().is_some_and(|s| s.name().split(' ').any(|w| w == SELF_TEST_PANIC))
}

/// One file's scan inside a worker, fed by the bootstrap's stream reader:
/// [`WorkerScan::start`], then [`push`](WorkerScan::push) per chunk, then
/// [`finish`](WorkerScan::finish), or [`fail_read`](WorkerScan::fail_read)
/// when the stream errors. Each posts its messages to the page itself.
#[wasm_bindgen]
pub struct WorkerScan {
    session: ScanSession<'static>,
    name: String,
    piece: usize,
    buffer: Vec<u8>,
    self_test_panic: bool,
    /// The byte range scanned, when the file is split across workers.
    range: Option<ScanRange>,
}

#[wasm_bindgen]
impl WorkerScan {
    /// Start the scan `message` ([`ToWorker`] as JSON) describes. `None` when
    /// it cannot start; the page has then been told why (`Panicked`, naming
    /// the file; a message too malformed to give its job number still
    /// reaches the page, which knows the job of each of its workers).
    ///
    /// A later range of a split file ([`ScanRange`] with `start > 0`) comes
    /// with `header`, the file's bytes `[0, header_end)`, which its decoder
    /// reads first; the bootstrap then feeds `[start, end)`.
    pub fn start(message: &str, header: Option<Uint8Array>) -> Option<WorkerScan> {
        install_panic_hook();
        let (job, file, name, format, chunk, rules, validate, range) =
            match protocol::start_request(message) {
                Ok(ToWorker::Scan {
                    job,
                    file,
                    name,
                    format,
                    chunk_bytes,
                    rules,
                    validate,
                    range,
                }) => (
                    job,
                    file,
                    name,
                    format,
                    chunk_bytes.max(1),
                    rules,
                    validate,
                    range,
                ),
                Ok(ToWorker::Context { job, .. }) => {
                    // The bootstrap hands these to crate::context_job::ContextJob.
                    post_frame(&protocol::failure_frame(
                        job,
                        "a context request is not a scan",
                    ));
                    return None;
                }
                Err((job, message)) => {
                    post_frame(&protocol::failure_frame(job, &message));
                    return None;
                }
            };
        CURRENT_JOB.with(|j| j.set(job));
        CURRENT_FILE.with(|f| f.replace(name.clone()));
        let rule = match tuned_rule(&rules) {
            Ok(rule) => rule,
            Err(message) => {
                post(&FromWorker::Panicked {
                    job,
                    message: format!("{name}: {message}"),
                });
                return None;
            }
        };
        let session = ScanSession::new(rule, job, file, &name, format.as_deref()).map(|s| {
            if rules.hardened {
                s.hardened(HARDENED.get_or_init(HardenedRules::new))
            } else {
                s
            }
        });
        // Validation reads the same chunks, with the same rule (issue 12).
        let session = session.map(|s| {
            if validate {
                let forced = format.as_deref().and_then(Format::from_name);
                s.validating(FileValidation::new(rule, file, &name, forced))
            } else {
                s
            }
        });
        // A split file's range (the page never splits a validated file:
        // the validation reads the whole file in order).
        let header = header.map(|h| h.to_vec());
        let session = session.and_then(|s| match &range {
            None => Ok(s),
            Some(_) if validate => Err("a validated file is read whole".to_owned()),
            Some(r) => s.for_range(r, header.as_deref()),
        });
        match session {
            Ok(session) => Some(WorkerScan {
                session,
                self_test_panic: self_test_panics_on(&name),
                name,
                piece: chunk as usize,
                buffer: Vec::new(),
                range,
            }),
            Err(message) => {
                post(&FromWorker::Panicked {
                    job,
                    message: format!("{name}: {message}"),
                });
                None
            }
        }
    }

    /// Scan the next chunk of the file, in pieces of at most `chunk_bytes`.
    pub fn push(&mut self, chunk: &Uint8Array) {
        let len = chunk.length();
        let mut at = 0u32;
        while at < len {
            let end = len.min(at.saturating_add(self.piece as u32));
            let size = (end - at) as usize;
            self.buffer.resize(size, 0);
            chunk.subarray(at, end).copy_to(&mut self.buffer);
            if self.self_test_panic {
                panic!(
                    "self-test panic after reading {size} bytes of {} (the page was opened with #{SELF_TEST_PANIC})",
                    self.name
                );
            }
            self.session
                .push(&self.buffer, js_sys::Date::now())
                .iter()
                .for_each(post);
            at = end;
        }
    }

    /// Whether, after its range, this worker waits for the page to say
    /// whether to read on (the first range of a split EVTX log or JSON lines
    /// file: the seam is judged with the range after it).
    pub fn waits_for_seam(&self) -> bool {
        self.range
            .is_some_and(|r| r.kind.first_waits() && r.start == 0)
    }

    /// The range's last byte was pushed (a split file): tell the page, and
    /// return whether to read on to the end of the file (the first range's
    /// seam did not hold: the rescan). `false` for a whole file.
    pub fn end_range(&mut self) -> bool {
        let (messages, read_on) = self.session.end_range();
        messages.iter().for_each(post);
        read_on
    }

    /// End of file (or of the range): the last rows and the summary.
    pub fn finish(self) {
        self.session.finish().iter().for_each(post);
    }

    /// The stream failed at byte `byte` with `message`: the rows found so far
    /// and a summary whose error names the position.
    pub fn fail_read(self, byte: f64, message: &str) {
        // `byte` is the file's; a later CSV range's decoder read its header
        // first, a JSON one's starts at the range (`header_end` 0), an EVTX
        // one's offsets are the file's.
        let byte = match self.range {
            Some(r) if r.start > 0 && r.kind != RangeKind::Evtx => {
                (byte as u64).saturating_sub(r.start) + r.header_end
            }
            _ => byte as u64,
        };
        self.session.fail_read(byte, message).iter().for_each(post);
    }
}

/// The page's warm-up, run by a worker of its own while the page is idle
/// ([`crate::warm_up`]): scans synthetic inputs of about `bytes` each and
/// returns what it scanned, as JSON (`[WarmedUp, ...]`).
#[wasm_bindgen(js_name = warmUp)]
pub fn warm_up(bytes: u32) -> String {
    install_panic_hook();
    let report = crate::warm_up::warm_up(bytes as usize);
    serde_json::to_string(&report).unwrap_or_default()
}
