//! The page as an analyst sees it mid-triage, set up the same way for the
//! contrast check, the phone layout test and the README's screenshots: two
//! real exports from `../shared/data` (a Defender `DeviceProcessEvents` CSV
//! and a Sysmon EVTX log) read, all time shown, the first row's detail open.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Locator;

use crate::page::Page;
use crate::paths;

/// The real files the scene reads.
pub fn files() -> Vec<PathBuf> {
    vec![
        paths::shared_data("defender/mde_proc_cs1.csv"),
        paths::shared_data(
            "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
        ),
    ]
}

/// Read [`files`] and show all time.
pub async fn load(page: &Page) -> Result<(), crate::Error> {
    page.upload(&files()).await?;
    page.choose_window("all").await?;
    page.settled_count().await?;
    Ok(())
}

/// Click the first row of the table and wait for its detail panel.
pub async fn open_first_row(page: &Page) -> Result<(), crate::Error> {
    let row = page
        .browser
        .client
        .find(Locator::Css(
            "[data-testid=\"results\"] tbody tr[data-testid=\"result-row\"]",
        ))
        .await?;
    row.click().await?;
    page.until("the detail panel", Duration::from_secs(10), || async {
        Ok((!page.texts("detail").await?.is_empty()).then_some(()))
    })
    .await?;
    page.render_barrier().await
}

/// [`load`], then [`open_first_row`].
pub async fn triage(page: &Page) -> Result<(), crate::Error> {
    load(page).await?;
    open_first_row(page).await
}
