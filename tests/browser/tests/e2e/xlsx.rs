//! Issue 13, item 7: "Export XLSX" downloads a workbook that calamine reads
//! back as the core's rows and context: sheet "Rows" = the CSV export's
//! header and, per row shown, `export_xlsx::row_cells` (the exact text);
//! sheet "Context" = the core's `ExportContext::pairs` for the files read
//! (the time it was made aside). With `tests/data/formula_injection.csv`
//! no cell is a formula and `=HYPERLINK(...)` / `=cmd|' /C calc'!A0` are
//! kept as text, without the CSV's leading `'`.

use std::time::Duration;

use cmdhunt_core::export_xlsx::{row_cells, rows_header};
use cmdhunt_core::results::Window;
use cmdhunt_e2e::exports::{expected_context, read_sheet};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, paths, Error};

const XLSX: &str = "cmdhunt-results.xlsx";

async fn the_workbook_reads_back_as_the_core(page: &Page) -> Result<(), Error> {
    let files = [paths::fixture("formula_injection.csv"), super::mde_proc()];
    let reference = Reference::scan(&files)?;
    page.upload(&files).await?;
    page.choose_window("all").await?;
    let shown = page.settled_count().await?;
    let rows = reference.select(&Window::All);
    ensure_eq!(shown, rows.len(), "rows, all time");

    page.click("export-xlsx").await?;
    let path = page
        .browser
        .wait_for_download(XLSX, Duration::from_secs(20))
        .await?;
    let (cells, formulas) = read_sheet(&path, "Rows")?;
    ensure_eq!(formulas, Vec::<String>::new(), "formulas in sheet Rows");
    ensure_eq!(
        cells.first().cloned(),
        Some(rows_header(false)),
        "the header"
    );
    let want: Vec<Vec<String>> = rows
        .iter()
        .map(|r| row_cells(r, reference.file_name(r), false))
        .collect();
    ensure_eq!(cells.len(), want.len() + 1, "lines in sheet Rows");
    for (i, (got, want)) in cells[1..].iter().zip(&want).enumerate() {
        ensure_eq!(got, want, "sheet Rows, row {}", i + 1);
    }
    ensure!(
        cells.iter().flatten().any(|c| c.starts_with("=HYPERLINK("))
            && cells
                .iter()
                .flatten()
                .any(|c| c.starts_with("=cmd|' /C calc'!A0")),
        "the formula-like cells are kept exactly, as text"
    );

    let (context, formulas) = read_sheet(&path, "Context")?;
    ensure!(
        formulas.is_empty(),
        "formulas in sheet Context: {formulas:?}"
    );
    let want = expected_context(&reference, &files, Window::All, rows.len())?.pairs();
    let got: Vec<(String, String)> = context
        .iter()
        .skip(1)
        .map(|l| (l[0].clone(), l.get(1).cloned().unwrap_or_default()))
        .collect();
    ensure_eq!(context.first().map(Vec::len), Some(2), "name, value");
    ensure_eq!(got.len(), want.len(), "lines in sheet Context");
    for ((gk, gv), (wk, wv)) in got.iter().zip(&want) {
        ensure_eq!(gk, wk, "a Context line's name");
        if wk == "generated_at" {
            ensure!(
                cmdhunt_core::time::Timestamp::parse(gv).is_some(),
                "generated_at {gv:?} is a time"
            );
        } else {
            ensure_eq!(gv, wv, "Context {wk}");
        }
    }
    std::fs::remove_file(&path)?;
    Ok(())
}

on_both_targets!(the_workbook_reads_back_as_the_core);
