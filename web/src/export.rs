//! The "Export CSV" and "Export JSON" buttons: the rows shown, in the order
//! shown, formatted by [`cmdhunt_core::export`] so the page and the CLI agree
//! (in hardened mode with the CLI's `--mode hardened` columns: `Detection`,
//! `Rules`, `Evasions`, `FileName`).

use cmdhunt_core::export::{self, CsvCells};
use cmdhunt_core::scan::FlaggedRow;

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
    let lines: Vec<String> = shown
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
        .collect();
    if lines.is_empty() {
        return "[]\n".into();
    }
    format!("[\n{}\n]\n", lines.join(",\n"))
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
