//! What the integration tests share (each test file is its own crate and
//! includes this with `mod common;`): where the real data is, reading a
//! file, scanning bytes in slices, listing `.evtx` logs, and a sink that
//! keeps what a decoder hands over.
#![allow(dead_code)] // every test crate uses a part of it

use std::path::{Path, PathBuf};

use cmdhunt_core::event::{Position, Record, RecordClass, RecordSink, Skip};
use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

/// A path under `../shared/data` (the real public event data).
pub fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

/// The file's bytes; panics naming the file.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Scan `bytes` as the file `name` (format forced, or `None` to detect),
/// pushed in slices of `slice` bytes.
pub fn scan_in(
    bytes: &[u8],
    name: &str,
    format: Option<Format>,
    slice: usize,
) -> (FileSummary, Vec<FlaggedRow>) {
    let rule = CompiledRule::new();
    let mut s = FileScan::new(&rule, 0, name, format);
    for c in bytes.chunks(slice.max(1)) {
        s.push(c);
    }
    s.finish()
}

/// Every `.evtx` under `dir`, sorted.
pub fn evtx_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "evtx") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A record as a decoder hands it over: where, what, and its fields.
pub type Seen = (Position, RecordClass, Vec<(String, String)>);

/// What a decoder hands over, kept.
#[derive(Default)]
pub struct Collect {
    /// The records, in order.
    pub records: Vec<Seen>,
    /// The skipped records, in order.
    pub skips: Vec<Skip>,
}

impl RecordSink for Collect {
    fn record(&mut self, record: &dyn Record) {
        self.records
            .push((record.position(), record.class(), record.fields()));
    }
    fn skip(&mut self, skip: Skip) {
        self.skips.push(skip);
    }
}
