//! JSON against `serde-wasm-bindgen` where the page's Rust values meet JS
//! objects (issue 14 item 6), in headless Chromium: `cargo xtask wasm-test`
//! runs the agreement tests; the measurement is an ignored test, run in a
//! release build (DESIGN.md "The worker protocol: why JSON"):
//!
//! ```text
//! CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON=target/xtask-wasm-test/webdriver.json \
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner WASM_BINDGEN_TEST_TIMEOUT=300 \
//! cargo test --release -p cmdhunt-web --target wasm32-unknown-unknown --test wire_formats -- --include-ignored --nocapture
//! ```
//!
//! Two crossings are measured, each both ways on the same values:
//! * the worker's start message ([`ToWorker`], tuned lists and a byte range
//!   as the page sends them): JSON text posted as a string and read by
//!   [`protocol::start_request`], against `to_value` / `from_value`;
//! * a batch of rows' original fields (the detail panel's): the JSON field
//!   block the worker transfers and [`FieldBlock::parse`] reads for one row,
//!   against the same fields as JS arrays. Posting JS objects costs the page
//!   their structured clone on arrival, on the main thread, for every batch;
//!   the block's `ArrayBuffer` is transferred (measured here as a clone of
//!   it, an upper bound).
//!
//! Config import/export is text on every side (a file, the `#config=` link,
//! `localStorage`, and the same JSON the CLI's `--config` reads): no JS
//! object is in between, so there is nothing for serde-wasm-bindgen to do.
#![cfg(target_arch = "wasm32")]

use cmdhunt_core::rule::{Needle, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use cmdhunt_web::protocol::{self, FieldBlock, ScanRange, ScanRules, ToWorker, CHUNK_BYTES};
use cmdhunt_web::sample::SAMPLE_CSV;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Columns per row in the measured batch: the width of a full
/// `DeviceProcessEvents` export (`cargo run -p cmdhunt-bench -- gen`).
const WIDTH: usize = 67;
/// Rows per batch ([`cmdhunt_web::session::ROWS_PER_BATCH`]).
const BATCH: usize = cmdhunt_web::session::ROWS_PER_BATCH;

/// A start message as the page sends it for a tuned, hardened, split run.
fn start_message() -> ToWorker {
    let owned = |list: &[Needle]| list.iter().map(|n| n.value.to_owned()).collect::<Vec<_>>();
    ToWorker::Scan {
        job: 12,
        file: 3,
        name: "DeviceProcessEvents \"export\" 2024-05-01.csv".into(),
        format: Some("csv".into()),
        chunk_bytes: CHUNK_BYTES,
        rules: ScanRules {
            hardened: true,
            lists: Some((owned(&SUSPICIOUS_PATTERNS), owned(&SUSPICIOUS_PARENTS))),
        },
        validate: true,
        range: Some(ScanRange {
            start: 1 << 30,
            end: 2 << 30,
            header_end: 1622,
            bom: 0,
            kind: cmdhunt_web::protocol::RangeKind::Csv,
        }),
    }
}

/// A batch of [`BATCH`] rows' fields, [`WIDTH`] pairs each: the sample's
/// flagged rows' own fields, widened with their values under more names.
fn batch_fields() -> Vec<Vec<(String, String)>> {
    let rule = cmdhunt_core::matcher::CompiledRule::new();
    let mut scan = cmdhunt_core::scan::FileScan::new(&rule, 0, "sample.csv", None);
    scan.push(SAMPLE_CSV);
    let (_, rows) = scan.finish();
    assert!(!rows.is_empty());
    (0..BATCH)
        .map(|i| {
            let own = &rows[i % rows.len()].fields;
            (0..WIDTH)
                .map(|c| {
                    let (name, value) = &own[c % own.len()];
                    (format!("{name}{}", c / own.len()), value.clone())
                })
                .collect()
        })
        .collect()
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Milliseconds per call of `f`, the best of 5 rounds of `n` calls.
fn per_call(n: usize, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = now();
            for _ in 0..n {
                f();
            }
            (now() - t) / n as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// The browser's `structuredClone(value)` (what `postMessage` does to it).
fn structured_clone(value: &JsValue) -> JsValue {
    let clone: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &"structuredClone".into())
            .expect("structuredClone")
            .unchecked_into();
    clone.call1(&JsValue::NULL, value).expect("clones")
}

fn to_js<T: serde::Serialize>(value: &T) -> JsValue {
    serde_wasm_bindgen::to_value(value).expect("to_value")
}

#[wasm_bindgen_test]
fn the_start_message_reads_the_same_both_ways() {
    let m = start_message();
    let json = protocol::encode(&m).expect("encodes");
    let via_json = protocol::start_request(&JsValue::from_str(&json).as_string().expect("string"));
    let via_objects: ToWorker =
        serde_wasm_bindgen::from_value(structured_clone(&to_js(&m))).expect("from_value");
    assert_eq!(via_json, Ok(m.clone()));
    assert_eq!(via_objects, m);
}

#[wasm_bindgen_test]
fn a_rows_fields_read_the_same_both_ways() {
    let batch = batch_fields();
    let mut block = FieldBlock::default();
    let ranges: Vec<_> = batch.iter().map(|f| block.push(f)).collect();
    let block = FieldBlock::Js(js_sys::Uint8Array::from(&block.to_vec()[..]));
    let objects = structured_clone(&to_js(&batch));
    for i in [0, BATCH / 2, BATCH - 1] {
        let row: Vec<(String, String)> = serde_wasm_bindgen::from_value(
            js_sys::Reflect::get_u32(&objects, i as u32).expect("row"),
        )
        .expect("from_value");
        assert_eq!(block.parse(ranges[i]).as_ref(), Ok(&batch[i]));
        assert_eq!(row, batch[i]);
    }
}

#[wasm_bindgen_test]
#[ignore = "a measurement (see the module doc)"]
fn measure_json_against_serde_wasm_bindgen() {
    let m = start_message();
    let json_start = per_call(2000, || {
        let text = JsValue::from_str(&protocol::encode(&m).expect("encodes"));
        let back = protocol::start_request(&structured_clone(&text).as_string().expect("string"));
        assert!(back.is_ok());
    });
    let swb_start = per_call(2000, || {
        let back: Result<ToWorker, _> =
            serde_wasm_bindgen::from_value(structured_clone(&to_js(&m)));
        assert!(back.is_ok());
    });

    let batch = batch_fields();
    let mut bytes = FieldBlock::default();
    let ranges: Vec<_> = batch.iter().map(|f| bytes.push(f)).collect();
    let bytes = bytes.to_vec();
    let view = js_sys::Uint8Array::from(&bytes[..]);
    let objects = to_js(&batch);
    // Worker side, per batch: build what is posted.
    let json_build = per_call(20, || {
        let mut b = FieldBlock::default();
        for f in &batch {
            b.push(f);
        }
        assert!(!b.is_empty());
    });
    let swb_build = per_call(20, || assert!(to_js(&batch).is_object()));
    // Page side, per batch: what arrives (a clone; the block is transferred).
    let json_arrive = per_call(20, || assert!(structured_clone(&view).is_object()));
    let swb_arrive = per_call(20, || assert!(structured_clone(&objects).is_object()));
    // Page side, per detail panel: one row's fields.
    let block = FieldBlock::Js(view.clone());
    let json_row = per_call(2000, || assert!(block.parse(ranges[7]).is_ok()));
    let swb_row = per_call(2000, || {
        let row: Result<Vec<(String, String)>, _> =
            serde_wasm_bindgen::from_value(js_sys::Reflect::get_u32(&objects, 7).expect("row"));
        assert!(row.is_ok());
    });

    let line = |what: &str, json: f64, swb: f64| {
        console_log!(
            "{what}: JSON {:.4} ms, serde-wasm-bindgen {:.4} ms ({:.2}x)",
            json,
            swb,
            swb / json
        )
    };
    console_log!(
        "start message {} bytes of JSON; batch {BATCH} rows x {WIDTH} fields, block {} bytes",
        protocol::encode(&m).map(|j| j.len()).unwrap_or(0),
        bytes.len()
    );
    line(
        "start message, encode + post (clone) + decode",
        json_start,
        swb_start,
    );
    line("fields, worker builds one batch", json_build, swb_build);
    line(
        "fields, one batch arrives on the page (clone)",
        json_arrive,
        swb_arrive,
    );
    line("fields, detail panel reads one row", json_row, swb_row);
}
