//! Issue test 3: each flag chip keeps exactly the rows the core flags with
//! it; chips combine with "or"; releasing them brings every row back. The
//! built-in sample ("Try the sample") has every flag, the real files add more.

use cmdhunt_core::rule::FLAGS;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, paths, Error};

async fn chips_filter_like_the_core(page: &Page) -> Result<(), Error> {
    let real = [
        super::mde_proc(),
        super::sysmon_fields(),
        super::sysmon_evtx(),
    ];
    let mut all_files = vec![paths::sample_csv()];
    all_files.extend(real.iter().cloned());
    let reference = Reference::scan(&all_files)?;

    page.click("sample-button").await?;
    page.wait_files(1).await?;
    page.upload(&real).await?;
    page.choose_window("all").await?;
    let total = page.settled_count().await?;
    ensure_eq!(
        total,
        reference.count_all_time(),
        "rows, all time (sample + real files)"
    );

    for (f, flag) in FLAGS.iter().enumerate() {
        let want = reference.count_with_flag(f);
        ensure!(want > 0, "the inputs should have {} rows", flag.name);
        page.toggle_chip(flag.name, true).await?;
        ensure_eq!(
            page.settled_count().await?,
            want,
            "rows with chip {} on",
            flag.name
        );
        for (i, cells) in page.rendered_rows().await? {
            ensure_eq!(
                cells.get(6 + f).map(String::as_str),
                Some("true"),
                "row {i} under chip {}",
                flag.name
            );
        }
        page.toggle_chip(flag.name, false).await?;
        ensure_eq!(
            page.settled_count().await?,
            total,
            "rows with chip {} off again",
            flag.name
        );
    }

    // Two chips: rows with either flag.
    let (a, b) = (1, 4);
    let want = reference
        .rows
        .iter()
        .filter(|r| r.verdict.flags.0[a] || r.verdict.flags.0[b])
        .count();
    page.toggle_chip(FLAGS[a].name, true).await?;
    page.toggle_chip(FLAGS[b].name, true).await?;
    ensure_eq!(
        page.settled_count().await?,
        want,
        "rows with {} or {}",
        FLAGS[a].name,
        FLAGS[b].name
    );
    Ok(())
}

on_both_targets!(chips_filter_like_the_core);
