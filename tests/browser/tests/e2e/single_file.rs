//! Issue test 8: the single file `dist/cmdhunt.html`, opened from `file://`
//! starts its workers from Blob URLs and finds exactly what the served page
//! finds, and what the core finds.

use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, Error, Target};

/// Runs before the page's scripts: records the URL of every Worker started.
const RECORD_WORKERS: &str = r#"
window.__cmdhuntWorkers = [];
const PageWorker = window.Worker;
window.Worker = class extends PageWorker {
  constructor(url, options) { super(url, options); window.__cmdhuntWorkers.push(String(url)); }
};
"#;

/// Open `target`, load `files`, and read the all-time count and the URLs of
/// the workers the page started.
async fn count_all_time(
    target: Target,
    files: &[std::path::PathBuf],
) -> Result<(usize, Vec<String>), Error> {
    let page = Page::open_with(target, &[RECORD_WORKERS]).await?;
    let result = async {
        page.upload(files).await?;
        page.choose_window("all").await?;
        let count = page.settled_count().await?;
        let workers = page
            .js("return window.__cmdhuntWorkers || [];", vec![])
            .await?;
        Ok::<_, Error>((count, serde_json::from_value(workers)?))
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
    let files = [
        super::mde_proc(),
        super::sysmon_evtx(),
        super::sysmon_fields(),
    ];
    let reference = Reference::scan(&files)?;
    let (served, served_workers) = count_all_time(Target::Served, &files).await?;
    ensure!(
        !served_workers.is_empty(),
        "the served page read the files without starting a Worker"
    );
    let (single, workers) = count_all_time(Target::SingleFile, &files).await?;
    ensure!(
        !workers.is_empty(),
        "the single file read the files without starting a Worker"
    );
    ensure!(
        workers.iter().all(|u| u.starts_with("blob:")),
        "the single file's workers should start from Blob URLs: {workers:?}"
    );
    ensure_eq!(single, served, "single file (file://) vs served page");
    ensure_eq!(served, reference.count_all_time(), "served page vs core");
    Ok(())
}
