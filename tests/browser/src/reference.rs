//! What the page should show, computed by `cmdhunt_core` itself: the same
//! files scanned with [`FileScan`], windowed with [`results::select`], and
//! the table cell text, sort orders and exports the page is checked against.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use cmdhunt_core::display::display_safe;
use cmdhunt_core::export::{self, CsvCells};
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::{self, Window};
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};
use cmdhunt_core::time::Timestamp;

/// Bytes per `FileScan::push` (any size gives the same result).
const CHUNK: usize = 64 * 1024;

/// Several files scanned together, as the page does when they are picked at once.
#[derive(Debug)]
pub struct Reference {
    /// Each file's name (as the browser reports it) and summary.
    pub files: Vec<(String, FileSummary)>,
    /// Every flagged row, file by file, in record order.
    pub rows: Vec<FlaggedRow>,
}

impl Reference {
    /// Scan `paths` (file `i` gets index `i`).
    pub fn scan(paths: &[PathBuf]) -> Result<Reference, crate::Error> {
        let rule = CompiledRule::new();
        Reference::scan_with(paths, |i, name| FileScan::new(&rule, i, name, None))
    }

    /// Scan `paths` as `cmdhunt scan --mode hardened` does: parity rows and
    /// hardened rows, labelled ([`FileScan::hardened`]).
    pub fn scan_hardened(paths: &[PathBuf]) -> Result<Reference, crate::Error> {
        let (rule, hardened) = (CompiledRule::new(), HardenedRules::new());
        Reference::scan_with(paths, |i, name| {
            FileScan::new(&rule, i, name, None).hardened(&hardened)
        })
    }

    /// Scan `paths` with a tuned rule (`cmdhunt scan --config` with edited lists).
    pub fn scan_tuned(paths: &[PathBuf], rule: &CompiledRule) -> Result<Reference, crate::Error> {
        Reference::scan_with(paths, |i, name| FileScan::new(rule, i, name, None))
    }

    /// Scan each of `paths` in [`CHUNK`]-byte pieces with the scan `start`
    /// makes for its index and name.
    fn scan_with<'r>(
        paths: &[PathBuf],
        start: impl Fn(u32, &str) -> FileScan<'r>,
    ) -> Result<Reference, crate::Error> {
        let mut files = Vec::new();
        let mut rows = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let name = crate::paths::file_name(path);
            let mut scan = start(u32::try_from(i)?, &name);
            for chunk in bytes.chunks(CHUNK) {
                scan.push(chunk);
            }
            let (summary, mut found) = scan.finish();
            rows.append(&mut found);
            files.push((name, summary));
        }
        Ok(Reference { files, rows })
    }

    /// Scan one file.
    pub fn scan_one(path: &Path) -> Result<Reference, crate::Error> {
        Reference::scan(&[path.to_path_buf()])
    }

    /// The newest process-creation time of every file (the default window's anchor).
    pub fn newest(&self) -> Option<Timestamp> {
        results::newest(self.files.iter().map(|(_, s)| s.newest))
    }

    /// The rule's rows for `window`, in the rule's order (Timestamp descending).
    pub fn select(&self, window: &Window) -> Vec<&FlaggedRow> {
        results::select(&self.rows, window, self.newest())
            .into_iter()
            .filter_map(|i| self.rows.get(i))
            .collect()
    }

    /// How many rows the rule returns with the rule's own window (24 h before the newest event).
    pub fn count_default_window(&self) -> usize {
        self.select(&Window::default()).len()
    }

    /// How many rows with no time filter.
    pub fn count_all_time(&self) -> usize {
        self.select(&Window::All).len()
    }

    /// Rows (all time) carrying flag `flag` (0..5, rule order).
    pub fn count_with_flag(&self, flag: usize) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict.flags.0.get(flag).copied().unwrap_or(false))
            .count()
    }

    /// The name of the file a row came from.
    pub fn file_name(&self, row: &FlaggedRow) -> &str {
        self.files
            .get(row.file as usize)
            .map_or("", |(n, _)| n.as_str())
    }

    /// The CSV export of the rows `select(window)` would show: the CLI's
    /// lines (formula-like cells neutralised, the default).
    pub fn csv_export(&self, window: &Window) -> String {
        self.csv_export_with(window, CsvCells::Neutralised)
    }

    /// The CSV export with text cells written as `cells` says.
    pub fn csv_export_with(&self, window: &Window, cells: CsvCells) -> String {
        let mut out = export::csv_header();
        out.push('\n');
        for row in self.select(window) {
            out.push_str(&export::csv_row_with(row, self.file_name(row), cells));
            out.push('\n');
        }
        out
    }

    /// The JSON export of the same rows: one `json_row` object per row.
    pub fn json_export(&self, window: &Window) -> Result<Vec<serde_json::Value>, crate::Error> {
        self.select(window)
            .into_iter()
            .map(|row| {
                Ok(serde_json::from_str(&export::json_row(
                    row,
                    self.file_name(row),
                ))?)
            })
            .collect()
    }
}

/// The text of the 11 table cells of a row, as the page shows them:
/// RFC 3339 time (empty when null), the five text columns with control and
/// bidi characters as `\u{..}` escapes ([`display_safe`]), the flags as
/// `true`/`false`; an inferred parent carries " (inferred)".
pub fn cell_texts(row: &FlaggedRow) -> Vec<String> {
    let e = &row.event;
    let mut cells = vec![
        e.timestamp.map(|t| t.to_string()).unwrap_or_default(),
        display_safe(&e.device_name),
        display_safe(&e.account_name),
        display_safe(&e.process_command_line),
        if e.parent_inferred {
            format!(
                "{} (inferred)",
                display_safe(&e.initiating_process_file_name)
            )
        } else {
            display_safe(&e.initiating_process_file_name)
        },
        display_safe(&e.initiating_process_command_line),
    ];
    cells.extend(row.verdict.flags.0.iter().map(|on| on.to_string()));
    cells
}

/// The stored (raw) value of column `col` that the sort compares.
fn raw_key(row: &FlaggedRow, col: usize) -> String {
    let e = &row.event;
    match col {
        0 => e.timestamp.map(|t| t.to_string()).unwrap_or_default(),
        1 => e.device_name.clone(),
        2 => e.account_name.clone(),
        3 => e.process_command_line.clone(),
        4 => e.initiating_process_file_name.clone(),
        5 => e.initiating_process_command_line.clone(),
        6..=10 => row.verdict.flags.0[col - 6].to_string(),
        _ => String::new(),
    }
}

/// Sort direction as `aria-sort` names it. Like the sort keys below, it is
/// written here again rather than taken from the page's `view.rs`: the
/// reference must not share the code it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `ascending`.
    Ascending,
    /// `descending`.
    Descending,
}

impl Direction {
    /// The `aria-sort` value.
    pub fn aria(self) -> &'static str {
        match self {
            Direction::Ascending => "ascending",
            Direction::Descending => "descending",
        }
    }
}

/// The sort key of column `col` for a row as the page shows it (escaped;
/// a parent without its " (inferred)" marker): what a sorted column reads.
pub fn sort_key(row: &FlaggedRow, col: usize) -> String {
    display_safe(&raw_key(row, col))
}

/// `rows` ordered as the page promises for a click-sorted column: times
/// chronologically, flags `false` < `true`, text case-insensitively (ASCII
/// folding); empty values last in both directions; ties keep their order.
pub fn sorted<'a>(
    rows: &[&'a FlaggedRow],
    col: usize,
    direction: Direction,
) -> Vec<&'a FlaggedRow> {
    let mut out = rows.to_vec();
    out.sort_by(|a, b| {
        let (ea, eb) = (empty(a, col), empty(b, col));
        match (ea, eb) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        let ord = compare(a, b, col);
        match direction {
            Direction::Ascending => ord,
            Direction::Descending => ord.reverse(),
        }
    });
    out
}

fn empty(row: &FlaggedRow, col: usize) -> bool {
    match col {
        0 => row.event.timestamp.is_none(),
        6..=10 => false,
        _ => raw_key(row, col).is_empty(),
    }
}

fn compare(a: &FlaggedRow, b: &FlaggedRow, col: usize) -> Ordering {
    match col {
        0 => a.event.timestamp.cmp(&b.event.timestamp),
        6..=10 => {
            let f = col - 6;
            a.verdict.flags.0.get(f).cmp(&b.verdict.flags.0.get(f))
        }
        _ => {
            let (x, y) = (raw_key(a, col), raw_key(b, col));
            x.to_ascii_lowercase()
                .cmp(&y.to_ascii_lowercase())
                .then_with(|| x.cmp(&y))
        }
    }
}

/// The validation `cmdhunt validate` prints for `paths` (file `i` is the
/// `i`-th path, named as the browser names it), with no config: the core's
/// [`FileValidation`](cmdhunt_core::validation::FileValidation) per file and
/// [`Report::build`](cmdhunt_core::validation::Report::build); the names
/// for [`Report::to_json`](cmdhunt_core::validation::Report::to_json).
pub fn validate(
    paths: &[PathBuf],
) -> Result<(cmdhunt_core::validation::Report, Vec<String>), crate::Error> {
    validate_with(paths, None)
}

/// The same with `--config`: the config's rule, and its allowlist (entries
/// without an expiry, so the clock does not matter) over the rows.
pub fn validate_with(
    paths: &[PathBuf],
    config: Option<&cmdhunt_core::tuning::Config>,
) -> Result<(cmdhunt_core::validation::Report, Vec<String>), crate::Error> {
    use cmdhunt_core::validation::{FileValidation, Report};
    let rule = match config {
        Some(c) => c.compile().map_err(|e| e.to_string())?,
        None => CompiledRule::new(),
    };
    let mut results = Vec::new();
    let mut names = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = crate::paths::file_name(path);
        let mut v = FileValidation::new(&rule, u32::try_from(i)?, &name, None);
        for chunk in bytes.chunks(CHUNK) {
            v.push(chunk);
        }
        results.push(v.finish());
        names.push(name);
    }
    let allowlist = config.map(|c| &c.allowlist);
    Ok((
        Report::build_tuned(&results, allowlist, Timestamp(0)),
        names,
    ))
}
