//! Issue 15: one big CSV read by two workers at once, over two byte ranges
//! (`web/src/split_job.rs`), gives exactly what one worker reading the whole
//! file gives.
//!
//! The page opened with `#split-threshold=BYTES` splits files from that size
//! (64 MiB otherwise), so real exports from `shared/data` are split. A
//! wrapper around `Worker.prototype.postMessage`, installed by the test,
//! records every start message: each file's ranges are checked against the
//! core's own plan (`split::plan`), so a file that was not split (or split
//! elsewhere) fails the test. Expected values come from `cmdhunt_core`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::Window;
use cmdhunt_core::scan::FileScan;
use cmdhunt_core::split::json::{JsonPlan, JsonRangeScan};
use cmdhunt_core::split::{self, Plan, RangeScan};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::{cell_texts, Reference};
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, ensure_eq, Error};
use serde_json::{json, Value};

use super::counts::check_summary;
use super::export::download;

/// Record the page's start messages to its workers, and its words to a
/// waiting first range (`{ readOn }`, by the file's name), and set the
/// threshold.
const SPLIT_PAGE_JS: &str = r#"
if (!window.__cmdhuntStarts) {
  window.__cmdhuntStarts = [];
  window.__cmdhuntWords = [];
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (m, t) {
    if (m && typeof m.msg === 'string') {
      const start = JSON.parse(m.msg);
      start.byob = m.byob;
      window.__cmdhuntStarts.push(start);
      this.__cmdhuntName = start.name;
    } else if (m && typeof m.readOn === 'boolean') {
      window.__cmdhuntWords.push({ name: this.__cmdhuntName, readOn: m.readOn });
    }
    return post.apply(this, arguments);
  };
}
location.hash = '#split-threshold=' + arguments[0] + '&split-at=' + arguments[1] + arguments[2];
return null;
"#;

/// Files from `threshold` bytes are split, at fraction `at` of the file.
async fn split_from(page: &Page, threshold: u64, at: f64) -> Result<(), Error> {
    split_with(page, threshold, at, "").await
}

/// [`split_from`], with `more` (`&key=value...`) added to the fragment.
async fn split_with(page: &Page, threshold: u64, at: f64, more: &str) -> Result<(), Error> {
    page.js(
        SPLIT_PAGE_JS,
        vec![json!(threshold), json!(at), json!(more)],
    )
    .await?;
    Ok(())
}

/// What every start message's envelope said about the BYOB reader
/// (`true`, `false`; `null` if it said nothing).
async fn byob_flags(page: &Page) -> Result<Vec<Value>, Error> {
    let starts = page.js("return window.__cmdhuntStarts;", vec![]).await?;
    Ok(starts
        .as_array()
        .ok_or("no start messages recorded")?
        .iter()
        .map(|s| s["byob"].clone())
        .collect())
}

/// The ranges the page asked its workers to read for file `name`:
/// `(start, end, header_end)`, in start order (none: read whole).
async fn ranges_of(page: &Page, name: &str) -> Result<Vec<(u64, u64, u64)>, Error> {
    let starts = page.js("return window.__cmdhuntStarts;", vec![]).await?;
    let mut ranges = Vec::new();
    for s in starts.as_array().ok_or("no start messages recorded")? {
        if s["name"] != json!(name) {
            continue;
        }
        let r = &s["range"];
        if r.is_null() {
            continue;
        }
        let n = |k: &str| r[k].as_u64().ok_or(format!("range {k}: {r}"));
        ranges.push((n("start")?, n("end")?, n("header_end")?));
    }
    ranges.sort_unstable();
    Ok(ranges)
}

/// The core's plan for `bytes`, as the page makes it (its first bytes and
/// a window at fraction `at` of it).
fn core_plan(bytes: &[u8], at: f64) -> Option<Plan> {
    let size = bytes.len() as u64;
    let head = &bytes[..bytes.len().min(split::HEAD_BYTES)];
    let (start, end) = split::window(size, at);
    split::plan(head, &bytes[start as usize..end as usize], start, size)
}

/// The page read `path` as the core's two ranges (cut at fraction `at`).
async fn check_split(page: &Page, path: &Path, at: f64) -> Result<Plan, Error> {
    let bytes = std::fs::read(path)?;
    let name = path.file_name().and_then(|n| n.to_str()).ok_or("a name")?;
    let plan =
        core_plan(&bytes, at).ok_or_else(|| format!("{name}: the core does not split it"))?;
    let size = bytes.len() as u64;
    let h = plan.header_end as u64;
    ensure_eq!(
        ranges_of(page, name).await?,
        vec![(0, plan.boundary, h), (plan.boundary, size, h)],
        "{name}: the two workers' ranges = the core's plan"
    );
    Ok(plan)
}

/// Open row `index` (display order) in the detail panel; its source line.
async fn detail_source(page: &Page, index: usize) -> Result<String, Error> {
    page.scroll_to_row(index).await?;
    page.until(
        &format!("row {index} to open"),
        Duration::from_secs(10),
        || async {
            let clicked = page
                .js(
                    r#"const r = document.querySelector(`[data-testid="result-row"][aria-rowindex="${arguments[0] + 2}"]`);
                       if (!r) return false; r.click(); return true;"#,
                    vec![json!(index)],
                )
                .await?;
            if clicked != json!(true) {
                return Ok(None);
            }
            Ok(page.texts("detail-source").await?.into_iter().next())
        },
    )
    .await
}

/// All time: the page's rows (every cell, in order) and summary lines = the
/// core's whole-file scan.
async fn rows_and_summary_equal_the_core(page: &Page, reference: &Reference) -> Result<(), Error> {
    page.choose_window("all").await?;
    let n = page.settled_count().await?;
    ensure_eq!(n, reference.count_all_time(), "rows, all time");
    let want: Vec<Vec<String>> = reference
        .select(&Window::All)
        .iter()
        .map(|r| cell_texts(r))
        .collect();
    ensure_eq!(
        page.rows_range(0, n).await?,
        want,
        "every cell of every row"
    );
    check_summary(page, reference, &Window::All).await
}

/// The page's CSV export (all time) = the core's.
async fn csv_export_equals_the_core(page: &Page, reference: &Reference) -> Result<(), Error> {
    let csv = download(page, "export-csv", "cmdhunt-results.csv").await?;
    ensure!(
        csv == reference.csv_export(&Window::All),
        "the CSV export = the core's"
    );
    Ok(())
}

/// Every real Defender CSV in `shared/data`, the page's sample and the
/// Defender portal fixture (BOM, other column order), split from 8 KiB.
fn real_csvs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = [
        "mde_proc_cs1.csv",
        "processes_on_host.csv",
        "process_tree.csv",
        "advanced_hunting_test.csv",
    ]
    .iter()
    .map(|n| cmdhunt_e2e::paths::shared_data(&format!("defender/{n}")))
    .collect();
    files.push(cmdhunt_e2e::paths::sample_csv());
    files.push(super::defender_portal());
    files
}

/// Real exports, each read by two workers: the table (every cell of every
/// row), the summary line, the detail's positions and both exports = the
/// core's whole-file scan.
async fn real_files_split_equal_the_core(page: &Page) -> Result<(), Error> {
    let files = real_csvs();
    split_from(page, 8 << 10, 0.5).await?;
    page.upload(&files).await?;
    // Files the core would not split (e.g. a 4688-style export with
    // `NewProcessId`, whose parents come from earlier records) stay whole.
    let mut plans = Vec::new();
    for f in &files {
        if core_plan(&std::fs::read(f)?, 0.5).is_some() {
            plans.push(Some(check_split(page, f, 0.5).await?));
        } else {
            let name = f.file_name().and_then(|n| n.to_str()).ok_or("a name")?;
            ensure_eq!(ranges_of(page, name).await?, vec![], "{name} read whole");
            plans.push(None);
        }
    }
    let split = plans.iter().flatten().count();
    ensure!(split >= 2, "{split} of the real files split");
    let reference = Reference::scan(&files)?;
    rows_and_summary_equal_the_core(page, &reference).await?;
    let all = reference.select(&Window::All);
    let statuses = page.file_statuses().await?;
    ensure!(
        statuses.iter().all(|(_, s)| s == "done"),
        "every file done: {statuses:?}"
    );

    // Positions: rows from each file's second range (shifted by the page)
    // and its first, in the detail panel.
    let mut seconds = 0;
    for (file, plan) in plans.iter().enumerate() {
        let Some(plan) = plan else { continue };
        let second = all
            .iter()
            .position(|r| r.file as usize == file && r.position.byte >= plan.boundary);
        let first = all
            .iter()
            .position(|r| r.file as usize == file && r.position.byte < plan.boundary);
        seconds += usize::from(second.is_some());
        for i in [second, first].into_iter().flatten() {
            let row = all[i];
            ensure_eq!(
                detail_source(page, i).await?,
                format!("{}, {}", reference.file_name(row), row.position),
                "detail of row {i}"
            );
        }
    }
    ensure!(
        seconds >= 2,
        "rows of {seconds} files' second ranges checked"
    );
    page.click("detail-close").await?;

    csv_export_equals_the_core(page, &reference).await?;
    let json = download(page, "export-json", "cmdhunt-results.json").await?;
    let got: Value = serde_json::from_str(&json)?;
    // The rows (the document's `rows` when it carries a context too).
    let got = match got.get("rows") {
        Some(rows) => rows.clone(),
        None => got,
    };
    ensure_eq!(
        got,
        Value::Array(reference.json_export(&Window::All)?),
        "the JSON export's rows = the core's"
    );
    Ok(())
}

/// A Defender-shaped export whose middle lies inside a quoted, flagged
/// `ProcessCommandLine` of 3,000 lines: the split's candidate boundary (the
/// first line start after the middle) is inside the quotes.
fn write_quoted_seam(path: &Path) -> Result<(), Error> {
    let mut out = String::from(
        "Timestamp,DeviceName,AccountName,ActionType,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine\n",
    );
    let row = |n: usize| {
        let cmd = if n % 7 == 0 {
            "cmd.exe /c schtasks /create /tn t /tr c:\\t.exe /sc daily"
        } else {
            "cmd.exe /c ipconfig /all"
        };
        format!(
            "2024-05-01T{:02}:{:02}:00Z,ws-{n},user{n},ProcessCreated,cmd.exe,\"{cmd} #{n}\",explorer.exe,explorer.exe\n",
            n / 60 % 24,
            n % 60
        )
    };
    for n in 0..1_000 {
        out.push_str(&row(n));
    }
    out.push_str("2024-05-01T12:00:00Z,ws-q,userq,ProcessCreated,cmd.exe,\"cmd.exe /c vssadmin delete shadows /all /quiet");
    for i in 0..3_000 {
        out.push_str(&format!("\nline {i}, \"\"quoted\"\" in a quoted field"));
    }
    out.push_str("\",winword.exe,\"winword.exe /n\"\n");
    for n in 1_000..2_000 {
        out.push_str(&row(n));
    }
    std::fs::write(path, out)?;
    Ok(())
}

/// The seam inside quotes: the first worker finds its last record does not
/// end at the boundary, reads on to the end, and the page drops the second
/// worker's work; the results still equal the core's.
async fn a_seam_inside_quotes_is_rescanned(page: &Page) -> Result<(), Error> {
    let dir = TempDir::new("split-seam")?;
    let path = dir.path().join("quoted-seam.csv");
    write_quoted_seam(&path)?;
    let bytes = std::fs::read(&path)?;
    split_from(page, 16 << 10, 0.5).await?;
    page.upload(std::slice::from_ref(&path)).await?;
    let plan = check_split(page, &path, 0.5).await?;
    // The core agrees the seam does not hold there, and a merge across it
    // would be wrong: only the rescan gives the whole file's result.
    let rule = CompiledRule::new();
    let mut first = RangeScan::first(FileScan::new(&rule, 0, "x", None), &plan);
    first.push(&bytes[..plan.boundary as usize]);
    ensure!(!first.at_record_start(), "the boundary is inside quotes");
    let mut second = RangeScan::after(
        FileScan::new(&rule, 0, "x", Some(Format::Csv)),
        &bytes[..plan.header_end],
        plan.boundary,
    );
    second.push(&bytes[plan.boundary as usize..]);
    let mut whole = FileScan::new(&rule, 0, "x", None);
    whole.push(&bytes);
    ensure!(
        split::merge(first.finish(), second.finish()).0 != whole.finish().0,
        "a merge at this boundary differs from the whole scan"
    );

    let reference = Reference::scan(std::slice::from_ref(&path))?;
    rows_and_summary_equal_the_core(page, &reference).await?;
    csv_export_equals_the_core(page, &reference).await?;
    Ok(())
}

/// Click Cancel from inside the page once more rows show than the first
/// range holds (`arguments[0]`): the second range's rows are only shown
/// once the first range is done and merged, so the cancel lands in the
/// second range's bytes.
const CANCEL_AFTER_JS: &str = r#"
const done = arguments[arguments.length - 1];
const after = arguments[0];
const start = Date.now();
const tick = () => {
  const count = document.querySelector('[data-testid="flagged-count"]');
  const cancel = document.querySelector('[data-testid="cancel"]');
  if (count && Number(count.textContent) > after && cancel) { cancel.click(); return done('clicked'); }
  if (!cancel && Date.now() - start > 2000) return done('the file finished first');
  if (Date.now() - start > 120000) return done('no rows within 120 s');
  setTimeout(tick, 2);
};
tick();
"#;

/// Where the cancelled file is cut: its first range is a tenth of it, so
/// the second worker is far from done when the first is.
const CUT: f64 = 0.1;

/// A split file cancelled after its first range was merged: "cancelled at
/// byte N" is past the boundary, and rows, summary line, chips and exports
/// are the core's account of the first N bytes.
async fn a_split_file_cancelled_in_its_second_range(page: &Page) -> Result<(), Error> {
    let dir = TempDir::new("split-cancel")?;
    let path = dir.path().join("split-export.csv");
    super::cancel::write_export(&path, 400_000)?;
    let bytes = std::fs::read(&path)?;
    let plan = core_plan(&bytes, CUT).ok_or("the core splits the export")?;
    let rule = CompiledRule::new();
    let mut first = FileScan::new(&rule, 0, "x", None);
    first.push(&bytes[..plan.boundary as usize]);
    let first_rows = first.summary().flagged;
    drop(bytes);

    split_from(page, 1 << 20, CUT).await?;
    page.choose_window("all").await?;
    page.pick(std::slice::from_ref(&path)).await?;
    let clicked = page
        .browser
        .client
        .execute_async(CANCEL_AFTER_JS, vec![json!(first_rows)])
        .await?;
    ensure_eq!(
        clicked.as_str(),
        Some("clicked"),
        "cancel once the second range's rows show"
    );
    check_split(page, &path, CUT).await?;
    let at = super::cancel::check_cancelled(page, &path).await?;
    ensure!(
        at > plan.boundary,
        "cancelled in the second range: byte {at}, boundary {}",
        plan.boundary
    );
    Ok(())
}

/// Every EVTX log under `dir` (recursively), by path.
fn evtx_logs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    for e in std::fs::read_dir(dir)? {
        let path = e?.path();
        if path.is_dir() {
            evtx_logs(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "evtx") {
            out.push(path);
        }
    }
    Ok(())
}

/// Real EVTX logs from `shared/data`, each the core cuts in two on a chunk
/// boundary (`split::evtx::plan`), read by two workers on those ranges:
/// every cell, the summary lines and the CSV export = the core's whole
/// scan, including a Security log whose second range looks up a 4688 parent
/// it does not find (the first worker reads on through it).
async fn evtx_logs_split_equal_the_core(page: &Page) -> Result<(), Error> {
    let mut all = Vec::new();
    evtx_logs(&cmdhunt_e2e::paths::shared_data(""), &mut all)?;
    all.sort();
    let (mut files, mut names, mut rescans) = (Vec::new(), Vec::new(), 0);
    let rule = CompiledRule::new();
    for path in all {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("a name")?
            .to_owned();
        let bytes = std::fs::read(&path)?;
        let head = &bytes[..bytes.len().min(split::evtx::HEADER_BYTES)];
        let Some(plan) = split::evtx::plan(head, bytes.len() as u64, 2) else {
            continue;
        };
        if names.contains(&name) {
            continue; // one file per name (the page would call a copy a duplicate)
        }
        let boundary = plan.starts[1];
        let mut second = split::evtx::EvtxRangeScan::after(
            FileScan::new(&rule, 0, "x", Some(Format::Evtx)),
            head,
            boundary,
        )
        .ok_or("a chunk boundary")?;
        second.push(&bytes[boundary as usize..]);
        rescans += usize::from(!second.stands_alone());
        names.push(name);
        files.push((path, boundary, bytes.len() as u64));
    }
    ensure!(files.len() >= 10, "{} EVTX logs to split", files.len());
    ensure!(
        rescans >= 1,
        "a log whose second range does not stand alone"
    );
    split_from(page, 64 << 10, 0.5).await?;
    let paths: Vec<PathBuf> = files.iter().map(|(p, _, _)| p.clone()).collect();
    page.upload(&paths).await?;
    let h = split::evtx::HEADER_BYTES as u64;
    for ((_, boundary, size), name) in files.iter().zip(&names) {
        ensure_eq!(
            ranges_of(page, name).await?,
            vec![(0, *boundary, h), (*boundary, *size, h)],
            "{name}: the two workers' ranges = the core's chunk boundary"
        );
    }
    let flags = byob_flags(page).await?;
    ensure!(
        flags.iter().all(|b| *b == json!(true)),
        "every start message asks for the BYOB reader (the default): {flags:?}"
    );
    let reference = Reference::scan(&paths)?;
    rows_and_summary_equal_the_core(page, &reference).await?;
    csv_export_equals_the_core(page, &reference).await?;
    Ok(())
}

/// The page's words to the waiting first range of file `name`
/// (`true`: read on), in order.
async fn read_on_words(page: &Page, name: &str) -> Result<Vec<bool>, Error> {
    let words = page.js("return window.__cmdhuntWords;", vec![]).await?;
    Ok(words
        .as_array()
        .ok_or("no words recorded")?
        .iter()
        .filter(|w| w["name"] == json!(name))
        .filter_map(|w| w["readOn"].as_bool())
        .collect())
}

/// Every JSON file under `dir` (recursively), by path.
fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    for e in std::fs::read_dir(dir)? {
        let path = e?.path();
        if path.is_dir() {
            json_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|x| x == "json" || x == "jsonl" || x == "ndjson")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// The core's JSON lines plan for `bytes`, as the page makes it (its head
/// and a window at the middle; a first range of at least the sniffed bytes).
fn core_json_plan(bytes: &[u8]) -> Option<JsonPlan> {
    let size = bytes.len() as u64;
    let head = &bytes[..bytes.len().min(split::HEAD_BYTES)];
    let (start, end) = split::window(size, 0.5);
    split::json::plan(head, &[(start, &bytes[start as usize..end as usize])], size)
        .filter(|p| p.starts[0] >= cmdhunt_core::format::SNIFF_BYTES as u64)
}

/// Whether the core reads on at `plan`'s cut: the first range's lines are
/// not all clean, or the second range does not stand alone.
fn core_json_reads_on(bytes: &[u8], plan: &JsonPlan) -> bool {
    let rule = CompiledRule::new();
    let b = plan.starts[0] as usize;
    let mut first = JsonRangeScan::first(FileScan::new(&rule, 0, "x", None), plan);
    first.push(&bytes[..b]);
    let mut second = JsonRangeScan::after(
        FileScan::new(&rule, 0, "x", Some(Format::Json)),
        plan.starts[0],
    );
    second.push(&bytes[b..]);
    !(first.clean() && second.stands_alone())
}

/// Two real JSON lines logs made to fail the seam, written to `dir`: an
/// OTRF log whose line at a quarter is spread over two lines (a line break
/// after its `{`: the same event, but the first range is not clean), and
/// the last 400 KB of lines of a Security log whose 4688 events after the
/// middle lose `ParentProcessName` (as older Windows logs them): the second
/// range looks up its cmd.exe event's parent and does not find it.
fn write_read_on_logs(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let psexec = std::fs::read(cmdhunt_e2e::paths::shared_data(
        "otrf/cmd_psexec_lsa_secrets_dump_2020-10-1903305471.json",
    ))?;
    let from = psexec.len() / 4;
    let nl = from
        + psexec[from..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("a line")?;
    let mut unclean = psexec[..nl + 2].to_vec();
    ensure!(unclean.ends_with(b"\n{"), "a line starting with an object");
    unclean.push(b'\n');
    unclean.extend_from_slice(&psexec[nl + 2..]);

    let security = std::fs::read(cmdhunt_e2e::paths::shared_data(
        "otrf/aptsimulator_cobaltstrike_2021-06-11T21081492.json",
    ))?;
    let from = security.len() - 400_000;
    let from = from
        + security[from..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("a line")?
        + 1;
    let tail = &security[from..];
    const KEY: &[u8] = b"\"ParentProcessName\":\"";
    const EVENT: &[u8] = b"\"EventID\":4688,";
    let mut parents = Vec::with_capacity(tail.len());
    for line in tail.split_inclusive(|&b| b == b'\n') {
        let key = line.windows(KEY.len()).position(|w| w == KEY);
        let is_4688 = line.windows(EVENT.len()).any(|w| w == EVENT);
        match key {
            Some(k) if parents.len() >= tail.len() / 2 && is_4688 => {
                // The value ends at the next quote not escaped.
                let mut j = k + KEY.len();
                while line[j] != b'"' {
                    j += if line[j] == b'\\' { 2 } else { 1 };
                }
                let end = j + 1 + usize::from(line[j + 1] == b',');
                parents.extend_from_slice(&line[..k]);
                parents.extend_from_slice(&line[end..]);
            }
            _ => parents.extend_from_slice(line),
        }
    }
    let paths = vec![
        dir.join("otrf-unclean-line.json"),
        dir.join("security-4688-no-parent-names.json"),
    ];
    std::fs::write(&paths[0], unclean)?;
    std::fs::write(&paths[1], parents)?;
    Ok(paths)
}

/// Real JSON lines logs from `shared/data` (the OTRF / Mordor logs and
/// `evtx_dump`'s JSON lines, up to 6 MB) and two made to fail the seam,
/// each the core cuts in two at a line start (`split::json::plan`), read by
/// two workers on those ranges: the page tells each waiting first range to
/// read on exactly when the core's seam does not hold (the first range not
/// clean, or the second not standing alone); every cell, the summary lines
/// and the CSV export = the core's whole scan.
async fn json_lines_split_equal_the_core(page: &Page) -> Result<(), Error> {
    let mut all = Vec::new();
    json_files(&cmdhunt_e2e::paths::shared_data(""), &mut all)?;
    all.sort();
    let dir = TempDir::new("split-json")?;
    let mut paths = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for path in all.into_iter().chain(write_read_on_logs(dir.path())?) {
        let name = path.file_name().and_then(|n| n.to_str()).ok_or("a name")?;
        let size = std::fs::metadata(&path)?.len();
        if !(64 << 10..=6 << 20).contains(&size) || names.iter().any(|n| n == name) {
            continue;
        }
        if core_json_plan(&std::fs::read(&path)?).is_none() {
            continue;
        }
        names.push(name.to_owned());
        paths.push(path);
    }
    ensure!(
        paths.len() >= 8,
        "{} JSON lines files to split",
        paths.len()
    );
    split_from(page, 64 << 10, 0.5).await?;
    page.upload(&paths).await?;
    let mut read_on = 0;
    for (path, name) in paths.iter().zip(&names) {
        let bytes = std::fs::read(path)?;
        let plan = core_json_plan(&bytes).ok_or("a plan")?;
        let (boundary, size) = (plan.starts[0], bytes.len() as u64);
        ensure_eq!(
            ranges_of(page, name).await?,
            vec![(0, boundary, 0), (boundary, size, 0)],
            "{name}: the two workers' ranges = the core's cut, no header"
        );
        let want = core_json_reads_on(&bytes, &plan);
        read_on += usize::from(want);
        let words = page
            .until(
                &format!("{name}: the page's word to its first range"),
                Duration::from_secs(60),
                || async {
                    let words = read_on_words(page, name).await?;
                    Ok((!words.is_empty()).then_some(words))
                },
            )
            .await?;
        ensure_eq!(
            words,
            vec![want],
            "{name}: read on iff the core's seam fails"
        );
    }
    ensure!(read_on >= 2, "{read_on} files read on by their first range");
    eprintln!(
        "{} JSON lines files split, {read_on} read on by their first range",
        paths.len()
    );
    let reference = Reference::scan(&paths)?;
    rows_and_summary_equal_the_core(page, &reference).await?;
    // Positions: each file's first row from its second range (shifted by
    // the page: byte, line, record) in the detail panel.
    let all = reference.select(&Window::All);
    let mut seconds = 0;
    for (file, path) in paths.iter().enumerate() {
        let boundary = core_json_plan(&std::fs::read(path)?)
            .ok_or("a plan")?
            .starts[0];
        let Some(i) = all
            .iter()
            .position(|r| r.file as usize == file && r.position.byte >= boundary)
        else {
            continue;
        };
        ensure_eq!(
            detail_source(page, i).await?,
            format!("{}, {}", reference.file_name(all[i]), all[i].position),
            "detail of row {i}"
        );
        seconds += 1;
    }
    ensure!(
        seconds >= 1,
        "rows of {seconds} files' second ranges checked"
    );
    page.click("detail-close").await?;
    csv_export_equals_the_core(page, &reference).await?;
    Ok(())
}

/// `evtx_dump`'s JSON lines, split as JSON lines, then forced to CSV in the
/// format override: the re-run is read whole by one worker (the plan
/// follows the content, and two ranges must decode alike: before the
/// check, its first range was read as CSV and its second as JSON).
async fn a_json_lines_file_forced_to_another_format_is_read_whole(
    page: &Page,
) -> Result<(), Error> {
    let path =
        cmdhunt_e2e::paths::shared_data("xml/PanacheSysmon_vs_AtomicRedTeam01.evtx_dump.jsonl");
    let name = path.file_name().and_then(|n| n.to_str()).ok_or("a name")?;
    let plan = core_json_plan(&std::fs::read(&path)?).ok_or("the core splits it")?;
    split_from(page, 64 << 10, 0.5).await?;
    page.upload(std::slice::from_ref(&path)).await?;
    page.until("the file read", Duration::from_secs(60), || async {
        let statuses = page.file_statuses().await?;
        Ok(statuses.iter().all(|(_, s)| s == "done").then_some(()))
    })
    .await?;
    let size = std::fs::metadata(&path)?.len();
    let cut = plan.starts[0];
    ensure_eq!(
        ranges_of(page, name).await?,
        vec![(0, cut, 0), (cut, size, 0)],
        "split as JSON lines first"
    );
    page.choose_format("csv").await?;
    let forced = page
        .until("the re-run's start", Duration::from_secs(60), || async {
            let starts = page.js("return window.__cmdhuntStarts;", vec![]).await?;
            let forced: Vec<Value> = starts
                .as_array()
                .ok_or("no start messages recorded")?
                .iter()
                .filter(|s| s["name"] == json!(name) && s["format"] == json!("csv"))
                .cloned()
                .collect();
            Ok((!forced.is_empty()).then_some(forced))
        })
        .await?;
    let all = page.js("return window.__cmdhuntStarts;", vec![]).await?;
    let workers = all
        .as_array()
        .ok_or("no start messages recorded")?
        .iter()
        .filter(|s| s["job"] == forced[0]["job"])
        .count();
    ensure!(
        forced.len() == 1 && forced[0]["range"].is_null() && workers == 1,
        "one worker, no range, for the re-run forced to CSV: {forced:?} ({workers} workers)"
    );
    Ok(())
}

/// The stream's default reader (`#reader=stream`: what a browser gets
/// whose Blob streams are not byte streams) reads split and whole files to
/// the same results as the BYOB reader: a split CSV, a split Sysmon EVTX
/// log and a small CSV read whole = the core's; every start message says
/// `byob: false` (and the other tests' say `true`).
async fn the_default_reader_reads_the_same(page: &Page) -> Result<(), Error> {
    let files = vec![
        super::mde_proc(),
        super::sysmon_evtx(),
        super::sysmon_fields(),
    ];
    split_with(page, 64 << 10, 0.5, "&reader=stream").await?;
    page.upload(&files).await?;
    let flags = byob_flags(page).await?;
    ensure!(
        flags.len() >= 5,
        "two ranges each for the CSV and the EVTX log, one whole file: {flags:?}"
    );
    ensure!(
        flags.iter().all(|b| *b == json!(false)),
        "every start message asks for the default reader: {flags:?}"
    );
    let reference = Reference::scan(&files)?;
    rows_and_summary_equal_the_core(page, &reference).await?;
    csv_export_equals_the_core(page, &reference).await
}

mod evtx {
    cmdhunt_e2e::on_both_targets!(super::evtx_logs_split_equal_the_core);
}

mod json {
    cmdhunt_e2e::on_both_targets!(super::json_lines_split_equal_the_core);
}

mod json_forced {
    cmdhunt_e2e::on_both_targets!(super::a_json_lines_file_forced_to_another_format_is_read_whole);
}

mod default_reader {
    cmdhunt_e2e::on_both_targets!(super::the_default_reader_reads_the_same);
}

mod real_files {
    cmdhunt_e2e::on_both_targets!(super::real_files_split_equal_the_core);
}

mod seam {
    cmdhunt_e2e::on_both_targets!(super::a_seam_inside_quotes_is_rescanned);
}

mod cancel {
    cmdhunt_e2e::on_both_targets!(super::a_split_file_cancelled_in_its_second_range);
}
