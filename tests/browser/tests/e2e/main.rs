//! End-to-end tests of the cmdhunt page in headless Chromium, each on both
//! the served `dist/index.html` and the single file `dist/cmdhunt.html` from
//! `file://`, checked against `cmdhunt_core` on the same files.
//!
//! Run them with `bash scripts/test-web.sh` (or `cargo test -p cmdhunt-e2e
//! -- --test-threads=1`; the page is built first with `cargo xtask dist`).

mod bad_files;
mod bidi;
mod cancel;
mod charts;
mod chips;
mod context;
mod contrast;
mod counts;
mod duplicates;
mod export;
mod filters;
mod formats;
mod formula;
mod framing;
mod grid;
mod grouping;
mod hardened;
mod keyboard;
mod network;
mod no_simd;
mod phone;
mod pool;
mod search;
mod single_file;
mod sort;
mod split;
mod tuning;
mod validation;
mod vanished;
mod volume;
mod warm_up;
mod why;
mod window;
mod worker_panic;
mod xlsx;
mod xss;

use std::path::PathBuf;

use cmdhunt_e2e::paths;

/// A real Defender `DeviceProcessEvents` export (3.6 MB, 1564 records).
pub fn mde_proc() -> PathBuf {
    paths::shared_data("defender/mde_proc_cs1.csv")
}

/// The same events as a Defender portal CSV (BOM, other column order and time style).
pub fn defender_portal() -> PathBuf {
    paths::fixture("defender_portal.csv")
}

/// Sysmon event 1 fields as CSV.
pub fn sysmon_fields() -> PathBuf {
    paths::fixture("sysmon_fields.csv")
}

/// A real Sysmon EVTX log (binary format) with 21 flagged rows.
pub fn sysmon_evtx() -> PathBuf {
    paths::shared_data("sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx")
}

/// The real files the counting tests load, one by one and together.
pub fn real_files() -> Vec<PathBuf> {
    vec![
        mde_proc(),
        defender_portal(),
        sysmon_fields(),
        sysmon_evtx(),
    ]
}

/// Where screenshots go (`target/tmp`).
pub fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}
