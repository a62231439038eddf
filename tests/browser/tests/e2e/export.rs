//! Issue test 4: "Export CSV" and "Export JSON" download the rows shown, in
//! the order shown, as the CLI writes them (`cmdhunt_core::export::csv_row`
//! / `json_row`), with the rule's window and with all time. Issue 13, item
//! 7: each carries its context, equal to the core's `ExportContext` for the
//! file (window and bounds, file size/format/counts/state, rule version,
//! mode, row count; only the time it was made is the page's): the JSON in
//! its `context` (its `rows` are the earlier array), the CSV in the sidecar
//! `cmdhunt-results.meta.json`.

use std::time::Duration;

use cmdhunt_core::results::Window;
use cmdhunt_e2e::exports::{expected_context, without_time};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

const CSV: &str = "cmdhunt-results.csv";
const JSON: &str = "cmdhunt-results.json";
const META: &str = "cmdhunt-results.meta.json";

/// Click `button`, wait for `name` in the download folder, return its text
/// and remove it (so the next export gets the same name).
pub(crate) async fn download(page: &Page, button: &str, name: &str) -> Result<String, Error> {
    page.click(button).await?;
    let path = page
        .browser
        .wait_for_download(name, Duration::from_secs(20))
        .await?;
    let text = std::fs::read_to_string(&path)?;
    std::fs::remove_file(&path)?;
    Ok(text)
}

fn first_difference(got: &str, want: &str) -> String {
    let line = got.lines().zip(want.lines()).position(|(a, b)| a != b);
    match line {
        Some(i) => format!(
            "first different line {}: page {:?} / core {:?}",
            i + 1,
            got.lines().nth(i),
            want.lines().nth(i)
        ),
        None => format!(
            "{} lines on the page, {} from the core",
            got.lines().count(),
            want.lines().count()
        ),
    }
}

async fn exports_match_the_cli(page: &Page) -> Result<(), Error> {
    // One file: ties between files cannot reorder rows.
    let file = super::mde_proc();
    let reference = Reference::scan_one(&file)?;
    page.upload(std::slice::from_ref(&file)).await?;

    for (window, key) in [(Window::default(), "newest"), (Window::All, "all")] {
        page.choose_window(key).await?;
        let shown = page.settled_count().await?;
        ensure_eq!(
            shown,
            reference.select(&window).len(),
            "rows in window {key}"
        );
        ensure!(shown > 0, "window {key} should show rows");

        let csv = download(page, "export-csv", CSV).await?;
        let want = reference.csv_export(&window);
        ensure!(
            csv == want,
            "CSV export, window {key}: {}",
            first_difference(&csv, &want)
        );

        // The CSV's sidecar: its context.
        let meta = page
            .browser
            .wait_for_download(META, Duration::from_secs(20))
            .await?;
        let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&meta)?)?;
        std::fs::remove_file(&meta)?;
        let context = expected_context(&reference, std::slice::from_ref(&file), window, shown)?;
        ensure_eq!(sidecar["cmdhunt_export"], 1, "the sidecar's format number");
        ensure_eq!(
            without_time(&sidecar["context"])?,
            context.to_value(),
            "the CSV's sidecar context, window {key}"
        );

        // JSON: {"cmdhunt_export": 1, "context": {...}, "rows": [the old array]}.
        let json = download(page, "export-json", JSON).await?;
        let got: serde_json::Value = serde_json::from_str(&json)?;
        let want = serde_json::Value::Array(reference.json_export(&window)?);
        ensure_eq!(got["rows"], want, "JSON export's rows, window {key}");
        ensure_eq!(got["cmdhunt_export"], 1, "the JSON export's format number");
        ensure_eq!(
            without_time(&got["context"])?,
            context.to_value(),
            "the JSON export's context, window {key}"
        );
    }
    Ok(())
}

on_both_targets!(exports_match_the_cli);
