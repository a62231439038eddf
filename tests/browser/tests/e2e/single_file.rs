//! Issue test 8: the single file `dist/cmdhunt.html`, opened from `file://`
//! (its worker started from a Blob URL), finds exactly what the served page
//! finds, and what the core finds.

use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure_eq, Error, Target};

/// Open `target`, load `files`, and read the all-time count.
async fn count_all_time(target: Target, files: &[std::path::PathBuf]) -> Result<usize, Error> {
    let page = Page::open(target).await?;
    let result = async {
        page.upload(files).await?;
        page.choose_window("all").await?;
        page.settled_count().await
    }
    .await;
    let result = match result {
        Ok(n) => Ok(n),
        Err(e) => Err(format!("[{}] {e}\n{}", page.label(), page.diagnose().await).into()),
    };
    page.close().await;
    result
}

#[tokio::test(flavor = "current_thread")]
async fn single_file_finds_what_the_served_page_finds() -> Result<(), Error> {
    let files = [super::mde_proc(), super::sysmon_evtx(), super::sysmon_fields()];
    let reference = Reference::scan(&files)?;
    let served = count_all_time(Target::Served, &files).await?;
    let single = count_all_time(Target::SingleFile, &files).await?;
    ensure_eq!(single, served, "single file (file://) vs served page");
    ensure_eq!(served, reference.count_all_time(), "served page vs core");
    Ok(())
}
