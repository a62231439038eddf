//! The "Export CSV", "Export JSON" and "Export XLSX" buttons: the rows shown, in the order
//! shown, formatted by [`cmdhunt_core::export`] so the page and the CLI agree
//! (in hardened mode with the CLI's `--mode hardened` columns: `Detection`,
//! `Rules`, `Evasions`, `FileName`).
//!
//! Each export carries its context ([`page_context`]: window and bounds,
//! filters, mode, files, rule version, config id, when): the JSON export is
//! the object `{"cmdhunt_export": 1, "context": {...}, "rows": [...]}` whose
//! `rows` are the objects of the earlier top-level array (so `jq '.rows'`
//! gives the old shape); the CSV gets a sidecar `cmdhunt-results.meta.json`
//! (the CSV stays plain for Excel and pandas); the XLSX has a "Context" sheet.

use cmdhunt_core::export::{self, CsvCells};
use cmdhunt_core::export_context::{self, ExportContext, FileContext, RuleContext};
use cmdhunt_core::export_xlsx::export_workbook;
use cmdhunt_core::rule::FLAGS;
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_core::tuning::{Config, Mode};

use crate::state::{AppState, Status};

/// The rows `shown` (indices of `rows`) as CSV: a header line, then one line
/// per row, each ending in `\n`; formula-like cells neutralised unless
/// `cells` is [`CsvCells::Raw`] (the page's "raw CSV" box); `hardened`
/// appends [`export::DETECTION_CSV_HEADER`]'s columns, as the CLI does.
pub fn csv_text(
    rows: &[FlaggedRow],
    shown: &[usize],
    file_names: &[String],
    cells: CsvCells,
    hardened: bool,
) -> String {
    let mut out = export::csv_header();
    if hardened {
        out.push_str(export::DETECTION_CSV_HEADER);
    }
    out.push('\n');
    for row in shown.iter().filter_map(|&i| rows.get(i)) {
        out.push_str(&export::csv_row_with(row, name(row, file_names), cells));
        if hardened {
            out.push_str(&export::detection_csv_cells(row, cells));
        }
        out.push('\n');
    }
    out
}

/// The rows `shown` as a JSON array of the CLI's ndjson objects (the KQL's
/// projected names, `Matched`, `Source`), one object per line; `hardened`
/// adds `Detection`, `Rules`, `Evasions` and `FileName`, as the CLI does.
pub fn json_text(
    rows: &[FlaggedRow],
    shown: &[usize],
    file_names: &[String],
    hardened: bool,
) -> String {
    let lines = json_rows(rows, shown, file_names, hardened);
    if lines.is_empty() {
        return "[]\n".into();
    }
    format!("[\n{}\n]\n", lines.join(",\n"))
}

/// What the page's export was made from ([`ExportContext`]): the window
/// and its bounds, the filters on (flag, detection and why chips, search,
/// "show suppressed"), the mode, every file (size, format, records,
/// flagged, complete or why not), the rule's version and the tuning
/// config's id, `now_ms` (`Date.now()`) as the time it was made, and how
/// many rows (`rows`).
pub fn page_context(state: &AppState, now_ms: Option<f64>, rows: usize) -> ExportContext {
    let spec = &state.spec;
    let mut filters: Vec<(String, String)> = Vec::new();
    let flags: Vec<&str> = FLAGS
        .iter()
        .zip(spec.flags)
        .filter(|(_, on)| *on)
        .map(|(f, _)| f.name)
        .collect();
    if !flags.is_empty() {
        filters.push(("flags (any of)".into(), flags.join(", ")));
    }
    let detection: Vec<&str> = ["parity", "hardened"]
        .iter()
        .zip(spec.detection)
        .filter(|(_, on)| *on)
        .map(|(d, _)| *d)
        .collect();
    if !detection.is_empty() {
        filters.push(("detection".into(), detection.join(", ")));
    }
    let names = crate::why::names(&state.config);
    let patterns: Vec<&str> = (0..cmdhunt_core::matcher::MAX_NEEDLES)
        .filter(|&b| spec.why.pattern_on(b))
        .filter_map(|b| names.pattern(b))
        .collect();
    if !patterns.is_empty() {
        filters.push(("patterns (any of)".into(), patterns.join(", ")));
    }
    if let Some(only) = spec.why.only {
        let words = match only {
            crate::why::Only::Pattern => "pattern only",
            crate::why::Only::Parent => "parent only",
        };
        filters.push(("why".into(), words.into()));
    }
    if !spec.search.trim().is_empty() {
        filters.push(("search".into(), spec.search.clone()));
    }
    if spec.show_suppressed {
        filters.push(("allowlist".into(), "showing the suppressed rows".into()));
    } else if !state.config.allowlist.entries.is_empty() {
        filters.push(("allowlist".into(), "suppressed rows hidden".into()));
    }
    let files = state
        .files
        .iter()
        .map(|f| {
            let summary = f.summary.as_ref().unwrap_or(&f.live);
            let file_state = match &f.status {
                Status::Done => match &summary.error {
                    Some(e) => format!("stopped on an error: {}", e.message),
                    None => "complete".into(),
                },
                Status::Cancelled { at } => {
                    format!("partial: cancelled at byte {at} of {}", f.size)
                }
                Status::Failed(m) => format!("failed: {m}"),
                Status::Duplicate { of } => {
                    format!("duplicate of file {}, not scanned", of + 1)
                }
                Status::Queued | Status::Running => {
                    format!(
                        "partial: still reading ({} of {} bytes)",
                        f.bytes_done, f.size
                    )
                }
            };
            FileContext {
                name: f.name.clone(),
                size: f.size,
                format: summary.format.map(|x| x.name().to_owned()),
                records: summary.records,
                flagged: summary.flagged,
                state: file_state,
            }
        })
        .collect();
    let config = &state.config;
    let tuned = *config != Config::default();
    let json = tuned.then(|| config.to_json());
    ExportContext {
        generated_at: now_ms.map(crate::window::timestamp_from_ms),
        mode: config.mode.name().into(),
        window: spec.window,
        newest: spec.newest,
        filters,
        files,
        rule: RuleContext::tuned(
            &config.patterns,
            &config.parents,
            json.as_deref(),
            config.allowlist.entries.len(),
        ),
        rows,
    }
}

/// The JSON export: `{"cmdhunt_export": 1, "context": {...}, "rows": [...]}`
/// ([`export_context::json_document`]); `rows` holds exactly the objects
/// of the array the page wrote before (and of `cmdhunt scan --format ndjson`).
pub fn json_document(state: &AppState, now_ms: Option<f64>) -> String {
    let names = state.file_names();
    let hardened = state.config.mode == Mode::Hardened;
    let rows = json_rows(&state.rows, &state.shown, &names, hardened);
    export_context::json_document(&page_context(state, now_ms, rows.len()), &rows)
}

/// The CSV export's sidecar (`cmdhunt-results.meta.json`): the context of
/// the CSV, which itself stays plain RFC 4180.
pub fn csv_sidecar(state: &AppState, now_ms: Option<f64>) -> String {
    page_context(state, now_ms, state.shown.len()).to_json()
}

/// The XLSX export: the rows shown ("Rows", the CSV's columns, exact text
/// in inline strings) and their context ("Context").
pub fn xlsx_bytes(state: &AppState, now_ms: Option<f64>) -> Result<Vec<u8>, String> {
    let names = state.file_names();
    let hardened = state.config.mode == Mode::Hardened;
    let context = page_context(state, now_ms, state.shown.len());
    export_workbook(
        state.shown.iter().filter_map(|&i| state.rows.get(i)),
        |row| name(row, &names),
        hardened,
        &context,
    )
    .map_err(|e| e.to_string())
}

/// The export buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `cmdhunt-results.csv`, then its sidecar `cmdhunt-results.meta.json`.
    Csv,
    /// `cmdhunt-results.json` ([`json_document`]).
    Json,
    /// `cmdhunt-results.xlsx` ([`xlsx_bytes`]).
    Xlsx,
}

/// Download the export `kind` of the rows `state` shows; a failure shows
/// in the page's banner.
#[cfg(target_arch = "wasm32")]
pub fn download(state: &AppState, kind: Kind) {
    use crate::browser;
    let now = Some(browser::now_ms());
    let hardened = state.config.mode == Mode::Hardened;
    let result = match kind {
        Kind::Csv => {
            let names = state.file_names();
            let csv = csv_text(
                &state.rows,
                &state.shown,
                &names,
                state.csv_cells(),
                hardened,
            );
            browser::download(&csv, "cmdhunt-results.csv", "text/csv").and_then(|()| {
                browser::download(
                    &csv_sidecar(state, now),
                    "cmdhunt-results.meta.json",
                    "application/json",
                )
            })
        }
        Kind::Json => browser::download(
            &json_document(state, now),
            "cmdhunt-results.json",
            "application/json",
        ),
        Kind::Xlsx => xlsx_bytes(state, now)
            .map_err(|e| wasm_bindgen::JsValue::from_str(&e))
            .and_then(|bytes| download_bytes(&bytes, "cmdhunt-results.xlsx", XLSX_MIME)),
    };
    if let Err(e) = result {
        browser::show_banner(&format!("the export failed: {e:?}"));
    }
}

/// The XLSX media type.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Offer `bytes` as a download called `file_name` (a Blob URL, revoked later).
#[cfg(target_arch = "wasm32")]
fn download_bytes(bytes: &[u8], file_name: &str, mime: &str) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| wasm_bindgen::JsValue::from_str("no document"))?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    crate::browser::later(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    Ok(())
}

/// The rows `shown`, one JSON object each (hardened keys when `hardened`).
fn json_rows(
    rows: &[FlaggedRow],
    shown: &[usize],
    file_names: &[String],
    hardened: bool,
) -> Vec<String> {
    shown
        .iter()
        .filter_map(|&i| rows.get(i))
        .map(|row| {
            let line = export::json_row(row, name(row, file_names));
            if hardened {
                export::json_with_detection(line, row)
            } else {
                line
            }
        })
        .collect()
}

fn name<'a>(row: &FlaggedRow, file_names: &'a [String]) -> &'a str {
    file_names.get(row.file as usize).map_or("", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample_csv, scan_all};
    use cmdhunt_core::results::{select, Window};
    use cmdhunt_core::rule::{FLAGS, PROJECTED_COLUMNS};

    fn sample() -> (Vec<FlaggedRow>, Vec<usize>, Vec<String>) {
        let (s, rows) = scan_all(sample_csv(), 0, None);
        let shown = select(&rows, &Window::default(), s.newest);
        (rows, shown, vec!["sample.csv".into()])
    }

    #[test]
    fn the_json_document_carries_the_context_and_the_old_rows() {
        let (rows, shown, names) = sample();
        let mut st = AppState::default();
        st.apply(crate::state::Action::AddFiles(vec![
            crate::state::NewFile::new("sample.csv", 100),
        ]));
        st.files[0].status = Status::Cancelled { at: 40 };
        st.rows = rows.clone();
        st.shown = shown.clone();
        st.spec.flags[1] = true;
        st.spec.search = "schtasks".into();
        let doc: serde_json::Value =
            serde_json::from_str(&json_document(&st, Some(1_714_557_600_000.0))).expect("JSON");
        assert_eq!(doc["cmdhunt_export"], 1);
        let old: serde_json::Value =
            serde_json::from_str(&json_text(&rows, &shown, &st.file_names(), false)).expect("JSON");
        assert!(doc["rows"] == old, "rows = the old array");
        assert!(names[0] != st.file_names()[0], "the partial file is marked");
        let c = &doc["context"];
        assert_eq!(c["files"][0]["name"], "sample.csv");
        assert_eq!(c["files"][0]["size"], 100);
        assert_eq!(
            c["files"][0]["state"],
            "partial: cancelled at byte 40 of 100"
        );
        assert_eq!(c["filters"]["flags (any of)"], FLAGS[1].name);
        assert_eq!(c["filters"]["search"], "schtasks");
        assert_eq!(c["mode"], "parity");
        assert_eq!(c["rows"], shown.len());
        assert_eq!(c["generated_at"], "2024-05-01T10:00:00.0000000Z");
        assert_eq!(c["rule"]["version"], export_context::rule_version());
        assert_eq!(c["rule"]["config_id"], serde_json::Value::Null);
        let sidecar: serde_json::Value =
            serde_json::from_str(&csv_sidecar(&st, Some(1_714_557_600_000.0))).expect("JSON");
        assert_eq!(sidecar["context"], *c);
        let book = xlsx_bytes(&st, None).expect("workbook");
        assert!(book.starts_with(b"PK\x03\x04"));
    }

    #[test]
    fn json_export_is_an_array_of_the_projected_names() {
        let (rows, shown, names) = sample();
        let text = json_text(&rows, &shown, &names, false);
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let items = value.as_array().expect("an array");
        assert_eq!(items.len(), shown.len());
        for (item, &i) in items.iter().zip(&shown) {
            let obj = item.as_object().expect("object");
            let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            let mut want: Vec<&str> = PROJECTED_COLUMNS.to_vec();
            want.extend(["Matched", "Source"]);
            let (mut k, mut w) = (keys.clone(), want.clone());
            k.sort_unstable();
            w.sort_unstable();
            assert_eq!(k, w);
            let row = &rows[i];
            assert_eq!(
                obj["Timestamp"],
                row.event
                    .timestamp
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            );
            assert_eq!(
                obj["ProcessCommandLine"],
                row.event.process_command_line.as_str()
            );
            for (f, on) in FLAGS.iter().zip(row.verdict.flags.0) {
                assert_eq!(obj[f.name], on, "{}", f.name);
            }
            assert_eq!(obj["Source"]["file"], "sample.csv");
            assert_eq!(obj["Source"]["record"], row.position.record);
        }
        assert_eq!(json_text(&rows, &[], &names, false), "[]\n");
    }

    #[test]
    fn csv_export_has_one_line_per_row_and_keeps_the_xss_text_verbatim() {
        let (rows, _, names) = sample();
        let all: Vec<usize> = (0..rows.len()).collect();
        let text = csv_text(&rows, &all, &names, CsvCells::Neutralised, false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), rows.len() + 1);
        assert!(lines[0].starts_with("Timestamp,DeviceName,AccountName,ProcessCommandLine"));
        assert!(text.contains("<img src=x onerror=alert(1)>"));
    }

    #[test]
    fn csv_export_neutralises_formulas_unless_raw() {
        let (mut rows, _, names) = sample();
        rows[0].event.device_name = "=HYPERLINK(\"http://x\")".into();
        let text = csv_text(&rows, &[0], &names, CsvCells::Neutralised, false);
        assert!(
            text.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
            "{text}"
        );
        let raw = csv_text(&rows, &[0], &names, CsvCells::Raw, false);
        assert!(raw.contains(",\"=HYPERLINK(\"\"http://x\"\")\","), "{raw}");
    }

    #[test]
    fn hardened_exports_carry_the_clis_detection_columns() {
        use cmdhunt_core::hardened::HardenedRules;
        use cmdhunt_core::matcher::CompiledRule;
        use cmdhunt_core::scan::FileScan;
        let csv = "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
                   2024-01-01T00:00:02Z,reg.exe,reg  add HKCU\\x,cmd.exe\n\
                   2024-01-01T00:00:03Z,cmd.exe,cmd /c reg add HKCU\\x,explorer.exe\n";
        let (rule, hardened) = (CompiledRule::new(), HardenedRules::new());
        let mut scan = FileScan::new(&rule, 0, "a.csv", None).hardened(&hardened);
        scan.push(csv.as_bytes());
        let (_, rows) = scan.finish();
        let names = vec!["a.csv".to_owned()];
        let text = csv_text(&rows, &[0, 1], &names, CsvCells::Neutralised, true);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with(",Detection,Rules,Evasions,FileName"));
        assert!(
            lines[1].ends_with(",hardened,reg-modify,,reg.exe"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].ends_with(",parity,reg-modify,,cmd.exe"),
            "{}",
            lines[2]
        );
        let json: serde_json::Value =
            serde_json::from_str(&json_text(&rows, &[0, 1], &names, true)).expect("JSON");
        assert_eq!(json[0]["Detection"], "hardened");
        assert_eq!(json[1]["Rules"][0], "reg-modify");
        // Parity mode's export is unchanged: no Detection anywhere.
        assert!(!csv_text(&rows, &[1], &names, CsvCells::Neutralised, false).contains("Detection"));
    }
}
