//! `--config`: the tuning config's rule, window and allowlist applied to a
//! scan, and how its rows are written (matched names from the config's
//! lists, suppressed rows marked with the entries that matched them).

use std::io::{self, Write};
use std::path::Path;

use cmdhunt_core::export::{self, CsvCells};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::{Anchor, Window};
use cmdhunt_core::rule::DEFAULT_WINDOW_SECS;
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_core::time::{Duration, Timestamp};
use cmdhunt_core::tuning::{AnchorSpec, Applied, Config, EntryStatus, WindowSpec};

use crate::report::terminal_safe;

/// Read and check a config file; the error names the file and the place.
pub fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--config {}: cannot read: {e}", path.display()))?;
    Config::parse(&text).map_err(|e| format!("--config {}: {e}", path.display()))
}

/// The config named by `--config` (if any) and the rule it compiles to (the
/// published rule without one); an error in words, naming the option.
pub fn load_rule(path: Option<&Path>) -> Result<(Option<Config>, CompiledRule), String> {
    let config = path.map(load).transpose()?;
    let rule = match &config {
        Some(c) => c.compile().map_err(|e| format!("--config: {e}"))?,
        None => CompiledRule::default(),
    };
    Ok((config, rule))
}

/// The scan's window: the config's, with `--window` / `--anchor` given on
/// the command line taking precedence, each on its own (`window`:
/// `Some(None)` is `all`).
pub fn window(
    config: Option<&Config>,
    window: Option<Option<Duration>>,
    anchor: Option<Anchor>,
    now: Timestamp,
) -> Window {
    let file_duration = match config.map(|c| &c.window) {
        None => Some(Duration::from_secs(DEFAULT_WINDOW_SECS)),
        Some(WindowSpec::All) => None,
        Some(WindowSpec::Last { duration, .. }) => Some(*duration),
    };
    let file_anchor = match config.map(|c| &c.anchor) {
        None | Some(AnchorSpec::Newest) => Anchor::Newest,
        Some(AnchorSpec::Now) => Anchor::Now(now),
        Some(AnchorSpec::At { at, .. }) => Anchor::At(*at),
    };
    match window.unwrap_or(file_duration) {
        None => Window::All,
        Some(duration) => Window::Last {
            duration,
            anchor: anchor.unwrap_or(file_anchor),
        },
    }
}

/// How rows are decorated when a config is in play.
pub struct Decor<'a> {
    /// The compiled rule (names a verdict's needles from the config's lists).
    pub rule: &'a CompiledRule,
    /// The allowlist's split of the rows, when `--show-suppressed` prints them.
    pub shown: Option<(&'a Applied, &'a Config)>,
}

impl Decor<'_> {
    /// The `Matched` names of a row, from the rule's own lists.
    pub fn matched(&self, row: &FlaggedRow) -> Vec<String> {
        self.rule.matched(&row.verdict).map(String::from).collect()
    }

    /// The ids of the entries that suppressed row `index` (`None` when
    /// suppressed rows are not shown).
    pub fn suppressed_by(&self, index: usize) -> Option<Vec<String>> {
        let (applied, config) = self.shown?;
        Some(
            applied
                .entries_for(index)
                .iter()
                .map(|&e| config.allowlist.entries[e].id.clone())
                .collect(),
        )
    }

    /// One NDJSON line: `export::json_row` with `Matched` from the config's
    /// lists and, when suppressed rows are shown, `SuppressedBy` (ids).
    pub fn json_line(&self, row: &FlaggedRow, index: usize, file: &str) -> String {
        let mut line = export::json_row(row, file);
        if !self.rule.is_default() {
            // Event text is JSON-escaped, so `,"Matched":[` occurs once, unescaped.
            if let (Some(start), Some(end)) =
                (line.find(",\"Matched\":["), line.rfind("],\"Source\":"))
            {
                let names: Vec<String> = self.matched(row).iter().map(|n| json(n)).collect();
                line = format!(
                    "{},\"Matched\":[{}{}",
                    &line[..start],
                    names.join(","),
                    &line[end..]
                );
            }
        }
        if let Some(ids) = self.suppressed_by(index) {
            let ids: Vec<String> = ids.iter().map(|i| json(i)).collect();
            line.pop(); // the closing brace
            line.push_str(&format!(",\"SuppressedBy\":[{}]}}", ids.join(",")));
        }
        line
    }

    /// One CSV line: `export::csv_row_with` with `Matched` from the
    /// config's lists and, when suppressed rows are shown, a
    /// `SuppressedBy` cell (ids joined by `; `).
    pub fn csv_line(&self, row: &FlaggedRow, index: usize, file: &str, cells: CsvCells) -> String {
        let ids = self.suppressed_by(index);
        if self.rule.is_default() && ids.is_none() {
            return export::csv_row_with(row, file, cells);
        }
        let csv = CsvPieces::new(row, cells);
        let matched = if self.rule.is_default() {
            row.verdict.matched().collect::<Vec<_>>().join("; ")
        } else {
            self.matched(row).join("; ")
        };
        let mut line = format!(
            "{},{},{},{}",
            csv.prefix,
            csv.cell(&matched),
            csv.cell(file),
            csv.record
        );
        if let Some(ids) = ids {
            line.push(',');
            line.push_str(&csv.cell(&ids.join("; ")));
        }
        line
    }
}

/// A row's CSV line in pieces, cut with export's own cell encoding: a copy
/// of the row with no needles has an empty `Matched` cell, and
/// `csv_row_with(copy, text)` ends `,,{text as a cell},{record}`.
struct CsvPieces {
    bare: FlaggedRow,
    cells: CsvCells,
    /// The cells before `Matched` (timestamp, text columns, flags), joined.
    prefix: String,
    record: String,
}

impl CsvPieces {
    fn new(row: &FlaggedRow, cells: CsvCells) -> Self {
        let mut bare = row.clone();
        bare.verdict.patterns = 0;
        bare.verdict.parents = 0;
        let record = row.position.record.to_string();
        let probe = export::csv_row_with(&bare, "", cells);
        let prefix = probe[..probe.len() - record.len() - 3].to_string();
        CsvPieces {
            bare,
            cells,
            prefix,
            record,
        }
    }

    /// `text` as export writes a cell.
    fn cell(&self, text: &str) -> String {
        let full = export::csv_row_with(&self.bare, text, self.cells);
        full[self.prefix.len() + 2..full.len() - self.record.len() - 1].to_string()
    }
}

fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// The allowlist's account on stderr: per entry, its status and the rows
/// it matched; then the total.
pub fn write_allowlist(
    err: &mut dyn Write,
    config: &Config,
    applied: &Applied,
    shown: bool,
) -> io::Result<()> {
    for (i, entry) in config.allowlist.entries.iter().enumerate() {
        let id = terminal_safe(&entry.id);
        let reason = terminal_safe(&entry.reason);
        match applied.status[i] {
            EntryStatus::Active => writeln!(
                err,
                "allowlist {id}: {} rows suppressed ({reason})",
                applied.counts[i]
            )?,
            EntryStatus::Disabled => writeln!(err, "allowlist {id}: disabled, not applied")?,
            EntryStatus::Expired => {
                let at = entry
                    .expires
                    .as_ref()
                    .map(|e| e.at.to_string())
                    .unwrap_or_default();
                writeln!(err, "allowlist {id}: expired {at}, not applied")?
            }
        }
    }
    if !config.allowlist.entries.is_empty() {
        let hint = if shown || applied.suppressed.is_empty() {
            ""
        } else {
            " (--show-suppressed prints them)"
        };
        writeln!(
            err,
            "allowlist: {} of {} rows in window suppressed{hint}",
            applied.suppressed.len(),
            applied.suppressed.len() + applied.kept.len()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_window_options_override_the_files_one_by_one() {
        let now = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let at = Timestamp::parse("2024-05-01T00:00:00Z").unwrap();
        let day = Duration::from_secs(86_400);
        let week = Duration::from_secs(7 * 86_400);
        let config = |json: &str| Config::parse(&format!(r#"{{"version": 1, {json}}}"#)).unwrap();
        let last = |duration, anchor| Window::Last { duration, anchor };
        // (config keys, --window, --anchor, window)
        type Case<'a> = (
            Option<&'a str>,
            Option<Option<Duration>>,
            Option<Anchor>,
            Window,
        );
        let cases: Vec<Case> = vec![
            (None, None, None, Window::default()),
            (
                Some(r#""window": "7d""#),
                None,
                None,
                last(week, Anchor::Newest),
            ),
            (
                Some(r#""window": "7d""#),
                Some(Some(day)),
                None,
                last(day, Anchor::Newest),
            ),
            (Some(r#""window": "7d""#), Some(None), None, Window::All),
            (Some(r#""window": "all""#), None, None, Window::All),
            (
                Some(r#""window": "all", "anchor": "now""#),
                Some(Some(day)),
                None,
                last(day, Anchor::Now(now)),
            ),
            (
                Some(r#""anchor": "2024-05-01""#),
                None,
                None,
                last(day, Anchor::At(at)),
            ),
            (
                Some(r#""anchor": "2024-05-01""#),
                None,
                Some(Anchor::Newest),
                last(day, Anchor::Newest),
            ),
            (
                Some(r#""window": "7d", "anchor": "now""#),
                None,
                Some(Anchor::At(at)),
                last(week, Anchor::At(at)),
            ),
        ];
        for (json, w, a, want) in cases {
            let c = json.map(config);
            assert_eq!(window(c.as_ref(), w, a, now), want, "{json:?} {w:?} {a:?}");
        }
    }
}
