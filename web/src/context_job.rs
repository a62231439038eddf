//! One row's process context, computed on demand by a worker's second pass
//! over the same `File` ([`cmdhunt_core::context`]).
//!
//! The detail panel asks ([`run`], on the page): a worker is started as for
//! a scan, with a [`ToWorker::Context`] start message (the row as a
//! [`Subject`]) and the file's handle, which the bridge keeps. The bootstrap
//! hands such a message to a [`ContextJob`] rather than a `WorkerScan`; it
//! feeds it the file's stream the same way and the job answers once with
//! [`FromWorker::Context`] (or `Panicked`). Only the context crosses back:
//! at most a few hundred short records, whatever the file's size.
//!
//! [`ContextSession`] is the part free of browser APIs (tested natively).

use cmdhunt_core::context::{ContextScan, ProcessContext, Subject};
use cmdhunt_core::event::Position;
use cmdhunt_core::format::{DecodeError, DecodeErrorKind, Format};

use crate::protocol::{self, FromWorker, ToWorker};

/// The start message for the context of `subject` in file `name`
/// (`format`: the format the file was forced to, if any).
pub fn request(
    job: u32,
    name: &str,
    format: Option<String>,
    subject: Subject,
) -> Result<String, String> {
    protocol::encode(&ToWorker::Context {
        job,
        name: name.to_owned(),
        format,
        subject: Box::new(subject),
    })
}

/// The worker's side of a context request, fed the file's chunks.
pub struct ContextSession {
    job: u32,
    scan: ContextScan,
    bytes: u64,
}

impl ContextSession {
    /// Start the request `message` ([`ToWorker::Context`] as JSON); the error
    /// carries the job number and says why.
    pub fn new(message: &str) -> Result<ContextSession, (u32, String)> {
        match protocol::start_request(message)? {
            ToWorker::Context {
                job,
                name,
                format,
                subject,
            } => {
                let forced = match format.as_deref() {
                    None => None,
                    Some(n) => Some(
                        Format::from_name(n)
                            .ok_or_else(|| (job, format!("{name}: unknown format {n:?}")))?,
                    ),
                };
                Ok(ContextSession {
                    job,
                    scan: ContextScan::new(*subject, forced),
                    bytes: 0,
                })
            }
            ToWorker::Scan { job, name, .. } => {
                Err((job, format!("{name}: a scan is not a context request")))
            }
        }
    }

    /// The request's number.
    pub fn job(&self) -> u32 {
        self.job
    }

    /// The next bytes of the file.
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        self.scan.push(chunk);
    }

    /// End of the file: the answer.
    pub fn finish(self) -> FromWorker {
        FromWorker::Context {
            job: self.job,
            context: Box::new(self.scan.finish()),
        }
    }

    /// The stream failed at byte `byte`: the context of what was read, its
    /// error naming the position.
    pub fn fail_read(self, byte: u64, message: &str) -> FromWorker {
        let mut context = self.scan.finish();
        context.error = Some(DecodeError::new(
            DecodeErrorKind::Read,
            Position {
                byte,
                ..Position::default()
            },
            format!("the file could not be read: {message}"),
        ));
        FromWorker::Context {
            job: self.job,
            context: Box::new(context),
        }
    }
}

/// The answer in a worker's message, or why there is none.
pub fn answer(message: FromWorker) -> Result<ProcessContext, String> {
    match message {
        FromWorker::Context { context, .. } => Ok(*context),
        FromWorker::Panicked { message, .. } => Err(message),
        _ => Err("the worker answered something else than the context".into()),
    }
}

#[cfg(target_arch = "wasm32")]
mod browser_side {
    use std::cell::Cell;

    use cmdhunt_core::context::{ProcessContext, Subject};
    use js_sys::{Object, Reflect, Uint8Array};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, Event, File, MessageEvent, Worker};

    use super::{answer, request, ContextSession};
    use crate::protocol::{self, FromWorker, CHUNK_BYTES};
    use crate::worker_pool::spawn_worker;

    thread_local! {
        static JOB: Cell<u32> = const { Cell::new(0) };
    }

    fn post(message: &FromWorker) {
        let frame = protocol::frame(message, "");
        if let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() {
            let _ = scope.post_message(&Uint8Array::from(frame.as_slice()));
        }
    }

    /// A context request inside a worker: `static/bootstrap.js` calls
    /// [`start`](ContextJob::start), [`push`](ContextJob::push) per chunk of
    /// the file's stream, then [`finish`](ContextJob::finish) or
    /// [`fail_read`](ContextJob::fail_read), as it does for a scan.
    #[wasm_bindgen]
    pub struct ContextJob {
        session: ContextSession,
    }

    #[wasm_bindgen]
    impl ContextJob {
        /// Start the request `message`; `None` when it cannot (the page has been told why).
        pub fn start(message: &str, _header: Option<Uint8Array>) -> Option<ContextJob> {
            std::panic::set_hook(Box::new(|info| {
                post(&FromWorker::Panicked {
                    job: JOB.with(Cell::get),
                    message: info.to_string(),
                });
            }));
            match ContextSession::new(message) {
                Ok(session) => {
                    JOB.with(|j| j.set(session.job()));
                    Some(ContextJob { session })
                }
                Err((job, message)) => {
                    post(&FromWorker::Panicked { job, message });
                    None
                }
            }
        }

        /// The next chunk of the file (copied in pieces of at most 1 MiB).
        pub fn push(&mut self, chunk: &Uint8Array) {
            let (len, mut at) = (chunk.length(), 0u32);
            let mut buffer = Vec::new();
            while at < len {
                let end = len.min(at.saturating_add(CHUNK_BYTES));
                buffer.resize((end - at) as usize, 0);
                chunk.subarray(at, end).copy_to(&mut buffer);
                self.session.push(&buffer);
                at = end;
            }
        }

        /// A context reads the whole file: never a range.
        pub fn end_range(&mut self) -> bool {
            false
        }

        /// End of the file: post the context.
        pub fn finish(self) {
            post(&self.session.finish());
        }

        /// The stream failed at byte `byte`: post what was read, with the error.
        pub fn fail_read(self, byte: f64, message: &str) {
            post(&self.session.fail_read(byte as u64, message));
        }
    }

    /// A running context request; dropping it stops its worker.
    pub struct ContextRun {
        worker: Worker,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_error: Closure<dyn FnMut(Event)>,
    }

    impl Drop for ContextRun {
        fn drop(&mut self) {
            self.worker.set_onmessage(None);
            self.worker.set_onerror(None);
            self.worker.terminate();
        }
    }

    fn decode(data: &JsValue) -> Result<FromWorker, String> {
        match data.dyn_ref::<Uint8Array>() {
            Some(bytes) => protocol::unframe(&bytes.to_vec()),
            None => protocol::decode::<FromWorker>(&data.as_string().unwrap_or_default()),
        }
    }

    /// Start a worker reading `file` again for the context of `subject`;
    /// `done` gets the context or why there is none (once).
    pub fn run(
        file: &File,
        job: u32,
        name: &str,
        format: Option<String>,
        subject: Subject,
        done: impl Fn(Result<ProcessContext, String>) + 'static,
    ) -> Result<ContextRun, String> {
        let msg = request(job, name, format, subject)?;
        let worker = spawn_worker().map_err(|e| format!("could not start a worker: {e:?}"))?;
        let done = std::rc::Rc::new(done);
        let d = done.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            d(decode(&event.data()).and_then(answer));
        });
        let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            event.prevent_default();
            let detail = Reflect::get(&event, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "its script could not be loaded".into());
            done(Err(format!("the worker stopped: {detail}")));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let envelope = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&envelope, &JsValue::from_str(k), v);
        set("module", &wasm_bindgen::module())
            .and_then(|_| set("msg", &JsValue::from_str(&msg)))
            .and_then(|_| set("file", file.as_ref()))
            .map_err(|e| format!("{e:?}"))?;
        worker
            .post_message(&envelope)
            .map_err(|e| format!("could not send the file to its worker: {e:?}"))?;
        Ok(ContextRun {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }
}

#[cfg(target_arch = "wasm32")]
pub use browser_side::{run, ContextJob, ContextRun};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::scan_all;

    fn sysmon() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"
        );
        std::fs::read(path).expect("the Atomic Red Team Sysmon log")
    }

    #[test]
    fn the_worker_answers_the_cores_context_through_the_wire() {
        let bytes = sysmon();
        let (_, rows) = scan_all(&bytes, 0, None);
        assert!(!rows.is_empty());
        for row in rows.iter().take(4) {
            let subject = Subject::from_parts(row.position, &row.event, &row.fields);
            let message = request(7, "log.evtx", None, subject.clone()).unwrap();
            let mut session = ContextSession::new(&message).unwrap();
            for c in bytes.chunks(1 << 20) {
                session.push(c);
            }
            let wire = protocol::frame(&session.finish(), "log.evtx");
            let got = answer(protocol::unframe(&wire).unwrap()).unwrap();
            let mut direct = ContextScan::new(subject, None);
            direct.push(&bytes);
            let want = direct.finish();
            assert!(!want.chain.is_empty());
            assert_eq!(got, want);
        }
    }

    #[test]
    fn bad_requests_and_read_failures_say_why() {
        let bytes = sysmon();
        let (_, rows) = scan_all(&bytes, 0, None);
        let subject = Subject::from_parts(rows[0].position, &rows[0].event, &rows[0].fields);
        let bad = request(3, "log.evtx", Some("docx".into()), subject.clone()).unwrap();
        let Err((3, why)) = ContextSession::new(&bad) else {
            panic!("an unknown format is refused");
        };
        assert!(why.contains("unknown format"), "{why}");
        assert!(ContextSession::new("{").is_err());
        let mut session = ContextSession::new(&request(4, "x", None, subject).unwrap()).unwrap();
        session.push(&bytes[..70_000]);
        let got = answer(session.fail_read(70_000, "NotFoundError: gone")).unwrap();
        let error = got.error.expect("the read error");
        assert_eq!(
            (error.kind, error.position.byte),
            (DecodeErrorKind::Read, 70_000)
        );
    }
}
