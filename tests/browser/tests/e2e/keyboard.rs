//! Issue 13, item 6 (keyboard): the results table is one tab stop (a
//! roving tabindex: one row `tabindex=0`, every other `-1`); Tab from the
//! controls above lands on a row and the next Tab leaves the table; Down,
//! Up, PageDown, End and Home move the focus (scrolling the virtual table)
//! to exactly the core's row at that place; Enter opens the detail of the
//! focused row (focus moves into the panel); Escape closes it and focus is
//! back on that row.

use std::time::Duration;

use cmdhunt_core::display::display_safe;
use cmdhunt_core::results::Window;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::{cell_texts, Reference};
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::Value;

/// Where the focus is: the focused element's test id, its row position
/// (`aria-rowindex` - 2) and cells when it is a table row, whether it is in
/// the detail panel; and how many rows hold the tab stop.
const FOCUS_JS: &str = r#"
const a = document.activeElement;
const body = document.querySelector('[data-testid="results"] tbody');
const row = a && a.closest('[data-testid="results"] tbody tr');
const scroller = document.querySelector('[data-testid="results-scroll"]');
return {
  testid: a ? (a.getAttribute('data-testid') || a.tagName.toLowerCase()) : '',
  position: row ? Number(row.getAttribute('aria-rowindex')) - 2 : -1,
  cells: row ? Array.from(row.cells).filter(c => !c.hasAttribute('data-extra')).map(c => c.textContent) : [],
  in_detail: !!(a && a.closest('[data-testid="detail"]')),
  stops: body.querySelectorAll('tr[tabindex="0"]').length,
  others: body.querySelectorAll('tr[tabindex="-1"]').length,
  detail_open: !!document.querySelector('[data-testid="detail"]'),
  scroll_top: scroller ? scroller.scrollTop : 0,
};
"#;

async fn focus(page: &Page) -> Result<Value, Error> {
    page.render_barrier().await?;
    page.js(FOCUS_JS, vec![]).await
}

/// `key` pressed on the focused element.
async fn press(page: &Page, key: Key) -> Result<(), Error> {
    page.browser
        .client
        .active_element()
        .await?
        .send_keys(&key)
        .await?;
    Ok(())
}

/// Press `key` on the focused element, then wait until the focus is on the
/// row at `want` (the virtual table may render it a few tasks later).
async fn press_to(page: &Page, key: Key, want: usize) -> Result<Value, Error> {
    press(page, key).await?;
    page.until(
        &format!("focus on row {want} after {key:?}"),
        Duration::from_secs(10),
        || async {
            let f = focus(page).await?;
            Ok((f["position"].as_i64() == Some(want as i64)).then_some(f))
        },
    )
    .await
}

fn cells(f: &Value) -> Vec<String> {
    f["cells"]
        .as_array()
        .map(|a| {
            a.iter()
                .take(11)
                .map(|c| c.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn the_table_works_from_the_keyboard(page: &Page) -> Result<(), Error> {
    let file = super::mde_proc();
    let reference = Reference::scan_one(&file)?;
    let rows = reference.select(&Window::All);
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    let total = page.settled_count().await?;
    ensure_eq!(total, rows.len(), "rows, all time");
    ensure!(
        total > 20,
        "the file should give more rows than a screenful"
    );

    // One tab stop: Tab from the search box reaches a row, the first one.
    let f = focus(page).await?;
    ensure_eq!(
        (f["stops"].as_u64(), f["others"].as_u64().map(|n| n > 5)),
        (Some(1), Some(true)),
        "rows holding the tab stop / the others at -1"
    );
    let search = page
        .browser
        .client
        .find(Locator::Css("[data-testid=\"search\"]"))
        .await?;
    search.click().await?;
    let mut reached = None;
    for _ in 0..40 {
        press(page, Key::Tab).await?;
        let f = focus(page).await?;
        if f["position"].as_i64().unwrap_or(-1) >= 0 {
            reached = Some(f);
            break;
        }
    }
    let f = reached.ok_or("Tab from the search box never reached a row")?;
    ensure_eq!(
        f["position"].as_i64(),
        Some(0),
        "Tab lands on the first row"
    );
    ensure_eq!(cells(&f), cell_texts(rows[0]), "the first row's cells");

    // Arrows, PageDown, End, Home: the focus lands on the core's row there.
    let f = press_to(page, Key::Down, 1).await?;
    ensure_eq!(cells(&f), cell_texts(rows[1]), "row 1 after Down");
    press_to(page, Key::Down, 2).await?;
    let f = press_to(page, Key::Up, 1).await?;
    ensure_eq!(f["stops"].as_u64(), Some(1), "one tab stop after moving");
    let before = f["position"].as_i64().unwrap_or(0);
    press(page, Key::PageDown).await?;
    let f = page
        .until("PageDown to move", Duration::from_secs(10), || async {
            let f = focus(page).await?;
            Ok((f["position"].as_i64().unwrap_or(0) > before + 1).then_some(f))
        })
        .await?;
    let p = usize::try_from(f["position"].as_i64().unwrap_or(0))?;
    ensure_eq!(cells(&f), cell_texts(rows[p]), "row {p} after PageDown");
    let f = press_to(page, Key::End, total - 1).await?;
    ensure_eq!(
        cells(&f),
        cell_texts(rows[total - 1]),
        "the last row after End"
    );
    ensure!(
        f["scroll_top"].as_f64().unwrap_or(0.0) > 0.0,
        "End scrolled the table"
    );
    let f = press_to(page, Key::Home, 0).await?;
    ensure_eq!(cells(&f), cell_texts(rows[0]), "the first row after Home");
    press_to(page, Key::Down, 1).await?;
    let f = press_to(page, Key::Down, 2).await?;
    ensure_eq!(cells(&f), cell_texts(rows[2]), "row 2");

    // Enter opens the detail of row 2, focus in the panel; Escape closes
    // it and focus is back on row 2.
    press(page, Key::Enter).await?;
    let f = page
        .until("the detail, focused", Duration::from_secs(10), || async {
            let f = focus(page).await?;
            Ok(
                (f["detail_open"] == Value::Bool(true) && f["in_detail"] == Value::Bool(true))
                    .then_some(f),
            )
        })
        .await?;
    ensure_eq!(f["testid"].as_str(), Some("detail"), "the focused element");
    let shown = page.texts("detail-cmdline").await?.join("");
    ensure_eq!(
        shown,
        display_safe(&rows[2].event.process_command_line),
        "the detail shows row 2's command line"
    );
    press(page, Key::Escape).await?;
    let f = page
        .until(
            "the detail to close and the focus to return",
            Duration::from_secs(10),
            || async {
                let f = focus(page).await?;
                Ok(
                    (f["detail_open"] == Value::Bool(false) && f["position"].as_i64() == Some(2))
                        .then_some(f),
                )
            },
        )
        .await?;
    ensure_eq!(
        f["testid"].as_str(),
        Some("result-row"),
        "focus is on the row"
    );
    ensure_eq!(
        cells(&f),
        cell_texts(rows[2]),
        "the row the detail was opened from"
    );

    // Tab from a row leaves the table: it is one stop, not one per row.
    press(page, Key::Tab).await?;
    let f = focus(page).await?;
    ensure_eq!(
        f["position"].as_i64(),
        Some(-1),
        "Tab from a row leaves the table (now on {})",
        f["testid"]
    );
    Ok(())
}

on_both_targets!(the_table_works_from_the_keyboard);
