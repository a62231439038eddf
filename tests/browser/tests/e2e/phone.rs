//! Issue 13, item 6 (devices): at 390 px (a phone, mobile viewport) the
//! page does not scroll sideways, and the results table shows each row's
//! time in full and its command line at a readable width (over 150 px;
//! it was 0 px), both inside the table's box (no sideways scroll in the
//! table either), before and with the detail panel open.

use cmdhunt_e2e::emulation::{set_viewport, Viewport, PHONE_WIDTH};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, scene, Error};
use serde_json::Value;

/// The page's and the first row's widths.
const LAYOUT_JS: &str = r#"
const d = document.documentElement;
const row = document.querySelector('[data-testid="results"] tbody tr[data-testid="result-row"]');
const w = sel => { const c = row && row.querySelector(sel); return c ? c.getBoundingClientRect().width : -1; };
const time = row && row.querySelector('td.col-0');
const scroller = document.querySelector('[data-testid="results-scroll"]');
const inside = c => { if (!c || !scroller) return false; const a = c.getBoundingClientRect(), b = scroller.getBoundingClientRect(); return a.left >= b.left - 1 && a.right <= b.right + 1; };
const wide = Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > d.clientWidth + 1 && !e.closest('.table-scroll, .table-wrap'))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + Array.from(e.classList).join('.') + ' ' + Math.round(e.getBoundingClientRect().right));
return { viewport: d.clientWidth, scroll_width: Math.max(d.scrollWidth, document.body.scrollWidth),
         time: w('td.col-0'), cmd: w('td.col-3'),
         time_cut: time ? time.scrollWidth > time.clientWidth + 1 : true,
         in_view: inside(time) && inside(row && row.querySelector('td.col-3')),
         time_text: time ? `${time.textContent} (${time.scrollWidth} px of ${time.clientWidth})` : '', wide };
"#;

async fn layout(page: &Page) -> Result<Value, Error> {
    page.render_barrier().await?;
    page.js(LAYOUT_JS, vec![]).await
}

fn check(layout: &Value, when: &str) -> Result<(), Error> {
    let num = |k: &str| layout[k].as_f64().unwrap_or(-1.0);
    ensure_eq!(
        num("viewport"),
        f64::from(PHONE_WIDTH),
        "{when}: the layout viewport is the phone's width"
    );
    ensure!(
        num("scroll_width") <= num("viewport"),
        "{when}: the page scrolls sideways ({} px wide in a {} px viewport; past the edge: {})",
        num("scroll_width"),
        num("viewport"),
        layout["wide"]
    );
    ensure!(
        num("cmd") > 150.0,
        "{when}: the command line cell is {} px wide",
        num("cmd")
    );
    ensure!(
        num("time") > 0.0 && layout["time_cut"] == Value::Bool(false),
        "{when}: the time is shown in full ({} px, cut: {}: {})",
        num("time"),
        layout["time_cut"],
        layout["time_text"]
    );
    ensure!(
        layout["in_view"] == Value::Bool(true),
        "{when}: the time and command line cells are not both inside the table's box (the table is wider than the phone)"
    );
    Ok(())
}

async fn a_phone_reads_time_and_command_line(page: &Page) -> Result<(), Error> {
    set_viewport(page, Viewport::Phone).await?;
    scene::load(page).await?;
    check(&layout(page).await?, "the table")?;
    scene::open_first_row(page).await?;
    check(&layout(page).await?, "with the detail panel open")?;
    set_viewport(page, Viewport::Desktop).await?;
    Ok(())
}

on_both_targets!(a_phone_reads_time_and_command_line);
