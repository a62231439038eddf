//! Issue 13, item 2: "Group identical". On `mde_proc_cs1.csv` (all time):
//! the group lines' counts, first and last seen are the core's
//! `grouping::group` of the rows in the table's order; a group opens on
//! Enter (and on click) to exactly its rows; a flag chip, a sort and the
//! rule's window regroup the rows they keep, in their order. On the generated 40,000-record export: the number of groups and the
//! first and last group lines (scrolling the virtual table) are the core's.

use std::collections::BTreeMap;

use cmdhunt_core::display::display_safe;
use cmdhunt_core::grouping::{group, Group};
use cmdhunt_core::results::{select, Window};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::{cell_texts, sorted, Direction, Reference};
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};
use fantoccini::Locator;
use serde_json::json;

/// A group line as read: count, first seen, last seen, command line.
type Line = (usize, String, String, String);

/// The group lines in the DOM now: `(line index, line)`.
async fn group_lines(page: &Page) -> Result<Vec<(usize, Line)>, Error> {
    let v = page
        .js(
            r#"return Array.from(document.querySelectorAll('[data-testid="results"] tbody tr[data-testid="group-row"]'), r => {
                 const t = id => { const c = r.querySelector(`[data-testid="${id}"]`); return c ? c.textContent : ''; };
                 const cmd = r.querySelector('td.col-3');
                 return [Number(r.getAttribute('aria-rowindex')) - 2,
                   [Number(r.getAttribute('data-count')), t('group-first'), t('group-last'), cmd ? cmd.textContent : '']];
               });"#,
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// Lines `start..end` of the grouped table (scrolling as needed).
async fn lines_range(page: &Page, start: usize, end: usize) -> Result<Vec<Line>, Error> {
    let mut seen: BTreeMap<usize, Line> = BTreeMap::new();
    let mut next = start;
    for _ in 0..(end - start + 10) {
        page.scroll_to_row(next).await?;
        page.render_barrier().await?;
        for (i, line) in group_lines(page).await? {
            seen.insert(i, line);
        }
        while seen.contains_key(&next) {
            next += 1;
        }
        if next >= end {
            break;
        }
    }
    page.scroll_to_row(0).await?;
    Ok((start..end).filter_map(|i| seen.remove(&i)).collect())
}

/// What group lines show for `groups` of `reference`'s rows.
fn expected(reference: &Reference, groups: &[Group]) -> Vec<Line> {
    let time =
        |t: Option<cmdhunt_core::time::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    groups
        .iter()
        .map(|g| {
            let head = &reference.rows[g.head()];
            (
                g.count(),
                time(g.first),
                time(g.last),
                display_safe(&head.event.process_command_line),
            )
        })
        .collect()
}

/// The number in `group-total` ("N groups").
async fn group_total(page: &Page) -> Result<usize, Error> {
    page.render_barrier().await?;
    let text = page.texts("group-total").await?.join("");
    text.split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("group-total reads {text:?}").into())
}

async fn set_grouping(page: &Page, on: bool) -> Result<(), Error> {
    let el = page
        .browser
        .client
        .find(Locator::Css("[data-testid=\"group-toggle\"]"))
        .await?;
    if el.prop("checked").await?.as_deref() != Some(if on { "true" } else { "false" }) {
        el.click().await?;
    }
    page.render_barrier().await
}

async fn groups_are_the_cores_and_open_to_their_rows(page: &Page) -> Result<(), Error> {
    let file = super::mde_proc();
    let reference = Reference::scan(std::slice::from_ref(&file))?;
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    let order = select(&reference.rows, &Window::All, reference.newest());
    ensure_eq!(page.settled_count().await?, order.len(), "rows, all time");
    let groups = group(&reference.rows, &order);
    ensure!(
        groups.len() < order.len(),
        "the export repeats rows ({} groups of {} rows)",
        groups.len(),
        order.len()
    );

    set_grouping(page, true).await?;
    ensure_eq!(group_total(page).await?, groups.len(), "groups");
    let want = expected(&reference, &groups);
    ensure_eq!(
        lines_range(page, 0, groups.len()).await?,
        want,
        "group lines (count, first, last, command line)"
    );
    ensure_eq!(
        page.settled_count().await?,
        order.len(),
        "the row count is still the rows'"
    );

    // Enter on the first group of several rows opens it: its rows follow it.
    let (n, big) = groups
        .iter()
        .enumerate()
        .find(|(_, g)| g.count() > 1)
        .ok_or("no group of several rows")?;
    page.scroll_to_row(n).await?;
    page.render_barrier().await?;
    let rows = page
        .browser
        .client
        .find_all(Locator::Css(
            "[data-testid=\"results\"] tbody tr[data-testid=\"group-row\"]",
        ))
        .await?;
    let mut line = None;
    for r in rows {
        if r.attr("aria-rowindex").await?.as_deref() == Some((n + 2).to_string().as_str()) {
            line = Some(r);
        }
    }
    let line = line.ok_or("the group line is not rendered")?;
    page.js("arguments[0].focus();", vec![json!(line)]).await?;
    line.send_keys("\u{E007}").await?; // Enter
    page.until(
        "the group to open",
        std::time::Duration::from_secs(10),
        || async {
            Ok((line.attr("aria-expanded").await?.as_deref() == Some("true")).then_some(()))
        },
    )
    .await?;
    let members = page.rows_range(n + 1, n + 1 + big.count()).await?;
    let want_members: Vec<Vec<String>> = big
        .members
        .iter()
        .map(|&i| cell_texts(&reference.rows[i]))
        .collect();
    ensure_eq!(members, want_members, "the open group's rows");
    // The line after them is the next group.
    if let Some(next) = want.get(n + 1) {
        let after = lines_range(page, n + 1 + big.count(), n + 2 + big.count()).await?;
        ensure_eq!(after.first(), Some(next), "the group after the open one");
    }
    // A click closes it.
    page.scroll_to_row(n).await?;
    page.render_barrier().await?;
    page.js(
        "document.querySelector(`[data-testid=\"results\"] tr[data-testid=\"group-row\"][aria-rowindex=\"${arguments[0]}\"]`).click();",
        vec![json!(n + 2)],
    )
    .await?;
    page.render_barrier().await?;
    ensure_eq!(
        lines_range(page, 0, groups.len()).await?,
        want,
        "closed again"
    );

    // A chip: the groups of the rows it keeps.
    page.toggle_chip("SuspiciousParent", true).await?;
    let kept: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| reference.rows[i].verdict.flags.0[4])
        .collect();
    ensure!(!kept.is_empty(), "rows with SuspiciousParent");
    ensure_eq!(
        page.settled_count().await?,
        kept.len(),
        "rows with SuspiciousParent"
    );
    let chip_groups = group(&reference.rows, &kept);
    ensure_eq!(
        group_total(page).await?,
        chip_groups.len(),
        "groups under the chip"
    );
    ensure_eq!(
        lines_range(page, 0, chip_groups.len()).await?,
        expected(&reference, &chip_groups),
        "group lines under the chip"
    );
    page.toggle_chip("SuspiciousParent", false).await?;

    // A sort: groups in the order of their first row under it (ties in
    // the page's sort keep the rows' arrival order: the file's).
    page.sort_by(1, "ascending").await?;
    let by_device: Vec<usize> = sorted(
        &reference.rows.iter().collect::<Vec<_>>(),
        1,
        Direction::Ascending,
    )
    .into_iter()
    .filter_map(|r| reference.rows.iter().position(|x| std::ptr::eq(x, r)))
    .collect();
    let sorted_groups = group(&reference.rows, &by_device);
    ensure_eq!(
        lines_range(page, 0, sorted_groups.len()).await?,
        expected(&reference, &sorted_groups),
        "group lines sorted by DeviceName"
    );
    page.sort_by(0, "descending").await?;
    // The rule's own window (24 h before the newest event).
    page.choose_window("newest").await?;
    let day = select(&reference.rows, &Window::default(), reference.newest());
    ensure_eq!(
        page.settled_count().await?,
        day.len(),
        "rows in the rule's window"
    );
    let day_groups = group(&reference.rows, &day);
    ensure_eq!(
        group_total(page).await?,
        day_groups.len(),
        "groups in the rule's window"
    );
    ensure_eq!(
        lines_range(page, 0, day_groups.len()).await?,
        expected(&reference, &day_groups),
        "group lines in the rule's window"
    );
    page.choose_window("all").await?;
    set_grouping(page, false).await?;
    ensure!(
        page.texts("group-total").await?.is_empty(),
        "no groups once off"
    );
    ensure_eq!(
        page.rendered_rows().await?.first().map(|r| r.0),
        Some(0),
        "rows again"
    );

    // 40,000 records: the virtual table of groups.
    let dir = TempDir::new("grouping")?;
    let big_file = dir.write(
        "generated_40k.csv",
        super::volume::generated_csv().as_bytes(),
    )?;
    let big_ref = Reference::scan_one(&big_file)?;
    page.reopen().await?;
    page.upload(std::slice::from_ref(&big_file)).await?;
    page.choose_window("all").await?;
    let order = select(&big_ref.rows, &Window::All, big_ref.newest());
    ensure_eq!(
        page.settled_count().await?,
        order.len(),
        "generated rows, all time"
    );
    let groups = group(&big_ref.rows, &order);
    // Time from the click to the second frame after it (grouping, render, layout).
    let ms = page
        .browser
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               const t = performance.now();
               document.querySelector('[data-testid="group-toggle"]').click();
               requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t)));"#,
            vec![],
        )
        .await?;
    eprintln!(
        "[{}] grouping {} rows into {} groups: {ms} ms to the second frame",
        page.label(),
        order.len(),
        groups.len()
    );
    ensure_eq!(group_total(page).await?, groups.len(), "generated: groups");
    let want = expected(&big_ref, &groups);
    let edge = 20.min(groups.len());
    ensure_eq!(
        lines_range(page, 0, edge).await?,
        want[..edge].to_vec(),
        "generated: first group lines"
    );
    let from = groups.len() - edge;
    ensure_eq!(
        lines_range(page, from, groups.len()).await?,
        want[from..].to_vec(),
        "generated: last group lines"
    );
    let in_dom = group_lines(page).await?.len();
    ensure!(
        in_dom > 0 && in_dom < 100,
        "virtual group lines: {in_dom} in the DOM"
    );
    Ok(())
}

on_both_targets!(groups_are_the_cores_and_open_to_their_rows);
