//! Workers kept warm for the next file.
//!
//! A new worker loads the page's script and instantiates the wasm module
//! before it can read a byte: 15-25 ms in Chromium (`web/perf/pagebench.py`),
//! on every file, twice for a split one. The page keeps [`POOL_SIZE`] workers
//! started and instantiated while it is idle (`static/bootstrap.js`: a
//! `{ module }` message, answered `"warm"`), and a run takes one of those
//! when it can. A worker runs one file and is then terminated, as before:
//! no state (or grown wasm memory) carries from one file to the next.
//!
//! A worker that never answers (its script failed to load) is never taken:
//! runs then start their own workers, which report the failure. Workers
//! started under another page fragment are not taken either (the fragment
//! can name them: `#selftest-panic`, `static/bootstrap.js`): the pool starts
//! afresh.
//!
//! Once per page, the first fill also starts a warm-up worker
//! ([`crate::warm_up`]): it scans synthetic inputs so that the code a scan
//! runs hot is optimised before a file is picked, reports what it scanned
//! (kept on `<html data-warm-up>`) and is terminated. A run that starts
//! before it is done stops it (`data-warm-up="stopped"`): the file's own
//! scan is then what warms the code.

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::EventListener;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

#[wasm_bindgen]
extern "C" {
    /// A new worker running the page's script (`static/bootstrap.js`
    /// defines `cmdhuntSpawnWorker`): the pool's, and a detail panel's
    /// process context (`crate::context_job`).
    #[wasm_bindgen(js_namespace = globalThis, js_name = cmdhuntSpawnWorker, catch)]
    pub(crate) fn spawn_worker() -> Result<Worker, JsValue>;
}

/// How many workers the page keeps warm: a split file's two.
pub const POOL_SIZE: usize = 2;

/// A started worker waiting for a file.
struct Idle {
    worker: Worker,
    /// Set when it has instantiated the module.
    warm: Rc<Cell<bool>>,
    _on_message: EventListener,
}

/// The idle workers (terminated when the pool is dropped or stale).
#[derive(Default)]
pub struct Pool {
    idle: Vec<Idle>,
    /// The page fragment when they were started.
    hash: String,
    /// The warm-up has been started (once per page).
    warm_up_started: bool,
    /// The warm-up worker, while it runs.
    warming: Rc<std::cell::RefCell<Option<Warming>>>,
}

/// The warm-up worker and its listener.
struct Warming {
    worker: Worker,
    _on_message: EventListener,
}

impl Pool {
    /// A worker for a run: a warm one if there is one, else a new one.
    pub fn take(&mut self) -> Result<Worker, JsValue> {
        if let Some(warming) = self.warming.borrow_mut().take() {
            warming.worker.terminate();
            report_warm_up("stopped");
        }
        if self.stale() {
            self.clear();
        }
        match self.idle.iter().position(|w| w.warm.get()) {
            // Dropping the rest of `Idle` removes its listener only.
            Some(i) => Ok(self.idle.swap_remove(i).worker),
            None => spawn_worker(),
        }
    }

    /// Whether [`POOL_SIZE`] workers are idle (started under this page
    /// fragment).
    pub fn is_full(&self) -> bool {
        self.idle.len() >= POOL_SIZE && !self.stale()
    }

    /// Start workers until [`POOL_SIZE`] are idle (none when the browser
    /// refuses one: runs will say why).
    pub fn fill(&mut self) {
        if self.stale() {
            self.clear();
            self.hash = crate::browser::location_hash();
        }
        if !self.warm_up_started {
            self.warm_up_started = true;
            self.start_warm_up();
        }
        while self.idle.len() < POOL_SIZE {
            let Ok(worker) = spawn_worker() else {
                return;
            };
            let warm = Rc::new(Cell::new(false));
            let flag = warm.clone();
            let on_message = EventListener::new(&worker, "message", move |event| {
                let said = event
                    .dyn_ref::<MessageEvent>()
                    .and_then(|e| e.data().as_string());
                if said.as_deref() == Some("warm") {
                    flag.set(true);
                }
            });
            let envelope = Object::new();
            let posted = Reflect::set(&envelope, &"module".into(), &wasm_bindgen::module())
                .is_ok_and(|_| worker.post_message(&envelope).is_ok());
            if !posted {
                worker.terminate();
                return;
            }
            self.idle.push(Idle {
                worker,
                warm,
                _on_message: on_message,
            });
        }
    }

    /// Start the warm-up worker, unless the page fragment says `warm-up=0`.
    fn start_warm_up(&mut self) {
        let bytes = crate::split_job::SplitSettings::of_page().warm_up;
        if bytes == 0 {
            return;
        }
        let Ok(worker) = spawn_worker() else {
            return;
        };
        let warming = self.warming.clone();
        let started = crate::browser::now_ms();
        let on_message = EventListener::new(&worker, "message", move |event| {
            let data = event
                .dyn_ref::<MessageEvent>()
                .map_or(JsValue::UNDEFINED, MessageEvent::data);
            let said = |key: &str| {
                Reflect::get(&data, &key.into())
                    .ok()
                    .and_then(|v| v.as_string())
            };
            let report =
                said("warmedUp").or_else(|| said("warmUpFailed").map(|e| format!("failed: {e}")));
            if let Some(report) = report {
                report_warm_up(&report);
                let took = format!("{:.0}", crate::browser::now_ms() - started);
                set_root_attribute("data-warm-up-ms", &took);
                if let Some(w) = warming.borrow_mut().take() {
                    w.worker.terminate();
                }
            }
        });
        let envelope = Object::new();
        let posted = Reflect::set(&envelope, &"module".into(), &wasm_bindgen::module())
            .and_then(|_| Reflect::set(&envelope, &"warmUp".into(), &(bytes as f64).into()))
            .is_ok_and(|_| worker.post_message(&envelope).is_ok());
        if !posted {
            worker.terminate();
            return;
        }
        report_warm_up("running");
        *self.warming.borrow_mut() = Some(Warming {
            worker,
            _on_message: on_message,
        });
    }

    /// Whether the idle workers were started under another page fragment.
    fn stale(&self) -> bool {
        self.hash != crate::browser::location_hash()
    }

    /// Terminate the idle workers.
    fn clear(&mut self) {
        for idle in self.idle.drain(..) {
            idle.worker.terminate();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.clear();
        if let Some(warming) = self.warming.borrow_mut().take() {
            warming.worker.terminate();
        }
    }
}

/// Keep the warm-up's state on `<html data-warm-up>`: `running`, its report
/// (JSON), `stopped` or `failed: ...`; once it has reported, the time it
/// took (ms) is on `data-warm-up-ms`.
fn report_warm_up(state: &str) {
    set_root_attribute("data-warm-up", state);
}

fn set_root_attribute(name: &str, value: &str) {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element());
    if let Some(root) = root {
        let _ = root.set_attribute(name, value);
    }
}
