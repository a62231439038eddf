//! Issue 13, item 5's grid half, on `mde_proc_cs1.csv` (all time):
//! - local time: with the browser's zone set to Asia/Kolkata (DevTools
//!   `Emulation.setTimezoneOverride`), every Timestamp cell reads the core's
//!   time shifted by +05:30 with that offset; off again, the core's UTC text;
//! - the column chooser hides a column (header and cells) and it stays
//!   hidden after a reload (localStorage), as do local time and wrap;
//!   shown again, it is back;
//! - wrap: the table gets `wrap` and the command line's computed
//!   `white-space` becomes `normal` (`nowrap` again when off);
//! - with the detail panel open in a 1100 px window the command-line column
//!   is at least 24ch wide (its own font) and the table scrolls sideways
//!   inside its scroller while the page itself does not.

use cmdhunt_core::results::Window;
use cmdhunt_core::time::{Timestamp, TICKS_PER_SEC};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::{cell_texts, Reference};
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};
use serde_json::json;

/// Minutes east of UTC of the zone the test sets (no daylight saving).
const KOLKATA_EAST: i64 = 330;

/// The core's text of `t` in a zone `east` minutes ahead of UTC.
fn local(t: Timestamp, east: i64) -> String {
    let shifted = Timestamp(t.0 + east * 60 * TICKS_PER_SEC);
    let text = shifted.to_string();
    let body = text.strip_suffix('Z').unwrap_or(&text);
    format!("{body}+{:02}:{:02}", east / 60, east % 60)
}

/// Click the checkbox `testid` and wait for the page to render.
async fn click(page: &Page, testid: &str) -> Result<(), Error> {
    page.click(testid).await?;
    page.render_barrier().await
}

async fn grid_settings(page: &Page) -> Result<(), Error> {
    let file = super::mde_proc();
    let reference = Reference::scan(std::slice::from_ref(&file))?;
    let all = reference.select(&Window::All);
    page.browser
        .cdp(
            "Emulation.setTimezoneOverride",
            json!({ "timezoneId": "Asia/Kolkata" }),
        )
        .await?;
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    let n = page.settled_count().await?;
    ensure_eq!(n, all.len(), "rows, all time");
    let utc: Vec<Vec<String>> = all.iter().map(|r| cell_texts(r)).collect();
    ensure_eq!(page.rows_range(0, n).await?, utc, "UTC by default");

    // Local time.
    click(page, "local-time-toggle").await?;
    let label = page
        .js("return document.querySelector('[data-testid=\"local-time-toggle\"]').parentElement.textContent;", vec![])
        .await?;
    ensure!(
        label.as_str().is_some_and(|l| l.contains("UTC+05:30")),
        "the toggle names the offset: {label}"
    );
    let shown = page.rows_range(0, n).await?;
    let want: Vec<String> = all
        .iter()
        .map(|r| {
            r.event
                .timestamp
                .map(|t| local(t, KOLKATA_EAST))
                .unwrap_or_default()
        })
        .collect();
    let times: Vec<String> = shown.iter().map(|c| c[0].clone()).collect();
    ensure_eq!(times, want, "Timestamp cells in local time");
    let rest: Vec<Vec<String>> = shown.iter().map(|c| c[1..].to_vec()).collect();
    let want_rest: Vec<Vec<String>> = utc.iter().map(|c| c[1..].to_vec()).collect();
    ensure_eq!(rest, want_rest, "the other cells unchanged");
    click(page, "local-time-toggle").await?;
    ensure_eq!(page.rows_range(0, n).await?, utc, "UTC again");

    // The column chooser, kept across a reload.
    page.js(
        "document.querySelector('[data-testid=\"column-chooser\"]').open = true;",
        vec![],
    )
    .await?;
    click(page, "column-DeviceName").await?;
    let names: Vec<String> = page.headers().await?.into_iter().map(|(h, _)| h).collect();
    ensure!(
        !names.iter().any(|h| h == "DeviceName"),
        "DeviceName hidden: {names:?}"
    );
    ensure_eq!(names.len(), 10, "headers with DeviceName hidden");
    let without: Vec<Vec<String>> = utc
        .iter()
        .map(|c| {
            c.iter()
                .enumerate()
                .filter(|(i, _)| *i != 1)
                .map(|(_, s)| s.clone())
                .collect()
        })
        .collect();
    ensure_eq!(
        page.rows_range(0, n).await?,
        without,
        "cells with DeviceName hidden"
    );
    // Local time and wrap on: kept across the reload too.
    click(page, "local-time-toggle").await?;
    click(page, "wrap-toggle").await?;
    page.reopen().await?;
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    ensure_eq!(page.settled_count().await?, n, "rows after the reload");
    let kept = page
        .js(
            r#"const on = id => document.querySelector(`[data-testid="${id}"]`).checked;
               return [on('local-time-toggle'), on('wrap-toggle'),
                       document.querySelector('[data-testid="results"]').classList.contains('wrap')];"#,
            vec![],
        )
        .await?;
    ensure_eq!(
        kept,
        json!([true, true, true]),
        "local time and wrap after a reload"
    );
    let first = page.rows_range(0, 1).await?;
    ensure_eq!(
        first.first().map(|c| c[0].clone()),
        want.first().cloned(),
        "the first time, local after the reload"
    );
    click(page, "local-time-toggle").await?;
    click(page, "wrap-toggle").await?;
    let names: Vec<String> = page.headers().await?.into_iter().map(|(h, _)| h).collect();
    ensure!(
        !names.iter().any(|h| h == "DeviceName"),
        "still hidden after a reload: {names:?}"
    );
    ensure_eq!(
        page.rows_range(0, n).await?,
        without,
        "cells after the reload"
    );
    page.js(
        "document.querySelector('[data-testid=\"column-chooser\"]').open = true;",
        vec![],
    )
    .await?;
    click(page, "column-DeviceName").await?;
    ensure_eq!(page.headers().await?.len(), 11, "DeviceName shown again");
    ensure_eq!(page.rows_range(0, n).await?, utc, "every cell again");

    // Wrap.
    let white_space = r#"const t = document.querySelector('[data-testid="results"]');
        const c = t.querySelector('tr[data-testid="result-row"] td.col-3');
        return [t.classList.contains('wrap'), getComputedStyle(c).whiteSpace, c.getBoundingClientRect().height];"#;
    let before: (bool, String, f64) = serde_json::from_value(page.js(white_space, vec![]).await?)?;
    ensure_eq!(
        (before.0, before.1.as_str()),
        (false, "nowrap"),
        "cells on one line by default"
    );
    click(page, "wrap-toggle").await?;
    let wrapped: (bool, String, f64) = serde_json::from_value(page.js(white_space, vec![]).await?)?;
    ensure_eq!(
        (wrapped.0, wrapped.1.as_str()),
        (true, "normal"),
        "wrapped cells"
    );
    ensure!(
        wrapped.2 > before.2 * 2.0,
        "wrapped rows are taller ({} vs {})",
        wrapped.2,
        before.2
    );
    ensure_eq!(
        page.rows_range(0, n).await?,
        utc,
        "every row still shown, wrapped"
    );
    click(page, "wrap-toggle").await?;

    // The command line keeps 24ch with the detail open; the table scrolls.
    let client = &page.browser.client;
    let (w, h) = client.get_window_size().await?;
    client.set_window_size(1100, 900).await?;
    page.js("document.querySelector('[data-testid=\"results\"] tr[data-testid=\"result-row\"]').click();", vec![]).await?;
    page.until(
        "the detail panel",
        std::time::Duration::from_secs(10),
        || async { Ok((!page.texts("detail").await?.is_empty()).then_some(())) },
    )
    .await?;
    page.render_barrier().await?;
    let measure = r#"
        const width = el => el.getBoundingClientRect().width;
        const ch24 = el => { const s = document.createElement('span'); s.style.font = getComputedStyle(el).font;
          s.style.position = 'absolute'; s.style.whiteSpace = 'pre'; s.textContent = '0'.repeat(24);
          document.body.appendChild(s); const w = width(s); s.remove(); return w; };
        const td = document.querySelector('[data-testid="results"] tr[data-testid="result-row"] td.col-3');
        const th = document.querySelector('[data-testid="results"] thead th.col-3');
        const sc = document.querySelector('[data-testid="results-scroll"]');
        return [width(td), ch24(td), width(th), ch24(th), sc.scrollWidth, sc.clientWidth,
                document.documentElement.scrollWidth, window.innerWidth];"#;
    let m: Vec<f64> = serde_json::from_value(page.js(measure, vec![]).await?)?;
    let result = (|| {
        ensure!(
            m[0] + 0.5 >= m[1],
            "command line cell {} px < 24ch = {} px",
            m[0],
            m[1]
        );
        ensure!(
            m[2] + 0.5 >= m[3],
            "command line header {} px < 24ch = {} px",
            m[2],
            m[3]
        );
        ensure!(
            m[4] > m[5],
            "the table scrolls sideways in its scroller ({} > {})",
            m[4],
            m[5]
        );
        ensure!(
            m[6] <= m[7],
            "the page itself does not scroll sideways ({} > {})",
            m[6],
            m[7]
        );
        Ok::<(), Error>(())
    })();
    client
        .set_window_size(u32::try_from(w)?, u32::try_from(h)?)
        .await?;
    result
}

on_both_targets!(grid_settings);
