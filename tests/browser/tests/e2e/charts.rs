//! The charts against the core, with two real files years apart (a Defender
//! CSV and a Sysmon EVTX log), all time:
//!
//! - the time range text names the core's oldest and newest process-creation
//!   times over both files;
//! - the timeline's bins: each bin's flagged count = the core rows whose time
//!   falls in it (binned with `cmdhunt_core::histogram::bin_index` at the
//!   bins' width), each bin's cmd.exe count = the files' `shell_times` at that
//!   width, and the cmd.exe total (drawn + untimed) = the summaries' cmd.exe
//!   count;
//! - the first host bar: its count = the core rows with that host; a click
//!   puts `host=NAME` in the search box and shows exactly those rows; Enter on
//!   the focused bar (a button) removes it again;
//! - a drag across the timeline around a row's time sets a custom window:
//!   the rows = the core's `Window::Last` with the duration and anchor the
//!   window control then shows, and the window is drawn on the chart.

use std::collections::BTreeMap;

use cmdhunt_core::histogram::{bin_index, width_secs, MAX_LEVEL};
use cmdhunt_core::results::{self, Anchor, Window};
use cmdhunt_core::time::{Duration as Span, Timestamp, TICKS_PER_SEC};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};
use serde_json::json;

/// Every timeline bin: (start ticks, flagged, all).
async fn bins(page: &Page) -> Result<Vec<(i64, u64, u64)>, Error> {
    let v = page
        .js(
            r#"return Array.from(document.querySelectorAll('[data-testid="tbin"]'), g =>
                 [g.dataset.start, Number(g.dataset.flagged), Number(g.dataset.all)]);"#,
            vec![],
        )
        .await?;
    serde_json::from_value::<Vec<(String, u64, u64)>>(v)?
        .into_iter()
        .map(|(s, f, a)| {
            Ok((
                s.parse::<i64>()
                    .map_err(|e| format!("bin start {s:?}: {e}"))?,
                f,
                a,
            ))
        })
        .collect()
}

async fn timeline(page: &Page, reference: &Reference) -> Result<(), Error> {
    let summaries: Vec<_> = reference.files.iter().map(|(_, s)| s).collect();
    let oldest = summaries
        .iter()
        .filter_map(|s| s.oldest)
        .min()
        .ok_or("oldest")?;
    let newest = reference.newest().ok_or("newest")?;
    let range = page.texts("time-range").await?.join(" ");
    ensure!(
        range.contains(&oldest.to_string()) && range.contains(&newest.to_string()),
        "the time range text should name {oldest} and {newest}: {range:?}"
    );

    let bins = bins(page).await?;
    ensure!(bins.len() >= 2, "the timeline has bins: {bins:?}");
    // The bins' width: the gap between two bins, a width of the ladder.
    let gap = bins[1].0 - bins[0].0;
    let level = (0..=MAX_LEVEL)
        .find(|&l| width_secs(l) * TICKS_PER_SEC == gap)
        .ok_or_else(|| format!("the bins' width {gap} ticks is no width of the ladder"))?;
    ensure!(
        bins.iter().all(|b| b.0 % gap == 0),
        "bins start on multiples of their width (epoch-aligned)"
    );
    let mut flagged: BTreeMap<i64, u64> = BTreeMap::new();
    for r in &reference.rows {
        if let Some(t) = r.event.timestamp {
            *flagged.entry(bin_index(t, level)).or_insert(0) += 1;
        }
    }
    let mut all: BTreeMap<i64, u64> = BTreeMap::new();
    for s in &summaries {
        for (i, n) in s.shell_times.at_level(level) {
            *all.entry(i).or_insert(0) += n;
        }
    }
    let first = bin_index(oldest, level);
    ensure_eq!(
        bins.len() as i64,
        bin_index(newest, level) - first + 1,
        "bins from the oldest to the newest time"
    );
    let page_flagged: Vec<u64> = bins.iter().map(|b| b.1).collect();
    let page_all: Vec<u64> = bins.iter().map(|b| b.2).collect();
    let core_flagged: Vec<u64> = (0..bins.len() as i64)
        .map(|k| flagged.get(&(first + k)).copied().unwrap_or(0))
        .collect();
    let core_all: Vec<u64> = (0..bins.len() as i64)
        .map(|k| all.get(&(first + k)).copied().unwrap_or(0))
        .collect();
    ensure_eq!(
        page_flagged,
        core_flagged,
        "flagged rows per bin (width {} s)",
        width_secs(level)
    );
    ensure_eq!(page_all, core_all, "cmd.exe events per bin");
    let shell: u64 = summaries.iter().map(|s| s.shell).sum();
    let untimed: u64 = summaries.iter().map(|s| s.shell_times.untimed()).sum();
    ensure_eq!(
        page_all.iter().sum::<u64>() + untimed,
        shell,
        "every cmd.exe event"
    );
    let total = page.texts("timeline-total").await?.join(" ");
    ensure!(
        total.contains(&format!("among {shell} cmd.exe events")),
        "the caption should count {shell} cmd.exe events: {total:?}"
    );
    Ok(())
}

async fn bars(page: &Page, reference: &Reference) -> Result<(), Error> {
    let all = reference.count_all_time();
    let first = page
        .js(
            r#"const b = document.querySelector('[data-testid="bars-host"] [data-testid="bar"]');
               return b ? [b.dataset.value, b.querySelector('[data-testid="bar-count"]').textContent] : null;"#,
            vec![],
        )
        .await?;
    let (host, shown): (String, String) = serde_json::from_value(first)?;
    let want = reference
        .select(&Window::All)
        .into_iter()
        .filter(|r| r.event.device_name.eq_ignore_ascii_case(&host))
        .count();
    ensure_eq!(
        shown,
        want.to_string(),
        "the first host bar's count ({host})"
    );
    let most = reference
        .rows
        .iter()
        .map(|r| {
            reference
                .rows
                .iter()
                .filter(|s| {
                    s.event
                        .device_name
                        .eq_ignore_ascii_case(&r.event.device_name)
                })
                .count()
        })
        .max()
        .unwrap_or(0);
    ensure_eq!(want, most, "the first bar is the most frequent host");
    let bar = page
        .browser
        .client
        .find(fantoccini::Locator::Css(
            "[data-testid=\"bars-host\"] [data-testid=\"bar\"]",
        ))
        .await?;
    bar.click().await?;
    ensure_eq!(
        page.settled_count().await?,
        want,
        "rows after clicking the {host} bar"
    );
    let search = page
        .js(
            "return document.querySelector('[data-testid=\"search\"]').value;",
            vec![],
        )
        .await?;
    let term = if host.contains(char::is_whitespace) || host.is_empty() {
        format!("host=\"{host}\"")
    } else {
        format!("host={host}")
    };
    ensure_eq!(search, json!(term), "the bar's term in the search box");
    // Keyboard: the bar is a button; Enter removes the term.
    let bar = page
        .browser
        .client
        .find(fantoccini::Locator::Css(
            "[data-testid=\"bars-host\"] [data-testid=\"bar\"][aria-pressed=\"true\"]",
        ))
        .await?;
    bar.send_keys("\u{E007}").await?;
    ensure_eq!(
        page.settled_count().await?,
        all,
        "rows after Enter on the pressed bar"
    );
    let search = page
        .js(
            "return document.querySelector('[data-testid=\"search\"]').value;",
            vec![],
        )
        .await?;
    ensure_eq!(search, json!(""), "the term removed");
    Ok(())
}

/// Drag across the timeline from `a` to `b` (fractions of its width).
async fn drag(page: &Page, a: f64, b: f64) -> Result<(), Error> {
    let done = page
        .js(
            r#"const plot = document.querySelector('[data-testid="timeline-plot"]');
               if (!plot) return false;
               const r = plot.getBoundingClientRect(), y = r.top + r.height / 2;
               const at = f => r.left + f * r.width;
               const fire = (type, x) => plot.dispatchEvent(new MouseEvent(type,
                 { bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0 }));
               fire('mousedown', at(arguments[0]));
               fire('mousemove', at((arguments[0] + arguments[1]) / 2));
               fire('mousemove', at(arguments[1]));
               fire('mouseup', at(arguments[1]));
               return true;"#,
            vec![json!(a), json!(b)],
        )
        .await?;
    ensure!(done == json!(true), "no timeline to drag across");
    Ok(())
}

async fn brush(page: &Page, reference: &Reference) -> Result<(), Error> {
    // Around the time of a row of the first file, on the drawn span.
    let start = Timestamp::parse(&page.texts("timeline-start").await?.join("")).ok_or("start")?;
    let end = Timestamp::parse(&page.texts("timeline-end").await?.join("")).ok_or("end")?;
    let row = reference
        .rows
        .iter()
        .filter(|r| r.file == 0)
        .filter_map(|r| r.event.timestamp)
        .max()
        .ok_or("a timed row")?;
    let f = (row.0 - start.0) as f64 / (end.0 - start.0) as f64;
    drag(page, (f - 0.01).max(0.0), (f + 0.01).min(1.0)).await?;
    page.until(
        "the custom window",
        std::time::Duration::from_secs(10),
        || async {
            let v = page
                .js(
                    "return document.querySelector('[data-testid=\"window-select\"]').value;",
                    vec![],
                )
                .await?;
            Ok((v == json!("custom")).then_some(()))
        },
    )
    .await?;
    page.render_barrier().await?;
    let value = |id: &'static str| async move {
        let v = page
            .js(
                "return document.querySelector(`[data-testid=\"${arguments[0]}\"]`).value;",
                vec![json!(id)],
            )
            .await?;
        Ok::<String, Error>(v.as_str().unwrap_or_default().to_owned())
    };
    let duration = value("window-duration").await?;
    let anchor = value("window-anchor").await?;
    let span = Span::parse(&duration).ok_or_else(|| format!("duration {duration:?}"))?;
    let at = Timestamp::parse(&format!("{anchor}Z")).ok_or_else(|| format!("anchor {anchor:?}"))?;
    ensure!(
        span.0 > 0 && start <= at && at.minus(span) <= end,
        "the brushed window {duration} before {anchor} lies on the chart"
    );
    let window = Window::Last {
        duration: span,
        anchor: Anchor::At(at),
    };
    let want = reference.select(&window).len();
    ensure!(want > 0, "the brush around {row} (fraction {f:.4} of {start}..{end}) should hold rows: {duration} before {anchor}");
    ensure_eq!(
        page.settled_count().await?,
        want,
        "rows in the brushed window {duration} before {anchor}"
    );
    ensure!(
        results::select(&reference.rows, &window, reference.newest()).len() < reference.rows.len(),
        "the brushed window should leave rows out"
    );
    let shaded = page.texts("timeline-window").await?;
    ensure_eq!(shaded.len(), 1, "the window drawn on the timeline");
    Ok(())
}

async fn charts_match_the_core(page: &Page) -> Result<(), Error> {
    let files = [super::mde_proc(), super::sysmon_evtx()];
    let reference = Reference::scan(&files)?;
    page.upload(&files).await?;
    page.wait_files(2).await?;
    page.choose_window("all").await?;
    ensure_eq!(
        page.settled_count().await?,
        reference.count_all_time(),
        "all time"
    );
    timeline(page, &reference).await?;
    bars(page, &reference).await?;
    brush(page, &reference).await?;
    page.screenshot(&super::screenshot_path(&format!(
        "charts-{}.png",
        page.label()
    )))
    .await
}

on_both_targets!(charts_match_the_core);
