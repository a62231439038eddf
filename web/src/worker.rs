//! The worker's read loop: `File.slice` by slice through `FileReaderSync`
//! (synchronous, allowed in workers), into a [`ScanSession`], posting every
//! message back as a [`protocol::frame`] (JSON, then the rows' field block)
//! in a transferred `ArrayBuffer`: no copy on the way; the page copies the
//! JSON into its wasm memory in one `memcpy` and leaves the block where it
//! is. Only one slice is in memory at a time.

use std::cell::Cell;

use cmdhunt_core::matcher::CompiledRule;
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, File, FileReaderSync};

use crate::protocol::{self, FromWorker, ToWorker};
use crate::session::ScanSession;

thread_local! {
    /// The job being run, for the panic hook's message.
    static CURRENT_JOB: Cell<u32> = const { Cell::new(0) };
}

fn scope() -> Option<DedicatedWorkerGlobalScope> {
    js_sys::global()
        .dyn_into::<DedicatedWorkerGlobalScope>()
        .ok()
}

fn post(message: &FromWorker) {
    if let Some(scope) = scope() {
        let bytes = Uint8Array::from(protocol::frame(message).as_slice());
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
/// its first slice is read. Both are needed: a file name alone, which whoever
/// made the export may choose, does nothing.
const SELF_TEST_PANIC: &str = "selftest-panic";

fn self_test_panics_on(name: &str) -> bool {
    name.contains(SELF_TEST_PANIC)
        && scope().is_some_and(|s| s.name().split(' ').any(|w| w == SELF_TEST_PANIC))
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| format!("{}: {}", String::from(e.name()), String::from(e.message())))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// Run the scan described by `message` over `file`.
pub fn run(message: &str, file: &File) {
    install_panic_hook();
    let now = js_sys::Date::now;
    let (job, index, name, format, chunk) = match protocol::decode::<ToWorker>(message) {
        Ok(ToWorker::Scan {
            job,
            file,
            name,
            format,
            chunk_bytes,
        }) => (job, file, name, format, chunk_bytes.max(1)),
        Err(e) => {
            // Without a job number the page cannot place this; it sees the worker end.
            panic!("{e}");
        }
    };
    CURRENT_JOB.with(|j| j.set(job));
    let rule = CompiledRule::new();
    let mut session = match ScanSession::new(&rule, job, index, &name, format.as_deref(), now()) {
        Ok(s) => s,
        Err(message) => {
            post(&FromWorker::Panicked { job, message });
            return;
        }
    };
    let reader = match FileReaderSync::new() {
        Ok(r) => r,
        Err(e) => {
            session.fail_read(0, &describe(&e)).iter().for_each(post);
            return;
        }
    };
    let size = file.size();
    let self_test_panic = self_test_panics_on(&name);
    let mut buffer = vec![0u8; chunk as usize];
    let mut offset = 0f64;
    while offset < size {
        let end = (offset + f64::from(chunk)).min(size);
        let read = file
            .slice_with_f64_and_f64(offset, end)
            .and_then(|blob| reader.read_as_array_buffer(&blob));
        let array = match read {
            Ok(buf) => Uint8Array::new(&buf),
            Err(e) => {
                session
                    .fail_read(offset as u64, &describe(&e))
                    .iter()
                    .for_each(post);
                return;
            }
        };
        let len = (array.length() as usize).min(buffer.len());
        array.subarray(0, len as u32).copy_to(&mut buffer[..len]);
        if self_test_panic {
            panic!("self-test panic after reading {len} bytes of {name} (the page was opened with #{SELF_TEST_PANIC})");
        }
        session.push(&buffer[..len], now()).iter().for_each(post);
        offset = end;
    }
    session.finish().iter().for_each(post);
}
