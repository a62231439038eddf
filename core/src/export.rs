//! Writing flagged rows out: one JSON object per row (the CLI's `ndjson`, the
//! page's JSON export) and RFC 4180 CSV. Shared so the CLI and the page agree
//! byte for byte.
//!
//! Columns are the KQL projection in order, then `Matched` (the patterns and
//! parent names that matched, rule order) and the source of the row.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::rule::{FLAGS, PROJECTED_COLUMNS};
use crate::scan::FlaggedRow;

/// A JSON string literal for `s` (quotes and escapes included).
fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

/// One flagged row as a JSON object on one line (no trailing newline), with
/// exactly the KQL's projected names, then `Matched` and
/// `Source: {"file": ..., "record": N}`. `Timestamp` is RFC 3339 UTC or `null`.
///
/// ```
/// # use cmdhunt_core::{matcher::CompiledRule, scan::FileScan, export::json_row};
/// # let rule = CompiledRule::new();
/// # let mut scan = FileScan::new(&rule, 0, "a.csv", None);
/// # scan.push(b"Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n2024-01-01T00:00:00Z,cmd.exe,for /f x,a\n");
/// # let (_, rows) = scan.finish();
/// let line = json_row(&rows[0], "a.csv");
/// assert!(line.starts_with(r#"{"Timestamp":"2024-01-01T00:00:00.0000000Z","DeviceName":"""#));
/// assert!(line.ends_with(r#""Matched":["for /f"],"Source":{"file":"a.csv","record":1}}"#));
/// ```
pub fn json_row(row: &FlaggedRow, file_name: &str) -> String {
    let e = &row.event;
    let mut out = String::with_capacity(256);
    out.push_str("{\"Timestamp\":");
    match e.timestamp {
        Some(t) => {
            let _ = write!(out, "\"{t}\"");
        }
        None => out.push_str("null"),
    }
    let texts = [
        (PROJECTED_COLUMNS[1], &e.device_name),
        (PROJECTED_COLUMNS[2], &e.account_name),
        (PROJECTED_COLUMNS[3], &e.process_command_line),
        (PROJECTED_COLUMNS[4], &e.initiating_process_file_name),
        (PROJECTED_COLUMNS[5], &e.initiating_process_command_line),
    ];
    for (name, value) in texts {
        let _ = write!(out, ",\"{name}\":{}", json_string(value));
    }
    for (flag, on) in FLAGS.iter().zip(row.verdict.flags.0) {
        let _ = write!(out, ",\"{}\":{on}", flag.name);
    }
    let matched: Vec<String> = row.verdict.matched().map(json_string).collect();
    let _ = write!(
        out,
        ",\"Matched\":[{}],\"Source\":{{\"file\":{},\"record\":{}}}}}",
        matched.join(","),
        json_string(file_name),
        row.position.record
    );
    out
}

/// Quote a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        String::from(s)
    }
}

/// The CSV header line (no newline): the projection, `Matched`, `SourceFile`, `SourceRecord`.
pub fn csv_header() -> String {
    let mut cols: Vec<&str> = PROJECTED_COLUMNS.to_vec();
    cols.extend(["Matched", "SourceFile", "SourceRecord"]);
    cols.join(",")
}

/// One row as a CSV line (no newline). Flags are `true`/`false` as Kusto
/// exports them; `Matched` joins the needles with `; `; an absent timestamp is empty.
pub fn csv_row(row: &FlaggedRow, file_name: &str) -> String {
    let e = &row.event;
    let mut cells: Vec<String> = Vec::with_capacity(14);
    cells.push(e.timestamp.map(|t| format!("{t}")).unwrap_or_default());
    for text in [
        &e.device_name,
        &e.account_name,
        &e.process_command_line,
        &e.initiating_process_file_name,
        &e.initiating_process_command_line,
    ] {
        cells.push(csv_field(text));
    }
    for on in row.verdict.flags.0 {
        cells.push(String::from(if on { "true" } else { "false" }));
    }
    cells.push(csv_field(
        &row.verdict.matched().collect::<Vec<_>>().join("; "),
    ));
    cells.push(csv_field(file_name));
    cells.push(format!("{}", row.position.record));
    cells.join(",")
}
