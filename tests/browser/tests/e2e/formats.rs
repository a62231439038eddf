//! Issue 4's browser test: every binary and text format dropped at once.

use cmdhunt_core::results::Window;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, paths, Error};

use super::counts::check_summary;

/// Issue 4's browser test: an `.evtx`, an `.xml`, a `.json` and an `.xlsx`
/// dropped together give the core's total, and each file's summary line
/// (detected format included) matches the core's account.
async fn every_format_together(page: &Page) -> Result<(), Error> {
    let files = vec![
        super::sysmon_evtx(),
        paths::shared_data("xml/PanacheSysmon_vs_AtomicRedTeam01.events.xml"),
        paths::shared_data("xml/PanacheSysmon_vs_AtomicRedTeam01.evtx_dump.jsonl"),
        paths::fixture("defender_portal.xlsx"),
    ];
    let reference = Reference::scan(&files)?;
    page.reopen().await?;
    page.upload(&files).await?;
    page.choose_window("all").await?;
    let count = page.settled_count().await?;
    ensure_eq!(
        count,
        reference.count_all_time(),
        "evtx + xml + json + xlsx, all time"
    );
    ensure!(count > 0, "the four formats should have flagged rows");
    check_summary(page, &reference, &Window::All).await?;
    Ok(())
}

on_both_targets!(every_format_together);
