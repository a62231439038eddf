//! Why each row matched, on the page: the `Matched` column's text and the
//! "why" chips (one per suspicious pattern present, with its count, and
//! "pattern only" / "parent only"). Names and reasons come from
//! [`cmdhunt_core::why`], so the page, the CLI and the tests agree. Pure,
//! tested natively.

use cmdhunt_core::matcher::NeedleSet;
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_core::tuning::Config;
use cmdhunt_core::why::{reason, Names, Reason};

/// An "only" chip: rows whose one reason is of this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// Suspicious patterns only (no parent, no hardened rule).
    Pattern,
    /// A suspicious parent only.
    Parent,
}

impl Only {
    /// The reason kind the chip keeps.
    pub fn reason(self) -> Reason {
        match self {
            Only::Pattern => Reason::PatternOnly,
            Only::Parent => Reason::ParentOnly,
        }
    }
}

/// The why chips' filter (part of [`crate::view::ViewSpec`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WhyFilter {
    /// Pattern chips on (bits of the lists' patterns): when any is on, a row
    /// must have at least one of them.
    pub patterns: NeedleSet,
    /// The "only" chip on, if any.
    pub only: Option<Only>,
}

/// A change of the why chips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhyAction {
    /// Flip the chip of pattern `bit`.
    TogglePattern(usize),
    /// Flip an "only" chip (turning one on turns the other off).
    ToggleOnly(Only),
    /// Every why chip off.
    Clear,
}

impl WhyFilter {
    /// Whether `row` passes.
    pub fn passes(&self, row: &FlaggedRow) -> bool {
        (self.patterns == 0 || row.verdict.patterns & self.patterns != 0)
            && self.only.is_none_or(|o| reason(row) == o.reason())
    }

    /// Apply a change.
    pub fn apply(&mut self, action: WhyAction) {
        match action {
            WhyAction::TogglePattern(bit) if bit < NeedleSet::BITS as usize => {
                self.patterns ^= 1 << bit
            }
            WhyAction::TogglePattern(_) => {}
            WhyAction::ToggleOnly(o) => {
                self.only = if self.only == Some(o) { None } else { Some(o) }
            }
            WhyAction::Clear => *self = WhyFilter::default(),
        }
    }

    /// Whether pattern chip `bit` is on.
    pub fn pattern_on(&self, bit: usize) -> bool {
        bit < NeedleSet::BITS as usize && self.patterns & (1 << bit) != 0
    }
}

/// The names of the config's lists (what the rows' verdict bits index).
pub fn names(config: &Config) -> Names<'_> {
    Names::from_lists(&config.patterns, &config.parents)
}

/// The `Matched` cell of a row: [`cmdhunt_core::why::Why::text`].
pub fn matched_text(names: &Names<'_>, row: &FlaggedRow) -> String {
    names.why(row).text()
}

/// Per pattern present among `rows` (those `keep` accepts): its bit and how
/// many of those rows have it, in list order.
pub fn pattern_counts<'r>(rows: impl IntoIterator<Item = &'r FlaggedRow>) -> Vec<(usize, usize)> {
    let mut counts = [0usize; NeedleSet::BITS as usize];
    for row in rows {
        let mut bits = row.verdict.patterns;
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            counts[bit] += 1;
            bits &= bits - 1;
        }
    }
    counts
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(bit, &n)| (bit, n))
        .collect()
}

/// How many of `rows` have each "only" reason: (pattern only, parent only).
pub fn only_counts<'r>(rows: impl IntoIterator<Item = &'r FlaggedRow>) -> (usize, usize) {
    rows.into_iter()
        .fold((0, 0), |(p, q), row| match reason(row) {
            Reason::PatternOnly => (p + 1, q),
            Reason::ParentOnly => (p, q + 1),
            _ => (p, q),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample_csv, scan_all};

    #[test]
    fn chips_keep_exactly_the_rows_with_their_pattern_or_reason() {
        let (_, rows) = scan_all(sample_csv(), 0, None);
        let counts = pattern_counts(&rows);
        assert!(counts.len() > 3, "the sample matches several patterns");
        for &(bit, n) in &counts {
            let mut f = WhyFilter::default();
            f.apply(WhyAction::TogglePattern(bit));
            assert!(f.pattern_on(bit));
            assert_eq!(rows.iter().filter(|r| f.passes(r)).count(), n, "bit {bit}");
            f.apply(WhyAction::TogglePattern(bit));
            assert_eq!(f, WhyFilter::default());
        }
        let (pattern_only, parent_only) = only_counts(&rows);
        for (only, want) in [(Only::Pattern, pattern_only), (Only::Parent, parent_only)] {
            let mut f = WhyFilter::default();
            f.apply(WhyAction::ToggleOnly(only));
            let kept: Vec<&FlaggedRow> = rows.iter().filter(|r| f.passes(r)).collect();
            assert_eq!(kept.len(), want, "{only:?}");
            for r in kept {
                let (p, q) = (r.verdict.patterns != 0, r.verdict.parents != 0);
                assert_eq!((p, q), (only == Only::Pattern, only == Only::Parent));
            }
        }
        assert!(pattern_only > 0 && parent_only > 0);
        // One "only" chip at a time.
        let mut f = WhyFilter::default();
        f.apply(WhyAction::ToggleOnly(Only::Pattern));
        f.apply(WhyAction::ToggleOnly(Only::Parent));
        assert_eq!(f.only, Some(Only::Parent));
        f.apply(WhyAction::Clear);
        assert_eq!(f, WhyFilter::default());
    }

    #[test]
    fn matched_text_is_the_cores_why() {
        let (_, rows) = scan_all(sample_csv(), 0, None);
        let config = Config::default();
        let names = names(&config);
        let rule = cmdhunt_core::matcher::CompiledRule::new();
        for row in &rows {
            assert_eq!(
                matched_text(&names, row),
                cmdhunt_core::why::why(&rule, row).text()
            );
        }
    }
}
