//! Issue 10, item 4: the time window says what it hides. Two real exports
//! years apart, read together: the default window (24 h back from the
//! newest event of both) shows none of the older file's rows, and the page
//! says so: the anchor and the bounds in words, an "In window" count per
//! file in the summary, the number outside the window, and "Show all N".
//! A custom anchor is the window's end as well as its start's reference.

use cmdhunt_core::results::{Anchor, Window};
use cmdhunt_core::time::{Duration as Span, Timestamp};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};
use serde_json::json;

use super::counts::check_summary;

async fn the_window_explains_itself(page: &Page) -> Result<(), Error> {
    let files = vec![super::mde_proc(), super::sysmon_evtx()];
    let reference = Reference::scan(&files)?;
    let all = reference.count_all_time();
    let in_day = reference.count_default_window();
    ensure!(
        in_day < all,
        "core: the default window hides rows ({in_day} of {all})"
    );
    let newest = reference.newest().ok_or("core: no event time")?;
    page.upload(&files).await?;
    ensure_eq!(
        page.settled_count().await?,
        in_day,
        "rows in the default window"
    );

    let bounds = page.texts("window-bounds").await?.concat();
    let start = Window::default().bounds(Some(newest)).ok_or("bounds")?.0;
    ensure!(
        bounds.contains(&format!("the newest event read, {newest}"))
            && bounds.contains(&format!("after {start}")),
        "the anchor and bounds in words: {bounds:?}"
    );
    check_summary(page, &reference, &Window::default()).await?;
    let outside = page.texts("outside-window").await?.concat();
    ensure!(
        outside.contains(&format!("{} outside the time window", all - in_day)),
        "the rows outside the window are counted: {outside:?}"
    );
    page.click("show-all").await?;
    ensure_eq!(page.settled_count().await?, all, "after Show all");
    ensure_eq!(
        page.js(
            "return document.querySelector('[data-testid=\"window-select\"]').value;",
            vec![]
        )
        .await?,
        json!("all"),
        "the window control after Show all"
    );
    ensure!(
        page.texts("show-all").await?.is_empty(),
        "no Show all when nothing is hidden"
    );

    // A custom anchor in the middle of the first file: 24 h back from it,
    // and nothing after it (before: the later rows stayed in).
    let mut times: Vec<Timestamp> = reference
        .rows
        .iter()
        .filter(|r| r.file == 0)
        .filter_map(|r| r.event.timestamp)
        .collect();
    times.sort();
    let middle = times.get(times.len() / 2).ok_or("no times")?.to_string();
    let anchor_text = &middle[..19]; // as a datetime-local input writes it
    let anchor = Timestamp::parse(&format!("{anchor_text}Z")).ok_or("anchor")?;
    let window = Window::Last {
        duration: Span::from_secs(24 * 3600),
        anchor: Anchor::At(anchor),
    };
    let want = reference.select(&window);
    let later = reference
        .rows
        .iter()
        .filter(|r| r.event.timestamp.is_some_and(|t| t > anchor))
        .count();
    ensure!(
        !want.is_empty() && later > 0,
        "core: rows inside ({}) and after ({later}) the anchor",
        want.len()
    );
    page.choose_window("custom").await?;
    page.set_value("window-anchor", anchor_text).await?;
    ensure_eq!(
        page.settled_count().await?,
        want.len(),
        "24h back from {anchor_text}"
    );
    let first = page.first_rows(1).await?;
    let first_time = first
        .first()
        .and_then(|r| r.first())
        .cloned()
        .unwrap_or_default();
    let end = anchor.to_string();
    ensure!(
        !first_time.is_empty() && first_time.as_str() <= end.as_str(),
        "the newest row shown ({first_time}) is after the anchor ({end})"
    );
    let bounds = page.texts("window-bounds").await?.concat();
    ensure!(
        bounds.contains(&format!("up to {anchor}")),
        "the custom window's end in words: {bounds:?}"
    );
    check_summary(page, &reference, &window).await
}

on_both_targets!(the_window_explains_itself);
