//! Issue 15: workers kept warm (`web/src/worker_pool.rs`). While the page is
//! idle it starts two workers and sends each the wasm module alone; a file
//! picked then is read by one of those, already instantiated, and the page
//! starts two more once it is idle again. What they find is the core's.
//!
//! A wrapper around `Worker`, installed before the page's scripts, numbers
//! every worker, records what the page posts to it (`{ module }` alone or a
//! start message, with the time) and when it answers `"warm"`.

use std::time::Duration;

use cmdhunt_core::results::Window;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, Error, Target};
use serde_json::{json, Value};

use super::counts::check_summary;

/// Runs before the page's scripts: numbers workers and records their traffic.
const RECORD_POOL: &str = r#"
window.__pool = [];
const PageWorker = window.Worker;
window.Worker = class extends PageWorker {
  constructor(url, options) {
    super(url, options);
    const w = { id: window.__pool.length, born: performance.now(), posts: [], warm: null };
    window.__pool.push(w);
    this.__record = w;
    this.addEventListener('message', (e) => {
      if (e.data === 'warm' && w.warm === null) w.warm = performance.now();
    });
  }
  postMessage(m, t) {
    const kind = m && typeof m.msg === 'string' ? 'start:' + JSON.parse(m.msg).name
      : m && m.module && m.msg === undefined ? 'module' : 'other';
    this.__record.posts.push({ kind, at: performance.now() });
    return super.postMessage(m, t);
  }
};
"#;

/// The recorded workers.
async fn pool(page: &Page) -> Result<Vec<Value>, Error> {
    let v = page.js("return window.__pool;", vec![]).await?;
    Ok(v.as_array().ok_or("no worker record")?.clone())
}

/// Workers sent the module alone, warm, and not yet given a file.
async fn warm_idle(page: &Page) -> Result<usize, Error> {
    Ok(pool(page)
        .await?
        .iter()
        .filter(|w| {
            let posts = w["posts"].as_array().map(Vec::as_slice).unwrap_or_default();
            !w["warm"].is_null() && posts.len() == 1 && posts[0]["kind"] == json!("module")
        })
        .count())
}

/// Wait until two warm workers are idle.
async fn until_two_warm(page: &Page, what: &str) -> Result<(), Error> {
    page.until(what, Duration::from_secs(30), || async {
        Ok((warm_idle(page).await? >= 2).then_some(()))
    })
    .await
}

/// The one worker given file `name`: it was sent the module alone first,
/// answered "warm" before it was given the file, and was born before
/// `picked_at`; its record.
async fn warm_worker_of(page: &Page, name: &str, picked_at: f64) -> Result<Value, Error> {
    let start = format!("start:{name}");
    let all = pool(page).await?;
    let given: Vec<&Value> = all
        .iter()
        .filter(|w| {
            w["posts"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["kind"] == json!(start)))
        })
        .collect();
    ensure_eq!(given.len(), 1, "workers given {name}");
    let w = given[0];
    let posts = w["posts"].as_array().ok_or("posts")?;
    ensure_eq!(
        posts.iter().map(|p| p["kind"].clone()).collect::<Vec<_>>(),
        vec![json!("module"), json!(start)],
        "{name}: its worker was sent the module alone, then the file"
    );
    let f = |v: &Value| v.as_f64().ok_or(format!("a time: {v}"));
    let (born, warm, given_at) = (f(&w["born"])?, f(&w["warm"])?, f(&posts[1]["at"])?);
    ensure!(
        born < picked_at && warm < given_at,
        "{name}: its worker was started ({born:.0} ms) before the pick ({picked_at:.0} ms) \
         and warm ({warm:.0} ms) before it got the file ({given_at:.0} ms)"
    );
    Ok(w.clone())
}

/// Pick `file`; the page time just before.
async fn pick_at(page: &Page, file: &std::path::Path) -> Result<f64, Error> {
    let now = page.js("return performance.now();", vec![]).await?;
    page.upload(&[file.to_path_buf()]).await?;
    now.as_f64().ok_or_else(|| "a time".into())
}

async fn files_are_read_by_warm_workers(target: Target) -> Result<(), Error> {
    let page = Page::open_with(target, &[RECORD_POOL]).await?;
    let result = async {
        until_two_warm(&page, "two warm workers before any file").await?;
        let (csv, evtx) = (super::mde_proc(), super::sysmon_evtx());
        let first = warm_worker_of(&page, "mde_proc_cs1.csv", pick_at(&page, &csv).await?).await?;
        until_two_warm(&page, "two warm workers again after the first file").await?;
        let picked = pick_at(&page, &evtx).await?;
        let name = "PanacheSysmon_vs_AtomicRedTeam01.evtx";
        let second = warm_worker_of(&page, name, picked).await?;
        ensure!(
            second["id"].as_u64() > first["id"].as_u64(),
            "the second file's worker was started after the first file's: {first} {second}"
        );
        let reference = Reference::scan(&[csv, evtx])?;
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
    files_are_read_by_warm_workers(Target::Served).await
}

#[tokio::test(flavor = "current_thread")]
async fn single_file() -> Result<(), Error> {
    files_are_read_by_warm_workers(Target::SingleFile).await
}
