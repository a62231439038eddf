//! The rest of the toolbar and the detail panel, against the core: a custom
//! time window (look-back and anchor) selects exactly the core's
//! `Window::Last` rows; the text search keeps the rows whose text columns
//! contain the query, ignoring case; clicking a row opens its detail with
//! the file, the position and every original field of the record.

use std::time::Duration;

use cmdhunt_core::display::display_safe;
use cmdhunt_core::results::{Anchor, Window};
use cmdhunt_core::time::{Duration as Span, Timestamp};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, paths, Error};

/// Rows (all time) whose device, account, command line, parent or parent
/// command line contains `query`, ignoring case.
fn search_count(reference: &Reference, query: &str) -> usize {
    let needle = query.to_lowercase();
    reference
        .rows
        .iter()
        .filter(|r| {
            let e = &r.event;
            [
                &e.device_name,
                &e.account_name,
                &e.process_command_line,
                &e.initiating_process_file_name,
                &e.initiating_process_command_line,
            ]
            .iter()
            .any(|t| t.to_lowercase().contains(&needle))
        })
        .count()
}

async fn custom_window(page: &Page, reference: &Reference) -> Result<(), Error> {
    page.choose_window("custom").await?;
    let mut counts = Vec::new();
    for (duration, secs) in [("6h", 6 * 3600), ("36h", 36 * 3600), ("3d", 3 * 86_400)] {
        page.set_value("window-duration", duration).await?;
        let window = Window::Last {
            duration: Span::from_secs(secs),
            anchor: Anchor::Newest,
        };
        let want = reference.select(&window).len();
        ensure_eq!(
            page.settled_count().await?,
            want,
            "custom window {duration} before the newest event"
        );
        counts.push(want);
    }
    ensure!(
        counts.windows(2).all(|w| w[0] < w[1]),
        "the look-backs should select more and more rows: {counts:?}"
    );

    // Anchored at a time (UTC, as a datetime-local input writes it).
    let anchor = "2021-06-23T15:20";
    let at = Timestamp::parse("2021-06-23T15:20:00Z").ok_or("anchor time")?;
    page.set_value("window-duration", "12h").await?;
    page.set_value("window-anchor", anchor).await?;
    let window = Window::Last {
        duration: Span::from_secs(12 * 3600),
        anchor: Anchor::At(at),
    };
    let want = reference.select(&window).len();
    ensure_eq!(page.settled_count().await?, want, "12h before {anchor}");
    ensure!(
        !counts.contains(&want),
        "the anchor should change the rows ({want} vs {counts:?})"
    );

    page.set_value("window-duration", "soon").await?;
    let error = page
        .until("the window error", Duration::from_secs(10), || async {
            Ok(page.texts("window-error").await?.into_iter().next())
        })
        .await?;
    ensure!(
        error.contains("soon"),
        "the window error should quote the bad duration: {error:?}"
    );
    Ok(())
}

async fn search(page: &Page, reference: &Reference) -> Result<(), Error> {
    page.choose_window("all").await?;
    let input = page
        .browser
        .client
        .find(fantoccini::Locator::Css("[data-testid=\"search\"]"))
        .await?;
    for query in ["RunDLL32", "ipconfig", "MSHTA.exe", "no-such-text-anywhere"] {
        input.clear().await?;
        input.send_keys(query).await?;
        ensure_eq!(
            page.settled_count().await?,
            search_count(reference, query),
            "search {query:?}"
        );
    }
    input.clear().await?;
    page.set_value("search", "").await?;
    ensure_eq!(
        page.settled_count().await?,
        reference.count_all_time(),
        "search cleared"
    );
    Ok(())
}

async fn detail(page: &Page, reference: &Reference) -> Result<(), Error> {
    page.choose_window("all").await?;
    let first = *reference.select(&Window::All).first().ok_or("no rows")?;
    let row = page
        .browser
        .client
        .find(fantoccini::Locator::Css("[data-testid=\"result-row\"]"))
        .await?;
    row.click().await?;
    let source = page
        .until("the detail panel", Duration::from_secs(10), || async {
            Ok(page.texts("detail-source").await?.into_iter().next())
        })
        .await?;
    let name = reference.file_name(first);
    ensure_eq!(
        source,
        format!("{name}, {}", first.position),
        "detail: where the row comes from"
    );
    let cmd = page.texts("detail-cmdline").await?;
    ensure_eq!(
        cmd,
        vec![display_safe(&first.event.process_command_line)],
        "detail: command line (control and bidi characters escaped)"
    );
    let fields = page
        .js(
            r#"return Array.from(document.querySelectorAll('[data-testid="detail-fields"] tr'),
               r => [r.querySelector('th').textContent, r.querySelector('td').textContent]);"#,
            vec![],
        )
        .await?;
    let fields: Vec<(String, String)> = serde_json::from_value(fields)?;
    let want: Vec<(String, String)> = first
        .fields
        .iter()
        .map(|(k, v)| (display_safe(k), display_safe(v)))
        .collect();
    ensure_eq!(fields, want, "detail: every original field");
    page.click("detail-close").await?;
    page.until("the detail to close", Duration::from_secs(10), || async {
        Ok(page.texts("detail").await?.is_empty().then_some(()))
    })
    .await
}

async fn window_search_and_detail_match_the_core(page: &Page) -> Result<(), Error> {
    let file = super::mde_proc();
    let reference = Reference::scan_one(&file)?;
    ensure_eq!(reference.files.len(), 1, "one file");
    ensure_eq!(paths::file_name(&file), "mde_proc_cs1.csv", "file name");
    page.upload(std::slice::from_ref(&file)).await?;
    custom_window(page, &reference).await?;
    search(page, &reference).await?;
    detail(page, &reference).await
}

on_both_targets!(window_search_and_detail_match_the_core);
