//! Which rows the table shows, in which order: the time window (from
//! [`cmdhunt_core::results`]), the flag chips, the text search and the column
//! sort. Pure functions of the rows, so changing any of them never re-reads a file.

use std::cmp::Ordering;
use std::collections::HashMap;

use cmdhunt_core::hardened::Detection;
use cmdhunt_core::results::Window;
use cmdhunt_core::rule::PROJECTED_COLUMNS;
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_core::time::Timestamp;

use crate::query::{self, Context, Matcher, Query};

/// One of the 11 projected columns, by index in [`PROJECTED_COLUMNS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column(pub usize);

impl Column {
    /// `Timestamp`, the rule's sort column.
    pub const TIMESTAMP: Column = Column(0);

    /// The column's KQL name.
    pub fn name(self) -> &'static str {
        PROJECTED_COLUMNS.get(self.0).copied().unwrap_or("")
    }

    /// The flag index (0..5) when the column is one of the five flags.
    pub fn flag(self) -> Option<usize> {
        self.0.checked_sub(6).filter(|&f| f < 5)
    }

    /// The column's text for a row (flags as `true`/`false`, times RFC 3339).
    pub fn text(self, row: &FlaggedRow) -> String {
        let e = &row.event;
        match self.0 {
            0 => e.timestamp.map(|t| t.to_string()).unwrap_or_default(),
            1 => e.device_name.clone(),
            2 => e.account_name.clone(),
            3 => e.process_command_line.clone(),
            4 => e.initiating_process_file_name.clone(),
            5 => e.initiating_process_command_line.clone(),
            _ => self
                .flag()
                .map(|f| row.verdict.flags.0[f].to_string())
                .unwrap_or_default(),
        }
    }

    fn str_of(self, row: &FlaggedRow) -> &str {
        let e = &row.event;
        match self.0 {
            1 => &e.device_name,
            2 => &e.account_name,
            3 => &e.process_command_line,
            4 => &e.initiating_process_file_name,
            _ => &e.initiating_process_command_line,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first.
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

/// The table's sort: a column and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// The column.
    pub column: Column,
    /// The direction.
    pub direction: Direction,
}

impl Default for Sort {
    /// The rule's `sort by Timestamp desc`.
    fn default() -> Self {
        Sort {
            column: Column::TIMESTAMP,
            direction: Direction::Descending,
        }
    }
}

impl Sort {
    /// The sort after clicking `column`'s header: the same column flips, another
    /// column starts descending for times and flags, ascending for text.
    pub fn clicked(self, column: Column) -> Sort {
        let direction = if self.column == column {
            match self.direction {
                Direction::Ascending => Direction::Descending,
                Direction::Descending => Direction::Ascending,
            }
        } else if column == Column::TIMESTAMP || column.flag().is_some() {
            Direction::Descending
        } else {
            Direction::Ascending
        };
        Sort { column, direction }
    }
}

/// Everything that decides the rows shown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewSpec {
    /// The time window.
    pub window: Window,
    /// Newest process-creation time of every file read (the window's default anchor).
    pub newest: Option<Timestamp>,
    /// Flag chips: when any is on, a row must have at least one of the chosen flags.
    pub flags: [bool; 5],
    /// The search box's text: words, `field:value`, `field=value` and
    /// `-term` exclusions ([`crate::query`]; a text that does not parse
    /// filters nothing, and the page shows why).
    pub search: String,
    /// What the search needs besides the rows: file names, the lists' names.
    pub context: Context,
    /// The column sort.
    pub sort: Sort,
    /// Detection chips (parity, hardened): when either is on, a row must be
    /// of a chosen kind ([`cmdhunt_core::hardened::Detection`]).
    pub detection: [bool; 2],
    /// Show the rows the allowlist suppressed (and only them) instead of
    /// the rows it kept.
    pub show_suppressed: bool,
    /// The why chips: patterns and "pattern only" / "parent only" ([`crate::why`]).
    pub why: crate::why::WhyFilter,
}

/// The indices of `rows` to show, in display order.
///
/// Sorting is stable (ties keep file and record order) and puts empty values
/// (a null `Timestamp`, an empty string) last in both directions.
pub fn visible_rows(rows: &[FlaggedRow], spec: &ViewSpec) -> Vec<usize> {
    visible_rows_where(rows, spec, |_| true)
}

/// [`visible_rows`] among the rows `keep` accepts (by index): the rows an
/// allowlist kept, or those it suppressed.
pub fn visible_rows_where(
    rows: &[FlaggedRow],
    spec: &ViewSpec,
    keep: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let query = search_query(spec);
    let matcher = Matcher::new(&query, &spec.context);
    let mut keep: Vec<usize> = (0..rows.len())
        .filter(|&i| keep(i) && passes_with(&rows[i], spec, &matcher))
        .collect();
    sort_rows(rows, &mut keep, spec.sort);
    keep
}

/// Put `indices` in the order of `keyed` (each index with its key), sorted
/// by key, then by index.
fn order_by<K: Ord>(indices: &mut [usize], mut keyed: Vec<(K, usize)>) {
    keyed.sort_unstable();
    for (slot, (_, i)) in indices.iter_mut().zip(keyed) {
        *slot = i;
    }
}

/// Sort `indices` of `rows` by `sort`: empty values (a null `Timestamp`, an
/// empty string) last in both directions, ties in row order (so, for
/// indices in row order, the sort is stable).
///
/// The keys are gathered once and the small keyed entries sorted, rather
/// than comparing rows in place: 100,000 rows sort in milliseconds.
pub fn sort_rows(rows: &[FlaggedRow], indices: &mut [usize], sort: Sort) {
    let desc = sort.direction == Direction::Descending;
    let col = sort.column;
    if col == Column::TIMESTAMP {
        let keyed: Vec<((bool, i64), usize)> = indices
            .iter()
            .map(|&i| match rows[i].event.timestamp {
                Some(t) if desc => ((false, t.0.saturating_neg()), i),
                Some(t) => ((false, t.0), i),
                None => ((true, 0), i),
            })
            .collect();
        order_by(indices, keyed);
    } else if let Some(f) = col.flag() {
        // `true` first when descending.
        let keyed: Vec<(bool, usize)> = indices
            .iter()
            .map(|&i| (rows[i].verdict.flags.0[f] != desc, i))
            .collect();
        order_by(indices, keyed);
    } else {
        // Rank the distinct values once (few for names, many for command
        // lines), then sort small integer keys.
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let mut distinct: Vec<&str> = Vec::new();
        let value_ids: Vec<u32> = indices
            .iter()
            .map(|&i| {
                let v = col.str_of(&rows[i]);
                *ids.entry(v).or_insert_with(|| {
                    distinct.push(v);
                    (distinct.len() - 1) as u32
                })
            })
            .collect();
        let mut order: Vec<(String, u32)> = distinct
            .iter()
            .enumerate()
            .map(|(id, v)| (v.to_ascii_lowercase(), id as u32))
            .collect();
        order.sort_unstable_by(|(x, a), (y, b)| {
            text_order(x, y, desc)
                .then_with(|| text_order(distinct[*a as usize], distinct[*b as usize], desc))
        });
        let mut rank = vec![0u32; distinct.len()];
        for (r, (_, id)) in order.iter().enumerate() {
            rank[*id as usize] = r as u32;
        }
        let keyed: Vec<(u32, usize)> = value_ids
            .iter()
            .zip(indices.iter())
            .map(|(&id, &i)| (rank[id as usize], i))
            .collect();
        order_by(indices, keyed);
    }
}

/// Empty last, otherwise ascending or descending byte order.
fn text_order(x: &str, y: &str, desc: bool) -> Ordering {
    match (x.is_empty(), y.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ if desc => y.cmp(x),
        _ => x.cmp(y),
    }
}

/// How rows `a` and `b` compare under `sort`, ties broken by row order:
/// the order [`sort_rows`] produces, for merging newly arrived rows.
pub fn compare_rows(rows: &[FlaggedRow], a: usize, b: usize, sort: Sort) -> Ordering {
    let desc = sort.direction == Direction::Descending;
    let col = sort.column;
    let (x, y) = (&rows[a], &rows[b]);
    let by_key = if col == Column::TIMESTAMP {
        match (x.event.timestamp, y.event.timestamp) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(s), Some(t)) if desc => t.cmp(&s),
            (Some(s), Some(t)) => s.cmp(&t),
        }
    } else if let Some(f) = col.flag() {
        (x.verdict.flags.0[f] != desc).cmp(&(y.verdict.flags.0[f] != desc))
    } else {
        let (p, q) = (col.str_of(x), col.str_of(y));
        text_order(&p.to_ascii_lowercase(), &q.to_ascii_lowercase(), desc)
            .then_with(|| text_order(p, q, desc))
    };
    by_key.then(a.cmp(&b))
}

/// Add rows `first..rows.len()` (just arrived) to `shown`, which holds the
/// rows before them as [`visible_rows`] would show them: the new rows that
/// pass the filters are sorted and merged in, in linear time.
pub fn merge_new_rows(rows: &[FlaggedRow], shown: &mut Vec<usize>, first: usize, spec: &ViewSpec) {
    merge_new_rows_where(rows, shown, first, spec, |_| true);
}

/// [`merge_new_rows`] among the rows `keep` accepts (by index).
pub fn merge_new_rows_where(
    rows: &[FlaggedRow],
    shown: &mut Vec<usize>,
    first: usize,
    spec: &ViewSpec,
    keep: impl Fn(usize) -> bool,
) {
    let query = search_query(spec);
    let matcher = Matcher::new(&query, &spec.context);
    let mut add: Vec<usize> = (first..rows.len())
        .filter(|&i| keep(i) && passes_with(&rows[i], spec, &matcher))
        .collect();
    if add.is_empty() {
        return;
    }
    sort_rows(rows, &mut add, spec.sort);
    let old = std::mem::take(shown);
    let mut merged = Vec::with_capacity(old.len() + add.len());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < add.len() {
        if compare_rows(rows, add[j], old[i], spec.sort) == Ordering::Less {
            merged.push(add[j]);
            j += 1;
        } else {
            merged.push(old[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&old[i..]);
    merged.extend_from_slice(&add[j..]);
    *shown = merged;
}

/// The search of `spec`, parsed (empty when it does not parse: the page
/// shows the error and filters nothing by it).
pub fn search_query(spec: &ViewSpec) -> Query {
    query::parse(&spec.search).unwrap_or_default()
}

/// Does `row` pass the window, the chips and the search of `spec`? (Parses
/// the search for this row alone: for many rows, [`visible_rows`].)
pub fn passes(row: &FlaggedRow, spec: &ViewSpec) -> bool {
    let query = search_query(spec);
    passes_with(row, spec, &Matcher::new(&query, &spec.context))
}

/// [`passes`] with the search already prepared.
fn passes_with(row: &FlaggedRow, spec: &ViewSpec, search: &Matcher<'_>) -> bool {
    passes_except_window(row, spec, search) && spec.window.admits(row.event.timestamp, spec.newest)
}

/// Everything [`passes`] asks but the time window: the rows the timeline
/// draws (it spans the data's whole time range and shows the window on it).
pub fn passes_except_window(row: &FlaggedRow, spec: &ViewSpec, search: &Matcher<'_>) -> bool {
    let any_chip = spec.flags.iter().any(|&on| on);
    let kind = usize::from(row.detection == Detection::Hardened);
    (spec.detection == [false; 2] || spec.detection[kind])
        && (!any_chip
            || spec
                .flags
                .iter()
                .zip(row.verdict.flags.0)
                .any(|(&chip, on)| chip && on))
        && spec.why.passes(row)
        && search.matches(row)
}

/// `haystack` contains `needle` (lowercase) ignoring case, without allocating
/// for ASCII text.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        return h
            .windows(n.len())
            .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b));
    }
    haystack.to_lowercase().contains(needle)
}

/// The slice of a long list to render in a scrolled viewport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// First row rendered.
    pub start: usize,
    /// One past the last row rendered.
    pub end: usize,
    /// Height of the spacer above the rendered rows, in pixels.
    pub top: u32,
    /// Height of the spacer below them.
    pub bottom: u32,
}

/// Which of `total` rows of `row_height` pixels to render when the viewport
/// of `viewport` pixels is scrolled to `scroll_top`, with `overscan` extra rows
/// either side.
pub fn visible_slice(
    scroll_top: f64,
    viewport: f64,
    row_height: u32,
    total: usize,
    overscan: usize,
) -> Slice {
    let h = f64::from(row_height.max(1));
    let first = (scroll_top.max(0.0) / h).floor() as usize;
    let count = (viewport.max(0.0) / h).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(total);
    let end = first.saturating_add(count + overscan).min(total);
    let px = |rows: usize| {
        u32::try_from(rows)
            .unwrap_or(u32::MAX)
            .saturating_mul(row_height)
    };
    Slice {
        start,
        end,
        top: px(start),
        bottom: px(total - end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample_csv, scan_all};
    use cmdhunt_core::results::select;

    fn sample() -> (Vec<FlaggedRow>, Option<Timestamp>) {
        let (s, rows) = scan_all(sample_csv(), 0, None);
        (rows, s.newest)
    }

    fn spec(newest: Option<Timestamp>) -> ViewSpec {
        ViewSpec {
            newest,
            ..ViewSpec::default()
        }
    }

    #[test]
    fn default_view_is_the_rules_select() {
        let (rows, newest) = sample();
        assert_eq!(
            visible_rows(&rows, &spec(newest)),
            select(&rows, &Window::default(), newest)
        );
    }

    #[test]
    fn all_time_keeps_every_row() {
        let (rows, newest) = sample();
        let s = ViewSpec {
            window: Window::All,
            ..spec(newest)
        };
        assert_eq!(visible_rows(&rows, &s).len(), rows.len());
    }

    #[test]
    fn chips_keep_rows_with_any_chosen_flag() {
        let (rows, newest) = sample();
        for f in 0..5 {
            let mut s = spec(newest);
            s.window = Window::All;
            s.flags[f] = true;
            let shown = visible_rows(&rows, &s);
            let expected = rows.iter().filter(|r| r.verdict.flags.0[f]).count();
            assert_eq!(shown.len(), expected, "flag {f}");
            assert!(expected > 0);
        }
        let mut s = spec(newest);
        s.window = Window::All;
        s.flags = [true, false, false, true, false];
        let expected = rows
            .iter()
            .filter(|r| r.verdict.flags.0[0] || r.verdict.flags.0[3])
            .count();
        assert_eq!(visible_rows(&rows, &s).len(), expected);
    }

    #[test]
    fn search_ignores_case_and_spans_text_columns() {
        let (rows, newest) = sample();
        let mut s = spec(newest);
        s.window = Window::All;
        for (query, n) in [
            ("VSSADMIN", 1),
            ("srv-file-02", 4),
            ("WinWord", 1),
            ("nothing-like-this", 0),
        ] {
            s.search = query.into();
            assert_eq!(visible_rows(&rows, &s).len(), n, "{query}");
        }
    }

    #[test]
    fn sorts_are_stable_with_empties_last() {
        let (rows, newest) = sample();
        let base = ViewSpec {
            window: Window::All,
            ..spec(newest)
        };
        for col in 0..11 {
            for direction in [Direction::Ascending, Direction::Descending] {
                let sort = Sort {
                    column: Column(col),
                    direction,
                };
                let order = visible_rows(
                    &rows,
                    &ViewSpec {
                        sort,
                        ..base.clone()
                    },
                );
                assert_eq!(order.len(), rows.len());
                let texts: Vec<String> =
                    order.iter().map(|&i| Column(col).text(&rows[i])).collect();
                for (w, pair) in order.windows(2).zip(texts.windows(2)) {
                    let (a, b) = (&pair[0], &pair[1]);
                    let ord = if col == 0 || col >= 6 {
                        a.cmp(b)
                    } else {
                        a.to_lowercase().cmp(&b.to_lowercase())
                    };
                    if b.is_empty() {
                        continue;
                    }
                    assert!(!a.is_empty(), "empty before non-empty, column {col}");
                    match direction {
                        Direction::Ascending => assert_ne!(ord, Ordering::Greater, "{a} > {b}"),
                        Direction::Descending => assert_ne!(ord, Ordering::Less, "{a} < {b}"),
                    }
                    if ord == Ordering::Equal && a == b {
                        assert!(w[0] < w[1], "stable: column {col}");
                    }
                }
            }
        }
    }

    #[test]
    fn timestamp_desc_is_the_cores_sort() {
        let (rows, _) = sample();
        let mut ours: Vec<usize> = (0..rows.len()).collect();
        let mut core = ours.clone();
        sort_rows(&rows, &mut ours, Sort::default());
        cmdhunt_core::results::sort_by_timestamp_desc(&rows, &mut core);
        assert_eq!(ours, core);
    }

    #[test]
    fn merging_arrivals_equals_a_full_recompute() {
        let (mut rows, newest) = sample();
        // Duplicate rows so that ties exist in every column.
        rows.extend(rows.clone());
        for col in 0..11 {
            for direction in [Direction::Ascending, Direction::Descending] {
                let spec = ViewSpec {
                    window: Window::All,
                    sort: Sort {
                        column: Column(col),
                        direction,
                    },
                    ..spec(newest)
                };
                for cut in [0, 1, 7, 15, 22, rows.len()] {
                    let mut shown = visible_rows(&rows[..cut], &spec);
                    merge_new_rows(&rows, &mut shown, cut, &spec);
                    assert_eq!(
                        shown,
                        visible_rows(&rows, &spec),
                        "column {col} {direction:?} cut {cut}"
                    );
                    for w in shown.windows(2) {
                        assert_eq!(compare_rows(&rows, w[0], w[1], spec.sort), Ordering::Less);
                    }
                }
            }
        }
    }

    #[test]
    fn header_clicks_flip_and_choose_sensible_first_directions() {
        let s = Sort::default();
        assert_eq!(s.clicked(Column(0)).direction, Direction::Ascending);
        assert_eq!(s.clicked(Column(0)).clicked(Column(0)), s);
        assert_eq!(s.clicked(Column(1)).direction, Direction::Ascending);
        assert_eq!(s.clicked(Column(7)).direction, Direction::Descending);
        assert_eq!(Column(7).flag(), Some(1));
        assert_eq!(Column(5).flag(), None);
        assert_eq!(Column(10).name(), "SuspiciousParent");
    }

    #[test]
    fn search_finds_bidi_text_as_stored_and_as_shown() {
        let (mut rows, newest) = sample();
        rows[0].event.process_command_line =
            "cmd /c echo \u{202e} gnp.exe & schtasks /create /tn x".into();
        let mut s = spec(newest);
        s.window = Window::All;
        for query in ["gnp.exe", "\\u{202E}", "echo \\u{202e} gnp", "\u{202e} gnp"] {
            s.search = query.into();
            assert_eq!(visible_rows(&rows, &s), vec![0], "{query}");
        }
    }

    #[test]
    fn contains_ci_table() {
        for (h, n, want) in [
            ("CMD /C Reg Add", "reg add", true),
            ("abc", "", true),
            ("ab", "abc", false),
            ("ÉCOLE cmd", "école", true),
            ("x", "é", false),
        ] {
            assert_eq!(contains_ci(h, n), want, "{h} / {n}");
        }
    }

    #[test]
    fn visible_slice_table() {
        // (scroll_top, viewport, total) -> (start, end, top, bottom) with 30 px rows, overscan 5.
        for (top, vp, total, want) in [
            (0.0, 300.0, 100_000, (0, 16, 0, (100_000 - 16) * 30)),
            (
                30_000.0,
                300.0,
                100_000,
                (995, 1016, 995 * 30, (100_000 - 1016) * 30),
            ),
            (0.0, 300.0, 3, (0, 3, 0, 0)),
            (9e9, 300.0, 10, (10, 10, 300, 0)),
            (0.0, 300.0, 0, (0, 0, 0, 0)),
        ] {
            let s = visible_slice(top, vp, 30, total, 5);
            let want = Slice {
                start: want.0,
                end: want.1,
                top: want.2 as u32,
                bottom: want.3 as u32,
            };
            assert_eq!(s, want, "scroll {top} total {total}");
        }
    }
}
