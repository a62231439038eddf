//! A bounded time histogram: how many events fell in each stretch of time,
//! in a sparse map whose memory stays small whatever the file's size.
//!
//! The scanner counts every `cmd.exe` process creation's time in one
//! ([`crate::scan::FileSummary::shell_times`]), so the page can draw them
//! beside the flagged rows without keeping the events.
//!
//! Bins are aligned to the Unix epoch and have one of a ladder of widths
//! ([`width_ticks`]: 1 min, 5 min, 15 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 d,
//! 7 d, 28 d, 364 d, then doubling), each a whole multiple of the one
//! before, so a bin of one width is exactly the union of bins of any finer
//! width. When more than [`MAX_BINS`] bins are occupied, the histogram moves
//! up the ladder until it fits. The width it ends with depends only on the
//! times added, not on their order or on how they were split and merged: it
//! is the finest width at which they occupy at most [`MAX_BINS`] bins (adding
//! times never lowers the number of occupied bins), so a file scanned in two
//! ranges and merged ([`TimeHistogram::merge`]) equals the whole-file scan.
//!
//! ```
//! use cmdhunt_core::histogram::TimeHistogram;
//! use cmdhunt_core::time::Timestamp;
//! let mut h = TimeHistogram::default();
//! for t in ["2024-05-14T10:00:05Z", "2024-05-14T10:00:55Z", "2024-05-14T10:07:00Z"] {
//!     h.add(Timestamp::parse(t));
//! }
//! h.add(None);
//! assert_eq!((h.total(), h.untimed(), h.width_secs()), (4, 1, 60));
//! let bins: Vec<u64> = h.bins().map(|(_, n)| n).collect();
//! assert_eq!(bins, [2, 1]);
//! ```

use alloc::collections::BTreeMap;

use crate::time::{Timestamp, TICKS_PER_SEC};

/// The most occupied bins a histogram keeps (about 16 KiB in memory, and as
/// JSON on the worker's wire).
pub const MAX_BINS: usize = 1024;

/// The ladder's named widths, in seconds: each divides the next.
const LADDER_SECS: [i64; 12] = [
    60,
    5 * 60,
    15 * 60,
    30 * 60,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    7 * 86_400,
    28 * 86_400,
    364 * 86_400,
];

/// The coarsest level: 364 days × 2^14 (about 16,000 years, more than the
/// 10,000 years a [`Timestamp`] holds; its width in ticks fits an `i64`).
pub const MAX_LEVEL: u8 = LADDER_SECS.len() as u8 + 13;

/// The width of level `level` of the ladder, in seconds (levels above
/// [`MAX_LEVEL`] are taken as it).
pub fn width_secs(level: u8) -> i64 {
    let level = level.min(MAX_LEVEL) as usize;
    match LADDER_SECS.get(level) {
        Some(&w) => w,
        None => LADDER_SECS[LADDER_SECS.len() - 1] << (level + 1 - LADDER_SECS.len()),
    }
}

/// The width of level `level`, in [`Timestamp`] ticks.
pub fn width_ticks(level: u8) -> i64 {
    width_secs(level) * TICKS_PER_SEC
}

/// The bin of time `t` at level `level`: bin `i` holds the times in
/// `[i × width, (i + 1) × width)` ticks after the Unix epoch (floor division,
/// so times before 1970 bin the same way).
pub fn bin_index(t: Timestamp, level: u8) -> i64 {
    t.0.div_euclid(width_ticks(level))
}

/// Where bin `index` of level `level` starts.
pub fn bin_start(index: i64, level: u8) -> Timestamp {
    Timestamp(index.saturating_mul(width_ticks(level)))
}

/// The finest level, not finer than `min_level`, at which `span_ticks` of
/// time takes at most `target_bins` bins: the width a chart of that many
/// bars uses for that span (and at least the histogram's own width, so its
/// bins add up exactly into the chart's).
pub fn level_for(span_ticks: i64, target_bins: u32, min_level: u8) -> u8 {
    let target = i64::from(target_bins.max(1));
    let mut level = min_level.min(MAX_LEVEL);
    while level < MAX_LEVEL && width_ticks(level).saturating_mul(target) < span_ticks {
        level += 1;
    }
    level
}

/// Counts of event times per bin, at most [`MAX_BINS`] occupied bins, and
/// the events without a time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TimeHistogram {
    /// The ladder level of the bins' width ([`width_secs`]).
    level: u8,
    /// Bin index ([`bin_index`]) → count; only occupied bins.
    bins: BTreeMap<i64, u64>,
    /// Events that had no (readable) time.
    untimed: u64,
}

impl TimeHistogram {
    /// Count one event at time `t` (`None`: an event without a time).
    pub fn add(&mut self, t: Option<Timestamp>) {
        let Some(t) = t else {
            self.untimed += 1;
            return;
        };
        *self.bins.entry(bin_index(t, self.level)).or_insert(0) += 1;
        if self.bins.len() > MAX_BINS {
            self.coarsen_to(self.level + 1);
        }
    }

    /// Add every count of `other` (two ranges of one file, or two files):
    /// both are brought to the coarser width first.
    pub fn merge(&mut self, other: &TimeHistogram) {
        let level = self.level.max(other.level);
        if level > self.level {
            self.coarsen_to(level);
        }
        let factor = width_ticks(self.level) / width_ticks(other.level);
        for (&i, &n) in &other.bins {
            *self.bins.entry(i.div_euclid(factor)).or_insert(0) += n;
        }
        self.untimed += other.untimed;
        if self.bins.len() > MAX_BINS {
            self.coarsen_to(self.level + 1);
        }
    }

    /// Move to level `level` (not finer than the current one), and further
    /// up until at most [`MAX_BINS`] bins are occupied.
    fn coarsen_to(&mut self, level: u8) {
        let mut level = level.clamp(self.level, MAX_LEVEL);
        loop {
            let factor = width_ticks(level) / width_ticks(self.level);
            if factor > 1 {
                let old = core::mem::take(&mut self.bins);
                for (i, n) in old {
                    *self.bins.entry(i.div_euclid(factor)).or_insert(0) += n;
                }
            }
            self.level = level;
            if self.bins.len() <= MAX_BINS || level == MAX_LEVEL {
                return;
            }
            level += 1;
        }
    }

    /// The bins' level on the ladder.
    pub fn level(&self) -> u8 {
        self.level.min(MAX_LEVEL)
    }

    /// The bins' width in seconds.
    pub fn width_secs(&self) -> i64 {
        width_secs(self.level)
    }

    /// Every occupied bin, oldest first: where it starts and its count.
    pub fn bins(&self) -> impl Iterator<Item = (Timestamp, u64)> + '_ {
        let level = self.level;
        self.bins
            .iter()
            .map(move |(&i, &n)| (bin_start(i, level), n))
    }

    /// The counts added up into the bins of level `level` (at least the
    /// histogram's own level; a finer one is taken as its own), by bin index.
    pub fn at_level(&self, level: u8) -> BTreeMap<i64, u64> {
        let level = level.clamp(self.level, MAX_LEVEL);
        let factor = width_ticks(level) / width_ticks(self.level);
        let mut out = BTreeMap::new();
        for (&i, &n) in &self.bins {
            *out.entry(i.div_euclid(factor)).or_insert(0) += n;
        }
        out
    }

    /// Events with a time.
    pub fn timed(&self) -> u64 {
        self.bins.values().sum()
    }

    /// Events without a time.
    pub fn untimed(&self) -> u64 {
        self.untimed
    }

    /// Every event counted.
    pub fn total(&self) -> u64 {
        self.timed() + self.untimed
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.bins.is_empty() && self.untimed == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("time")
    }

    /// A small deterministic generator (xorshift), no dependency.
    fn times(seed: u64, n: usize, spread_secs: i64) -> Vec<Timestamp> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let secs = (x % spread_secs as u64) as i64 - spread_secs / 4;
                Timestamp(1_700_000_000 * TICKS_PER_SEC + secs * TICKS_PER_SEC + (x % 7) as i64)
            })
            .collect()
    }

    #[test]
    fn the_ladder_nests_and_never_overflows() {
        for level in 0..MAX_LEVEL {
            let (a, b) = (width_ticks(level), width_ticks(level + 1));
            assert!(b > a && b % a == 0, "level {level}: {a} then {b}");
        }
        assert_eq!(width_secs(MAX_LEVEL + 9), width_secs(MAX_LEVEL));
        assert_eq!(width_secs(0), 60);
        assert_eq!(width_secs(8), 86_400);
    }

    #[test]
    fn bins_table() {
        // (time, level) -> bin start
        for (t, level, start) in [
            ("2024-05-14T10:00:05Z", 0, "2024-05-14T10:00:00Z"),
            ("2024-05-14T10:59:59.9999999Z", 4, "2024-05-14T10:00:00Z"),
            ("2024-05-14T10:00:00Z", 1, "2024-05-14T10:00:00Z"),
            ("2024-05-14T10:04:59Z", 1, "2024-05-14T10:00:00Z"),
            ("2024-05-14T23:59:59Z", 8, "2024-05-14T00:00:00Z"),
            ("1969-12-31T23:59:30Z", 0, "1969-12-31T23:59:00Z"),
        ] {
            assert_eq!(bin_start(bin_index(at(t), level), level), at(start), "{t}");
        }
    }

    #[test]
    fn level_for_table() {
        // (span, bars, min level) -> level
        let h = 3600 * TICKS_PER_SEC;
        for (span, bars, min, want) in [
            (0, 100, 0, 0),
            (h, 60, 0, 0),
            (h, 59, 0, 1),
            (24 * h, 100, 0, 2),
            (24 * h, 90, 0, 3),
            (24 * h, 100, 5, 5),
            (10_000 * 365 * 24 * h, 1, 0, MAX_LEVEL),
            (i64::MAX, 100, 0, 20),
        ] {
            assert_eq!(level_for(span, bars, min), want, "span {span} bars {bars}");
        }
    }

    #[test]
    fn counts_every_event_and_stays_bounded() {
        let mut h = TimeHistogram::default();
        let ts = times(7, 50_000, 90 * 86_400);
        for &t in &ts {
            h.add(Some(t));
        }
        h.add(None);
        assert!(h.bins.len() <= MAX_BINS);
        assert!(h.level() > 0, "90 days of minutes do not fit");
        assert_eq!((h.timed(), h.untimed(), h.total()), (50_000, 1, 50_001));
        // Each bin holds exactly the times that fall in it.
        let level = h.level();
        for (start, n) in h.bins() {
            let inside = ts
                .iter()
                .filter(|t| bin_start(bin_index(**t, level), level) == start)
                .count() as u64;
            assert_eq!(inside, n, "bin at {start}");
        }
        // The finest width that fits: one level finer does not.
        let finer = level - 1;
        let mut occupied: Vec<i64> = ts.iter().map(|&t| bin_index(t, finer)).collect();
        occupied.sort_unstable();
        occupied.dedup();
        assert!(occupied.len() > MAX_BINS);
    }

    #[test]
    fn order_and_merging_do_not_change_the_result() {
        let ts = times(42, 20_000, 400 * 86_400);
        let mut whole = TimeHistogram::default();
        ts.iter().for_each(|&t| whole.add(Some(t)));
        let mut reversed = TimeHistogram::default();
        ts.iter().rev().for_each(|&t| reversed.add(Some(t)));
        assert_eq!(whole, reversed);
        for cut in [0, 1, 999, 10_000, 19_999, 20_000] {
            let (a, b) = ts.split_at(cut);
            let mut first = TimeHistogram::default();
            a.iter().for_each(|&t| first.add(Some(t)));
            let mut second = TimeHistogram::default();
            b.iter().for_each(|&t| second.add(Some(t)));
            second.add(None);
            first.merge(&second);
            let mut want = whole.clone();
            want.add(None);
            assert_eq!(first, want, "cut at {cut}");
        }
    }

    #[test]
    fn at_level_adds_bins_up_exactly() {
        let ts = times(3, 5_000, 3 * 86_400);
        let mut h = TimeHistogram::default();
        ts.iter().for_each(|&t| h.add(Some(t)));
        for level in [h.level(), h.level() + 1, 8, 12] {
            let mut want: BTreeMap<i64, u64> = BTreeMap::new();
            for &t in &ts {
                *want.entry(bin_index(t, level.max(h.level()))).or_insert(0) += 1;
            }
            assert_eq!(h.at_level(level), want, "level {level}");
        }
        assert_eq!(
            h.at_level(0),
            h.bins,
            "a finer level is the histogram's own"
        );
    }
}
