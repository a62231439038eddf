//! After the scan: `where Timestamp > ago(window)` and `sort by Timestamp desc`.
//!
//! Both are pure functions of the flagged rows, so a display can change the
//! window (or re-sort) without reading any file again.
//!
//! # The window
//!
//! Sentinel evaluates `ago(24h)` against the query's run time. An export is
//! read later than it was taken, so by default the window is anchored at the
//! **newest process-creation event in the input** (every file scanned
//! together); it can also be anchored at the current time or at a given time,
//! or switched off. Like `>` in Kusto, the comparison is strict and a null
//! `Timestamp` is never inside a window.
//!
//! # The sort
//!
//! `sort by Timestamp desc`: newest first, nulls last (Kusto's default for
//! `desc`), and stable: rows with equal times keep input order (file order,
//! then record order).

use alloc::vec::Vec;

use crate::rule::DEFAULT_WINDOW_SECS;
use crate::scan::FlaggedRow;
use crate::time::{Duration, Timestamp};

/// Where `ago()` counts back from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The newest process-creation event in the input (the default).
    Newest,
    /// A given instant (the caller passes "now" this way: the core has no clock).
    At(Timestamp),
}

/// The `Timestamp > ago(...)` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Keep rows newer than `anchor - duration`.
    Last {
        /// The look-back.
        duration: Duration,
        /// Where it counts back from.
        anchor: Anchor,
    },
    /// No time filter (rows with a null `Timestamp` are kept too).
    All,
}

impl Default for Window {
    /// The rule's own: 24 hours, anchored at the newest event.
    fn default() -> Self {
        Window::Last {
            duration: Duration::from_secs(DEFAULT_WINDOW_SECS),
            anchor: Anchor::Newest,
        }
    }
}

impl Window {
    /// The instant rows must be strictly newer than, given the newest event
    /// time of the input; `None` for [`Window::All`] or when `Newest` has no
    /// event time to anchor at (then no row with a time... and no row at all
    /// qualifies, as in Kusto where `null > x` is false).
    pub fn cutoff(&self, newest: Option<Timestamp>) -> Option<Option<Timestamp>> {
        match *self {
            Window::All => None,
            Window::Last { duration, anchor } => {
                let anchor = match anchor {
                    Anchor::Newest => newest,
                    Anchor::At(t) => Some(t),
                };
                Some(anchor.map(|a| a.minus(duration)))
            }
        }
    }

    /// Is a row with this timestamp inside the window?
    pub fn admits(&self, timestamp: Option<Timestamp>, newest: Option<Timestamp>) -> bool {
        match self.cutoff(newest) {
            None => true,
            Some(None) => false,
            Some(Some(cutoff)) => timestamp.is_some_and(|t| t > cutoff),
        }
    }
}

/// The indices of `rows` the rule returns, in the rule's order: filtered by
/// `window` and sorted by `Timestamp` descending, nulls last, stable.
///
/// `newest` is the newest process-creation time of the whole input (see
/// [`crate::scan::FileSummary::newest`]).
pub fn select(rows: &[FlaggedRow], window: &Window, newest: Option<Timestamp>) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..rows.len())
        .filter(|&i| window.admits(rows[i].event.timestamp, newest))
        .collect();
    sort_by_timestamp_desc(rows, &mut keep);
    keep
}

/// Sort row indices by `Timestamp` descending, nulls last, stable.
pub fn sort_by_timestamp_desc(rows: &[FlaggedRow], indices: &mut [usize]) {
    // `Option` orders None first; reversing puts newest first and None last.
    indices.sort_by(|&a, &b| rows[b].event.timestamp.cmp(&rows[a].event.timestamp));
}

/// The newest of several optional times.
pub fn newest<I: IntoIterator<Item = Option<Timestamp>>>(times: I) -> Option<Timestamp> {
    times.into_iter().flatten().max()
}
