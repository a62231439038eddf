//! Issue 10, item 5: the same file added twice is recognised (name, size,
//! first and last 64 KiB) and not scanned again, so its rows are not
//! doubled without a word; "Scan anyway" reads it when asked.

use std::time::Duration;

use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

async fn a_file_added_twice_is_a_duplicate(page: &Page) -> Result<(), Error> {
    let file = super::mde_proc();
    let reference = Reference::scan_one(&file)?;
    let once = reference.count_all_time();
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    ensure_eq!(page.settled_count().await?, once, "rows of the file");

    page.upload(std::slice::from_ref(&file)).await?;
    let statuses = page.file_statuses().await?;
    ensure_eq!(statuses.len(), 2, "two file lines");
    ensure!(
        statuses[1]
            .1
            .starts_with("duplicate of file 1 (mde_proc_cs1.csv)"),
        "the second copy is named a duplicate: {statuses:?}"
    );
    ensure_eq!(page.settled_count().await?, once, "rows, not doubled");
    let notes = page.texts("file-note").await?;
    ensure!(
        notes.iter().any(|n| n.contains("not scanned")),
        "the summary says why: {notes:?}"
    );

    page.click("scan-anyway").await?;
    page.until("the copy to be read", Duration::from_secs(60), || async {
        let s = page.file_statuses().await?;
        Ok((s.get(1).map(|(_, t)| t.as_str()) == Some("done")).then_some(()))
    })
    .await?;
    ensure_eq!(
        page.settled_count().await?,
        2 * once,
        "rows after Scan anyway"
    );
    Ok(())
}

on_both_targets!(a_file_added_twice_is_a_duplicate);
