//! Issue test 5: attacker-controlled text is rendered as text. A command
//! line carrying `<img src=x onerror=alert(1)>` shows literally in its cell
//! and in the detail panel, no element is created from it, no dialog opens.

use std::time::Duration;

use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::{cell_texts, Reference};
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, paths, Error};

const PROBE: &str = "<img src=x onerror=alert(1)>";
const REG_ADD: &str =
    r#"cmd.exe /c reg add HKCU\Software\Probe /v x /d "<img src=x onerror=alert(1)>" /f"#;
const DEVICE: &str = "<script>alert(2)</script>ws-07";

/// A Defender-shaped CSV: one `reg add` row carrying the probe, one row that
/// is only the probe (flagged by its winword.exe parent).
fn probe_csv() -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    format!(
        "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine\n\
         2024-05-14T10:00:00Z,{},alice,cmd.exe,{},explorer.exe,explorer.exe\n\
         2024-05-14T10:05:00Z,ws-08,bob,cmd.exe,{},winword.exe,{}\n",
        quote(DEVICE),
        quote(REG_ADD),
        quote(PROBE),
        quote(PROBE),
    )
}

/// Elements the probes would create: images, scripts, links, or any
/// element with an `on...` handler attribute, in the table or the detail.
const INJECTED_JS: &str = r#"
const scope = document.querySelectorAll('[data-testid="results"] *, [data-testid="detail"] *');
const bad = Array.from(scope).filter(e => ['IMG', 'SCRIPT', 'A', 'IFRAME', 'SVG'].includes(e.tagName.toUpperCase())
  || Array.from(e.attributes).some(a => a.name.toLowerCase().startsWith('on')));
return bad.length + document.querySelectorAll('img[src="x"]').length;
"#;

async fn no_dialog(page: &Page) -> Result<(), Error> {
    match page.browser.client.get_alert_text().await {
        Ok(text) => Err(format!("a dialog is open: {text:?}").into()),
        Err(e) if e.to_string().to_lowercase().contains("no such alert") => Ok(()),
        Err(e) => Err(format!("unexpected answer to 'get alert text': {e}").into()),
    }
}

async fn command_lines_render_as_text(page: &Page) -> Result<(), Error> {
    let dir = TempDir::new("xss")?;
    let file = dir.write("probe.csv", probe_csv().as_bytes())?;
    let reference = Reference::scan_one(&file)?;
    ensure_eq!(
        reference.count_all_time(),
        2,
        "core: both probe rows are flagged"
    );

    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    ensure_eq!(page.settled_count().await?, 2, "rows");
    tokio::time::sleep(Duration::from_millis(500)).await; // time for any onerror to fire
    no_dialog(page).await?;

    let rows = page.rendered_rows().await?;
    let commands: Vec<String> = rows.iter().filter_map(|(_, c)| c.get(3).cloned()).collect();
    ensure!(
        commands.iter().any(|c| c == REG_ADD),
        "the reg add command line shows literally: {commands:?}"
    );
    ensure!(
        commands.iter().any(|c| c == PROBE),
        "the bare probe shows literally: {commands:?}"
    );
    let devices: Vec<String> = rows.iter().filter_map(|(_, c)| c.get(1).cloned()).collect();
    ensure!(
        devices.iter().any(|d| d == DEVICE),
        "the device name shows literally: {devices:?}"
    );
    ensure_eq!(
        page.js(INJECTED_JS, vec![]).await?.as_u64(),
        Some(0),
        "elements created from event text"
    );

    // The detail panel marks matched patterns: still text only.
    let row = page
        .browser
        .client
        .find(fantoccini::Locator::Css("[data-testid=\"result-row\"]"))
        .await?;
    row.click().await?;
    let detail = page
        .until("the detail panel", Duration::from_secs(10), || async {
            let t = page.texts("detail-cmdline").await?;
            Ok(t.into_iter().next())
        })
        .await?;
    ensure!(
        detail == REG_ADD || detail == PROBE,
        "the detail shows the command line literally: {detail:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    ensure_eq!(
        page.js(INJECTED_JS, vec![]).await?.as_u64(),
        Some(0),
        "elements created after opening the detail"
    );
    no_dialog(page).await?;
    hostile_corpus(page).await
}

/// `tests/data/xss_corpus.csv` (script tags, handler breakouts,
/// `javascript:` URLs, bidi controls, terminal escapes, CR LF inside a field,
/// a 1 MiB command line): every cell shows exactly the core's text.
async fn hostile_corpus(page: &Page) -> Result<(), Error> {
    let file = paths::fixture("xss_corpus.csv");
    let reference = Reference::scan_one(&file)?;
    page.reopen().await?;
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    let total = page.settled_count().await?;
    ensure_eq!(total, reference.count_all_time(), "rows of the XSS corpus");
    let mut shown = page.first_rows(total).await?;
    let mut want: Vec<Vec<String>> = reference.rows.iter().map(cell_texts).collect();
    shown.sort();
    want.sort();
    // Cells cut to 200 characters in messages (one command line is 1 MiB).
    let short = |row: &[String]| -> Vec<String> {
        row.iter().map(|c| c.chars().take(200).collect()).collect()
    };
    for (got, exp) in shown.iter().zip(&want) {
        ensure!(
            got == exp,
            "a corpus row differs:\n  page: {:?}\n  core: {:?}",
            short(got),
            short(exp)
        );
    }
    ensure_eq!(shown.len(), want.len(), "corpus rows read");
    page.click("result-row").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ensure_eq!(
        page.js(INJECTED_JS, vec![]).await?.as_u64(),
        Some(0),
        "elements created from the corpus"
    );
    no_dialog(page).await
}

on_both_targets!(command_lines_render_as_text);
