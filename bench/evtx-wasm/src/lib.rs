//! The two sides of the EVTX cost comparison, as a wasm-bindgen module.
//!
//! `cargo xtask evtx-wasm-bench` builds this crate for `wasm32-unknown-unknown`
//! with the page's profile, binds it and runs `run.mjs` under Node (or
//! `browser.py` in headless Chromium), which times [`Bench::records`] against
//! [`Bench::scan`] round after round on the same bytes. The work each side does
//! is the native example's (`core/examples/evtx_speed.rs`), so the native and
//! wasm ratios compare like with like:
//!
//! * [`Bench::records`]: the `evtx` crate's own iteration, `EvtxParser::records()`
//!   over a copy of the file (the parser owns its buffer), counting the records
//!   it renders;
//! * [`Bench::scan`]: what the page's worker does with a file, a
//!   [`FileScan`] fed 64 KiB slices (the EVTX decoder, field mapping and the rule).
//!
//! Timing is left to the JavaScript side: the module has no clock of its own.

use cmdhunt_core::{matcher::CompiledRule, scan::FileScan};
use evtx::EvtxParser;
use wasm_bindgen::prelude::*;

/// The slice size the page's worker hands a `FileScan` (and the native example does).
const SLICE: usize = 64 << 10;

/// One EVTX file held in wasm memory, with the compiled rule, ready to be timed.
#[wasm_bindgen]
pub struct Bench {
    data: Vec<u8>,
    rule: CompiledRule,
}

/// The accounts of one [`Bench::scan`] that the native example prints too:
/// enough to check that the wasm scan read what the native one reads.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanCounts {
    /// Records read (process creations + other events + skipped).
    pub records: u64,
    /// Records analysed (read and not skipped).
    pub analysed: u64,
    /// Rows the rule flagged.
    pub flagged: u64,
    /// Whether the file ended with a decode error.
    pub failed: bool,
}

#[wasm_bindgen]
impl Bench {
    /// Copy `data` (one `.evtx` file) into wasm memory and compile the rule.
    #[wasm_bindgen(constructor)]
    pub fn new(data: &[u8]) -> Bench {
        Bench {
            data: data.to_vec(),
            rule: CompiledRule::new(),
        }
    }

    /// The `evtx` crate's `records()` over a copy of the file: how many records
    /// it rendered without error (0 when the file header cannot be read).
    pub fn records(&self) -> u32 {
        match EvtxParser::from_buffer(self.data.clone()) {
            Ok(mut parser) => parser.records().filter(Result::is_ok).count() as u32,
            Err(_) => 0,
        }
    }

    /// cmdhunt's scan of the file, in 64 KiB slices, as the page's worker runs it.
    pub fn scan(&self) -> ScanCounts {
        let mut scan = FileScan::new(&self.rule, 0, "bench.evtx", None);
        for slice in self.data.chunks(SLICE) {
            scan.push(slice);
        }
        let (summary, _rows) = scan.finish();
        ScanCounts {
            records: summary.records,
            analysed: summary.analysed(),
            flagged: summary.flagged,
            failed: summary.error.is_some(),
        }
    }
}
