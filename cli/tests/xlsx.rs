//! `cmdhunt scan --format xlsx` (issue 13, item 7): the workbook on stdout,
//! read back with calamine: sheet Rows = the core's rows as
//! `export_xlsx::row_cells` (exact text, the file named as given, as the
//! CSV names it; `tests/data/formula_injection.csv`'s
//! formula-like cells are text and no cell is a formula); sheet Context
//! names the file with its size, format and counts, the window and the
//! rule's version.

mod common;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use cmdhunt_core::export_context::rule_version;
use cmdhunt_core::export_xlsx::{row_cells, rows_header};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::{select, Window};
use cmdhunt_core::scan::FileScan;
use common::{cmdhunt, repo};

fn sheet(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<String>> {
    let formulas = book.worksheet_formula(name).expect("formulas");
    assert!(
        formulas.cells().all(|(_, _, f)| f.is_empty()),
        "sheet {name} has a formula"
    );
    book.worksheet_range(name)
        .expect("sheet")
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => panic!("sheet {name}: not text: {other:?}"),
                })
                .collect()
        })
        .collect()
}

#[test]
fn format_xlsx_writes_the_rows_as_text_and_their_context() {
    let path = repo("tests/data/formula_injection.csv");
    let out = cmdhunt(&["scan", "--window", "all", "--format", "xlsx", &path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.starts_with(b"PK\x03\x04"), "a zip archive");
    let mut book = Xlsx::new(Cursor::new(out.stdout)).expect("calamine opens it");

    let bytes = std::fs::read(&path).expect("fixture");
    let rule = CompiledRule::new();
    let mut scan = FileScan::new(&rule, 0, &path, None);
    scan.push(&bytes);
    let (summary, rows) = scan.finish();
    let order = select(&rows, &Window::All, summary.newest);
    let mut want = vec![rows_header(false)];
    want.extend(order.iter().map(|&i| row_cells(&rows[i], &path, false)));
    let got = sheet(&mut book, "Rows");
    assert_eq!(got, want);
    assert!(got.iter().flatten().any(|c| c.starts_with("=HYPERLINK(")));

    let context = sheet(&mut book, "Context");
    let value = |k: &str| {
        context
            .iter()
            .find(|l| l[0] == k)
            .map(|l| l[1].clone())
            .unwrap_or_else(|| panic!("no {k} in {context:?}"))
    };
    assert_eq!(
        value("file 1"),
        format!(
            "{path} ({} bytes, csv, {} records, {} flagged, complete)",
            bytes.len(),
            summary.records,
            summary.flagged
        )
    );
    assert_eq!(value("window"), "all time");
    assert_eq!(value("rule_version"), rule_version());
    assert_eq!(value("rows"), order.len().to_string());
    assert_eq!(value("mode"), "parity");
}

#[test]
fn an_unknown_format_names_xlsx_among_the_choices() {
    let out = cmdhunt(&[
        "scan",
        "--format",
        "xls",
        &repo("tests/data/formula_injection.csv"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("table, csv, ndjson or xlsx"));
}
