//! "Group identical": the table's lines when identical rows are collapsed.
//! The groups are [`cmdhunt_core::grouping::group`] of the rows shown (so
//! window, chips, search and sort apply first, and groups come in the order
//! of their first row); an expanded group is followed by its rows. Pure,
//! tested natively; the virtual table renders a slice of the lines.

use std::collections::BTreeSet;

use cmdhunt_core::grouping::{group, key, Group};
use cmdhunt_core::scan::FlaggedRow;

/// A group's key as owned text (what the expanded set holds, so a group
/// stays open while rows stream in or the sort changes).
pub type OwnedKey = [String; 4];

/// The owned key of a row.
pub fn owned_key(row: &FlaggedRow) -> OwnedKey {
    key(row).map(str::to_owned)
}

/// One line of the grouped table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// Group `n` (index in [`Grouped::groups`]), collapsed or not.
    Group(usize),
    /// Row `row` (index in the rows), a member of the expanded group `group`.
    Member {
        /// The group.
        group: usize,
        /// The row.
        row: usize,
    },
}

/// The groups of the rows shown and the lines to render.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grouped {
    /// The groups, in the order of their first row.
    pub groups: Vec<Group>,
    /// Each group, and after an expanded one its rows.
    pub lines: Vec<Line>,
}

impl Grouped {
    /// Group `shown` (indices of `rows`, display order); the groups whose
    /// key is in `expanded` are followed by their rows.
    pub fn new(rows: &[FlaggedRow], shown: &[usize], expanded: &BTreeSet<OwnedKey>) -> Self {
        let groups = group(rows, shown);
        let mut lines = Vec::with_capacity(groups.len());
        for (g, grp) in groups.iter().enumerate() {
            lines.push(Line::Group(g));
            if !expanded.is_empty() && expanded.contains(&owned_key(&rows[grp.head()])) {
                lines.extend(
                    grp.members
                        .iter()
                        .map(|&row| Line::Member { group: g, row }),
                );
            }
        }
        Grouped { groups, lines }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample_csv, scan_all};

    #[test]
    fn collapsed_lines_are_the_groups_and_expanding_one_lists_its_rows() {
        let (_, mut rows) = scan_all(sample_csv(), 0, None);
        // Every row twice: each group has two rows at least.
        rows.extend(rows.clone());
        let shown: Vec<usize> = (0..rows.len()).collect();
        let closed = Grouped::new(&rows, &shown, &BTreeSet::new());
        assert_eq!(closed.lines.len(), closed.groups.len());
        assert!(closed.groups.iter().all(|g| g.count() >= 2));
        assert_eq!(
            closed.groups.iter().map(Group::count).sum::<usize>(),
            rows.len()
        );
        let second = &closed.groups[1];
        let open: BTreeSet<OwnedKey> = [owned_key(&rows[second.head()])].into();
        let grouped = Grouped::new(&rows, &shown, &open);
        assert_eq!(grouped.lines.len(), closed.groups.len() + second.count());
        assert_eq!(grouped.lines[1], Line::Group(1));
        let members: Vec<usize> = grouped.lines[2..2 + second.count()]
            .iter()
            .map(|l| match l {
                Line::Member { group: 1, row } => *row,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(members, second.members);
        assert_eq!(grouped.lines[2 + second.count()], Line::Group(2));
    }
}
