//! Writing flagged rows out: one JSON object per row (the CLI's `ndjson`, the
//! page's JSON export) and RFC 4180 CSV. Shared so the CLI and the page agree
//! byte for byte.
//!
//! Columns are the KQL projection in order, then `Matched` (the patterns and
//! parent names that matched, rule order) and the source of the row.
//!
//! Event text is attacker-controlled, and CSV files get opened in
//! spreadsheets: by default a CSV cell that starts with `=`, `+`, `-`, `@`,
//! a tab or a carriage return is written with a leading `'` (OWASP's "CSV
//! injection" advice), so `=HYPERLINK(...)` in a device name or
//! `=cmd|' /C calc'!A0` in a command line is shown as text, never run as a
//! formula. [`CsvCells::Raw`] writes the exact text. JSON always keeps the
//! exact text: it is data for programs.

use alloc::format;
use alloc::string::{String, ToString};
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

/// How [`csv_row_with`] writes text cells that a spreadsheet would read as a
/// formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvCells {
    /// A cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a
    /// leading `'` so a spreadsheet shows it as text (the default).
    #[default]
    Neutralised,
    /// Every cell holds the exact text (`cmdhunt scan --csv-raw`, the page's
    /// "raw CSV" box): for programs, not for spreadsheets.
    Raw,
}

/// Characters that make a spreadsheet read a cell as a formula (or, for tab
/// and CR, that some spreadsheets strip before doing so).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a spreadsheet would read `cell` as a formula if written as is.
pub fn is_formula_like(cell: &str) -> bool {
    cell.starts_with(FORMULA_STARTS)
}

/// Quote a CSV field when it needs it (RFC 4180), after neutralising a
/// formula-like start when `cells` asks for it.
fn csv_field(s: &str, cells: CsvCells) -> String {
    let mut text = String::with_capacity(s.len() + 1);
    if cells == CsvCells::Neutralised && is_formula_like(s) {
        text.push('\'');
    }
    text.push_str(s);
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The CSV header line (no newline): the projection, `Matched`, `SourceFile`, `SourceRecord`.
pub fn csv_header() -> String {
    let mut cols: Vec<&str> = PROJECTED_COLUMNS.to_vec();
    cols.extend(["Matched", "SourceFile", "SourceRecord"]);
    cols.join(",")
}

/// One row as a CSV line (no newline), formula-like cells neutralised
/// ([`CsvCells::Neutralised`]). Flags are `true`/`false` as Kusto exports
/// them; `Matched` joins the needles with `; `; an absent timestamp is empty.
///
/// ```
/// # use cmdhunt_core::{matcher::CompiledRule, scan::FileScan, export::{csv_row, csv_row_with, CsvCells}};
/// # let rule = CompiledRule::new();
/// # let mut scan = FileScan::new(&rule, 0, "a.csv", None);
/// # scan.push(b"Timestamp,DeviceName,FileName,ProcessCommandLine,InitiatingProcessFileName\n2024-01-01T00:00:00Z,=HYPERLINK(1),cmd.exe,for /f x,a\n");
/// # let (_, rows) = scan.finish();
/// assert!(csv_row(&rows[0], "a.csv").starts_with("2024-01-01T00:00:00.0000000Z,'=HYPERLINK(1),"));
/// assert!(csv_row_with(&rows[0], "a.csv", CsvCells::Raw).starts_with("2024-01-01T00:00:00.0000000Z,=HYPERLINK(1),"));
/// ```
pub fn csv_row(row: &FlaggedRow, file_name: &str) -> String {
    csv_row_with(row, file_name, CsvCells::Neutralised)
}

/// One row as a CSV line (no newline), text cells written as `cells` says:
/// [`row_cells`], each quoted when it needs it.
pub fn csv_row_with(row: &FlaggedRow, file_name: &str, cells_style: CsvCells) -> String {
    let cells: Vec<String> = row_cells(row, file_name, false)
        .iter()
        .map(|cell| csv_field(cell, cells_style))
        .collect();
    cells.join(",")
}

/// One row's cells, the exact text (the CSV export's raw cells, unquoted):
/// time (RFC 3339, empty when null), the five text columns, the flags as
/// `true`/`false`, `Matched` (`; `-joined), the source file and record;
/// hardened mode's `Detection`, `Rules`, `Evasions`, `FileName` when `hardened`.
pub fn row_cells(row: &FlaggedRow, file_name: &str, hardened: bool) -> Vec<String> {
    let e = &row.event;
    let mut cells = Vec::with_capacity(18);
    cells.push(e.timestamp.map(|t| t.to_string()).unwrap_or_default());
    for text in [
        &e.device_name,
        &e.account_name,
        &e.process_command_line,
        &e.initiating_process_file_name,
        &e.initiating_process_command_line,
    ] {
        cells.push(text.clone());
    }
    cells.extend(row.verdict.flags.0.iter().map(|on| on.to_string()));
    cells.push(row.verdict.matched().collect::<Vec<_>>().join("; "));
    cells.push(String::from(file_name));
    cells.push(row.position.record.to_string());
    if hardened {
        cells.extend(hardened_cells(row));
    }
    cells
}

/// Hardened mode's cells, the exact text ([`DETECTION_CSV_HEADER`]'s
/// columns): `Detection`, `Rules` and `Evasions` (`; `-joined), `FileName`.
fn hardened_cells(row: &FlaggedRow) -> [String; 4] {
    [
        String::from(row.detection.name()),
        row.hardened.ids().collect::<Vec<_>>().join("; "),
        row.hardened.evasions.names().collect::<Vec<_>>().join("; "),
        row.event.file_name.clone(),
    ]
}

/// The CSV columns hardened mode appends after all others, with their
/// leading comma: `Detection` (`parity` / `hardened`), `Rules` (the hardened
/// rules that fired, `; `-joined), `Evasions` (the obfuscations undone) and
/// `FileName` (the process's image: a hardened row may be a child of `cmd.exe`).
pub const DETECTION_CSV_HEADER: &str = ",Detection,Rules,Evasions,FileName";

/// Hardened mode's CSV cells for `row` ([`DETECTION_CSV_HEADER`]'s columns),
/// each with its leading comma; text cells as `cells` says.
pub fn detection_csv_cells(row: &FlaggedRow, cells: CsvCells) -> String {
    hardened_cells(row)
        .iter()
        .map(|cell| format!(",{}", csv_field(cell, cells)))
        .collect()
}

/// A JSON object from [`json_row`] with hardened mode's keys appended:
/// `"Detection": "parity"|"hardened"`, `"Rules": [ids]` (the hardened rules
/// that fired; a parity row lists them too), `"Evasions": [names]` and
/// `"FileName"`. Text that is not a JSON object is returned as it was.
///
/// ```
/// # use cmdhunt_core::{hardened::HardenedRules, matcher::CompiledRule, scan::FileScan};
/// use cmdhunt_core::export::{json_row, json_with_detection};
/// # let (rule, hardened) = (CompiledRule::new(), HardenedRules::new());
/// # let mut scan = FileScan::new(&rule, 0, "a.csv", None).hardened(&hardened);
/// # scan.push(b"Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n2024-01-01T00:00:00Z,reg.exe,reg  add HKCU\\x,cmd.exe\n");
/// # let (_, rows) = scan.finish();
/// let line = json_with_detection(json_row(&rows[0], "a.csv"), &rows[0]);
/// assert!(line.ends_with(r#""Detection":"hardened","Rules":["reg-modify"],"Evasions":[],"FileName":"reg.exe"}"#));
/// ```
pub fn json_with_detection(mut line: String, row: &FlaggedRow) -> String {
    if !line.ends_with('}') {
        return line;
    }
    line.pop();
    let rules: Vec<String> = row.hardened.ids().map(json_string).collect();
    let evasions: Vec<String> = row.hardened.evasions.names().map(json_string).collect();
    let _ = write!(
        line,
        ",\"Detection\":\"{}\",\"Rules\":[{}],\"Evasions\":[{}],\"FileName\":{}}}",
        row.detection.name(),
        rules.join(","),
        evasions.join(","),
        json_string(&row.event.file_name)
    );
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_neutralised_unless_raw() {
        // (cell, neutralised CSV field, raw CSV field)
        let cases = [
            ("=1+1", "'=1+1", "=1+1"),
            ("+dev01", "'+dev01", "+dev01"),
            ("-x", "'-x", "-x"),
            ("@SUM(A1)", "'@SUM(A1)", "@SUM(A1)"),
            ("\tcmd", "'\tcmd", "\tcmd"),
            ("\rcmd", "\"'\rcmd\"", "\"\rcmd\""),
            (
                "=HYPERLINK(\"http://x\",\"a\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\"",
                "\"=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\"",
            ),
            ("cmd /c a=b", "cmd /c a=b", "cmd /c a=b"),
            (" =1", " =1", " =1"),
            ("", "", ""),
        ];
        for (cell, neutralised, raw) in cases {
            assert_eq!(
                csv_field(cell, CsvCells::Neutralised),
                neutralised,
                "{cell:?}"
            );
            assert_eq!(csv_field(cell, CsvCells::Raw), raw, "{cell:?}");
        }
    }
}
