//! What the CLI's integration tests share: running the built `cmdhunt`,
//! finding the repository's and `../shared/data`'s files, reading the output.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// Run the built `cmdhunt` with `args`.
pub fn cmdhunt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cmdhunt"))
        .args(args)
        .output()
        .expect("run cmdhunt")
}

/// A path inside this repository.
pub fn repo(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
        .display()
        .to_string()
}

/// A path inside `../shared/data` (real public event data).
pub fn shared(path: &str) -> String {
    repo(&format!("../shared/data/{path}"))
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 output")
}

/// Standard output read as NDJSON, one value per line.
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// `cmdhunt scan --window all --format ndjson EXTRA... FILE`: every flagged
/// row of `file`, one JSON line each.
pub fn scan_ndjson(extra: &[&str], file: &str) -> Output {
    let mut args = vec!["scan", "--window", "all", "--format", "ndjson"];
    args.extend_from_slice(extra);
    args.push(file);
    cmdhunt(&args)
}
