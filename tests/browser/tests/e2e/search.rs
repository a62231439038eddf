//! The search box's language against the core: two real files read (so
//! file names differ), all time; each query's row count = the core rows
//! kept by the same rule, written here from the rows' own fields (not the
//! page's code): a word matches the time as the table shows it (RFC 3339
//! UTC; with the grid's local-time toggle on, also the browser's zone, here
//! Asia/Kolkata), a text column or the file name, ignoring case; `field:value` contains,
//! `field=value` is (ignoring case), `-term` excludes; terms AND together. A
//! bad query shows its error under the box and filters nothing.

use std::time::Duration;

use cmdhunt_core::results::Window;
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_core::time::{Timestamp, TICKS_PER_SEC};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};
use serde_json::json;

/// The time as the grid shows it in Asia/Kolkata (+05:30, no daylight saving).
fn local(t: Timestamp) -> String {
    let text = Timestamp(t.0 + 330 * 60 * TICKS_PER_SEC).to_string();
    format!("{}+05:30", text.strip_suffix('Z').unwrap_or(&text))
}

/// What a plain word is looked for in: the time as shown, the five text
/// columns and the file name.
fn plain_texts(reference: &Reference, row: &FlaggedRow) -> Vec<String> {
    let e = &row.event;
    vec![
        e.timestamp.map(|t| t.to_string()).unwrap_or_default(),
        e.device_name.clone(),
        e.account_name.clone(),
        e.process_command_line.clone(),
        e.initiating_process_file_name.clone(),
        e.initiating_process_command_line.clone(),
        reference.file_name(row).to_owned(),
    ]
}

fn contains(text: &str, word: &str) -> bool {
    text.to_lowercase().contains(&word.to_lowercase())
}

fn has_word(reference: &Reference, row: &FlaggedRow, word: &str) -> bool {
    plain_texts(reference, row)
        .iter()
        .any(|t| contains(t, word))
}

/// The core rows (all time) `keep` accepts.
fn count(reference: &Reference, keep: impl Fn(&FlaggedRow) -> bool) -> usize {
    reference
        .select(&Window::All)
        .into_iter()
        .filter(|r| keep(r))
        .count()
}

async fn shows(page: &Page, query: &str, want: usize) -> Result<(), Error> {
    page.set_value("search", query).await?;
    ensure_eq!(page.settled_count().await?, want, "search {query:?}");
    let errors = page.texts("search-error").await?;
    ensure!(
        errors.is_empty(),
        "search {query:?} should parse: {errors:?}"
    );
    Ok(())
}

async fn search_language_matches_the_core(page: &Page) -> Result<(), Error> {
    let files = [super::mde_proc(), super::sysmon_evtx()];
    let reference = Reference::scan(&files)?;
    // A zone without daylight saving, for the local-time part.
    page.browser
        .cdp(
            "Emulation.setTimezoneOverride",
            json!({ "timezoneId": "Asia/Kolkata" }),
        )
        .await?;
    page.upload(&files).await?;
    page.wait_files(2).await?;
    page.choose_window("all").await?;
    let all = reference.count_all_time();
    ensure_eq!(page.settled_count().await?, all, "all time, no search");

    // Time as shown: the hour of the first timed mde row (a prefix of its RFC 3339 text).
    let mde_row = reference
        .rows
        .iter()
        .find(|r| r.file == 0 && r.event.timestamp.is_some())
        .ok_or("no timed row in the first file")?;
    let hour = mde_row.event.timestamp.ok_or("time")?.to_string()[..13].to_owned();
    let by_hour = count(&reference, |r| has_word(&reference, r, &hour));
    ensure!(
        by_hour > 0 && by_hour < all,
        "the hour {hour} should split the rows ({by_hour} of {all})"
    );
    shows(page, &hour, by_hour).await?;
    shows(
        page,
        &format!("time:{hour}"),
        count(&reference, |r| {
            r.event
                .timestamp
                .is_some_and(|t| contains(&t.to_string(), &hour))
        }),
    )
    .await?;

    // File name: a word only the second file's name has.
    let evtx_rows = count(&reference, |r| r.file == 1);
    ensure!(evtx_rows > 0, "the EVTX log has flagged rows");
    shows(
        page,
        "PanacheSysmon",
        count(&reference, |r| has_word(&reference, r, "PanacheSysmon")),
    )
    .await?;
    shows(page, "file:panachesysmon", evtx_rows).await?;
    shows(page, "-file:PANACHESYSMON", all - evtx_rows).await?;

    // field:value (contains) and field=value (is) on a real host.
    let host = mde_row.event.device_name.clone();
    let part = host
        .get(..host.len().min(6))
        .unwrap_or(&host)
        .to_uppercase();
    shows(
        page,
        &format!("host:{part}"),
        count(&reference, |r| contains(&r.event.device_name, &part)),
    )
    .await?;
    let exact = count(&reference, |r| {
        r.event.device_name.eq_ignore_ascii_case(&host)
    });
    ensure!(
        exact > 0 && exact < all,
        "host {host} should split the rows"
    );
    shows(page, &format!("DeviceName={}", host.to_uppercase()), exact).await?;
    shows(page, &format!("-host={host}"), all - exact).await?;

    // -term, a quoted phrase, a flag column, ANDed.
    let reg = count(&reference, |r| !has_word(&reference, r, "reg add"));
    shows(page, "-\"reg add\"", reg).await?;
    let parent = mde_row.event.initiating_process_file_name.clone();
    let combined = count(&reference, |r| {
        contains(&r.event.process_command_line, "/c")
            && !r
                .event
                .initiating_process_file_name
                .eq_ignore_ascii_case(&parent)
            && !r.verdict.flags.0[4]
    });
    shows(
        page,
        &format!("cmd:\"/c\" -parent=\"{parent}\" SuspiciousParent:false"),
        combined,
    )
    .await?;

    // Local time as shown: with the grid's toggle on, the +05:30 text matches too.
    let t = mde_row.event.timestamp.ok_or("time")?;
    let local_hour = local(t)[..13].to_owned();
    let utc_only = count(&reference, |r| has_word(&reference, r, &local_hour));
    let with_local = count(&reference, |r| {
        has_word(&reference, r, &local_hour)
            || r.event
                .timestamp
                .is_some_and(|t| contains(&local(t), &local_hour))
    });
    ensure!(
        with_local > utc_only,
        "the local hour {local_hour} should find more rows than its UTC text ({with_local} vs {utc_only})"
    );
    shows(page, &local_hour, utc_only).await?;
    page.click("local-time-toggle").await?;
    ensure_eq!(
        page.settled_count().await?,
        with_local,
        "local hour {local_hour:?} with local time shown"
    );
    page.click("local-time-toggle").await?;
    ensure_eq!(
        page.settled_count().await?,
        utc_only,
        "local hour {local_hour:?} with UTC shown again"
    );

    // A bad query: the error under the box, the rows not filtered by it.
    page.set_value("search", "hots:srv").await?;
    let error = page
        .until("the search error", Duration::from_secs(10), || async {
            Ok(page.texts("search-error").await?.into_iter().next())
        })
        .await?;
    ensure!(
        error.contains("hots") && error.contains("character 1"),
        "the error should name the field and its place: {error:?}"
    );
    ensure_eq!(
        page.settled_count().await?,
        all,
        "a bad query filters nothing"
    );
    page.set_value("search", "reg \"add").await?;
    let error = page
        .until("the quote error", Duration::from_secs(10), || async {
            Ok(page.texts("search-error").await?.into_iter().next())
        })
        .await?;
    ensure!(
        error.contains("character 5") && error.contains("quote"),
        "{error:?}"
    );
    shows(page, "", all).await
}

on_both_targets!(search_language_matches_the_core);
