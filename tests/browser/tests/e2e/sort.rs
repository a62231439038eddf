//! Issue test 2: clicking headers sorts the table like the core's rows
//! sorted the same way, `aria-sort` says so, and the default is the rule's
//! `sort by Timestamp desc`. Every row is read, scrolling the virtual table.

use cmdhunt_core::results::Window;
use cmdhunt_core::rule::PROJECTED_COLUMNS;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::{cell_texts, sort_key, sorted, Direction, Reference};
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

/// The page's rows, as a sorted list of cell texts (to compare as multisets).
fn multiset(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.sort();
    rows
}

/// The sort column's text in a page row (the parent without its "(inferred)" marker).
fn page_key(cells: &[String], col: usize) -> String {
    let text = cells.get(col).cloned().unwrap_or_default();
    match text.strip_suffix(" (inferred)") {
        Some(t) if col == 4 => t.to_string(),
        _ => text,
    }
}

async fn check_order(
    page: &Page,
    reference: &Reference,
    col: usize,
    direction: Direction,
) -> Result<(), Error> {
    let all = reference.select(&Window::All);
    let want = sorted(&all, col, direction);
    let shown = page.first_rows(want.len()).await?;
    ensure_eq!(shown.len(), want.len(), "rows read from the table");
    let name = PROJECTED_COLUMNS[col];
    let got_keys: Vec<String> = shown.iter().map(|c| page_key(c, col)).collect();
    let want_keys: Vec<String> = want.iter().map(|r| sort_key(r, col)).collect();
    ensure_eq!(
        got_keys,
        want_keys,
        "{name} {}: the column's values in row order",
        direction.aria()
    );
    let want_rows: Vec<Vec<String>> = want.iter().map(|r| cell_texts(r)).collect();
    ensure_eq!(
        multiset(shown),
        multiset(want_rows),
        "{name} {}: the rows shown",
        direction.aria()
    );
    let headers = page.headers().await?;
    for (i, (text, aria)) in headers.iter().enumerate() {
        let expect = if i == col { direction.aria() } else { "none" };
        ensure_eq!(
            aria.as_str(),
            expect,
            "aria-sort of {text} while sorted by {name}"
        );
    }
    Ok(())
}

async fn headers_sort_like_the_core(page: &Page) -> Result<(), Error> {
    let files = [
        super::mde_proc(),
        super::sysmon_fields(),
        super::sysmon_evtx(),
    ];
    let reference = Reference::scan(&files)?;
    page.upload(&files).await?;
    page.choose_window("all").await?;
    let total = page.settled_count().await?;
    ensure_eq!(total, reference.count_all_time(), "rows, all time");
    ensure!(total > 40, "enough rows ({total}) to need scrolling");
    let in_dom = page.rendered_rows().await?.len();
    ensure!(
        in_dom > 0 && in_dom < total,
        "virtual rows: {in_dom} of {total} rows should be in the DOM"
    );

    let headers: Vec<String> = page.headers().await?.into_iter().map(|(t, _)| t).collect();
    ensure_eq!(
        headers,
        PROJECTED_COLUMNS.to_vec(),
        "the 11 projected columns"
    );
    check_order(page, &reference, 0, Direction::Descending).await?;

    // (column, direction after each click), from the default sort.
    let clicks = [
        (0, Direction::Ascending),
        (1, Direction::Ascending),
        (1, Direction::Descending),
        (2, Direction::Ascending),
        (3, Direction::Ascending),
        (4, Direction::Ascending),
        (4, Direction::Descending),
        (5, Direction::Ascending),
        (10, Direction::Descending),
        (10, Direction::Ascending),
        (7, Direction::Descending),
        (0, Direction::Descending),
    ];
    for (col, direction) in clicks {
        page.sort_by(col, direction.aria()).await?;
        check_order(page, &reference, col, direction).await?;
    }
    Ok(())
}

on_both_targets!(headers_sort_like_the_core);
