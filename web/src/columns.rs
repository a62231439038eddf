//! The grid's own settings (issue 13, item 5's grid half): group identical
//! rows, times in the browser's local zone, wrapped cells, and which columns
//! show (the column chooser, kept in `localStorage` under [`STORAGE_KEY`];
//! local time and wrap under [`PREFS_KEY`]).
//! None of them changes the rows or the exports (which stay UTC, all
//! columns). Pure, tested natively.

use std::collections::BTreeSet;

use cmdhunt_core::rule::PROJECTED_COLUMNS;
use cmdhunt_core::time::{Timestamp, TICKS_PER_SEC};

use crate::grouping::OwnedKey;

/// The `Matched` column's name (not one of the KQL's projected columns).
pub const MATCHED: &str = "Matched";

/// Where the hidden columns are kept (a JSON array of column names).
pub const STORAGE_KEY: &str = "cmdhunt.columns";

/// Where the local-time and wrap choices are kept (`{"local_time":
/// bool, "wrap": bool}`).
pub const PREFS_KEY: &str = "cmdhunt.grid";

/// A row's height with cells on one line (pixels).
pub const ROW_HEIGHT: u32 = 30;

/// A row's height with wrapped cells: four lines of text, the rest scrolls
/// inside the cell.
pub const WRAP_ROW_HEIGHT: u32 = 76;

/// The columns the chooser lists, in table order: the projection, then `Matched`.
pub fn chooser_columns() -> impl Iterator<Item = &'static str> {
    PROJECTED_COLUMNS.iter().copied().chain([MATCHED])
}

/// The grid's settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grid {
    /// Identical rows collapsed into groups ([`crate::grouping`]).
    pub grouped: bool,
    /// The groups open (by key).
    pub expanded: BTreeSet<OwnedKey>,
    /// Times shown in the browser's time zone (with its offset), not UTC.
    pub local_time: bool,
    /// Long cells wrap (taller rows) instead of being cut with an ellipsis.
    pub wrap: bool,
    /// Columns hidden by the chooser (names from [`chooser_columns`]).
    pub hidden: BTreeSet<String>,
}

/// A change of the grid's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridAction {
    /// Group identical rows (`true`) or not; groups close when it is switched.
    Group(bool),
    /// Open or close a group.
    ToggleGroup(OwnedKey),
    /// Local time (`true`) or UTC.
    LocalTime(bool),
    /// Wrap long cells.
    Wrap(bool),
    /// Hide or show a column.
    ToggleColumn(String),
    /// The hidden columns, as stored.
    SetHidden(BTreeSet<String>),
    /// The local-time and wrap choices, as stored.
    SetPrefs {
        /// Local time.
        local_time: bool,
        /// Wrap long cells.
        wrap: bool,
    },
}

/// The stored form of the local-time and wrap choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Prefs {
    local_time: bool,
    wrap: bool,
}

/// The stored text of the local-time and wrap choices.
pub fn prefs_json(local_time: bool, wrap: bool) -> String {
    serde_json::to_string(&Prefs { local_time, wrap }).unwrap_or_else(|_| "{}".into())
}

/// The local-time and wrap choices from their stored text.
pub fn parse_prefs(text: &str) -> Result<GridAction, String> {
    let p: Prefs = serde_json::from_str(text)
        .map_err(|e| format!("{PREFS_KEY}: not the grid's choices: {e}"))?;
    Ok(GridAction::SetPrefs {
        local_time: p.local_time,
        wrap: p.wrap,
    })
}

impl Grid {
    /// Apply a change.
    pub fn apply(&mut self, action: GridAction) {
        match action {
            GridAction::Group(on) => {
                self.grouped = on;
                self.expanded.clear();
            }
            GridAction::ToggleGroup(key) => {
                if !self.expanded.remove(&key) {
                    self.expanded.insert(key);
                }
            }
            GridAction::LocalTime(on) => self.local_time = on,
            GridAction::Wrap(on) => self.wrap = on,
            GridAction::ToggleColumn(name) => {
                if chooser_columns().any(|c| c == name) && !self.hidden.remove(&name) {
                    self.hidden.insert(name);
                }
            }
            GridAction::SetHidden(hidden) => self.hidden = hidden,
            GridAction::SetPrefs { local_time, wrap } => {
                self.local_time = local_time;
                self.wrap = wrap;
            }
        }
    }

    /// Whether column `name` shows.
    pub fn shows(&self, name: &str) -> bool {
        !self.hidden.contains(name)
    }

    /// The rows' height in pixels.
    pub fn row_height(&self) -> u32 {
        if self.wrap {
            WRAP_ROW_HEIGHT
        } else {
            ROW_HEIGHT
        }
    }

    /// The hidden columns as stored: a JSON array of names.
    pub fn hidden_json(&self) -> String {
        serde_json::to_string(&self.hidden).unwrap_or_else(|_| "[]".into())
    }
}

/// The hidden columns from their stored text: names the chooser does not
/// list are dropped; text that is not a JSON array of strings is an error.
pub fn parse_hidden(text: &str) -> Result<BTreeSet<String>, String> {
    let names: Vec<String> = serde_json::from_str(text)
        .map_err(|e| format!("{STORAGE_KEY}: not a list of column names: {e}"))?;
    Ok(names
        .into_iter()
        .filter(|n| chooser_columns().any(|c| c == n))
        .collect())
}

/// A UTC offset in minutes east of Greenwich as `+HH:MM` / `-HH:MM`.
pub fn offset_text(east_minutes: i32) -> String {
    let sign = if east_minutes < 0 { '-' } else { '+' };
    let m = east_minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// `ts` as local time `east_minutes` east of UTC: the core's RFC 3339 text
/// of the shifted instant, its `Z` replaced by the offset
/// (`2024-05-01T15:30:00.0000000+05:30` for `10:00:00Z` at +05:30).
pub fn local_text(ts: Timestamp, east_minutes: i32) -> String {
    let shifted = Timestamp(ts.0.saturating_add(i64::from(east_minutes) * 60 * TICKS_PER_SEC));
    let text = shifted.to_string();
    match text.strip_suffix('Z') {
        Some(body) => format!("{body}{}", offset_text(east_minutes)),
        None => text,
    }
}

/// Milliseconds since the Unix epoch of `ts` (for the browser's `Date`).
pub fn unix_ms(ts: Timestamp) -> f64 {
    // Ticks are 100 ns since the Unix epoch.
    ts.0 as f64 / (TICKS_PER_SEC / 1000) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("time")
    }

    #[test]
    fn local_text_table() {
        for (utc, east, want) in [
            (
                "2024-05-01T10:00:00Z",
                330,
                "2024-05-01T15:30:00.0000000+05:30",
            ),
            (
                "2024-05-01T01:00:00Z",
                -300,
                "2024-04-30T20:00:00.0000000-05:00",
            ),
            (
                "2024-12-31T23:59:59.5Z",
                60,
                "2025-01-01T00:59:59.5000000+01:00",
            ),
            (
                "2024-05-01T10:00:00Z",
                0,
                "2024-05-01T10:00:00.0000000+00:00",
            ),
            (
                "2024-05-01T10:00:00Z",
                -570,
                "2024-05-01T00:30:00.0000000-09:30",
            ),
        ] {
            assert_eq!(local_text(at(utc), east), want, "{utc} {east}");
        }
    }

    #[test]
    fn unix_ms_of_the_epoch_and_a_day() {
        assert_eq!(unix_ms(at("1970-01-01T00:00:00Z")), 0.0);
        assert_eq!(unix_ms(at("1970-01-02T00:00:00.001Z")), 86_400_001.0);
    }

    #[test]
    fn the_chooser_keeps_known_columns_and_round_trips() {
        let mut grid = Grid::default();
        grid.apply(GridAction::ToggleColumn("DeviceName".into()));
        grid.apply(GridAction::ToggleColumn(MATCHED.into()));
        grid.apply(GridAction::ToggleColumn("NoSuchColumn".into()));
        assert!(!grid.shows("DeviceName") && !grid.shows(MATCHED));
        assert!(grid.shows("ProcessCommandLine"));
        let stored = grid.hidden_json();
        assert_eq!(stored, r#"["DeviceName","Matched"]"#);
        assert_eq!(parse_hidden(&stored), Ok(grid.hidden.clone()));
        assert_eq!(
            parse_hidden(r#"["AccountName","x"]"#),
            Ok(["AccountName".to_owned()].into())
        );
        assert!(parse_hidden("{").is_err());
        grid.apply(GridAction::ToggleColumn("DeviceName".into()));
        assert!(grid.shows("DeviceName"));
    }

    #[test]
    fn prefs_round_trip() {
        let mut grid = Grid::default();
        grid.apply(parse_prefs(&prefs_json(true, false)).unwrap());
        assert!(grid.local_time && !grid.wrap);
        grid.apply(parse_prefs(&prefs_json(false, true)).unwrap());
        assert!(!grid.local_time && grid.wrap);
        assert!(parse_prefs("[]").is_err());
    }

    #[test]
    fn grouping_switch_closes_groups_and_groups_toggle() {
        let mut grid = Grid::default();
        let key: OwnedKey = ["a".into(), "b".into(), "c".into(), "d".into()];
        grid.apply(GridAction::Group(true));
        grid.apply(GridAction::ToggleGroup(key.clone()));
        assert!(grid.expanded.contains(&key));
        grid.apply(GridAction::ToggleGroup(key.clone()));
        assert!(grid.expanded.is_empty());
        grid.apply(GridAction::ToggleGroup(key));
        grid.apply(GridAction::Group(false));
        assert!(!grid.grouped && grid.expanded.is_empty());
        assert_eq!(grid.row_height(), ROW_HEIGHT);
        grid.apply(GridAction::Wrap(true));
        assert_eq!(grid.row_height(), WRAP_ROW_HEIGHT);
    }
}
