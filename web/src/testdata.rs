//! Inputs for the native unit tests: the page's own sample and real exports
//! from `shared/data` (read in place, never copied).

use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

/// The built-in sample (the same bytes the page's "Try the sample" loads).
pub fn sample_csv() -> &'static [u8] {
    crate::sample::SAMPLE_CSV
}

/// A file under `shared/data`, or `None` when the checkout has no copy of it.
pub fn shared_data(relative: &str) -> Option<Vec<u8>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/").to_owned() + relative;
    std::fs::read(path).ok()
}

/// Scan `bytes` in one go, as file number `file`.
pub fn scan_all(bytes: &[u8], file: u32, format: Option<Format>) -> (FileSummary, Vec<FlaggedRow>) {
    let rule = CompiledRule::new();
    let mut scan = FileScan::new(&rule, file, "test", format);
    scan.push(bytes);
    scan.finish()
}
