//! Issue 13, item 1: why each row matched. On the real Defender export
//! `mde_proc_cs1.csv` (all time): every row's `Matched` cell is the core's
//! `why` text for that row (`cmdhunt_core::why`, the matcher's own needle
//! names), in the table's order; each pattern chip's count is the core's and
//! it shows exactly the core rows with that pattern; "parent only" and
//! "pattern only" show exactly the rows whose one reason is of that kind;
//! in hardened mode every row's `Matched` also names the hardened rules
//! (the core's `FileScan::hardened` rows); with a `#config=` link whose
//! pattern list is reordered, `Matched` names the config's needles.

use std::time::Duration;

use cmdhunt_core::display::display_safe;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::Window;
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_core::tuning::Config;
use cmdhunt_core::why::{reason, Names, Reason};
use cmdhunt_e2e::page::{config_fragment, Page};
use cmdhunt_e2e::reference::{cell_texts, Reference};
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};
use fantoccini::Locator;

/// Every row shown (scrolling the virtual table): its 11 cells and its
/// `Matched` text, in display order.
async fn shown_rows(page: &Page, n: usize) -> Result<Vec<(Vec<String>, String)>, Error> {
    let cells = page.rows_range(0, n).await?;
    let mut matched = std::collections::BTreeMap::new();
    let mut next = 0;
    for _ in 0..n + 10 {
        for (i, extras) in page.extra_cells().await? {
            if let Some((_, text)) = extras.into_iter().find(|(k, _)| k == "matched") {
                matched.insert(i, text);
            }
        }
        while matched.contains_key(&next) {
            next += 1;
        }
        if next >= n {
            break;
        }
        page.scroll_to_row(next).await?;
        page.render_barrier().await?;
    }
    page.scroll_to_row(0).await?;
    ensure_eq!(cells.len(), n, "rows read");
    Ok(cells
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, matched.remove(&i).unwrap_or_default()))
        .collect())
}

/// What the page should show for `rows` (display order): cells and Matched.
fn expected(names: &Names<'_>, rows: &[&FlaggedRow]) -> Vec<(Vec<String>, String)> {
    rows.iter()
        .map(|r| (cell_texts(r), display_safe(&names.why(r).text())))
        .collect()
}

/// Click the element matching `css` and wait until its `aria-pressed` is `on`.
async fn press(page: &Page, css: &str, on: bool) -> Result<(), Error> {
    let el = page.browser.client.find(Locator::Css(css)).await?;
    el.click().await?;
    let want = on.to_string();
    page.until(
        &format!("{css} pressed={on}"),
        Duration::from_secs(10),
        || async {
            Ok((el.attr("aria-pressed").await?.as_deref() == Some(want.as_str())).then_some(()))
        },
    )
    .await
}

async fn matched_column_and_chips_are_the_cores_why(page: &Page) -> Result<(), Error> {
    let file = super::mde_proc();
    let reference = Reference::scan(std::slice::from_ref(&file))?;
    let rule = CompiledRule::new();
    let names = Names::of(&rule);
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    let all = reference.select(&Window::All);
    let total = page.settled_count().await?;
    ensure_eq!(total, all.len(), "rows, all time");

    // The Matched header is there, beside the 11 projected ones.
    let header = page
        .js(
            "const th = document.querySelector('[data-testid=\"results\"] thead th[data-extra=\"matched\"]'); return th ? th.textContent : null;",
            vec![],
        )
        .await?;
    ensure_eq!(header.as_str(), Some("Matched"), "the Matched header");
    ensure_eq!(page.headers().await?.len(), 11, "projected headers");

    // Every row: cells and Matched = the core's, in the rule's order.
    let want = expected(&names, &all);
    ensure!(
        want.iter().any(|(_, m)| m.contains("parent: "))
            && want.iter().any(|(_, m)| !m.contains("parent: ")),
        "the export has rows with and without a parent reason"
    );
    ensure_eq!(
        shown_rows(page, total).await?,
        want,
        "every row's cells and Matched text"
    );

    // One chip per pattern present, with the core's count; each shows
    // exactly the core's rows with that pattern.
    let chips = page
        .js(
            r#"return Array.from(document.querySelectorAll('[data-testid="why-chip"]'),
                 c => [Number(c.getAttribute('data-bit')), c.getAttribute('data-name'), c.textContent]);"#,
            vec![],
        )
        .await?;
    let chips: Vec<(usize, String, String)> = serde_json::from_value(chips)?;
    let mut want_chips = Vec::new();
    for (bit, name) in names.patterns.iter().enumerate() {
        let n = all
            .iter()
            .filter(|r| r.verdict.patterns & (1 << bit) != 0)
            .count();
        if n > 0 {
            want_chips.push((
                bit,
                (*name).to_owned(),
                format!("{} ({n})", display_safe(name)),
            ));
        }
    }
    ensure!(want_chips.len() >= 2, "the export matches several patterns");
    ensure_eq!(chips, want_chips, "the pattern chips (bit, name, label)");
    for (bit, name, _) in &want_chips {
        let css = format!("[data-testid=\"why-chip\"][data-bit=\"{bit}\"]");
        press(page, &css, true).await?;
        let rows: Vec<&FlaggedRow> = all
            .iter()
            .copied()
            .filter(|r| r.verdict.patterns & (1 << bit) != 0)
            .collect();
        let n = page.settled_count().await?;
        ensure_eq!(n, rows.len(), "rows with pattern {name}");
        ensure_eq!(
            shown_rows(page, n).await?,
            expected(&names, &rows),
            "rows with pattern {name}"
        );
        press(page, &css, false).await?;
        ensure_eq!(page.settled_count().await?, total, "chip {name} off again");
    }

    // "Parent only" and "pattern only".
    for (testid, kind) in [
        ("why-only-parent", Reason::ParentOnly),
        ("why-only-pattern", Reason::PatternOnly),
    ] {
        let css = format!("[data-testid=\"{testid}\"]");
        let rows: Vec<&FlaggedRow> = all.iter().copied().filter(|r| reason(r) == kind).collect();
        ensure!(!rows.is_empty(), "the export has {kind:?} rows");
        let label = page.texts(testid).await?.join("");
        ensure!(
            label.ends_with(&format!("({})", rows.len())),
            "{testid} reads {label:?}, core {}",
            rows.len()
        );
        press(page, &css, true).await?;
        let n = page.settled_count().await?;
        ensure_eq!(n, rows.len(), "{testid} rows");
        let shown = shown_rows(page, n).await?;
        ensure_eq!(shown, expected(&names, &rows), "{testid} rows");
        for (_, matched) in &shown {
            let only_parent = matched.starts_with("parent: ");
            ensure_eq!(
                only_parent,
                kind == Reason::ParentOnly,
                "{testid}: {matched:?}"
            );
        }
        press(page, &css, false).await?;
    }
    ensure_eq!(page.settled_count().await?, total, "every chip off");

    // Hardened mode: Matched names the hardened rules that fired too.
    let hardened = Reference::scan_hardened(std::slice::from_ref(&file))?;
    page.choose_mode("hardened").await?;
    let rows = hardened.select(&Window::All);
    let n = page.settled_count().await?;
    ensure_eq!(n, rows.len(), "rows in hardened mode");
    let mut want: Vec<(Vec<String>, String)> = rows
        .iter()
        .map(|r| {
            let mut cells = cell_texts(r);
            cells.push(r.detection.name().to_owned());
            (cells, display_safe(&names.why(r).text()))
        })
        .collect();
    ensure!(
        want.iter().any(|(_, m)| m.starts_with("hardened: ")),
        "the export has hardened-only rows"
    );
    want.sort();
    let mut shown = shown_rows(page, n).await?;
    shown.sort();
    ensure_eq!(
        shown,
        want,
        "hardened mode: every row's cells, Detection and Matched"
    );

    // A config's own lists (the first pattern moved last, so every
    // pattern's bit moves) name their needles: Matched = the core's why
    // with the config's compiled rule.
    let mut config = Config::default();
    config.patterns.rotate_left(1);
    let config = Config::parse(&config.to_json())?;
    let moved = config.patterns.last().cloned().unwrap_or_default();
    page.reopen_with_fragment(&config_fragment(&config)).await?;
    page.until("the linked lists", Duration::from_secs(10), || async {
        let listed = page.texts("rule-patterns").await?.join("\n");
        Ok(listed.trim_end().ends_with(moved.as_str()).then_some(()))
    })
    .await?;
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    let rule = config.compile().map_err(|e| e.to_string())?;
    let tuned = Reference::scan_tuned(std::slice::from_ref(&file), &rule)?;
    let rows = tuned.select(&Window::All);
    let n = page.settled_count().await?;
    ensure_eq!(n, rows.len(), "rows with the config's lists");
    let tuned_names = Names::of(&rule);
    let want = expected(&tuned_names, &rows);
    ensure_eq!(
        shown_rows(page, n).await?,
        want,
        "Matched with the config's lists"
    );
    Ok(())
}

on_both_targets!(matched_column_and_chips_are_the_cores_why);
