//! Issue test 1: the flagged count of real files, one at a time and
//! several at once, equals the core's, with the rule's window and all time;
//! the per-file summary agrees with the core's account.

use cmdhunt_core::results::Window;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, paths, Error};

/// The summary line of `name` matches the core's `FileSummary`, and its
/// "In window" cell the core's rows of that file inside `window`.
pub(crate) async fn check_summary(
    page: &Page,
    reference: &Reference,
    window: &Window,
) -> Result<(), Error> {
    let rows = page.summary_rows().await?;
    let selected = reference.select(window);
    for (index, (name, s)) in reference.files.iter().enumerate() {
        let (_, cells) = rows
            .iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| format!("the summary has no line for {name}: {rows:?}"))?;
        let in_window = selected.iter().filter(|r| r.file as usize == index).count() as u64;
        // format, records, process creations, cmd.exe, flagged, 5 flags, skipped, in window
        let want: Vec<String> = [s.records, s.process_creations, s.shell, s.flagged]
            .iter()
            .chain(s.flag_counts.iter())
            .chain([s.skipped, in_window].iter())
            .map(u64::to_string)
            .collect();
        ensure_eq!(
            cells.get(1..).map(<[String]>::to_vec),
            Some(want),
            "summary counts of {name}"
        );
        let format = s.format.map(|f| f.name()).unwrap_or("-");
        ensure_eq!(
            cells.first().map(String::as_str),
            Some(format),
            "summary format of {name}"
        );
    }
    Ok(())
}

async fn counts_match_the_core(page: &Page) -> Result<(), Error> {
    let files = super::real_files();
    let mut sum = 0;
    for file in &files {
        let reference = Reference::scan_one(file)?;
        let name = paths::file_name(file);
        page.reopen().await?;
        page.upload(std::slice::from_ref(file)).await?;
        ensure_eq!(
            page.settled_count().await?,
            reference.count_default_window(),
            "{name}: rows in the rule's 24 h window"
        );
        page.choose_window("all").await?;
        let all = page.settled_count().await?;
        ensure_eq!(all, reference.count_all_time(), "{name}: rows, all time");
        ensure!(all > 0, "{name} should have flagged rows");
        check_summary(page, &reference, &Window::All).await?;
        sum += all;
    }

    page.reopen().await?;
    page.upload(&files).await?;
    let together = Reference::scan(&files)?;
    ensure_eq!(
        page.settled_count().await?,
        together.count_default_window(),
        "all files at once: rule's window (anchored at the newest event of all)"
    );
    page.choose_window("all").await?;
    ensure_eq!(
        page.settled_count().await?,
        sum,
        "all files at once, all time: the sum of each"
    );
    ensure_eq!(
        sum,
        together.count_all_time(),
        "core: sum of each vs all at once"
    );
    check_summary(page, &together, &Window::All).await?;
    let label = page.label().replace(' ', "-");
    page.screenshot(&super::screenshot_path(&format!("screenshot-{label}.png")))
        .await?;
    Ok(())
}

on_both_targets!(counts_match_the_core);
