//! A file that vanishes after it was picked (the export moved off a USB
//! stick): reading its stream fails, and the page says so, naming the file
//! and the byte; nothing else is lost.

use cmdhunt_e2e::page::{Page, TIMEOUT};
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

/// A file that vanishes after it was picked (the export moved off a USB
/// stick): reading its stream fails, and the page says so, naming the file
/// and the byte, with the rows it had found kept. The re-run a format
/// override starts reads the `File` again, after the file was deleted.
async fn a_vanished_file_is_reported_at_its_byte(page: &Page) -> Result<(), Error> {
    let dir = TempDir::new("vanished")?;
    let bytes = std::fs::read(super::mde_proc())?;
    let vanishing = dir.write("vanishing-export.csv", &bytes)?;
    let reference = Reference::scan_one(&vanishing)?;
    page.upload(std::slice::from_ref(&vanishing)).await?;
    page.choose_window("all").await?;
    ensure_eq!(
        page.settled_count().await?,
        reference.count_all_time(),
        "rows while the file was there"
    );
    std::fs::remove_file(&vanishing)?;
    page.choose_format("csv").await?;
    let error = page
        .until("an error for the vanished file", TIMEOUT, || async {
            let errors = page.texts("file-error").await?;
            Ok(errors
                .into_iter()
                .find(|e| e.contains("vanishing-export.csv")))
        })
        .await?;
    ensure!(
        error.contains("could not be read") && error.contains("byte 0"),
        "the error should say the file could not be read, at byte 0: {error:?}"
    );
    // The cause by name, not the stream's generic "TypeError: network error".
    ensure!(
        error.contains("NotFoundError"),
        "the error should name the cause: {error:?}"
    );
    let statuses = page.file_statuses().await?;
    ensure!(
        statuses
            .iter()
            .any(|(n, s)| n == "vanishing-export.csv" && s != "done"),
        "the vanished file's status: {statuses:?}"
    );
    Ok(())
}

on_both_targets!(a_vanished_file_is_reported_at_its_byte);
