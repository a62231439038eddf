//! What the charts draw (`components/charts`), as plain data computed from
//! the state (no Yew; tested natively): the data's time range, the
//! timeline's bins (flagged rows against every `cmd.exe` event, binned the
//! way [`cmdhunt_core::histogram`] bins), the top-10 bars, and the window a
//! brush stroke asks for.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use cmdhunt_core::histogram::{bin_index, bin_start, level_for, width_ticks, TimeHistogram};
use cmdhunt_core::results;
use cmdhunt_core::scan::{FileSummary, FlaggedRow};
use cmdhunt_core::time::{Timestamp, TICKS_PER_SEC};
use cmdhunt_core::why::Names;

use crate::query::{Field, Matcher};
use crate::state::{AppState, FileEntry};
use crate::view::{passes_except_window, search_query, ViewSpec};
use crate::window::WindowChoice;

/// About this many bars across the data's time range.
pub const TARGET_BINS: u32 = 120;
/// Bars per top-10 chart.
pub const TOP: usize = 10;

/// One bar of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bin {
    /// Where it starts (it holds `[start, start + width)`).
    pub start: Timestamp,
    /// Flagged rows in it.
    pub flagged: u64,
    /// `cmd.exe` process creations in it (flagged or not).
    pub all: u64,
}

/// The timeline over the data's time range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// The oldest and newest process-creation time read (every file).
    pub range: (Timestamp, Timestamp),
    /// The bins' level ([`cmdhunt_core::histogram::width_secs`]).
    pub level: u8,
    /// Every bin from the one holding the oldest time to the one holding
    /// the newest, empty ones included.
    pub bins: Vec<Bin>,
    /// `cmd.exe` events without a time (not drawn).
    pub all_untimed: u64,
    /// Flagged rows without a time (not drawn).
    pub flagged_untimed: u64,
}

impl Timeline {
    /// Bin every `cmd.exe` time (the files' histograms) and every flagged
    /// row's time over `range`; `None` when no time was read.
    pub fn new<'h>(
        range: Option<(Timestamp, Timestamp)>,
        histograms: impl IntoIterator<Item = &'h TimeHistogram>,
        flagged: impl IntoIterator<Item = Option<Timestamp>>,
    ) -> Option<Timeline> {
        let (oldest, newest) = range?;
        let histograms: Vec<&TimeHistogram> = histograms.into_iter().collect();
        let coarsest = histograms.iter().map(|h| h.level()).max().unwrap_or(0);
        let span = newest.0.saturating_sub(oldest.0).saturating_add(1);
        let level = level_for(span, TARGET_BINS, coarsest);
        let first = bin_index(oldest, level);
        let last = bin_index(newest, level);
        let mut bins: Vec<Bin> = (first..=last)
            .map(|i| Bin {
                start: bin_start(i, level),
                flagged: 0,
                all: 0,
            })
            .collect();
        let count = bins.len();
        let slot = |i: i64| usize::try_from(i - first).ok().filter(|&k| k < count);
        let mut all_untimed = 0;
        for h in &histograms {
            all_untimed += h.untimed();
            for (i, n) in h.at_level(level) {
                if let Some(k) = slot(i) {
                    bins[k].all += n;
                }
            }
        }
        let mut flagged_untimed = 0;
        for t in flagged {
            match t {
                Some(t) => {
                    if let Some(k) = slot(bin_index(t, level)) {
                        bins[k].flagged += 1;
                    }
                }
                None => flagged_untimed += 1,
            }
        }
        Some(Timeline {
            range: (oldest, newest),
            level,
            bins,
            all_untimed,
            flagged_untimed,
        })
    }

    /// The drawn span: from the first bin's start to the last bin's end.
    pub fn span(&self) -> (Timestamp, Timestamp) {
        let start = self.bins.first().map_or(self.range.0, |b| b.start);
        let end = self.bins.last().map_or(self.range.1, |b| {
            Timestamp(b.start.0 + width_ticks(self.level))
        });
        (start, end)
    }

    /// Where `t` falls across the drawn span, 0.0 (its start) to 1.0 (its end).
    pub fn fraction_of(&self, t: Timestamp) -> f64 {
        let (a, b) = self.span();
        let w = (b.0 - a.0).max(1) as f64;
        ((t.0 - a.0) as f64 / w).clamp(0.0, 1.0)
    }

    /// The time at `fraction` (0.0 to 1.0) of the drawn span.
    pub fn time_at(&self, fraction: f64) -> Timestamp {
        let (a, b) = self.span();
        let f = fraction.clamp(0.0, 1.0);
        Timestamp(a.0 + ((b.0 - a.0) as f64 * f).round() as i64)
    }

    /// The tallest bin's `cmd.exe` count (at least 1).
    pub fn peak(&self) -> u64 {
        self.bins
            .iter()
            .map(|b| b.all.max(b.flagged))
            .max()
            .unwrap_or(0)
            .max(1)
    }
}

/// The window a brush from `a` to `b` (either order) sets: the custom
/// window ending at the later time rounded up to the second, reaching back
/// to the earlier one rounded down (at least one second).
pub fn brush_window(a: Timestamp, b: Timestamp) -> WindowChoice {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let start = lo.0.div_euclid(TICKS_PER_SEC);
    let end = hi.0.div_euclid(TICKS_PER_SEC) + i64::from(hi.0.rem_euclid(TICKS_PER_SEC) != 0);
    let secs = (end - start).max(1);
    let anchor = Timestamp(end * TICKS_PER_SEC).to_string();
    WindowChoice::Custom {
        duration: format!("{secs}s"),
        // As a datetime-local input writes it: no fraction, no zone (UTC).
        anchor: anchor.get(..19).unwrap_or(&anchor).to_owned(),
    }
}

/// The `n` most frequent values of `key` among the rows, counted ignoring
/// case (each shown as its most frequent spelling), most frequent first,
/// ties by name.
pub fn top<'r, I, K>(rows: I, key: K, n: usize) -> Vec<(String, usize)>
where
    I: IntoIterator<Item = &'r FlaggedRow>,
    K: Fn(&'r FlaggedRow) -> &'r str,
{
    // Exact spellings first (no allocation per row), then folded by case.
    let mut exact: HashMap<&'r str, usize, BuildHasherDefault<Fx>> = HashMap::default();
    for row in rows {
        *exact.entry(key(row)).or_insert(0) += 1;
    }
    fold_top(exact.into_iter().collect(), n)
}

/// A fast non-cryptographic hasher for counting names (FxHash's mix, 8
/// bytes at a time): no attacker gains from colliding a chart's counts.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The `n` patterns most rows have (a row counts for each of its
/// patterns), by the bits of their verdicts, named from `names`.
pub fn top_patterns<'r>(
    rows: impl IntoIterator<Item = &'r FlaggedRow>,
    names: &Names<'_>,
    n: usize,
) -> Vec<(String, usize)> {
    let mut bits = [0usize; 32];
    for row in rows {
        let mut set = row.verdict.patterns;
        while set != 0 {
            bits[set.trailing_zeros() as usize] += 1;
            set &= set - 1;
        }
    }
    let exact: HashMap<&str, usize> = bits
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .filter_map(|(bit, &c)| Some((names.pattern(bit)?, c)))
        .collect();
    fold_top(exact, n)
}

/// Counts by exact value folded by case (each group shown as its most
/// frequent spelling), the `n` largest, ties by name.
fn fold_top(exact: HashMap<&str, usize>, n: usize) -> Vec<(String, usize)> {
    // lowercase -> (count, spellings with their counts)
    let mut counts: HashMap<String, (usize, BTreeMap<&str, usize>)> = HashMap::new();
    for (value, c) in exact {
        let entry = counts.entry(value.to_lowercase()).or_default();
        entry.0 += c;
        entry.1.insert(value, c);
    }
    let mut out: Vec<(String, usize)> = counts
        .into_values()
        .map(|(count, spellings)| {
            let shown = spellings
                .iter()
                .max_by(|x, y| x.1.cmp(y.1).then_with(|| y.0.cmp(x.0)))
                .map_or("", |(s, _)| *s);
            (shown.to_owned(), count)
        })
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(n);
    out
}

/// The account of a file as far as it is known: the latest the worker
/// sent (final once done; for a cancelled file, its bytes read).
pub fn account(f: &FileEntry) -> Option<&FileSummary> {
    Some(&f.live)
}

/// The oldest and newest process-creation time of every file read.
pub fn data_range(state: &AppState) -> Option<(Timestamp, Timestamp)> {
    let oldest = state
        .files
        .iter()
        .filter_map(|f| account(f)?.oldest)
        .min()?;
    let newest = results::newest(state.files.iter().map(|f| account(f)?.newest))?;
    Some((oldest.min(newest), newest.max(oldest)))
}

/// The data's time range in words (`data-testid="time-range"`).
pub fn range_text(state: &AppState) -> String {
    match data_range(state) {
        Some((oldest, newest)) => {
            format!("Events from {oldest} to {newest} (process creations, every file read; UTC).")
        }
        None if state.files.is_empty() => "No events yet: add files or try the sample.".into(),
        None => "No event time read yet.".into(),
    }
}

/// When the charts are drawn again ([`charts_key`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartsKey {
    /// The rows shown changed (`view_version`), when no file is being read.
    settled: Option<u64>,
    /// While files are read: every 2,048 rows and 65,536 records or so.
    reading: Option<(usize, u64)>,
    /// Files finished.
    done: usize,
    /// The filters (a change shows at once, even while reading).
    spec: ViewSpec,
}

/// While files are read, the charts are drawn again at most this often (ms),
/// whatever rows arrive: redrawing up to 1,024 timeline bins and 40 bars
/// every 100 ms cost the page's main thread more layout and style work than
/// all the rest of the page (`web/perf/timeline.py`, a 300 MB CSV), and on
/// a two-core machine that time is the workers'.
pub const READING_REDRAW_MS: f64 = 1000.0;

impl ChartsKey {
    /// Whether charts drawn for `self` at `drawn_ms` are drawn again for
    /// `next` at `now_ms`: when the key changed, except while files are
    /// still being read (before and now, the same files finished, the same
    /// filters) and less than [`READING_REDRAW_MS`] has passed. A filter
    /// change, a file finishing and the end of reading show at once.
    pub fn redraw(&self, drawn_ms: f64, next: &ChartsKey, now_ms: f64) -> bool {
        if self == next {
            return false;
        }
        let still_reading = self.reading.is_some()
            && next.reading.is_some()
            && self.done == next.done
            && self.spec == next.spec;
        !(still_reading && now_ms - drawn_ms < READING_REDRAW_MS)
    }
}

/// What the charts depend on: the rows shown and the files' accounts. While
/// files are read, rows arrive every 100 ms; counting 100,000 of them each
/// time would cost the page's main thread, so then the charts follow every
/// 2,048 rows and 65,536 records (and every filter change).
pub fn charts_key(state: &AppState) -> ChartsKey {
    let reading = state.files.iter().any(|f| !f.is_settled());
    let records: u64 = state
        .files
        .iter()
        .filter_map(|f| account(f).map(|s| s.records))
        .sum();
    ChartsKey {
        settled: (!reading).then_some(state.view_version),
        reading: reading.then_some((state.rows.len() >> 11, records >> 16)),
        done: state.files.iter().filter(|f| f.is_settled()).count(),
        spec: state.spec.clone(),
    }
}

/// The timeline of the current state: the flagged rows the chips, search
/// and allowlist choice keep, whatever the time window (the chart spans the
/// data's range and shows the window on it), and every file's `cmd.exe` times.
pub fn timeline_of(state: &AppState) -> Option<Timeline> {
    let spec = &state.spec;
    let query = search_query(spec);
    let matcher = Matcher::new(&query, &spec.context);
    let flagged = state.rows.iter().enumerate().filter_map(|(i, r)| {
        let kept = state.suppressed_by.get(i).is_some_and(Option::is_some) == spec.show_suppressed;
        (kept && passes_except_window(r, spec, &matcher)).then_some(r.event.timestamp)
    });
    Timeline::new(
        data_range(state),
        state
            .files
            .iter()
            .filter_map(|f| Some(&account(f)?.shell_times)),
        flagged,
    )
}

/// The four bar charts: title and field.
pub const BAR_CHARTS: [(&str, Field); 4] = [
    ("Hosts", Field::DeviceName),
    ("Accounts", Field::AccountName),
    ("Parents", Field::InitiatingProcessFileName),
    ("Patterns", Field::Pattern),
];

/// Per bar chart ([`BAR_CHARTS`]), its top values among the rows shown,
/// with their counts.
pub fn tops(state: &AppState) -> Vec<Vec<(String, usize)>> {
    let rows: Vec<&FlaggedRow> = state
        .shown
        .iter()
        .filter_map(|&i| state.rows.get(i))
        .collect();
    let names = Names::from_lists(&state.spec.context.patterns, &state.spec.context.parents);
    BAR_CHARTS
        .iter()
        .map(|(_, field)| {
            let rows = rows.iter().copied();
            match field {
                Field::DeviceName => top(rows, |r| r.event.device_name.as_str(), TOP),
                Field::AccountName => top(rows, |r| r.event.account_name.as_str(), TOP),
                Field::InitiatingProcessFileName => {
                    top(rows, |r| r.event.initiating_process_file_name.as_str(), TOP)
                }
                _ => top_patterns(rows, &names, TOP),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample_csv, scan_all};
    use cmdhunt_core::histogram::width_secs;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("time")
    }

    #[test]
    fn the_sample_bins_like_the_core() {
        let (summary, rows) = scan_all(sample_csv(), 0, None);
        let range = summary.oldest.zip(summary.newest);
        let t = Timeline::new(
            range,
            [&summary.shell_times],
            rows.iter().map(|r| r.event.timestamp),
        )
        .expect("times");
        assert_eq!(t.range, range.expect("range"));
        assert!(t.bins.len() <= TARGET_BINS as usize + 1);
        assert!(t.level >= summary.shell_times.level());
        let all: u64 = t.bins.iter().map(|b| b.all).sum::<u64>() + t.all_untimed;
        assert_eq!(all, summary.shell, "every cmd.exe event");
        let flagged: u64 = t.bins.iter().map(|b| b.flagged).sum::<u64>() + t.flagged_untimed;
        assert_eq!(flagged, rows.len() as u64, "every flagged row");
        for b in &t.bins {
            assert!(b.flagged <= b.all, "flagged rows are cmd.exe events");
            let want = rows
                .iter()
                .filter(|r| {
                    r.event
                        .timestamp
                        .is_some_and(|ts| bin_index(ts, t.level) == bin_index(b.start, t.level))
                })
                .count() as u64;
            assert_eq!(b.flagged, want, "bin at {}", b.start);
        }
        assert!(Timeline::new(None, [&summary.shell_times], []).is_none());
    }

    #[test]
    fn bins_cover_the_range_and_map_to_fractions() {
        let range = (at("2024-05-14T10:00:30Z"), at("2024-05-14T11:59:00Z"));
        let t =
            Timeline::new(Some(range), [], [Some(range.0), Some(range.1), None]).expect("timeline");
        assert_eq!(width_secs(t.level), 60, "2 h in 120 one-minute bins");
        assert_eq!(t.bins.len(), 120);
        assert_eq!((t.bins[0].flagged, t.bins[119].flagged), (1, 1));
        assert_eq!(t.flagged_untimed, 1);
        assert_eq!(
            t.span(),
            (at("2024-05-14T10:00:00Z"), at("2024-05-14T12:00:00Z"))
        );
        assert_eq!(t.time_at(0.5), at("2024-05-14T11:00:00Z"));
        assert!((t.fraction_of(at("2024-05-14T11:30:00Z")) - 0.75).abs() < 1e-9);
        // One instant: one bin.
        let one = Timeline::new(Some((range.0, range.0)), [], []).expect("timeline");
        assert_eq!(one.bins.len(), 1);
    }

    #[test]
    fn brushes_become_custom_windows() {
        for (a, b, duration, anchor) in [
            (
                "2024-05-14T10:00:00Z",
                "2024-05-14T11:00:00Z",
                "3600s",
                "2024-05-14T11:00:00",
            ),
            (
                "2024-05-14T11:00:00.5Z",
                "2024-05-14T10:00:00.5Z",
                "3601s",
                "2024-05-14T11:00:01",
            ),
            (
                "2024-05-14T10:00:00Z",
                "2024-05-14T10:00:00Z",
                "1s",
                "2024-05-14T10:00:00",
            ),
        ] {
            let choice = brush_window(at(a), at(b));
            assert_eq!(
                choice,
                WindowChoice::Custom {
                    duration: duration.into(),
                    anchor: anchor.into()
                },
                "{a} .. {b}"
            );
            // The window it makes holds both ends of the brush (after the start,
            // up to the anchor).
            let w = choice.window(0.0).expect("window");
            let (start, end) = w.bounds(None).expect("bounds");
            assert!(start <= at(a).min(at(b)) && end == Some(at(anchor)));
        }
    }

    #[test]
    fn top_counts_ignoring_case_and_keeps_ten() {
        let (_, mut rows) = scan_all(sample_csv(), 0, None);
        rows[0].event.device_name = rows[1].event.device_name.to_uppercase();
        let hosts = top(&rows, |r| r.event.device_name.as_str(), TOP);
        assert!(hosts.len() <= TOP);
        assert!(hosts.windows(2).all(|w| w[0].1 >= w[1].1));
        for (name, n) in &hosts {
            let want = rows
                .iter()
                .filter(|r| r.event.device_name.eq_ignore_ascii_case(name))
                .count();
            assert_eq!(*n, want, "{name}");
        }
        let two = top(&rows, |r| r.event.device_name.as_str(), 2);
        assert_eq!(two, hosts[..2.min(hosts.len())].to_vec());
        // Patterns: each row counts for each of its patterns, as `why` names them.
        let names = Names::from_lists(&[] as &[&str], &[] as &[&str]);
        assert!(
            top_patterns(&rows, &names, TOP).is_empty(),
            "no names, no bars"
        );
        let rule = cmdhunt_core::matcher::CompiledRule::new();
        let names = Names::of(&rule);
        for (pattern, n) in top_patterns(&rows, &names, TOP) {
            let want = rows
                .iter()
                .filter(|r| names.why(r).patterns.contains(&pattern.as_str()))
                .count();
            assert_eq!(n, want, "{pattern}");
        }
    }
}

#[cfg(test)]
mod state_tests {
    use super::*;
    use crate::session::ScanSession;
    use crate::state::{Action, NewFile};
    use crate::testdata::sample_csv;
    use cmdhunt_core::matcher::CompiledRule;
    use cmdhunt_core::results::Window;

    /// The sample read through a worker session into the page's state.
    fn loaded(name: &str) -> AppState {
        let mut st = AppState::default();
        st.apply(Action::AddFiles(vec![NewFile::new(
            name,
            sample_csv().len() as u64,
        )]));
        let (id, job) = st.jobs_to_start()[0];
        st.apply(Action::Started { job, now_ms: 0.0 });
        let rule = CompiledRule::new();
        let mut s = ScanSession::new(&rule, job, id, name, None).expect("session");
        let mut messages = s.push(sample_csv(), 0.0);
        messages.extend(s.finish());
        for m in messages {
            st.apply(Action::Worker(m, 1.0));
        }
        st.apply(Action::SetWindow(WindowChoice::All, 0.0));
        st
    }

    /// `cargo test --release -p cmdhunt-web --lib -- --ignored charts_on_100k --nocapture`
    #[test]
    #[ignore = "a timing, not a check"]
    fn charts_on_100k_rows() {
        let mut st = loaded("sample.csv");
        let base = st.rows.clone();
        while st.rows.len() < 100_000 {
            st.rows.extend(base.iter().cloned());
        }
        st.shown = (0..st.rows.len()).collect();
        for _ in 0..3 {
            let t0 = std::time::Instant::now();
            let tops = tops(&st);
            let t1 = std::time::Instant::now();
            let t = timeline_of(&st);
            let t2 = std::time::Instant::now();
            println!(
                "{} rows: tops {:.1} ms, timeline {:.1} ms ({} host bars, {} bins)",
                st.rows.len(),
                (t1 - t0).as_secs_f64() * 1e3,
                (t2 - t1).as_secs_f64() * 1e3,
                tops[0].len(),
                t.map_or(0, |t| t.bins.len())
            );
        }
    }

    #[test]
    fn the_summary_crosses_the_wire_with_its_histogram() {
        let st = loaded("sample.csv");
        let summary = st.files[0].summary.clone().expect("done");
        assert!(summary.shell_times.total() > 0);
        let json = serde_json::to_string(&summary).expect("json");
        let back: FileSummary = serde_json::from_str(&json).expect("back");
        assert_eq!(back, summary);
    }

    #[test]
    fn the_pages_charts_count_what_the_core_counts() {
        let st = loaded("contoso-part-0001.csv");
        let summary = st.files[0].summary.clone().expect("done");
        assert_eq!(data_range(&st), summary.oldest.zip(summary.newest));
        assert!(range_text(&st).contains(&summary.oldest.expect("oldest").to_string()));
        let t = timeline_of(&st).expect("timeline");
        let all: u64 = t.bins.iter().map(|b| b.all).sum::<u64>() + t.all_untimed;
        let flagged: u64 = t.bins.iter().map(|b| b.flagged).sum::<u64>() + t.flagged_untimed;
        assert_eq!((all, flagged), (summary.shell, st.rows.len() as u64));
        // The window does not change the timeline; a chip does.
        let mut narrow = st.clone();
        narrow.apply(Action::SetWindow(WindowChoice::NewestDay, 0.0));
        assert_eq!(timeline_of(&narrow), Some(t.clone()));
        narrow.apply(Action::ToggleFlag(3));
        let shadow = st.rows.iter().filter(|r| r.verdict.flags.0[3]).count() as u64;
        let t3 = timeline_of(&narrow).expect("timeline");
        assert_eq!(
            t3.bins.iter().map(|b| b.flagged).sum::<u64>() + t3.flagged_untimed,
            shadow
        );

        // A host bar's count = its rows, and its term keeps exactly them.
        let hosts = &tops(&st)[0];
        let (host, n) = hosts[0].clone();
        let mut filtered = st.clone();
        filtered.apply(Action::Search(crate::query::toggle_equals(
            &st.spec.search,
            Field::DeviceName,
            &host,
        )));
        assert_eq!(filtered.shown.len(), n);
        assert!(filtered.shown.iter().all(|&i| filtered.rows[i]
            .event
            .device_name
            .eq_ignore_ascii_case(&host)));
        let again = crate::query::toggle_equals(&filtered.spec.search, Field::DeviceName, &host);
        assert_eq!(again, "");
        // The file name is searchable.
        let mut by_file = st.clone();
        by_file.apply(Action::Search("PART-0001".into()));
        assert_eq!(by_file.shown.len(), st.rows.len());
        by_file.apply(Action::Search("-file:part-0001".into()));
        assert!(by_file.shown.is_empty());
        assert_eq!(
            st.shown.len(),
            cmdhunt_core::results::select(&st.rows, &Window::All, st.spec.newest).len()
        );
    }

    /// When charts drawn for one key are drawn again for the next: a table
    /// over reading/settled keys, filters, finished files and elapsed time.
    #[test]
    fn charts_redraw_at_most_once_a_second_while_reading() {
        let spec = ViewSpec::default();
        let other = ViewSpec {
            search: "host=a".into(),
            ..ViewSpec::default()
        };
        let key = |settled: Option<u64>, reading: Option<(usize, u64)>, done, spec: &ViewSpec| {
            ChartsKey {
                settled,
                reading,
                done,
                spec: spec.clone(),
            }
        };
        let r1 = key(None, Some((0, 1)), 0, &spec);
        let r2 = key(None, Some((1, 2)), 0, &spec);
        let r2_done = key(None, Some((1, 2)), 1, &spec);
        let r2_filtered = key(None, Some((1, 2)), 0, &other);
        let settled = key(Some(7), None, 1, &spec);
        let settled_again = key(Some(8), None, 1, &spec);
        let d = READING_REDRAW_MS;
        let cases = [
            // (drawn for, next, elapsed ms, redraw)
            (&r1, &r1, 5000.0, false),
            (&r1, &r2, 10.0, false),
            (&r1, &r2, d - 1.0, false),
            (&r1, &r2, d, true),
            (&r1, &r2_done, 10.0, true),
            (&r1, &r2_filtered, 10.0, true),
            (&r1, &settled, 10.0, true),
            (&settled, &settled_again, 10.0, true),
            (&settled, &r1, 10.0, true),
        ];
        for (i, (drawn, next, elapsed, want)) in cases.into_iter().enumerate() {
            assert_eq!(drawn.redraw(100.0, next, 100.0 + elapsed), want, "case {i}");
        }
    }
}
