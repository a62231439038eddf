//! The compiled rule: one Aho-Corasick automaton per list, built once, then
//! cheap `has_any` evaluation with KQL term-boundary checks.
//!
//! The automata run overlapping searches (every occurrence counts, see
//! [`crate::kql`]). ASCII haystacks are searched in place with ASCII case
//! folding; any other haystack is first folded with Unicode lowercase into a
//! scratch buffer that remembers, for each folded byte, where its original
//! character started, so term boundaries are judged on the original text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use alloc::vec::Vec;

use crate::kql;
use crate::rule::{
    Column, Needle, FLAGS, SHELL_FILE_NAME, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS,
};

/// A set of needles, one bit per needle in rule order (bit 0 = first needle).
pub type NeedleSet = u32;

/// One `has` occurrence found in a haystack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the first byte of the occurrence in the original text.
    pub start: usize,
    /// Byte offset one past the occurrence in the original text.
    pub end: usize,
    /// Index of the needle in its list.
    pub needle: usize,
}

/// The five flags of the rule, in projection order ([`crate::rule::FLAGS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Flags(pub [bool; 5]);

impl Flags {
    /// `CertutilAbuse`
    pub fn certutil_abuse(&self) -> bool {
        self.0[0]
    }
    /// `ScheduledTask`
    pub fn scheduled_task(&self) -> bool {
        self.0[1]
    }
    /// `UserCreation`
    pub fn user_creation(&self) -> bool {
        self.0[2]
    }
    /// `ShadowDelete`
    pub fn shadow_delete(&self) -> bool {
        self.0[3]
    }
    /// `SuspiciousParent`
    pub fn suspicious_parent(&self) -> bool {
        self.0[4]
    }
}

/// What the rule found in one event that passed `FileName =~ "cmd.exe"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verdict {
    /// [`SUSPICIOUS_PATTERNS`] that `ProcessCommandLine` has.
    pub patterns: NeedleSet,
    /// [`SUSPICIOUS_PARENTS`] that `InitiatingProcessFileName` has.
    pub parents: NeedleSet,
    /// The extended flags.
    pub flags: Flags,
}

impl Verdict {
    /// The rule's third `where`: any pattern or any parent matched.
    pub fn is_flagged(&self) -> bool {
        self.patterns != 0 || self.parents != 0
    }

    /// Names of every needle that matched, patterns first, each list in rule order.
    pub fn matched(&self) -> impl Iterator<Item = &'static str> + '_ {
        let pats = SUSPICIOUS_PATTERNS.iter().enumerate();
        let pars = SUSPICIOUS_PARENTS.iter().enumerate();
        pats.filter(|(i, _)| self.patterns & (1 << i) != 0)
            .map(|(_, n)| n.value)
            .chain(
                pars.filter(|(i, _)| self.parents & (1 << i) != 0)
                    .map(|(_, n)| n.value),
            )
    }
}

/// One list of needles compiled into an automaton.
#[derive(Debug, Clone)]
struct NeedleList {
    automaton: AhoCorasick,
    /// Per needle: must the left / right edge sit on a term boundary?
    edges: Vec<(bool, bool)>,
}

impl NeedleList {
    fn new(needles: &[Needle]) -> Self {
        let folded: Vec<_> = needles.iter().map(|n| n.value.to_lowercase()).collect();
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .build(&folded)
            .expect("the rule's needles are a few short literals");
        let edges = needles
            .iter()
            .map(|n| {
                let first = n.value.chars().next().is_some_and(char::is_alphanumeric);
                let last = n.value.chars().last().is_some_and(char::is_alphanumeric);
                (first, last)
            })
            .collect();
        NeedleList { automaton, edges }
    }

    /// Calls `found` for every boundary-respecting occurrence in `haystack`.
    fn each(&self, haystack: &str, mut found: impl FnMut(Span)) {
        if haystack.is_ascii() {
            let bytes = haystack.as_bytes();
            let alnum = |i: usize| bytes[i].is_ascii_alphanumeric();
            for m in self.automaton.find_overlapping_iter(haystack) {
                let (left, right) = self.edges[m.pattern().as_usize()];
                if left && m.start() > 0 && alnum(m.start() - 1) {
                    continue;
                }
                if right && m.end() < bytes.len() && alnum(m.end()) {
                    continue;
                }
                found(Span {
                    start: m.start(),
                    end: m.end(),
                    needle: m.pattern().as_usize(),
                });
            }
            return;
        }
        let folded = Folded::new(haystack);
        for m in self.automaton.find_overlapping_iter(&folded.text) {
            // The occurrence must cover whole original characters.
            let (Some(start), Some(end)) =
                (folded.original_at(m.start()), folded.original_at(m.end()))
            else {
                continue;
            };
            let (left, right) = self.edges[m.pattern().as_usize()];
            let prev = haystack[..start].chars().next_back();
            let next = haystack[end..].chars().next();
            if left && prev.is_some_and(char::is_alphanumeric) {
                continue;
            }
            if right && next.is_some_and(char::is_alphanumeric) {
                continue;
            }
            found(Span {
                start,
                end,
                needle: m.pattern().as_usize(),
            });
        }
    }

    fn set(&self, haystack: &str) -> NeedleSet {
        let mut set = 0;
        self.each(haystack, |s| set |= 1 << s.needle);
        set
    }
}

/// A haystack folded with Unicode lowercase, remembering where each folded
/// character came from.
struct Folded {
    text: alloc::string::String,
    /// For each folded byte offset that starts an original character's fold:
    /// `Some(original byte offset)`; interior bytes map to `None`. One extra
    /// entry maps `text.len()` to the original length.
    origin: Vec<Option<usize>>,
}

impl Folded {
    fn new(original: &str) -> Self {
        let mut text = alloc::string::String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len() + 1);
        for (at, c) in original.char_indices() {
            let before = text.len();
            text.extend(c.to_lowercase());
            origin.push(Some(at));
            origin.resize(text.len().max(before + 1), None);
        }
        origin.truncate(text.len());
        origin.push(Some(original.len()));
        Folded { text, origin }
    }

    fn original_at(&self, folded: usize) -> Option<usize> {
        self.origin.get(folded).copied().flatten()
    }
}

/// The rule, compiled: build once with [`CompiledRule::new`], evaluate many events.
///
/// ```
/// use cmdhunt_core::matcher::CompiledRule;
/// let rule = CompiledRule::new();
/// let v = rule.evaluate("CMD.EXE", "cmd /c certutil -urlcache -f http://x/a a.exe", "explorer.exe").unwrap();
/// assert!(v.is_flagged() && v.flags.certutil_abuse());
/// assert!(rule.evaluate("powershell.exe", "reg add x", "winword.exe").is_none());
/// ```
#[derive(Debug, Clone)]
pub struct CompiledRule {
    patterns: NeedleList,
    parents: NeedleList,
    /// Per flag: the column and the needle bits (in that column's list) it tests.
    flag_masks: [(Column, NeedleSet); 5],
}

impl Default for CompiledRule {
    fn default() -> Self {
        Self::new()
    }
}

impl CompiledRule {
    /// Compile the rule in [`crate::rule`].
    pub fn new() -> Self {
        let mask = |list: &[Needle], wanted: &[&str]| -> NeedleSet {
            wanted.iter().fold(0, |acc, w| {
                let i = list.iter().position(|n| n.value == *w);
                acc | (1 << i.expect("every flag needle is in the rule's lists"))
            })
        };
        let flag_masks = FLAGS.map(|f| match f.column {
            Column::ProcessCommandLine => (f.column, mask(&SUSPICIOUS_PATTERNS, f.needles)),
            Column::InitiatingProcessFileName => (f.column, mask(&SUSPICIOUS_PARENTS, f.needles)),
        });
        CompiledRule {
            patterns: NeedleList::new(&SUSPICIOUS_PATTERNS),
            parents: NeedleList::new(&SUSPICIOUS_PARENTS),
            flag_masks,
        }
    }

    /// `FileName =~ "cmd.exe"`.
    pub fn is_shell(&self, file_name: &str) -> bool {
        kql::equals_ci(file_name, SHELL_FILE_NAME)
    }

    /// The [`SUSPICIOUS_PATTERNS`] that `command_line` has.
    pub fn pattern_set(&self, command_line: &str) -> NeedleSet {
        self.patterns.set(command_line)
    }

    /// The [`SUSPICIOUS_PARENTS`] that `parent_file_name` has.
    pub fn parent_set(&self, parent_file_name: &str) -> NeedleSet {
        self.parents.set(parent_file_name)
    }

    /// Every occurrence of a suspicious pattern in `command_line` (for highlighting).
    pub fn pattern_spans(&self, command_line: &str) -> Vec<Span> {
        let mut out = Vec::new();
        self.patterns.each(command_line, |s| out.push(s));
        out
    }

    /// Every occurrence of a suspicious parent name in `parent_file_name`.
    pub fn parent_spans(&self, parent_file_name: &str) -> Vec<Span> {
        let mut out = Vec::new();
        self.parents.each(parent_file_name, |s| out.push(s));
        out
    }

    /// Everything after `where Timestamp > ago(...)`: `None` unless the event is
    /// `cmd.exe` and matched a pattern or a parent.
    pub fn evaluate(&self, file_name: &str, command_line: &str, parent: &str) -> Option<Verdict> {
        if !self.is_shell(file_name) {
            return None;
        }
        let verdict = self.verdict(command_line, parent);
        verdict.is_flagged().then_some(verdict)
    }

    /// Pattern and parent sets plus flags, without the `FileName` filter.
    pub fn verdict(&self, command_line: &str, parent: &str) -> Verdict {
        let patterns = self.pattern_set(command_line);
        let parents = self.parent_set(parent);
        let flags = Flags(self.flag_masks.map(|(column, mask)| match column {
            Column::ProcessCommandLine => patterns & mask != 0,
            Column::InitiatingProcessFileName => parents & mask != 0,
        }));
        Verdict {
            patterns,
            parents,
            flags,
        }
    }
}
