//! A real wasm panic in a worker becomes a message beside its file, and the
//! page keeps working for the other files (issue 5, "the page under attack").
//!
//! The page opened with `#selftest-panic` names its workers so that a file
//! whose name contains `selftest-panic` makes its worker panic, for real,
//! once the first slice is read (`web/src/worker.rs`): the shipped page is
//! tested, through its panic hook, the trap that ends the worker, and the
//! page's reducer. Without the fragment the same file name is read normally.

use cmdhunt_core::results::Window;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

use super::counts::check_summary;

async fn a_panic_fails_one_file_and_the_page_goes_on(page: &Page) -> Result<(), Error> {
    // A real export under the trigger name: read normally it has flagged
    // rows, so a count that included them would show.
    let dir = TempDir::new("panic")?;
    let portal = std::fs::read(super::defender_portal())?;
    let doomed = dir.write("selftest-panic-portal.csv", &portal)?;
    ensure!(
        Reference::scan_one(&doomed)?.count_all_time() > 0,
        "the doomed file should have flagged rows when read"
    );
    let good = super::mde_proc();
    let reference = Reference::scan_one(&good)?;

    page.js("location.hash = '#selftest-panic'; return null;", vec![])
        .await?;
    page.upload(&[doomed.clone(), good.clone()]).await?;
    page.choose_window("all").await?;
    ensure_eq!(
        page.settled_count().await?,
        reference.count_all_time(),
        "rows beside the panicked file (only the good file's)"
    );
    let errors = page.texts("file-error").await?;
    ensure!(
        errors
            .iter()
            .any(|e| e.starts_with("selftest-panic-portal.csv: ")
                && e.contains("the decoder crashed")
                && e.contains("self-test panic after reading")),
        "no crash message names the doomed file: {errors:?}"
    );
    let statuses = page.file_statuses().await?;
    let status = |name: &str| {
        statuses
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
    };
    ensure_eq!(
        status("mde_proc_cs1.csv").as_deref(),
        Some("done"),
        "status of the good file ({statuses:?})"
    );
    ensure!(
        status("selftest-panic-portal.csv").is_some_and(|s| s != "done"),
        "the doomed file is not shown as failed: {statuses:?}"
    );
    check_summary(page, &reference, &Window::All).await?;

    // The page still works: another file is read, and counted with the first.
    let more = super::sysmon_fields();
    page.upload(std::slice::from_ref(&more)).await?;
    let both = Reference::scan(&[good.clone(), more.clone()])?;
    ensure_eq!(
        page.settled_count().await?,
        both.count_all_time(),
        "rows after adding a file once the worker panicked"
    );
    check_summary(page, &both, &Window::All).await?;

    // Without the fragment the file name alone does nothing.
    page.js("location.hash = ''; return null;", vec![]).await?;
    let renamed = dir.write("selftest-panic-again.csv", &portal)?;
    page.upload(std::slice::from_ref(&renamed)).await?;
    let all = Reference::scan(&[good, more, renamed])?;
    ensure_eq!(
        page.settled_count().await?,
        all.count_all_time(),
        "rows once the trigger name is read without #selftest-panic"
    );
    let errors = page.texts("file-error").await?;
    ensure!(
        !errors
            .iter()
            .any(|e| e.contains("selftest-panic-again.csv")),
        "the file was failed without the fragment: {errors:?}"
    );
    Ok(())
}

on_both_targets!(a_panic_fails_one_file_and_the_page_goes_on);
