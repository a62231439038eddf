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

/// The peak resident memory of this process so far (Linux `VmHWM`), in bytes.
pub fn vm_hwm_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("VmHWM value");
    kib * 1024
}

/// Run this test binary's ignored test `rss_child` alone in a fresh process
/// (so that its peak memory is its own) with the variable `env` set to
/// `case`; returns the `key=value` pairs of the line it prints after
/// `RSS-RESULT ` (`true` / `false` as 1 / 0).
pub fn child_report(env: &str, case: &str) -> std::collections::HashMap<String, u64> {
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::process::Command::new(exe)
        .args([
            "rss_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(env, case)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{case}: child failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("RSS-RESULT ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("{case}: no result in {stdout}"));
    eprintln!("{case}: {line}");
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let n = match v {
                "true" => 1,
                "false" => 0,
                _ => v.parse().unwrap_or(0),
            };
            (k.to_owned(), n)
        })
        .collect()
}
