//! Issue 10, item 2: a command line with a right-to-left override (U+202E)
//! is shown with the override as a visible escape, `\u{202e}`, in the
//! table, in the detail panel (where the matched pattern's mark stays on
//! `schtasks /create`, not on reversed text) and in search; the raw text
//! stays in the JSON export.

use std::time::Duration;

use cmdhunt_core::display::display_safe;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::{cell_texts, Reference};
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

/// The issue's example: rendered as is, "gnp.exe & schtasks ..." reads reversed.
const RLO_LINE: &str = "cmd /c echo \u{202e} gnp.exe & schtasks /create /tn upd /tr c:\\u.exe";
/// A device name that an override would reorder too.
const RLO_DEVICE: &str = "ws-\u{202e}10";

fn export() -> String {
    format!(
        "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine\n\
         2024-05-14T10:00:00Z,{RLO_DEVICE},alice,cmd.exe,\"{RLO_LINE}\",explorer.exe,explorer.exe\n\
         2024-05-14T10:05:00Z,ws-11,bob,cmd.exe,\"cmd /c reg add HKCU\\x /f\",explorer.exe,explorer.exe\n"
    )
}

async fn bidi_text_is_shown_escaped(page: &Page) -> Result<(), Error> {
    let dir = TempDir::new("bidi")?;
    let file = dir.write("bidi.csv", export().as_bytes())?;
    let reference = Reference::scan_one(&file)?;
    ensure_eq!(reference.count_all_time(), 2, "core: both rows are flagged");
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    ensure_eq!(page.settled_count().await?, 2, "rows");

    // The table: every cell as the core's text with escapes, no U+202E left.
    let mut shown: Vec<Vec<String>> = page.first_rows(2).await?;
    let mut want: Vec<Vec<String>> = reference.rows.iter().map(cell_texts).collect();
    shown.sort();
    want.sort();
    ensure_eq!(shown, want, "table cells");
    ensure!(
        shown.iter().flatten().all(|c| !c.contains('\u{202e}')),
        "a cell still holds U+202E: {shown:?}"
    );
    let escaped = display_safe(RLO_LINE);
    ensure!(
        escaped.contains("echo \\u{202e} gnp.exe & schtasks /create"),
        "escape form: {escaped}"
    );

    // The detail panel: the same text, the mark on the matched words.
    page.js(
        r#"const rows = Array.from(document.querySelectorAll('[data-testid="result-row"]'));
           rows.find(r => r.textContent.includes('gnp.exe')).click(); return null;"#,
        vec![],
    )
    .await?;
    let detail = page
        .until("the detail panel", Duration::from_secs(10), || async {
            Ok(page.texts("detail-cmdline").await?.into_iter().next())
        })
        .await?;
    ensure_eq!(detail, escaped, "detail command line");
    let marks = page
        .js(
            "return Array.from(document.querySelectorAll('[data-testid=\"detail-cmdline\"] mark'), m => m.textContent);",
            vec![],
        )
        .await?;
    ensure_eq!(
        marks,
        serde_json::json!(["schtasks /create"]),
        "the highlight covers the matched words"
    );
    let fields = page.texts("detail-fields").await?.concat();
    ensure!(
        !fields.contains('\u{202e}') && fields.contains("ws-\\u{202e}10"),
        "the fields are escaped too: {fields:?}"
    );

    // Search finds it by its visible text, escape included, and as stored.
    for (query, n) in [
        ("gnp.exe", 1),
        ("\\u{202e}", 1),
        ("\u{202e} gnp", 1),
        ("reg add", 1),
        ("", 2),
    ] {
        page.set_value("search", query).await?;
        ensure_eq!(page.settled_count().await?, n, "search {query:?}");
    }
    Ok(())
}

on_both_targets!(bidi_text_is_shown_escaped);
