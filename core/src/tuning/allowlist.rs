//! Allowlist entries: known-good activity the analyst suppresses, each with
//! a reason, an optional expiry, and per-entry counts.
//!
//! An entry suppresses a row when **all** its conditions hold. A condition
//! tests one projected column with KQL's `has` ([`crate::kql::has`], the
//! rule's own term semantics), `=~` ([`crate::kql::equals_ci`]) or a regular
//! expression (unanchored search, case-sensitive unless the pattern says
//! `(?i)`, as KQL's `matches regex`). Suppressed rows are never dropped:
//! [`Allowlist::apply`] returns them beside the kept ones, with the entries
//! that matched each.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use regex_automata::meta::Regex;

use crate::event::ProcessEvent;
use crate::kql;
use crate::scan::FlaggedRow;
use crate::time::Timestamp;

/// A projected column an allowlist condition can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `DeviceName`
    DeviceName,
    /// `AccountName`
    AccountName,
    /// `InitiatingProcessFileName` (the parent's image name).
    InitiatingProcessFileName,
    /// `InitiatingProcessCommandLine` (the parent's command line).
    InitiatingProcessCommandLine,
    /// `ProcessCommandLine` (cmd.exe's command line).
    ProcessCommandLine,
}

impl Field {
    /// Every field, in projection order.
    pub const ALL: [Field; 5] = [
        Field::DeviceName,
        Field::AccountName,
        Field::ProcessCommandLine,
        Field::InitiatingProcessFileName,
        Field::InitiatingProcessCommandLine,
    ];

    /// The KQL column name (also the config's spelling).
    pub fn name(self) -> &'static str {
        match self {
            Field::DeviceName => "DeviceName",
            Field::AccountName => "AccountName",
            Field::InitiatingProcessFileName => "InitiatingProcessFileName",
            Field::InitiatingProcessCommandLine => "InitiatingProcessCommandLine",
            Field::ProcessCommandLine => "ProcessCommandLine",
        }
    }

    /// The field named `name` (exact spelling, as in KQL).
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The field's text in an event.
    pub fn of(self, event: &ProcessEvent) -> &str {
        match self {
            Field::DeviceName => &event.device_name,
            Field::AccountName => &event.account_name,
            Field::InitiatingProcessFileName => &event.initiating_process_file_name,
            Field::InitiatingProcessCommandLine => &event.initiating_process_command_line,
            Field::ProcessCommandLine => &event.process_command_line,
        }
    }
}

/// How a condition compares its column with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// KQL `has`: the value occurs on term boundaries, any case.
    Has,
    /// KQL `=~`: the whole column equals the value, any case, no trimming.
    Equals,
    /// A regular expression found anywhere in the column (KQL `matches
    /// regex`; case-sensitive unless it starts with `(?i)`).
    Regex,
}

impl MatchKind {
    /// Every kind.
    pub const ALL: [MatchKind; 3] = [MatchKind::Has, MatchKind::Equals, MatchKind::Regex];

    /// The config's spelling: `has`, `=~`, `regex`.
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Has => "has",
            MatchKind::Equals => "=~",
            MatchKind::Regex => "regex",
        }
    }

    /// The kind spelled `name`.
    pub fn from_name(name: &str) -> Option<MatchKind> {
        MatchKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One test of an allowlist entry: `field kind value`.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The column tested.
    pub field: Field,
    /// The comparison.
    pub kind: MatchKind,
    /// The value (for [`MatchKind::Regex`], the pattern).
    pub value: String,
    /// The compiled pattern of a [`MatchKind::Regex`] condition.
    regex: Option<Regex>,
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        (self.field, self.kind, &self.value) == (other.field, other.kind, &other.value)
    }
}

impl Eq for Condition {}

impl Condition {
    /// A condition; a regular expression is compiled here. `Err` names what
    /// is wrong with the value (an empty `has` needle or pattern matches
    /// nothing useful and is refused; `=~ ""` tests for an empty column).
    ///
    /// ```
    /// use cmdhunt_core::tuning::{Condition, Field, MatchKind};
    /// assert!(Condition::new(Field::DeviceName, MatchKind::Regex, "(?i)^build-\\d+$").is_ok());
    /// assert!(Condition::new(Field::DeviceName, MatchKind::Regex, "(").is_err());
    /// assert!(Condition::new(Field::DeviceName, MatchKind::Has, "").is_err());
    /// ```
    pub fn new(field: Field, kind: MatchKind, value: &str) -> Result<Condition, String> {
        let regex =
            match kind {
                MatchKind::Has | MatchKind::Regex if value.is_empty() => return Err(String::from(
                    "is empty (it would match every row or none); use =~ \"\" for an empty column",
                )),
                MatchKind::Regex => Some(
                    Regex::new(value)
                        .map_err(|e| alloc::format!("is not a valid regular expression: {e}"))?,
                ),
                MatchKind::Has | MatchKind::Equals => None,
            };
        Ok(Condition {
            field,
            kind,
            value: value.into(),
            regex,
        })
    }

    /// Does the event's column satisfy the condition?
    pub fn matches(&self, event: &ProcessEvent) -> bool {
        let text = self.field.of(event);
        match (self.kind, &self.regex) {
            (MatchKind::Has, _) => could_have(text, &self.value) && kql::has(text, &self.value),
            (MatchKind::Equals, _) => kql::equals_ci(text, &self.value),
            (MatchKind::Regex, Some(re)) => re.is_match(text),
            (MatchKind::Regex, None) => false,
        }
    }
}

/// A cheap necessary condition for `kql::has(text, needle)`: when both are
/// ASCII, the needle must occur in the text ignoring ASCII case (Unicode
/// lowercase of ASCII is ASCII lowercase). Non-ASCII text can fold onto
/// ASCII (the Kelvin sign is a `k`), so it is always passed on to `has`.
fn could_have(text: &str, needle: &str) -> bool {
    if !(text.is_ascii() && needle.is_ascii()) {
        return true;
    }
    let (t, n) = (text.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else {
        return true;
    };
    let first = first.to_ascii_lowercase();
    t.len() >= n.len()
        && (0..=t.len() - n.len()).any(|i| {
            t[i].to_ascii_lowercase() == first && t[i + 1..i + n.len()].eq_ignore_ascii_case(rest)
        })
}

/// When an entry stops applying: its instant and the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    /// The instant; from then on the entry no longer suppresses.
    pub at: Timestamp,
    /// The config's text (kept for writing the config back unchanged).
    pub text: String,
}

/// Whether an entry applies at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// It suppresses the rows it matches.
    Active,
    /// `"enabled": false` (presets start this way).
    Disabled,
    /// Its expiry has passed: it does not apply, and is reported.
    Expired,
}

impl fmt::Display for EntryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntryStatus::Active => "active",
            EntryStatus::Disabled => "disabled",
            EntryStatus::Expired => "expired",
        })
    }
}

/// One allowlist entry: all its conditions must hold to suppress a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    /// A short unique name, shown in counts and beside suppressed rows.
    pub id: String,
    /// Why this activity is known-good (required: the next responder reads it).
    pub reason: String,
    /// `false` keeps the entry in the config without applying it.
    pub enabled: bool,
    /// From this instant on the entry does not apply.
    pub expires: Option<Expiry>,
    /// The conditions, all of which must hold (at least one).
    pub when: Vec<Condition>,
}

impl AllowEntry {
    /// The entry's status at `now` (expired once `now >= expires`).
    pub fn status(&self, now: Timestamp) -> EntryStatus {
        if !self.enabled {
            EntryStatus::Disabled
        } else if self.expires.as_ref().is_some_and(|e| now >= e.at) {
            EntryStatus::Expired
        } else {
            EntryStatus::Active
        }
    }

    /// Do all the conditions hold for `event` (whatever the status)?
    pub fn matches(&self, event: &ProcessEvent) -> bool {
        !self.when.is_empty() && self.when.iter().all(|c| c.matches(event))
    }
}

/// The allowlist: entries in config order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allowlist {
    /// The entries.
    pub entries: Vec<AllowEntry>,
}

/// The rule's rows split by an allowlist ([`Allowlist::apply`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// Rows no active entry matched, in the order given.
    pub kept: Vec<usize>,
    /// Rows some active entry matched, in the order given.
    pub suppressed: Vec<usize>,
    /// For each suppressed row: the indices of every active entry that matched it.
    pub matched_by: BTreeMap<usize, Vec<usize>>,
    /// Per entry (config order): how many of the rows it matched (an entry
    /// that is not active counts 0). A row matched by two entries counts
    /// for both; `suppressed.len()` counts it once.
    pub counts: Vec<u64>,
    /// Per entry: its status at the time given.
    pub status: Vec<EntryStatus>,
}

impl Applied {
    /// The entries that suppressed `row` (empty when it was kept).
    pub fn entries_for(&self, row: usize) -> &[usize] {
        self.matched_by.get(&row).map_or(&[], Vec::as_slice)
    }
}

impl Allowlist {
    /// Split `order` (indices into `rows`, e.g. from [`crate::results::select`])
    /// into kept and suppressed rows, with entries judged active or expired
    /// at `now`.
    ///
    /// ```
    /// use cmdhunt_core::{matcher::CompiledRule, scan::FileScan, results, time::Timestamp};
    /// use cmdhunt_core::tuning::Config;
    /// let csv = "Timestamp,DeviceName,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
    ///            2024-01-01T00:00:00Z,build01,cmd.exe,cmd /c reg add HKCU\\x,explorer.exe\n\
    ///            2024-01-01T00:00:01Z,ws7,cmd.exe,cmd /c reg add HKCU\\x,explorer.exe\n";
    /// let rule = CompiledRule::new();
    /// let mut scan = FileScan::new(&rule, 0, "x.csv", None);
    /// scan.push(csv.as_bytes());
    /// let (summary, rows) = scan.finish();
    /// let order = results::select(&rows, &results::Window::All, summary.newest);
    /// let config = Config::parse(r#"{"version": 1, "allowlist": [{"id": "build", "reason": "build farm",
    ///     "when": [{"field": "DeviceName", "match": "=~", "value": "BUILD01"}]}]}"#).unwrap();
    /// let applied = config.allowlist.apply(&rows, &order, Timestamp(0));
    /// assert_eq!((applied.kept.len(), applied.suppressed.len(), applied.counts[0]), (1, 1, 1));
    /// assert_eq!(rows[applied.suppressed[0]].event.device_name, "build01");
    /// ```
    pub fn apply(&self, rows: &[FlaggedRow], order: &[usize], now: Timestamp) -> Applied {
        let status: Vec<EntryStatus> = self.entries.iter().map(|e| e.status(now)).collect();
        let mut applied = Applied {
            counts: alloc::vec![0; self.entries.len()],
            status,
            ..Applied::default()
        };
        for &row in order {
            let Some(r) = rows.get(row) else { continue };
            let hits: Vec<usize> = self
                .entries
                .iter()
                .enumerate()
                .filter(|&(i, e)| applied.status[i] == EntryStatus::Active && e.matches(&r.event))
                .map(|(i, _)| i)
                .collect();
            if hits.is_empty() {
                applied.kept.push(row);
                continue;
            }
            for &i in &hits {
                applied.counts[i] += 1;
            }
            applied.suppressed.push(row);
            applied.matched_by.insert(row, hits);
        }
        applied
    }

    /// The entries that would suppress `event` at `now` (active and matching).
    pub fn suppressing(&self, event: &ProcessEvent, now: Timestamp) -> Vec<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.status(now) == EntryStatus::Active && e.matches(event))
            .map(|(i, _)| i)
            .collect()
    }
}
