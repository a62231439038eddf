//! # cmdhunt-web
//!
//! The analyst's page: drop Defender/Sentinel/Sysmon exports on it, and the
//! T1059.003 rule runs on them locally, in Web Workers, with nothing sent anywhere.
//!
//! Plain Rust (tested natively with `cargo test -p cmdhunt-web`):
//! [`protocol`] (the worker message enums), [`session`] (one scan inside a
//! worker), [`state`] (the reducer), [`view`] (window, chips, search, sort,
//! virtual scrolling), [`window`], [`export`], [`highlight`], [`text`],
//! [`fingerprint`] (duplicate files), [`validation`] (the seed's four tests).
//!
//! Browser glue (wasm32 only): [`worker`] (a file's scan inside a worker),
//! [`bridge`] (starting and stopping workers), [`browser`] (downloads, clock,
//! panic banner) and the Yew [`components`], one per file.
//!
//! The JS side is `static/bootstrap.js`, appended by `cargo xtask dist` to
//! wasm-bindgen's glue: it compiles the wasm once, starts [`start_app`] on the
//! page, and in a worker instantiates the same module and feeds the file's
//! stream to a [`WorkerScan`].
//!
//! ```
//! use cmdhunt_web::state::{Action, AppState, NewFile};
//! let mut state = AppState::default();
//! state.apply(Action::AddFiles(vec![NewFile::new("export.csv", 1234)]));
//! assert_eq!(state.jobs_to_start(), vec![(0, 1)]);
//! ```

pub mod charts;
pub mod columns;
pub mod context_job;
pub mod export;
pub mod fingerprint;
pub mod grouping;
pub mod highlight;
pub mod keyboard;
pub mod protocol;
pub mod query;
pub mod rehearsal;
pub mod sample;
pub mod session;
pub mod split_job;
pub mod state;
pub mod text;
pub mod tuning;
pub mod validation;
pub mod view;
pub mod warm_up;
pub mod why;
pub mod window;

#[cfg(target_arch = "wasm32")]
pub mod bridge;
#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod context_view;
#[cfg(target_arch = "wasm32")]
pub mod worker;
#[cfg(target_arch = "wasm32")]
pub mod worker_pool;

#[cfg(test)]
mod testdata;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

/// Mount the page into `<div id="app">` (called by the bootstrap script once
/// the wasm is instantiated on the main thread), then, each in a task of its
/// own, grow the heap and rehearse the message path ([`rehearsal`]), so the
/// first file's first batch pays neither. The bootstrap marks the page
/// ready when the returned promise settles.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
pub async fn start_app() {
    browser::install_panic_banner();
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            yew::Renderer::<components::app::App>::with_root(root).render();
            browser::next_task().await;
            rehearsal::reserve_heap();
            browser::next_task().await;
            let mut state = rehearsal::rehearse();
            state.selected = state.shown.first().copied();
            // The same state rendered off-document (no style, no layout):
            // the components' code for rows, summary and detail is compiled
            // now. A few tasks let the table finish its rows, then it goes.
            let props = components::app::AppProps {
                state: Some(std::rc::Rc::new(std::cell::RefCell::new(state))),
            };
            let offstage = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.create_element("div").ok());
            if let Some(offstage) = offstage {
                let handle =
                    yew::Renderer::<components::app::App>::with_root_and_props(offstage, props)
                        .render();
                for _ in 0..4 {
                    browser::next_task().await;
                }
                handle.destroy();
            }
        }
        None => browser::show_banner("cmdhunt: the page has no element with id \"app\"."),
    }
}

#[cfg(target_arch = "wasm32")]
pub use worker::WorkerScan;
