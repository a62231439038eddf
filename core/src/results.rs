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
//! A window is a span `(anchor - duration, anchor]`: the anchor is its end as
//! well as its start's reference. "24 hours back from 2024-10-10T00:00" over
//! files with later events keeps only events up to 2024-10-10T00:00 (Sentinel
//! run at that moment could not have seen later ones). Anchored at the newest
//! event, the end bound excludes nothing by definition. Anchored at **now**
//! ([`Anchor::Now`]) the window is exactly Sentinel's `Timestamp > ago(24h)`
//! run at that instant: it has no end, so an event dated after the run time
//! (a skewed clock) is kept, as Sentinel keeps it.
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
    /// A given instant, which is also the window's end: "24 hours back from
    /// 2024-10-10T00:00" keeps nothing dated after it.
    At(Timestamp),
    /// The query's run time (the caller passes the current time: the core has
    /// no clock). As Sentinel's `ago()`, it counts back from this instant and
    /// sets no end: events dated after it are kept.
    Now(Timestamp),
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
                    Anchor::At(t) | Anchor::Now(t) => Some(t),
                };
                Some(anchor.map(|a| a.minus(duration)))
            }
        }
    }

    /// The window's end (inclusive), given the newest event time of the
    /// input: the anchor of [`Window::Last`]; `None` when the window has no
    /// end ([`Window::All`], [`Anchor::Now`]) or when `Newest` has no event
    /// time to anchor at.
    pub fn end(&self, newest: Option<Timestamp>) -> Option<Timestamp> {
        match *self {
            Window::All => None,
            Window::Last { anchor, .. } => match anchor {
                Anchor::Newest => newest,
                Anchor::At(t) => Some(t),
                Anchor::Now(_) => None,
            },
        }
    }

    /// The window's bounds `(start, end)`: rows strictly after `start` and at
    /// or before `end` (when there is one: [`Anchor::Now`] has none) are
    /// inside. `None` for [`Window::All`] or when `Newest` has no event time
    /// to anchor at.
    pub fn bounds(&self, newest: Option<Timestamp>) -> Option<(Timestamp, Option<Timestamp>)> {
        let start = self.cutoff(newest).flatten()?;
        Some((start, self.end(newest)))
    }

    /// Is a row with this timestamp inside the window: after its start
    /// (strictly, as `>` in Kusto) and not after its anchor?
    pub fn admits(&self, timestamp: Option<Timestamp>, newest: Option<Timestamp>) -> bool {
        match self.cutoff(newest) {
            None => true,
            Some(None) => false,
            Some(Some(cutoff)) => {
                timestamp.is_some_and(|t| t > cutoff && self.end(newest).is_none_or(|end| t <= end))
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("time")
    }

    #[test]
    fn an_anchor_is_the_end_of_its_window() {
        // "24h back from 2024-10-10T00:00" over files with later events.
        let window = Window::Last {
            duration: Duration::from_secs(DEFAULT_WINDOW_SECS),
            anchor: Anchor::At(at("2024-10-10T00:00:00Z")),
        };
        let newest = Some(at("2024-10-25T12:00:00Z"));
        for (time, inside) in [
            ("2024-10-09T00:00:00Z", false), // the start is exclusive
            ("2024-10-09T00:00:01Z", true),
            ("2024-10-10T00:00:00Z", true), // the end is inclusive
            ("2024-10-10T00:00:01Z", false),
            ("2024-10-25T12:00:00Z", false),
        ] {
            assert_eq!(window.admits(Some(at(time)), newest), inside, "{time}");
        }
        assert!(!window.admits(None, newest));
        assert_eq!(
            window.bounds(newest),
            Some((at("2024-10-09T00:00:00Z"), Some(at("2024-10-10T00:00:00Z"))))
        );
    }

    #[test]
    fn anchored_at_the_newest_event_the_end_hides_nothing() {
        let window = Window::default();
        let newest = Some(at("2024-10-25T12:00:00Z"));
        assert!(window.admits(newest, newest));
        assert!(window.admits(Some(at("2024-10-24T12:00:01Z")), newest));
        assert!(!window.admits(Some(at("2024-10-24T12:00:00Z")), newest));
        assert_eq!(
            window.bounds(newest),
            Some((at("2024-10-24T12:00:00Z"), Some(at("2024-10-25T12:00:00Z"))))
        );
        assert_eq!(window.bounds(None), None);
        assert_eq!(Window::All.bounds(newest), None);
        assert!(Window::All.admits(None, newest));
    }

    #[test]
    fn anchored_at_now_the_window_is_sentinels_ago_with_no_end() {
        // Sentinel run at 2024-10-10T00:00 keeps an event dated later (a
        // skewed clock): `Timestamp > ago(24h)` has no upper bound.
        let window = Window::Last {
            duration: Duration::from_secs(DEFAULT_WINDOW_SECS),
            anchor: Anchor::Now(at("2024-10-10T00:00:00Z")),
        };
        let newest = Some(at("2024-10-25T12:00:00Z"));
        for (time, inside) in [
            ("2024-10-09T00:00:00Z", false),
            ("2024-10-09T00:00:01Z", true),
            ("2024-10-10T00:00:01Z", true),
            ("2024-10-25T12:00:00Z", true),
        ] {
            assert_eq!(window.admits(Some(at(time)), newest), inside, "{time}");
        }
        assert_eq!(window.end(newest), None);
        assert_eq!(
            window.bounds(newest),
            Some((at("2024-10-09T00:00:00Z"), None))
        );
    }
}
