//! Issue 10, item 1 (the page): "Export CSV" neutralises cells a
//! spreadsheet would run as formulas (a leading `'` on `= + - @ TAB CR`),
//! as the CLI does; the "raw CSV" box writes the exact text; JSON always
//! keeps it. `tests/data/formula_injection.csv` has `=HYPERLINK(...)` as a
//! device name and `=cmd|' /C calc'!A0 ...` as a command line.

use std::time::Duration;

use cmdhunt_core::export::CsvCells;
use cmdhunt_core::results::Window;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, paths, Error};
use serde_json::json;

use super::export::download;

async fn csv_export_neutralises_formulas_unless_raw(page: &Page) -> Result<(), Error> {
    let file = paths::fixture("formula_injection.csv");
    let reference = Reference::scan_one(&file)?;
    ensure_eq!(
        reference.count_all_time(),
        4,
        "core: every fixture row is flagged"
    );
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    ensure_eq!(page.settled_count().await?, 4, "rows");

    let csv = download(page, "export-csv", "cmdhunt-results.csv").await?;
    ensure_eq!(
        csv,
        reference.csv_export_with(&Window::All, CsvCells::Neutralised),
        "the default CSV export"
    );
    ensure!(
        csv.contains(",\"'=HYPERLINK(\"\"http://127.0.0.1/x\"\",\"\"open\"\")\",")
            && csv.contains(",'=cmd|' /C calc'!A0 & reg add HKCU\\x /f,"),
        "the formula cells start with ': {csv}"
    );

    page.click("csv-raw").await?;
    page.until(
        "the raw box to be ticked",
        Duration::from_secs(10),
        || async {
            let v = page
                .js(
                    "return document.querySelector('[data-testid=\"csv-raw\"]').checked;",
                    vec![],
                )
                .await?;
            Ok((v == json!(true)).then_some(()))
        },
    )
    .await?;
    let raw = download(page, "export-csv", "cmdhunt-results.csv").await?;
    ensure_eq!(
        raw,
        reference.csv_export_with(&Window::All, CsvCells::Raw),
        "the raw CSV export"
    );
    ensure!(
        raw.contains(",\"=HYPERLINK(\"\"http://127.0.0.1/x\"\",\"\"open\"\")\",")
            && raw.contains(",=cmd|' /C calc'!A0 & reg add HKCU\\x /f,")
            && !raw.contains("'=HYPERLINK"),
        "the raw export keeps the exact text: {raw}"
    );
    let json = download(page, "export-json", "cmdhunt-results.json").await?;
    ensure!(
        json.contains(r#""DeviceName":"=HYPERLINK(\"http://127.0.0.1/x\",\"open\")""#),
        "JSON keeps the exact text: {json}"
    );
    Ok(())
}

on_both_targets!(csv_export_neutralises_formulas_unless_raw);
