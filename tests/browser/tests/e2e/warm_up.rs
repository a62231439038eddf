//! Issue 15: the page's warm-up (`web/src/warm_up.rs`, started by
//! `web/src/worker_pool.rs`). Once the page is idle, one worker scans the
//! synthetic inputs whole and as two ranges, reports what it scanned on
//! `<html data-warm-up>` and is terminated; `#warm-up=0` turns it off; a
//! file picked while it runs stops it, and is read as always.

use std::time::Duration;

use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::Window;
use cmdhunt_core::scan::FileScan;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, Error, Target};
use cmdhunt_web::warm_up::{inputs, rendered_part, WARM_UP_BYTES};
use serde_json::Value;

use super::counts::check_summary;

/// The page's `data-warm-up` once it is not `running` (or after `limit`).
async fn warm_up_state(page: &Page, limit: Duration) -> Result<String, Error> {
    page.until("the warm-up to end", limit, || async {
        let v = page
            .js(
                "return document.documentElement.dataset.warmUp ?? null;",
                vec![],
            )
            .await?;
        Ok(v.as_str().filter(|s| *s != "running").map(str::to_owned))
    })
    .await
}

/// The warm-up reports, for each input, what the core finds in the same
/// bytes, and both of its ranges together read every record.
async fn reports_what_the_core_finds(page: &Page) -> Result<(), Error> {
    let state = warm_up_state(page, Duration::from_secs(60)).await?;
    let report: Vec<Value> =
        serde_json::from_str(&state).map_err(|e| format!("not a report ({e}): {state}"))?;
    let inputs = inputs(WARM_UP_BYTES);
    ensure_eq!(report.len(), inputs.len(), "inputs warmed up: {state}");
    let rule = CompiledRule::new();
    for (w, (name, bytes)) in report.iter().zip(&inputs) {
        let mut scan = FileScan::new(&rule, 0, name, None);
        scan.push(bytes);
        let (summary, rows) = scan.finish();
        // The EVTX log's first part is also read with every record
        // rendered: as many records as the core reads from values there.
        let rendered = name.ends_with(".evtx").then(|| {
            let mut part = FileScan::new(&rule, 0, name, None);
            part.push(rendered_part(bytes, WARM_UP_BYTES));
            part.finish().0.records
        });
        let want = serde_json::json!({
            "name": name,
            "bytes": bytes.len(),
            "records": summary.records,
            "flagged": rows.len(),
            "skipped": summary.skipped,
            "split_records": summary.records,
            "rendered": rendered,
        });
        ensure_eq!(w, &want, "{name}");
        ensure!(summary.records > 0 && !rows.is_empty(), "{name}: {w}");
    }
    Ok(())
}

async fn warm_up(target: Target) -> Result<(), Error> {
    let page = Page::open(target).await?;
    let result = async {
        reports_what_the_core_finds(&page).await?;
        // Off: nothing is started (the pool's workers are, meanwhile).
        page.reopen_with_fragment("#warm-up=0").await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let state = page
            .js(
                "return document.documentElement.dataset.warmUp ?? null;",
                vec![],
            )
            .await?;
        ensure_eq!(state, Value::Null, "#warm-up=0 starts no warm-up");
        // A warm-up long enough to be running when a file is picked: the
        // file stops it, and is read to the core's results.
        page.reopen_with_fragment("#warm-up=30000000").await?;
        page.until("the warm-up to start", Duration::from_secs(10), || async {
            let v = page
                .js(
                    "return document.documentElement.dataset.warmUp ?? null;",
                    vec![],
                )
                .await?;
            Ok((v.as_str() == Some("running")).then_some(()))
        })
        .await?;
        let csv = super::mde_proc();
        page.upload(std::slice::from_ref(&csv)).await?;
        page.wait_files(1).await?;
        ensure_eq!(
            warm_up_state(&page, Duration::from_secs(5)).await?,
            "stopped",
            "a file picked during the warm-up stops it"
        );
        let reference = Reference::scan(&[csv])?;
        page.choose_window("all").await?;
        ensure_eq!(
            page.settled_count().await?,
            reference.count_all_time(),
            "rows, all time"
        );
        check_summary(&page, &reference, &Window::All).await
    }
    .await;
    let result = match result {
        Ok(()) => Ok(()),
        Err(e) => Err(format!("[{}] {e}\n{}", page.label(), page.diagnose().await).into()),
    };
    page.close().await;
    result
}

#[tokio::test(flavor = "current_thread")]
async fn served() -> Result<(), Error> {
    warm_up(Target::Served).await
}

#[tokio::test(flavor = "current_thread")]
async fn single_file() -> Result<(), Error> {
    warm_up(Target::SingleFile).await
}
