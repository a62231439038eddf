//! The page and the worker protocol in a real browser (headless Chromium via
//! chromedriver): `cargo xtask wasm-test`, or by hand:
//!
//! ```text
//! CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON=<caps.json> \
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//! cargo test -p cmdhunt-web --target wasm32-unknown-unknown
//! ```
#![cfg(target_arch = "wasm32")]

use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::rule::{FLAGS, KQL_TEXT, PROJECTED_COLUMNS};
use cmdhunt_core::scan::{FileScan, FlaggedRow};
use cmdhunt_web::components::app::App;
use cmdhunt_web::protocol::{self, FromWorker};
use cmdhunt_web::sample::SAMPLE_CSV;
use cmdhunt_web::session::ScanSession;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Let timers, Yew's scheduler and microtasks run for `ms` milliseconds.
async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let w = web_sys::window().expect("window");
        w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    JsFuture::from(promise).await.expect("timer");
}

/// Mount the page into a fresh element and let it render.
async fn mount() -> Element {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let root = document.create_element("div").expect("div");
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    yew::Renderer::<App>::with_root(root.clone()).render();
    pause(50).await;
    root
}

/// Poll `check` every 20 ms for up to 5 s.
async fn until(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..250 {
        if check() {
            return true;
        }
        pause(20).await;
    }
    false
}

fn all(root: &Element, css: &str) -> Vec<Element> {
    let list = root.query_selector_all(css).expect("selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn one(root: &Element, css: &str) -> Element {
    root.query_selector(css)
        .expect("selector")
        .unwrap_or_else(|| panic!("no {css}"))
}

#[wasm_bindgen_test]
async fn the_page_renders_its_hooks_headers_and_the_rule() {
    let root = mount().await;
    let input = one(&root, "input[data-testid=file-input]");
    assert_eq!(input.get_attribute("type").as_deref(), Some("file"));
    assert!(input.has_attribute("multiple"));
    // The 11 projected columns, in KQL order; the page's own extras
    // (`Matched`, a group's count and first seen) carry `data-extra`.
    let heads = all(
        &root,
        "table[data-testid=results] thead th:not([data-extra])",
    );
    let names: Vec<String> = heads
        .iter()
        .map(|h| h.text_content().unwrap_or_default().replace(" ▼", ""))
        .collect();
    assert_eq!(names, PROJECTED_COLUMNS);
    let matched = one(
        &root,
        "table[data-testid=results] thead th[data-extra=matched]",
    );
    assert_eq!(
        matched.text_content().as_deref().map(str::trim),
        Some("Matched")
    );
    let sorts: Vec<String> = heads
        .iter()
        .map(|h| h.get_attribute("aria-sort").unwrap_or_default())
        .collect();
    assert_eq!(sorts[0], "descending");
    assert!(sorts[1..].iter().all(|s| s == "none"));
    assert_eq!(
        one(&root, "[data-testid=flagged-count]")
            .text_content()
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        one(&root, "[data-testid=kql]").text_content().as_deref(),
        Some(KQL_TEXT)
    );
    let rule = one(&root, "[data-testid=rule]")
        .text_content()
        .unwrap_or_default();
    for f in FLAGS {
        assert!(rule.contains(f.meaning), "{}", f.name);
    }
    assert!(rule.contains("T1059.003"));
}

#[wasm_bindgen_test]
async fn header_clicks_flip_aria_sort() {
    let root = mount().await;
    let device = || all(&root, "table[data-testid=results] thead th")[1].clone();
    device().dyn_into::<HtmlElement>().expect("th").click();
    pause(30).await;
    assert_eq!(
        device().get_attribute("aria-sort").as_deref(),
        Some("ascending")
    );
    device().dyn_into::<HtmlElement>().expect("th").click();
    pause(30).await;
    assert_eq!(
        device().get_attribute("aria-sort").as_deref(),
        Some("descending")
    );
    let ts = &all(&root, "table[data-testid=results] thead th")[0];
    assert_eq!(ts.get_attribute("aria-sort").as_deref(), Some("none"));
}

#[wasm_bindgen_test]
async fn a_file_whose_worker_cannot_start_fails_with_a_message_and_the_page_lives() {
    // The test harness has no bootstrap script, so no cmdhuntSpawnWorker:
    // the sample's worker cannot start, and the page must say so.
    let root = mount().await;
    one(&root, "[data-testid=sample-button]")
        .dyn_into::<HtmlElement>()
        .expect("button")
        .click();
    let status = || {
        root.query_selector("[data-testid=file-status]")
            .ok()
            .flatten()
            .and_then(|e| e.text_content())
            .unwrap_or_default()
    };
    until(|| status().starts_with("failed")).await;
    let status = status();
    assert!(
        status.starts_with("failed: could not start a worker"),
        "{status}"
    );
    let errors = all(&root, "[data-testid=file-error]");
    assert!(errors
        .iter()
        .any(|e| e.text_content().unwrap_or_default().contains("sample.csv")));
    // Still interactive.
    one(&root, "[data-testid=chip-ShadowDelete]")
        .dyn_into::<HtmlElement>()
        .expect("chip")
        .click();
    pause(30).await;
    let chip = one(&root, "[data-testid=chip-ShadowDelete]");
    assert_eq!(chip.get_attribute("aria-pressed").as_deref(), Some("true"));
}

#[wasm_bindgen_test]
fn the_worker_session_in_wasm_matches_a_one_shot_scan() {
    // The decoders compiled to wasm32 give what FileScan gives in one push,
    // whatever the slicing, through the wire frames (JSON + field block).
    let rule = CompiledRule::new();
    let mut one_shot = FileScan::new(&rule, 0, "sample.csv", None);
    one_shot.push(SAMPLE_CSV);
    let (want_summary, want_rows) = one_shot.finish();
    let mut session = ScanSession::new(&rule, 5, 0, "sample.csv", None).expect("session");
    let mut wire = Vec::new();
    for (i, chunk) in SAMPLE_CSV.chunks(333).enumerate() {
        wire.extend(
            session
                .push(chunk, i as f64 * 100.0)
                .iter()
                .map(|m| protocol::frame(m, "sample.csv")),
        );
    }
    wire.extend(
        session
            .finish()
            .iter()
            .map(|m| protocol::frame(m, "sample.csv")),
    );
    let mut rows: Vec<FlaggedRow> = Vec::new();
    let mut summary = None;
    for bytes in &wire {
        match protocol::unframe(bytes).expect("decodes") {
            FromWorker::Rows {
                rows: r, fields, ..
            } => rows.extend(protocol::full_rows(r, &fields)),
            FromWorker::Done { summary: s, .. } => summary = Some(*s),
            _ => {}
        }
    }
    assert_eq!(rows, want_rows);
    assert_eq!(summary, Some(want_summary));
    assert_eq!(rows.len(), 15);
}
