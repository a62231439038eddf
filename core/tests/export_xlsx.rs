//! The XLSX export read back with calamine (the reader cmdhunt's own XLSX
//! decoder uses): every cell is the exact text the core gives, no cell is a
//! formula (`tests/data/formula_injection.csv`'s `=HYPERLINK(...)` and
//! `=cmd|' /C calc'!A0` stay text), the Context sheet is the context's
//! pairs, and text XML cannot carry (controls, `_xHHHH_`) comes back as it was.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use cmdhunt_core::export_context::{ExportContext, FileContext, RuleContext};
use cmdhunt_core::export_xlsx::{export_workbook, row_cells, rows_header, workbook, Sheet};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::{select, Window};
use cmdhunt_core::scan::FileScan;

fn read(bytes: Vec<u8>, sheet: &str) -> (Vec<Vec<String>>, Vec<String>) {
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("calamine opens the workbook");
    let range = book.worksheet_range(sheet).expect("the sheet");
    let cells = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => panic!("a cell that is not text: {other:?}"),
                })
                .collect()
        })
        .collect();
    let formulas = book
        .worksheet_formula(sheet)
        .expect("formulas")
        .cells()
        .map(|(_, _, f)| f.clone())
        .filter(|f| !f.is_empty())
        .collect();
    (cells, formulas)
}

fn context(rows: usize) -> ExportContext {
    ExportContext {
        generated_at: None,
        mode: "parity".into(),
        window: Window::All,
        newest: None,
        filters: vec![("search".into(), "=cmd".into())],
        files: vec![FileContext {
            name: "formula_injection.csv".into(),
            size: 1,
            format: Some("csv".into()),
            records: 4,
            flagged: 4,
            state: "complete".into(),
        }],
        rule: RuleContext::published(),
        rows,
    }
}

#[test]
fn the_workbook_holds_the_rows_as_text_and_its_context() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/formula_injection.csv"
    );
    let bytes = std::fs::read(path).expect("fixture");
    let rule = CompiledRule::new();
    let mut scan = FileScan::new(&rule, 0, "formula_injection.csv", None);
    scan.push(&bytes);
    let (summary, rows) = scan.finish();
    let order = select(&rows, &Window::All, summary.newest);
    assert_eq!(order.len(), 4);
    let ctx = context(order.len());
    let book = export_workbook(
        order.iter().map(|&i| &rows[i]),
        |_| "formula_injection.csv",
        false,
        &ctx,
    )
    .expect("workbook");

    let (cells, formulas) = read(book.clone(), "Rows");
    assert_eq!(formulas, Vec::<String>::new(), "no cell is a formula");
    assert_eq!(cells[0], rows_header(false));
    assert_eq!(cells[0].len(), 14);
    let want: Vec<Vec<String>> = order
        .iter()
        .map(|&i| row_cells(&rows[i], "formula_injection.csv", false))
        .collect();
    assert_eq!(&cells[1..], &want[..]);
    assert!(
        cells.iter().flatten().any(|c| c.starts_with("=HYPERLINK(")),
        "the formula-like text is kept exactly, as text"
    );

    let (context_cells, formulas) = read(book, "Context");
    assert!(formulas.is_empty());
    let pairs: Vec<Vec<String>> = ctx.pairs().into_iter().map(|(k, v)| vec![k, v]).collect();
    assert_eq!(context_cells[0], ["name", "value"]);
    assert_eq!(&context_cells[1..], &pairs[..]);
}

#[test]
fn text_xml_cannot_carry_comes_back_as_it_was() {
    let texts = [
        "\u{1}start",
        "v\u{b}t",
        "_x0041_ literal",
        "<script>&amp;</script>",
        "\u{202e}gnp.exe",
        "  two  spaces  ",
        "line\nbreak",
        "cr\r\nlf\r",
        "=1+1",
        "@SUM(A1)",
    ];
    let sheet = Sheet {
        name: "Rows".into(),
        rows: vec![texts.iter().map(|t| t.to_string()).collect()],
    };
    let (bytes, cut) = workbook(&[sheet]).expect("workbook");
    assert_eq!(cut, 0);
    let (cells, formulas) = read(bytes, "Rows");
    assert!(formulas.is_empty());
    assert_eq!(cells[0], texts);
}
