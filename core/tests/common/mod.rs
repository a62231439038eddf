//! What the integration tests share (each test file is its own crate and
//! includes this with `mod common;`): where the real data is, reading a
//! file, scanning bytes in slices, listing `.evtx` logs, and a sink that
//! keeps what a decoder hands over.
#![allow(dead_code, unused_imports)] // every test crate uses a part of it

use std::path::Path;

#[path = "../../src/testing.rs"]
mod testing;
pub use testing::{evtx_files, shared, Rng};

pub mod split;
pub mod xlsx;

use flate2::Crc;

use cmdhunt_core::event::{Position, Record, RecordClass, RecordSink, Skip};
use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

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

/// One part of a workbook: its name, its compressed bytes (or stored), the
/// size it declares and its CRC.
pub struct Part {
    /// The entry's name.
    pub name: String,
    /// Its bytes as stored (compressed when `deflated`).
    pub data: Vec<u8>,
    /// Whether `data` is deflated.
    pub deflated: bool,
    /// The uncompressed size it declares.
    pub declared: u64,
    /// The CRC-32 it declares.
    pub crc: u32,
}

impl Part {
    /// A small part, stored as it is.
    pub fn stored(name: &str, text: &str) -> Part {
        let mut crc = Crc::new();
        crc.update(text.as_bytes());
        Part {
            name: name.into(),
            data: text.as_bytes().to_vec(),
            deflated: false,
            declared: text.len() as u64,
            crc: crc.sum(),
        }
    }

    /// The same part claiming another uncompressed size (its CRC is kept).
    pub fn declaring(mut self, declared: u64) -> Part {
        self.declared = declared;
        self
    }
}

/// A zip archive of `parts`; sizes of 4 GiB and more get ZIP64 fields.
pub fn zip(parts: &[Part]) -> Vec<u8> {
    let (mut out, mut directory) = (Vec::new(), Vec::new());
    for part in parts {
        let offset = out.len() as u32;
        let big = part.declared >= u64::from(u32::MAX);
        let size32 = |n: u64| if big { u32::MAX } else { n as u32 };
        let extra: Vec<u8> = if big {
            let mut e = vec![1, 0, 16, 0];
            e.extend_from_slice(&part.declared.to_le_bytes());
            e.extend_from_slice(&(part.data.len() as u64).to_le_bytes());
            e
        } else {
            Vec::new()
        };
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&[45, 0, 0, 0]); // version needed, flags
            v.extend_from_slice(&[if part.deflated { 8 } else { 0 }, 0, 0, 0, 0, 0]);
            v.extend_from_slice(&part.crc.to_le_bytes());
            v.extend_from_slice(&size32(part.data.len() as u64).to_le_bytes());
            v.extend_from_slice(&size32(part.declared).to_le_bytes());
            v.extend_from_slice(&(part.name.len() as u16).to_le_bytes());
            v.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out);
        out.extend_from_slice(part.name.as_bytes());
        out.extend_from_slice(&extra);
        out.extend_from_slice(&part.data);
        directory.extend_from_slice(b"PK\x01\x02\x2d\x00");
        common(&mut directory);
        directory.extend_from_slice(&[0; 10]); // comment, disk, attributes
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(part.name.as_bytes());
        directory.extend_from_slice(&extra);
    }
    let (at, len, count) = (out.len() as u32, directory.len() as u32, parts.len() as u16);
    out.extend_from_slice(&directory);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}
