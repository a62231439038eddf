//! What `cmdhunt scan` writes: rows on stdout, per-file accounts on stderr.
//!
//! Event text is attacker-controlled. In the terminal table and on stderr,
//! control characters (ANSI escapes, carriage returns, bidirectional
//! overrides) are shown as `\u{..}` escapes so a command line can never move
//! the cursor, recolour the terminal or reorder what the analyst reads.
//! NDJSON keeps the exact text (it is data for other programs); CSV keeps it
//! too except that a cell a spreadsheet would run as a formula (`=`, `+`,
//! `-`, `@`, tab, CR first) gets a leading `'` unless `--csv-raw` is given.

use std::io::{self, Write};

use cmdhunt_core::export;
use cmdhunt_core::hardened::Detection;
use cmdhunt_core::rule::FLAGS;
use cmdhunt_core::scan::{FileSummary, FlaggedRow};

use crate::args::OutputFormat;
use crate::tuned::Decor;

/// Make text safe to print on a terminal: control, bidi-formatting and
/// line/paragraph-separator characters become `\u{XX}` escapes. The same
/// function as the page's table ([`cmdhunt_core::display::display_safe`]),
/// so CLI and page show a command line the same way.
pub fn terminal_safe(text: &str) -> String {
    cmdhunt_core::display::display_safe(text)
}

/// How rows are written: the format, CSV cells, and hardened mode's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Table, CSV or NDJSON.
    pub format: OutputFormat,
    /// CSV text cells neutralised or raw.
    pub csv_cells: export::CsvCells,
    /// `--mode hardened`: the `Detection`, `Rules`, `Evasions`, `FileName` columns.
    pub hardened: bool,
}

/// Write the selected rows (`order` indexes `rows`) in `style.format`; CSV
/// text cells as `style.csv_cells` says; `decor` (with `--config`) names the matched
/// needles from the config's lists and marks suppressed rows; `style.hardened`
/// (`--mode hardened`) adds the `Detection`, `Rules`, `Evasions` and
/// `FileName` columns (after all others).
pub fn write_rows(
    out: &mut dyn Write,
    style: Style,
    rows: &[FlaggedRow],
    order: &[usize],
    file_names: &[String],
    decor: Option<&Decor>,
) -> io::Result<()> {
    let name = |row: &FlaggedRow| file_names.get(row.file as usize).map_or("", String::as_str);
    let Style {
        format,
        csv_cells,
        hardened,
    } = style;
    match format {
        OutputFormat::Ndjson => {
            // `Why` (last key): the row's reasons named from the lists in use.
            let published = cmdhunt_core::matcher::CompiledRule::new();
            let names = cmdhunt_core::why::Names::of(decor.map_or(&published, |d| d.rule));
            for &i in order {
                let mut line = match decor {
                    Some(d) => d.json_line(&rows[i], i, name(&rows[i])),
                    None => export::json_row(&rows[i], name(&rows[i])),
                };
                if hardened {
                    line = export::json_with_detection(line, &rows[i]);
                }
                line = cmdhunt_core::why::with_why(line, &names.why(&rows[i]));
                writeln!(out, "{line}")?;
            }
        }
        OutputFormat::Csv => {
            let marked = decor.is_some_and(|d| d.shown.is_some());
            let extra = if marked { ",SuppressedBy" } else { "" };
            let more = if hardened {
                export::DETECTION_CSV_HEADER
            } else {
                ""
            };
            writeln!(out, "{}{extra}{more}", export::csv_header())?;
            for &i in order {
                let mut line = match decor {
                    Some(d) => d.csv_line(&rows[i], i, name(&rows[i]), csv_cells),
                    None => export::csv_row_with(&rows[i], name(&rows[i]), csv_cells),
                };
                if hardened {
                    line.push_str(&export::detection_csv_cells(&rows[i], csv_cells));
                }
                writeln!(out, "{line}")?;
            }
        }
        OutputFormat::Table => write_table(out, rows, order, file_names, decor, hardened)?,
        OutputFormat::Xlsx => {
            return Err(io::Error::other(
                "an XLSX export needs its context: write it with write_xlsx",
            ))
        }
    }
    out.flush()
}

/// Hardened mode's per-file account on stderr: rows only the hardened rules
/// flag, and parity rows the hardened rules agree with.
pub fn write_hardened_counts(
    err: &mut dyn Write,
    rows: &[FlaggedRow],
    order: &[usize],
    file: usize,
) -> io::Result<()> {
    let of_file = |r: &FlaggedRow| r.file as usize == file;
    let hardened = |r: &FlaggedRow| r.detection == Detection::Hardened;
    let only = rows.iter().filter(|r| of_file(r) && hardened(r)).count();
    let in_window = order
        .iter()
        .filter(|&&i| of_file(&rows[i]) && hardened(&rows[i]))
        .count();
    let agreeing = rows
        .iter()
        .filter(|r| of_file(r) && !hardened(r) && r.hardened.fired())
        .count();
    writeln!(
        err,
        "  hardened: {only} rows only the hardened rules flag ({in_window} in window); \
         {agreeing} parity rows also fire hardened rules"
    )?;
    let mut by_rule: Vec<(&str, usize)> = Vec::new();
    for r in rows.iter().filter(|r| of_file(r) && r.hardened.fired()) {
        for id in r.hardened.ids() {
            match by_rule.iter_mut().find(|(x, _)| *x == id) {
                Some((_, n)) => *n += 1,
                None => by_rule.push((id, 1)),
            }
        }
    }
    if !by_rule.is_empty() {
        let list: Vec<String> = by_rule.iter().map(|(id, n)| format!("{id} {n}")).collect();
        writeln!(err, "  hardened rules: {}", list.join(", "))?;
    }
    Ok(())
}

fn write_table(
    out: &mut dyn Write,
    rows: &[FlaggedRow],
    order: &[usize],
    file_names: &[String],
    decor: Option<&Decor>,
    hardened: bool,
) -> io::Result<()> {
    if order.is_empty() {
        return writeln!(out, "No rows flagged.");
    }
    let mut header = vec![
        "Timestamp",
        "DeviceName",
        "AccountName",
        "Flags",
        "Matched",
        "Parent",
    ];
    if hardened {
        header.extend(["Detection", "Rules", "FileName"]);
    }
    header.push("ProcessCommandLine");
    let cells: Vec<Vec<String>> = order
        .iter()
        .map(|&i| {
            let r = &rows[i];
            let e = &r.event;
            let mut flags: Vec<String> = FLAGS
                .iter()
                .zip(r.verdict.flags.0)
                .filter(|(_, on)| *on)
                .map(|(f, _)| f.name.to_string())
                .collect();
            let by = decor.and_then(|d| d.suppressed_by(i));
            if let Some(ids) = by.filter(|ids| !ids.is_empty()) {
                flags.insert(
                    0,
                    format!("SUPPRESSED by {}", terminal_safe(&ids.join(","))),
                );
            }
            let matched = match decor {
                Some(d) => d.matched(r),
                None => r.verdict.matched().map(String::from).collect(),
            };
            let parent = if e.parent_inferred {
                format!("{} (inferred)", e.initiating_process_file_name)
            } else {
                e.initiating_process_file_name.clone()
            };
            let mut row = vec![
                e.timestamp
                    .map_or_else(|| "(none)".to_string(), |t| t.to_string()),
                terminal_safe(&e.device_name),
                terminal_safe(&e.account_name),
                if flags.is_empty() {
                    "-".to_string()
                } else {
                    flags.join(",")
                },
                terminal_safe(&matched.join("; ")),
                terminal_safe(&parent),
            ];
            if hardened {
                let rules: Vec<&str> = r.hardened.ids().collect();
                row.push(r.detection.name().to_string());
                row.push(if rules.is_empty() {
                    "-".to_string()
                } else {
                    rules.join(",")
                });
                row.push(terminal_safe(&e.file_name));
            }
            row.push(terminal_safe(&e.process_command_line));
            row
        })
        .collect();
    // Every column but the last (the command line) is padded to its widest cell.
    let padded = header.len() - 1;
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row.iter()).take(padded) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cols: &[&str]| -> io::Result<()> {
        for (w, c) in widths.iter().zip(cols.iter()).take(padded) {
            write!(out, "{c:<w$}  ", w = *w)?;
        }
        writeln!(out, "{}", cols[padded])
    };
    line(out, &header)?;
    for row in &cells {
        let cols: Vec<&str> = row.iter().map(String::as_str).collect();
        line(out, &cols)?;
    }
    let _ = file_names;
    Ok(())
}

/// The per-file account on stderr.
pub fn write_summary(err: &mut dyn Write, s: &FileSummary, in_window: usize) -> io::Result<()> {
    let name = terminal_safe(&s.name);
    let format = s.format.map_or("unknown format", |f| f.name());
    writeln!(
        err,
        "{name}: {format}, {} bytes, {} records: {} process creations, {} other events, {} skipped; \
         {} cmd.exe, {} flagged ({} in window)",
        s.bytes,
        s.records,
        s.process_creations,
        s.other_events.values().sum::<u64>(),
        s.skipped,
        s.shell,
        s.flagged,
        in_window
    )?;
    if s.flagged > 0 {
        let flags: Vec<String> = FLAGS
            .iter()
            .zip(s.flag_counts)
            .filter(|(_, n)| *n > 0)
            .map(|(f, n)| format!("{} {n}", f.name))
            .collect();
        if !flags.is_empty() {
            writeln!(err, "  flags: {}", flags.join(", "))?;
        }
    }
    if !s.other_events.is_empty() {
        let mut other: Vec<(&String, &u64)> = s.other_events.iter().collect();
        other.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let shown: Vec<String> = other
            .iter()
            .take(8)
            .map(|(k, v)| format!("{} {v}", terminal_safe(k)))
            .collect();
        let more = if other.len() > 8 {
            format!(", and {} more kinds", other.len() - 8)
        } else {
            String::new()
        };
        writeln!(err, "  other events: {}{more}", shown.join(", "))?;
    }
    if s.bad_timestamps > 0 {
        if let Some((pos, text)) = &s.first_bad_timestamp {
            writeln!(
                err,
                "  {} process creations have an unreadable time (first at {pos}: {:?}); their Timestamp is null",
                s.bad_timestamps,
                terminal_safe(text)
            )?;
        }
    }
    for skip in &s.skips {
        writeln!(
            err,
            "  skipped {}: {}",
            skip.position,
            terminal_safe(&skip.reason)
        )?;
    }
    if s.skipped > s.skips.len() as u64 {
        writeln!(
            err,
            "  ... and {} more skipped records",
            s.skipped - s.skips.len() as u64
        )?;
    }
    if let Some(e) = &s.error {
        writeln!(
            err,
            "cmdhunt: error: {name}: {} (at {})",
            terminal_safe(&e.message),
            e.position
        )?;
    }
    Ok(())
}

/// The XLSX export (`--format xlsx`): the rows `order` picks as sheet Rows
/// (the CSV's columns, exact text, never a formula) and `context` as sheet
/// Context ([`cmdhunt_core::export_xlsx::export_workbook`]), written to `out`.
pub fn write_xlsx(
    out: &mut dyn Write,
    rows: &[FlaggedRow],
    order: &[usize],
    file_names: &[String],
    hardened: bool,
    context: &cmdhunt_core::export_context::ExportContext,
) -> io::Result<()> {
    let name = |row: &FlaggedRow| file_names.get(row.file as usize).map_or("", String::as_str);
    let bytes = cmdhunt_core::export_xlsx::export_workbook(
        order.iter().filter_map(|&i| rows.get(i)),
        name,
        hardened,
        context,
    )
    .map_err(io::Error::other)?;
    out.write_all(&bytes)?;
    out.flush()
}

/// What `cmdhunt scan` read, for the XLSX export's Context sheet: the files
/// (`paths`, in order, with their `summaries`), the window, the mode, the
/// config (if any), `rows` rows, made at `now`.
#[allow(clippy::too_many_arguments)]
pub fn scan_context(
    paths: &[std::path::PathBuf],
    summaries: &[FileSummary],
    window: cmdhunt_core::results::Window,
    newest: Option<cmdhunt_core::time::Timestamp>,
    mode: cmdhunt_core::tuning::Mode,
    config: Option<&cmdhunt_core::tuning::Config>,
    rows: usize,
    now: cmdhunt_core::time::Timestamp,
) -> cmdhunt_core::export_context::ExportContext {
    use cmdhunt_core::export_context::{ExportContext, FileContext, RuleContext};
    let files = summaries
        .iter()
        .enumerate()
        .map(|(i, s)| FileContext {
            name: s.name.clone(),
            size: paths
                .get(i)
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(s.bytes, |m| m.len()),
            format: s.format.map(|f| f.name().to_owned()),
            records: s.records,
            flagged: s.flagged,
            state: match &s.error {
                Some(e) => format!("stopped on an error: {}", e.message),
                None => "complete".into(),
            },
        })
        .collect();
    let rule = match config {
        Some(c) => RuleContext::tuned(
            &c.patterns,
            &c.parents,
            Some(&c.to_json()),
            c.allowlist.entries.len(),
        ),
        None => RuleContext::published(),
    };
    ExportContext {
        generated_at: Some(now),
        mode: mode.name().into(),
        window,
        newest,
        filters: Vec::new(),
        files,
        rule,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        let cases = [
            ("plain cmd /c dir", "plain cmd /c dir"),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("a\rb", "a\\u{d}b"),
            ("evil\u{202e}txt.exe", "evil\\u{202e}txt.exe"),
            ("tab\there", "tab\\u{9}here"),
            ("ünïcode stays", "ünïcode stays"),
            // As the page shows them (core::display): separators and the Arabic mark.
            ("line\u{2028}sep\u{2029}", "line\\u{2028}sep\\u{2029}"),
            ("arabic\u{61c}mark", "arabic\\u{61c}mark"),
        ];
        for (input, want) in cases {
            assert_eq!(terminal_safe(input), want, "{input:?}");
        }
    }
}
