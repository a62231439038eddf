//! What the split tests (split, split_evtx, split_json) share: a fresh scan
//! as the page sets one up, the whole file's scan they are held to, and
//! pushing bytes in random slices.

use cmdhunt_core::format::Format;
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};
use cmdhunt_core::split::evtx::{EvtxRangeScan, HEADER_BYTES};
use cmdhunt_core::split::{merge_all, RangePart};

use super::Rng;

/// A scan's summary and rows.
pub type Scan = (FileSummary, Vec<FlaggedRow>);

/// A fresh scan as the page sets one up (all fields kept, hardened rules
/// when given).
pub fn fresh<'r>(
    rule: &'r CompiledRule,
    hardened: Option<&'r HardenedRules>,
    format: Option<Format>,
) -> FileScan<'r> {
    let scan = FileScan::new(rule, 1, "big", format);
    match hardened {
        Some(h) => scan.hardened(h),
        None => scan,
    }
}

/// Push `data` in random slices of at most `max` bytes.
pub fn feed(push: &mut dyn FnMut(&[u8]), data: &[u8], rng: &mut Rng, max: usize) {
    let mut at = 0;
    while at < data.len() {
        let end = (at + rng.below(max) + 1).min(data.len());
        push(&data[at..end]);
        at = end;
    }
}

/// The whole file in one scan (64 KiB chunks).
pub fn whole(rule: &CompiledRule, hardened: Option<&HardenedRules>, data: &[u8]) -> Scan {
    let mut scan = fresh(rule, hardened, None);
    for c in data.chunks(64 << 10) {
        scan.push(c);
    }
    scan.finish()
}

/// `got` (a split scan's merged result) is `want` (the whole scan's): skip
/// by skip, the summary, row by row; the first difference names `what`.
pub fn assert_same(what: &str, got: &Scan, want: &Scan) {
    let (g, w) = (&got.0, &want.0);
    assert_eq!(g.skips.len(), w.skips.len(), "{what}: skips");
    for (i, (a, b)) in g.skips.iter().zip(&w.skips).enumerate() {
        assert_eq!(a, b, "{what}: skip {i}");
    }
    assert_eq!(g, w, "{what}: summary differs");
    assert_eq!(got.1.len(), want.1.len(), "{what}: row count differs");
    for (i, (g, w)) in got.1.iter().zip(&want.1).enumerate() {
        assert_eq!(g, w, "{what}: row {i} differs");
    }
}

/// What one EVTX split scan ([`evtx_split_scan`]) did besides its result.
#[derive(Debug, Default, Clone, Copy)]
pub struct Seams {
    /// Seams that held.
    pub held: usize,
    /// Seams whose range needed earlier records (rescanned).
    pub rescanned: usize,
    /// Rows and skips that came from a range after the first.
    pub later_rows: usize,
    pub later_skips: usize,
}

/// An EVTX log split as the page splits it, sequentially: ranges starting at `starts` (0, then
/// chunk boundaries), each scanned alone, then the seams in order, a range
/// that does not stand alone read on by the range before.
pub fn evtx_split_scan(
    rule: &CompiledRule,
    hardened: Option<&HardenedRules>,
    data: &[u8],
    starts: &[u64],
    rng: &mut Rng,
) -> (Scan, Seams) {
    assert_eq!(starts[0], 0);
    let header = &data[..HEADER_BYTES];
    let ends: Vec<u64> = starts[1..]
        .iter()
        .copied()
        .chain([data.len() as u64])
        .collect();
    let max = 1 + rng.below(100_000);
    let mut scans = Vec::new();
    for (&start, &end) in starts.iter().zip(&ends) {
        let mut range = if start == 0 {
            EvtxRangeScan::first(fresh(rule, hardened, None))
        } else {
            EvtxRangeScan::after(fresh(rule, hardened, Some(Format::Evtx)), header, start)
                .expect("a chunk boundary")
        };
        let bytes = &data[start as usize..end as usize];
        feed(&mut |c| range.push(c), bytes, rng, max);
        assert_eq!(range.bytes(), end - start);
        scans.push((range, start, end));
    }
    // The seams in order. Every accepted scanner stays open: one that reads
    // on through a range and then no longer stands alone (a 4688 parent it
    // did not find) is dropped, and the one before it reads on in its place.
    let mut seams = Seams::default();
    let mut stack: Vec<(EvtxRangeScan<'_>, u64)> = Vec::new();
    for (range, start, end) in scans {
        if start == 0 || range.stands_alone() {
            if start > 0 {
                seams.held += 1;
            }
            stack.push((range, end));
            continue;
        }
        seams.rescanned += 1;
        loop {
            let (top, top_end) = stack.last_mut().expect("the first range");
            feed(
                &mut |c| top.push(c),
                &data[*top_end as usize..end as usize],
                rng,
                max,
            );
            *top_end = end;
            if top.stands_alone() {
                break;
            }
            stack.pop();
        }
    }
    let parts: Vec<RangePart> = stack.into_iter().map(|(s, _)| s.finish()).collect();
    for part in &parts[1..] {
        seams.later_rows += part.rows.len();
        seams.later_skips += part.summary.skips.len();
    }
    (merge_all(parts).expect("parts"), seams)
}
