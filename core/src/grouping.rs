//! Collapsing identical rows: rows with the same `DeviceName`,
//! `AccountName`, `ProcessCommandLine` and `InitiatingProcessFileName`
//! (exact text) form one group, with its count and the first and last time
//! it was seen. The same command run every minute by a scheduled task is
//! then one line to judge, not hundreds.
//!
//! Pure: groups are built from row indices in display order, so a display
//! groups whatever its window, filters and sort left, and the groups come in
//! the order of their first row there.
//!
//! ```
//! use cmdhunt_core::{grouping::group, matcher::CompiledRule, scan::FileScan};
//! let rule = CompiledRule::new();
//! let mut scan = FileScan::new(&rule, 0, "a.csv", None);
//! scan.push(b"Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
//!             2024-01-01T00:00:00Z,ws1,bob,cmd.exe,cmd /c reg add x,explorer.exe\n\
//!             2024-01-01T00:05:00Z,ws1,bob,cmd.exe,cmd /c reg add x,explorer.exe\n\
//!             2024-01-01T00:01:00Z,ws2,bob,cmd.exe,cmd /c reg add x,explorer.exe\n");
//! let (_, rows) = scan.finish();
//! let groups = group(&rows, &[1, 2, 0]);
//! assert_eq!(groups.len(), 2);
//! assert_eq!((groups[0].members.as_slice(), groups[0].count()), (&[1, 0][..], 2));
//! assert_eq!(groups[0].first, rows[0].event.timestamp);
//! assert_eq!(groups[0].last, rows[1].event.timestamp);
//! ```

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::scan::FlaggedRow;
use crate::time::Timestamp;

/// The projected columns a group's rows share, by name.
pub const GROUP_COLUMNS: [&str; 4] = [
    "DeviceName",
    "AccountName",
    "ProcessCommandLine",
    "InitiatingProcessFileName",
];

/// The key of a row: its [`GROUP_COLUMNS`] values.
pub fn key(row: &FlaggedRow) -> [&str; 4] {
    let e = &row.event;
    [
        &e.device_name,
        &e.account_name,
        &e.process_command_line,
        &e.initiating_process_file_name,
    ]
}

/// Identical rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The rows (indices), in the order given.
    pub members: Vec<usize>,
    /// The oldest time among them (`None` when none has a time).
    pub first: Option<Timestamp>,
    /// The newest time among them.
    pub last: Option<Timestamp>,
}

impl Group {
    /// How many rows.
    pub fn count(&self) -> usize {
        self.members.len()
    }

    /// The group's first row in the order given (the one it is shown by).
    pub fn head(&self) -> usize {
        self.members[0]
    }
}

/// Group the rows `order` names (indices of `rows`, display order): one
/// group per distinct key, in the order of each key's first row.
pub fn group(rows: &[FlaggedRow], order: &[usize]) -> Vec<Group> {
    let mut index: BTreeMap<[&str; 4], usize> = BTreeMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for &i in order {
        let Some(row) = rows.get(i) else { continue };
        let t = row.event.timestamp;
        let g = *index.entry(key(row)).or_insert_with(|| {
            groups.push(Group {
                members: Vec::new(),
                first: None,
                last: None,
            });
            groups.len() - 1
        });
        let group = &mut groups[g];
        group.members.push(i);
        if let Some(t) = t {
            group.first = Some(group.first.map_or(t, |f| f.min(t)));
            group.last = Some(group.last.map_or(t, |l| l.max(t)));
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::CompiledRule;
    use crate::scan::FileScan;

    #[test]
    fn counts_sum_to_the_rows_and_keys_are_exact() {
        let rule = CompiledRule::new();
        let mut scan = FileScan::new(&rule, 0, "t.csv", None);
        scan.push(
            b"Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
              2024-01-01T00:00:00Z,ws1,bob,cmd.exe,cmd /c reg add x,explorer.exe\n\
              ,ws1,bob,cmd.exe,cmd /c reg add x,explorer.exe\n\
              2024-01-01T00:02:00Z,WS1,bob,cmd.exe,cmd /c reg add x,explorer.exe\n\
              2024-01-01T00:03:00Z,ws1,bob,cmd.exe,cmd /c reg add x,explorer.exe\n",
        );
        let rows = scan.finish().1;
        let order: Vec<usize> = (0..rows.len()).rev().collect();
        let groups = group(&rows, &order);
        // The device name differs in case: two groups, newest row's first.
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].members, [3, 1, 0]);
        assert_eq!(groups[1].members, [2]);
        assert_eq!(groups.iter().map(Group::count).sum::<usize>(), rows.len());
        // A null time counts but never bounds.
        assert_eq!(groups[0].first, rows[0].event.timestamp);
        assert_eq!(groups[0].last, rows[3].event.timestamp);
        assert_eq!(groups[0].head(), 3);
        assert!(group(&rows, &[]).is_empty());
    }
}
