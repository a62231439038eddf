//! Issue 11 (page): the mode switch. Parity is the default ("Sentinel
//! parity"); hardened mode scans every file again and adds exactly the
//! rows `cmdhunt scan --mode hardened` adds (the core's
//! `FileScan::hardened`, which the CLI runs), each labelled in a Detection
//! column, filterable with the parity/hardened chips and explained in the
//! detail panel; the Chrome/Acrobat native-messaging `cmd.exe` rows of the
//! Defender export stay unflagged; back in parity the rows are the parity rows.

use cmdhunt_core::hardened::{all_rules, rules_in, Detection};
use cmdhunt_core::results::Window;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::{cell_texts, Reference};
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

/// Every row shown (all of them), each as its cells, sorted (a multiset).
async fn all_rows(page: &Page, n: usize) -> Result<Vec<Vec<String>>, Error> {
    let mut rows = page.rows_range(0, n).await?;
    ensure_eq!(rows.len(), n, "rows read from the table");
    rows.sort();
    Ok(rows)
}

async fn hardened_mode_adds_the_clis_hardened_rows(page: &Page) -> Result<(), Error> {
    let files = [super::mde_proc(), super::sysmon_evtx()];
    let parity = Reference::scan(&files)?;
    let hardened = Reference::scan_hardened(&files)?;
    let extra: Vec<_> = hardened
        .select(&Window::All)
        .into_iter()
        .filter(|r| r.detection == Detection::Hardened)
        .collect();
    ensure!(!extra.is_empty(), "the files should have hardened rows");
    // The trap: cmd.exe bridging a browser's native-messaging host to pipes.
    let mde = std::fs::read_to_string(super::mde_proc())?;
    ensure!(
        mde.lines()
            .filter(|l| l.contains("chrome-extension://") && l.contains(r"\\.\pipe\"))
            .count()
            >= 2,
        "the Defender export should hold the native-messaging rows"
    );

    page.upload(&files).await?;
    page.choose_window("all").await?;
    let meaning = page.texts("mode-meaning").await?.join("");
    ensure!(
        meaning.starts_with("Sentinel parity"),
        "the default mode is parity: {meaning:?}"
    );
    let n = page.settled_count().await?;
    ensure_eq!(n, parity.count_all_time(), "parity rows, all time");
    ensure_eq!(page.headers().await?.len(), 11, "parity mode's columns");

    page.choose_mode("hardened").await?;
    let n = page.settled_count().await?;
    ensure_eq!(
        n,
        hardened.count_all_time(),
        "rows in hardened mode, all time"
    );
    let headers = page.headers().await?;
    ensure_eq!(
        headers.last().map(|h| h.0.as_str()),
        Some("Detection"),
        "the Detection column"
    );
    let mut want: Vec<Vec<String>> = hardened
        .select(&Window::All)
        .into_iter()
        .map(|r| {
            let mut cells = cell_texts(r);
            cells.push(r.detection.name().to_owned());
            cells
        })
        .collect();
    want.sort();
    ensure_eq!(
        all_rows(page, n).await?,
        want,
        "every row with its Detection"
    );

    page.toggle_chip("hardened", true).await?;
    ensure_eq!(page.settled_count().await?, extra.len(), "hardened chip");
    for (i, cells) in page.rendered_rows().await? {
        ensure_eq!(
            cells.last().map(String::as_str),
            Some("hardened"),
            "row {i}"
        );
    }
    // The detail panel of the first (newest) hardened row: its rules and why.
    page.click("result-row").await?;
    page.render_barrier().await?;
    let rules = page.texts("detail-rules").await?.join("\n");
    for rule in rules_in(extra[0].hardened.rules) {
        ensure!(
            rules.contains(rule.name) && rules.contains(rule.why),
            "detail lacks rule {}: {rules:?}",
            rule.id
        );
    }
    let detection = page.texts("detail-detection").await?.join("");
    ensure!(detection.contains("hardened"), "{detection:?}");
    page.click("detail-close").await?;
    page.toggle_chip("hardened", false).await?;
    page.toggle_chip("parity", true).await?;
    ensure_eq!(
        page.settled_count().await?,
        parity.count_all_time(),
        "parity chip"
    );
    page.toggle_chip("parity", false).await?;

    // Native messaging stays unflagged in hardened mode too.
    page.set_value("search", "chrome-extension").await?;
    ensure_eq!(
        page.settled_count().await?,
        0,
        "native-messaging rows shown"
    );
    page.set_value("search", "").await?;

    ensure_eq!(
        page.texts("hardened-rule").await?.len(),
        all_rules().count(),
        "hardened rules in the rule panel"
    );

    page.choose_mode("parity").await?;
    let n = page.settled_count().await?;
    ensure_eq!(n, parity.count_all_time(), "parity rows again");
    let mut want: Vec<Vec<String>> = parity
        .select(&Window::All)
        .into_iter()
        .map(cell_texts)
        .collect();
    want.sort();
    ensure_eq!(all_rows(page, n).await?, want, "parity rows again, cells");
    Ok(())
}

on_both_targets!(hardened_mode_adds_the_clis_hardened_rows);
