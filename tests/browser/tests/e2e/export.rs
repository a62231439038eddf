//! Issue test 4: "Export CSV" and "Export JSON" download the rows shown, in
//! the order shown, as the CLI writes them (`cmdhunt_core::export::csv_row`
//! / `json_row`), with the rule's window and with all time.

use std::time::Duration;

use cmdhunt_core::results::Window;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

const CSV: &str = "cmdhunt-results.csv";
const JSON: &str = "cmdhunt-results.json";

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

        let json = download(page, "export-json", JSON).await?;
        let got: serde_json::Value = serde_json::from_str(&json)?;
        let want = serde_json::Value::Array(reference.json_export(&window)?);
        ensure_eq!(got, want, "JSON export, window {key}");
    }
    Ok(())
}

on_both_targets!(exports_match_the_cli);
