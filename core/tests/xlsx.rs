//! The XLSX decoder against the CSV each fixture workbook was made from
//! (`tests/data/make_xlsx.py`): same records, same flagged rows, same counts.

use std::path::PathBuf;

use cmdhunt_core::format::xlsx::XlsxDecoder;
use cmdhunt_core::format::{DecodeError, DecodeErrorKind, Decoder, Format};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::{self, Window};
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(path)
}

fn read(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn scan(bytes: &[u8], chunk: usize) -> (FileSummary, Vec<FlaggedRow>) {
    let rule = CompiledRule::new();
    let mut s = FileScan::new(&rule, 0, "test", None);
    for c in bytes.chunks(chunk.max(1)) {
        s.push(c);
    }
    s.finish()
}

/// The counts a summary is compared on (not the name, byte size or format).
fn counts(s: &FileSummary) -> impl PartialEq + std::fmt::Debug + '_ {
    (
        s.records,
        s.process_creations,
        &s.other_events,
        s.shell,
        s.flagged,
        s.flag_counts,
        s.skipped,
        s.bad_timestamps,
        s.newest,
        s.oldest,
        &s.error,
    )
}

/// The rule's output, in its order: projected event, verdict and record number.
fn selected(summary: &FileSummary, rows: &[FlaggedRow]) -> Vec<String> {
    results::select(rows, &Window::All, summary.newest)
        .into_iter()
        .map(|i| {
            let r = &rows[i];
            format!("{} {:?} {:?}", r.position.record, r.event, r.verdict)
        })
        .collect()
}

#[test]
fn advanced_hunting_workbook_equals_its_csv() {
    let csv = read(&shared("defender/advanced_hunting_test.csv"));
    let xlsx = read(&fixture("advanced_hunting_test.xlsx"));
    let (c, c_rows) = scan(&csv, 1 << 16);
    let (x, x_rows) = scan(&xlsx, 1 << 16);
    assert_eq!(x.format, Some(Format::Xlsx));
    assert_eq!(c.format, Some(Format::Csv));
    assert_eq!(counts(&x), counts(&c));
    // 26 events of 26 action types; the one ProcessCreated is not cmd.exe.
    assert_eq!(
        (x.records, x.process_creations, x.other_events.len()),
        (26, 1, 25)
    );
    assert_eq!(selected(&x, &x_rows), selected(&c, &c_rows));
    // Every field of every record, text for text (whole numbers were number cells).
    assert_eq!(all_fields(&xlsx), csv_fields(&csv));
}

#[test]
fn defender_portal_workbook_with_date_cells_equals_its_csv() {
    let csv = read(&fixture("defender_portal.csv"));
    let xlsx = read(&fixture("defender_portal.xlsx"));
    let (c, c_rows) = scan(&csv, 1 << 16);
    let (x, x_rows) = scan(&xlsx, 1 << 16);
    assert_eq!(counts(&x), counts(&c));
    assert_eq!(x.records, 99);
    assert!(x.flagged > 0 && x.flagged == c.flagged, "{}", x.flagged);
    assert_eq!(selected(&x, &x_rows), selected(&c, &c_rows));
    // Date cells are rendered as ISO text: `Jun 23, 2021 3:08:14 AM` → `2021-06-23T03:08:14`.
    let fields = all_fields(&xlsx);
    let time = fields[0]
        .iter()
        .find(|(n, _)| n == "Timestamp")
        .map(|(_, v)| v.as_str());
    assert_eq!(time, Some("2021-06-23T03:08:14"));
    let report = fields[0]
        .iter()
        .find(|(n, _)| n == "ReportId")
        .map(|(_, v)| v.as_str());
    assert_eq!(report, Some("160854"), "a number cell, without `.0`");
    // Pushing in 1-byte or 7-byte chunks changes nothing.
    assert_eq!(scan(&xlsx, 7), (x.clone(), x_rows.clone()));
    assert_eq!(scan(&xlsx, 1), (x, x_rows));
}

/// Every record's fields as the XLSX decoder gives them.
fn all_fields(bytes: &[u8]) -> Vec<Vec<(String, String)>> {
    struct All(Vec<Vec<(String, String)>>);
    impl cmdhunt_core::event::RecordSink for All {
        fn record(&mut self, r: &dyn cmdhunt_core::event::Record) {
            self.0.push(r.fields());
        }
        fn skip(&mut self, skip: cmdhunt_core::event::Skip) {
            panic!("unexpected skip {skip:?}");
        }
    }
    let mut d = XlsxDecoder::new();
    let mut sink = All(Vec::new());
    d.push(bytes, &mut sink).expect("push");
    d.finish(&mut sink).expect("finish");
    sink.0
}

/// Every record's fields read with the `csv` crate's rules, by Python's
/// reading of the same file (header names with the BOM removed).
fn csv_fields(bytes: &[u8]) -> Vec<Vec<(String, String)>> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let rows = parse_csv(text);
    let header = &rows[0];
    rows[1..]
        .iter()
        .map(|row| header.iter().cloned().zip(row.iter().cloned()).collect())
        .collect()
}

/// A small RFC 4180 reader (quotes, doubled quotes, line breaks inside quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn decode_err(bytes: &[u8]) -> DecodeError {
    struct Nothing;
    impl cmdhunt_core::event::RecordSink for Nothing {
        fn record(&mut self, _: &dyn cmdhunt_core::event::Record) {}
        fn skip(&mut self, _: cmdhunt_core::event::Skip) {}
    }
    let mut d = XlsxDecoder::new();
    d.push(bytes, &mut Nothing).expect("push");
    d.finish(&mut Nothing).expect_err("must fail")
}

#[test]
fn broken_workbooks_are_errors_not_panics() {
    let xlsx = read(&fixture("defender_portal.xlsx"));
    // Truncated: the zip directory at the end is gone.
    let err = decode_err(&xlsx[..xlsx.len() / 2]);
    assert_eq!(err.kind, DecodeErrorKind::XlsxZip, "{err}");
    // Not a zip at all.
    let err = decode_err(b"PK\x03\x04 this is not a workbook");
    assert_eq!(err.kind, DecodeErrorKind::XlsxZip, "{err}");
    // A scan reports the error in the summary.
    let (summary, rows) = scan(&xlsx[..1000], 100);
    assert!(summary.error.is_some() && rows.is_empty());
}

#[test]
fn a_workbook_without_the_required_columns_names_them() {
    // Row 1 blank, row 2 the header with `ProcessCommandLine` renamed.
    let err = decode_err(&read(&fixture("xlsx_missing_command_line.xlsx")));
    assert_eq!(err.kind, DecodeErrorKind::MissingColumns, "{err}");
    assert_eq!(err.position.line, 2);
    assert!(
        err.message.starts_with(
            "XLSX header lacks required columns: ProcessCommandLine (one of: ProcessCommandLine, CommandLine"
        ),
        "{err}"
    );
}
