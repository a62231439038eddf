//! Why a row is in the results, in words: the `SuspiciousPatterns` its
//! command line has, the `SuspiciousParents` its parent's name has, and (in
//! hardened mode) the hardened rules that fired. The page's `Matched` column
//! and its pattern chips, and the CLI's NDJSON `Why` key, are built from it,
//! so they agree.
//!
//! The needle names come from the compiled rule's lists
//! ([`CompiledRule::patterns`], [`CompiledRule::parents`]), so a rule
//! compiled from edited lists ([`CompiledRule::from_lists`]) names its own
//! needles; a verdict's bits index those lists.
//!
//! ```
//! use cmdhunt_core::{matcher::CompiledRule, scan::FileScan, why::{Names, Reason}};
//! let rule = CompiledRule::new();
//! let mut scan = FileScan::new(&rule, 0, "a.csv", None);
//! scan.push(b"Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
//!             2024-01-01T00:00:00Z,cmd.exe,cmd /c reg add x & schtasks /create,explorer.exe\n\
//!             2024-01-01T00:00:01Z,cmd.exe,cmd /c dir,WINWORD.EXE\n");
//! let (_, rows) = scan.finish();
//! let names = Names::of(&rule);
//! let why = names.why(&rows[0]);
//! assert_eq!(why.patterns, ["reg add", "schtasks /create"]);
//! assert_eq!(why.text(), "reg add; schtasks /create");
//! assert_eq!(why.reason(), Reason::PatternOnly);
//! let why = names.why(&rows[1]);
//! assert_eq!(why.text(), "parent: winword.exe");
//! assert_eq!(why.reason(), Reason::ParentOnly);
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use crate::matcher::{CompiledRule, NeedleSet};
use crate::scan::FlaggedRow;

/// The needle names of a rule's two lists, taken once and used for every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names<'a> {
    /// `SuspiciousPatterns`, in list order (bit `i` of a verdict's `patterns`).
    pub patterns: Vec<&'a str>,
    /// `SuspiciousParents`, in list order.
    pub parents: Vec<&'a str>,
}

/// What kinds of reason a row has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Only suspicious patterns in the command line.
    PatternOnly,
    /// Only a suspicious parent.
    ParentOnly,
    /// Both patterns and a parent (hardened rules may have fired too).
    PatternAndParent,
    /// Hardened rules, and patterns or a parent (not both).
    Mixed,
    /// Only hardened rules (a hardened-mode row the Sentinel rule misses).
    HardenedOnly,
    /// Nothing (not a row the rule or the hardened rules return).
    Nothing,
}

/// Why one row is in the results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Why<'a> {
    /// The patterns the command line has, list order.
    pub patterns: Vec<&'a str>,
    /// The parents the parent's name has, list order.
    pub parents: Vec<&'a str>,
    /// The ids of the hardened rules that fired (empty in parity mode).
    pub hardened: Vec<&'static str>,
}

impl<'a> Names<'a> {
    /// The names of `rule`'s lists.
    pub fn of(rule: &'a CompiledRule) -> Self {
        Names {
            patterns: rule.patterns(),
            parents: rule.parents(),
        }
    }

    /// Names from lists given as strings (a tuning config's lists: the
    /// same as [`Names::of`] the rule compiled from them).
    pub fn from_lists<P: AsRef<str>, Q: AsRef<str>>(patterns: &'a [P], parents: &'a [Q]) -> Self {
        Names {
            patterns: patterns.iter().map(AsRef::as_ref).collect(),
            parents: parents.iter().map(AsRef::as_ref).collect(),
        }
    }

    /// The names of the bits of `set` in `list`, in list order.
    fn named(list: &[&'a str], set: NeedleSet) -> Vec<&'a str> {
        list.iter()
            .enumerate()
            .filter(|(i, _)| *i < NeedleSet::BITS as usize && set & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect()
    }

    /// The pattern named by bit `bit` of a verdict's `patterns`.
    pub fn pattern(&self, bit: usize) -> Option<&'a str> {
        self.patterns.get(bit).copied()
    }

    /// Why `row` is in the results.
    pub fn why(&self, row: &FlaggedRow) -> Why<'a> {
        Why {
            patterns: Self::named(&self.patterns, row.verdict.patterns),
            parents: Self::named(&self.parents, row.verdict.parents),
            hardened: row.hardened.ids().collect(),
        }
    }
}

/// Why `row` is in the results of `rule` (names taken for this row only:
/// for many rows take [`Names::of`] once).
pub fn why<'a>(rule: &'a CompiledRule, row: &FlaggedRow) -> Why<'a> {
    Names::of(rule).why(row)
}

/// The kinds of reason `row` has, from its verdict's bits and hardened
/// hit (no names needed): the same as `why(rule, row).reason()`.
pub fn reason(row: &FlaggedRow) -> Reason {
    Reason::of(
        row.verdict.patterns != 0,
        row.verdict.parents != 0,
        row.hardened.fired(),
    )
}

impl Reason {
    /// The kind's stable name (the CLI's NDJSON `Why.reason`):
    /// `pattern_only`, `parent_only`, `pattern_and_parent`, `mixed`,
    /// `hardened_only`, `nothing`.
    pub fn name(self) -> &'static str {
        match self {
            Reason::PatternOnly => "pattern_only",
            Reason::ParentOnly => "parent_only",
            Reason::PatternAndParent => "pattern_and_parent",
            Reason::Mixed => "mixed",
            Reason::HardenedOnly => "hardened_only",
            Reason::Nothing => "nothing",
        }
    }

    /// The kind for a row with patterns, parents and hardened rules or not.
    pub fn of(patterns: bool, parents: bool, hardened: bool) -> Reason {
        match (patterns, parents, hardened) {
            (true, true, _) => Reason::PatternAndParent,
            (true, false, false) => Reason::PatternOnly,
            (false, true, false) => Reason::ParentOnly,
            (false, false, true) => Reason::HardenedOnly,
            (false, false, false) => Reason::Nothing,
            _ => Reason::Mixed,
        }
    }
}

impl Why<'_> {
    /// The kinds of reason the row has.
    pub fn reason(&self) -> Reason {
        Reason::of(
            !self.patterns.is_empty(),
            !self.parents.is_empty(),
            !self.hardened.is_empty(),
        )
    }

    /// The row's `Matched` text, as the page's column shows it (before
    /// control characters are escaped for the screen): the patterns joined
    /// by `; `, then `parent: ` and the parents, then `hardened: ` and the
    /// rule ids, the parts joined by ` · `.
    pub fn text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.patterns.is_empty() {
            parts.push(self.patterns.join("; "));
        }
        if !self.parents.is_empty() {
            parts.push(alloc::format!("parent: {}", self.parents.join("; ")));
        }
        if !self.hardened.is_empty() {
            parts.push(alloc::format!("hardened: {}", self.hardened.join("; ")));
        }
        parts.join(" · ")
    }

    /// The row as a JSON object (no newline): `{"patterns":[..],
    /// "parents":[..],"hardened":[..],"reason":".."}`, the CLI's NDJSON
    /// `Why` value ([`Reason::name`]).
    pub fn json(&self) -> String {
        let list = |names: &[&str]| -> String {
            let quoted: Vec<String> = names
                .iter()
                .map(|n| serde_json::to_string(n).unwrap_or_default())
                .collect();
            alloc::format!("[{}]", quoted.join(","))
        };
        alloc::format!(
            "{{\"patterns\":{},\"parents\":{},\"hardened\":{},\"reason\":\"{}\"}}",
            list(&self.patterns),
            list(&self.parents),
            list(&self.hardened),
            self.reason().name()
        )
    }
}

/// A JSON object line (an NDJSON row) with `"Why": why.json()` appended as
/// its last key; text that is not a JSON object is returned as it was.
///
/// ```
/// use cmdhunt_core::why::{with_why, Why};
/// let why = Why { patterns: vec!["reg add"], ..Why::default() };
/// assert_eq!(
///     with_why(r#"{"a":1}"#.into(), &why),
///     r#"{"a":1,"Why":{"patterns":["reg add"],"parents":[],"hardened":[],"reason":"pattern_only"}}"#
/// );
/// ```
pub fn with_why(mut line: String, why: &Why<'_>) -> String {
    if !line.ends_with('}') {
        return line;
    }
    line.pop();
    line.push_str(",\"Why\":");
    line.push_str(&why.json());
    line.push('}');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardened::HardenedRules;
    use crate::scan::FileScan;

    fn scan(rule: &CompiledRule, csv: &str) -> Vec<FlaggedRow> {
        let mut scan = FileScan::new(rule, 0, "t.csv", None);
        scan.push(csv.as_bytes());
        scan.finish().1
    }

    const HEAD: &str = "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n";

    #[test]
    fn reasons_and_texts_table() {
        let rule = CompiledRule::new();
        let names = Names::of(&rule);
        // (command line, parent, text, reason)
        let cases = [
            (
                "cmd /c reg add x",
                "explorer.exe",
                "reg add",
                Reason::PatternOnly,
            ),
            (
                "cmd /c dir",
                "outlook.exe",
                "parent: outlook.exe",
                Reason::ParentOnly,
            ),
            (
                "cmd /c vssadmin delete shadows",
                "winword.exe",
                "vssadmin delete shadows · parent: winword.exe",
                Reason::PatternAndParent,
            ),
        ];
        for (cmd, parent, text, reason) in cases {
            let rows = scan(
                &rule,
                &alloc::format!("{HEAD}2024-01-01T00:00:00Z,cmd.exe,{cmd},{parent}\n"),
            );
            assert_eq!(rows.len(), 1, "{cmd}");
            let why = names.why(&rows[0]);
            assert_eq!(why.text(), text, "{cmd}");
            assert_eq!(why.reason(), reason, "{cmd}");
            // The names are the matcher's own.
            let matched: Vec<&str> = rule.matched(&rows[0].verdict).collect();
            let mine: Vec<&str> = why.patterns.iter().chain(&why.parents).copied().collect();
            assert_eq!(mine, matched, "{cmd}");
        }
    }

    #[test]
    fn hardened_rules_are_named_and_a_hardened_only_row_says_so() {
        let (rule, hardened) = (CompiledRule::new(), HardenedRules::new());
        let mut scan = FileScan::new(&rule, 0, "t.csv", None).hardened(&hardened);
        scan.push(
            alloc::format!("{HEAD}2024-01-01T00:00:00Z,reg.exe,reg  add HKCU\\x,cmd.exe\n")
                .as_bytes(),
        );
        let rows = scan.finish().1;
        let why = why(&rule, &rows[0]);
        assert_eq!(why.hardened, ["reg-modify"]);
        assert_eq!(why.reason(), Reason::HardenedOnly);
        assert_eq!(why.text(), "hardened: reg-modify");
        assert_eq!(
            why.json(),
            r#"{"patterns":[],"parents":[],"hardened":["reg-modify"],"reason":"hardened_only"}"#
        );
    }

    #[test]
    fn an_edited_list_names_its_own_needles() {
        let rule = CompiledRule::from_lists(&["tasklist", "reg add"], &["outlook.exe"]).unwrap();
        let rows = scan(
            &rule,
            &alloc::format!(
                "{HEAD}2024-01-01T00:00:00Z,cmd.exe,cmd /c reg add x & tasklist,outlook.exe\n"
            ),
        );
        let why = Names::of(&rule).why(&rows[0]);
        assert_eq!(why.patterns, ["tasklist", "reg add"]);
        assert_eq!(why.parents, ["outlook.exe"]);
        let config_lists = (
            alloc::vec![String::from("tasklist"), String::from("reg add")],
            alloc::vec![String::from("outlook.exe")],
        );
        assert_eq!(
            Names::from_lists(&config_lists.0, &config_lists.1).why(&rows[0]),
            why
        );
    }
}
